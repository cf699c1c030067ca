//! Aggregates read both by services and by the DataLoaders, so each has one query: balances
//! per customer and currency, and completed sessions per payment link.

use sea_orm::sea_query::{Alias, Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::{ledger_entry, payment_session};

/// A customer's balance in one currency: the sum of its ledger entries.
#[derive(Debug, Clone, FromQueryResult)]
pub struct BalanceTotal {
    pub customer_id: Uuid,
    pub currency: String,
    pub total: i64,
}

/// The balances of `customers` (of `merchant`), by customer then currency code.
pub async fn balances<C: ConnectionTrait>(
    db: &C,
    merchant: Uuid,
    customers: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<BalanceTotal>, DbErr> {
    use ledger_entry::Column as L;
    ledger_entry::Entity::find()
        .select_only()
        .column(L::CustomerId)
        .column(L::Currency)
        // A SUM of BIGINT is NUMERIC on PostgreSQL; cast back to keep integer minor units.
        .column_as(Expr::expr(Func::cast_as(Func::sum(Expr::col(L::Amount)), Alias::new("BIGINT"))), "total")
        .filter(L::MerchantId.eq(merchant))
        .filter(L::CustomerId.is_in(customers))
        .group_by(L::CustomerId)
        .group_by(L::Currency)
        .order_by_asc(L::CustomerId)
        .order_by_asc(L::Currency)
        .into_model::<BalanceTotal>()
        .all(db)
        .await
}

#[derive(Debug, FromQueryResult)]
struct LinkCount {
    payment_link_id: Uuid,
    completed: i64,
}

/// How many sessions of each of `links` have completed; links with none are left out.
pub async fn completed_per_link<C: ConnectionTrait>(
    db: &C,
    links: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<(Uuid, u64)>, DbErr> {
    use payment_session::Column as S;
    let counts = payment_session::Entity::find()
        .select_only()
        .column(S::PaymentLinkId)
        .column_as(Expr::expr(Func::cast_as(Func::count(Expr::col(S::Id)), Alias::new("BIGINT"))), "completed")
        .filter(S::PaymentLinkId.is_in(links))
        .filter(S::Status.eq(crate::domain::SessionStatus::Completed.as_str()))
        .group_by(S::PaymentLinkId)
        .into_model::<LinkCount>()
        .all(db)
        .await?;
    Ok(counts.into_iter().map(|c| (c.payment_link_id, u64::try_from(c.completed).unwrap_or(0))).collect())
}
