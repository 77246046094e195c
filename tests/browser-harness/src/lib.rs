//! Real headless Chromium for the tests: Debian's `chromium` driven through `chromedriver` by
//! fantoccini, with the flags this closed network needs, plus the few helpers every browser test
//! uses (page text, waiting, clicking, axe-core, screenshots). [`load`] has the benches' load
//! from a second process (wrk) and their baseline, the Community Solid Server; [`faulty`] has
//! servers that answer badly, for the fault tests.

#![warn(missing_docs)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub mod faulty;
pub mod keyboard;
pub mod load;
pub mod page_checks;

pub use fantoccini::{Client, Locator};
use fantoccini::ClientBuilder;

/// The running chromedriver and its profile; dropping it stops the browser.
pub struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver and Chromium with a fresh profile and opens a WebDriver session.
pub async fn start_browser() -> (Driver, Client) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver runs (scripts/test installs Debian's chromium-driver)");
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver {
        child,
        port,
        _profile: profile,
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                     format!("--user-data-dir={}", driver._profile.path().display())]
        }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session");
    (driver, client)
}

/// The page's visible text, retried while a navigation replaces the document.
pub async fn body_text(client: &Client) -> String {
    for _ in 0..50 {
        if let Ok(text) = client
            .execute(
                "return document.readyState === 'complete' ? document.body.innerText : null",
                vec![],
            )
            .await
            && let Some(text) = text.as_str()
        {
            return text.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never finished loading");
}

/// Waits until the page shows `needle`.
pub async fn wait_for_text(client: &Client, needle: &str) -> String {
    let mut text = String::new();
    for _ in 0..50 {
        text = body_text(client).await;
        if text.contains(needle) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed {needle:?}; it shows:\n{text}");
}

/// Clicks the element `locator` finds.
pub async fn click(client: &Client, locator: Locator<'_>) {
    client.find(locator).await.unwrap().click().await.unwrap();
}

/// Runs axe-core in the page; returns the serious and critical violations.
pub async fn accessibility_problems(client: &Client) -> Vec<String> {
    axe(client, "v.impact === 'serious' || v.impact === 'critical'").await
}

/// Runs axe-core in the page; returns every violation, whatever its impact.
pub async fn accessibility_violations(client: &Client) -> Vec<String> {
    axe(client, "true").await
}

async fn axe(client: &Client, keep: &str) -> Vec<String> {
    let axe = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../support/node_modules/axe-core/axe.min.js"),
    )
    .expect("axe-core is installed (npm ci in tests/support)");
    client.execute(&axe, vec![]).await.unwrap();
    let result = client
        .execute_async(
            &format!(
                "const done = arguments[arguments.length - 1]; axe.run(document).then(r => done(r.violations.filter(v => {keep}).map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))));"
            ),
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(result).unwrap()
}

/// Saves a PNG of the page at `width` pixels under `target/screenshots/NAME`.
pub async fn screenshot(client: &Client, width: u32, name: &str) {
    client.set_window_size(width, 900).await.unwrap();
    let png = client.screenshot().await.unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}


/// Opens a page of the browser app (or a test page of the pod core) and waits until its pod
/// core has loaded: its `#status` starts with `ready` (or the load failed, which panics).
pub async fn open_until_ready(client: &Client, url: &str) {
    client.goto(url).await.unwrap();
    for _ in 0..200 {
        let status = client
            .execute("return document.getElementById('status').textContent", vec![])
            .await
            .unwrap();
        let status = status.as_str().unwrap_or_default().to_owned();
        if status.starts_with("ready") {
            return;
        }
        assert!(!status.starts_with("failed"), "the pod core did not load: {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the pod core never loaded at {url}");
}

/// Opens the local pod at `pod_url` and unlocks it with `passphrase`; waits until it is open.
pub async fn unlock_pod(client: &Client, pod_url: &str, passphrase: &str) {
    client.goto(pod_url).await.unwrap();
    client
        .wait()
        .for_element(Locator::Id("passphrase"))
        .await
        .unwrap()
        .send_keys(passphrase)
        .await
        .unwrap();
    click(client, Locator::Css("main button[type=submit]")).await;
    // Unlocked: the header offers to lock (the overview itself may be empty or full).
    client.wait().for_element(Locator::Css("header form button")).await.unwrap();
}

/// Logs in on an organisation's (or its upstream's) login page, as the citizen with `bsn`
/// and `pin`.
pub async fn log_in_at_organisation(client: &Client, bsn: &str, pin: &str) {
    client
        .wait()
        .for_element(Locator::Id("bsn"))
        .await
        .unwrap()
        .send_keys(bsn)
        .await
        .unwrap();
    client.find(Locator::Id("pin")).await.unwrap().send_keys(pin).await.unwrap();
    click(client, Locator::Css("button[type=submit]")).await;
}

/// Saves the plan on the page, then presses "submit"; returns the saved plan's address.
pub async fn save_and_submit(client: &Client) -> String {
    click(client, Locator::Css("form[action='/arrangement/save'] button")).await;
    wait_for_text(client, "nog niet ingediend").await;
    let plan_url = client.current_url().await.unwrap().to_string();
    click(client, Locator::Id("submit-plan")).await;
    plan_url
}

/// Logs in as the citizen with `bsn` and `pin` at `count` organisations in turn: the pod's
/// chain of logins sends the browser to each organisation's own login page, one after another,
/// and ends on `end` once every organisation is done.
pub async fn log_in_in_turn(client: &Client, end: &str, count: usize, bsn: &str, pin: &str) {
    for _ in 0..count {
        let login_page = wait_for_login_form(client).await;
        log_in_at_organisation(client, bsn, pin).await;
        wait_until_away_from(client, &login_page).await;
    }
    wait_until_url(client, end).await;
}

/// [`log_in_in_turn`] for a fetch started under `pod_url`: it ends on the overview.
pub async fn log_in_as(client: &Client, pod_url: &str, count: usize, bsn: &str, pin: &str) {
    log_in_in_turn(client, &format!("{pod_url}/"), count, bsn, pin).await;
}

/// Waits until the browser is at exactly `url` (within 30 s), looking every 10 ms, so that
/// benches can time arrivals too.
pub async fn wait_until_url(client: &Client, url: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        // Mid-navigation the driver may not answer; that is only "not there yet".
        if client.current_url().await.is_ok_and(|at| at.as_str() == url) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the browser never reached {url}: {}", body_text(client).await);
}

/// Waits until the page shows a login form (`#bsn`); its address.
pub async fn wait_for_login_form(client: &Client) -> String {
    client.wait().for_element(Locator::Id("bsn")).await.unwrap();
    client.current_url().await.unwrap().to_string()
}

/// Waits until the browser has left `url` (a login page just submitted).
pub async fn wait_until_away_from(client: &Client, url: &str) {
    for _ in 0..200 {
        if client.current_url().await.unwrap().as_str() != url {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the browser stayed at {url}: {}", body_text(client).await);
}

/// Every file under `dir` with its bytes, for tests that read a server's storage as an attacker
/// would.
pub fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap_or_default()));
        }
    }
    out
}

/// What the organisations whose `data.json` lie in `dirs` hold for the citizen `bsn`, derived
/// natively as of `as_of`: the total an overview must show.
pub fn expected_outstanding(dirs: &[std::path::PathBuf], bsn: &str, as_of: chrono::NaiveDate) -> i64 {
    dirs.iter()
        .map(|dir| {
            let data: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("data.json")).unwrap()).unwrap();
            let document = serde_json::to_vec(&data[bsn]["document"]).unwrap();
            let document = schemas::fcid::parse(&document).unwrap();
            schemas::fcid::derive::view(&document, as_of)
                .matters
                .iter()
                .map(|m| m.outstanding_cents)
                .sum::<i64>()
        })
        .sum()
}

