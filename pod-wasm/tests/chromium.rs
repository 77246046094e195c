//! The pod core compiled to wasm32 and run in real headless Chromium, against the same fixtures
//! as the native tests: every FCID fixture's derived view (and every refusal's JSON path), worked
//! arrangement cases, an identity file opened with a passphrase, and records sealed natively and
//! opened in wasm and the other way round.
//!
//! `scripts/build-wasm` builds the package; this test runs it first (a no-op when nothing
//! changed), so `cargo test -p pod-wasm` works on its own.

use std::path::{Path, PathBuf};
use std::process::Command;

use age::secrecy::SecretString;
use axum::Router;
use axum::extract::Path as UrlPath;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use browser_harness::{Client, open_until_ready, start_browser};
use pod_core::identity::{KdfCost, wrap_identity};
use pod_core::seal::{DataKey, MIN_BUCKET};
use serde_json::{Value, json};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds the package once per test process: tests run in parallel and read the files the
/// build writes.
fn build_wasm_package() -> PathBuf {
    static BUILT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let built = *BUILT.get_or_init(|| {
        Command::new(workspace().join("scripts/build-wasm"))
            .status()
            .expect("scripts/build-wasm runs")
            .success()
    });
    assert!(built, "scripts/build-wasm failed; run it by hand to see why");
    workspace().join("target/wasm-pkg")
}

