//! `pod provider serve --config provider.toml`: host many citizens' pods (docs/PROVIDER.md).

use std::path::PathBuf;
use std::io::Write;
use std::sync::Arc;

use pod::provider::{Provider, ProviderConfig, tenants::Tenants};
use pod::store::postgres::Database;

/// `pod provider …`.
#[derive(Debug, clap::Subcommand)]
pub enum ProviderCommand {
    /// Serve pods for many citizens from a shared PostgreSQL database.
    Serve(ServeArgs),
}

/// Arguments of `pod provider serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The provider config (docs/PROVIDER.md).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

/// Runs the subcommand.
pub fn run(command: ProviderCommand) -> anyhow::Result<()> {
    match command {
        ProviderCommand::Serve(args) => serve(args),
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = ProviderConfig::load(&args.config)?;
    let tenants = Arc::new(match (&config.database_url, &config.data_dir) {
        (Some(url), _) => Tenants::new(Database::connect(url, config.pool_size)?, &config.quotas),
        (None, Some(dir)) => Tenants::sled(dir, &config.quotas)?,
        (None, None) => anyhow::bail!("set database_url or data_dir"),
    });
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        let listen = listener.local_addr()?;
        let origin = config.origin();
        let provider = Arc::new(Provider::new(config, tenants));
        println!("Betaalpod provider listening on {listen} for {origin}. Ctrl-C or SIGTERM stops it.");
        tracing::info!(%listen, "provider started");
        pod::provider::serve(provider, listener, shutdown_signal()).await?;
        // stdout may be gone by now (a supervisor closed it); that must not fail the shutdown.
        let _ = writeln!(std::io::stdout(), "Stopped; every pod on this server is locked.");
        Ok(())
    })
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match terminate.as_mut() {
                Some(signal) => { signal.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}
