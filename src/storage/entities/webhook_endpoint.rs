//! Row of `webhook_endpoints`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub url: String,
    pub description: Option<String>,
    /// A JSON array of `EventKind` names; empty: every kind.
    pub event_kinds: String,
    /// `whsec_…`, the HMAC key of the signatures; shown once, never read back by the API.
    pub signing_secret: String,
    pub status: String,
    pub disabled_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    /// The merchant event number up to which its deliveries are queued.
    pub fed_seq: i64,
    /// Failing with no success since; cleared by a success.
    pub failing_since: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for crate::domain::webhook::WebhookEndpoint {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        use crate::domain::{MerchantId, WebhookEndpointId};
        let bad = |e: &dyn std::fmt::Display| DbErr::Type(format!("webhook endpoint {}: {e}", row.id));
        let kinds: Vec<String> = serde_json::from_str(&row.event_kinds).map_err(|e| bad(&e))?;
        Ok(crate::domain::webhook::WebhookEndpoint {
            id: WebhookEndpointId(row.id),
            merchant: MerchantId(row.merchant_id),
            url: row.url,
            description: row.description,
            event_kinds: kinds.iter().map(|k| k.parse()).collect::<Result<_, _>>().map_err(|e| bad(&e))?,
            status: row.status.parse().map_err(|e| bad(&e))?,
            disabled_reason: row.disabled_reason,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The row of an endpoint; its secret, deletion and feed mark are kept by the storage calls
/// that set them.
impl From<crate::domain::webhook::WebhookEndpoint> for Model {
    fn from(e: crate::domain::webhook::WebhookEndpoint) -> Self {
        let kinds: Vec<&str> = e.event_kinds.iter().map(|k| k.as_str()).collect();
        Model {
            id: e.id.0,
            merchant_id: e.merchant.0,
            url: e.url,
            description: e.description,
            event_kinds: serde_json::Value::from(kinds).to_string(),
            signing_secret: String::new(),
            status: e.status.as_str().to_owned(),
            disabled_reason: e.disabled_reason,
            created_at: e.created_at,
            updated_at: e.updated_at,
            deleted_at: None,
            fed_seq: 0,
            failing_since: None,
        }
    }
}

/// A stored endpoint as the delivery worker reads it.
impl TryFrom<Model> for crate::domain::webhook::EndpointFeed {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        let (fed_seq, signing_secret, failing_since) = (row.fed_seq, row.signing_secret.clone(), row.failing_since);
        Ok(crate::domain::webhook::EndpointFeed {
            endpoint: crate::domain::webhook::WebhookEndpoint::try_from(row)?,
            fed_seq,
            signing_secret,
            failing_since,
        })
    }
}
