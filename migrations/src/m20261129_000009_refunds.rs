//! Refunds, and events that are not status changes.
//! - `refunds`: each refund of a payment, PENDING until the processor settles it.
//! - `payments.amount_refunded`: what refunds hold of the payment (pending and succeeded);
//!   the guarded update of this column is what keeps racing refunds under the amount.
//! - `session_events.kind` (STATUS_CHANGED for every earlier event), with the payment or
//!   refund an event concerns.
//! - A session still credits the ledger once, but each of its refunds may take part of it
//!   back: the unique index on the session's entries now leaves REFUND entries out.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Refunds::Table)
                .if_not_exists()
                .col(uuid(Refunds::Id).primary_key())
                .col(uuid(Refunds::MerchantId))
                .col(uuid(Refunds::PaymentId))
                .col(uuid(Refunds::PaymentSessionId))
                .col(big_integer(Refunds::Amount))
                .col(string_len(Refunds::Currency, 3))
                .col(string(Refunds::Reason))
                .col(string(Refunds::Status))
                .col(string_null(Refunds::FailureCode))
                .col(timestamp_with_time_zone(Refunds::CreatedAt))
                .col(timestamp_with_time_zone(Refunds::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("refunds_by_payment").table(Refunds::Table).col(Refunds::PaymentId).to_owned(),
        )
        .await?;
        // A session's refunds: its hosted page and its connection read them by session.
        m.create_index(
            Index::create().name("refunds_by_session").table(Refunds::Table).col(Refunds::PaymentSessionId).to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("refunds_pending")
                .table(Refunds::Table)
                .col(Refunds::Status)
                .col(Refunds::UpdatedAt)
                .to_owned(),
        )
        .await?;
        let refunded = big_integer(Payments::AmountRefunded).default(0).to_owned();
        m.alter_table(Table::alter().table(Payments::Table).add_column(refunded).to_owned()).await?;
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            string(SessionEvents::Kind).default("STATUS_CHANGED").to_owned(),
            uuid_null(SessionEvents::PaymentId),
            uuid_null(SessionEvents::RefundId),
        ];
        for column in columns {
            m.alter_table(Table::alter().table(SessionEvents::Table).add_column(column).to_owned()).await?;
        }
        m.drop_index(Index::drop().name("uq_ledger_entries_session").table(LedgerEntries::Table).to_owned()).await?;
        // A partial index, in the SQL both databases share.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_ledger_entries_session_credit ON ledger_entries (payment_session_id) \
                 WHERE kind <> 'REFUND'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("uq_ledger_entries_session_credit").table(LedgerEntries::Table).to_owned())
            .await?;
        m.create_index(
            Index::create()
                .name("uq_ledger_entries_session")
                .table(LedgerEntries::Table)
                .col(LedgerEntries::PaymentSessionId)
                .unique()
                .to_owned(),
        )
        .await?;
        for column in [SessionEvents::RefundId, SessionEvents::PaymentId, SessionEvents::Kind] {
            m.alter_table(Table::alter().table(SessionEvents::Table).drop_column(column).to_owned()).await?;
        }
        m.alter_table(Table::alter().table(Payments::Table).drop_column(Payments::AmountRefunded).to_owned()).await?;
        m.drop_table(Table::drop().table(Refunds::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Refunds {
    Table,
    Id,
    MerchantId,
    PaymentId,
    PaymentSessionId,
    Amount,
    Currency,
    Reason,
    Status,
    FailureCode,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LedgerEntries {
    Table,
    PaymentSessionId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Payments {
    Table,
    AmountRefunded,
}

#[derive(DeriveIden, Clone, Copy)]
enum SessionEvents {
    Table,
    Kind,
    PaymentId,
    RefundId,
}
