//! The SQL of each typed write, and how many rows it must change.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict, Query, QueryStatementBuilder, SimpleExpr};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait, Statement, StatementBuilder};
use uuid::Uuid;

use super::{Expect, Guard, Outcome, ProfileRef, SessionWrite};
use crate::domain::order::OrderStatus;
use crate::domain::payment::VerificationStatus;
use crate::domain::profile::PaymentProfile;
use crate::domain::session::PaymentSession;
use crate::domain::subscription::SubscriptionStatus;
use crate::domain::{MerchantId, PaymentStatus};
use crate::storage::entities::{
    card_token, customer as customer_row, ledger_entry, order, payment, payment_profile, payment_session, subscription,
    verification,
};
use crate::storage::idempotency::{KeyRef, completion};

impl SessionWrite {
    /// The statement of this write for `session` at `at`, and what it must affect.
    pub(in crate::storage) fn statement(
        &self,
        session: &PaymentSession,
        at: DateTime<Utc>,
        backend: DbBackend,
    ) -> (Statement, Expect) {
        use Expect::{Any, ExactlyOne};
        match self {
            SessionWrite::SpendCardToken { token } => (
                card_token::Entity::update_many()
                    .col_expr(card_token::Column::UsedAt, Expr::value(at))
                    .filter(card_token::Column::Id.eq(token.as_str()))
                    .filter(card_token::Column::MerchantId.eq(session.merchant.0))
                    .filter(card_token::Column::UsedAt.is_null())
                    .build(backend),
                ExactlyOne(Guard::CardTokenSpent),
            ),
            SessionWrite::KeepWalletCard(card) => (
                card_token::Entity::insert(card_token::ActiveModel::from(card_token::Model::from(card.clone())))
                    .build(backend),
                ExactlyOne(Guard::Missing),
            ),
            SessionWrite::InsertPayment(row) => (
                payment::Entity::insert(payment::ActiveModel::from(payment::Model::from((**row).clone())))
                    .build(backend),
                ExactlyOne(Guard::Missing),
            ),
            SessionWrite::RecordOutcome(outcome) => {
                (record_outcome(session, outcome, at, backend), ExactlyOne(Guard::OutcomeRecorded))
            }
            SessionWrite::InsertVerification(row) => (
                verification::Entity::insert(verification::ActiveModel::from(verification::Model::from(row.clone())))
                    .build(backend),
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
                    .filter(V::PaymentSessionId.eq(session.id.0))
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
                        .and_where(payment_session::Column::Id.eq(session.id.0)),
                    &backend,
                ),
                ExactlyOne(Guard::Missing),
            ),
            SessionWrite::ClaimOrder { order } => (
                order_update(*order, session, at)
                    .col_expr(order::Column::PayingSessionId, Expr::value(session.id.0))
                    .filter(order::Column::Status.eq(OrderStatus::Open.as_str()))
                    .filter(order::Column::PayingSessionId.is_null())
                    .build(backend),
                ExactlyOne(Guard::OrderNotPayable),
            ),
            SessionWrite::ClaimDebt { customer, currency, amount } => {
                use ledger_entry::Column as L;
                let owed = Query::select()
                    .expr(Func::coalesce([SimpleExpr::from(Func::sum(Expr::col(L::Amount))), Expr::val(0)]))
                    .from(ledger_entry::Entity)
                    .and_where(L::CustomerId.eq(*customer))
                    .and_where(L::Currency.eq(currency.as_str()))
                    .take();
                // Changes nothing: one row matched says the debt is still owed.
                let statement = customer_row::Entity::update_many()
                    .col_expr(customer_row::Column::Id, Expr::col(customer_row::Column::Id))
                    .filter(customer_row::Column::Id.eq(*customer))
                    .filter(customer_row::Column::MerchantId.eq(session.merchant.0))
                    .filter(
                        Expr::expr(SimpleExpr::SubQuery(None, Box::new(owed.into_sub_query_statement()))).lte(-*amount),
                    )
                    .build(backend);
                (statement, ExactlyOne(Guard::DebtNotOwed))
            }
            SessionWrite::ReleaseOrder { order } => (
                order_update(*order, session, at)
                    .col_expr(order::Column::PayingSessionId, Expr::value(Option::<Uuid>::None))
                    .filter(order::Column::Status.eq(OrderStatus::Open.as_str()))
                    .filter(order::Column::PayingSessionId.eq(session.id.0))
                    .build(backend),
                ExactlyOne(Guard::ClaimNotHeld),
            ),
            SessionWrite::MarkOrderPaid { order, held } => (
                order_update(*order, session, at)
                    .col_expr(
                        order::Column::Status,
                        Expr::value(if *held { OrderStatus::Authorized } else { OrderStatus::Paid }.as_str()),
                    )
                    .filter(order::Column::Status.eq(OrderStatus::Open.as_str()))
                    .filter(order::Column::PayingSessionId.eq(session.id.0))
                    .build(backend),
                ExactlyOne(Guard::ClaimNotHeld),
            ),
            SessionWrite::ClaimSubscription { subscription, payable } => {
                use subscription::Column as S;
                let payable_now =
                    Expr::col(S::Status).is_in(payable.iter().map(|s| s.as_str())).or(Expr::col(S::Status)
                        .eq(SubscriptionStatus::Active.as_str())
                        .and(Expr::col(S::RenewalSessionId).eq(session.id.0)));
                let statement = subscription_update(*subscription, session, at)
                    .col_expr(S::PayingSessionId, Expr::value(session.id.0))
                    .filter(S::PayingSessionId.is_null())
                    .filter(payable_now)
                    .build(backend);
                (statement, ExactlyOne(Guard::SubscriptionNotPayable))
            }
            SessionWrite::ClaimRenewal { subscription, period_end } => {
                use subscription::Column as S;
                let statement = subscription_update(*subscription, session, at)
                    .col_expr(S::RenewalSessionId, Expr::value(session.id.0))
                    .filter(S::Status.eq(SubscriptionStatus::Active.as_str()))
                    .filter(S::RenewalSessionId.is_null())
                    .filter(S::CurrentPeriodEnd.eq(*period_end))
                    .build(backend);
                (statement, ExactlyOne(Guard::RenewalClaimed))
            }
            SessionWrite::ReleaseSubscription { subscription } => (
                subscription_update(*subscription, session, at)
                    .col_expr(subscription::Column::PayingSessionId, Expr::value(Option::<Uuid>::None))
                    .filter(subscription::Column::PayingSessionId.eq(session.id.0))
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
                    .filter(S::PayingSessionId.eq(session.id.0))
                    .build(backend);
                (statement, ExactlyOne(Guard::ClaimNotHeld))
            }
            SessionWrite::RenewWithSessionProfile { subscription } => {
                let saved = Query::select()
                    .column(payment_session::Column::PaymentProfileId)
                    .from(payment_session::Entity)
                    .and_where(payment_session::Column::Id.eq(session.id.0))
                    .to_owned();
                let statement = subscription_update(*subscription, session, at)
                    .col_expr(
                        subscription::Column::DefaultPaymentProfileId,
                        Expr::SubQuery(None, Box::new(saved.into_sub_query_statement())),
                    )
                    .build(backend);
                (statement, ExactlyOne(Guard::Missing))
            }
            SessionWrite::RenewalUnpaid => (renewal_unpaid(session.id.0, at).build(backend), Any),
            SessionWrite::PostLedgerEntry(entry) => (
                ledger_entry::Entity::insert(ledger_entry::ActiveModel::from(ledger_entry::Model::from(entry.clone())))
                    .build(backend),
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
            SessionWrite::Refund(write) => write.statement(session, at, backend),
            SessionWrite::Hold(write) => write.statement(session, at, backend),
            SessionWrite::Dispute(write) => write.statement(session, at, backend),
            SessionWrite::Account(write) => write.statement(at, backend),
            SessionWrite::CompleteIdempotency { merchant, operation, key, response } => {
                let key = KeyRef { merchant: MerchantId(*merchant), operation, key };
                (completion(&key, response, at).build(backend), ExactlyOne(Guard::IdempotencyRecord))
            }
        }
    }
}

