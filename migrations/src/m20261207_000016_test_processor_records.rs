//! What the test processor did, kept in the database as an acquirer keeps its own books:
//! charges, holds and refunds by their key, so a charge whose answer was lost is still known
//! after a restart and reconciliation finds it, as it would at Stripe.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TestProcessorRecords::Table)
                .if_not_exists()
                .col(string(TestProcessorRecords::Kind))
                .col(string(TestProcessorRecords::RecordKey))
                .col(string(TestProcessorRecords::Value))
                .col(timestamp_with_time_zone(TestProcessorRecords::UpdatedAt))
                .primary_key(Index::create().col(TestProcessorRecords::Kind).col(TestProcessorRecords::RecordKey))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TestProcessorRecords::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum TestProcessorRecords {
    Table,
    Kind,
    RecordKey,
    Value,
    UpdatedAt,
}
