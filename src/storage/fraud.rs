//! What the fraud rules read: recent attempts by one signal, and each merchant's blocklist.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, QueryStatementBuilder, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, ModelTrait,
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

/// For each of `signals`, the attempts of `merchant` with it since `since`, other than
/// `except`: payments and SETUP verifications alike. One statement for all of them, since
/// every confirmation runs it.
pub async fn recent_attempts(
    db: &DatabaseConnection,
    merchant: MerchantId,
    signals: &[Signal<'_>],
    since: DateTime<Utc>,
    except: Uuid,
) -> Result<Vec<u64>, DbErr> {
    if signals.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = Query::select();
    for (i, signal) in signals.iter().enumerate() {
        let (payment_match, verification_match) = match *signal {
            Signal::Card(fingerprint) => (
                payment::Column::CardFingerprint.eq(fingerprint),
                verification::Column::CardFingerprint.eq(fingerprint),
            ),
            Signal::Ip(ip) => (payment::Column::ClientIp.eq(ip), verification::Column::ClientIp.eq(ip)),
            Signal::Customer(c) => (payment::Column::CustomerId.eq(c.0), verification::Column::CustomerId.eq(c.0)),
        };
        let payments = Query::select()
            .expr(Expr::col(payment::Column::Id).count())
            .from(payment::Entity)
            .and_where(payment::Column::MerchantId.eq(merchant.0))
            .and_where(payment_match)
            .and_where(payment::Column::CreatedAt.gte(since))
            .and_where(payment::Column::Id.ne(except))
            .to_owned();
        let verifications = Query::select()
            .expr(Expr::col(verification::Column::Id).count())
            .from(verification::Entity)
            .and_where(verification::Column::MerchantId.eq(merchant.0))
            .and_where(verification_match)
            .and_where(verification::Column::CreatedAt.gte(since))
            .and_where(verification::Column::Id.ne(except))
            .to_owned();
        let both = Expr::expr(SimpleExpr::SubQuery(None, Box::new(payments.into_sub_query_statement())))
            .add(SimpleExpr::SubQuery(None, Box::new(verifications.into_sub_query_statement())));
        query.expr_as(both, Alias::new(format!("n{i}")));
    }
    let backend = db.get_database_backend();
    let row = db.query_one_raw(backend.build(&query)).await?.ok_or_else(|| DbErr::RecordNotFound("counts".into()))?;
    (0..signals.len()).map(|i| Ok(u64::try_from(row.try_get::<i64>("", &format!("n{i}"))?).unwrap_or(0))).collect()
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
    let txn = super::begin_write(db).await?;
    match blocklist_entry::ActiveModel::from(blocklist_entry::Model::from(entry)).insert(&txn).await {
        Ok(added) => {
            super::audit::commit(txn).await?;
            Ok(Some(BlocklistEntry::try_from(added)?))
        }
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
    let txn = super::begin_write(db).await?;
    entry.clone().delete(&txn).await?;
    super::audit::commit(txn).await?;
    Ok(Some(BlocklistEntry::try_from(entry)?))
}
