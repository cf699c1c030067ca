//! The web origins a merchant's browser apps call from (CORS): a JSON array of
//! `scheme://host[:port]`, empty by default.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let column = text(Merchants::AllowedOrigins).default("[]").to_owned();
        m.alter_table(Table::alter().table(Merchants::Table).add_column(column).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Merchants::Table).drop_column(Merchants::AllowedOrigins).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Merchants {
    Table,
    AllowedOrigins,
}
