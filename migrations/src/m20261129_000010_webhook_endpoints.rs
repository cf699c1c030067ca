//! Webhook endpoints: a merchant's URLs that receive its session event log. Deleting one
//! keeps its row (`deleted_at`), for the deliveries that will point at it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WebhookEndpoints::Table)
                .if_not_exists()
                .col(uuid(WebhookEndpoints::Id).primary_key())
                .col(uuid(WebhookEndpoints::MerchantId))
                .col(text(WebhookEndpoints::Url))
                .col(string_null(WebhookEndpoints::Description))
                .col(text(WebhookEndpoints::EventKinds).default("[]"))
                .col(string(WebhookEndpoints::SigningSecret))
                .col(string(WebhookEndpoints::Status))
                .col(string_null(WebhookEndpoints::DisabledReason))
                .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                .col(timestamp_with_time_zone_null(WebhookEndpoints::DeletedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_webhook_endpoints_merchant")
                .table(WebhookEndpoints::Table)
                .col(WebhookEndpoints::MerchantId)
                .col(WebhookEndpoints::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WebhookEndpoints::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookEndpoints {
    Table,
    Id,
    MerchantId,
    Url,
    Description,
    EventKinds,
    SigningSecret,
    Status,
    DisabledReason,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}
