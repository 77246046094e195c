//! A citizen's fetch through the real `pod` binary against three real `source` organisations on
//! loopback: scheme add, scheme list, fetch, history and the transparency log; one organisation
//! down; and no request at all while an unlocked pod is left alone.

use std::process::{Command, Output};
use std::sync::atomic::Ordering;
use std::time::Duration;

use age::secrecy::SecretString;
use pod::store::{KdfCost, PodDir};
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

const PASSPHRASE: &str = "correct horse battery staple";
const SEED: u64 = 1;

fn pod_cli(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pod"))
        .args(args)
        .args(["--dir", dir.to_str().unwrap()])
        .env("POD_PASSPHRASE", PASSPHRASE)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn three_orgs(root: &std::path::Path) -> Vec<LocalOrganisation> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut orgs = Vec::new();
    for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak] {
        orgs.push(
            LocalOrganisation::start(org, 5, SEED, &root.join(org.short()))
                .await
                .unwrap(),
        );
    }
    orgs
}

/// Pins `orgs` in the pod's scheme, as `pod scheme add --yes` would.
fn pin_all(dir: &PodDir, orgs: &[LocalOrganisation]) {
    let pod = dir.unlock(&SecretString::from(PASSPHRASE.to_owned())).unwrap();
    let mut scheme = pod::scheme::load(&pod).unwrap();
    for org in orgs {
        scheme.pin(org.descriptor().unwrap());
    }
    pod::scheme::save(&pod, &scheme).unwrap();
}

fn new_pod(root: &std::path::Path) -> PodDir {
    let dir = PodDir::new(root.join("pod"));
    dir.init(&SecretString::from(PASSPHRASE.to_owned()), KdfCost::InsecureForTests)
        .unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheme_add_fetch_history_and_log() {
    let tmp = tempfile::tempdir().unwrap();
    let orgs = three_orgs(tmp.path()).await;
    let dir = new_pod(tmp.path());
    let root = dir.root().to_path_buf();
    for org in &orgs {
        let url = org.url.clone();
        let added = tokio::task::spawn_blocking({
            let root = root.clone();
            move || pod_cli(&root, &["scheme", "add", &url, "--yes"])
        })
        .await
        .unwrap();
        assert!(added.status.success(), "{}", text(&added.stderr));
        assert!(text(&added.stdout).contains("fingerprint"), "{}", text(&added.stdout));
    }
    let listed = pod_cli(&root, &["scheme", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3);
    let fingerprint = orgs[0].descriptor().unwrap().keys[0].fingerprint();
    assert!(text(&listed.stdout).contains(&fingerprint));

    let (bsn, pin) = demo_data::citizen(SEED, 0);
    let credentials = format!("{bsn}:{pin}");
    let fetched = tokio::task::spawn_blocking({
        let root = root.clone();
        move || pod_cli(&root, &["fetch", "--dev-login", &credentials])
    })
    .await
    .unwrap();
    assert!(
        fetched.status.success(),
        "{}\n{}",
        text(&fetched.stdout),
        text(&fetched.stderr)
    );
    assert_eq!(
        text(&fetched.stdout).lines().filter(|l| l.starts_with("ok ")).count(),
        3,
        "{}",
        text(&fetched.stdout)
    );
    assert!(
        text(&fetched.stderr).contains("checking signature"),
        "progress is shown: {}",
        text(&fetched.stderr)
    );

    let pod = dir.unlock(&SecretString::from(PASSPHRASE.to_owned())).unwrap();
    let latest = pod.latest_documents().unwrap();
    assert_eq!(latest.len(), 3);
    for org in &orgs {
        let id = org.state.config.id.to_string();
        let (record, _) = &latest[&id];
        let plain = pod.open_document(record).unwrap();
        assert!(
            std::str::from_utf8(&plain).unwrap().split('.').count() == 3,
            "the stored file is the organisation's JWS, unchanged"
        );
    }
    let log = pod::fetching::log(&pod).unwrap();
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|e| e.outcome == "ok"
        && e.scopes == ["claims:read"]
        && e.document_sha256.as_ref().is_some_and(|h| h.len() == 64)));
    assert!(
        log.windows(2).all(|w| w[0].fetch_id == w[1].fetch_id),
        "one citizen fetch"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_organisation_down_the_others_are_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let mut orgs = three_orgs(tmp.path()).await;
    let dir = new_pod(tmp.path());
    pin_all(&dir, &orgs);
    drop(orgs.remove(1)); // DUO goes down.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (bsn, pin) = demo_data::citizen(SEED, 0);
    let root = dir.root().to_path_buf();
    let credentials = format!("{bsn}:{pin}");
    let fetched = tokio::task::spawn_blocking(move || pod_cli(&root, &["fetch", "--dev-login", &credentials]))
        .await
        .unwrap();
    assert_eq!(fetched.status.code(), Some(1));
    let stdout = text(&fetched.stdout);
    assert_eq!(stdout.lines().filter(|l| l.starts_with("ok ")).count(), 2, "{stdout}");
    assert!(
        stdout.contains("Dienst Uitvoering Onderwijs (DUO) could not be reached"),
        "{stdout}"
    );
    assert!(text(&fetched.stderr).contains("1 of 3 organisation(s) failed; the others are stored"));
    let pod = dir.unlock(&SecretString::from(PASSPHRASE.to_owned())).unwrap();
    assert_eq!(pod.latest_documents().unwrap().len(), 2);
    let log = pod::fetching::log(&pod).unwrap();
    assert_eq!(log.iter().filter(|e| e.outcome == "error").count(), 1);
}

/// P-1: nothing is fetched unless the citizen starts it. An unlocked pod with three
/// organisations in its scheme, left alone for 10 seconds, sends them nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlocked_pod_left_alone_sends_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let orgs = three_orgs(tmp.path()).await;
    let dir = new_pod(tmp.path());
    pin_all(&dir, &orgs);
    let pod = dir.unlock(&SecretString::from(PASSPHRASE.to_owned())).unwrap();
    let before: Vec<u64> = orgs.iter().map(|o| o.state.requests.load(Ordering::SeqCst)).collect();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let after: Vec<u64> = orgs.iter().map(|o| o.state.requests.load(Ordering::SeqCst)).collect();
    assert_eq!(before, after);
    assert_eq!(after, [0, 0, 0], "not even discovery");
    drop(pod);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_scheme_is_imported_only_with_the_managers_key() {
    let tmp = tempfile::tempdir().unwrap();
    let orgs = three_orgs(tmp.path()).await;
    let dir = new_pod(tmp.path());
    let root = dir.root().to_path_buf();
    let manager = schemas::jws::Signer::new("manager-2026", ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]));
    let write_scheme = |version: u64, name: &str| {
        let mut scheme = schemas::scheme::Scheme {
            format: schemas::scheme::SchemeFormat,
            version,
            issued_at: chrono::Utc::now().fixed_offset(),
            organisations: orgs.iter().map(|o| o.descriptor().unwrap()).collect(),
            signature: None,
        };
        scheme.sign(&manager).unwrap();
        let path = tmp.path().join(name);
        std::fs::write(&path, serde_json::to_vec(&scheme).unwrap()).unwrap();
        path
    };
    let key_path = tmp.path().join("manager.jwk");
    let import = |scheme: &std::path::Path| {
        pod_cli(
            &root,
            &[
                "scheme",
                "import",
                scheme.to_str().unwrap(),
                "--manager-key",
                key_path.to_str().unwrap(),
            ],
        )
    };
    std::fs::write(&key_path, serde_json::to_vec(&manager.public_jwk(None)).unwrap()).unwrap();
    let v2 = write_scheme(2, "scheme-v2.json");
    let imported = import(&v2);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    assert!(text(&imported.stdout).contains("version 2: 3 organisation(s)"));

    let older = write_scheme(1, "scheme-v1.json");
    let refused = import(&older);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("refusing to go back"),
        "{}",
        text(&refused.stderr)
    );

    let mut tampered: serde_json::Value = serde_json::from_slice(&std::fs::read(&v2).unwrap()).unwrap();
    tampered["organisations"][0]["name"] = serde_json::json!("Evil Incasso");
    std::fs::write(&v2, serde_json::to_vec(&tampered).unwrap()).unwrap();
    let refused = import(&v2);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("signature"), "{}", text(&refused.stderr));

    let other_manager = schemas::jws::Signer::new("manager-2026", ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]));
    std::fs::write(&key_path, serde_json::to_vec(&other_manager.public_jwk(None)).unwrap()).unwrap();
    let v3 = write_scheme(3, "scheme-v3.json");
    let refused = import(&v3);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("signature is not valid"),
        "{}",
        text(&refused.stderr)
    );
    let list = pod_cli(&root, &["scheme", "list"]);
    assert!(!text(&list.stdout).contains("Evil"), "nothing refused was stored");
}

