//! `pod serve [--dir DIR | --provider URL --pod-id ID] [--listen 127.0.0.1:7878]
//! [--allow-remote]`: the local web UI, over a pod folder or over a pod at a provider.

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
    /// Open your pod at this pod provider instead of a folder (`https://pods.example.nl`): its
    /// records stay there, sealed; the passphrase, keys and plaintext stay on this machine, and
    /// the provider's own app is not used.
    #[arg(long, value_name = "URL", requires = "pod_id", conflicts_with = "dir")]
    provider: Option<url::Url>,
    /// Your pod number at --provider (32 hex digits, shown at sign-up).
    #[arg(long, value_name = "ID", requires = "provider")]
    pod_id: Option<String>,
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
    let provider_pod = match (&args.provider, &args.pod_id) {
        (Some(url), Some(pod_id)) => {
            if pod_id.len() != 32 || !pod_id.bytes().all(|b| b.is_ascii_hexdigit()) {
                anyhow::bail!("--pod-id must be the 32 hex digits your provider showed at sign-up");
            }
            if url.scheme() != "https" && !url.host_str().is_some_and(|h| h == "127.0.0.1" || h == "localhost" || h == "[::1]") {
                anyhow::bail!("--provider must be an https:// address (plain http only on this machine)");
            }
            Some(pod::store::remote::ProviderPod {
                url: url.clone(),
                pod_id: pod_id.to_ascii_lowercase(),
            })
        }
        _ => None,
    };
    let dir = args.dir.pod();
    if provider_pod.is_none() && !dir.exists() {
        anyhow::bail!(
            "there is no pod in {0}; create one with `pod init --dir {0}`, or open a pod at a provider with --provider URL --pod-id ID",
            dir.root().display()
        );
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
        let listen = listener.local_addr()?;
        let config = WebConfig::local(listen, std::time::Duration::from_secs(args.auto_lock_minutes * 60));
        let app = Arc::new(match provider_pod {
            Some(at) => App::at_provider(at, config),
            None => App::new(dir, config),
        });
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
