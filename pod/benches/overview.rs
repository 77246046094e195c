//! `GET /api/overview` for a pod with 20 organisations × 50 matters: the first request after
//! unlock (which opens and parses every document) and any later one (from memory), against the
//! time to decrypt and parse those same 20 documents alone.

use std::hint::black_box;
use std::sync::Arc;

use age::secrecy::SecretString;
use criterion::{Criterion, criterion_group, criterion_main};
use pod::store::{KdfCost, PodDir};
use pod::web::{App, WebConfig};

const PASSPHRASE: &str = "correct horse battery staple";

/// A v3.0.0 document with 50 matters of three events each.
fn document(org: usize) -> serde_json::Value {
    let oin = format!("{:020}", 10_000_000 + org);
    let matters: Vec<serde_json::Value> = (0..50)
        .map(|m| {
            let zaak = format!("Z-{org}-{m}");
            serde_json::json!({
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
    serde_json::json!({"type": "FINANCIAL_CLAIMS_INFORMATION_DOCUMENT", "version": "3.0.0", "body": {
        "aangeleverd_door": oin, "document_datumtijd": "2026-11-01T09:00:00+01:00", "bsn": "999993653", "financiele_zaken": matters}})
}

/// `pod serve` on the pod in `dir`, unlocked through its API.
struct Unlocked {
    url: String,
    client: reqwest::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Unlocked {
    async fn start(dir: &PodDir) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let listen = listener.local_addr().unwrap();
        let app = Arc::new(App::new(dir.clone(), WebConfig::local(listen, std::time::Duration::from_secs(3600))));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(pod::web::serve(app, listener, async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let url = format!("http://{listen}");
        let unlocked = client
            .post(format!("{url}/api/unlock"))
            .header("x-csrf-token", csrf(&client, &url).await)
            .json(&serde_json::json!({"passphrase": PASSPHRASE}))
            .send()
            .await
            .unwrap();
        assert_eq!(unlocked.status(), 200);
        Self { url, client, stop, task }
    }

    /// Locks the pod (releasing its folder) and stops the server.
    async fn stop(self) {
        let locked = self
            .client
            .post(format!("{}/api/lock", self.url))
            .header("x-csrf-token", csrf(&self.client, &self.url).await)
            .send()
            .await
            .unwrap();
        assert!(locked.status().is_success(), "{}", locked.status());
        drop(self.client);
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

async fn csrf(client: &reqwest::Client, url: &str) -> String {
    let body: serde_json::Value = client.get(format!("{url}/api/csrf")).send().await.unwrap().json().await.unwrap();
    body["csrf"].as_str().unwrap().to_owned()
}

fn bench(c: &mut Criterion) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = PodDir::new(tmp.path().join("pod"));
    let secret = SecretString::from(PASSPHRASE.to_owned());
    dir.init(&secret, KdfCost::InsecureForTests).unwrap();
    {
        let pod = dir.unlock(&secret).unwrap();
        let signer = schemas::jws::Signer::new("k", ed25519_dalek::SigningKey::from_bytes(&[5u8; 32]));
        for org in 0..20 {
            let document = document(org);
            let id = document["body"]["aangeleverd_door"].as_str().unwrap().to_owned();
            let payload = serde_json::json!({"iss": id, "sub_hash": "x", "iat": 0, "exp": 0, "nonce": "n", "recipient": pod.recipient().to_string(), "document": document});
            let jws = signer.sign_compact("betaalpod-claims+jwt", &serde_json::to_vec(&payload).unwrap());
            pod.put_document(&id, &age::encrypt(pod.recipient(), jws.as_bytes()).unwrap())
                .unwrap();
        }
    }

    let mut group = c.benchmark_group("overview_20_orgs_x_50_matters");
    group.sample_size(20);
    // The first request after unlock opens and parses every document; only that request is timed.
    // Each sample starts a new server (unlocking one server again and again would be throttled)
    // and locks it afterwards.
    group.bench_function("first_after_unlock", |b| {
        b.to_async(&runtime).iter_custom(|iterations| {
            let dir = dir.clone();
            async move {
                let mut total = std::time::Duration::ZERO;
                for _ in 0..iterations {
                    let server = Unlocked::start(&dir).await;
                    let start = std::time::Instant::now();
                    let response = server.client.get(format!("{}/api/overview", server.url)).send().await.unwrap();
                    assert_eq!(response.status(), 200);
                    black_box(response.bytes().await.unwrap());
                    total += start.elapsed();
                    server.stop().await;
                }
                total
            }
        })
    });
    let server = runtime.block_on(Unlocked::start(&dir));
    group.bench_function("later_request", |b| {
        b.to_async(&runtime).iter(|| async {
            let response = server.client.get(format!("{}/api/overview", server.url)).send().await.unwrap();
            assert_eq!(response.status(), 200);
            black_box(response.bytes().await.unwrap())
        })
    });
    // The same work minus the server: decrypt and parse the 20 documents. The pod folder is
    // locked by the server, so this opens a copy of it.
    let copy = tmp.path().join("copy");
    std::process::Command::new("cp")
        .arg("-r")
        .arg(dir.root())
        .arg(&copy)
        .status()
        .unwrap();
    std::fs::remove_file(copy.join("pod.lock")).ok();
    let pod = PodDir::new(&copy).unlock(&secret).unwrap();
    let latest: Vec<_> = pod
        .latest_documents()
        .unwrap()
        .into_values()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(latest.len(), 20);
    group.bench_function("decrypt_and_parse_alone", |b| {
        b.iter(|| {
            for id in &latest {
                let plain = pod.open_document(id).unwrap();
                black_box(fetcher::stored_document(&plain).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