/// Every matter with something open in an overview (its JSON), as the claims of an arrangement
/// input: `{org, ref, outstanding_cents}`.
pub fn open_claims(overview: &serde_json::Value) -> Vec<serde_json::Value> {
    let organisations = overview["organisations"].as_array().cloned().unwrap_or_default();
    organisations
        .iter()
        .flat_map(|o| {
            let org = o["id"].clone();
            o["matters"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|m| m["outstanding_cents"].as_i64().unwrap_or(0) > 0)
                .map(move |m| serde_json::json!({"org": org, "ref": m["zaakkenmerk"], "outstanding_cents": m["outstanding_cents"]}))
        })
        .collect()
}

/// A real OpenID provider (the npm `oidc-provider`, from `tests/support`) on loopback: the
/// stand-in for DigiD, with a login session and no consent screen. Stopped when dropped.
pub struct OidcProvider {
    child: std::process::Child,
    /// Its issuer, `http://127.0.0.1:{port}`.
    pub issuer: String,
}

impl OidcProvider {
    /// Starts one on 127.0.0.1 whose client `betaalpod-source` may send citizens back to
    /// `redirect_uris`.
    pub fn start(redirect_uris: &[String]) -> Self {
        Self::start_on("127.0.0.1", redirect_uris)
    }

    /// The same on the loopback address `host`: browsers keep cookies per host, not per port, so
    /// each provider in one test needs its own address to keep its own login session.
    pub fn start_on(host: &str, redirect_uris: &[String]) -> Self {
        use std::io::BufRead as _;
        let support = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../support");
        assert!(
            support.join("node_modules/oidc-provider").exists(),
            "oidc-provider is not installed: run `npm ci` in tests/support (./scripts/test does this)"
        );
        let mut child = std::process::Command::new("node")
            .arg("oidc-provider.mjs")
            .current_dir(&support)
            .env("REDIRECT_URI", redirect_uris.join(" "))
            .env("HOST", host)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("node runs (install Node.js)");
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("a piped stdout")).lines();
        let issuer = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("READY ").map(str::to_owned))
            .expect("oidc-provider did not start");
        // Keep draining its output: a closed pipe would kill it at its next log line.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, issuer }
    }

    /// Every request it received: `{method, target, referer, origin}`.
    pub async fn requests(&self) -> Vec<serde_json::Value> {
        reqwest::get(format!("{}/test/requests", self.issuer))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// How many times a citizen typed their credentials at its login form.
    pub async fn typed_logins(&self) -> u64 {
        let counted: serde_json::Value = reqwest::get(format!("{}/test/logins", self.issuer))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        counted["logins"].as_u64().unwrap()
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Logs in at the OpenID provider's login form (its dev interaction) as the citizen `login`.
pub async fn log_in_at_provider(client: &Client, login: &str) {
    client
        .wait()
        .for_element(Locator::Css("input[name=login]"))
        .await
        .unwrap()
        .send_keys(login)
        .await
        .unwrap();
    client
        .find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys("anything")
        .await
        .unwrap();
    click(client, Locator::Css("button[type=submit]")).await;
}
