//! The SQL of capture and void writes. The mark is the guard of the hold: one conditional
//! UPDATE claims the AUTHORIZED payment for one capture or void while none is under way, so
//! racing requests (on one instance or many) never both reach the processor, and the end
//! holds only while the payment is still AUTHORIZED, so an authorization ends once.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait, Statement};

use super::{Expect, Guard, HoldWrite};
use crate::domain::PaymentStatus;
use crate::domain::capture::HoldOutcome;
use crate::domain::order::OrderStatus;
use crate::domain::session::PaymentSession;
use crate::storage::entities::{order, payment};

impl HoldWrite {
    pub(super) fn statement(
        &self,
        session: &PaymentSession,
        at: DateTime<Utc>,
        backend: DbBackend,
    ) -> (Statement, Expect) {
        use Expect::ExactlyOne;
        use payment::Column as P;
        let authorized = || {
            payment::Entity::update_many()
                .col_expr(P::UpdatedAt, Expr::value(at))
                .filter(P::PaymentSessionId.eq(session.id.0))
                .filter(P::Status.eq(PaymentStatus::Authorized.as_str()))
        };
        match self {
            HoldWrite::Mark { payment, action } => {
                let (name, amount) = action.stored();
                let statement = authorized()
                    .col_expr(P::HoldAction, Expr::value(name))
                    .col_expr(P::HoldAmount, Expr::value(amount))
                    .col_expr(P::HoldSince, Expr::value(at))
                    .filter(P::Id.eq(*payment))
                    .filter(P::HoldAction.is_null())
                    .build(backend);
                (statement, ExactlyOne(Guard::HoldBusy))
            }
            HoldWrite::End { payment, outcome } => {
                let (status, captured) = match outcome {
                    HoldOutcome::Captured(amount) => (PaymentStatus::Succeeded, *amount),
                    HoldOutcome::Voided => (PaymentStatus::Voided, 0),
                };
                let statement = authorized()
                    .col_expr(P::Status, Expr::value(status.as_str()))
                    .col_expr(P::AmountCaptured, Expr::value(captured))
                    .col_expr(P::HoldAction, Expr::value(Option::<String>::None))
                    .col_expr(P::HoldAmount, Expr::value(Option::<i64>::None))
                    .col_expr(P::HoldSince, Expr::value(Option::<DateTime<Utc>>::None))
                    .filter(P::Id.eq(*payment))
                    .filter(P::Amount.gte(captured))
                    .build(backend);
                (statement, ExactlyOne(Guard::HoldEnded))
            }
            HoldWrite::EndOrder { order, outcome } => {
                let status = match outcome {
                    HoldOutcome::Captured(_) => OrderStatus::Paid,
                    HoldOutcome::Voided => OrderStatus::Voided,
                };
                let statement = order::Entity::update_many()
                    .col_expr(order::Column::Status, Expr::value(status.as_str()))
                    .col_expr(order::Column::UpdatedAt, Expr::value(at))
                    .filter(order::Column::Id.eq(*order))
                    .filter(order::Column::MerchantId.eq(session.merchant.0))
                    .filter(order::Column::PayingSessionId.eq(session.id.0))
                    .filter(order::Column::Status.eq(OrderStatus::Authorized.as_str()))
                    .build(backend);
                (statement, ExactlyOne(Guard::ClaimNotHeld))
            }
        }
    }
}
