//! Requests per second for `GET /api/v1/records/{name}` of a 4 KiB sealed record at 16
//! connections, measured with `wrk` (Debian package `wrk`), against the same measure of the
//! Community Solid Server (npm `@solid/community-server@7.2.0`, file backend, `config/file-root.json`,
//! whose root allows everyone, so no login is needed) serving a 3 KB file.
//!
//! ```sh
//! cargo bench -p provider --bench storage_get                      # sled
//! BETAALPOD_BENCH_DATABASE_URL=postgres://… cargo bench -p provider --bench storage_get
//! SOLID_SERVER=/path/to/node_modules/.bin/community-solid-server cargo bench -p provider --bench storage_get
//! ```
//!
//! Each server gets a warm-up run, then three 10-second runs; the median is reported. Without
//! `wrk` on the PATH, or without `SOLID_SERVER`, that part says so and is skipped.

use browser_harness::load::{CONNECTIONS, median_of_three, solid, wrk_installed};

use age::secrecy::SecretString;
use base64::Engine as _;
use pod_core::identity::{KdfCost, wrap_identity};
use pod_core::provider_login::{Login, Registration};
use provider::config::ProviderConfig;
use provider::server::{AppState, serve};
use provider::vault::{PgVault, SledVault, Vault};
use serde_json::{Value, json};

const SECONDS: u32 = 10;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn post(client: &reqwest::Client, url: String, body: Value) -> Value {
    client.post(url).json(&body).send().await.unwrap().error_for_status().unwrap().json().await.unwrap()
}

/// Starts a provider on `vault`, signs a pod up, stores one 4 KiB record; the URL to GET and the
/// bearer token.
async fn provider_with_record(vault: Vault, dir: &std::path::Path) -> (String, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listen = listener.local_addr().unwrap();
    let config = ProviderConfig::parse(&format!(
        "listen = \"{listen}\"\npublic_url = \"http://{listen}\"\ndata_dir = \"{}\"\n",
        dir.display()
    ))
    .unwrap();
    let state = AppState::with_vault(config, vault).await.unwrap();
    tokio::spawn(serve(listener, state));
    let base = format!("http://{listen}/api/v1");
    let http = reqwest::Client::new();
    let (passphrase, code) = ("bench correct horse battery", "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH");
    let (p, r) = (Registration::start(passphrase.as_bytes()).unwrap(), Registration::start(code.as_bytes()).unwrap());
    let started = post(&http, format!("{base}/signup/start"), json!({"passphrase_request": b64(&p.request), "recovery_request": b64(&r.request)})).await;
    let identity = age::x25519::Identity::generate();
    let wrap = |s: &str| b64(&wrap_identity(&identity, &SecretString::from(s.to_owned()), KdfCost::InsecureForTests));
    let response = |key: &str| base64::engine::general_purpose::STANDARD.decode(started[key].as_str().unwrap()).unwrap();
    let pod_id = started["pod_id"].as_str().unwrap().to_owned();
    post(
        &http,
        format!("{base}/signup/finish"),
        json!({
            "pod_id": pod_id,
            "passphrase_upload": b64(&p.finish(passphrase.as_bytes(), &response("passphrase_response")).unwrap()),
            "recovery_upload": b64(&r.finish(code.as_bytes(), &response("recovery_response")).unwrap()),
            "recipient": identity.to_public().to_string(), "identity_file": wrap(passphrase), "recovery_file": wrap(code),
        }),
    )
    .await;
    let login = Login::start(passphrase.as_bytes()).unwrap();
    let started = post(&http, format!("{base}/login/start"), json!({"pod_id": pod_id, "credential": "passphrase", "request": b64(&login.request)})).await;
    let done = login
        .finish(passphrase.as_bytes(), &base64::engine::general_purpose::STANDARD.decode(started["response"].as_str().unwrap()).unwrap())
        .unwrap();
    post(&http, format!("{base}/login/finish"), json!({"login_id": started["login_id"], "finalization": b64(&done.finalization)})).await;
    let token = done.token.to_string();
    // A 4 KiB sealed record, as the pod core writes one (a small record in its 4 KiB bucket).
    let key = pod_core::seal::DataKey::generate();
    let id = pod_core::records::RecordId::random();
    let sealed = key.seal("records", id.as_bytes(), &[7u8; 3000], 4096);
    assert!((4096..4200).contains(&sealed.len()));
    let name = format!("records.{id}");
    http.put(format!("{base}/records/{name}"))
        .bearer_auth(&token)
        .header("if-none-match", "*")
        .body(sealed)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    (format!("{base}/records/{name}"), token)
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if std::env::args().any(|a| a == "--list") {
        println!("storage_get: bench");
        return;
    }
    if !wrk_installed() {
        eprintln!("storage_get: wrk is not installed (apt-get install wrk); skipped");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut results = Vec::new();
    let sled = Vault::Sled(SledVault::open(&tmp.path().join("sled")).unwrap());
    let (url, token) = runtime.block_on(provider_with_record(sled, &tmp.path().join("sled")));
    let rps = median_of_three(&url, &[format!("Authorization: Bearer {token}")], SECONDS);
    println!("provider (sled): GET 4 KiB record, {CONNECTIONS} connections: {rps:?} requests/s");
    results.push(("provider (sled)", rps));
    if let Ok(db) = std::env::var("BETAALPOD_BENCH_DATABASE_URL") {
        let vault = runtime.block_on(PgVault::connect(&db, 16)).unwrap();
        let (url, token) = runtime.block_on(provider_with_record(Vault::Postgres(vault), &tmp.path().join("pg")));
        let rps = median_of_three(&url, &[format!("Authorization: Bearer {token}")], SECONDS);
        println!("provider (PostgreSQL): GET 4 KiB record, {CONNECTIONS} connections: {rps:?} requests/s");
        results.push(("provider (PostgreSQL)", rps));
    }
    let Ok(binary) = std::env::var("SOLID_SERVER") else {
        eprintln!("storage_get: set SOLID_SERVER to community-solid-server 7.2.0 for the comparison; skipped");
        return;
    };
    let Some((_server, url)) = solid(&binary, &tmp.path().join("solid")) else {
        eprintln!("storage_get: the Solid server did not start; skipped");
        return;
    };
    let Some(solid_rps) = median_of_three(&url, &[], SECONDS) else {
        eprintln!("storage_get: wrk against the Solid server failed");
        return;
    };
    println!("Community Solid Server 7.2.0 (file backend): GET 3 KB file, {CONNECTIONS} connections: {solid_rps:.0} requests/s");
    for (name, rps) in results {
        if let Some(rps) = rps {
            println!("{name}: {:.1}x the Solid server", rps / solid_rps);
        }
    }
}
