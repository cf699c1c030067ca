//! `customer_portal_sessions`: a link a merchant hands one customer to manage what they
//! have with it (saved methods, subscriptions, balance, receipts). `secret` is the link's,
//! kept as a session's client secret is: the sessions the portal opens return to it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Portals::Table)
                .if_not_exists()
                .col(uuid(Portals::Id).primary_key())
                .col(uuid(Portals::MerchantId))
                .col(uuid(Portals::CustomerId))
                .col(string_uniq(Portals::Secret))
                .col(text_null(Portals::ReturnUrl))
                .col(string_len_null(Portals::Locale, 8))
                .col(timestamp_with_time_zone(Portals::ExpiresAt))
                .col(timestamp_with_time_zone(Portals::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("customer_portal_sessions_by_customer")
                .table(Portals::Table)
                .col(Portals::CustomerId)
                .col(Portals::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Portals::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Portals {
    #[sea_orm(iden = "customer_portal_sessions")]
    Table,
    Id,
    MerchantId,
    CustomerId,
    Secret,
    ReturnUrl,
    Locale,
    ExpiresAt,
    CreatedAt,
}
