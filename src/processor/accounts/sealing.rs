//! Processor secrets at rest: AES-256-GCM under `PAYGRAPH_SECRETS_KEY`, a random 96-bit
//! nonce per value, and the owning row's id as associated data, so a sealed value copied onto
//! another row does not open. A copy of the database alone holds no processor key.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

/// The format's version, first in every sealed value, so the scheme can change later.
const VERSION: &str = "v1";

/// The key that seals processor secrets.
#[derive(Clone)]
pub struct SecretsKey(Key<Aes256Gcm>);

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(…)")
    }
}

/// A sealed value did not open: another key, another row, or tampered with.
#[derive(Debug, thiserror::Error)]
#[error("a sealed secret does not open with this key")]
pub struct Unsealable;

impl SecretsKey {
    /// From its base64url text (32 bytes, as `PAYGRAPH_SECRETS_KEY` holds it).
    pub fn from_text(text: &str) -> anyhow::Result<SecretsKey> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim().trim_end_matches('='))
            .map_err(|_| anyhow::anyhow!("PAYGRAPH_SECRETS_KEY is not base64url"))?;
        let bytes: [u8; 32] =
            bytes.try_into().map_err(|_| anyhow::anyhow!("PAYGRAPH_SECRETS_KEY must be 32 bytes (base64url)"))?;
        Ok(SecretsKey(Key::<Aes256Gcm>::from(bytes)))
    }

    /// A new random key, as its base64url text.
    pub fn generate_text() -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A key of its own for `purpose`, derived from this one (HMAC-SHA256), so one secret
    /// serves several uses without one use's key opening another's.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        use hmac::{Hmac, KeyInit, Mac};
        let Ok(mut mac) = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(self.0.as_slice()) else { return [0; 32] };
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// `v1.<nonce>.<ciphertext and tag>`, bound to `owner`.
    pub fn seal(&self, owner: &[u8], secret: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let nonce = Nonce::from(nonce);
        let sealed = Aes256Gcm::new(&self.0)
            .encrypt(&nonce, Payload { msg: secret.as_bytes(), aad: owner })
            // Only a message longer than GCM's 64 GiB limit fails to encrypt.
            .unwrap_or_default();
        format!("{VERSION}.{}.{}", URL_SAFE_NO_PAD.encode(nonce), URL_SAFE_NO_PAD.encode(sealed))
    }

    /// The secret `seal` was given for `owner`.
    pub fn open(&self, owner: &[u8], sealed: &str) -> Result<String, Unsealable> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(VERSION), Some(nonce), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Unsealable);
        };
        let nonce: [u8; 12] = URL_SAFE_NO_PAD.decode(nonce).ok().and_then(|n| n.try_into().ok()).ok_or(Unsealable)?;
        let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| Unsealable)?;
        let plain = Aes256Gcm::new(&self.0)
            .decrypt(&Nonce::from(nonce), Payload { msg: &body, aad: owner })
            .map_err(|_| Unsealable)?;
        String::from_utf8(plain).map_err(|_| Unsealable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretsKey {
        SecretsKey::from_text(&SecretsKey::generate_text()).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn a_sealed_secret_opens_with_its_key_and_owner_only() {
        let (key, other) = (key(), key());
        let sealed = key.seal(b"account-1", "sk_test_abcdef1234");
        assert!(!sealed.contains("sk_test"), "{sealed}");
        assert_eq!(key.open(b"account-1", &sealed).ok().as_deref(), Some("sk_test_abcdef1234"));
        assert!(key.open(b"account-2", &sealed).is_err(), "another row's value opened");
        assert!(other.open(b"account-1", &sealed).is_err(), "another key opened it");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(key.open(b"account-1", &tampered).is_err(), "a tampered value opened");
    }

    #[test]
    fn the_same_secret_seals_differently_each_time() {
        let key = key();
        assert_ne!(key.seal(b"a", "sk_test_x"), key.seal(b"a", "sk_test_x"));
    }

    #[test]
    fn a_key_of_the_wrong_length_is_refused() {
        assert!(SecretsKey::from_text(&URL_SAFE_NO_PAD.encode([0u8; 16])).is_err());
        assert!(SecretsKey::from_text("not base64!").is_err());
    }
}
