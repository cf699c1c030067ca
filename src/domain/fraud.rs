//! What a merchant can refuse: a blocklist entry names a card (by fingerprint), an IP address
//! or a customer's email, in one canonical form so that a lookup is an equality.

use std::net::IpAddr;

super::string_enum!(
    /// What a blocklist entry matches.
    BlocklistKind, "blocklist kind" {
        CardFingerprint => "CARD_FINGERPRINT",
        IpAddress => "IP_ADDRESS",
        Email => "EMAIL",
    }
);

/// Why a value cannot be blocked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlocklistValueError {
    #[error("not an IP address")]
    InvalidIp,
    #[error("not an email address")]
    InvalidEmail,
    #[error("not a card fingerprint (a payment's `cardFingerprint`)")]
    InvalidFingerprint,
}

impl BlocklistKind {
    /// The canonical form of `value`: an IP as the standard library prints it (so `::ffff:1.2.3.4`
    /// and `1.2.3.4` are one address), an email trimmed and in lower case, a fingerprint as given.
    pub fn normalise(self, value: &str) -> Result<String, BlocklistValueError> {
        let value = value.trim();
        match self {
            BlocklistKind::IpAddress => canonical_ip(value).ok_or(BlocklistValueError::InvalidIp),
            BlocklistKind::Email => {
                let lower = value.to_lowercase();
                match lower.split_once('@') {
                    Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.contains('@') => {
                        Ok(lower)
                    }
                    _ => Err(BlocklistValueError::InvalidEmail),
                }
            }
            BlocklistKind::CardFingerprint => {
                // The first 16 bytes of an HMAC-SHA256, in hex (see `card::FingerprintKey`).
                let lower = value.to_ascii_lowercase();
                let ok = lower.len() == 32 && lower.bytes().all(|b| b.is_ascii_hexdigit());
                if ok { Ok(lower) } else { Err(BlocklistValueError::InvalidFingerprint) }
            }
        }
    }
}

/// `text` as one canonical IP address; an IPv4-mapped IPv6 address becomes its IPv4 form.
pub fn canonical_ip(text: &str) -> Option<String> {
    let ip: IpAddr = text.trim().parse().ok()?;
    Some(canonical(ip))
}

pub fn canonical(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or_else(|| v6.to_string(), |v4| v4.to_string()),
        IpAddr::V4(v4) => v4.to_string(),
    }
}

/// A value a merchant blocks: a card (by fingerprint), an IP address or an email, in
/// canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlocklistEntry {
    pub id: super::BlocklistEntryId,
    pub merchant: super::MerchantId,
    pub kind: BlocklistKind,
    pub value: String,
    pub note: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_canonical() {
        assert_eq!(BlocklistKind::IpAddress.normalise(" ::ffff:10.0.0.1 "), Ok("10.0.0.1".into()));
        assert_eq!(BlocklistKind::IpAddress.normalise("2001:DB8::1"), Ok("2001:db8::1".into()));
        assert_eq!(BlocklistKind::IpAddress.normalise("10.0.0"), Err(BlocklistValueError::InvalidIp));
        assert_eq!(BlocklistKind::Email.normalise(" Mallory@Example.COM"), Ok("mallory@example.com".into()));
        assert_eq!(BlocklistKind::Email.normalise("mallory"), Err(BlocklistValueError::InvalidEmail));
        assert_eq!(BlocklistKind::Email.normalise("@example.com"), Err(BlocklistValueError::InvalidEmail));
        let fingerprint = "0f".repeat(16);
        assert_eq!(BlocklistKind::CardFingerprint.normalise(&fingerprint.to_uppercase()), Ok(fingerprint));
        assert!(BlocklistKind::CardFingerprint.normalise("4242424242424242").is_err());
    }
}
