//! A `source` server in-process for the `source_requests` target: keys, generated data and a
//! config in a temporary folder (on tmpfs where there is one, since every request is audited
//! with a sync), limits high enough never to trigger, and one citizen's access token.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, header};
use base64::Engine as _;
use sha2::Digest;
use tower::ServiceExt;

const REDIRECT: &str = "http://127.0.0.1/oauth/callback";

/// The router, an access token with scope `claims:read`, and the folder that must outlive them.
pub async fn start() -> (axum::Router, String, tempfile::TempDir) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = match std::path::Path::new("/dev/shm").is_dir() {
        true => tempfile::tempdir_in("/dev/shm"),
        false => tempfile::tempdir(),
    }
    .expect("a temporary folder");
    source::keys::keygen(&dir.path().join("org.key"), "fuzz-key-1").expect("a key");
    let data = source::demo_data::generate(source::demo_data::DemoOrg::Cjib, 2, 1).expect("demo data");
    std::fs::write(dir.path().join("data.json"), serde_json::to_vec(&data).expect("json")).expect("write");
    let config = format!(
        "listen = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:8441\"\nid = \"00000001001234567000\"\nname = \"CJIB\"\nsigning_key = \"org.key\"\ndata = \"data.json\"\ndev_login = true\naudit_log = \"audit.jsonl\"\n[rate_limits]\nlogin_per_minute = {max}\ntoken_per_minute = {max}\nclaims_per_minute = {max}\narrangements_per_day = {max}\n[[clients]]\nclient_id = \"betaalpod\"\nredirect_uris = [\"{REDIRECT}\"]\n",
        max = u32::MAX
    );
    std::fs::write(dir.path().join("source.toml"), config).expect("write");
    let config = source::config::Config::load(&dir.path().join("source.toml")).expect("config");
    let backend = Arc::new(source::backend::JsonFileBackend::load(&config.data).expect("backend"));
    let state = Arc::new(
        source::server::Source::new(config, backend, Arc::new(chrono::Utc::now))
            .await
            .expect("a source"),
    );
    let router = source::server::router(state);

    let (bsn, pin) = source::demo_data::citizen(1, 0);
    let verifier = "fuzz-verifier-fuzz-verifier-fuzz-verifier-fuzz-verifier";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let login = form(&[
        ("response_type", "code"),
        ("client_id", "betaalpod"),
        ("redirect_uri", REDIRECT),
        ("state", "fuzz"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("scope", "claims:read"),
        ("bsn", bsn.as_str()),
        ("pin", &pin),
    ]);
    let answer = send(&router, "/authorize", login).await;
    let location = answer.headers()[header::LOCATION].to_str().expect("a location").to_owned();
    let code = url::Url::parse(&location)
        .expect("a URL")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("a code")
        .1
        .into_owned();
    let exchange = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("client_id", "betaalpod"),
        ("code_verifier", verifier),
    ]);
    let answer = send(&router, "/token", exchange).await;
    let body = axum::body::to_bytes(answer.into_body(), 64 * 1024).await.expect("a body");
    let token: serde_json::Value = serde_json::from_slice(&body).expect("a token answer");
    let token = token["access_token"].as_str().expect("an access token").to_owned();
    (router, token, dir)
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

async fn send(router: &axum::Router, path: &str, body: String) -> axum::response::Response {
    let mut request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("a request");
    request
        .extensions_mut()
        .insert(ConnectInfo(std::net::SocketAddr::from(([127, 0, 0, 1], 40000))));
    router.clone().oneshot(request).await.expect("an answer")
}
