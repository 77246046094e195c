//! The pod in the browser against the same work done natively, both release builds, at a real
//! provider (sled, in-process):
//! - **unlock**: an OPAQUE login (Argon2id) plus opening the identity (age scrypt at age's own
//!   work factor) and the data key;
//! - **overview**: reading every record of a pod with 20 organisations × 50 matters from the
//!   provider, opening them, building the overview and rendering its page (`pod_ui`; in the
//!   browser also putting it into the document, as the app does).
//!
//! ```sh
//! scripts/build-wasm && cargo bench -p pod-wasm --bench in_browser
//! ```
//!
//! Three runs of each; the median is reported, in milliseconds, with the ratio wasm / native.

use std::time::{Duration, Instant};

use age::secrecy::SecretString;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use browser_harness::start_browser;
use pod_core::identity::KdfCost;
use pod_core::provider_login::{Login, Registration};
use pod_core::records::RecordKind;
use pod_core::session::Session;
use provider_api::RecordName;
use serde_json::{Value, json};

const PASSPHRASE: &str = "bench correct horse battery staple";
const CODE: &str = "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH";

/// A v3.0.0 document with 50 matters of three events each (as `pod/benches/overview.rs`).
fn document(org: usize) -> Value {
    let oin = format!("{:020}", 10_000_000 + org);
    let matters: Vec<Value> = (0..50)
        .map(|m| {
            let zaak = format!("Z-{org}-{m}");
            json!({
                "zaakkenmerk": zaak, "omschrijving": format!("Vordering {m}"),
                "totaal_opgelegd": 10_000, "totaal_reeds_betaald": 2_500, "saldo": 7_500, "saldo_datumtijd": "2026-11-01T09:00:00+01:00",
                "gebeurtenissen": [
                    {"gebeurtenis_type": "FinancieleVerplichtingOpgelegd", "gebeurtenis_kenmerk": format!("{zaak}-1"), "datumtijd_gebeurtenis": "2026-01-10T08:00:00+01:00",
                     "datumtijd_opgelegd": "2026-01-10T00:00:00+01:00", "zaakkenmerk": zaak, "primaire_verplichting": true, "type": "cjib_wahv", "bedrag": 10_000, "omschrijving": "Boete"},
                    {"gebeurtenis_type": "BetalingsverplichtingOpgelegd", "gebeurtenis_kenmerk": format!("{zaak}-2"), "datumtijd_gebeurtenis": "2026-01-10T08:00:00+01:00",
                     "zaakkenmerk": zaak, "bedrag": 10_000, "vervaldatum": "2026-03-01", "rekeningnummer": "NL91ABNA0417164300", "betalingskenmerk": "1234567890123456"},
                    {"gebeurtenis_type": "BetalingVerwerkt", "gebeurtenis_kenmerk": format!("{zaak}-3"), "datumtijd_gebeurtenis": "2026-02-01T08:00:00+01:00",
                     "zaakkenmerk": zaak, "bedrag": 2_500}
                ],
                "achterstanden": [format!("{zaak}-2")],
                "contactopties": [{"contactvorm": "telefoon", "url": "tel:+31000000000", "prioriteit": 1}]
            })
        })
        .collect();
    json!({"type": "FINANCIAL_CLAIMS_INFORMATION_DOCUMENT", "version": "3.0.0", "body": {
        "aangeleverd_door": oin, "document_datumtijd": "2026-11-01T09:00:00+01:00", "bsn": "999993653", "financiele_zaken": matters}})
}

async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut request = http.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().error_for_status().unwrap().json().await.unwrap()
}

async fn log_in(http: &reqwest::Client, base: &str, pod_id: &str) -> String {
    let login = Login::start(PASSPHRASE.as_bytes()).unwrap();
    let started = post(http, format!("{base}/login/start"), None, json!({"pod_id": pod_id, "credential": "passphrase", "request": B64.encode(&login.request)})).await;
    let done = login
        .finish(PASSPHRASE.as_bytes(), &B64.decode(started["response"].as_str().unwrap()).unwrap())
        .unwrap();
    post(http, format!("{base}/login/finish"), None, json!({"login_id": started["login_id"], "finalization": B64.encode(&done.finalization)})).await;
    done.token.to_string()
}

