//! A pod provider on a real PostgreSQL server with real organisations: sign-up with a key the
//! "browser" made, unlock, fetch and overview under `/p/{id}/`, tenant isolation, quotas,
//! crypto-shredding, export to `pod restore` and import at another provider.

use std::sync::Arc;
use std::time::Duration;

use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use base64::Engine as _;
use pod::store::{KdfCost, RecordKind, Space, UnlockedPod};
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

mod common;

use common::provider::{Backend, Running, backends, start_provider};

const PASSPHRASE: &str = "provider correct horse battery";
const SEED: u64 = 3;

/// A test, `$test`, that runs `$body` once per provider backend.
macro_rules! on_every_backend {
    ($test:ident, $body:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            let _ = rustls::crypto::ring::default_provider().install_default();
            for backend in backends() {
                eprintln!("{} on {backend}", stringify!($test));
                $body(&backend).await;
            }
        }
    };
}

/// What the citizen's browser does at sign-up: make a key and wrap it twice.
struct BrowserKey {
    identity: x25519::Identity,
    signup: serde_json::Value,
    recovery_code: SecretString,
}

fn browser_key() -> BrowserKey {
    let identity = x25519::Identity::generate();
    let recovery_code = pod::store::keys::generate_recovery_code();
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(bytes);
    let signup = serde_json::json!({
        "recipient": identity.to_public().to_string(),
        "identity": b64(pod::store::keys::wrap_identity(&identity, &SecretString::from(PASSPHRASE.to_owned()), KdfCost::InsecureForTests)),
        "recovery": b64(pod::store::keys::wrap_identity(&identity, &recovery_code, KdfCost::InsecureForTests)),
    });
    BrowserKey {
        identity,
        signup,
        recovery_code,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_up(p: &Running, key: &BrowserKey) -> String {
    let answer = client()
        .post(format!("{}/signup", p.url))
        .json(&key.signup)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["url"], format!("{}/p/{}/", p.url, body["pod_id"].as_str().unwrap()));
    body["pod_id"].as_str().unwrap().to_owned()
}

/// Opens pod `id` in-process, as the provider's server does at unlock.
fn open(p: &Running, id: &str) -> UnlockedPod {
    p.tenants
        .unlock(pod_id(id), &SecretString::from(PASSPHRASE.to_owned()))
        .unwrap()
}

fn pod_id(hex: &str) -> [u8; 16] {
    *pod::store::RecordId::parse(hex).unwrap().as_bytes()
}

async fn unlock(client: &reqwest::Client, base: &str) -> reqwest::StatusCode {
    common::unlock_at(client, base, PASSPHRASE).await
}

async fn csrf(client: &reqwest::Client, base: &str) -> String {
    common::csrf_at(client, base).await
}

/// `POST /p/{id}/account/{action}` with `passphrase`, as the citizen's browser sends it.
async fn account(p: &Running, id: &str, action: &str, passphrase: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/p/{id}/account/{action}", p.url))
        .json(&serde_json::json!({ "passphrase": passphrase }))
        .send()
        .await
        .unwrap()
}

on_every_backend!(a_citizen_signs_up_fetches_and_sees_the_overview_at_a_provider, a_citizen_signs_up_fetches_and_sees_the_overview_at_a_provider_on);
async fn a_citizen_signs_up_fetches_and_sees_the_overview_at_a_provider_on(backend: &Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let mut orgs = Vec::new();
    for org in [DemoOrg::Cjib, DemoOrg::Duo] {
        orgs.push(LocalOrganisation::start(org, 3, SEED, &tmp.path().join(org.short())).await.unwrap());
    }
    let p = start_provider(backend, "").await;
    let key = browser_key();
    let id = sign_up(&p, &key).await;

    // At rest the provider holds the wrapped identity, the recipient and one wrapped data key.
    let raw = p.tenants.raw_store(pod_id(&id));
    assert_eq!(raw.scan(Space::Meta).unwrap().len(), 1);
    assert!(raw.scan(Space::Records).unwrap().is_empty());

    // The citizen pins the organisations (as settings would) and unlocks in the browser.
    {
        let pod = open(&p, &id);
        let mut scheme = pod.scheme().unwrap();
        for org in &orgs {
            scheme.pin(org.descriptor().unwrap());
        }
        pod.save_scheme(&scheme).unwrap();
    }
    let base = format!("{}/p/{id}", p.url);
    let citizen = client();
    let home = citizen.get(format!("{}/p/{id}", p.url)).send().await.unwrap();
    assert_eq!(home.status(), 308, "the pod's address without a slash redirects");
    assert_eq!(unlock(&citizen, &base).await, 200);

    // Fetch through the provider's one callback address.
    let token = csrf(&citizen, &base).await;
    let started = citizen
        .post(format!("{base}/api/fetch"))
        .header("x-csrf-token", &token)
        .json(&serde_json::json!({"sources": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let job: serde_json::Value = started.json().await.unwrap();
    let (bsn, pin) = demo_data::citizen(SEED, 0);
    for org in job["organisations"].as_array().unwrap() {
        let login = org["login_url"].as_str().unwrap();
        let callback = fetcher::login::DevLogin::new(bsn.to_string(), pin.clone())
            .follow(login.parse().unwrap())
            .await
            .unwrap();
        assert!(callback.as_str().starts_with(&format!("{}/oauth/callback?", p.url)), "{callback}");
        let back = citizen.get(callback).send().await.unwrap();
        assert_eq!(back.status(), 303);
        let location = back.headers()["location"].to_str().unwrap();
        assert!(location.starts_with(&format!("/p/{id}/fetch/")), "{location}");
    }
    let mut done = false;
    for _ in 0..100 {
        let progress = citizen
            .get(format!("{base}/api/fetch/{}", job["id"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        let status = progress.status();
        let text = progress.text().await.unwrap();
        let progress: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status} {e}: {text}"));
        if progress["done"] == true {
            assert!(progress["organisations"].as_array().unwrap().iter().all(|o| o["stage"] == "done"), "{progress}");
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(done, "the fetch never finished");
    let overview: serde_json::Value = citizen
        .get(format!("{base}/api/overview"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(overview["organisations"].as_array().unwrap().len(), 2);
    assert!(overview["organisations"].as_array().unwrap().iter().all(|o| o["status"] == "ok"), "{overview}");

    // The pages link inside the pod.
    let page = citizen.get(format!("{base}/")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("href=\"/p/{id}/settings\"")), "{page}");
    assert!(!page.contains("href=\"/settings\"") && !page.contains("action=\"/lock\""));

    // What the provider holds is ciphertext: no BSN, no case reference.
    let raw = p.tenants.raw_store(pod_id(&id));
    let stored: Vec<u8> = Space::ALL
        .into_iter()
        .flat_map(|space| raw.scan(space).unwrap())
        .flat_map(|(k, v)| [k, v].concat())
        .collect();
    assert!(!stored.windows(9).any(|w| w == bsn.as_str().as_bytes()));
    assert!(stored.len() > 2 * 512 * 1024, "two padded documents are stored");

    // Health, readiness and metrics, with nothing about the pod in them.
    let ops = reqwest::Client::new();
    assert_eq!(ops.get(format!("{}/healthz", p.url)).send().await.unwrap().status(), 200);
    assert_eq!(ops.get(format!("{}/readyz", p.url)).send().await.unwrap().status(), 200);
    let metrics = ops.get(format!("{}/metrics", p.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("betaalpod_events_total{event=\"signup\"}"), "{metrics}");
    assert!(metrics.contains("betaalpod_unlocked_pods 1"), "{metrics}");
    assert!(!metrics.contains(&id) && !metrics.contains(bsn.as_str()));
}

on_every_backend!(one_pod_can_never_read_list_or_count_another, one_pod_can_never_read_list_or_count_another_on);
async fn one_pod_can_never_read_list_or_count_another_on(backend: &Backend) {
    let p = start_provider(backend, "").await;
    let (a, b) = (sign_up(&p, &browser_key()).await, sign_up(&p, &browser_key()).await);
    {
        let pod = open(&p, &b);
        pod.put(RecordKind::FetchLog, Some("cjib"), b"b's private entry").unwrap();
    }
    let citizen_a = client();
    assert_eq!(unlock(&citizen_a, &format!("{}/p/{a}", p.url)).await, 200);
    // A's session cookie is scoped to A's pod; even sent by hand to B's pod it opens nothing.
    let cookie = citizen_a
        .get(format!("{}/p/{a}/api/csrf", p.url))
        .send()
        .await
        .unwrap()
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    let plain = reqwest::Client::new();
    for path in ["api/overview", "api/fetch-log", "api/arrangements", "api/export"] {
        let by_jar = citizen_a.get(format!("{}/p/{b}/{path}", p.url)).send().await.unwrap();
        assert_eq!(by_jar.status(), 401, "{path}");
        let mut forged = plain.get(format!("{}/p/{b}/{path}", p.url));
        for c in &cookie {
            forged = forged.header("cookie", c.split(';').next().unwrap());
        }
        let forged = forged.send().await.unwrap();
        assert_eq!(forged.status(), 401, "{path} with A's cookie");
        let body = forged.text().await.unwrap();
        assert!(!body.contains("private") && !body.contains("cjib"), "{body}");
    }
    // A's own pod answers, and shows none of B's records.
    let log: serde_json::Value = citizen_a
        .get(format!("{}/p/{a}/api/fetch-log", p.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log, serde_json::json!([]));
    // Unknown and malformed ids are simply not found.
    for id in ["00000000000000000000000000000000", "not-an-id", "../etc"] {
        let answer = plain.get(format!("{}/p/{id}/api/overview", p.url)).send().await.unwrap();
        assert_eq!(answer.status(), 404, "{id}");
    }
}

on_every_backend!(quotas_on_fetches_and_storage, quotas_on_fetches_and_storage_on);
async fn quotas_on_fetches_and_storage_on(backend: &Backend) {
    let p = start_provider(
        backend,
        "[quotas]\nrecords = 3\nbytes = 100000\nfetches_per_hour = 1\n",
    )
    .await;
    let id = sign_up(&p, &browser_key()).await;
    let tmp = tempfile::tempdir().unwrap();
    let org = LocalOrganisation::start(DemoOrg::Cak, 2, SEED, &tmp.path().join("cak")).await.unwrap();
    {
        let pod = open(&p, &id);
        let mut scheme = pod.scheme().unwrap();
        scheme.pin(org.descriptor().unwrap());
        pod.save_scheme(&scheme).unwrap();
    }
    let base = format!("{}/p/{id}", p.url);
    let citizen = client();
    assert_eq!(unlock(&citizen, &base).await, 200);
    let fetch = || async {
        let token = csrf(&citizen, &base).await;
        citizen
            .post(format!("{base}/api/fetch"))
            .header("x-csrf-token", &token)
            .json(&serde_json::json!({"sources": null}))
            .send()
            .await
            .unwrap()
    };
    assert_eq!(fetch().await.status(), 202, "the first fetch of the hour");
    let refused = fetch().await;
    assert_eq!(refused.status(), 429);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("1 times in the last hour"), "{body}");

    let pod = open(&p, &id);
    // The scheme is one record; two more fit.
    for n in 0..2 {
        pod.put(RecordKind::FetchLog, None, format!("entry {n}").as_bytes()).unwrap();
    }
    let full = pod.put(RecordKind::FetchLog, None, b"one too many").unwrap_err();
    assert!(full.to_string().contains("this pod is full"), "{full}");
    assert_eq!(pod.index().unwrap().len(), 3, "nothing of the refused record was kept");
}

on_every_backend!(deleting_destroys_the_keys_first_then_the_data, deleting_destroys_the_keys_first_then_the_data_on);
async fn deleting_destroys_the_keys_first_then_the_data_on(backend: &Backend) {
    let p = start_provider(backend, "").await;
    let key = browser_key();
    let id = sign_up(&p, &key).await;
    {
        let pod = open(&p, &id);
        pod.put(RecordKind::FetchLog, Some("cjib"), b"something to shred").unwrap();
    }

    // A wrong passphrase deletes nothing.
    let http = reqwest::Client::new();
    let wrong = account(&p, &id, "delete", "not the passphrase at all").await;
    assert_eq!(wrong.status(), 401);
    assert!(p.tenants.exists(pod_id(&id)).unwrap());

    // Crash after step one: the keys are gone, and even the citizen's own identity (which the
    // provider never had) no longer opens what is left.
    p.tenants.shred_keys(pod_id(&id)).unwrap();
    assert!(!p.tenants.exists(pod_id(&id)).unwrap());
    let leftover = p.tenants.raw_store(pod_id(&id));
    assert_eq!(leftover.scan(Space::Records).unwrap().len(), 1, "data is still there after step one");
    let opened = UnlockedPod::open_hosted(pod_id(&id), p.tenants.raw_store(pod_id(&id)), key.identity.clone());
    assert!(opened.is_err(), "the shredded pod still opened");
    p.tenants.delete(pod_id(&id)).unwrap();
    assert_eq!(p.tenants.stored_values(pod_id(&id)).unwrap(), 0, "rows remain after deletion");

    // Through the API, with the passphrase: gone, and the pod's address is no more.
    let other = sign_up(&p, &browser_key()).await;
    let citizen = client();
    assert_eq!(unlock(&citizen, &format!("{}/p/{other}", p.url)).await, 200);
    let deleted = account(&p, &other, "delete", PASSPHRASE).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(p.tenants.stored_values(pod_id(&other)).unwrap(), 0);
    let after = citizen.get(format!("{}/p/{other}/api/overview", p.url)).send().await.unwrap();
    assert_eq!(after.status(), 404, "the unlocked session ended with the pod");
    // A request from another site is refused before the passphrase is even looked at.
    let cross = http
        .post(format!("{}/p/{id}/account/delete", p.url))
        .header("origin", "https://evil.example")
        .json(&serde_json::json!({"passphrase": PASSPHRASE}))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
}

on_every_backend!(an_export_restores_with_pod_restore_and_imports_at_another_provider, an_export_restores_with_pod_restore_and_imports_at_another_provider_on);
async fn an_export_restores_with_pod_restore_and_imports_at_another_provider_on(backend: &Backend) {
    let p = start_provider(backend, "").await;
    let key = browser_key();
    let id = sign_up(&p, &key).await;
    {
        let pod = open(&p, &id);
        pod.put(RecordKind::FetchLog, Some("cjib"), b"travels along").unwrap();
        pod.put(RecordKind::Arrangement, Some("duo"), b"and this too").unwrap();
    }
    let http = reqwest::Client::new();
    let refused = account(&p, &id, "export", "not the passphrase at all").await;
    assert_eq!(refused.status(), 401, "the export holds the wrapped identity, so it needs the passphrase");
    let export = account(&p, &id, "export", PASSPHRASE).await;
    assert_eq!(export.status(), 200);
    let bytes = export.bytes().await.unwrap();
    assert!(!bytes.windows(13).any(|w| w == b"travels along"), "the export holds only ciphertext");

    // Self-hosted: `pod restore` takes it unchanged.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("export.json");
    std::fs::write(&file, &bytes).unwrap();
    let restored = std::process::Command::new(env!("CARGO_BIN_EXE_pod"))
        .args(["restore", "--dir"])
        .arg(tmp.path().join("pod"))
        .arg("--from")
        .arg(&file)
        .env("POD_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    let local = pod::store::PodDir::new(tmp.path().join("pod"))
        .unlock(&SecretString::from(PASSPHRASE.to_owned()))
        .unwrap();
    let payloads: Vec<Vec<u8>> = local
        .index()
        .unwrap()
        .iter()
        .map(|(id, _)| local.get(id).unwrap().payload.to_vec())
        .collect();
    assert!(payloads.contains(&b"travels along".to_vec()) && payloads.contains(&b"and this too".to_vec()));
    // The recovery code the browser made works on the restored pod too.
    drop(local);
    let recovered = std::process::Command::new(env!("CARGO_BIN_EXE_pod"))
        .args(["recover", "--dir"])
        .arg(tmp.path().join("pod"))
        .env("POD_RECOVERY_CODE", key.recovery_code.expose_secret())
        .env("POD_NEW_PASSPHRASE", "a brand new passphrase here")
        .output()
        .unwrap();
    assert!(recovered.status.success(), "{}", String::from_utf8_lossy(&recovered.stderr));

    // Another provider (here: the same service, a new pod) imports it.
    let imported = http
        .post(format!("{}/import", p.url))
        .json(&serde_json::json!({
            "passphrase": PASSPHRASE,
            "backup": base64::engine::general_purpose::STANDARD.encode(&bytes),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), 201);
    let body: serde_json::Value = imported.json().await.unwrap();
    assert_eq!(body["records"], 2);
    let new_id = body["pod_id"].as_str().unwrap();
    assert_ne!(new_id, id);
    let pod = p.tenants.unlock(pod_id(new_id), &SecretString::from(PASSPHRASE.to_owned())).unwrap();
    assert_eq!(pod.index().unwrap().len(), 2);
    let garbage = http
        .post(format!("{}/import", p.url))
        .json(&serde_json::json!({"passphrase": PASSPHRASE, "backup": "bm90IGEgYmFja3Vw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 422);
}

on_every_backend!(sign_up_refuses_what_it_cannot_use, sign_up_refuses_what_it_cannot_use_on);
async fn sign_up_refuses_what_it_cannot_use_on(backend: &Backend) {
    let p = start_provider(backend, "").await;
    let http = reqwest::Client::new();
    let good = browser_key().signup;
    let mut not_age = good.clone();
    not_age["identity"] = serde_json::json!(base64::engine::general_purpose::STANDARD.encode("AGE-SECRET-KEY-1 in the clear"));
    let mut bad_recipient = good.clone();
    bad_recipient["recipient"] = serde_json::json!("age1notarecipient");
    let mut huge = good.clone();
    huge["recovery"] = serde_json::json!(base64::engine::general_purpose::STANDARD.encode(vec![b'a'; 10_000]));
    for (what, body) in [("plaintext identity", not_age), ("bad recipient", bad_recipient), ("huge", huge)] {
        let answer = http.post(format!("{}/signup", p.url)).json(&body).send().await.unwrap();
        assert_eq!(answer.status(), 422, "{what}");
    }
    let cross = http
        .post(format!("{}/signup", p.url))
        .header("origin", "https://evil.example")
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let wrong_host = http
        .get(format!("{}/signup", p.url))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_host.status(), 421);
}

/// A running `pod provider serve` process.
struct Server {
    child: std::process::Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `pod provider serve`, logging JSON at `info` to `log`.
fn spawn_server(config: &std::path::Path, log: &std::path::Path) -> Server {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pod"))
        .args(["provider", "serve", "--config"])
        .arg(config)
        .env("POD_LOG", "info")
        .env("POD_LOG_FORMAT", "json")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("the provider did not say where it listens: {line:?}"))
        .to_owned();
    Server { child, addr }
}

on_every_backend!(two_servers_on_one_database_lose_nothing, two_servers_on_one_database_lose_nothing_on);
/// Two provider processes behind one public address (as behind a load balancer), one database:
/// the same pod open on both, written from both at once, loses nothing.
async fn two_servers_on_one_database_lose_nothing_on(backend: &Backend) {
    let Backend::Postgres(database_url) = backend else {
        return a_second_sled_server_is_refused().await;
    };
    let public = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let public_host = public.local_addr().unwrap().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("provider.toml");
    std::fs::write(
        &config,
        format!("listen = \"127.0.0.1:0\"\npublic_url = \"http://{public_host}\"\ndatabase_url = \"{database_url}\"\npool_size = 2\n"),
    )
    .unwrap();
    let logs = [tmp.path().join("a.log"), tmp.path().join("b.log")];
    let servers = [spawn_server(&config, &logs[0]), spawn_server(&config, &logs[1])];

    let signed_up = reqwest::Client::new()
        .post(format!("http://{}/signup", servers[0].addr))
        .header("host", &public_host)
        .json(&browser_key().signup)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_up.status(), 201);
    let id = signed_up.json::<serde_json::Value>().await.unwrap()["pod_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The load balancer keeps each browser on one server; here: one citizen session on each.
    let mut sessions = Vec::new();
    for server in &servers {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let session = reqwest::Client::builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let base = format!("http://{}/p/{id}", server.addr);
        let token = session
            .get(format!("{base}/api/csrf"))
            .header("host", &public_host)
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()["csrf"]
            .as_str()
            .unwrap()
            .to_owned();
        let unlocked = session
            .post(format!("{base}/api/unlock"))
            .header("host", &public_host)
            .header("x-csrf-token", &token)
            .json(&serde_json::json!({"passphrase": PASSPHRASE}))
            .send()
            .await
            .unwrap();
        assert_eq!(unlocked.status(), 200);
        let token = unlocked.json::<serde_json::Value>().await.unwrap()["csrf"]
            .as_str()
            .unwrap()
            .to_owned();
        sessions.push((session, base, token));
    }
    let input = serde_json::json!({
        "date": "2026-11-15", "household": "single", "net_income_cents": 250000, "term_cap_months": 36,
        "claims": [{"org": "00000001001234567000", "ref": "CJIB-1", "outstanding_cents": 120000, "preferent": false}]
    });
    let writers = sessions.iter().map(|(session, base, token)| {
        let (session, base, token, input, host) = (session.clone(), base.clone(), token.clone(), input.clone(), public_host.clone());
        tokio::spawn(async move {
            for _ in 0..15 {
                let saved = session
                    .post(format!("{base}/api/arrangements"))
                    .header("host", &host)
                    .header("x-csrf-token", &token)
                    .json(&input)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(saved.status(), 201, "{}", saved.text().await.unwrap());
            }
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.unwrap();
    }
    for (session, base, _) in &sessions {
        let list: serde_json::Value = session
            .get(format!("{base}/api/arrangements"))
            .header("host", &public_host)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list.as_array().unwrap().len(), 30, "a write was lost");
    }
    for server in &servers {
        let ready = reqwest::get(format!("http://{}/readyz", server.addr)).await.unwrap();
        assert_eq!(ready.status(), 200);
    }
    // An unlocked session lives only on its server: the same browser sent to the other server
    // (no stickiness, or after a restart) finds the pod locked there, never opened.
    let (session_a, base_a, _) = &sessions[0];
    let at_home = session_a
        .get(format!("{base_a}/api/overview"))
        .header("host", &public_host)
        .send()
        .await
        .unwrap();
    assert_eq!(at_home.status(), 200, "control: the session works on its own server");
    let elsewhere = session_a
        .get(format!("http://{}/p/{id}/api/overview", servers[1].addr))
        .header("host", &public_host)
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 401, "a session unlocked on one server opened the pod on another");

    // SIGTERM: both stop cleanly, locking their pods.
    for mut server in servers {
        let pid = server.child.id().to_string();
        assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let status = server.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
    drop(public);

    // Structured logs: one JSON object per line, without the pod's id or the passphrase.
    let mut lines = 0;
    for log in &logs {
        for line in std::fs::read_to_string(log).unwrap().lines() {
            let entry: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert!(entry["level"].is_string() && entry["fields"]["message"].is_string(), "{line}");
            assert!(!line.contains(&id) && !line.contains(PASSPHRASE), "{line}");
            lines += 1;
        }
    }
    assert!(lines >= 4, "the servers logged too little to check: {lines} lines");
}

on_every_backend!(the_citizen_changes_the_passphrase_at_a_provider, the_citizen_changes_the_passphrase_at_a_provider_on);
async fn the_citizen_changes_the_passphrase_at_a_provider_on(backend: &Backend) {
    let p = start_provider(backend, "").await;
    let id = sign_up(&p, &browser_key()).await;
    let base = format!("{}/p/{id}", p.url);
    let citizen = client();
    assert_eq!(unlock(&citizen, &base).await, 200);
    let change = |current: &'static str| {
        let (citizen, base) = (citizen.clone(), base.clone());
        async move {
            let token = csrf(&citizen, &base).await;
            citizen
                .post(format!("{base}/settings/passphrase"))
                .form(&[("csrf", token.as_str()), ("current", current), ("new", "a new passphrase for the pod")])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(change("not the current one").await, 401);
    assert_eq!(change(PASSPHRASE).await, 200);
    let old = p.tenants.unlock(pod_id(&id), &SecretString::from(PASSPHRASE.to_owned()));
    assert!(old.is_err(), "the old passphrase still opens the pod");
    p.tenants
        .unlock(pod_id(&id), &SecretString::from("a new passphrase for the pod".to_owned()))
        .unwrap();
}

/// sled is for one server: a second one on the same data_dir says so and stops.
async fn a_second_sled_server_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("provider.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:9\"\ndata_dir = \"{}\"\n",
            tmp.path().join("pods").display()
        ),
    )
    .unwrap();
    let _first = spawn_server(&config, &tmp.path().join("first.log"));
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_pod"))
        .args(["provider", "serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("is another server using it") && stderr.contains("database_url"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_passphrase_is_recovered_with_the_recovery_code() {
    for backend in backends() {
        eprintln!("recovery on {backend}");
        let p = start_provider(&backend, "").await;
        let key = browser_key();
        let id = sign_up(&p, &key).await;
        let http = reqwest::Client::new();
        let recover = |code: String| {
            let (http, url) = (http.clone(), format!("{}/p/{id}/account/recover", p.url));
            async move {
                http.post(url)
                    .json(&serde_json::json!({"recovery_code": code, "new_passphrase": "recovered passphrase here"}))
                    .send()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(recover("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH".to_owned()).await.status(), 401);
        assert_eq!(recover("not a code".to_owned()).await.status(), 422);
        // Typed in lower case without dashes, as people do.
        let typed = key.recovery_code.expose_secret().replace('-', "").to_lowercase();
        let answer = recover(typed.clone()).await;
        assert_eq!(answer.status(), 200);
        let next: serde_json::Value = answer.json().await.unwrap();
        let next_code = next["recovery_code"].as_str().unwrap();
        assert_ne!(next_code, key.recovery_code.expose_secret());
        assert_eq!(recover(typed).await.status(), 401, "a used recovery code still works");
        p.tenants
            .unlock(pod_id(&id), &SecretString::from("recovered passphrase here".to_owned()))
            .unwrap();
        assert!(p.tenants.unlock(pod_id(&id), &SecretString::from(PASSPHRASE.to_owned())).is_err());
        // The next code opens the new recovery file.
        let backup = p.tenants.export(pod_id(&id)).unwrap();
        let backup = pod::store::backup::read_backup(&backup, "export").unwrap();
        let opened = pod::store::keys::unwrap_identity(
            &backup.recovery_file,
            &SecretString::from(next_code.to_owned()),
            "recovery",
        )
        .unwrap();
        assert_eq!(opened.to_public().to_string(), key.identity.to_public().to_string());
    }
}
