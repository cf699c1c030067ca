//! A customer's debt is paid once: at most one OUTSTANDING_BALANCE session of a customer
//! and currency is paying at a time (a partial unique index), and the session that starts
//! paying checks, in the same transaction, that the debt it was computed from is still owed
//! (`SessionWrite::ClaimDebt`). Two sessions made for one debt cannot both charge it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const IN_FLIGHT: [&str; 2] = ["PROCESSING", "REQUIRES_ACTION"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("uq_payment_sessions_debt_in_flight")
                .table(PaymentSessions::Table)
                .if_not_exists()
                .col(PaymentSessions::CustomerId)
                .col(PaymentSessions::Currency)
                .unique()
                .and_where(Expr::col(PaymentSessions::Purpose).eq("OUTSTANDING_BALANCE"))
                .and_where(Expr::col(PaymentSessions::Status).is_in(IN_FLIGHT))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("uq_payment_sessions_debt_in_flight").table(PaymentSessions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum PaymentSessions {
    Table,
    CustomerId,
    Currency,
    Purpose,
    Status,
}
