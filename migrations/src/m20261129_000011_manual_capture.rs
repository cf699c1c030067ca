//! Authorize now, capture later.
//! - `payment_sessions.capture_method`: AUTOMATIC (every earlier session) or MANUAL.
//! - `payments.amount_captured`: what was taken, the refund guard's ceiling; every earlier
//!   SUCCEEDED payment took all of its amount.
//! - `payments.capture_before`: an AUTHORIZED payment's deadline, scanned by the background
//!   void of expired holds.
//! - `payments.hold_action` / `hold_amount` / `hold_since`: a capture or void marked before
//!   the processor is asked, so that only one of racing requests reaches it; scanned when one
//!   is left behind by a fault.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let method = string(PaymentSessions::CaptureMethod).default("AUTOMATIC").to_owned();
        m.alter_table(Table::alter().table(PaymentSessions::Table).add_column(method).to_owned()).await?;
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            big_integer(Payments::AmountCaptured).default(0).to_owned(),
            timestamp_with_time_zone_null(Payments::CaptureBefore),
            string_null(Payments::HoldAction),
            big_integer_null(Payments::HoldAmount),
            timestamp_with_time_zone_null(Payments::HoldSince),
        ];
        for column in columns {
            m.alter_table(Table::alter().table(Payments::Table).add_column(column).to_owned()).await?;
        }
        let backfill = Query::update()
            .table(Payments::Table)
            .value(Payments::AmountCaptured, Expr::col(Payments::Amount))
            .and_where(Expr::col(Payments::Status).eq("SUCCEEDED"))
            .to_owned();
        m.exec_stmt(backfill).await?;
        m.create_index(
            Index::create()
                .name("payments_authorized_by_deadline")
                .table(Payments::Table)
                .col(Payments::Status)
                .col(Payments::CaptureBefore)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("payments_hold_under_way").table(Payments::Table).col(Payments::HoldSince).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for index in ["payments_hold_under_way", "payments_authorized_by_deadline"] {
            m.drop_index(Index::drop().name(index).table(Payments::Table).to_owned()).await?;
        }
        let columns = [
            Payments::HoldSince,
            Payments::HoldAmount,
            Payments::HoldAction,
            Payments::CaptureBefore,
            Payments::AmountCaptured,
        ];
        for column in columns {
            m.alter_table(Table::alter().table(Payments::Table).drop_column(column).to_owned()).await?;
        }
        let method = PaymentSessions::CaptureMethod;
        m.alter_table(Table::alter().table(PaymentSessions::Table).drop_column(method).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum PaymentSessions {
    Table,
    CaptureMethod,
}

#[derive(DeriveIden, Clone, Copy)]
enum Payments {
    Table,
    Status,
    Amount,
    AmountCaptured,
    CaptureBefore,
    HoldAction,
    HoldAmount,
    HoldSince,
}
