//! `pod serve` under load from a second process (`wrk`, 16 connections): `GET /api/overview` of an
//! unlocked local pod holding three organisations' documents (fetched from real `source`
//! servers), the same server's `/static/app.css` (its own ceiling through the same middleware),
//! and, when `SOLID_SERVER` names community-solid-server 7.2.0, that server serving a 3 KB JSON
//! file with the same `wrk` settings.
//!
//! ```sh
//! SOLID_SERVER=/path/to/node_modules/.bin/community-solid-server cargo bench -p pod --bench serve_load
//! ```
//!
//! The figures go to `target/bench-results/figures.jsonl` for `scripts/bench`.

use std::sync::Arc;

use age::secrecy::SecretString;
use browser_harness::load::{median_of_three, report, solid, wrk_installed};
use fetcher::FetchOptions;
use fetcher::login::DevLogin;
use pod::store::{KdfCost, PodDir};
use pod::web::{App, WebConfig};
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

const PASSPHRASE: &str = "correct horse battery staple";
const SEED: u64 = 1;

fn seconds() -> u32 {
    std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5)
}

/// The session cookie a response sets, if any (`name=value`).
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("betaalpod_session="))
        .and_then(|value| value.split(';').next())
        .map(str::to_owned)
}

/// A pod with three organisations' documents, served and unlocked; its URL and session cookie.
async fn served_pod(root: &std::path::Path) -> (String, String, Vec<LocalOrganisation>) {
    let mut orgs = Vec::new();
    for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak] {
        orgs.push(LocalOrganisation::start(org, 3, SEED, &root.join(org.short())).await.unwrap());
    }
    let descriptors: Vec<_> = orgs.iter().map(|o| o.descriptor().unwrap()).collect();
    let dir = PodDir::new(root.join("pod"));
    let secret = SecretString::from(PASSPHRASE.to_owned());
    dir.init(&secret, KdfCost::InsecureForTests).unwrap();
    {
        let pod = dir.unlock(&secret).unwrap();
        let mut scheme = pod::scheme::load(&pod).unwrap();
        for descriptor in &descriptors {
            scheme.pin(descriptor.clone());
        }
        pod::scheme::save(&pod, &scheme).unwrap();
        let (bsn, pin) = demo_data::citizen(SEED, 0);
        let options = FetchOptions::new("http://127.0.0.1:49152/oauth/callback".parse().unwrap());
        let outcomes = pod::fetching::fetch_and_store(&pod, &descriptors, &DevLogin::new(bsn.to_string(), pin), &options, None)
            .await
            .unwrap();
        assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listen = listener.local_addr().unwrap();
    let app = Arc::new(App::new(dir, WebConfig::local(listen, std::time::Duration::from_secs(3600))));
    tokio::spawn(pod::web::serve(app, listener, std::future::pending()));
    let url = format!("http://{listen}");
    let http = reqwest::Client::new();
    let csrf = http.get(format!("{url}/api/csrf")).send().await.unwrap();
    let mut cookie = session_cookie(&csrf).expect("a session cookie");
    let token: serde_json::Value = csrf.json().await.unwrap();
    let unlocked = http
        .post(format!("{url}/api/unlock"))
        .header("cookie", &cookie)
        .header("x-csrf-token", token["csrf"].as_str().unwrap())
        .json(&serde_json::json!({"passphrase": PASSPHRASE}))
        .send()
        .await
        .unwrap();
    assert_eq!(unlocked.status(), 200);
    if let Some(renewed) = session_cookie(&unlocked) {
        cookie = renewed;
    }
    let overview: serde_json::Value = http
        .get(format!("{url}/api/overview"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(overview["organisations"].as_array().map(Vec::len), Some(3), "{overview}");
    (url, cookie, orgs)
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if std::env::args().any(|a| a == "--list") {
        println!("serve_load: bench");
        return;
    }
    if !wrk_installed() {
        eprintln!("serve_load: wrk is not installed (apt-get install wrk); skipped");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (url, cookie, _orgs) = runtime.block_on(served_pod(tmp.path()));
    let cookie = format!("Cookie: {cookie}");
    let overview = median_of_three(&format!("{url}/api/overview"), std::slice::from_ref(&cookie), seconds())
        .expect("wrk against /api/overview");
    report("overview_rps", overview, "requests/s");
    let stylesheet = median_of_three(&format!("{url}/static/app.css"), &[cookie], seconds()).expect("wrk against app.css");
    report("app_css_rps", stylesheet, "requests/s");
    match std::env::var("SOLID_SERVER") {
        Ok(binary) => match solid(&binary, &tmp.path().join("solid")) {
            Some((_server, file)) => {
                let rps = median_of_three(&file, &[], seconds()).expect("wrk against the Solid server");
                report("solid_rps", rps, "requests/s");
            }
            None => eprintln!("serve_load: the Solid server did not start; skipped"),
        },
        Err(_) => eprintln!("serve_load: set SOLID_SERVER to community-solid-server 7.2.0 for the comparison; skipped"),
    }
}