/// The browser path: `pod fetch` prints a login link per organisation and catches the answer on
/// its loopback callback. Here a plain HTTP client plays the browser: it opens the link, fills in
/// the dev-login form and follows the redirect to the pod.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_fetch_catches_the_browser_login_on_its_loopback_callback() {
    use std::io::{BufRead, BufReader};
    let tmp = tempfile::tempdir().unwrap();
    let orgs = three_orgs(tmp.path()).await;
    let dir = new_pod(tmp.path());
    pin_all(&dir, &orgs[..1]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_pod"))
        .args(["fetch", "--no-browser", "--dir", dir.root().to_str().unwrap()])
        .env("POD_PASSPHRASE", PASSPHRASE)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let org_id = orgs[0].state.config.id.to_string();
    let (link_tx, link_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut rest = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            match line.strip_prefix(&format!("login {org_id} ")) {
                Some(url) => link_tx.send(url.to_owned()).unwrap(),
                None => rest.push(line),
            }
        }
        rest
    });
    let link = tokio::task::spawn_blocking(move || link_rx.recv_timeout(Duration::from_secs(30)))
        .await
        .unwrap()
        .expect("a `login <org-id> <url>` line");

    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (bsn, pin) = demo_data::citizen(SEED, 0);
    let callback = fetcher::login::DevLogin::with_client(bsn.to_string(), pin, browser.clone())
        .follow(link.parse().unwrap())
        .await
        .unwrap()
        .to_string();
    assert!(
        callback.starts_with("http://127.0.0.1:") && callback.contains("/oauth/callback?"),
        "{callback}"
    );
    let page = browser.get(&callback).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Logged in; you can close this tab"), "{page}");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    let rest = reader.join().unwrap();
    assert!(rest.iter().any(|l| l.starts_with("ok ")), "{rest:?}");
    // A second delivery of the same callback is refused: the login is over.
    let again = browser.get(&callback).send().await;
    assert!(again.is_err(), "the pod's callback server is gone once the fetch ends");
}
