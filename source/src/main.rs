//! `source`: the reference server an organisation runs to answer authorised Betaalpod fetches.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use schemas::arrangement::ArrangementState;
use source::arrangements::ArrangementStore;
use source::backend::JsonFileBackend;
use source::config::Config;
use source::demo_data::{self, DemoOrg};
use source::server::{self, Source};

/// The Betaalpod reference server for organisations.
#[derive(Debug, Parser)]
#[command(name = "source", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (authorization server, claims API, arrangement intake).
    Serve {
        /// The configuration file.
        #[arg(long, value_name = "FILE.toml")]
        config: PathBuf,
        /// Delegate citizen login to this OpenID provider (overrides [upstream_oidc] issuer).
        #[arg(long, value_name = "ISSUER")]
        upstream_oidc: Option<url::Url>,
    },
    /// Create a new Ed25519 signing key file.
    Keygen {
        /// Where to write it (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The key id published in the JWKS.
        #[arg(long, default_value = "key-1")]
        kid: String,
    },
    /// Generate realistic sample data for one organisation.
    DemoData {
        /// Which organisation.
        #[arg(long, value_enum)]
        org: DemoOrg,
        /// How many citizens.
        #[arg(long, default_value_t = 10)]
        citizens: usize,
        /// The same seed gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The day the data describes (YYYY-MM-DD): what fell due before it is history, and
        /// monthly repayments fall due after it. Defaults to today; give a date for the same
        /// bytes on any day.
        #[arg(long, value_name = "DATE")]
        date: Option<chrono::NaiveDate>,
        /// Where to write the data file (JSON).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// List and decide submitted arrangements.
    Arrangements {
        #[command(subcommand)]
        action: ArrangementsAction,
    },
    /// Check an organisation descriptor (betaalpod-organisation/1) before publishing it.
    CheckDescriptor {
        /// The descriptor JSON file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ArrangementsAction {
    /// Show every submitted arrangement.
    List {
        /// The server's configuration file.
        #[arg(long, value_name = "FILE.toml")]
        config: PathBuf,
    },
    /// Accept or reject one arrangement.
    Decide {
        /// The receipt id (from `list`).
        id: String,
        /// The server's configuration file.
        #[arg(long, value_name = "FILE.toml")]
        config: PathBuf,
        /// Accept it.
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        accept: bool,
        /// Reject it (needs --reason).
        #[arg(long)]
        reject: bool,
        /// Why, in words the citizen can act on.
        #[arg(long)]
        reason: Option<String>,
    },
}

fn main() -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SOURCE_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let result = match Cli::parse().command {
        Command::Serve { config, upstream_oidc } => serve(&config, upstream_oidc),
        Command::Keygen { out, kid } => source::keys::keygen(&out, &kid).map(|jwk| {
            println!(
                "Wrote {}. Public key {} (fingerprint {}).",
                out.display(),
                jwk.kid,
                jwk.fingerprint()
            );
        }),
        Command::DemoData {
            org,
            citizens,
            seed,
            date,
            out,
        } => demo(org, citizens, seed, date.unwrap_or_else(|| chrono::Local::now().date_naive()), &out),
        Command::Arrangements { action } => arrangements(action),
        Command::CheckDescriptor { file } => return check_descriptor(&file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn serve(config_path: &Path, upstream: Option<url::Url>) -> anyhow::Result<()> {
    let mut config = Config::load(config_path)?;
    if let Some(issuer) = upstream {
        let settings = config.upstream_oidc.as_mut().ok_or_else(|| {
            anyhow::anyhow!("--upstream-oidc needs an [upstream_oidc] section with client_id in the config")
        })?;
        settings.issuer = issuer;
    }
    if config.dev_login {
        tracing::warn!(
            "dev_login is ON: anyone with a BSN and PIN from the data file can log in. Never use this in production."
        );
    }
    let backend = Arc::new(JsonFileBackend::load(&config.data)?);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listen = config.listen;
        let state = Arc::new(Source::new(config, backend, Arc::new(chrono::Utc::now)).await?);
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
        tracing::info!(%listen, issuer = %state.config.issuer(), "source is serving");
        server::serve(state, listener, shutdown_signal()).await?;
        tracing::info!("source stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
}

fn demo(org: DemoOrg, citizens: usize, seed: u64, day: chrono::NaiveDate, out: &Path) -> anyhow::Result<()> {
    let data = demo_data::generate_on(org, citizens, seed, day)?;
    std::fs::write(out, serde_json::to_vec_pretty(&data)?)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    println!("Wrote {} citizens for {} as of {day} to {}.", citizens, org.name(), out.display());
    for index in 0..citizens.min(3) {
        let (bsn, pin) = demo_data::citizen(seed, index);
        println!(
            "  citizen {index}: BSN {bsn}, PIN {pin}{}",
            if demo_data::has_claims(org, seed, index) {
                ""
            } else {
                " (no claims here)"
            }
        );
    }
    Ok(())
}

fn arrangements(action: ArrangementsAction) -> anyhow::Result<()> {
    match action {
        ArrangementsAction::List { config } => {
            let config = Config::load(&config)?;
            let store = ArrangementStore::open(&config.arrangements_dir())?;
            let all = store.list()?;
            if all.is_empty() {
                println!("No arrangements submitted.");
            }
            for a in all {
                println!(
                    "{}  {:<9} received {}  {} month(s) from {}, {} cents/month, {} claim(s){}",
                    a.receipt_id,
                    format!("{:?}", a.state).to_lowercase(),
                    a.received_at.to_rfc3339(),
                    a.part.term_months,
                    a.part.start_month,
                    a.part.monthly_cents,
                    a.part.claims.len(),
                    a.part
                        .pause
                        .as_ref()
                        .map(|p| format!(", pause {} month(s)", p.months))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        ArrangementsAction::Decide {
            id,
            config,
            accept,
            reject: _,
            reason,
        } => {
            let config = Config::load(&config)?;
            let store = ArrangementStore::open(&config.arrangements_dir())?;
            let state = if accept {
                ArrangementState::Accepted
            } else {
                ArrangementState::Rejected
            };
            let decided = store.decide(&id, state, reason, chrono::Utc::now().fixed_offset())?;
            println!("{} is now {:?}.", decided.receipt_id, decided.state);
            Ok(())
        }
    }
}

fn check_descriptor(file: &Path) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return ExitCode::from(1);
        }
    };
    match schemas::descriptor::OrganisationDescriptor::from_json(&bytes) {
        Ok(descriptor) => {
            println!(
                "ok: {} ({}), {} key(s)",
                descriptor.name,
                descriptor.id,
                descriptor.keys.len()
            );
            for key in &descriptor.keys {
                println!("  key {}  fingerprint {}", key.kid, key.fingerprint());
            }
            ExitCode::SUCCESS
        }
        Err(invalid) => {
            eprintln!("error: invalid descriptor at {invalid}");
            ExitCode::from(2)
        }
    }
}
