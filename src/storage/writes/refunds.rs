//! The SQL of refund writes. The reservation is the guard of the money: one conditional
//! UPDATE adds the refund to what the payment has refunded only while the payment is
//! SUCCEEDED and has that much of what it captured left, so refunds racing each other (on one instance or many)
//! can never together give back more than was captured, and none while a dispute of the
//! payment is open.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait, Statement};
use uuid::Uuid;

use super::{Expect, Guard, RefundWrite};
use crate::domain::PaymentStatus;
use crate::domain::dispute::DisputeStatus;
use crate::domain::order::OrderStatus;
use crate::domain::refund::RefundStatus;
use crate::domain::session::PaymentSession;
use crate::storage::entities::{dispute, order, payment, refund};

impl RefundWrite {
    pub(super) fn statement(
        &self,
        session: &PaymentSession,
        at: DateTime<Utc>,
        backend: DbBackend,
    ) -> (Statement, Expect) {
        use Expect::{Any, ExactlyOne};
        use payment::Column as P;
        match self {
            RefundWrite::Insert(row) => (
                refund::Entity::insert(refund::ActiveModel::from(refund::Model::from(row.clone()))).build(backend),
                ExactlyOne(Guard::Missing),
            ),
            RefundWrite::Reserve { payment, amount } => (
                payment::Entity::update_many()
                    .col_expr(P::AmountRefunded, Expr::col(P::AmountRefunded).add(*amount))
                    .col_expr(P::UpdatedAt, Expr::value(at))
                    .filter(P::Id.eq(*payment))
                    .filter(P::PaymentSessionId.eq(session.id.0))
                    .filter(P::Status.eq(PaymentStatus::Succeeded.as_str()))
                    .filter(
                        Expr::col(P::AmountCaptured)
                            .sub(Expr::col(P::AmountRefunded))
                            .sub(Expr::col(P::AmountDisputed))
                            .gte(*amount),
                    )
                    .filter(P::Id.not_in_subquery(open_disputes()))
                    .build(backend),
                ExactlyOne(Guard::NotRefundable),
            ),
            RefundWrite::Release { payment, amount } => (
                payment::Entity::update_many()
                    .col_expr(P::AmountRefunded, Expr::col(P::AmountRefunded).sub(*amount))
                    .col_expr(P::UpdatedAt, Expr::value(at))
                    .filter(P::Id.eq(*payment))
                    .filter(P::PaymentSessionId.eq(session.id.0))
                    .filter(P::AmountRefunded.gte(*amount))
                    .build(backend),
                ExactlyOne(Guard::Missing),
            ),
            RefundWrite::Settle { refund, status, failure_code } => (
                refund::Entity::update_many()
                    .col_expr(refund::Column::Status, Expr::value(status.as_str()))
                    .col_expr(refund::Column::FailureCode, Expr::value(failure_code.clone()))
                    .col_expr(refund::Column::UpdatedAt, Expr::value(at))
                    .filter(refund::Column::Id.eq(*refund))
                    .filter(refund::Column::PaymentSessionId.eq(session.id.0))
                    .filter(refund::Column::Status.eq(RefundStatus::Pending.as_str()))
                    .build(backend),
                ExactlyOne(Guard::RefundSettled),
            ),
            RefundWrite::MarkOrderRefunded { order, payment } => {
                (order_refunded(*order, *payment, at).build(backend), Any)
            }
        }
    }
}

/// The payments with an open dispute: the bank holds their money, none of it is refunded.
fn open_disputes() -> sea_orm::sea_query::SelectStatement {
    let open = [DisputeStatus::NeedsResponse.as_str(), DisputeStatus::UnderReview.as_str()];
    Query::select()
        .column(dispute::Column::PaymentId)
        .from(dispute::Entity)
        .and_where(dispute::Column::Status.is_in(open))
        .take()
}

/// The order becomes REFUNDED when its payment's succeeded refunds add up to the payment.
fn order_refunded(order_id: Uuid, payment_id: Uuid, at: DateTime<Utc>) -> sea_orm::UpdateMany<order::Entity> {
    let succeeded: SimpleExpr = Query::select()
        .expr(Expr::col(refund::Column::Amount).sum())
        .from(refund::Entity)
        .and_where(refund::Column::PaymentId.eq(payment_id))
        .and_where(refund::Column::Status.eq(RefundStatus::Succeeded.as_str()))
        .take()
        .into();
    let captured: SimpleExpr = Query::select()
        .column(payment::Column::AmountCaptured)
        .from(payment::Entity)
        .and_where(payment::Column::Id.eq(payment_id))
        .take()
        .into();
    order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(OrderStatus::Refunded.as_str()))
        .col_expr(order::Column::UpdatedAt, Expr::value(at))
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::Status.eq(OrderStatus::Paid.as_str()))
        .filter(succeeded.eq(captured))
}
