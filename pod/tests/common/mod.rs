//! A running `pod serve` with three real organisations on loopback, for the web and browser tests.
#![allow(dead_code)] // Each test file uses a different part.


use std::sync::Arc;
use std::time::Duration;

use age::secrecy::SecretString;
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
    _tmp: tempfile::TempDir,
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
    let (bsn, _) = demo_data::citizen(SEED, 0);
    let mut orgs = Vec::new();
    for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak] {
        let dir = tmp.path().join(org.short());
        std::fs::create_dir_all(&dir).unwrap();
        let mut data = demo_data::generate(org, 5, SEED).unwrap();
        if org == DemoOrg::Cjib {
            data[bsn.as_str()]["document"]["body"]["financiele_zaken"][0]["omschrijving"] = serde_json::json!(SCRIPT);
        }
        std::fs::write(dir.join("data.json"), serde_json::to_vec(&data).unwrap()).unwrap();
        orgs.push(LocalOrganisation::start(org, 5, SEED, &dir).await.unwrap());
    }
    let dir = PodDir::new(tmp.path().join("pod"));
    dir.init(&SecretString::from(PASSPHRASE.to_owned()), KdfCost::InsecureForTests)
        .unwrap();
    {
        let pod = dir.unlock(&SecretString::from(PASSPHRASE.to_owned())).unwrap();
        let mut scheme = pod.scheme().unwrap();
        for org in &orgs {
            scheme.pin(org.descriptor().unwrap());
        }
        pod.save_scheme(&scheme).unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listen = listener.local_addr().unwrap();
    let app = Arc::new(App::new(dir, WebConfig::local(listen, auto_lock)));
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
        _tmp: tmp,
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
