//! `verifications.card_token_id`: the vault card a SETUP session verifies, so a verification
//! waiting on 3-D Secure can go on with it once the customer passed the challenge.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let column = string_null(Verifications::CardTokenId);
        m.alter_table(Table::alter().table(Verifications::Table).add_column(column).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let drop = Table::alter().table(Verifications::Table).drop_column(Verifications::CardTokenId).to_owned();
        m.alter_table(drop).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Verifications {
    Table,
    CardTokenId,
}
