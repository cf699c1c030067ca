//! The `paygraph` binary: `serve` (default), `migrate`, `merchant create`, `schema`.
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
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(Subcommand)]
enum MerchantCommand {
    /// Create a merchant; prints its secret key on the last line.
    Create {
        #[arg(long)]
        name: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init();
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
            eprintln!("created merchant {} ({})", created.merchant.name, created.merchant.id);
            println!("{}", created.secret_key);
            Ok(())
        }
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = Application::build(config).await?;
    let base = app.services().public_url.clone();
    if !app.services().auth.has_merchants().await.map_err(|e| anyhow::anyhow!("{e}"))? {
        let demo = app.services().auth.create_merchant("Demo merchant").await.map_err(|e| anyhow::anyhow!("{e}"))?;
        eprintln!("created a demo merchant; its secret key (shown once):");
        eprintln!("    {}", demo.secret_key);
    }
    eprintln!("paygraph listening on {}", app.address());
    eprintln!("GraphiQL: {base}/graphql  (send `Authorization: Bearer <key>`)");
    app.run_until_stopped().await
}
