//! The domain: pure types and rules, with no I/O. Everything here can be tested alone.

/// A closed set of values stored and shown by their SCREAMING_CASE names.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $crate::domain::UnknownVariant { kind: $kind, value: s.to_owned() })
            }
        }
    };
}
pub(crate) use string_enum;

/// Lower-case hex of `bytes` (digests, fingerprints), without a formatter call per byte.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// A stored value that names no known variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownVariant {
    pub kind: &'static str,
    pub value: String,
}

pub mod api_key;
pub mod audit;
pub mod capture;
pub mod card;
pub mod customer;
pub mod decline;
pub mod dispute;
pub mod event;
pub mod event_ids;
pub mod fraud;
pub mod iban;
pub mod ids;
pub mod ledger;
pub mod link;
pub mod locale;
pub mod merchant;
pub mod money;
pub mod order;
pub mod origin;
pub mod payment;
pub mod portal;
pub mod processor_account;
pub mod profile;
pub mod refund;
pub mod session;
pub mod stats;
pub mod subscription;
pub mod webhook;
pub mod webhook_delivery;
pub mod webhook_signature;

pub use event::SessionEvent;
pub use ids::*;
pub use money::{Currency, Money};
pub use payment::{FraudDecision, PaymentStatus};
pub use session::{PaymentMethodType, SessionPurpose, SessionStatus};
