//! paygraph's database migrations: one set, portable between SQLite and PostgreSQL.
//!
//! Every statement is built with sea-query's schema builders (never raw SQL) so the same
//! migration produces the right DDL on both backends. One file per migration, named
//! `mYYYYMMDD_HHMMSS_what.rs`; applied in order on start (`paygraph migrate` or `serve`).
//! Each runs in a transaction with its record, on SQLite too (`AllOrNothing`).

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_core;
mod m20261125_000002_vault;
mod m20261125_000003_fraud;
mod m20261125_000004_customers_keep;
mod m20261129_000005_paid_once;
mod m20261129_000006_api_keys;
mod m20261129_000007_allowed_origins;
mod m20261129_000008_persisted_queries;
mod m20261129_000009_refunds;
mod m20261129_000010_webhook_endpoints;
mod m20261129_000011_manual_capture;
mod m20261129_000012_webhook_deliveries;
mod m20261207_000013_persisted_approvals;
mod m20261207_000014_debt_paid_once;
mod m20261207_000015_processor_accounts;
mod m20261207_000016_test_processor_records;
mod m20261207_000017_disputes;
mod m20261207_000018_audit_events;
mod m20261207_000019_event_trace_parent;
mod m20261207_000020_locales;
mod m20261207_000021_customer_portal_sessions;
mod m20261207_000022_event_payment_profile;
mod m20261207_000023_verification_card;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let migrations: Vec<Box<dyn MigrationTrait>> = vec![
            Box::new(m20261125_000001_core::Migration),
            Box::new(m20261125_000002_vault::Migration),
            Box::new(m20261125_000003_fraud::Migration),
            Box::new(m20261125_000004_customers_keep::Migration),
            Box::new(m20261129_000005_paid_once::Migration),
            Box::new(m20261129_000006_api_keys::Migration),
            Box::new(m20261129_000007_allowed_origins::Migration),
            Box::new(m20261129_000008_persisted_queries::Migration),
            Box::new(m20261129_000009_refunds::Migration),
            Box::new(m20261129_000010_webhook_endpoints::Migration),
            Box::new(m20261129_000011_manual_capture::Migration),
            Box::new(m20261129_000012_webhook_deliveries::Migration),
            Box::new(m20261207_000013_persisted_approvals::Migration),
            Box::new(m20261207_000014_debt_paid_once::Migration),
            Box::new(m20261207_000015_processor_accounts::Migration),
            Box::new(m20261207_000016_test_processor_records::Migration),
            Box::new(m20261207_000017_disputes::Migration),
            Box::new(m20261207_000018_audit_events::Migration),
            Box::new(m20261207_000019_event_trace_parent::Migration),
            Box::new(m20261207_000020_locales::Migration),
            Box::new(m20261207_000021_customer_portal_sessions::Migration),
            Box::new(m20261207_000022_event_payment_profile::Migration),
            Box::new(m20261207_000023_verification_card::Migration),
        ];
        migrations.into_iter().map(|migration| Box::new(AllOrNothing(migration)) as Box<dyn MigrationTrait>).collect()
    }
}

/// A migration run in one transaction with the record that it ran, on every backend.
/// sea-orm-migration does so on PostgreSQL only: on SQLite a process killed part way left
/// some of a migration's columns without its record, and every later start failed on them
/// (`duplicate column name`). SQLite's DDL is transactional, so it can all roll back.
struct AllOrNothing(Box<dyn MigrationTrait>);

impl MigrationName for AllOrNothing {
    fn name(&self) -> &str {
        self.0.name()
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AllOrNothing {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.up(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.down(manager).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
