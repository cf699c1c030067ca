//! The audit trail: each change made through the API or the CLI is recorded with who made
//! it, from where, and how it ended, in the transaction of the change (see
//! `storage::audit`). Read by the merchant's read-write keys, exported as JSON lines by the
//! operator, pruned after the retention period. Failed authentications are counted in
//! `/metrics`, not stored: a flood of forged keys must not fill the table.

use std::sync::Arc;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::Core;
use super::auth::Caller;
use crate::domain::audit::{Actor, ActorKind, AuditEvent};
use crate::domain::{AuditEventId, MerchantId};
use crate::error::AppResult;
use crate::storage;
pub use crate::storage::audit::{Scope, note_outcome, within};
use crate::storage::kinds;
pub use crate::storage::listings::AuditFilter;
use crate::storage::listings::Listing;

/// How often an instance prunes, and how many events one statement deletes at most.
const PRUNE_EVERY: chrono::Duration = chrono::Duration::hours(1);
const PRUNE_BATCH: u64 = 10_000;
/// Events an export reads at once.
const EXPORT_PAGE: u64 = 500;

#[derive(Clone)]
pub struct Audit {
    core: Core,
    retention: chrono::Duration,
    pruned_at: Arc<Mutex<Option<DateTime<Utc>>>>,
}

impl Audit {
    pub fn new(core: Core, retention_days: u32) -> Self {
        let retention = chrono::Duration::days(i64::from(retention_days));
        Audit { core, retention, pruned_at: Arc::default() }
    }

    /// The scope of a request that may change something of `merchant`.
    pub async fn begin(
        &self,
        caller: Caller,
        action: &str,
        ip: Option<std::net::IpAddr>,
        origin: Option<&str>,
    ) -> Arc<Scope> {
        let merchant = caller.merchant();
        let actor = match caller {
            Caller::Merchant { key: Some(key), .. } => {
                // A name that cannot be read leaves the id, which says who as well.
                let name = storage::keys::name_of(&self.core.db, merchant, key).await.ok().flatten();
                Actor { kind: ActorKind::SecretKey, key: Some(key), key_name: name, session: None }
            }
            Caller::Merchant { key: None, .. } => {
                Actor { kind: ActorKind::SecretKey, key: None, key_name: None, session: None }
            }
            Caller::Session { session, .. } => {
                Actor { kind: ActorKind::ClientSecret, key: None, key_name: None, session: Some(session) }
            }
        };
        let mut event = AuditEvent::new(merchant, actor, action, self.core.now()).with_origin(origin);
        event.ip = ip.map(|ip| ip.to_string());
        Scope::new(event)
    }

    /// Runs a CLI command's `work` on `merchant`'s objects, recorded as the operator's:
    /// `ids` are the objects it names, `made` those it returns.
    pub async fn cli<T>(
        &self,
        merchant: MerchantId,
        command: &str,
        ids: &[String],
        work: impl Future<Output = AppResult<T>>,
        made: impl Fn(&T) -> Vec<String>,
    ) -> AppResult<T> {
        let scope = Scope::new(AuditEvent::new(merchant, Actor::cli(), command, self.core.now()));
        scope.note(None, ids);
        let result = within(scope.clone(), work).await;
        match &result {
            Ok(value) => scope.note(None, &made(value)),
            Err(error) => scope.note(Some(error.code().as_str()), &[]),
        }
        self.finish(&scope).await;
        result
    }

    /// Runs a customer's portal action `work`, recorded with the portal session and the
    /// objects it names; its user error's code is the outcome.
    pub async fn portal<T>(
        &self,
        portal: &crate::domain::portal::PortalSession,
        action: &str,
        ip: Option<std::net::IpAddr>,
        ids: &[String],
        work: impl Future<Output = AppResult<T>>,
    ) -> AppResult<T> {
        use crate::domain::TypedId;
        let mut event = AuditEvent::new(portal.merchant, Actor::customer_portal(), action, self.core.now());
        event.ip = ip.map(|ip| ip.to_string());
        let scope = Scope::new(event);
        let mut named = vec![portal.id.to_global()];
        named.extend_from_slice(ids);
        scope.note(None, &named);
        let result = within(scope.clone(), work).await;
        if let Err(error) = &result {
            scope.note(Some(error.code().as_str()), &[]);
        }
        self.finish(&scope).await;
        result
    }

    /// Ends a request's scope (see `storage::audit::finish`). A fault here is logged: the
    /// change itself, if any, committed with its event already.
    pub async fn finish(&self, scope: &Scope) {
        if let Err(error) = storage::audit::finish(&self.core.db, scope).await {
            tracing::error!(%error, "could not complete an audit event");
        }
    }

    /// The merchant's event `id`.
    pub async fn event(&self, merchant: MerchantId, id: AuditEventId) -> AppResult<Option<AuditEvent>> {
        Ok(storage::audit::by_id(&self.core.db, merchant, id.0).await?)
    }

    /// The merchant's events, for a connection.
    pub fn listing(&self, merchant: MerchantId, filter: AuditFilter) -> Listing<kinds::AuditEvents> {
        storage::listings::audit_events(merchant, filter)
    }

    /// Writes `merchant`'s events from `since` on, oldest first, one JSON object a line.
    pub async fn export(
        &self,
        merchant: MerchantId,
        since: DateTime<Utc>,
        out: &mut impl std::io::Write,
    ) -> anyhow::Result<u64> {
        let (mut after, mut written) = (None, 0);
        loop {
            let page = storage::audit::since(&self.core.db, merchant, since, after, EXPORT_PAGE).await?;
            for event in &page {
                serde_json::to_writer(&mut *out, &exported(event))?;
                out.write_all(b"\n")?;
                written += 1;
            }
            match page.last() {
                Some(last) if page.len() as u64 == EXPORT_PAGE => after = Some((last.occurred_at, last.id.0)),
                _ => break,
            }
        }
        out.flush()?;
        Ok(written)
    }

    /// Deletes events older than the retention period; how many.
    pub async fn prune(&self) -> AppResult<u64> {
        Ok(storage::audit::prune(&self.core.db, self.core.now() - self.retention, PRUNE_BATCH).await?)
    }

    /// Prunes if this instance has not for an hour (the background pass calls it).
    pub async fn prune_now_and_then(&self) -> AppResult<u64> {
        let now = self.core.now();
        {
            let mut pruned_at = self.pruned_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if pruned_at.is_some_and(|at| now - at < PRUNE_EVERY) {
                return Ok(0);
            }
            *pruned_at = Some(now);
        }
        self.prune().await
    }
}

/// An event as the export writes it: the API's names and global ids.
fn exported(event: &AuditEvent) -> serde_json::Value {
    use crate::domain::TypedId;
    serde_json::json!({
        "id": event.id.to_global(),
        "occurredAt": event.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "actor": {
            "kind": event.actor.kind.as_str(),
            "keyId": event.actor.key.map(TypedId::to_global),
            "keyName": event.actor.key_name,
            "sessionId": event.actor.session.map(TypedId::to_global),
        },
        "action": event.action,
        "nodeIds": event.node_ids,
        "ip": event.ip,
        "origin": event.origin,
        "outcome": event.outcome,
    })
}
