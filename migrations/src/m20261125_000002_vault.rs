//! The card vault: one-time card tokens (never a card number or CVC), and instance secrets
//! such as the fingerprint key when none is configured.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CardTokens::Table)
                .col(string(CardTokens::Id).primary_key())
                .col(uuid(CardTokens::MerchantId))
                .col(uuid_null(CardTokens::PaymentSessionId))
                .col(string(CardTokens::ProcessorToken))
                .col(string(CardTokens::Brand))
                .col(string(CardTokens::Last4))
                .col(integer(CardTokens::ExpMonth))
                .col(integer(CardTokens::ExpYear))
                .col(string(CardTokens::Fingerprint))
                .col(timestamp_with_time_zone(CardTokens::CreatedAt))
                .col(timestamp_with_time_zone(CardTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(CardTokens::UsedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_card_tokens_merchant_fingerprint")
                .table(CardTokens::Table)
                .col(CardTokens::MerchantId)
                .col(CardTokens::Fingerprint)
                .col(CardTokens::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(InstanceSecrets::Table)
                .col(string(InstanceSecrets::Name).primary_key())
                .col(text(InstanceSecrets::Value))
                .col(timestamp_with_time_zone(InstanceSecrets::CreatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(InstanceSecrets::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(CardTokens::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum CardTokens {
    Table,
    Id,
    MerchantId,
    PaymentSessionId,
    ProcessorToken,
    Brand,
    Last4,
    ExpMonth,
    ExpYear,
    Fingerprint,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum InstanceSecrets {
    Table,
    Name,
    Value,
    CreatedAt,
}
