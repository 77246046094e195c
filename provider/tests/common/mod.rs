//! A provider started in-process on each backend, and a client that does what the citizen's
//! browser does (OPAQUE through `pod_core`, age files made here), over real HTTP.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use age::secrecy::SecretString;
use pod_core::identity::{KdfCost, wrap_identity};
use pod_core::provider_login::{Login, Registration};
use provider::config::ProviderConfig;
use provider::server::{AppState, serve};
use provider::vault::{PgVault, SledVault, Vault};
use provider_api::wire::{Credential, LoginStarted, Session, SignupStarted};
use reqwest::StatusCode;
use serde_json::json;

/// The test database URL, or `None` when the developer explicitly skips PostgreSQL.
pub fn database_url() -> Option<String> {
    match std::env::var("BETAALPOD_TEST_DATABASE_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("BETAALPOD_SKIP_POSTGRES").is_some() => None,
        Err(_) => panic!(
            "set BETAALPOD_TEST_DATABASE_URL=postgres://… (scripts/test starts PostgreSQL and sets it), \
             or BETAALPOD_SKIP_POSTGRES=1 to skip the PostgreSQL runs"
        ),
    }
}

/// Where a test provider keeps its pods.
#[derive(Clone)]
pub enum Backend {
    /// A fresh schema of its own in the test PostgreSQL database (the URL selects it).
    Postgres(String),
    /// A sled database in a temporary folder.
    Sled,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Postgres(_) => "postgres",
            Backend::Sled => "sled",
        })
    }
}

/// A schema of its own for one test, so tests never see each other's rows.
pub async fn fresh_schema(url: &str) -> String {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let schema = format!("provider_test_{:016x}", rand::random::<u64>());
    client.batch_execute(&format!("CREATE SCHEMA {schema}")).await.unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-csearch_path%3D{schema}")
}

/// sled always, PostgreSQL unless explicitly skipped.
pub async fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sled];
    if let Some(url) = database_url() {
        backends.push(Backend::Postgres(fresh_schema(&url).await));
    }
    backends
}

/// Runs an async test body once per backend.
#[macro_export]
macro_rules! on_every_backend {
    ($test:ident, $body:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            let _ = rustls::crypto::ring::default_provider().install_default();
            for backend in common::backends().await {
                eprintln!("{} on {backend}", stringify!($test));
                $body(&backend).await;
            }
        }
    };
}

/// A running provider.
pub struct Running {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its state, to look at the vault directly.
    pub state: AppState,
    /// Seconds added to the real clock.
    pub clock_offset: Arc<AtomicI64>,
    _dir: Arc<tempfile::TempDir>,
}

impl Running {
    /// Moves the provider's clock forward.
    pub fn advance(&self, seconds: i64) {
        self.clock_offset.fetch_add(seconds, Ordering::SeqCst);
    }
}

/// Starts a provider on `backend` with `extra` config lines.
pub async fn start(backend: &Backend, extra: &str) -> Running {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    start_in(backend, extra, dir).await
}

/// Starts a provider whose sled data (if any) lives in `dir`; two providers on one PostgreSQL
/// backend share everything.
pub async fn start_in(backend: &Backend, extra: &str, dir: Arc<tempfile::TempDir>) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listen = listener.local_addr().unwrap();
    let storage = match backend {
        Backend::Postgres(url) => format!("database_url = \"{url}\""),
        Backend::Sled => format!("data_dir = \"{}\"", dir.path().join("vault").display()),
    };
    let config = ProviderConfig::parse(&format!(
        "listen = \"{listen}\"\npublic_url = \"http://{listen}\"\n{storage}\npool_size = 4\n{extra}"
    ))
    .unwrap();
    let vault = match backend {
        Backend::Postgres(url) => Vault::Postgres(PgVault::connect(url, 4).await.unwrap()),
        Backend::Sled => Vault::Sled(SledVault::open(config.data_dir.as_ref().unwrap()).unwrap()),
    };
    let mut state = AppState::with_vault(config, vault).await.unwrap();
    let clock_offset = Arc::new(AtomicI64::new(0));
    let offset = clock_offset.clone();
    state.clock = Arc::new(move || chrono::Utc::now() + chrono::Duration::seconds(offset.load(Ordering::SeqCst)));
    tokio::spawn(serve(listener, state.clone()));
    Running {
        url: format!("http://{listen}"),
        state,
        clock_offset,
        _dir: dir,
    }
}

/// What the citizen knows and what the browser made at sign-up.
pub struct Citizen {
    pub pod_id: String,
    pub passphrase: String,
    pub recovery_code: String,
    pub identity: age::x25519::Identity,
}

pub fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// Signs up as the browser does: an age identity wrapped twice, and two OPAQUE registrations.
pub async fn sign_up(p: &Running) -> Citizen {
    sign_up_with(p, "correct horse battery staple", "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567").await
}

