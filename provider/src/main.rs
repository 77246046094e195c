//! `provider`: a pod provider's server. See docs/PROVIDER.md.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use provider::config::ProviderConfig;
use provider::server::{AppState, serve};

/// A Betaalpod pod provider: stores citizens' encrypted pods and never holds a key.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the storage API.
    Serve {
        /// The provider's settings (see docs/PROVIDER.md).
        #[arg(long, env = "PROVIDER_CONFIG")]
        config: PathBuf,
    },
    /// Check a config file and exit.
    CheckConfig {
        /// The provider's settings.
        #[arg(long, env = "PROVIDER_CONFIG")]
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("PROVIDER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    if std::env::var("PROVIDER_LOG_FORMAT").as_deref() == Ok("json") {
        tracing_subscriber::fmt().json().with_env_filter(filter).with_writer(std::io::stderr).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    }
    match cli.command {
        Command::CheckConfig { config } => match ProviderConfig::load(&config) {
            Ok(_) => {
                println!("{} is a valid provider config", config.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        },
        Command::Serve { config } => {
            let config = match ProviderConfig::load(&config) {
                Ok(config) => config,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    return ExitCode::from(2);
                }
            };
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(runtime) => runtime,
                Err(e) => {
                    eprintln!("error: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(run(config)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn run(config: ProviderConfig) -> anyhow::Result<()> {
    let listen = config.listen;
    let public_url = config.public_url.clone();
    let state = AppState::open(config).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let address = listener.local_addr()?;
    // The one line scripts and tests read to find the port.
    println!("provider listening on http://{address} for {public_url}");
    serve(listener, state).await?;
    Ok(())
}
