//! The `paygraph` binary: `serve` (default), `migrate`, `merchant create`, `key ...`, `schema`.
//!
//! Commands that make a secret print it alone on stdout's last line; everything meant for
//! people goes to stderr, so `KEY=$(paygraph merchant create --name Acme | tail -n1)` works.

use clap::{Parser, Subcommand};
use paygraph::config::Config;
use paygraph::startup::Application;
use paygraph::{graphql, storage, telemetry};

#[derive(Parser)]
#[command(name = "paygraph", version, about = "Payment sessions as a connected GraphQL graph")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage merchants.
    Merchant {
        #[command(subcommand)]
        command: MerchantCommand,
    },
    /// Manage a merchant's secret keys.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Write a merchant's audit events, oldest first, as JSON lines on stdout.
    Export {
        #[arg(long)]
        merchant: uuid::Uuid,
        /// From this moment on (RFC 3339, e.g. 2026-12-01T00:00:00Z); default: all kept.
        #[arg(long)]
        since: Option<chrono::DateTime<chrono::Utc>>,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create a key; prints its secret on the last line.
    Create {
        /// The merchant's id, as `merchant create` printed it.
        #[arg(long)]
        merchant: uuid::Uuid,
        #[arg(long)]
        name: Option<String>,
        /// Reads and subscribes only: every mutation is refused.
        #[arg(long)]
        read_only: bool,
    },
    /// List the merchant's keys: id, prefix, scope, created, last used, expires, revoked.
    List {
        #[arg(long)]
        merchant: uuid::Uuid,
        #[arg(long)]
        include_revoked: bool,
    },
    /// Revoke a key at once.
    Revoke {
        #[arg(long)]
        merchant: uuid::Uuid,
        /// The key's id, as `key list` prints it.
        #[arg(long)]
        id: String,
    },
    /// Make a new key like this one; the old keeps working for `--expires-in-seconds`
    /// (default 0: it stops now). Prints the new secret on the last line.
    Roll {
        #[arg(long)]
        merchant: uuid::Uuid,
        #[arg(long)]
        id: String,
        #[arg(long, default_value_t = 0)]
        expires_in_seconds: i64,
    },
}

#[derive(Subcommand)]
enum MerchantCommand {
    /// Create a merchant; prints its secret key on the last line.
    Create {
        #[arg(long)]
        name: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Before the runtime: the trace exporter, if any, runs on a thread of its own, and is
    // flushed when `_telemetry` drops, after the runtime has stopped.
    let _telemetry = telemetry::init();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Migrate => {
            let db = storage::connect(&cli.config.database_url, Default::default()).await?;
            storage::migrate(&db).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Merchant { command: MerchantCommand::Create { name } } => {
            let services = paygraph::startup::services(&cli.config, String::new()).await?;
            let created = services.auth.create_merchant(&name).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            // Recorded once it exists: the merchant's first event.
            let made = std::future::ready(Ok(()));
            services.audit.cli(created.merchant.id, "merchant create", &[], made, |_| vec![]).await.ok();
            eprintln!("created merchant {} ({})", created.merchant.name, created.merchant.id);
            println!("{}", created.secret_key);
            Ok(())
        }
        Command::Key { command } => {
            let services = paygraph::startup::services(&cli.config, String::new()).await?;
            keys(&services, command).await
        }
        Command::Audit { command: AuditCommand::Export { merchant, since } } => {
            let services = paygraph::startup::services(&cli.config, String::new()).await?;
            let since = since.unwrap_or(chrono::DateTime::UNIX_EPOCH);
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let written = services.audit.export(paygraph::domain::MerchantId(merchant), since, &mut out).await?;
            eprintln!("{written} audit events");
            Ok(())
        }
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let graphiql = config.serves_graphiql();
    let app = Application::build(config).await?;
    let base = app.services().public_url.clone();
    // In production nobody should find a merchant, or its key in a log, that they did not make.
    if !app.production() && !app.services().auth.has_merchants().await.map_err(|e| anyhow::anyhow!("{e}"))? {
        let demo = app.services().auth.create_merchant("Demo merchant").await.map_err(|e| anyhow::anyhow!("{e}"))?;
        eprintln!("created a demo merchant; its secret key (shown once):");
        eprintln!("    {}", demo.secret_key);
    }
    eprintln!("paygraph listening on {}", app.address());
    if graphiql {
        eprintln!("GraphiQL: {base}/graphql  (send `Authorization: Bearer <key>`)");
    }
    app.run_until_stopped().await
}

async fn keys(services: &paygraph::service::Services, command: KeyCommand) -> anyhow::Result<()> {
    use paygraph::domain::api_key::KeyScope;
    use paygraph::domain::{ApiKeyId, MerchantId, TypedId};
    let failed = |e: paygraph::error::AppError| anyhow::anyhow!("{e}");
    let key_id = |id: &str| ApiKeyId::from_global(id).map_err(|_| anyhow::anyhow!("`{id}` is not a key id"));
    let made_key = |issued: &paygraph::service::keys::IssuedKey| vec![issued.key.id.to_global()];
    match command {
        KeyCommand::Create { merchant, name, read_only } => {
            let (merchant, scope) =
                (MerchantId(merchant), if read_only { KeyScope::ReadOnly } else { KeyScope::ReadWrite });
            let work = services.keys.create(merchant, name, scope);
            let issued = services.audit.cli(merchant, "key create", &[], work, made_key).await.map_err(failed)?;
            eprintln!("created key {} ({}, {})", issued.key.id.to_global(), issued.key.prefix, scope.as_str());
            println!("{}", issued.secret);
        }
        KeyCommand::List { merchant, include_revoked } => {
            for key in services.keys.list(MerchantId(merchant), include_revoked).await.map_err(failed)? {
                let at = |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or("-".to_owned(), |t| t.to_rfc3339());
                println!(
                    "{}\t{}\t{}\tcreated {}\tlast used {}\texpires {}\trevoked {}",
                    key.id.to_global(),
                    key.prefix,
                    key.scope.as_str(),
                    key.created_at.to_rfc3339(),
                    at(key.last_used_at),
                    at(key.expires_at),
                    at(key.revoked_at),
                );
            }
        }
        KeyCommand::Revoke { merchant, id } => {
            let (merchant, key) = (MerchantId(merchant), key_id(&id)?);
            let work = services.keys.revoke(merchant, key);
            let key = services.audit.cli(merchant, "key revoke", &[id], work, |_| vec![]).await.map_err(failed)?;
            eprintln!("revoked key {} ({})", key.id.to_global(), key.prefix);
        }
        KeyCommand::Roll { merchant, id, expires_in_seconds } => {
            let (merchant, key) = (MerchantId(merchant), key_id(&id)?);
            let work = services.keys.roll(merchant, key, expires_in_seconds);
            let made = |rolled: &paygraph::service::keys::RolledKey| vec![rolled.issued.key.id.to_global()];
            let rolled = services.audit.cli(merchant, "key roll", &[id], work, made).await.map_err(failed)?;
            let until = rolled.previous.expires_at.map_or("now".to_owned(), |t| t.to_rfc3339());
            eprintln!("rolled key {}: it works until {until}", rolled.previous.id.to_global());
            eprintln!("new key {} ({})", rolled.issued.key.id.to_global(), rolled.issued.key.prefix);
            println!("{}", rolled.issued.secret);
        }
    }
    Ok(())
}
