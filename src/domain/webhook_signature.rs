//! The signature of a webhook delivery, made as Stripe makes its own so receivers' code
//! carries over: `Paygraph-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
//! keyed with the endpoint's `whsec_…` secret. The timestamp inside the signed text lets a
//! receiver refuse a replayed delivery; `verify` is what a receiver does (docs/webhooks.md shows
//! the same in a few lines of Node).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header a delivery's signature travels in.
pub const HEADER: &str = "Paygraph-Signature";

/// Why a signature does not hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the header is not t=<unix>,v1=<hex>")]
    Malformed,
    #[error("no v1 signature matches the body")]
    Mismatch,
    #[error("the timestamp is outside the tolerance: a replay, or a clock far off")]
    TooOld,
    /// HMAC takes keys of any length, so the library never refuses one; kept as an error
    /// rather than a panic all the same.
    #[error("the signing secret was refused as an HMAC key")]
    BadKey,
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Result<Hmac<Sha256>, SignatureError> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::BadKey)?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(mac)
}

/// The header value for `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> Result<String, SignatureError> {
    let signature = super::hex(&mac(secret, timestamp, body)?.finalize().into_bytes());
    Ok(format!("t={timestamp},v1={signature}"))
}

/// Checks `header` against `body` as a receiver would: some `v1` must match (in constant
/// time) and `t` be within `tolerance_seconds` of `now`.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance_seconds: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > tolerance_seconds {
        return Err(SignatureError::TooOld);
    }
    let expected = mac(secret, timestamp, body)?;
    let matches =
        signatures.iter().filter_map(|hex| unhex(hex)).any(|bytes| expected.clone().verify_slice(&bytes).is_ok());
    if matches { Ok(()) } else { Err(SignatureError::Mismatch) }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"ev_1","kind":"STATUS_CHANGED"}"#;

    #[test]
    fn a_signature_verifies_only_for_its_body_secret_and_time() {
        let header = sign(SECRET, 1_700_000_000, BODY).unwrap();
        assert!(header.starts_with("t=1700000000,v1=") && header.len() == "t=1700000000,v1=".len() + 64, "{header}");
        assert_eq!(verify(SECRET, &header, BODY, 1_700_000_100, 300), Ok(()));
        assert_eq!(verify(SECRET, &header, b"{}", 1_700_000_100, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify("whsec_other", &header, BODY, 1_700_000_100, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(SECRET, &header, BODY, 1_700_001_000, 300), Err(SignatureError::TooOld));
        // A forged timestamp breaks the signature: it is part of what is signed.
        let forged = header.replace("t=1700000000", "t=1700000900");
        assert_eq!(verify(SECRET, &forged, BODY, 1_700_001_000, 300), Err(SignatureError::Mismatch));
        for bad in ["", "v1=abc", "t=1700000000", "t=x,v1=00"] {
            assert!(verify(SECRET, bad, BODY, 1_700_000_000, 300).is_err(), "{bad}");
        }
        // During a secret's roll a receiver may get two signatures; one matching is enough.
        let two = format!("{header},v1={}", "00".repeat(32));
        assert_eq!(verify(SECRET, &two, BODY, 1_700_000_000, 300), Ok(()));
    }

    #[test]
    fn the_signature_is_the_hmac_of_timestamp_dot_body() {
        // Python's hmac.new(b"whsec_test_secret", b"1700000000." + BODY, sha256).hexdigest().
        let expected = "d564e52422d8695404a9b5c12229406bfa0c2ac6cb93a0c40eb14aeed9ce0c4b";
        assert_eq!(sign(SECRET, 1_700_000_000, BODY), Ok(format!("t=1700000000,v1={expected}")));
    }
}
