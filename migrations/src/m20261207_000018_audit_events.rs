//! The audit trail: `audit_events`, one row per change made through the API or the CLI,
//! appended in the change's own transaction (see `storage::audit`). `node_ids` is a JSON
//! array of global ids. Kept for `PAYGRAPH_AUDIT_RETENTION_DAYS`, then pruned by age.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .if_not_exists()
                .col(uuid(AuditEvents::Id).primary_key())
                .col(uuid(AuditEvents::MerchantId))
                .col(timestamp_with_time_zone(AuditEvents::CreatedAt))
                .col(string(AuditEvents::ActorKind))
                .col(uuid_null(AuditEvents::ActorKeyId))
                .col(string_null(AuditEvents::ActorKeyName))
                .col(uuid_null(AuditEvents::ActorSessionId))
                .col(string(AuditEvents::Action))
                .col(text(AuditEvents::NodeIds))
                .col(string_null(AuditEvents::Ip))
                .col(string_null(AuditEvents::Origin))
                .col(string(AuditEvents::Outcome))
                .to_owned(),
        )
        .await?;
        // The listing (newest first) and the export (since a time), per merchant.
        m.create_index(
            Index::create()
                .name("audit_events_by_merchant")
                .table(AuditEvents::Table)
                .col(AuditEvents::MerchantId)
                .col(AuditEvents::CreatedAt)
                .to_owned(),
        )
        .await?;
        // Pruning by age across merchants.
        m.create_index(
            Index::create()
                .name("audit_events_by_age")
                .table(AuditEvents::Table)
                .col(AuditEvents::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AuditEvents::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    Id,
    MerchantId,
    CreatedAt,
    ActorKind,
    ActorKeyId,
    ActorKeyName,
    ActorSessionId,
    Action,
    NodeIds,
    Ip,
    Origin,
    Outcome,
}
