//! `session_events.payment_profile_id`: the saved method a PAYMENT_METHOD_* event is about
//! (a change of the method the session saved).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let column = uuid_null(SessionEvents::PaymentProfileId);
        m.alter_table(Table::alter().table(SessionEvents::Table).add_column(column).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let drop = Table::alter().table(SessionEvents::Table).drop_column(SessionEvents::PaymentProfileId).to_owned();
        m.alter_table(drop).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum SessionEvents {
    Table,
    PaymentProfileId,
}
