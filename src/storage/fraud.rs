//! What the fraud rules read: recent attempts by one signal, and each merchant's blocklist.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, ModelTrait, PaginatorTrait,
    QueryFilter,
};
use uuid::Uuid;

use super::entities::{blocklist_entry, payment, verification};
use super::is_unique_violation;
use crate::domain::fraud::{BlocklistEntry, BlocklistKind};
use crate::domain::{CustomerId, MerchantId};

/// What one velocity rule counts by.
#[derive(Clone, Copy, Debug)]
pub enum Signal<'a> {
    /// A card's keyed fingerprint.
    Card(&'a str),
    /// A canonical client IP.
    Ip(&'a str),
    Customer(CustomerId),
}

/// Attempts of `merchant` with `signal` since `since`, other than `except`: payments and
/// SETUP verifications alike.
pub async fn recent_attempts(
    db: &DatabaseConnection,
    merchant: MerchantId,
    signal: Signal<'_>,
    since: DateTime<Utc>,
    except: Uuid,
) -> Result<u64, DbErr> {
    let (payment_match, verification_match) = match signal {
        Signal::Card(fingerprint) => {
            (payment::Column::CardFingerprint.eq(fingerprint), verification::Column::CardFingerprint.eq(fingerprint))
        }
        Signal::Ip(ip) => (payment::Column::ClientIp.eq(ip), verification::Column::ClientIp.eq(ip)),
        Signal::Customer(c) => (payment::Column::CustomerId.eq(c.0), verification::Column::CustomerId.eq(c.0)),
    };
    let payments = payment::Entity::find()
        .filter(payment::Column::MerchantId.eq(merchant.0))
        .filter(payment_match)
        .filter(payment::Column::CreatedAt.gte(since))
        .filter(payment::Column::Id.ne(except))
        .count(db)
        .await?;
    let verifications = verification::Entity::find()
        .filter(verification::Column::MerchantId.eq(merchant.0))
        .filter(verification_match)
        .filter(verification::Column::CreatedAt.gte(since))
        .filter(verification::Column::Id.ne(except))
        .count(db)
        .await?;
    Ok(payments + verifications)
}

/// The kind of the first of `candidates` (kind, canonical value) on the merchant's
/// blocklist, if any is.
pub async fn blocklisted(
    db: &DatabaseConnection,
    merchant: MerchantId,
    candidates: &[(BlocklistKind, &str)],
) -> Result<Option<BlocklistKind>, DbErr> {
    let any = candidates.iter().fold(Condition::any(), |any, (kind, value)| {
        any.add(
            Condition::all()
                .add(blocklist_entry::Column::Kind.eq(kind.as_str()))
                .add(blocklist_entry::Column::Value.eq(*value)),
        )
    });
    let hit = blocklist_entry::Entity::find()
        .filter(blocklist_entry::Column::MerchantId.eq(merchant.0))
        .filter(any)
        .one(db)
        .await?;
    Ok(hit.and_then(|entry| entry.kind.parse().ok()))
}

/// Adds an entry. `None`: the value is on the list already.
pub async fn add(db: &DatabaseConnection, entry: BlocklistEntry) -> Result<Option<BlocklistEntry>, DbErr> {
    match blocklist_entry::ActiveModel::from(blocklist_entry::Model::from(entry)).insert(db).await {
        Ok(added) => Ok(Some(BlocklistEntry::try_from(added)?)),
        Err(e) if is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes the merchant's entry `id`; `None` when there is none.
pub async fn remove(db: &DatabaseConnection, merchant: MerchantId, id: Uuid) -> Result<Option<BlocklistEntry>, DbErr> {
    let Some(entry) = blocklist_entry::Entity::find_by_id(id)
        .filter(blocklist_entry::Column::MerchantId.eq(merchant.0))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    entry.clone().delete(db).await?;
    Ok(Some(BlocklistEntry::try_from(entry)?))
}
