//! Apollo's automatic persisted queries on `/graphql` (see `service::persisted` for where
//! documents are kept): a request with `extensions.persistedQuery` gets its document from
//! the store, or registers the text it carries once its hash is checked.

use async_graphql::Request;

use crate::service::auth::Caller;
use crate::service::persisted::{PersistedQueries, hash_of, registers_for_good};

/// Why a request's document cannot run; each is a GraphQL error with this code.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The hash is unknown: send the document once with it (Apollo clients do so by themselves).
    NotFound,
    /// `PAYGRAPH_PERSISTED_ONLY`, and the document is not on the allow-list.
    NotInList,
    Malformed(&'static str),
    HashMismatch,
    Fault,
}

impl Refusal {
    /// The message and code clients branch on; Apollo's clients match the first message.
    pub fn message_and_code(&self) -> (&'static str, &'static str) {
        match self {
            Refusal::NotFound => ("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND"),
            Refusal::NotInList => (
                "PersistedQueryNotInList: only registered documents run here; register it with a read-write key",
                "PERSISTED_QUERY_NOT_IN_LIST",
            ),
            Refusal::Malformed(message) => (message, "BAD_REQUEST"),
            Refusal::HashMismatch => ("provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH"),
            Refusal::Fault => ("internal error", "INTERNAL"),
        }
    }
}

/// Gives `request` its document: from the store for a hash alone, or registered from its
/// text. In allow-list mode only documents a read-write key registered run.
///
/// The store's calls are boxed: their futures are large, and a plain document, which needs
/// none of them, should not carry them on every request.
pub async fn resolve(store: &PersistedQueries, caller: Option<Caller>, request: &mut Request) -> Result<(), Refusal> {
    let hash = match request.extensions.get("persistedQuery") {
        None => None,
        Some(value) => Some(requested_hash(value)?),
    };
    let may_register = !store.allow_list_only || registers_for_good(caller);
    if request.query.is_empty() {
        let hash = hash.ok_or(Refusal::Malformed("`query` must be a string"))?;
        let document = Box::pin(store.find(&hash)).await.map_err(fault)?.ok_or(Refusal::NotFound)?;
        if !may_register {
            on_allow_list(store, caller, &hash).await?;
        }
        request.query = document.to_string();
        return Ok(());
    }
    match hash {
        Some(hash) => {
            if hash_of(&request.query) != hash {
                return Err(Refusal::HashMismatch);
            }
            if may_register {
                Box::pin(store.register(&hash, &request.query, caller)).await.map_err(fault)?;
            } else {
                on_allow_list(store, caller, &hash).await?;
            }
        }
        // Plain text: allowed unless only registered documents run.
        None if may_register => {}
        None => on_allow_list(store, caller, &hash_of(&request.query)).await?,
    }
    Ok(())
}

/// In allow-list mode: the document of `hash` runs only for the merchant whose read-write
/// key registered it (its keys and its sessions' client secrets).
async fn on_allow_list(store: &PersistedQueries, caller: Option<Caller>, hash: &str) -> Result<(), Refusal> {
    let Some(caller) = caller else { return Err(Refusal::NotInList) };
    match Box::pin(store.approved(caller.merchant(), hash)).await.map_err(fault)? {
        true => Ok(()),
        false => Err(Refusal::NotInList),
    }
}

/// `{ version: 1, sha256Hash: "<64 hex>" }`.
fn requested_hash(value: &async_graphql::Value) -> Result<String, Refusal> {
    let async_graphql::Value::Object(fields) = value else {
        return Err(Refusal::Malformed("`extensions.persistedQuery` must be an object"));
    };
    let version = fields.get("version").and_then(|v| match v {
        async_graphql::Value::Number(n) => n.as_i64(),
        _ => None,
    });
    if version != Some(1) {
        return Err(Refusal::Malformed("persisted query version 1 is the only one supported"));
    }
    match fields.get("sha256Hash") {
        Some(async_graphql::Value::String(hash))
            if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Ok(hash.clone())
        }
        _ => Err(Refusal::Malformed("`sha256Hash` must be 64 lower-case hex digits")),
    }
}

fn fault(error: crate::error::AppError) -> Refusal {
    tracing::error!(%error, "persisted query store");
    Refusal::Fault
}
