//! `session_events.trace_parent`: the W3C `traceparent` of the request that made the change,
//! when traces are exported, so the webhook delivery of its event joins the same trace.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let column = string_len_null(SessionEvents::TraceParent, 55);
        m.alter_table(Table::alter().table(SessionEvents::Table).add_column(column).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(SessionEvents::Table).drop_column(SessionEvents::TraceParent).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum SessionEvents {
    Table,
    TraceParent,
}
