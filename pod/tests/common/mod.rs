//! A running `pod serve` with three real organisations on loopback, for the web and browser tests.
#![allow(dead_code)] // Each test file uses a different part.

pub mod chain;


use std::sync::Arc;
use std::time::Duration;

use age::secrecy::{ExposeSecret, SecretString};
use pod::store::{KdfCost, PodDir};
use pod::web::{App, WebConfig};
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

pub const PASSPHRASE: &str = "correct horse battery staple";
pub const SEED: u64 = 1;
pub const SCRIPT: &str = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">";

pub struct Setup {
    pub url: String,
    pub client: reqwest::Client,
    pub orgs: Vec<LocalOrganisation>,
    pub tmp: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Setup {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Three organisations (the CJIB's first matter description holds script), a pod that pins
/// them, and `pod serve` on loopback.
pub async fn setup() -> Setup {
    setup_with(Duration::from_secs(600)).await
}

/// The same, locking after `auto_lock` without requests.
pub async fn setup_with(auto_lock: Duration) -> Setup {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    let orgs = start_organisations(tmp.path()).await;
    setup_for(orgs, tmp, auto_lock).await
}

/// The CJIB, DUO and CAK with data as an organisation has it today (the demo's: the first
/// citizen has a next payment, an overdue part and a history), a pod that pins them, and
/// `pod serve` on loopback.
pub async fn setup_today() -> Setup {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    let mut orgs = Vec::new();
    for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak] {
        let dir = tmp.path().join(org.short());
        orgs.push(LocalOrganisation::start(org, 3, SEED, &dir).await.unwrap());
    }
    setup_for(orgs, tmp, Duration::from_secs(600)).await
}

/// A pod in `tmp` that pins `orgs`, and `pod serve` over it on loopback.
pub async fn setup_for(orgs: Vec<LocalOrganisation>, tmp: tempfile::TempDir, auto_lock: Duration) -> Setup {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = PodDir::new(tmp.path().join("pod"));
    dir.init(&SecretString::from(PASSPHRASE.to_owned()), KdfCost::InsecureForTests)
        .unwrap();
    {
        let pod = dir.unlock(&SecretString::from(PASSPHRASE.to_owned())).unwrap();
        let mut scheme = pod::scheme::load(&pod).unwrap();
        for org in &orgs {
            scheme.pin(org.descriptor().unwrap());
        }
        pod::scheme::save(&pod, &scheme).unwrap();
    }
    serve(|listen| App::new(dir, WebConfig::local(listen, auto_lock)), orgs, tmp).await
}

/// The three organisations, in `tmp`.
async fn start_organisations(tmp: &std::path::Path) -> Vec<LocalOrganisation> {
    let (bsn, _) = demo_data::citizen(SEED, 0);
    let mut orgs = Vec::new();
    for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak] {
        let dir = tmp.join(org.short());
        std::fs::create_dir_all(&dir).unwrap();
        let mut data = demo_data::generate(org, 5, SEED).unwrap();
        if org == DemoOrg::Cjib {
            data[bsn.as_str()]["document"]["body"]["financiele_zaken"][0]["omschrijving"] = serde_json::json!(SCRIPT);
        }
        std::fs::write(dir.join("data.json"), serde_json::to_vec(&data).unwrap()).unwrap();
        orgs.push(LocalOrganisation::start(org, 5, SEED, &dir).await.unwrap());
    }
    orgs
}

/// `pod serve` on loopback with the app `make` builds for its address.
async fn serve(make: impl FnOnce(std::net::SocketAddr) -> App, orgs: Vec<LocalOrganisation>, tmp: tempfile::TempDir) -> Setup {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listen = listener.local_addr().unwrap();
    let app = Arc::new(make(listen));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(pod::web::serve(app, listener, async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Setup {
        url: format!("http://{listen}"),
        client,
        orgs,
        tmp,
        shutdown: Some(tx),
    }
}

/// The session's CSRF token from the pod at `base` (its address, or `{provider}/p/{id}`).
pub async fn csrf_at(client: &reqwest::Client, base: &str) -> String {
    let body: serde_json::Value = client
        .get(format!("{base}/api/csrf"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["csrf"].as_str().unwrap().to_owned()
}

/// Unlocks the pod at `base` with `passphrase`; the answer's status.
pub async fn unlock_at(client: &reqwest::Client, base: &str, passphrase: &str) -> reqwest::StatusCode {
    let token = csrf_at(client, base).await;
    client
        .post(format!("{base}/api/unlock"))
        .header("x-csrf-token", &token)
        .json(&serde_json::json!({ "passphrase": passphrase }))
        .send()
        .await
        .unwrap()
        .status()
}

pub async fn csrf(s: &Setup) -> String {
    csrf_at(&s.client, &s.url).await
}

pub async fn error_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (status, body["error"]["code"].as_str().unwrap_or_default().to_owned())
}

pub async fn unlock(s: &Setup) {
    assert_eq!(unlock_at(&s.client, &s.url, PASSPHRASE).await, 200);
}

/// Plays the citizen's browser at one organisation's dev-login page, then follows the redirect
/// back to the pod's callback.
pub async fn log_in(s: &Setup, login_url: &str) {
    let (bsn, pin) = demo_data::citizen(SEED, 0);
    let callback = fetcher::login::DevLogin::new(bsn.to_string(), pin)
        .follow(login_url.parse().unwrap())
        .await
        .unwrap();
    assert!(callback.as_str().starts_with(&s.url), "{callback}");
    let back = s.client.get(callback).send().await.unwrap();
    // Accepted: the pod shows the job's progress and goes on to the job's own page.
    assert_eq!(back.status(), 200, "the pod accepted the callback");
    assert!(back.text().await.unwrap().contains("/fetch/"), "the answer page leads on to the job");
}

/// Each organisation's name and its document's view of the demo citizen as of `as_of`, as the
/// organisation has it.
pub fn views_at(s: &Setup, as_of: chrono::NaiveDate) -> Vec<(String, schemas::fcid::derive::DocumentView)> {
    let (bsn, _) = demo_data::citizen(SEED, 0);
    s.orgs
        .iter()
        .map(|org| {
            let document = org.state.backend.document(&bsn).unwrap().unwrap();
            let parsed = schemas::fcid::parse(&serde_json::to_vec(&*document).unwrap()).unwrap();
            (org.state.config.name.clone(), schemas::fcid::derive::view(&parsed, as_of))
        })
        .collect()
}

/// `GET path` on the pod, as JSON.
pub async fn get_json(s: &Setup, path: &str) -> serde_json::Value {
    s.client
        .get(format!("{}{path}", s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn fetch_everything(s: &Setup) -> serde_json::Value {
    fetch_from(s, None).await
}

/// Starts a fetch through the API from `sources` (every pinned organisation with `None`); the
/// job, each organisation waiting for its login.
pub async fn start_api_fetch(s: &Setup, sources: Option<Vec<String>>) -> serde_json::Value {
    let token = csrf(s).await;
    let started = s
        .client
        .post(format!("{}/api/fetch", s.url))
        .header("x-csrf-token", &token)
        .json(&serde_json::json!({ "sources": sources }))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    started.json().await.unwrap()
}

/// Fetches through the API from `sources` (every pinned organisation with `None`), logging in
/// at each; the finished job.
pub async fn fetch_from(s: &Setup, sources: Option<Vec<String>>) -> serde_json::Value {
    let job = start_api_fetch(s, sources).await;
    let id = job["id"].as_str().unwrap().to_owned();
    for org in job["organisations"].as_array().unwrap() {
        assert_eq!(org["stage"], "waiting_for_login", "{job}");
        log_in(s, org["login_url"].as_str().unwrap()).await;
    }
    for _ in 0..100 {
        let progress: serde_json::Value = s
            .client
            .get(format!("{}/api/fetch/{id}", s.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if progress["done"] == true {
            return progress;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the fetch never finished");
}

/// A pod at a pod provider (the real `provider` server in-process, on sled in `tmp/vault`),
/// signed up as the browser app does, pinning the three organisations; and `pod serve
/// --provider` over it. Returns the setup and the pod number.
pub async fn setup_at_provider() -> (Setup, String, String) {
    use pod_core::provider_login::Registration;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    let orgs = start_organisations(tmp.path()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let provider_address = listener.local_addr().unwrap();
    let config = provider::config::ProviderConfig::parse(&format!(
        "listen = \"{provider_address}\"\npublic_url = \"http://{provider_address}\"\ndata_dir = \"{}\"\n",
        tmp.path().join("vault").display()
    ))
    .unwrap();
    let vault = provider::vault::Vault::Sled(provider::vault::SledVault::open(config.data_dir.as_ref().unwrap()).unwrap());
    let state = provider::server::AppState::with_vault(config, vault).await.unwrap();
    tokio::spawn(provider::server::serve(listener, state));
    let provider_url = format!("http://{provider_address}");

    // Sign-up, as the browser does it: the keys are made here; the provider gets OPAQUE
    // registrations, the wrapped identity files and the data key wrapped to the recipient.
    let code = pod_core::identity::generate_recovery_code();
    let (mut session, new_pod) = pod_core::session::Session::create(
        &SecretString::from(PASSPHRASE.to_owned()),
        &code,
        KdfCost::InsecureForTests,
    )
    .unwrap();
    let b64 = |bytes: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes);
    let normalised = pod_core::identity::normalise_recovery_code(&code).unwrap();
    let (passphrase, recovery) = (PASSPHRASE.as_bytes(), normalised.expose_secret().as_bytes());
    let for_passphrase = Registration::start(passphrase).unwrap();
    let for_recovery = Registration::start(recovery).unwrap();
    let http = reqwest::Client::new();
    let started: serde_json::Value = http
        .post(format!("{provider_url}/api/v1/signup/start"))
        .json(&serde_json::json!({
            "passphrase_request": b64(&for_passphrase.request),
            "recovery_request": b64(&for_recovery.request),
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let decode = |field: &str| {
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, started[field].as_str().unwrap()).unwrap()
    };
    let pod_id = started["pod_id"].as_str().unwrap().to_owned();
    let finished = http
        .post(format!("{provider_url}/api/v1/signup/finish"))
        .json(&serde_json::json!({
            "pod_id": pod_id,
            "passphrase_upload": b64(&for_passphrase.finish(passphrase, &decode("passphrase_response")).unwrap()),
            "recovery_upload": b64(&for_recovery.finish(recovery, &decode("recovery_response")).unwrap()),
            "recipient": new_pod.recipient,
            "identity_file": b64(&new_pod.identity_file),
            "recovery_file": b64(&new_pod.recovery_file),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(finished.status(), 201);

    // The first write (the data key), then the pinned organisations through the pod's own
    // remote store.
    let at = pod::store::remote::ProviderPod {
        url: provider_url.parse().unwrap(),
        pod_id: pod_id.clone(),
    };
    // As the browser sends it: with the pod's first manifest.
    let data_key = new_pod.data_key_write;
    let manifest = session
        .seal_batch([(&data_key.0, false)], chrono::Utc::now())
        .unwrap()
        .expect("a new pod keeps a manifest");
    let first_writes: Vec<serde_json::Value> = [&data_key, &manifest]
        .iter()
        .map(|(name, bytes)| serde_json::json!({"name": name.to_string(), "expect": "absent", "bytes": b64(bytes)}))
        .collect();
    let login = pod_core::provider_login::Login::start(passphrase).unwrap();
    let started: serde_json::Value = http
        .post(format!("{provider_url}/api/v1/login/start"))
        .json(&serde_json::json!({"pod_id": pod_id, "credential": "passphrase", "request": b64(&login.request)}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let response = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, started["response"].as_str().unwrap()).unwrap();
    let done = login.finish(passphrase, &response).unwrap();
    let finished = http
        .post(format!("{provider_url}/api/v1/login/finish"))
        .json(&serde_json::json!({"login_id": started["login_id"], "finalization": b64(&done.finalization)}))
        .send()
        .await
        .unwrap();
    assert_eq!(finished.status(), 200);
    let stored = http
        .post(format!("{provider_url}/api/v1/batch"))
        .bearer_auth(done.token.as_str())
        .json(&serde_json::json!({"writes": first_writes}))
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 200, "the data key was stored");
    let opened = {
        let at = at.clone();
        let descriptors: Vec<_> = orgs.iter().map(|o| o.descriptor().unwrap()).collect();
        tokio::task::spawn_blocking(move || {
            let pod = at.unlock(&SecretString::from(PASSPHRASE.to_owned())).unwrap();
            let mut scheme = pod::scheme::load(&pod).unwrap();
            for descriptor in descriptors {
                scheme.pin(descriptor);
            }
            pod::scheme::save(&pod, &scheme).unwrap();
        })
    };
    opened.await.unwrap();
    let setup = serve(
        |listen| App::at_provider(at, WebConfig::local(listen, Duration::from_secs(600))),
        orgs,
        tmp,
    )
    .await;
    (setup, provider_url, pod_id)
}
