//! Authorised claim fetches per second, one client at a time and 16 at once, next to the same
//! server's `/healthz` and next to the crypto alone (JWS signing plus age encryption of the same
//! payload, on one core).

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest, Sha256};
use source::backend::JsonFileBackend;
use source::config::Config;
use source::server::Source;

const REDIRECT: &str = "http://127.0.0.1:49152/oauth/callback";

struct Running {
    url: String,
    token: String,
    state: Arc<Source>,
    _dir: tempfile::TempDir,
}

async fn start() -> Running {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    source::keys::keygen(&dir.path().join("org.key"), "key-1").unwrap();
    let data = source::demo_data::generate(source::demo_data::DemoOrg::Cjib, 3, 1).unwrap();
    std::fs::write(dir.path().join("data.json"), serde_json::to_vec(&data).unwrap()).unwrap();
    std::fs::write(
        dir.path().join("source.toml"),
        r#"listen = "127.0.0.1:0"
public_url = "http://127.0.0.1:1"
id = "00000001001234567000"
name = "CJIB"
signing_key = "org.key"
data = "data.json"
dev_login = true
audit_log = "audit.jsonl"
[rate_limits]
login_per_minute = 1000000
token_per_minute = 1000000
claims_per_minute = 1000000
[[clients]]
client_id = "betaalpod"
redirect_uris = ["http://127.0.0.1/oauth/callback"]
"#,
    )
    .unwrap();
    let mut config = Config::load(&dir.path().join("source.toml")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    config.public_url = url.parse().unwrap();
    let backend = Arc::new(JsonFileBackend::load(&config.data).unwrap());
    let state = Arc::new(Source::new(config, backend, Arc::new(chrono::Utc::now)).await.unwrap());
    tokio::spawn(source::server::serve(state.clone(), listener, std::future::pending()));

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let verifier = B64.encode([7u8; 32]);
    let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
    let (bsn, pin) = source::demo_data::citizen(1, 0);
    let login = http
        .post(format!("{url}/authorize"))
        .form(&[
            ("response_type", "code"),
            ("client_id", "betaalpod"),
            ("redirect_uri", REDIRECT),
            ("state", "s"),
            ("scope", "claims:read"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("bsn", bsn.as_str()),
            ("pin", pin.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(login.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let token: serde_json::Value = http
        .post(format!("{url}/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", "betaalpod"),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Running {
        url,
        token: token["access_token"].as_str().unwrap().to_owned(),
        state,
        _dir: dir,
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let running = runtime.block_on(start());
    let http = reqwest::Client::new();
    let recipient = age::x25519::Identity::generate().to_public();
    let body = serde_json::json!({"recipient": recipient.to_string(), "nonce": B64.encode([1u8; 16])});

    let mut group = c.benchmark_group("source");
    group.throughput(Throughput::Elements(1));
    group.bench_function("healthz", |b| {
        b.to_async(&runtime).iter(|| async {
            http.get(format!("{}/healthz", running.url))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
        })
    });
    group.bench_function("claims_fetch", |b| {
        b.to_async(&runtime).iter(|| async {
            let response = http
                .post(format!("{}/claims", running.url))
                .bearer_auth(&running.token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.bytes().await.unwrap()
        })
    });
    // 16 clients at once, as a busy organisation sees them: their audit lines share syncs.
    group.throughput(Throughput::Elements(16));
    group.bench_function("claims_fetch_16_concurrent", |b| {
        b.to_async(&runtime).iter(|| async {
            let requests = (0..16).map(|_| {
                let (http, url, token, body) = (http.clone(), format!("{}/claims", running.url), running.token.clone(), body.clone());
                tokio::spawn(async move {
                    let response = http.post(url).bearer_auth(token).json(&body).send().await.unwrap();
                    assert_eq!(response.status(), 200);
                    response.bytes().await.unwrap()
                })
            });
            for request in requests.collect::<Vec<_>>() {
                request.await.unwrap();
            }
        })
    });
    group.throughput(Throughput::Elements(1));
    let (bsn, _) = source::demo_data::citizen(1, 0);
    let document = (*running.state.backend.document(&bsn).unwrap().unwrap()).clone();
    let payload = serde_json::to_vec(&serde_json::json!({"iss": "x", "sub_hash": "y", "iat": 0, "exp": 0, "nonce": "n", "recipient": recipient.to_string(), "document": document})).unwrap();
    group.bench_function("crypto_only_sign_and_encrypt", |b| {
        b.iter(|| {
            let jws = running.state.signer.sign_compact("betaalpod-claims+jwt", &payload);
            age::encrypt(&recipient, jws.as_bytes()).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
