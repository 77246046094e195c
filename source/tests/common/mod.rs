//! A real `source` server on loopback, with demo data, a controllable clock and helpers that
//! walk the OAuth flow the way the pod does.
#![allow(dead_code)] // Each test file uses a different part of this harness.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sha2::{Digest, Sha256};
use source::backend::{ClaimsBackend, JsonFileBackend};
use source::config::Config;
use source::server::Source;

pub const REDIRECT: &str = "http://127.0.0.1:49152/oauth/callback";
pub const SEED: u64 = 1;

pub struct TestServer {
    pub url: String,
    pub dir: PathBuf,
    pub clock_offset: Arc<AtomicI64>,
    pub state: Arc<Source>,
    pub http: reqwest::Client,
    _tmp: Option<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Writes a config (plus key and data) into `dir` and returns its path.
pub fn write_config(dir: &Path, id: &str, extra: &str) -> PathBuf {
    install_crypto();
    let key = dir.join("org.key");
    if !key.exists() {
        source::keys::keygen(&key, "key-1").unwrap();
    }
    let data = dir.join("data.json");
    if !data.exists() {
        let generated = source::demo_data::generate(source::demo_data::DemoOrg::Cjib, 5, SEED).unwrap();
        std::fs::write(&data, serde_json::to_vec(&generated).unwrap()).unwrap();
    }
    let config = format!(
        r#"listen = "127.0.0.1:0"
public_url = "http://127.0.0.1:1"
id = "{id}"
name = "CJIB"
signing_key = "org.key"
data = "data.json"
dev_login = true
audit_log = "audit.jsonl"
{extra}
[[clients]]
client_id = "betaalpod"
redirect_uris = ["http://127.0.0.1/oauth/callback"]
"#
    );
    let path = dir.join("source.toml");
    std::fs::write(&path, config).unwrap();
    path
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with("00000001001234567000", "").await
    }

    pub async fn start_with(id: &str, extra: &str) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let mut server = Self::start_in(&dir, id, extra).await;
        server._tmp = Some(tmp);
        server
    }

    /// Starts a server whose files live in `dir` (shared keys between two servers, say).
    pub async fn start_in(dir: &Path, id: &str, extra: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::start_on(dir, id, extra, listener, |_| {}).await
    }

    /// Starts a server on `listener`, letting `adjust` change the loaded config first.
    pub async fn start_on(
        dir: &Path,
        id: &str,
        extra: &str,
        listener: tokio::net::TcpListener,
        adjust: impl FnOnce(&mut Config),
    ) -> Self {
        let backend = |config: &Config| -> Arc<dyn ClaimsBackend> { Arc::new(JsonFileBackend::load(&config.data).unwrap()) };
        Self::start_with_backend(dir, id, extra, listener, adjust, backend).await
    }

    /// Starts a server on `listener` whose claims come from the backend `backend` makes.
    pub async fn start_with_backend(
        dir: &Path,
        id: &str,
        extra: &str,
        listener: tokio::net::TcpListener,
        adjust: impl FnOnce(&mut Config),
        backend: impl FnOnce(&Config) -> Arc<dyn ClaimsBackend>,
    ) -> Self {
        let config_path = write_config(dir, id, extra);
        let mut config = Config::load(&config_path).unwrap();
        adjust(&mut config);
        let url = format!("http://{}", listener.local_addr().unwrap());
        config.public_url = url.parse().unwrap();
        let clock_offset = Arc::new(AtomicI64::new(0));
        let offset = clock_offset.clone();
        let clock = Arc::new(move || chrono::Utc::now() + chrono::Duration::seconds(offset.load(Ordering::SeqCst)));
        let backend = backend(&config);
        let state = Arc::new(Source::new(config, backend, clock).await.unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(source::server::serve(state.clone(), listener, async {
            let _ = rx.await;
        }));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(bounded_http::POOL_IDLE_TIMEOUT)
            .build()
            .unwrap();
        Self {
            url,
            dir: dir.to_path_buf(),
            clock_offset,
            state,
            http,
            _tmp: None,
            shutdown: Some(tx),
        }
    }

    pub fn advance_clock(&self, seconds: i64) {
        self.clock_offset.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce() -> Pkce {
    let verifier = B64.encode(rand_bytes::<32>());
    let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
    Pkce { verifier, challenge }
}

pub fn rand_bytes<const N: usize>() -> [u8; N] {
    use rand::RngCore;
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

pub fn citizen(index: usize) -> (String, String) {
    let (bsn, pin) = source::demo_data::citizen(SEED, index);
    (bsn.to_string(), pin)
}

/// The standard authorization request parameters.
pub fn auth_params<'a>(pkce: &'a Pkce, state: &'a str, scope: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", "betaalpod"),
        ("redirect_uri", REDIRECT),
        ("state", state),
        ("scope", scope),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]
}

/// Posts the dev-login form and returns the response.
pub async fn post_login(server: &TestServer, params: &[(&str, &str)], bsn: &str, pin: &str) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = params.to_vec();
    form.push(("bsn", bsn));
    form.push(("pin", pin));
    server
        .http
        .post(format!("{}/authorize", server.url))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Logs citizen `index` in and returns the code from the redirect.
pub async fn login(server: &TestServer, pkce: &Pkce, index: usize, scope: &str) -> String {
    let (bsn, pin) = citizen(index);
    let params = auth_params(pkce, "state-123", scope);
    let page = server
        .http
        .get(format!("{}/authorize", server.url))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let response = post_login(server, &params, &bsn, &pin).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap_or_default());
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let query: std::collections::HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(query["state"], "state-123");
    assert_eq!(query["iss"], server.url, "RFC 9207 iss");
    query["code"].clone()
}

pub async fn exchange(server: &TestServer, code: &str, verifier: &str) -> reqwest::Response {
    server
        .http
        .post(format!("{}/token", server.url))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", "betaalpod"),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
}

pub async fn token_for(server: &TestServer, index: usize, scope: &str) -> String {
    let pkce = pkce();
    let code = login(server, &pkce, index, scope).await;
    let response = exchange(server, &code, &pkce.verifier).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

pub async fn post_claims(server: &TestServer, token: &str, body: serde_json::Value) -> reqwest::Response {
    server
        .http
        .post(format!("{}/claims", server.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Fetches, decrypts and verifies a claims answer; returns the signed payload.
pub async fn fetch_claims(server: &TestServer, token: &str) -> serde_json::Value {
    let identity = age::x25519::Identity::generate();
    let nonce = B64.encode(rand_bytes::<16>());
    let response = post_claims(
        server,
        token,
        serde_json::json!({"recipient": identity.to_public().to_string(), "nonce": nonce}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/age");
    let encrypted = response.bytes().await.unwrap();
    let jws = age::decrypt(&identity, &encrypted).expect("encrypted to our recipient");
    let jwks: serde_json::Value = server
        .http
        .get(format!("{}/jwks.json", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys: Vec<schemas::jws::Jwk> = serde_json::from_value(jwks["keys"].clone()).unwrap();
    let (payload, _) = schemas::jws::verify_compact(
        std::str::from_utf8(&jws).unwrap(),
        "betaalpod-claims+jwt",
        &keys,
        chrono::Utc::now(),
    )
    .expect("signed by the organisation");
    let payload: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(payload["nonce"], nonce.as_str());
    assert_eq!(payload["recipient"], identity.to_public().to_string().as_str());
    payload
}