fn record_outcome(session: &PaymentSession, o: &Outcome, at: DateTime<Utc>, backend: DbBackend) -> Statement {
    use payment::Column as P;
    let waiting = PaymentStatus::AWAITING_OUTCOME.iter().map(|s| s.as_str());
    let captured = if o.status == PaymentStatus::Succeeded { Expr::col(P::Amount) } else { Expr::value(0) };
    payment::Entity::update_many()
        .col_expr(P::Status, Expr::value(o.status.as_str()))
        .col_expr(P::AmountCaptured, captured)
        .col_expr(P::CaptureBefore, Expr::value(o.capture_before))
        .col_expr(P::NextActionUrl, Expr::value(o.next_action_url.clone()))
        .col_expr(P::DeclineCode, Expr::value(o.decline_code.clone()))
        .col_expr(P::RiskScore, Expr::value(o.risk_score))
        .col_expr(P::FraudRule, Expr::value(o.fraud_rule.clone()))
        .col_expr(P::FraudDecision, Expr::value(o.fraud_decision.as_str()))
        .col_expr(P::UpdatedAt, Expr::value(at))
        .filter(P::Id.eq(o.payment))
        .filter(P::PaymentSessionId.eq(session.id.0))
        .filter(P::Status.is_in(waiting))
        .build(backend)
}

