//! Which web origins may call the API from a browser (CORS): those of
//! `PAYGRAPH_CORS_ORIGINS`, for every credential, and each merchant's own
//! (`updateMerchantSettings(input: { allowedOrigins })`), for that merchant's keys and client
//! secrets. Kept in memory, so a preflight reads no database; every instance reloads them
//! when a merchant changes its list (a bus notice) or when notices may have been missed.

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::MerchantId;
use crate::domain::origin::{self, OriginError};
use crate::storage::{self, Database};

/// Most origins one merchant may allow.
pub const MAX_PER_MERCHANT: usize = 20;

pub struct Origins {
    db: Database,
    /// `PAYGRAPH_CORS_ORIGINS`: every credential may call from these.
    global: HashSet<String>,
    /// Each merchant's origins, by origin.
    listed: RwLock<Listed>,
    /// Production allows https origins only (and http on loopback).
    https_only: bool,
    /// Each reload's ticket: a reload that read earlier never overwrites one that read later.
    tickets: AtomicU64,
}

#[derive(Default)]
struct Listed {
    ticket: u64,
    by_origin: HashMap<String, Vec<MerchantId>>,
}

impl Origins {
    /// The registry with the configured origins, each read as an origin (startup refuses
    /// one that is not).
    pub fn new(db: Database, configured: &[String], https_only: bool) -> anyhow::Result<Self> {
        let global = configured
            .iter()
            .filter(|text| !text.trim().is_empty())
            .map(|text| {
                origin::parse(text, https_only).map_err(|e| anyhow::anyhow!("PAYGRAPH_CORS_ORIGINS: {text:?}: {e}"))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Origins { db, global, listed: RwLock::default(), https_only, tickets: AtomicU64::new(0) })
    }

    /// Reads `text` as an origin a merchant may allow.
    pub fn parse(&self, text: &str) -> Result<String, OriginError> {
        origin::parse(text, self.https_only)
    }

    /// Whether a browser on `origin` may ask at all (a preflight, which carries no
    /// credential): a configured origin, or one some merchant allows.
    pub fn may_ask(&self, origin: &str) -> bool {
        self.global.contains(origin) || self.read().by_origin.contains_key(origin)
    }

    /// Whether `merchant`'s credentials may be used from `origin`.
    pub fn allows(&self, origin: &str, merchant: MerchantId) -> bool {
        self.global.contains(origin) || self.read().by_origin.get(origin).is_some_and(|m| m.contains(&merchant))
    }

    /// Reads every merchant's origins again.
    pub async fn reload(&self) -> crate::error::AppResult<()> {
        let ticket = self.tickets.fetch_add(1, Ordering::AcqRel) + 1;
        let rows = storage::merchants::allowed_origins(&self.db).await?;
        let mut by_origin: HashMap<String, Vec<MerchantId>> = HashMap::new();
        for (merchant, origins) in rows {
            for origin in origins {
                by_origin.entry(origin).or_default().push(merchant);
            }
        }
        let mut listed = self.listed.write().unwrap_or_else(|p| p.into_inner());
        if ticket > listed.ticket {
            *listed = Listed { ticket, by_origin };
        }
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Listed> {
        self.listed.read().unwrap_or_else(|p| p.into_inner())
    }
}