async fn get(http: &reqwest::Client, url: String, token: &str) -> Vec<u8> {
    http.get(url).bearer_auth(token).send().await.unwrap().error_for_status().unwrap().bytes().await.unwrap().to_vec()
}

/// Native unlock: login, the wrapped identity and data key, and opening both.
async fn native_unlock(http: &reqwest::Client, base: &str, pod_id: &str) -> (Session, String) {
    let token = log_in(http, base, pod_id).await;
    let info: Value = serde_json::from_slice(&get(http, format!("{base}/pod"), &token).await).unwrap();
    let key = get(http, format!("{base}/records/{}", pod_core::session::data_key_name()), &token).await;
    let identity_file = B64.decode(info["identity_file"].as_str().unwrap()).unwrap();
    let session = Session::open(&identity_file, &SecretString::from(PASSPHRASE.to_owned()), &key).unwrap();
    (session, token)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if std::env::args().any(|a| a == "--list") {
        println!("in_browser: bench");
        return;
    }
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let app = workspace.join("target/pod-web");
    if !app.join("index.html").exists() {
        eprintln!("in_browser: run scripts/build-wasm first; skipped");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(run(app));
}

async fn run(app: std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listen = listener.local_addr().unwrap();
    let config = provider::config::ProviderConfig::parse(&format!(
        "listen = \"{listen}\"\npublic_url = \"http://{listen}\"\ndata_dir = \"{}\"\napp_dir = \"{}\"\n",
        tmp.path().join("vault").display(),
        app.display()
    ))
    .unwrap();
    let vault = provider::vault::Vault::Sled(provider::vault::SledVault::open(config.data_dir.as_ref().unwrap()).unwrap());
    let state = provider::server::AppState::with_vault(config, vault).await.unwrap();
    tokio::spawn(provider::server::serve(listener, state));
    let origin = format!("http://{listen}");
    let base = format!("{origin}/api/v1");
    let http = reqwest::Client::new();

    // A pod with age's own scrypt work factor, 20 organisations × 50 matters.
    let (mut session, new_pod) = Session::create(
        &SecretString::from(PASSPHRASE.to_owned()),
        &SecretString::from(CODE.to_owned()),
        KdfCost::Standard,
    )
    .unwrap();
    let (p, r) = (Registration::start(PASSPHRASE.as_bytes()).unwrap(), Registration::start(CODE.as_bytes()).unwrap());
    let started = post(&http, format!("{base}/signup/start"), None, json!({"passphrase_request": B64.encode(&p.request), "recovery_request": B64.encode(&r.request)})).await;
    let response = |key: &str| B64.decode(started[key].as_str().unwrap()).unwrap();
    let pod_id = started["pod_id"].as_str().unwrap().to_owned();
    post(&http, format!("{base}/signup/finish"), None, json!({
        "pod_id": pod_id,
        "passphrase_upload": B64.encode(p.finish(PASSPHRASE.as_bytes(), &response("passphrase_response")).unwrap()),
        "recovery_upload": B64.encode(r.finish(CODE.as_bytes(), &response("recovery_response")).unwrap()),
        "recipient": new_pod.recipient, "identity_file": B64.encode(&new_pod.identity_file), "recovery_file": B64.encode(&new_pod.recovery_file),
    })).await;
    let token = log_in(&http, &base, &pod_id).await;
    let recipient: age::x25519::Recipient = new_pod.recipient.parse().unwrap();
    let signer = schemas::jws::Signer::new("k", ed25519_dalek::SigningKey::from_bytes(&[5u8; 32]));
    let mut writes: Vec<(RecordName, Vec<u8>)> = vec![new_pod.data_key_write.clone()];
    for org in 0..20 {
        let document = document(org);
        let id = document["body"]["aangeleverd_door"].as_str().unwrap().to_owned();
        let payload = json!({"iss": id, "sub_hash": "x", "iat": 0, "exp": 0, "nonce": "n", "recipient": new_pod.recipient, "document": document});
        let jws = signer.sign_compact("betaalpod-claims+jwt", &serde_json::to_vec(&payload).unwrap());
        let answer = age::encrypt(&recipient, jws.as_bytes()).unwrap();
        writes.extend(session.put(RecordKind::Document, Some(&id), &answer, chrono::Utc::now()));
    }
    for chunk in writes.chunks(8) {
        let batch: Vec<Value> = chunk
            .iter()
            .map(|(name, bytes)| json!({"name": name.to_string(), "expect": "absent", "bytes": B64.encode(bytes)}))
            .collect();
        post(&http, format!("{base}/batch"), Some(&token), json!({"writes": batch})).await;
    }
    let as_of = chrono::Utc::now().date_naive();

    // Native.
    let mut unlock_ms = Vec::new();
    let mut overview_ms = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let (mut session, token) = native_unlock(&http, &base, &pod_id).await;
        unlock_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let list: Value = serde_json::from_slice(&get(&http, format!("{base}/records"), &token).await).unwrap();
        for record in list["records"].as_array().unwrap() {
            let name = record["name"].as_str().unwrap();
            let bytes = get(&http, format!("{base}/records/{name}"), &token).await;
            session.load(&RecordName::parse(name).unwrap(), &bytes).unwrap();
        }
        let overview = session.overview(as_of, chrono::Utc::now());
        let chrome = pod_ui::Chrome {
            lang: schemas::lang::Lang::Nl,
            unlocked: true,
            csrf: String::new(),
            place: pod_ui::Place::Browser,
        };
        let page = pod_ui::pages::overview(&chrome, &overview, *chrono::Local::now().offset()).unwrap();
        overview_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(page.matches("class=\"organisation\"").count(), 20);
        assert_eq!(overview.organisations.len(), 20);
        assert_eq!(overview.organisations.iter().map(|o| o.matters.len()).sum::<usize>(), 1000);
    }
    let (native_unlock, native_overview) = (median(unlock_ms), median(overview_ms));

    // In Chromium, through the app's own modules.
    let (_driver, client) = start_browser().await;
    client.goto(&format!("{origin}/app/index.html")).await.unwrap();
    for _ in 0..400 {
        let ready = client.execute("return document.getElementById('status').textContent", vec![]).await.unwrap();
        if ready.as_str().unwrap_or_default().starts_with("ready") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let timings = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const { core, provider } = window.betaalpod;
             (async () => {
               const unlock = [], overview = [];
               for (let i = 0; i < 3; i++) {
                 let t = performance.now();
                 const session = await provider.logIn(core, arguments[0], arguments[1]);
                 const info = await session.info();
                 const pod = core.Pod.open(provider.b64.decode(info.identity_file), arguments[1], await session.get(core.Pod.dataKeyName()));
                 unlock.push(performance.now() - t);
                 t = performance.now();
                 await session.loadInto(pod);
                 const html = pod.page('/', 'nl', new Date().toISOString(), -new Date().getTimezoneOffset());
                 const page = new DOMParser().parseFromString(html, 'text/html');
                 document.getElementById('app').replaceChildren(...Array.from(page.body.childNodes).map((n) => document.importNode(n, true)));
                 overview.push(performance.now() - t);
                 const shown = document.querySelectorAll('#app section.organisation').length;
                 if (shown !== 20) throw new Error('not 20 organisations: ' + shown);
               }
               return { unlock, overview };
             })().then(done, (e) => done({ error: String(e) }));",
            vec![json!(pod_id), json!(PASSPHRASE), json!(as_of.to_string())],
        )
        .await
        .unwrap();
    assert!(timings.get("error").is_none(), "{timings}");
    let numbers = |key: &str| timings[key].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<_>>();
    let (wasm_unlock, wasm_overview) = (median(numbers("unlock")), median(numbers("overview")));
    client.close().await.unwrap();
    println!("unlock (OPAQUE + scrypt + data key): wasm {wasm_unlock:.0} ms, native {native_unlock:.0} ms, {:.2}x", wasm_unlock / native_unlock);
    println!(
        "overview, 20 organisations x 50 matters (read, open, build, render the page): wasm {wasm_overview:.0} ms, native {native_overview:.0} ms, {:.2}x",
        wasm_overview / native_overview
    );
}
