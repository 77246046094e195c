//! What the browser tests of the hosted pod share: the app built once, the real `provider`
//! process, organisations that record what reached them, and the citizen's logins in the
//! windows the app opens.
#![allow(dead_code, unused_imports)] // each test binary uses its own part

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use browser_harness::expected_outstanding;
use browser_harness::{Client, Locator};
use serde_json::Value;

pub const SEED: u64 = 7;
pub const PASSPHRASE: &str = "een lange geheime zin voor de test";

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The browser app, built once per test process.
pub fn app_dir() -> PathBuf {
    static BUILT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let built = *BUILT.get_or_init(|| {
        Command::new(workspace().join("scripts/build-wasm"))
            .status()
            .expect("scripts/build-wasm runs")
            .success()
    });
    assert!(built, "scripts/build-wasm failed; run it by hand to see why");
    workspace().join("target/pod-web")
}

pub struct ProviderProcess {
    pub child: Child,
    pub url: String,
    pub log: PathBuf,
}

impl Drop for ProviderProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_provider(dir: &Path) -> ProviderProcess {
    start_provider_with_app(dir, &app_dir())
}

pub fn start_provider_with_app(dir: &Path, app: &Path) -> ProviderProcess {
    let config = dir.join("provider.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:8080\"\ndata_dir = \"{}\"\napp_dir = \"{}\"\napp_connect_src = [\"http://127.0.0.1:*\"]\n",
            dir.join("vault").display(),
            app.display()
        ),
    )
    .unwrap();
    let log = dir.join("provider.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_provider"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("PROVIDER_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:") && !w.ends_with(":8080"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    ProviderProcess { child, url, log }
}

/// Every request an organisation received: method, path, `Origin`, `Authorization`, body.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub origin: Option<String>,
    pub authorization: Option<String>,
    pub body: String,
}

pub type Recorder = Arc<Mutex<Vec<Seen>>>;

pub fn recording(recorder: Recorder) -> impl FnOnce(axum::Router) -> axum::Router {
    move |router| {
        router.layer(axum::middleware::from_fn(move |request: axum::extract::Request, next: axum::middleware::Next| {
            let recorder = recorder.clone();
            async move {
                let (parts, body) = request.into_parts();
                let bytes = axum::body::to_bytes(body, 8 * 1024 * 1024).await.unwrap_or_default();
                let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
                recorder.lock().unwrap().push(Seen {
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_owned(),
                    origin: header("origin"),
                    authorization: header("authorization"),
                    body: String::from_utf8_lossy(&bytes).into_owned(),
                });
                next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await
            }
        }))
    }
}

pub async fn open_app(client: &Client, url: &str) {
    browser_harness::open_until_ready(client, &format!("{url}/app/index.html")).await;
}

/// Runs an async script in the app; its result, or `{"error": …}`.
pub async fn run(client: &Client, body: &str, args: Vec<Value>) -> Value {
    let script = format!(
        "const done = arguments[arguments.length - 1];
         const {{ core, provider, fetching, arrangements }} = window.betaalpod;
         (async () => {{ {body} }})().then(done, (e) => done({{ error: String(e.message || e) }}));"
    );
    client.execute_async(&script, args).await.unwrap()
}

/// Logs in at each organisation's own page, in the window the app opened, as the citizen would.
pub async fn log_in_in_popups(client: &Client, main: &fantoccini::wd::WindowHandle, count: usize, bsn: &str, pin: &str) {
    for n in 0..count {
        let mut popup = None;
        for _ in 0..200 {
            let windows = client.windows().await.unwrap();
            if let Some(other) = windows.into_iter().find(|w| w != main) {
                popup = Some(other);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let popup = popup.unwrap_or_else(|| panic!("login window {n} never opened"));
        client.switch_to_window(popup).await.unwrap();
        browser_harness::log_in_at_organisation(client, bsn, pin).await;
        client.switch_to_window(main.clone()).await.unwrap();
        // The callback page closes its window; wait for that before the next one opens.
        for _ in 0..200 {
            if client.windows().await.unwrap().len() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Signs up in the app (the identity and data key are made in the page, the passphrase never
/// leaves it), logs in and pins `descriptors`; `window.journey` holds the pod and the session.
/// Returns `{ podId, code }`.
pub async fn sign_up_and_pin(client: &Client, descriptors: &[Value]) -> Value {
    run(
        client,
        "const code = core.Pod.newRecoveryCode();
         const pod = core.Pod.create(arguments[0], code);
         const { podId, firstWrites } = await provider.signUp(core, pod, arguments[0], code);
         const session = await provider.logIn(core, podId, arguments[0]);
         session.attach(pod);
         await session.batch(firstWrites);
         await session.batch(JSON.parse(pod.pin(JSON.stringify(arguments[1]), new Date().toISOString())));
         window.journey = { pod, session, podId, code };
         return { podId, code };",
        vec![serde_json::json!(PASSPHRASE), serde_json::json!(descriptors)],
    )
    .await
}

/// Starts the app's fetch from every pinned organisation; `window.journey.fetched` is its
/// promise.
pub async fn start_fetch_all(client: &Client) {
    client
        .execute(
            "const { core, fetching } = window.betaalpod;
             const pinned = JSON.parse(window.journey.pod.pinned());
             window.journey.fetched = fetching.fetchAll(core, window.journey.pod, window.journey.session, pinned,
               { clientId: arguments[0], redirectUri: window.location.origin + '/app/callback.html' });
             return true;",
            vec![serde_json::json!(source::local::WEB_CLIENT_ID)],
        )
        .await
        .unwrap();
}

/// A fetch's chain of logins: waits for the one login window the app opened, logs in there at
/// `count` organisations in turn (each dev login shows its form, as a provider without a session
/// would), and waits until the app closes the window at the end.
pub async fn log_in_in_chain(client: &Client, main: &fantoccini::wd::WindowHandle, count: usize, bsn: &str, pin: &str) {
    let mut popup = None;
    for _ in 0..200 {
        if let Some(other) = client.windows().await.unwrap().into_iter().find(|w| w != main) {
            popup = Some(other);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let popup = popup.expect("the login window never opened");
    client.switch_to_window(popup).await.unwrap();
    for _ in 0..count {
        let form = browser_harness::wait_for_login_form(client).await;
        browser_harness::log_in_at_organisation(client, bsn, pin).await;
        browser_harness::wait_until_away_from(client, &form).await;
    }
    client.switch_to_window(main.clone()).await.unwrap();
    for _ in 0..200 {
        if client.windows().await.unwrap().len() == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the app never closed its login window");
}

/// On the app's progress page: opens each organisation's login with a click on its link, as
/// the citizen would, and logs in there.
pub async fn log_in_from_progress_page(client: &Client, main: &fantoccini::wd::WindowHandle, count: usize, bsn: &str, pin: &str) {
    for n in 0..count {
        let link = client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css("a.login-link"))
            .await
            .unwrap_or_else(|e| panic!("login link {n} never showed: {e}"));
        link.click().await.unwrap();
        log_in_in_popups(client, main, 1, bsn, pin).await;
    }
}
