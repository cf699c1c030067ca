//! The writes a status change may carry, typed. Services say what must happen; storage
//! builds the SQL, runs it in the transition's transaction and checks that each write
//! affected exactly the rows it must. A guarded write that finds nothing to change (a token
//! already spent, an order another session claimed) rolls the whole transition back with the
//! guard that refused it: there is no silent no-op on the money path.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query, QueryStatementBuilder, SimpleExpr};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait, Statement, StatementBuilder};
use uuid::Uuid;

use super::entities::{
    card_token, idempotency_key, ledger_entry, order, payment, payment_profile, payment_session, subscription,
    verification,
};
use crate::domain::order::OrderStatus;
use crate::domain::payment::VerificationStatus;
use crate::domain::subscription::SubscriptionStatus;
use crate::domain::{FraudDecision, PaymentStatus};

/// One write that commits with a session's status change. "The session" is the one changing.
#[derive(Debug, Clone)]
pub enum SessionWrite {
    /// A vault token is spent; a token is spent once.
    SpendCardToken {
        token: String,
    },
    /// A wallet's card, kept in the vault already spent so the payment points at it.
    KeepWalletCard(card_token::Model),
    InsertPayment(payment::Model),
    /// The outcome of an attempt still waiting for one.
    RecordOutcome(Outcome),
    InsertVerification(verification::Model),
    /// The outcome of a SETUP session's verification still waiting for one.
    RecordVerification {
        id: Uuid,
        status: VerificationStatus,
        outcome: Outcome,
    },
    CountFailedAttempt,
    /// The session takes the order: it is OPEN and no other session holds it.
    ClaimOrder {
        order: Uuid,
    },
    /// The session's attempt ended unpaid: the order it held is free again.
    ReleaseOrder {
        order: Uuid,
    },
    /// The order the session holds is PAID.
    MarkOrderPaid {
        order: Uuid,
    },
    /// The session takes the subscription's unpaid period: the subscription is one of
    /// `payable`, or ACTIVE with this session as its renewal, and no other session holds it.
    ClaimSubscription {
        subscription: Uuid,
        payable: &'static [SubscriptionStatus],
    },
    ReleaseSubscription {
        subscription: Uuid,
    },
    /// The period the session holds is paid: the subscription runs to `period.end`.
    PayPeriod {
        subscription: Uuid,
        period: PaidPeriod,
    },
    /// Renewals of the subscription charge the profile the session saved or paid with.
    RenewWithSessionProfile {
        subscription: Uuid,
    },
    /// The session was a renewal and went unpaid: its ACTIVE subscription is PAST_DUE (a
    /// renewal failing again while PAST_DUE changes nothing).
    RenewalUnpaid,
    PostLedgerEntry(ledger_entry::Model),
    /// Saves a profile, or refreshes (and revives) the customer's profile of the same card.
    SaveProfile(payment_profile::Model),
    /// The session points at the customer's profile of the card with `fingerprint`.
    LinkProfileByFingerprint {
        customer: Uuid,
        fingerprint: String,
    },
    /// The session points at `profile`.
    LinkProfile {
        profile: Uuid,
    },
    /// `profile` is the customer's only default.
    ClearDefaultProfile {
        customer: Uuid,
    },
    SetDefaultProfile {
        customer: Uuid,
        profile: ProfileRef,
    },
    /// The idempotency record of the request that did this work.
    CompleteIdempotency {
        merchant: Uuid,
        operation: &'static str,
        key: String,
        response: String,
    },
}

/// What an attempt came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub payment: Uuid,
    pub status: PaymentStatus,
    pub decline_code: Option<String>,
    pub risk_score: i32,
    pub fraud_rule: Option<String>,
    pub fraud_decision: FraudDecision,
}

/// A subscription period, paid.
#[derive(Debug, Clone)]
pub struct PaidPeriod {
    pub anchor: DateTime<Utc>,
    pub periods_paid: i32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A profile by id, or the customer's profile of a card.
#[derive(Debug, Clone)]
pub enum ProfileRef {
    Id(Uuid),
    Fingerprint(String),
}

/// The guarded write that refused a transition: nothing of it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Guard {
    #[error("the card token was already spent")]
    CardTokenSpent,
    #[error("the order is paid or being paid by another session")]
    OrderNotPayable,
    #[error("the subscription's period is paid or being paid by another session")]
    SubscriptionNotPayable,
    #[error("the claim this session should hold is not held")]
    ClaimNotHeld,
    #[error("the attempt has an outcome already")]
    OutcomeRecorded,
    #[error("the idempotency record is not waiting for this work")]
    IdempotencyRecord,
    #[error("the row this write must change does not exist")]
    Missing,
}

