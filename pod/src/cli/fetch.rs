//! `pod fetch`: fetch your claim documents now, from the organisations you choose.
//!
//! By default the pod opens each organisation's login in your browser and catches the answer on a
//! loopback address (RFC 8252). With `--no-browser` it prints `login <org-id> <url>` lines
//! instead. `--dev-login BSN:PIN` fills in the reference server's test login, for demos and
//! scripts. It waits up to 5 minutes for the logins.

use std::sync::Arc;

use fetcher::login::{BrowserLogin, Callback, DevLogin};
use fetcher::{FetchOptions, Stage};
use pod::fetching::{FetchOutcome, fetch_and_store};
use pod_ui::i18n::Text;

use super::admin::{DirArgs, unlock};

/// Arguments of `pod fetch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    dir: DirArgs,
    /// Only these organisations (by id); default: all in your scheme.
    #[arg(long = "source", value_name = "ID")]
    sources: Vec<String>,
    /// Print the login URLs (`login <org-id> <url>`) instead of opening a browser.
    #[arg(long)]
    no_browser: bool,
    /// Log in with test data at reference servers (BSN:PIN). Never real credentials.
    #[arg(long, value_name = "BSN:PIN")]
    dev_login: Option<String>,
    /// Seconds each organisation may take once you have logged in.
    #[arg(long, default_value_t = 15)]
    timeout: u64,
}

/// Opens `url` in the citizen's browser; false if no opener could be started.
fn open_in_browser(url: &str) -> bool {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

/// Runs a fetch and prints one line per organisation. Exits non-zero if any failed.
pub fn run(args: Args) -> anyhow::Result<()> {
    let pod = unlock(&args.dir)?;
    let scheme = pod::scheme::load(&pod)?;
    let orgs: Vec<_> = scheme
        .organisations
        .into_iter()
        .filter(|o| args.sources.is_empty() || args.sources.iter().any(|id| id == o.id.as_str()))
        .collect();
    if orgs.is_empty() {
        anyhow::bail!("no organisations to fetch from; add one with `pod scheme add URL` (or check --source)");
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let outcomes = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let redirect: url::Url = format!("http://{}/oauth/callback", listener.local_addr()?).parse()?;
        let mut options = FetchOptions::new(redirect);
        options.network_timeout = std::time::Duration::from_secs(args.timeout);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<fetcher::Progress>();
        let names: std::collections::HashMap<String, String> =
            orgs.iter().map(|o| (o.id.to_string(), o.name.clone())).collect();
        let open_browser = !args.no_browser && args.dev_login.is_none();
        // Printed as it comes; awaited at the end, so no line is lost when the fetch ends first.
        let printer = tokio::spawn(async move {
            while let Some(progress) = rx.recv().await {
                let name = names
                    .get(&progress.org)
                    .cloned()
                    .unwrap_or_else(|| progress.org.clone());
                match progress.stage {
                    Stage::WaitingForLogin(url) => {
                        if !(open_browser && open_in_browser(url.as_str())) {
                            println!("login {} {url}", progress.org);
                        }
                        eprintln!("{name}: waiting for you to log in…");
                    }
                    Stage::Fetching => eprintln!("{name}: fetching…"),
                    Stage::Verifying => eprintln!("{name}: checking signature and contents…"),
                    Stage::Done | Stage::Failed(_) => {}
                }
            }
        });
        let result = match &args.dev_login {
            Some(credentials) => {
                let (bsn, pin) = credentials
                    .split_once(':')
                    .ok_or_else(|| anyhow::anyhow!("--dev-login takes BSN:PIN"))?;
                drop(listener);
                fetch_and_store(&pod, &orgs, &DevLogin::new(bsn, pin), &options, Some(tx)).await?
            }
            None => {
                let browser = Arc::new(BrowserLogin::default());
                let callback_target = browser.clone();
                let app = axum::Router::new().route(
                    "/oauth/callback",
                    axum::routing::get(move |uri: axum::http::Uri| {
                        let browser = callback_target.clone();
                        async move {
                            let url = url::Url::parse(&format!("http://127.0.0.1{uri}")).ok();
                            let delivered = url.is_some_and(|u| browser.deliver(Callback::from_url(&u)));
                            let text = pod_ui::i18n::both(if delivered { Text::LoggedIn } else { Text::LoginUnknown });
                            axum::response::Html(format!("<!doctype html><meta charset=utf-8><p>{text}</p>"))
                        }
                    }),
                );
                let server = tokio::spawn(async move { axum::serve(listener, app).await });
                let result = fetch_and_store(&pod, &orgs, browser.as_ref(), &options, Some(tx)).await?;
                server.abort();
                result
            }
        };
        // Every sender is gone with the fetch, so the printer ends once it has printed the rest.
        let _ = printer.await;
        Ok::<Vec<FetchOutcome>, anyhow::Error>(result)
    })?;
    let mut failed = 0;
    for outcome in &outcomes {
        match &outcome.result {
            Ok(record) => println!("ok     {}: stored as record {record}", outcome.name),
            Err(message) => {
                failed += 1;
                println!("failed {message}");
            }
        }
    }
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {} organisation(s) failed; the others are stored",
            outcomes.len()
        );
    }
    Ok(())
}
