//! Several keys per merchant, each with a name, a scope (`READ_WRITE` or `READ_ONLY`), an
//! optional expiry (a rolled key stays valid until it) and when it was last used.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            string_null(ApiKeys::Name),
            string(ApiKeys::Scope).default("READ_WRITE").to_owned(),
            timestamp_with_time_zone_null(ApiKeys::ExpiresAt),
            timestamp_with_time_zone_null(ApiKeys::LastUsedAt),
        ];
        for column in columns {
            m.alter_table(Table::alter().table(ApiKeys::Table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [ApiKeys::LastUsedAt, ApiKeys::ExpiresAt, ApiKeys::Scope, ApiKeys::Name] {
            m.alter_table(Table::alter().table(ApiKeys::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiKeys {
    Table,
    Name,
    Scope,
    ExpiresAt,
    LastUsedAt,
}
