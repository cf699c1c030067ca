//! A merchant's secret API key, as a merchant manages it (the secret itself is shown once and
//! only its hash is kept): several per merchant, each read-write or read-only, rolled with an
//! expiry, revoked at once.

use chrono::{DateTime, Duration, Utc};

use super::{ApiKeyId, MerchantId};

super::string_enum!(
    /// What a key may do: everything the merchant may (`READ_WRITE`), or read the graph and
    /// subscribe to it, with no mutation and no card tokenization (`READ_ONLY`).
    KeyScope, "key scope" {
        ReadWrite => "READ_WRITE",
        ReadOnly => "READ_ONLY",
    }
);

/// The longest a rolled key may stay valid (Stripe offers up to 7 days).
pub const MAX_ROLL_GRACE: Duration = Duration::days(7);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub merchant: MerchantId,
    pub name: Option<String>,
    /// The first characters of the secret, so a merchant can tell keys apart.
    pub prefix: String,
    pub scope: KeyScope,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// Whether the key opens the API at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_dies_when_revoked_or_past_its_expiry() {
        let now = Utc::now();
        let key = ApiKey {
            id: ApiKeyId::new(),
            merchant: MerchantId::new(),
            name: None,
            prefix: "sk_test_abcd".into(),
            scope: KeyScope::ReadWrite,
            created_at: now,
            last_used_at: None,
            expires_at: None,
            revoked_at: None,
        };
        assert!(key.is_live(now));
        assert!(ApiKey { expires_at: Some(now + Duration::hours(1)), ..key.clone() }.is_live(now));
        assert!(!ApiKey { expires_at: Some(now), ..key.clone() }.is_live(now));
        assert!(!ApiKey { revoked_at: Some(now), ..key }.is_live(now));
    }
}
