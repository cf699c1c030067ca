//! Persisted queries, as Apollo's automatic persisted queries protocol has them: a client
//! sends `extensions.persistedQuery { version: 1, sha256Hash }` alone; if the document is
//! unknown it is told `PersistedQueryNotFound` and sends it once with its text, which
//! registers it; from then on the hash alone runs it, by GET too (cacheable, a few bytes).
//!
//! Where documents are kept, nearest first: this instance's bounded cache, then Redis (when
//! there is one, so every instance knows what one was sent, for a day), then the database,
//! which keeps for good the documents a merchant's read-write key registered. Those are
//! the allow-list of `PAYGRAPH_PERSISTED_ONLY`: in that mode nothing else runs, so a
//! locked-down mobile app runs only the operations its merchant's build registered.

use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;
use sha2::{Digest, Sha256};

use super::Core;
use super::auth::Caller;
use crate::bus::RedisLink;
use crate::domain::{MerchantId, hex};
use crate::error::AppResult;
use crate::storage;

/// Documents this instance remembers (each at most the query size limit).
const LOCAL_DOCUMENTS: u64 = 10_000;
/// How long Redis keeps a document no key registered for good.
const SHARED_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The documents known by hash.
pub struct PersistedQueries {
    local: Cache<String, Arc<str>>,
    /// Approvals this instance has seen (an approval is never taken back).
    approvals: Cache<(MerchantId, String), ()>,
    shared: Option<Shared>,
    core: Core,
    /// `PAYGRAPH_PERSISTED_ONLY`: only documents a read-write key registered run.
    pub allow_list_only: bool,
}

struct Shared {
    link: Arc<RedisLink>,
    prefix: String,
}

/// The SHA-256 of a document, in lower-case hex, as clients compute it.
pub fn hash_of(document: &str) -> String {
    hex(&Sha256::digest(document.as_bytes()))
}

/// Whether `caller` registers documents for good: a merchant's read-write key (its build
/// pipeline, or its server), never a client secret or an anonymous client.
pub fn registers_for_good(caller: Option<Caller>) -> bool {
    matches!(caller, Some(caller @ Caller::Merchant { .. }) if !caller.read_only())
}

impl PersistedQueries {
    pub fn new(core: Core, redis: Option<(Arc<RedisLink>, String)>, allow_list_only: bool) -> Self {
        PersistedQueries {
            local: Cache::builder().max_capacity(LOCAL_DOCUMENTS).build(),
            approvals: Cache::builder().max_capacity(LOCAL_DOCUMENTS).build(),
            shared: redis.map(|(link, prefix)| Shared { link, prefix }),
            core,
            allow_list_only,
        }
    }

    /// The document registered under `hash`, if any tier knows it. A Redis that does not
    /// answer counts as not knowing.
    pub async fn find(&self, hash: &str) -> AppResult<Option<Arc<str>>> {
        if let Some(document) = self.local.get(hash) {
            return Ok(Some(document));
        }
        // The allow-list is the database's: Redis may hold what an instance in open mode cached.
        if let Some(shared) = self.shared.as_ref().filter(|_| !self.allow_list_only) {
            let key = format!("{}:persisted:{hash}", shared.prefix);
            let found: anyhow::Result<Option<String>> = shared
                .link
                .run(|mut connection| async move { redis::cmd("GET").arg(&key).query_async(&mut connection).await })
                .await;
            match found {
                Ok(Some(document)) => return Ok(Some(self.remember(hash, &document))),
                Ok(None) => {}
                Err(error) => tracing::debug!(%error, "redis did not answer a persisted query lookup"),
            }
        }
        Ok(storage::persisted::document(&self.core.db, hash).await?.map(|document| self.remember(hash, &document)))
    }

    /// Registers `document` (whose hash the caller checked): for good when `caller` registers
    /// for good; in Redis too for any credential (rate-limited and costed per credential);
    /// only in this instance's bounded cache for an anonymous caller, so a flood of documents
    /// from nobody in particular cannot fill Redis.
    pub async fn register(&self, hash: &str, document: &str, caller: Option<Caller>) -> AppResult<()> {
        if let Some(caller) = caller.filter(|c| registers_for_good(Some(*c))) {
            storage::persisted::keep(&self.core.db, hash, document, caller.merchant(), self.core.now()).await?;
            self.approvals.insert((caller.merchant(), hash.to_owned()), ());
        }
        if let Some(shared) = self.shared.as_ref().filter(|_| caller.is_some()) {
            let key = format!("{}:persisted:{hash}", shared.prefix);
            let stored: anyhow::Result<()> = shared
                .link
                .run(|mut connection| async move {
                    redis::cmd("SET")
                        .arg(&key)
                        .arg(document)
                        .arg("EX")
                        .arg(SHARED_TTL.as_secs())
                        .query_async(&mut connection)
                        .await
                })
                .await;
            if let Err(error) = stored {
                tracing::debug!(%error, "redis did not keep a persisted query; this instance still has it");
            }
        }
        self.remember(hash, document);
        Ok(())
    }

    /// Whether `merchant`'s read-write key registered the document of `hash`: the
    /// merchant's allow-list in `PAYGRAPH_PERSISTED_ONLY` mode. Another merchant's
    /// registration grants nothing.
    pub async fn approved(&self, merchant: MerchantId, hash: &str) -> AppResult<bool> {
        let key = (merchant, hash.to_owned());
        if self.approvals.contains_key(&key) {
            return Ok(true);
        }
        let approved = storage::persisted::approved(&self.core.db, merchant, hash).await?;
        if approved {
            self.approvals.insert(key, ());
        }
        Ok(approved)
    }

    fn remember(&self, hash: &str, document: &str) -> Arc<str> {
        let document: Arc<str> = Arc::from(document);
        self.local.insert(hash.to_owned(), document.clone());
        document
    }
}
