//! Storage: the database connection, migrations, entities and keyset pagination.

pub mod audit;
pub mod batch;
pub mod deliveries;
pub mod disputes;
/// The tables' rows: storage's own. Only tests that read or break rows directly see them
/// (`test-tables`, a dev-dependency feature); above storage nothing can name one.
#[cfg(feature = "test-tables")]
pub mod entities;
#[cfg(not(feature = "test-tables"))]
mod entities;
pub mod events;
pub mod fraud;
pub mod holds;
pub mod idempotency;
pub mod keys;
pub mod kinds;
pub mod ledger;
pub mod links;
pub mod listings;
pub mod merchants;
pub mod orders;
pub mod page;
pub mod payments;
pub mod persisted;
pub mod portals;
pub mod processor_accounts;
pub mod profiles;
pub mod records;
pub mod refunds;
pub mod relations;
pub mod renewals;
pub mod secrets;
pub mod sessions;
pub mod subscriptions;
pub mod tenanted;
pub mod test_processor;
pub mod totals;
pub mod transition;
pub mod webhooks;
pub mod writes;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database as Connector, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// The database handle every storage function takes.
pub use sea_orm::DatabaseConnection as Database;

use crate::telemetry::Metrics;

/// Connects to SQLite or PostgreSQL, counting every statement into `metrics`.
///
/// For SQLite the file's folder is created and WAL is switched on, so readers never wait
/// for the writer.
pub async fn connect(url: &str, metrics: Arc<Metrics>) -> anyhow::Result<Database> {
    if let Some(path) = sqlite_file(url) {
        if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if sqlite_file(url).is_some() { 8 } else { 16 })
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    let mut db = Connector::connect(options).await.context("connecting to the database")?;
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA journal_mode=WAL").await.context("enabling WAL")?;
    }
    db.set_metric_callback(move |info| metrics.count_statement(info.elapsed));
    Ok(db)
}

/// Begins a transaction that may write. Every storage transaction that writes starts here.
///
/// On SQLite it takes the write lock at `BEGIN` (`BEGIN IMMEDIATE`): a deferred transaction
/// starts as a reader, and when another connection has written since, its upgrade to a
/// writer fails at once with "database is locked" (the busy timeout cannot help a reader
/// whose snapshot is stale). An immediate one waits its turn under the busy timeout, before
/// it has read anything. PostgreSQL ignores the mode: its row locks queue writers.
pub(crate) async fn begin_write(db: &Database) -> Result<DatabaseTransaction, DbErr> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    db.begin_with_options(options).await
}

/// The file path of a `sqlite://` URL, if it is one with a file.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Applies every pending migration.
pub async fn migrate(db: &Database) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("running migrations")
}

/// Whether the database answers, for `/readyz`.
pub async fn ping(db: &Database) -> bool {
    tokio::time::timeout(Duration::from_secs(2), db.ping()).await.is_ok_and(|r| r.is_ok())
}

/// Whether a transaction failed only for its timing and may simply run again: PostgreSQL
/// broke a deadlock by aborting it (40P01), or could not serialize it (40001).
pub fn is_transient(err: &sea_orm::DbErr) -> bool {
    let text = err.to_string();
    text.contains("deadlock detected") || text.contains("could not serialize access")
}

/// Whether a database error is a unique-constraint violation (a lost insert race).
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}
