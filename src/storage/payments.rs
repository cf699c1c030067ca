//! Payment attempts and what they charged: the reads the payment use cases need, and the
//! one write outside a transition (a waiting bank transfer's fraud verdict).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::entities::{card_token, payment, payment_profile, payment_session, verification};
use crate::domain::card::VaultCard;
use crate::domain::payment::{Payment, Verification, VerificationStatus};
use crate::domain::profile::PaymentProfile;
use crate::domain::session::PaymentSession;
use crate::domain::{FraudDecision, MerchantId, PaymentStatus, SessionStatus};

/// A payment by id, whoever's it is (the caller has already scoped it).
pub async fn payment(db: &DatabaseConnection, id: Uuid) -> Result<Option<Payment>, DbErr> {
    payment::Entity::find_by_id(id).one(db).await?.map(Payment::try_from).transpose()
}

/// A payment of `merchant`; another merchant's reads as missing.
pub async fn merchant_payment(
    db: &DatabaseConnection,
    merchant: MerchantId,
    id: Uuid,
) -> Result<Option<Payment>, DbErr> {
    let row = payment::Entity::find_by_id(id).filter(payment::Column::MerchantId.eq(merchant.0)).one(db).await?;
    row.map(Payment::try_from).transpose()
}

/// The session's newest attempt still waiting for its outcome, if any.
pub async fn waiting_attempt(db: &DatabaseConnection, session: Uuid) -> Result<Option<Payment>, DbErr> {
    let waiting = PaymentStatus::AWAITING_OUTCOME.iter().map(|s| s.as_str());
    let row = payment::Entity::find()
        .filter(payment::Column::PaymentSessionId.eq(session))
        .filter(payment::Column::Status.is_in(waiting))
        .order_by_desc(payment::Column::CreatedAt)
        .one(db)
        .await?;
    row.map(Payment::try_from).transpose()
}

/// Records the fraud rules' verdict on an attempt that goes on waiting (a bank transfer):
/// once, on an attempt not yet judged. `None`: it was judged already.
pub async fn record_assessment(db: &DatabaseConnection, id: Uuid, risk_score: i32) -> Result<Option<Payment>, DbErr> {
    let updated = payment::Entity::update_many()
        .col_expr(payment::Column::RiskScore, Expr::value(risk_score))
        .col_expr(payment::Column::FraudDecision, Expr::value(FraudDecision::Allow.as_str()))
        .filter(payment::Column::Id.eq(id))
        .filter(payment::Column::FraudDecision.eq(FraudDecision::Pending.as_str()))
        .exec(db)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(None);
    }
    payment(db, id).await
}

pub async fn verification(db: &DatabaseConnection, id: Uuid) -> Result<Option<Verification>, DbErr> {
    verification::Entity::find_by_id(id).one(db).await?.map(Verification::try_from).transpose()
}

/// The session's SETUP verification still waiting for its outcome, if any.
pub async fn waiting_verification(db: &DatabaseConnection, session: Uuid) -> Result<Option<Verification>, DbErr> {
    let row = verification::Entity::find()
        .filter(verification::Column::PaymentSessionId.eq(session))
        .filter(verification::Column::Status.eq(VerificationStatus::Processing.as_str()))
        .one(db)
        .await?;
    row.map(Verification::try_from).transpose()
}

/// Sessions in PROCESSING since before `before`, oldest first: attempts to reconcile.
pub async fn processing_since(
    db: &DatabaseConnection,
    before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<PaymentSession>, DbErr> {
    let rows = payment_session::Entity::find()
        .filter(payment_session::Column::Status.eq(SessionStatus::Processing.as_str()))
        .filter(payment_session::Column::UpdatedAt.lte(before))
        .order_by_asc(payment_session::Column::UpdatedAt)
        .limit(limit)
        .all(db)
        .await?;
    rows.into_iter().map(PaymentSession::try_from).collect()
}

/// A vault token of `merchant` by its id.
pub async fn card_token(
    db: &DatabaseConnection,
    merchant: MerchantId,
    token: &str,
) -> Result<Option<VaultCard>, DbErr> {
    let row = card_token::Entity::find_by_id(token.to_owned())
        .filter(card_token::Column::MerchantId.eq(merchant.0))
        .one(db)
        .await?;
    row.map(VaultCard::try_from).transpose()
}

/// What a payment charged: its vault row (a card or a wallet's card), if it charged one.
pub async fn charged_card(db: &DatabaseConnection, payment: &Payment) -> Result<Option<VaultCard>, DbErr> {
    match &payment.card_token {
        Some(id) => card_token::Entity::find_by_id(id.clone()).one(db).await?.map(VaultCard::try_from).transpose(),
        None => Ok(None),
    }
}

/// The saved profile a payment charged, if it charged one (removed or not).
pub async fn charged_profile(db: &DatabaseConnection, payment: &Payment) -> Result<Option<PaymentProfile>, DbErr> {
    match payment.profile {
        Some(id) => payment_profile::Entity::find_by_id(id.0).one(db).await?.map(PaymentProfile::try_from).transpose(),
        None => Ok(None),
    }
}

/// The processor account that holds a payment's charge (none: the test processor).
pub async fn processor_account_of(db: &DatabaseConnection, payment: Uuid) -> Result<Option<Uuid>, DbErr> {
    let row = payment::Entity::find_by_id(payment).one(db).await?;
    Ok(row.ok_or_else(|| DbErr::RecordNotFound(format!("payment {payment}")))?.processor_account_id)
}

/// The payment held by processor account `account` as `reference` (a Stripe PaymentIntent).
pub async fn by_processor_reference(
    db: &DatabaseConnection,
    account: Uuid,
    reference: &str,
) -> Result<Option<Uuid>, DbErr> {
    let row = payment::Entity::find()
        .filter(payment::Column::ProcessorAccountId.eq(account))
        .filter(payment::Column::ProcessorReference.eq(reference))
        .one(db)
        .await?;
    Ok(row.map(|r| r.id))
}

/// Keeps a card the vault tokenized.
pub async fn insert_card(db: &DatabaseConnection, card: VaultCard) -> Result<VaultCard, DbErr> {
    let row = super::records::insert_row::<card_token::ActiveModel>(db, card_token::Model::from(card)).await?;
    VaultCard::try_from(row)
}
