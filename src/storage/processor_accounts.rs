//! Merchants' processor accounts, and the processor references stored on payments and
//! refunds. Each write checks that it took effect.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::entities::{card_token, payment, processor_account, processor_event, refund};
use super::{begin_write, is_unique_violation};

use crate::domain::processor_account::SealedAccount;

/// The account `merchant` has connected now, if any.
pub async fn connected(db: &DatabaseConnection, merchant: Uuid) -> Result<Option<SealedAccount>, DbErr> {
    let row = processor_account::Entity::find()
        .filter(processor_account::Column::MerchantId.eq(merchant))
        .filter(processor_account::Column::DisconnectedAt.is_null())
        .one(db)
        .await?;
    Ok(row.map(Into::into))
}

/// An account by id, connected or not (payments made there are still settled there).
pub async fn account(db: &DatabaseConnection, id: Uuid) -> Result<Option<SealedAccount>, DbErr> {
    Ok(processor_account::Entity::find_by_id(id).one(db).await?.map(Into::into))
}

/// Connects `row`, disconnecting the merchant's current account in the same transaction:
/// connecting again is how a key is replaced.
pub async fn connect(db: &DatabaseConnection, account: SealedAccount) -> Result<SealedAccount, DbErr> {
    let row = processor_account::Model::from(account);
    let txn = begin_write(db).await?;
    processor_account::Entity::update_many()
        .col_expr(processor_account::Column::DisconnectedAt, Expr::value(row.connected_at))
        .filter(processor_account::Column::MerchantId.eq(row.merchant_id))
        .filter(processor_account::Column::DisconnectedAt.is_null())
        .exec(&txn)
        .await?;
    let row = processor_account::ActiveModel::from(row).insert(&txn).await?;
    super::audit::commit(txn).await?;
    Ok(row.into())
}

/// Disconnects `merchant`'s account `id`; false when it has no such connected account.
pub async fn disconnect(db: &DatabaseConnection, merchant: Uuid, id: Uuid, at: DateTime<Utc>) -> Result<bool, DbErr> {
    let result = processor_account::Entity::update_many()
        .col_expr(processor_account::Column::DisconnectedAt, Expr::value(at))
        .filter(processor_account::Column::Id.eq(id))
        .filter(processor_account::Column::MerchantId.eq(merchant))
        .filter(processor_account::Column::DisconnectedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The processor's id of a payment's charge, once stored.
pub async fn charge_reference(db: &DatabaseConnection, payment: Uuid) -> Result<Option<String>, DbErr> {
    let row = payment::Entity::find_by_id(payment).one(db).await?;
    Ok(row.ok_or_else(|| DbErr::RecordNotFound(format!("payment {payment}")))?.processor_reference)
}

/// Stores the processor's id of a payment's charge unless one is stored already; answers
/// the one stored, which every later step uses.
pub async fn record_charge_reference(db: &DatabaseConnection, payment: Uuid, reference: &str) -> Result<String, DbErr> {
    payment::Entity::update_many()
        .col_expr(payment::Column::ProcessorReference, Expr::value(reference))
        .filter(payment::Column::Id.eq(payment))
        .filter(payment::Column::ProcessorReference.is_null())
        .exec(db)
        .await?;
    charge_reference(db, payment).await?.ok_or_else(|| DbErr::RecordNotFound(format!("payment {payment}'s reference")))
}

/// The vault row `payment` charges holds the reusable `token` from now on (what a profile
/// saved from it keeps).
pub async fn record_reusable_token(db: &DatabaseConnection, payment: Uuid, token: &str) -> Result<(), DbErr> {
    let row = payment::Entity::find_by_id(payment).one(db).await?;
    let card =
        row.and_then(|p| p.card_token_id).ok_or_else(|| DbErr::RecordNotFound(format!("payment {payment}'s card")))?;
    let updated = card_token::Entity::update_many()
        .col_expr(card_token::Column::ProcessorToken, Expr::value(token))
        .filter(card_token::Column::Id.eq(card))
        .exec(db)
        .await?;
    if updated.rows_affected == 1 {
        return Ok(());
    }
    Err(DbErr::RecordNotFound(format!("card token of payment {payment}")))
}

/// A refund's processor id, once stored, and the payment it refunds.
pub async fn refund_reference(db: &DatabaseConnection, refund: Uuid) -> Result<Option<(Option<String>, Uuid)>, DbErr> {
    let row = refund::Entity::find_by_id(refund).one(db).await?;
    Ok(row.map(|r| (r.processor_reference, r.payment_id)))
}

/// Stores a refund's processor id (the same id again changes nothing).
pub async fn record_refund_reference(db: &DatabaseConnection, refund: Uuid, reference: &str) -> Result<(), DbErr> {
    let stored = refund::Entity::update_many()
        .col_expr(refund::Column::ProcessorReference, Expr::value(reference))
        .filter(refund::Column::Id.eq(refund))
        .filter(
            sea_orm::Condition::any()
                .add(refund::Column::ProcessorReference.is_null())
                .add(refund::Column::ProcessorReference.eq(reference)),
        )
        .exec(db)
        .await?;
    if stored.rows_affected == 1 {
        return Ok(());
    }
    Err(DbErr::Custom(format!("refund {refund} has another processor reference than {reference}")))
}

/// Whether the processor event `event_id` of `account` was taken before.
pub async fn event_taken(db: &DatabaseConnection, account: Uuid, event_id: &str) -> Result<bool, DbErr> {
    Ok(processor_event::Entity::find_by_id((account, event_id.to_owned())).one(db).await?.is_some())
}

/// Records a processor event as taken; false when it was taken before.
pub async fn take_event(
    db: &DatabaseConnection,
    account: Uuid,
    event_id: &str,
    event_type: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = processor_event::ActiveModel {
        processor_account_id: Set(account),
        event_id: Set(event_id.to_owned()),
        event_type: Set(event_type.to_owned()),
        received_at: Set(at),
    };
    match row.insert(db).await {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}
