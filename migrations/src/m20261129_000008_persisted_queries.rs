//! Documents registered for persisted queries by a merchant's read-write key: kept for good,
//! they are the allow-list of `PAYGRAPH_PERSISTED_ONLY`. Documents other callers register
//! live in the cache only.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PersistedQueries::Table)
                .if_not_exists()
                .col(string_len(PersistedQueries::Sha256Hash, 64).primary_key())
                .col(text(PersistedQueries::Document))
                .col(uuid(PersistedQueries::MerchantId))
                .col(timestamp_with_time_zone(PersistedQueries::CreatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PersistedQueries::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum PersistedQueries {
    Table,
    Sha256Hash,
    Document,
    /// Who registered it first.
    MerchantId,
    CreatedAt,
}