async fn serve_file(UrlPath((dir, file)): UrlPath<(String, String)>) -> impl IntoResponse {
    let base = match dir.as_str() {
        "pkg" => workspace().join("target/wasm-pkg"),
        "page" => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/page"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    if file.contains('/') || file.contains("..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mime = match file.rsplit('.').next() {
        Some("wasm") => "application/wasm",
        Some("js") => "text/javascript",
        Some("html") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };
    match std::fs::read(base.join(&file)) {
        Ok(bytes) => ([(header::CONTENT_TYPE, mime)], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Serves the page and the package on loopback; returns the page's address.
async fn serve() -> String {
    let app = Router::new()
        .route("/{dir}/{file}", axum::routing::get(serve_file))
        .route(
            "/",
            axum::routing::get(|| async { serve_file(UrlPath(("page".to_owned(), "index.html".to_owned()))).await }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}/")
}

/// Runs `body` in the page with `args`; a thrown error comes back as `{"error": message}`.
async fn run(client: &Client, body: &str, args: Vec<Value>) -> Value {
    let script = format!("try {{ {body} }} catch (e) {{ return {{ error: String(e.message || e) }}; }}");
    client.execute(&script, args).await.unwrap()
}

fn fixtures() -> Vec<(String, Vec<u8>, Value)> {
    let dir = workspace().join("schemas/tests/fixtures/fcid");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".expect.json") {
            let expect: Value = serde_json::from_slice(&std::fs::read(dir.join(&name)).unwrap()).unwrap();
            let document = std::fs::read(dir.join(format!("{stem}.json"))).unwrap();
            out.push((stem.to_owned(), document, expect));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pod_core_in_wasm_agrees_with_the_native_build() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    build_wasm_package();
    let url = serve().await;
    let (_driver, client) = start_browser().await;
    open_until_ready(&client, &url).await;

    fcid_fixtures_derive_the_same_view(&client).await;
    arrangements_plan_the_same(&client).await;
    identity_and_records_cross_between_builds(&client).await;
    client.close().await.unwrap();
}

async fn fcid_fixtures_derive_the_same_view(client: &Client) {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 25, "the FCID fixtures were not found");
    let (mut valid, mut invalid) = (0, 0);
    for (name, document, expect) in fixtures {
        let as_of = expect["as_of"].as_str().unwrap_or("2024-01-01").to_owned();
        let answer = run(
            client,
            "return { view: JSON.parse(pod.deriveView(b64.decode(arguments[0]), arguments[1])) };",
            vec![json!(B64.encode(&document)), json!(as_of)],
        )
        .await;
        if expect["valid"] == json!(true) {
            let native = schemas::fcid::derive::view(
                &schemas::fcid::parse(&document).unwrap(),
                as_of.parse().unwrap(),
            );
            assert_eq!(answer["view"], expect["view"], "{name}: wasm view differs from the fixture");
            assert_eq!(answer["view"], serde_json::to_value(native).unwrap(), "{name}: wasm differs from native");
            valid += 1;
        } else {
            let error = answer["error"].as_str().unwrap_or_else(|| panic!("{name}: wasm accepted it: {answer}"));
            let path = expect["path"].as_str().unwrap();
            let problem = expect["problem_contains"].as_str().unwrap();
            assert!(
                error.starts_with(&format!("at {path}: ")) && error.contains(problem),
                "{name}: wasm refused it with {error:?}, expected at {path}: …{problem}…"
            );
            invalid += 1;
        }
    }
    assert!(valid >= 10 && invalid >= 10, "{valid} valid and {invalid} invalid fixtures");
}

async fn arrangements_plan_the_same(client: &Client) {
    let cases = [
        // Worked case 1 of docs/ARRANGEMENT.md: single on welfare, three organisations.
        json!({"date": "2026-02-01", "household": "single", "aow": false, "net_income_cents": 140150,
               "claims": [{"org": "cjib", "ref": "A", "outstanding_cents": 60000},
                          {"org": "duo", "ref": "B", "outstanding_cents": 120000},
                          {"org": "cak", "ref": "C", "outstanding_cents": 40000}]}),
        // The same with a three-month pause.
        json!({"date": "2026-02-01", "household": "single", "aow": false, "net_income_cents": 140150,
               "claims": [{"org": "cjib", "ref": "A", "outstanding_cents": 60000},
                          {"org": "duo", "ref": "B", "outstanding_cents": 120000}],
               "pause": {"months": 3, "reason": "income_loss", "motivation": "lost my job"}}),
        // A couple with a high income and a preference weight.
        json!({"date": "2026-03-15", "household": "couple_with_children", "net_income_cents": 420000,
               "preference_weighting": true,
               "claims": [{"org": "cjib", "ref": "A", "outstanding_cents": 90000},
                          {"org": "duo", "ref": "B", "outstanding_cents": 1500000}]}),
    ];
    for (n, input) in cases.iter().enumerate() {
        let answer = run(client, "return { plan: JSON.parse(pod.plan(arguments[0])) };", vec![json!(input.to_string())]).await;
        let native = pod_core::arrangement::plan(&serde_json::from_value(input.clone()).unwrap()).unwrap();
        assert_eq!(answer["plan"], serde_json::to_value(&native).unwrap(), "case {n}: wasm plans differently");
    }
    let plan = run(client, "return { plan: JSON.parse(pod.plan(arguments[0])) };", vec![json!(cases[0].to_string())]).await;
    assert_eq!(plan["plan"]["monthly_total_cents"], json!(7007), "worked case 1 of docs/ARRANGEMENT.md");
    assert_eq!(plan["plan"]["term_months"], json!(32));
    let bad = run(client, "return { plan: pod.plan(arguments[0]) };", vec![json!("{\"date\": 5}")]).await;
    assert!(bad["error"].as_str().unwrap().contains("arrangement input is invalid"), "{bad}");
}

async fn identity_and_records_cross_between_builds(client: &Client) {
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public();
    let passphrase = SecretString::from("correct horse battery staple".to_owned());
    let identity_file = wrap_identity(&identity, &passphrase, KdfCost::InsecureForTests);
    let data_key = DataKey::generate();
    let wrapped_key = pod_core::integrity::wrap_data_key(&data_key, &identity, false);
    // A store made by someone who knows only the public recipient is refused.
    let forged_key = age::encrypt(&recipient, data_key.as_bytes()).unwrap();
    let forged = run(
        client,
        "pod.Identity.unwrap(b64.decode(arguments[0]), arguments[1]).openDataKey(b64.decode(arguments[2])); return {};",
        vec![
            json!(B64.encode(&identity_file)),
            json!("correct horse battery staple"),
            json!(B64.encode(&forged_key)),
        ],
    )
    .await;
    assert!(forged["error"].as_str().unwrap().contains("this store was not made by your pod"), "{forged}");

    let wrong = run(
        client,
        "pod.Identity.unwrap(b64.decode(arguments[0]), arguments[1]); return {};",
        vec![json!(B64.encode(&identity_file)), json!("wrong horse battery staple")],
    )
    .await;
    assert_eq!(wrong["error"], json!("wrong passphrase"));

    let opened = run(
        client,
        "window.identity = pod.Identity.unwrap(b64.decode(arguments[0]), arguments[1]);
         window.dataKey = identity.openDataKey(b64.decode(arguments[2]));
         return { recipient: identity.recipient() };",
        vec![
            json!(B64.encode(&identity_file)),
            json!("correct horse battery staple"),
            json!(B64.encode(&wrapped_key)),
        ],
    )
    .await;
    assert_eq!(opened["recipient"], json!(recipient.to_string()), "{opened}");

    // Native seals, wasm opens.
    let id = [7u8; 16];
    let plaintext = "een document van het CJIB: € 123,45".as_bytes();
    let sealed = data_key.seal("records", &id, plaintext, MIN_BUCKET);
    let answer = run(
        client,
        "return { plain: b64.encode(dataKey.open('records', b64.decode(arguments[0]), b64.decode(arguments[1]))) };",
        vec![json!(B64.encode(id)), json!(B64.encode(&sealed))],
    )
    .await;
    assert_eq!(B64.decode(answer["plain"].as_str().unwrap()).unwrap(), plaintext, "{answer}");
    let moved = run(
        client,
        "return { plain: b64.encode(dataKey.open('index', b64.decode(arguments[0]), b64.decode(arguments[1]))) };",
        vec![json!(B64.encode(id)), json!(B64.encode(&sealed))],
    )
    .await;
    assert!(moved["error"].as_str().unwrap().contains("damaged"), "a record moved to another space opened: {moved}");

    // Wasm seals, native opens, padded to the same bucket.
    let answer = run(
        client,
        "return { sealed: b64.encode(dataKey.seal('records', b64.decode(arguments[0]), b64.decode(arguments[1]), arguments[2])) };",
        vec![json!(B64.encode(id)), json!(B64.encode(plaintext)), json!(MIN_BUCKET)],
    )
    .await;
    let sealed_in_wasm = B64.decode(answer["sealed"].as_str().unwrap()).unwrap();
    assert_eq!(sealed_in_wasm.len(), sealed.len(), "both builds pad to the same bucket");
    assert_ne!(sealed_in_wasm, sealed, "a fresh nonce each time");
    assert_eq!(data_key.open("records", &id, &sealed_in_wasm).unwrap().as_slice(), plaintext);
}

/// A provider on sled, in-process; its address.
async fn start_provider(dir: &Path) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listen = listener.local_addr().unwrap();
    let config = provider::config::ProviderConfig::parse(&format!(
        "listen = \"{listen}\"\npublic_url = \"http://{listen}\"\ndata_dir = \"{}\"\n",
        dir.join("vault").display()
    ))
    .unwrap();
    let vault = provider::vault::Vault::Sled(provider::vault::SledVault::open(config.data_dir.as_ref().unwrap()).unwrap());
    let state = provider::server::AppState::with_vault(config, vault).await.unwrap();
    tokio::spawn(provider::server::serve(listener, state));
    format!("http://{listen}")
}

async fn post(url: &str, body: Value) -> Value {
    let answer = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
    let status = answer.status();
    let text = answer.text().await.unwrap();
    assert!(status.is_success(), "POST {url}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

/// Logs in with the wasm build's OPAQUE; the token, or the error wasm reported.
async fn wasm_login(client: &Client, provider: &str, pod_id: &str, secret: &str) -> Result<String, String> {
    let request = run(
        client,
        "window.login = pod.Login.start(arguments[0]); return { request: b64.encode(login.request()) };",
        vec![json!(secret)],
    )
    .await;
    let started = post(
        &format!("{provider}/api/v1/login/start"),
        json!({"pod_id": pod_id, "credential": "passphrase", "request": request["request"]}),
    )
    .await;
    let done = run(
        client,
        "return { done: JSON.parse(login.finish(arguments[0], b64.decode(arguments[1]))) };",
        vec![json!(secret), started["response"].clone()],
    )
    .await;
    if let Some(error) = done["error"].as_str() {
        return Err(error.to_owned());
    }
    post(
        &format!("{provider}/api/v1/login/finish"),
        json!({"login_id": started["login_id"], "finalization": done["done"]["finalization"]}),
    )
    .await;
    Ok(done["done"]["token"].as_str().unwrap().to_owned())
}

/// OPAQUE in wasm (Argon2id included) against the real `provider` server, and against the native
/// build: a pod registered in the browser logs in natively and the other way round.
#[tokio::test(flavor = "multi_thread")]
async fn opaque_in_wasm_signs_up_and_logs_in_at_a_real_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    build_wasm_package();
    let dir = tempfile::tempdir().unwrap();
    let provider = start_provider(dir.path()).await;
    let url = serve().await;
    let (_driver, client) = start_browser().await;
    open_until_ready(&client, &url).await;

    let (passphrase, code) = ("correct horse battery staple", "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567");
    let requests = run(
        &client,
        "window.regP = pod.Registration.start(arguments[0]); window.regR = pod.Registration.start(arguments[1]);
         return { p: b64.encode(regP.request()), r: b64.encode(regR.request()) };",
        vec![json!(passphrase), json!(code)],
    )
    .await;
    let started = post(
        &format!("{provider}/api/v1/signup/start"),
        json!({"passphrase_request": requests["p"], "recovery_request": requests["r"]}),
    )
    .await;
    let uploads = run(
        &client,
        "return { p: b64.encode(regP.finish(arguments[0], b64.decode(arguments[2]))),
                  r: b64.encode(regR.finish(arguments[1], b64.decode(arguments[3]))) };",
        vec![json!(passphrase), json!(code), started["passphrase_response"].clone(), started["recovery_response"].clone()],
    )
    .await;
    let identity = age::x25519::Identity::generate();
    let wrap = |secret: &str| B64.encode(wrap_identity(&identity, &SecretString::from(secret.to_owned()), KdfCost::InsecureForTests));
    let pod_id = started["pod_id"].as_str().unwrap().to_owned();
    post(
        &format!("{provider}/api/v1/signup/finish"),
        json!({
            "pod_id": pod_id, "passphrase_upload": uploads["p"], "recovery_upload": uploads["r"],
            "recipient": identity.to_public().to_string(), "identity_file": wrap(passphrase), "recovery_file": wrap(code),
        }),
    )
    .await;

    assert_eq!(wasm_login(&client, &provider, &pod_id, "wrong horse battery staple").await, Err("wrong passphrase".to_owned()));
    let token = wasm_login(&client, &provider, &pod_id, passphrase).await.unwrap();
    let info: Value = reqwest::Client::new()
        .get(format!("{provider}/api/v1/pod"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["recipient"], json!(identity.to_public().to_string()), "the wasm token opens a session");

    // The native client logs in to the pod the browser registered.
    let login = pod_core::provider_login::Login::start(passphrase.as_bytes()).unwrap();
    let started = post(
        &format!("{provider}/api/v1/login/start"),
        json!({"pod_id": pod_id, "credential": "passphrase", "request": B64.encode(&login.request)}),
    )
    .await;
    let response = B64.decode(started["response"].as_str().unwrap()).unwrap();
    assert!(login.finish(passphrase.as_bytes(), &response).is_ok());
    client.close().await.unwrap();
}
