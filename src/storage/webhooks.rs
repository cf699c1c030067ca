//! Webhook endpoints. Every write names the merchant, so another merchant's endpoint reads
//! and writes as missing; a deleted endpoint is kept for its deliveries but gone for the API.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entities::webhook_endpoint::{self, Column as W};
use crate::domain::MerchantId;
use crate::domain::webhook::{EndpointStatus, WebhookEndpoint};

pub async fn insert(
    db: &DatabaseConnection,
    endpoint: WebhookEndpoint,
    secret: &str,
) -> Result<WebhookEndpoint, DbErr> {
    let mut row = webhook_endpoint::Model::from(endpoint);
    row.signing_secret = secret.to_owned();
    // It receives the events that come after it: its feed starts at the merchant's newest.
    let merchant = super::entities::merchant::Entity::find_by_id(row.merchant_id).one(db).await?;
    row.fed_seq = merchant.map_or(0, |m| m.event_seq);
    let txn = super::begin_write(db).await?;
    let row = webhook_endpoint::ActiveModel::from(row).insert(&txn).await?;
    super::audit::commit(txn).await?;
    WebhookEndpoint::try_from(row)
}

/// The changes of an update; `None` keeps a field.
#[derive(Debug, Default, Clone)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    /// The JSON array of kinds.
    pub event_kinds: Option<String>,
    pub signing_secret: Option<String>,
    /// Set: deleted at this instant.
    pub deleted_at: Option<DateTime<Utc>>,
    /// Enabled: its failing streak is forgotten and what waited is due now. Disabled by the
    /// merchant: said so.
    pub status: Option<EndpointStatus>,
}

/// Applies `changes` to `merchant`'s live endpoint `id`; `None` when there is no such endpoint.
///
/// Deleting locks the endpoint, then its waiting deliveries, while the webhook settler locks
/// a delivery, then its endpoint (its failing streak): PostgreSQL may break the rare cycle by
/// aborting this transaction, which then runs again (at most three times).
pub async fn update(
    db: &DatabaseConnection,
    merchant: MerchantId,
    id: Uuid,
    changes: EndpointChanges,
    at: DateTime<Utc>,
) -> Result<Option<WebhookEndpoint>, DbErr> {
    let mut tries = 0;
    loop {
        tries += 1;
        match apply(db, merchant, id, &changes, at).await {
            Err(error) if tries < 3 && super::is_transient(&error) => {
                tracing::debug!(%error, "an endpoint change ran into the settler; running it again");
            }
            done => return done,
        }
    }
}

async fn apply(
    db: &DatabaseConnection,
    merchant: MerchantId,
    id: Uuid,
    changes: &EndpointChanges,
    at: DateTime<Utc>,
) -> Result<Option<WebhookEndpoint>, DbErr> {
    let changes = changes.clone();
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
    if let Some(status) = changes.status {
        let reason = (status == EndpointStatus::Disabled).then_some("disabled with updateWebhookEndpoint");
        columns.push((W::Status, Expr::value(status.as_str())));
        columns.push((W::DisabledReason, Expr::value(reason)));
        columns.push((W::FailingSince, Expr::value(Option::<DateTime<Utc>>::None)));
    }
    let mut update = webhook_endpoint::Entity::update_many();
    for (column, value) in columns {
        update = update.col_expr(column, value);
    }
    let txn = super::begin_write(db).await?;
    let rows = update
        .filter(W::Id.eq(id))
        .filter(W::MerchantId.eq(merchant.0))
        .filter(W::DeletedAt.is_null())
        .exec_with_returning(&txn)
        .await?;
    let endpoint = rows.into_iter().next().map(WebhookEndpoint::try_from).transpose()?;
    // A deleted endpoint's waiting deliveries go with it, in the same transaction.
    if changes.deleted_at.is_some() && endpoint.is_some() {
        super::deliveries::drop_waiting(&txn, id).await?;
    }
    super::audit::commit(txn).await?;
    if changes.status == Some(EndpointStatus::Enabled) && endpoint.is_some() {
        use super::entities::webhook_delivery::{self, Column as D};
        webhook_delivery::Entity::update_many()
            .col_expr(D::NextAttemptAt, Expr::value(at))
            .filter(D::EndpointId.eq(id))
            .filter(D::State.eq(crate::domain::webhook_delivery::DeliveryState::Pending.as_str()))
            .exec(db)
            .await?;
    }
    Ok(endpoint)
}

/// How many endpoints `merchant` has that are not deleted.
pub async fn count_live(db: &DatabaseConnection, merchant: MerchantId) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    webhook_endpoint::Entity::find().filter(W::MerchantId.eq(merchant.0)).filter(W::DeletedAt.is_null()).count(db).await
}

/// `merchant`'s endpoint `id` if it is not deleted, with the event number it is fed up to.
pub async fn live(
    db: &DatabaseConnection,
    merchant: MerchantId,
    id: Uuid,
) -> Result<Option<(WebhookEndpoint, i64)>, DbErr> {
    let row = webhook_endpoint::Entity::find_by_id(id)
        .filter(W::MerchantId.eq(merchant.0))
        .filter(W::DeletedAt.is_null())
        .one(db)
        .await?;
    row.map(|row| {
        let fed = row.fed_seq;
        WebhookEndpoint::try_from(row).map(|endpoint| (endpoint, fed))
    })
    .transpose()
}
