//! Disputes: payments a customer's bank took back, with the evidence the merchant drafts.
//! - `disputes`: one row per processor dispute (unique by the processor's id within the
//!   merchant, so the same dispute reported twice is one); `evidence` is the draft as JSON.
//! - `session_events.dispute_id`: the dispute a DISPUTE_* event is about.
//! - `payments.amount_disputed`: what the bank holds of the payment or took for good.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Disputes::Table)
                .if_not_exists()
                .col(uuid(Disputes::Id).primary_key())
                .col(uuid(Disputes::MerchantId))
                .col(uuid(Disputes::PaymentId))
                .col(uuid(Disputes::PaymentSessionId))
                .col(big_integer(Disputes::Amount))
                .col(string_len(Disputes::Currency, 3))
                .col(string(Disputes::Reason))
                .col(string(Disputes::Status))
                .col(text(Disputes::Evidence))
                .col(timestamp_with_time_zone(Disputes::EvidenceDueBy))
                .col(timestamp_with_time_zone_null(Disputes::SubmittedAt))
                .col(timestamp_with_time_zone_null(Disputes::ClosedAt))
                .col(string(Disputes::ProcessorReference))
                .col(timestamp_with_time_zone(Disputes::CreatedAt))
                .col(timestamp_with_time_zone(Disputes::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_disputes_reference")
                .table(Disputes::Table)
                .col(Disputes::MerchantId)
                .col(Disputes::ProcessorReference)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("disputes_by_payment").table(Disputes::Table).col(Disputes::PaymentId).to_owned(),
        )
        .await?;
        // The root listing, newest first, by status.
        m.create_index(
            Index::create()
                .name("disputes_by_merchant")
                .table(Disputes::Table)
                .col(Disputes::MerchantId)
                .col(Disputes::CreatedAt)
                .to_owned(),
        )
        .await?;
        let column = uuid_null(SessionEvents::DisputeId);
        m.alter_table(Table::alter().table(SessionEvents::Table).add_column(column).to_owned()).await?;
        let disputed = big_integer(Payments::AmountDisputed).default(0).to_owned();
        m.alter_table(Table::alter().table(Payments::Table).add_column(disputed).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Payments::Table).drop_column(Payments::AmountDisputed).to_owned()).await?;
        m.alter_table(Table::alter().table(SessionEvents::Table).drop_column(SessionEvents::DisputeId).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Disputes::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Disputes {
    Table,
    Id,
    MerchantId,
    PaymentId,
    PaymentSessionId,
    Amount,
    Currency,
    Reason,
    Status,
    Evidence,
    EvidenceDueBy,
    SubmittedAt,
    ClosedAt,
    ProcessorReference,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Payments {
    Table,
    AmountDisputed,
}

#[derive(DeriveIden, Clone, Copy)]
enum SessionEvents {
    Table,
    DisputeId,
}
