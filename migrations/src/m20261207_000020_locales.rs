//! The customer's language: `payment_sessions.locale` (the session's own, as the merchant set
//! it) and `customers.preferred_locale`, BCP 47 base tags (`sv`, `de`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let locale = string_len_null(PaymentSessions::Locale, 8);
        m.alter_table(Table::alter().table(PaymentSessions::Table).add_column(locale).to_owned()).await?;
        let preferred = string_len_null(Customers::PreferredLocale, 8);
        m.alter_table(Table::alter().table(Customers::Table).add_column(preferred).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Customers::Table).drop_column(Customers::PreferredLocale).to_owned())
            .await?;
        m.alter_table(Table::alter().table(PaymentSessions::Table).drop_column(PaymentSessions::Locale).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum PaymentSessions {
    Table,
    Locale,
}

#[derive(DeriveIden, Clone, Copy)]
enum Customers {
    Table,
    PreferredLocale,
}