fn order_update(id: Uuid, session: &PaymentSession, at: DateTime<Utc>) -> sea_orm::UpdateMany<order::Entity> {
    order::Entity::update_many()
        .col_expr(order::Column::UpdatedAt, Expr::value(at))
        .filter(order::Column::Id.eq(id))
        .filter(order::Column::MerchantId.eq(session.merchant.0))
}

fn subscription_update(
    id: Uuid,
    session: &PaymentSession,
    at: DateTime<Utc>,
) -> sea_orm::UpdateMany<subscription::Entity> {
    subscription::Entity::update_many()
        .col_expr(subscription::Column::UpdatedAt, Expr::value(at))
        .filter(subscription::Column::Id.eq(id))
        .filter(subscription::Column::MerchantId.eq(session.merchant.0))
}

fn save_profile(profile: &PaymentProfile, backend: DbBackend) -> Statement {
    use payment_profile::Column as P;
    payment_profile::Entity::insert(payment_profile::ActiveModel::from(payment_profile::Model::from(profile.clone())))
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

fn link_profile(session: &PaymentSession, profile: SimpleExpr, backend: DbBackend) -> Statement {
    StatementBuilder::build(
        Query::update()
            .table(payment_session::Entity)
            .value(payment_session::Column::PaymentProfileId, profile)
            .and_where(payment_session::Column::Id.eq(session.id.0)),
        &backend,
    )
}

/// The customer has no default profile (the first step of making one the default).
pub(in crate::storage) fn clear_default(customer: Uuid, backend: DbBackend) -> Statement {
    use payment_profile::Column as P;
    payment_profile::Entity::update_many()
        .col_expr(P::IsDefault, Expr::value(false))
        .filter(P::CustomerId.eq(customer))
        .filter(P::IsDefault.eq(true))
        .build(backend)
}

/// The customer's profile `which` (not removed) is their default.
pub(in crate::storage) fn set_default(customer: Uuid, which: &ProfileRef, backend: DbBackend) -> Statement {
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

/// The ACTIVE subscription renewed by `session` is PAST_DUE: its renewal went unpaid (a
/// PAST_DUE one stays so).
pub(in crate::storage) fn renewal_unpaid(
    session: Uuid,
    at: DateTime<Utc>,
) -> sea_orm::UpdateMany<subscription::Entity> {
    subscription::Entity::update_many()
        .col_expr(subscription::Column::Status, Expr::value(SubscriptionStatus::PastDue.as_str()))
        .col_expr(subscription::Column::UpdatedAt, Expr::value(at))
        .filter(subscription::Column::RenewalSessionId.eq(session))
        .filter(subscription::Column::Status.eq(SubscriptionStatus::Active.as_str()))
}
