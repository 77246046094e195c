//! `pod serve [--dir DIR] [--listen 127.0.0.1:7878] [--allow-remote]`: the local web UI.

use std::net::SocketAddr;
use std::io::Write;
use std::sync::Arc;

use pod::web::{App, WebConfig};

use super::admin::DirArgs;

/// Arguments of `pod serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    dir: DirArgs,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: SocketAddr,
    /// Allow a non-loopback --listen address (anyone who can reach it sees the unlock page).
    #[arg(long)]
    allow_remote: bool,
    /// Lock after this many idle minutes.
    #[arg(long, default_value_t = 10)]
    auto_lock_minutes: u64,
}

/// Serves until Ctrl-C, starting locked.
pub fn run(args: Args) -> anyhow::Result<()> {
    if !args.listen.ip().is_loopback() {
        if !args.allow_remote {
            anyhow::bail!(
                "{} is not a loopback address; add --allow-remote if you really want others on the network to reach your pod",
                args.listen
            );
        }
        eprintln!(
            "warning: listening on {}: anyone who can reach it sees your unlock page. Use this only behind a trusted reverse proxy with TLS.",
            args.listen
        );
    }
    let dir = args.dir.pod();
    if !dir.exists() {
        anyhow::bail!(
            "there is no pod in {0}; create one with `pod init --dir {0}`",
            dir.root().display()
        );
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
        let listen = listener.local_addr()?;
        let app = Arc::new(App::new(
            dir,
            WebConfig::local(listen, std::time::Duration::from_secs(args.auto_lock_minutes * 60)),
        ));
        println!("Betaalpod is running at http://{listen}/ (locked). Press Ctrl-C to stop.");
        pod::web::serve(app, listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        // stdout may be gone by now; that must not fail the shutdown.
        let _ = writeln!(std::io::stdout(), "Stopped; the pod is locked.");
        Ok(())
    })
}
