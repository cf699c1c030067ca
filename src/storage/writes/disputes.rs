//! The SQL of dispute writes. A dispute is inserted once per processor id (a second report
//! of it inserts nothing and says so), and changes only from the status it was read in, so
//! a webhook and a background pass reporting the same change apply it once.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait, Statement};

use super::{DisputeWrite, Expect, Guard};
use crate::domain::dispute::Dispute;
use crate::domain::order::OrderStatus;
use crate::domain::session::PaymentSession;
use crate::storage::entities::{dispute, order, payment};

impl DisputeWrite {
    pub(super) fn statement(
        &self,
        session: &PaymentSession,
        at: DateTime<Utc>,
        backend: DbBackend,
    ) -> (Statement, Expect) {
        use dispute::Column as D;
        match self {
            DisputeWrite::Open(row) => {
                let insert =
                    dispute::Entity::insert(dispute::ActiveModel::from(dispute::Model::from(Dispute::clone(row))))
                        .on_conflict(
                            OnConflict::columns([D::MerchantId, D::ProcessorReference]).do_nothing().to_owned(),
                        );
                (insert.build(backend), Expect::ExactlyOne(Guard::DisputeKnown))
            }
            DisputeWrite::Change { dispute, from, to } => {
                let mut update = dispute::Entity::update_many()
                    .col_expr(D::Status, Expr::value(to.status.as_str()))
                    .col_expr(D::UpdatedAt, Expr::value(at))
                    .filter(D::Id.eq(*dispute))
                    .filter(D::PaymentSessionId.eq(session.id.0))
                    .filter(D::Status.eq(from.as_str()));
                if let Some(due) = to.evidence_due_by {
                    update = update.col_expr(D::EvidenceDueBy, Expr::value(due));
                }
                if let Some(evidence) = &to.evidence {
                    update = update.col_expr(D::Evidence, Expr::value(evidence.clone()));
                }
                if to.submitted {
                    update = update.col_expr(D::SubmittedAt, Expr::value(at));
                }
                if !to.status.is_open() {
                    update = update.col_expr(D::ClosedAt, Expr::value(at));
                }
                (update.build(backend), Expect::ExactlyOne(Guard::DisputeChanged))
            }
            DisputeWrite::OrderFollows { order: id, disputed } => {
                let (from, to) = if *disputed {
                    (OrderStatus::Paid, OrderStatus::Disputed)
                } else {
                    (OrderStatus::Disputed, OrderStatus::Paid)
                };
                let update = order::Entity::update_many()
                    .col_expr(order::Column::Status, Expr::value(to.as_str()))
                    .col_expr(order::Column::UpdatedAt, Expr::value(at))
                    .filter(order::Column::Id.eq(*id))
                    .filter(order::Column::Status.eq(from.as_str()));
                // A refunded order stays refunded: nothing to follow.
                (update.build(backend), Expect::Any)
            }
            DisputeWrite::PaymentDisputed { payment: id, amount } => {
                use payment::Column as P;
                let update = payment::Entity::update_many()
                    .col_expr(P::AmountDisputed, Expr::col(P::AmountDisputed).add(*amount))
                    .col_expr(P::UpdatedAt, Expr::value(at))
                    .filter(P::Id.eq(*id))
                    .filter(P::PaymentSessionId.eq(session.id.0));
                (update.build(backend), Expect::ExactlyOne(Guard::Missing))
            }
        }
    }
}
