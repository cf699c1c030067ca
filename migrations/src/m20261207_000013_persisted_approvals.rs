//! The allow-list of `PAYGRAPH_PERSISTED_ONLY` per merchant: a document runs for the
//! merchants whose read-write key registered it, not for every merchant once any one did.
//! Documents stay one row per hash (`persisted_queries`); each merchant's approval of one
//! is a row here. The merchant that registered each document first keeps its approval.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PersistedApprovals::Table)
                .if_not_exists()
                .col(uuid(PersistedApprovals::MerchantId))
                .col(string_len(PersistedApprovals::Sha256Hash, 64))
                .col(timestamp_with_time_zone(PersistedApprovals::CreatedAt))
                .primary_key(Index::create().col(PersistedApprovals::MerchantId).col(PersistedApprovals::Sha256Hash))
                .to_owned(),
        )
        .await?;
        // Idempotent, so a run cut short between the two statements can run again.
        let first_registrants = Query::select()
            .columns([PersistedQueries::MerchantId, PersistedQueries::Sha256Hash, PersistedQueries::CreatedAt])
            .from(PersistedQueries::Table)
            // SQLite reads `ON CONFLICT` after a bare `FROM t` as a join's `ON`; a WHERE
            // ends the select first.
            .and_where(Expr::val(1).eq(1))
            .to_owned();
        let approvals = Query::insert()
            .into_table(PersistedApprovals::Table)
            .columns([PersistedApprovals::MerchantId, PersistedApprovals::Sha256Hash, PersistedApprovals::CreatedAt])
            .select_from(first_registrants)
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .on_conflict(
                OnConflict::columns([PersistedApprovals::MerchantId, PersistedApprovals::Sha256Hash])
                    .do_nothing()
                    .to_owned(),
            )
            .to_owned();
        m.exec_stmt(approvals).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PersistedApprovals::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum PersistedApprovals {
    Table,
    MerchantId,
    Sha256Hash,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PersistedQueries {
    Table,
    Sha256Hash,
    MerchantId,
    CreatedAt,
}
