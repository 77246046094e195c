//! `demo`: Betaalpod on one machine, with no setup: three reference organisations (CJIB, DUO
//! and CAK, the first members of the Betalingsregeling Rijk) on loopback with generated data and
//! dev-login, a demo pod that trusts them, and the web UI.
//!
//! A binary of its own, so that the citizen's `pod` never links the organisations' server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use age::secrecy::SecretString;
use clap::Parser;
use pod::store::{KdfCost, PodDir};
use pod::web::{App, WebConfig};
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

/// The demo pod's passphrase (printed at start; never use it for a real pod).
const DEMO_PASSPHRASE: &str = "betaalpod demo 2026";

/// Run Betaalpod locally: three sample organisations, a demo pod and the web UI.
#[derive(Debug, Parser)]
#[command(name = "demo", version, about, long_about = None)]
struct Args {
    /// The demo folder [default: the data folder's `betaalpod-demo`].
    #[arg(long, env = "BETAALPOD_DEMO_DIR", value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Where the web UI listens.
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: SocketAddr,
    /// How many citizens each organisation knows (at least 3).
    #[arg(long, default_value_t = 10)]
    citizens: usize,
    /// The same seed gives the same data on every run.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Throw the demo folder away and start over.
    #[arg(long)]
    fresh: bool,
}

fn main() -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // DEMO_LOG sets the level (default `error`), as POD_LOG does for `pod`.
    let filter = tracing_subscriber::EnvFilter::try_from_env("DEMO_LOG").unwrap_or_else(|_| "error".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Runs the demo until Ctrl-C.
fn run(args: Args) -> anyhow::Result<()> {
    if args.citizens < 3 {
        anyhow::bail!("--citizens must be at least 3 (the demo shows three kinds of citizen)");
    }
    if !args.listen.ip().is_loopback() {
        anyhow::bail!("the demo only listens on loopback; use an address like 127.0.0.1:7878");
    }
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PodDir::default_location().with_file_name("betaalpod-demo"));
    if args.fresh && dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| anyhow::anyhow!("cannot remove {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let mut orgs = Vec::new();
        for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak] {
            orgs.push(
                LocalOrganisation::start(
                    org,
                    args.citizens,
                    args.seed,
                    &dir.join("organisations").join(org.short()),
                )
                .await?,
            );
        }
        let pod_dir = PodDir::new(dir.join("pod"));
        let secret = SecretString::from(DEMO_PASSPHRASE.to_owned());
        if !pod_dir.exists() {
            pod_dir.init(&secret, KdfCost::Standard)?;
        }
        {
            // The organisations get new ports on every start; the demo's own scheme follows them
            // (their keys, and so the fingerprints, stay the same).
            let pod = pod_dir.unlock(&secret)?;
            let mut scheme = pod::scheme::load(&pod)?;
            for org in &orgs {
                scheme.pin(org.descriptor()?);
            }
            pod::scheme::save(&pod, &scheme)?;
        }
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
        let listen = listener.local_addr()?;
        let app = Arc::new(App::new(
            pod_dir,
            WebConfig::local(listen, std::time::Duration::from_secs(600)),
        ));
        println!("Betaalpod demo is running.");
        println!();
        println!("  Open:        http://{listen}/");
        println!("  Passphrase:  {DEMO_PASSPHRASE}");
        println!();
        println!("  Demo citizens (log in at each organisation with BSN and PIN):");
        let kinds = ["claims at CJIB, DUO and CAK", "claims at CJIB only", "no claims"];
        for (index, kind) in kinds.iter().enumerate() {
            let (bsn, pin) = demo_data::citizen(args.seed, index);
            println!("    {}. BSN {bsn}  PIN {pin}  {kind}", index + 1);
        }
        println!();
        println!(
            "  Stop with Ctrl-C. The demo keeps its data in {} (start over with --fresh).",
            dir.display()
        );
        use std::io::Write;
        std::io::stdout().flush()?;
        pod::web::serve(app, listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        drop(orgs);
        println!("Demo stopped.");
        Ok(())
    })
}