/// How many rows a write must affect.
pub(super) enum Expect {
    ExactlyOne(Guard),
    /// Zero or more: a write whose target may rightly be absent.
    Any,
}

impl SessionWrite {
    /// The statement of this write for `session` at `at`, and what it must affect.
    pub(super) fn statement(
        &self,
        session: &payment_session::Model,
        at: DateTime<Utc>,
        backend: DbBackend,
    ) -> (Statement, Expect) {
        use Expect::{Any, ExactlyOne};
        match self {
            SessionWrite::SpendCardToken { token } => (
                card_token::Entity::update_many()
                    .col_expr(card_token::Column::UsedAt, Expr::value(at))
                    .filter(card_token::Column::Id.eq(token.as_str()))
                    .filter(card_token::Column::MerchantId.eq(session.merchant_id))
                    .filter(card_token::Column::UsedAt.is_null())
                    .build(backend),
                ExactlyOne(Guard::CardTokenSpent),
            ),
            SessionWrite::KeepWalletCard(card) => (
                card_token::Entity::insert(card_token::ActiveModel::from(card.clone())).build(backend),
                ExactlyOne(Guard::Missing),
            ),
            SessionWrite::InsertPayment(row) => (
                payment::Entity::insert(payment::ActiveModel::from(row.clone())).build(backend),
                ExactlyOne(Guard::Missing),
            ),
            SessionWrite::RecordOutcome(outcome) => {
                (record_outcome(session, outcome, at, backend), ExactlyOne(Guard::OutcomeRecorded))
            }
            SessionWrite::InsertVerification(row) => (
                verification::Entity::insert(verification::ActiveModel::from(row.clone())).build(backend),
                ExactlyOne(Guard::Missing),
            ),
            SessionWrite::RecordVerification { id, status, outcome } => {
                use verification::Column as V;
                let statement = verification::Entity::update_many()
                    .col_expr(V::Status, Expr::value(status.as_str()))
                    .col_expr(V::DeclineCode, Expr::value(outcome.decline_code.clone()))
                    .col_expr(V::FraudRule, Expr::value(outcome.fraud_rule.clone()))
                    .col_expr(V::RiskScore, Expr::value(outcome.risk_score))
                    .col_expr(V::UpdatedAt, Expr::value(at))
                    .filter(V::Id.eq(*id))
                    .filter(V::PaymentSessionId.eq(session.id))
                    .filter(V::Status.eq(VerificationStatus::Processing.as_str()))
                    .build(backend);
                (statement, ExactlyOne(Guard::OutcomeRecorded))
            }
            SessionWrite::CountFailedAttempt => (
                StatementBuilder::build(
                    Query::update()
                        .table(payment_session::Entity)
                        .value(
                            payment_session::Column::AttemptCount,
                            Expr::col(payment_session::Column::AttemptCount).add(1),
                        )
                        .and_where(payment_session::Column::Id.eq(session.id)),
                    &backend,
                ),
                ExactlyOne(Guard::Missing),
            ),
            SessionWrite::ClaimOrder { order } => (
                order_update(*order, session, at, backend)
                    .col_expr(order::Column::PayingSessionId, Expr::value(session.id))
                    .filter(order::Column::Status.eq(OrderStatus::Open.as_str()))
                    .filter(order::Column::PayingSessionId.is_null())
                    .build(backend),
                ExactlyOne(Guard::OrderNotPayable),
            ),
            SessionWrite::ReleaseOrder { order } => (
                order_update(*order, session, at, backend)
                    .col_expr(order::Column::PayingSessionId, Expr::value(Option::<Uuid>::None))
                    .filter(order::Column::Status.eq(OrderStatus::Open.as_str()))
                    .filter(order::Column::PayingSessionId.eq(session.id))
                    .build(backend),
                ExactlyOne(Guard::ClaimNotHeld),
            ),
            SessionWrite::MarkOrderPaid { order } => (
                order_update(*order, session, at, backend)
                    .col_expr(order::Column::Status, Expr::value(OrderStatus::Paid.as_str()))
                    .filter(order::Column::Status.eq(OrderStatus::Open.as_str()))
                    .filter(order::Column::PayingSessionId.eq(session.id))
                    .build(backend),
                ExactlyOne(Guard::ClaimNotHeld),
            ),
            SessionWrite::ClaimSubscription { subscription, payable } => {
                use subscription::Column as S;
                let payable_now =
                    Expr::col(S::Status).is_in(payable.iter().map(|s| s.as_str())).or(Expr::col(S::Status)
                        .eq(SubscriptionStatus::Active.as_str())
                        .and(Expr::col(S::RenewalSessionId).eq(session.id)));
                let statement = subscription_update(*subscription, session, at)
                    .col_expr(S::PayingSessionId, Expr::value(session.id))
                    .filter(S::PayingSessionId.is_null())
                    .filter(payable_now)
                    .build(backend);
                (statement, ExactlyOne(Guard::SubscriptionNotPayable))
            }
            SessionWrite::ReleaseSubscription { subscription } => (
                subscription_update(*subscription, session, at)
                    .col_expr(subscription::Column::PayingSessionId, Expr::value(Option::<Uuid>::None))
                    .filter(subscription::Column::PayingSessionId.eq(session.id))
                    .build(backend),
                ExactlyOne(Guard::ClaimNotHeld),
            ),
            SessionWrite::PayPeriod { subscription, period } => {
                use subscription::Column as S;
                let statement = subscription_update(*subscription, session, at)
                    .col_expr(S::Status, Expr::value(SubscriptionStatus::Active.as_str()))
                    .col_expr(S::BillingAnchor, Expr::value(period.anchor))
                    .col_expr(S::PeriodsPaid, Expr::value(period.periods_paid))
                    .col_expr(S::CurrentPeriodStart, Expr::value(period.start))
                    .col_expr(S::CurrentPeriodEnd, Expr::value(period.end))
                    .col_expr(S::RenewalSessionId, Expr::value(Option::<Uuid>::None))
                    .col_expr(S::PayingSessionId, Expr::value(Option::<Uuid>::None))
                    .filter(S::PayingSessionId.eq(session.id))
                    .build(backend);
                (statement, ExactlyOne(Guard::ClaimNotHeld))
            }
            SessionWrite::RenewWithSessionProfile { subscription } => {
                let saved = Query::select()
                    .column(payment_session::Column::PaymentProfileId)
                    .from(payment_session::Entity)
                    .and_where(payment_session::Column::Id.eq(session.id))
                    .to_owned();
                let statement = subscription_update(*subscription, session, at)
                    .col_expr(
                        subscription::Column::DefaultPaymentProfileId,
                        Expr::SubQuery(None, Box::new(saved.into_sub_query_statement())),
                    )
                    .build(backend);
                (statement, ExactlyOne(Guard::Missing))
            }
            SessionWrite::RenewalUnpaid => (
                subscription::Entity::update_many()
                    .col_expr(subscription::Column::Status, Expr::value(SubscriptionStatus::PastDue.as_str()))
                    .col_expr(subscription::Column::UpdatedAt, Expr::value(at))
                    .filter(subscription::Column::RenewalSessionId.eq(session.id))
                    .filter(subscription::Column::Status.eq(SubscriptionStatus::Active.as_str()))
                    .build(backend),
                Any,
            ),
            SessionWrite::PostLedgerEntry(entry) => (
                ledger_entry::Entity::insert(ledger_entry::ActiveModel::from(entry.clone())).build(backend),
                ExactlyOne(Guard::Missing),
            ),
            SessionWrite::SaveProfile(profile) => (save_profile(profile, backend), ExactlyOne(Guard::Missing)),
            SessionWrite::LinkProfileByFingerprint { customer, fingerprint } => {
                let profile = Query::select()
                    .column(payment_profile::Column::Id)
                    .from(payment_profile::Entity)
                    .and_where(payment_profile::Column::CustomerId.eq(*customer))
                    .and_where(payment_profile::Column::Fingerprint.eq(fingerprint.as_str()))
                    .to_owned();
                (
                    link_profile(session, Expr::SubQuery(None, Box::new(profile.into_sub_query_statement())), backend),
                    ExactlyOne(Guard::Missing),
                )
            }
            SessionWrite::LinkProfile { profile } => {
                (link_profile(session, Expr::value(*profile), backend), ExactlyOne(Guard::Missing))
            }
            SessionWrite::ClearDefaultProfile { customer } => (clear_default(*customer, backend), Any),
            SessionWrite::SetDefaultProfile { customer, profile } => {
                (set_default(*customer, profile, backend), ExactlyOne(Guard::Missing))
            }
            SessionWrite::CompleteIdempotency { merchant, operation, key, response } => {
                use idempotency_key::Column as K;
                let statement = idempotency_key::Entity::update_many()
                    .col_expr(K::Response, Expr::value(response.as_str()))
                    .col_expr(K::CompletedAt, Expr::value(at))
                    .filter(K::MerchantId.eq(*merchant))
                    .filter(K::Operation.eq(*operation))
                    .filter(K::Key.eq(key.as_str()))
                    .filter(K::Response.is_null())
                    .build(backend);
                (statement, ExactlyOne(Guard::IdempotencyRecord))
            }
        }
    }
}

