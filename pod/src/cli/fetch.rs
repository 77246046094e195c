//! `pod fetch`: fetch your claim documents now, from the organisations you choose.
//!
//! By default the pod opens your browser once and runs the organisations' logins one after
//! another in that window, catching each answer on a loopback address (RFC 8252) and sending the
//! window straight on to the next organisation: with a login provider that keeps a session
//! (DigiD), you log in once. `$BROWSER`, if set, is the command that opens it. With
//! `--no-browser` it prints a `login <org-id> <url>` line for every organisation at once
//! instead. `--dev-login BSN:PIN` fills in the reference server's test login, for demos and
//! scripts. It waits up to 5 minutes for the logins.

use std::sync::Arc;

use fetcher::login::{BrowserLogin, Callback, DevLogin};
use fetcher::{FetchOptions, Stage};
use pod::fetching::{FetchOutcome, fetch_and_store, fetch_and_store_in_turn};
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

/// Opens `url` in the citizen's browser (with `$BROWSER` if set); false if no opener could be
/// started.
fn open_in_browser(url: &str) -> bool {
    let chosen = std::env::var("BROWSER").ok().filter(|b| !b.trim().is_empty());
    let default = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    let command = chosen.as_deref().unwrap_or(default);
    let mut words = command.split_whitespace();
    let Some(opener) = words.next() else { return false };
    std::process::Command::new(opener)
        .args(words)
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
        // With a browser the logins run as one chain in one window.
        let in_turn = !args.no_browser && args.dev_login.is_none();
        let (hop_tx, hop_rx) = tokio::sync::watch::channel(Hop::Busy);
        let hops = hop_tx.clone();
        // Printed as it comes; awaited at the end, so no line is lost when the fetch ends first.
        let printer = tokio::spawn(async move {
            let mut window_open = false;
            while let Some(progress) = rx.recv().await {
                let name = names
                    .get(&progress.org)
                    .cloned()
                    .unwrap_or_else(|| progress.org.clone());
                match progress.stage {
                    Stage::WaitingForLogin(url) => {
                        if in_turn && window_open {
                            // The window is on the last answer's page, which sends it on here.
                            hops.send_replace(Hop::Login(url));
                        } else if in_turn && open_in_browser(url.as_str()) {
                            window_open = true;
                            hops.send_replace(Hop::Login(url));
                        } else {
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
                let callbacks = Callbacks {
                    browser: browser.clone(),
                    hops: hop_rx.clone(),
                    in_turn,
                };
                let app = axum::Router::new().route(
                    "/oauth/callback",
                    axum::routing::get(move |uri: axum::http::Uri| {
                        let callbacks = callbacks.clone();
                        async move { callbacks.answer(uri).await }
                    }),
                );
                let mut finished = hop_rx.clone();
                let server = tokio::spawn(async move {
                    axum::serve(listener, app)
                        .with_graceful_shutdown(async move {
                            let _ = finished.wait_for(|hop| *hop == Hop::Finished).await;
                        })
                        .await
                });
                let result = if in_turn {
                    fetch_and_store_in_turn(&pod, &orgs, browser.as_ref(), &options, Some(tx)).await
                } else {
                    fetch_and_store(&pod, &orgs, browser.as_ref(), &options, Some(tx)).await
                };
                // The last answer's page is still waiting to say so; let it, then stop.
                hop_tx.send_replace(Hop::Finished);
                if tokio::time::timeout(std::time::Duration::from_secs(5), server).await.is_err() {
                    tracing::warn!("the login callback server did not stop in time");
                }
                result?
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

/// Where the chain of logins in the browser window is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Hop {
    /// Between two logins.
    Busy,
    /// Waiting for the citizen at this login.
    Login(url::Url),
    /// Every organisation is done.
    Finished,
}

/// The loopback callback: hands each answer to the waiting login, then (in a chain) sends the
/// window on to the next login, or says that it is done.
#[derive(Clone)]
struct Callbacks {
    browser: Arc<BrowserLogin>,
    hops: tokio::sync::watch::Receiver<Hop>,
    in_turn: bool,
}

impl Callbacks {
    async fn answer(&self, uri: axum::http::Uri) -> axum::response::Response {
        use axum::response::IntoResponse as _;
        let page = |text: Text| {
            axum::response::Html(format!("<!doctype html><meta charset=utf-8><p>{}</p>", pod_ui::i18n::both(text)))
                .into_response()
        };
        let url = url::Url::parse(&format!("http://127.0.0.1{uri}")).ok();
        if !url.is_some_and(|u| self.browser.deliver(Callback::from_url(&u))) {
            return (axum::http::StatusCode::BAD_REQUEST, page(Text::LoginUnknown)).into_response();
        }
        if !self.in_turn {
            return page(Text::LoggedIn);
        }
        let browser = self.browser.clone();
        let mut hops = self.hops.clone();
        let next = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            hops.wait_for(|hop| match hop {
                Hop::Login(url) => browser.is_waiting_at(url),
                Hop::Finished => true,
                Hop::Busy => false,
            }),
        )
        .await;
        match next.ok().and_then(Result::ok).map(|hop| hop.clone()) {
            Some(Hop::Login(url)) => axum::response::Redirect::to(url.as_str()).into_response(),
            _ => page(Text::LoggedIn),
        }
    }
}
