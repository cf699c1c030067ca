//! Aggregates, each one query: balances per customer and currency, completed sessions per
//! payment link, and sessions over time for dashboards.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait,
};
use uuid::Uuid;

use super::entities::{dispute, ledger_entry, payment, payment_session};
use crate::domain::dispute::DisputeStatus;
use crate::domain::money::Currency;
use crate::domain::stats::{CountedGroup, StatsInterval};

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

#[derive(Debug, FromQueryResult)]
struct StatsRow {
    bucket: i64,
    status: String,
    currency: Option<String>,
    count: i64,
    total: Option<i64>,
    captured: Option<i64>,
    refunded: Option<i64>,
    disputed: Option<i64>,
}

/// `merchant`'s sessions created in `[since, until)`, counted per bucket of `interval`
/// (numbered from `since`), status and currency, with what their payments captured and what
/// refunds hold of it: one statement, whatever the range.
pub async fn session_stats<C: ConnectionTrait>(
    db: &C,
    merchant: Uuid,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    interval: StatsInterval,
) -> Result<Vec<CountedGroup>, DbErr> {
    use payment::Column as P;
    use payment_session::Column as S;
    // Seconds since the epoch, in each database's own words (and placeholders); integers,
    // never money.
    let bucket = match db.get_database_backend() {
        DbBackend::Postgres => "(FLOOR((EXTRACT(EPOCH FROM created_at) - $1) / $2))::BIGINT",
        _ => "((CAST(strftime('%s', created_at) AS INTEGER) - ?) / ?)",
    };
    let bucket = Expr::cust_with_values(bucket, [since.timestamp(), interval.seconds()]);
    // A SUM of BIGINT is NUMERIC on PostgreSQL; cast back to keep integer minor units.
    let sum = |column: Expr| Expr::expr(Func::cast_as(Func::sum(column), Alias::new("BIGINT")));
    // Each session's payments, summed first: a session counts once however many attempts it had.
    let paid = Alias::new("paid");
    let per_session = Query::select()
        .column(P::PaymentSessionId)
        .expr_as(Func::sum(Expr::col(P::AmountCaptured)), Alias::new("captured"))
        .expr_as(Func::sum(Expr::col(P::AmountRefunded)), Alias::new("refunded"))
        .from(payment::Entity)
        .and_where(P::MerchantId.eq(merchant))
        .group_by_col(P::PaymentSessionId)
        .to_owned();
    // What lost disputes took back, per session.
    let lost = Alias::new("lost");
    let per_session_lost = Query::select()
        .column(dispute::Column::PaymentSessionId)
        .expr_as(Func::sum(Expr::col(dispute::Column::Amount)), Alias::new("disputed"))
        .from(dispute::Entity)
        .and_where(dispute::Column::MerchantId.eq(merchant))
        .and_where(dispute::Column::Status.eq(DisputeStatus::Lost.as_str()))
        .group_by_col(dispute::Column::PaymentSessionId)
        .to_owned();
    let mut select = payment_session::Entity::find()
        .select_only()
        .column_as(bucket, "bucket")
        .column(S::Status)
        .column(S::Currency)
        .column_as(Expr::expr(Func::cast_as(Func::count(Expr::col(S::Id)), Alias::new("BIGINT"))), "count")
        .column_as(sum(Expr::col(S::Amount)), "total")
        .column_as(sum(Expr::col((paid.clone(), Alias::new("captured")))), "captured")
        .column_as(sum(Expr::col((paid.clone(), Alias::new("refunded")))), "refunded")
        .column_as(sum(Expr::col((lost.clone(), Alias::new("disputed")))), "disputed")
        .filter(S::MerchantId.eq(merchant))
        .filter(S::CreatedAt.gte(since))
        .filter(S::CreatedAt.lt(until))
        .group_by(Expr::cust("bucket"))
        .group_by(S::Status)
        .group_by(S::Currency);
    let joined = Expr::col((paid.clone(), P::PaymentSessionId)).equals((payment_session::Entity, S::Id));
    QueryTrait::query(&mut select).join_subquery(JoinType::LeftJoin, per_session, paid, joined);
    let joined = Expr::col((lost.clone(), dispute::Column::PaymentSessionId)).equals((payment_session::Entity, S::Id));
    QueryTrait::query(&mut select).join_subquery(JoinType::LeftJoin, per_session_lost, lost, joined);
    let rows = select.into_model::<StatsRow>().all(db).await?;
    let bad = |e: &dyn std::fmt::Display| DbErr::Type(format!("session stats: {e}"));
    rows.into_iter()
        .map(|row| {
            Ok(CountedGroup {
                bucket: row.bucket,
                status: row.status.parse().map_err(|e| bad(&e))?,
                currency: row.currency.as_deref().map(Currency::parse).transpose().map_err(|e| bad(&e))?,
                count: row.count,
                total: row.total,
                captured: row.captured.unwrap_or(0),
                refunded: row.refunded.unwrap_or(0),
                disputed: row.disputed.unwrap_or(0),
            })
        })
        .collect()
}