fn record_outcome(session: &payment_session::Model, o: &Outcome, at: DateTime<Utc>, backend: DbBackend) -> Statement {
    use payment::Column as P;
    let waiting = PaymentStatus::ALL.iter().filter(|s| s.awaits_outcome()).map(|s| s.as_str());
    payment::Entity::update_many()
        .col_expr(P::Status, Expr::value(o.status.as_str()))
        .col_expr(P::DeclineCode, Expr::value(o.decline_code.clone()))
        .col_expr(P::RiskScore, Expr::value(o.risk_score))
        .col_expr(P::FraudRule, Expr::value(o.fraud_rule.clone()))
        .col_expr(P::FraudDecision, Expr::value(o.fraud_decision.as_str()))
        .col_expr(P::UpdatedAt, Expr::value(at))
        .filter(P::Id.eq(o.payment))
        .filter(P::PaymentSessionId.eq(session.id))
        .filter(P::Status.is_in(waiting))
        .build(backend)
}

fn order_update(
    id: Uuid,
    session: &payment_session::Model,
    at: DateTime<Utc>,
    _backend: DbBackend,
) -> sea_orm::UpdateMany<order::Entity> {
    order::Entity::update_many()
        .col_expr(order::Column::UpdatedAt, Expr::value(at))
        .filter(order::Column::Id.eq(id))
        .filter(order::Column::MerchantId.eq(session.merchant_id))
}

