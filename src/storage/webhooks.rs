//! Webhook endpoints. Every write names the merchant, so another merchant's endpoint reads
//! and writes as missing; a deleted endpoint is kept for its deliveries but gone for the API.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entities::webhook_endpoint::{self, Column as W};
use crate::domain::MerchantId;
use crate::domain::webhook::WebhookEndpoint;

pub async fn insert(
    db: &DatabaseConnection,
    endpoint: WebhookEndpoint,
    secret: &str,
) -> Result<WebhookEndpoint, DbErr> {
    let mut row = webhook_endpoint::Model::from(endpoint);
    row.signing_secret = secret.to_owned();
    WebhookEndpoint::try_from(webhook_endpoint::ActiveModel::from(row).insert(db).await?)
}

/// The changes of an update; `None` keeps a field.
#[derive(Debug, Default)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    /// The JSON array of kinds.
    pub event_kinds: Option<String>,
    pub signing_secret: Option<String>,
    /// Set: deleted at this instant.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Applies `changes` to `merchant`'s live endpoint `id`; `None` when there is no such endpoint.
pub async fn update(
    db: &DatabaseConnection,
    merchant: MerchantId,
    id: Uuid,
    changes: EndpointChanges,
    at: DateTime<Utc>,
) -> Result<Option<WebhookEndpoint>, DbErr> {
    let mut columns: Vec<(W, SimpleExpr)> = vec![(W::UpdatedAt, Expr::value(at))];
    if let Some(url) = changes.url {
        columns.push((W::Url, Expr::value(url)));
    }
    if let Some(description) = changes.description {
        columns.push((W::Description, Expr::value(description)));
    }
    if let Some(kinds) = changes.event_kinds {
        columns.push((W::EventKinds, Expr::value(kinds)));
    }
    if let Some(secret) = changes.signing_secret {
        columns.push((W::SigningSecret, Expr::value(secret)));
    }
    if let Some(deleted) = changes.deleted_at {
        columns.push((W::DeletedAt, Expr::value(deleted)));
    }
    let mut update = webhook_endpoint::Entity::update_many();
    for (column, value) in columns {
        update = update.col_expr(column, value);
    }
    let rows = update
        .filter(W::Id.eq(id))
        .filter(W::MerchantId.eq(merchant.0))
        .filter(W::DeletedAt.is_null())
        .exec_with_returning(db)
        .await?;
    rows.into_iter().next().map(WebhookEndpoint::try_from).transpose()
}

/// How many endpoints `merchant` has that are not deleted.
pub async fn count_live(db: &DatabaseConnection, merchant: MerchantId) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    webhook_endpoint::Entity::find().filter(W::MerchantId.eq(merchant.0)).filter(W::DeletedAt.is_null()).count(db).await
}