/// Signs up with these secrets.
pub async fn sign_up_with(p: &Running, passphrase: &str, recovery_code: &str) -> Citizen {
    let identity = age::x25519::Identity::generate();
    let wrap = |secret: &str| wrap_identity(&identity, &SecretString::from(secret.to_owned()), KdfCost::InsecureForTests);
    let (identity_file, recovery_file) = (wrap(passphrase), wrap(recovery_code));
    sign_up_as(p, passphrase, recovery_code, identity, &identity_file, &recovery_file).await
}

/// Signs up with an identity and its two wrapped files made elsewhere.
pub async fn sign_up_as(
    p: &Running,
    passphrase: &str,
    recovery_code: &str,
    identity: age::x25519::Identity,
    identity_file: &[u8],
    recovery_file: &[u8],
) -> Citizen {
    let passphrase_registration = Registration::start(passphrase.as_bytes()).unwrap();
    let recovery_registration = Registration::start(recovery_code.as_bytes()).unwrap();
    let started: SignupStarted = post_json(
        p,
        "/api/v1/signup/start",
        None,
        &json!({
            "passphrase_request": b64(&passphrase_registration.request),
            "recovery_request": b64(&recovery_registration.request),
        }),
        StatusCode::OK,
    )
    .await;
    let finish = json!({
        "pod_id": started.pod_id,
        "passphrase_upload": b64(&passphrase_registration.finish(passphrase.as_bytes(), &started.passphrase_response).unwrap()),
        "recovery_upload": b64(&recovery_registration.finish(recovery_code.as_bytes(), &started.recovery_response).unwrap()),
        "recipient": identity.to_public().to_string(),
        "identity_file": b64(identity_file),
        "recovery_file": b64(recovery_file),
    });
    let _: serde_json::Value = post_json(p, "/api/v1/signup/finish", None, &finish, StatusCode::CREATED).await;
    Citizen {
        pod_id: started.pod_id,
        passphrase: passphrase.to_owned(),
        recovery_code: recovery_code.to_owned(),
        identity,
    }
}

/// Logs in; the bearer token, or the error the client saw (`wrong passphrase`) or the HTTP
/// status the provider answered.
pub async fn log_in(p: &Running, pod_id: &str, credential: Credential, secret: &str) -> Result<String, String> {
    log_in_from(p, pod_id, credential, secret, None).await
}

/// Logs in, with `X-Forwarded-For` set to `address` when given.
pub async fn log_in_from(
    p: &Running,
    pod_id: &str,
    credential: Credential,
    secret: &str,
    address: Option<&str>,
) -> Result<String, String> {
    let login = Login::start(secret.as_bytes()).unwrap();
    let mut request = http().post(format!("{}/api/v1/login/start", p.url)).json(&json!({
        "pod_id": pod_id, "credential": credential, "request": b64(&login.request),
    }));
    if let Some(address) = address {
        request = request.header("x-forwarded-for", address);
    }
    let answer = request.send().await.unwrap();
    if answer.status() != StatusCode::OK {
        return Err(format!("HTTP {}", answer.status().as_u16()));
    }
    let started: LoginStarted = answer.json().await.unwrap();
    let done = login.finish(secret.as_bytes(), &started.response).map_err(|e| e.to_string())?;
    let answer = http()
        .post(format!("{}/api/v1/login/finish", p.url))
        .json(&json!({"login_id": started.login_id, "finalization": b64(&done.finalization)}))
        .send()
        .await
        .unwrap();
    if answer.status() != StatusCode::OK {
        return Err(format!("HTTP {}", answer.status().as_u16()));
    }
    let session: Session = answer.json().await.unwrap();
    assert_eq!(session.pod_id, pod_id);
    Ok(done.token.to_string())
}

/// POSTs JSON and checks the status; the answer's JSON.
pub async fn post_json<T: serde::de::DeserializeOwned>(
    p: &Running,
    path: &str,
    token: Option<&str>,
    body: &serde_json::Value,
    expected: StatusCode,
) -> T {
    let mut request = http().post(format!("{}{path}", p.url)).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status();
    let text = answer.text().await.unwrap();
    assert_eq!(status, expected, "POST {path}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("POST {path} answered {text:?}: {e}"))
}

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Registers a new secret for `credential` through a signed-in session; the upload to send.
pub async fn register(p: &Running, token: &str, credential: Credential, secret: &str) -> Vec<u8> {
    let registration = Registration::start(secret.as_bytes()).unwrap();
    let started: provider_api::wire::CredentialStarted = post_json(
        p,
        "/api/v1/pod/credentials/start",
        Some(token),
        &json!({"credential": credential, "request": b64(&registration.request)}),
        StatusCode::OK,
    )
    .await;
    registration.finish(secret.as_bytes(), &started.response).unwrap()
}
