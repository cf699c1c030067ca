//! Fraud checks beyond the card: the client's IP on each payment (velocity per IP), the
//! wallet a vault token came from, and each merchant's blocklist.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE statement.
        m.alter_table(Table::alter().table(Payments::Table).add_column(string_null(Payments::ClientIp)).to_owned())
            .await?;
        m.alter_table(Table::alter().table(CardTokens::Table).add_column(string_null(CardTokens::Wallet)).to_owned())
            .await?;
        m.create_index(
            Index::create()
                .name("idx_payments_client_ip")
                .table(Payments::Table)
                .col(Payments::MerchantId)
                .col(Payments::ClientIp)
                .col(Payments::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(BlocklistEntries::Table)
                .col(uuid(BlocklistEntries::Id).primary_key())
                .col(uuid(BlocklistEntries::MerchantId))
                .col(string(BlocklistEntries::Kind))
                .col(string(BlocklistEntries::Value))
                .col(string_null(BlocklistEntries::Note))
                .col(timestamp_with_time_zone(BlocklistEntries::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_blocklist_entries_value")
                .table(BlocklistEntries::Table)
                .col(BlocklistEntries::MerchantId)
                .col(BlocklistEntries::Kind)
                .col(BlocklistEntries::Value)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(BlocklistEntries::Table).to_owned()).await?;
        m.drop_index(Index::drop().name("idx_payments_client_ip").table(Payments::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(CardTokens::Table).drop_column(CardTokens::Wallet).to_owned()).await?;
        m.alter_table(Table::alter().table(Payments::Table).drop_column(Payments::ClientIp).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    MerchantId,
    ClientIp,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CardTokens {
    Table,
    Wallet,
}

#[derive(DeriveIden)]
enum BlocklistEntries {
    Table,
    Id,
    MerchantId,
    Kind,
    Value,
    Note,
    CreatedAt,
}
