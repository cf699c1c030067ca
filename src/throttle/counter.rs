//! Things open at once per key (sockets per credential or per IP, subscriptions per
//! credential): a count per key and a permit that gives its place back when dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Open things per key, on this instance.
#[derive(Default)]
pub struct Counter {
    open: Mutex<HashMap<String, usize>>,
}

/// One counted thing; dropping it frees its place.
pub struct Permit {
    counter: Arc<Counter>,
    key: String,
}

impl Counter {
    /// A place for `key`, unless it already holds `max`.
    pub fn acquire(self: &Arc<Self>, key: String, max: usize) -> Option<Permit> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(key.clone()).or_default();
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(Permit { counter: self.clone(), key })
    }

    /// How many `key` holds.
    pub fn count(&self, key: &str) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).get(key).copied().unwrap_or(0)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self.counter.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_permit_frees_its_place() {
        let counter = Arc::new(Counter::default());
        let first = counter.acquire("k".into(), 2).unwrap();
        let _second = counter.acquire("k".into(), 2).unwrap();
        assert!(counter.acquire("k".into(), 2).is_none());
        drop(first);
        assert!(counter.acquire("k".into(), 2).is_some());
        assert_eq!(counter.count("other"), 0);
    }
}
