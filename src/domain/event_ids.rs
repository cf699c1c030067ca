//! The ids of the event log's events as webhooks and the API show them (`evt_` and 16 hex
//! digits): the row id under a keyed permutation, so an id tells nothing of how many events
//! the platform holds or made since another, and cannot be guessed from a neighbour's. Every
//! instance derives the same key, so any of them reads an id back.
//!
//! The permutation is a four-round Feistel network over 64 bits with HMAC-SHA256 as its round
//! function (Luby–Rackoff: a pseudorandom permutation while the key is secret).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const PREFIX: &str = "evt_";
const ROUNDS: u8 = 4;

/// The key of event ids.
#[derive(Clone)]
pub struct EventIds {
    key: [u8; 32],
}

impl std::fmt::Debug for EventIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventIds(…)")
    }
}

impl EventIds {
    pub fn new(key: [u8; 32]) -> EventIds {
        EventIds { key }
    }

    /// The id of the event stored as `row`.
    pub fn id(&self, row: i64) -> String {
        let mut block = u64::from_be_bytes(row.to_be_bytes());
        for round in 0..ROUNDS {
            block = self.round(block, round);
        }
        format!("{PREFIX}{block:016x}")
    }

    /// The row of an id made by [`EventIds::id`]; `None` for anything else.
    pub fn row(&self, id: &str) -> Option<i64> {
        let hex = id.strip_prefix(PREFIX).filter(|h| h.len() == 16)?;
        let mut block = u64::from_str_radix(hex, 16).ok()?;
        for round in (0..ROUNDS).rev() {
            block = self.unround(block, round);
        }
        Some(i64::from_be_bytes(block.to_be_bytes())).filter(|row| *row > 0)
    }

    /// (L, R) → (R, L ⊕ F(R)).
    fn round(&self, block: u64, round: u8) -> u64 {
        let (left, right) = ((block >> 32) as u32, block as u32);
        (u64::from(right) << 32) | u64::from(left ^ self.f(right, round))
    }

    /// The inverse: (R, L ⊕ F(R)) → (L, R).
    fn unround(&self, block: u64, round: u8) -> u64 {
        let (right, mixed) = ((block >> 32) as u32, block as u32);
        (u64::from(mixed ^ self.f(right, round)) << 32) | u64::from(right)
    }

    fn f(&self, half: u32, round: u8) -> u32 {
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key) else { return 0 };
        mac.update(&[round]);
        mac.update(&half.to_be_bytes());
        let out = mac.finalize().into_bytes();
        u32::from_be_bytes([out[0], out[1], out[2], out[3]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_back_and_tell_nothing_of_their_rows() {
        let ids = EventIds::new([7; 32]);
        for row in [1, 2, 3, 41, 42, 1_000_000, i64::MAX] {
            let id = ids.id(row);
            assert!(id.starts_with("evt_") && id.len() == 20, "{id}");
            assert_eq!(ids.row(&id), Some(row));
        }
        // Neighbours share nothing visible; another key reads a different row or none.
        let (a, b) = (ids.id(41), ids.id(42));
        assert_ne!(a[4..12], b[4..12], "{a} {b}");
        assert_ne!(EventIds::new([8; 32]).row(&a), Some(41));
        assert_eq!(ids.row("evt_42"), None);
        assert_eq!(ids.row("evt_zzzzzzzzzzzzzzzz"), None);
        assert_eq!(ids.row("42"), None);
    }
}