fn subscription_update(
    id: Uuid,
    session: &payment_session::Model,
    at: DateTime<Utc>,
) -> sea_orm::UpdateMany<subscription::Entity> {
    subscription::Entity::update_many()
        .col_expr(subscription::Column::UpdatedAt, Expr::value(at))
        .filter(subscription::Column::Id.eq(id))
        .filter(subscription::Column::MerchantId.eq(session.merchant_id))
}

fn save_profile(profile: &payment_profile::Model, backend: DbBackend) -> Statement {
    use payment_profile::Column as P;
    payment_profile::Entity::insert(payment_profile::ActiveModel::from(profile.clone()))
        .on_conflict(
            OnConflict::columns([P::CustomerId, P::Fingerprint])
                .update_columns([
                    P::MethodType,
                    P::Brand,
                    P::Last4,
                    P::ExpMonth,
                    P::ExpYear,
                    P::ProcessorToken,
                    P::PaymentSessionId,
                    P::RemovedAt,
                ])
                .to_owned(),
        )
        .build(backend)
}

fn link_profile(session: &payment_session::Model, profile: SimpleExpr, backend: DbBackend) -> Statement {
    StatementBuilder::build(
        Query::update()
            .table(payment_session::Entity)
            .value(payment_session::Column::PaymentProfileId, profile)
            .and_where(payment_session::Column::Id.eq(session.id)),
        &backend,
    )
}

/// The customer has no default profile (the first step of making one the default).
pub(super) fn clear_default(customer: Uuid, backend: DbBackend) -> Statement {
    use payment_profile::Column as P;
    payment_profile::Entity::update_many()
        .col_expr(P::IsDefault, Expr::value(false))
        .filter(P::CustomerId.eq(customer))
        .filter(P::IsDefault.eq(true))
        .build(backend)
}

/// The customer's profile `which` (not removed) is their default.
pub(super) fn set_default(customer: Uuid, which: &ProfileRef, backend: DbBackend) -> Statement {
    use payment_profile::Column as P;
    let which = match which {
        ProfileRef::Id(id) => P::Id.eq(*id),
        ProfileRef::Fingerprint(fingerprint) => P::Fingerprint.eq(fingerprint.as_str()),
    };
    payment_profile::Entity::update_many()
        .col_expr(P::IsDefault, Expr::value(true))
        .filter(P::CustomerId.eq(customer))
        .filter(P::RemovedAt.is_null())
        .filter(which)
        .build(backend)
}
