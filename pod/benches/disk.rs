//! Bytes per pod: a pod that fetched once from five organisations (real `source` servers with
//! demo data, documents of a few KiB), and the same pod after eleven more fetches with no change,
//! as monthly fetches would be. Reported twice: the pod folder's files (what the citizen's disk
//! holds: sled's files, identity files, `pod.toml`) and the sealed values alone (what a provider
//! stores for the pod).
//!
//! ```sh
//! cargo bench -p pod --bench disk
//! ```
//!
//! The figures go to `target/bench-results/figures.jsonl` for `scripts/bench`.

use age::secrecy::SecretString;
use browser_harness::load::report;
use fetcher::FetchOptions;
use fetcher::login::DevLogin;
use pod::store::{KdfCost, PodDir, RecordKind};
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

const PASSPHRASE: &str = "correct horse battery staple";
const SEED: u64 = 1;

/// The pod folder's files, in bytes.
fn folder_bytes(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .unwrap()
        .flatten()
        .map(|entry| {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() { folder_bytes(&entry.path()) } else { meta.len() }
        })
        .sum()
}

fn sealed_bytes(dir: &PodDir) -> u64 {
    dir.sealed_sizes().unwrap().iter().flat_map(|(_, sizes)| sizes).map(|s| *s as u64).sum()
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if std::env::args().any(|a| a == "--list") {
        println!("disk: bench");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    runtime.block_on(async {
        let mut orgs = Vec::new();
        for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak, DemoOrg::Bd, DemoOrg::Uwv] {
            orgs.push(LocalOrganisation::start(org, 3, SEED, &tmp.path().join(org.short())).await.unwrap());
        }
        let descriptors: Vec<_> = orgs.iter().map(|o| o.descriptor().unwrap()).collect();
        let dir = PodDir::new(tmp.path().join("pod"));
        let secret = SecretString::from(PASSPHRASE.to_owned());
        dir.init(&secret, KdfCost::InsecureForTests).unwrap();
        let (bsn, pin) = demo_data::citizen(SEED, 0);
        let login = DevLogin::new(bsn.to_string(), pin);
        let options = FetchOptions::new("http://127.0.0.1:49152/oauth/callback".parse().unwrap());
        let fetch = || async {
            let pod = dir.unlock(&secret).unwrap();
            let outcomes = pod::fetching::fetch_and_store(&pod, &descriptors, &login, &options, None).await.unwrap();
            assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
            let documents: Vec<u64> = pod
                .latest_documents()
                .unwrap()
                .values()
                .map(|(id, _)| pod.open_document(id).unwrap().len() as u64)
                .collect();
            assert_eq!(pod.index().unwrap().iter().filter(|(_, e)| e.kind == RecordKind::Document).count() % 5, 0);
            documents
        };
        {
            let pod = dir.unlock(&secret).unwrap();
            let mut scheme = pod::scheme::load(&pod).unwrap();
            for descriptor in &descriptors {
                scheme.pin(descriptor.clone());
            }
            pod::scheme::save(&pod, &scheme).unwrap();
        }
        let documents = fetch().await;
        let average = documents.iter().sum::<u64>() / documents.len() as u64;
        println!("5 organisations, signed documents of {average} bytes on average ({documents:?})");
        report("pod_folder_bytes_after_1_fetch", folder_bytes(dir.root()) as f64, "bytes");
        report("pod_sealed_bytes_after_1_fetch", sealed_bytes(&dir) as f64, "bytes");
        for _ in 1..12 {
            fetch().await;
        }
        report("pod_folder_bytes_after_12_fetches", folder_bytes(dir.root()) as f64, "bytes");
        report("pod_sealed_bytes_after_12_fetches", sealed_bytes(&dir) as f64, "bytes");
    });
}
