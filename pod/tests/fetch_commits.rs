//! How a fetch is written (issue 15): what is ready together is committed together, in one
//! atomic, durable write; an organisation that answers early is stored at once; and a document
//! fetched twice with the same content is stored once.
//!
//! The organisations are real `source` servers on loopback, and the store is the real sled store
//! in a pod folder, wrapped only to count its commits.

use std::sync::{Arc, Mutex};

use age::secrecy::SecretString;
use fetcher::login::DevLogin;
use fetcher::{FetchOptions, FetchedDocument, Organisation, Progress, Stage};
use pod::store::backend::{BackendError, Change, Entries};
use pod::store::{KdfCost, PodDir, RecordKind, SledStore, Space, Store, UnlockedPod};
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

const PASSPHRASE: &str = "correct horse battery staple";
const SEED: u64 = 3;

fn secret() -> SecretString {
    SecretString::from(PASSPHRASE.to_owned())
}

/// The real sled store, counting the changes in each commit.
struct CountingStore {
    inner: SledStore,
    commits: Arc<Mutex<Vec<usize>>>,
}

impl Store for CountingStore {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        self.inner.get(space, key)
    }
    fn scan(&self, space: Space) -> Result<Entries, BackendError> {
        self.inner.scan(space)
    }
    fn commit(&self, changes: Vec<Change>) -> Result<(), BackendError> {
        self.commits.lock().unwrap().push(changes.len());
        self.inner.commit(changes)
    }
}

/// A new pod folder, opened over a counting store.
fn counting_pod(root: &std::path::Path) -> (UnlockedPod, Arc<Mutex<Vec<usize>>>) {
    let dir = PodDir::new(root.join("pod"));
    dir.init(&secret(), KdfCost::InsecureForTests).unwrap();
    let file = std::fs::read(dir.identity_path()).unwrap();
    let identity = pod::store::keys::unwrap_identity_file(&file, &secret(), "identity.age").unwrap();
    let commits = Arc::new(Mutex::new(Vec::new()));
    let store = CountingStore {
        inner: SledStore::open(&dir.store_path()).unwrap(),
        commits: commits.clone(),
    };
    let pod = UnlockedPod::open_at_provider("counting", Box::new(store), identity).unwrap();
    (pod, commits)
}

async fn three_orgs(root: &std::path::Path) -> (Vec<LocalOrganisation>, Vec<Organisation>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut orgs = Vec::new();
    for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak] {
        orgs.push(LocalOrganisation::start(org, 3, SEED, &root.join(org.short())).await.unwrap());
    }
    let descriptors = orgs.iter().map(|o| o.descriptor().unwrap()).collect();
    (orgs, descriptors)
}

fn citizen() -> DevLogin {
    let (bsn, pin) = demo_data::citizen(SEED, 0);
    DevLogin::new(bsn.to_string(), pin)
}

fn options() -> FetchOptions {
    FetchOptions::new("http://127.0.0.1:49152/oauth/callback".parse().unwrap())
}

/// Real, verified answers from every organisation, for `pod`'s recipient.
async fn real_answers(pod: &UnlockedPod, descriptors: &[Organisation]) -> Vec<FetchedDocument> {
    fetcher::fetch_all(&pod.citizen_request(), descriptors, &citizen(), &options(), None)
        .await
        .into_iter()
        .map(|result| result.expect("every organisation answers"))
        .collect()
}

fn no_reports() -> tokio::sync::mpsc::UnboundedReceiver<Progress> {
    tokio::sync::mpsc::unbounded_channel().1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_ready_together_are_one_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let (_orgs, descriptors) = three_orgs(tmp.path()).await;
    let (pod, commits) = counting_pod(tmp.path());
    let answers = real_answers(&pod, &descriptors).await;
    commits.lock().unwrap().clear();

    let ready = futures_util::stream::iter(answers.into_iter().map(Ok).enumerate());
    let outcomes = pod::fetching::store_as_ready(&pod, &descriptors, ready, no_reports(), None, "f1", chrono::Utc::now())
        .await
        .unwrap();
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    // Three documents and three log entries, each a sealed payload and a sealed index entry,
    // and the store's manifest.
    assert_eq!(*commits.lock().unwrap(), vec![13], "one commit for the whole fetch");
    assert_eq!(pod.latest_documents().unwrap().len(), 3);
    let log = pod::fetching::log(&pod).unwrap();
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|e| e.outcome == "ok" && e.record.is_some() && e.fetch_id == "f1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_answer_is_stored_while_a_slow_one_is_awaited() {
    let tmp = tempfile::tempdir().unwrap();
    let (_orgs, descriptors) = three_orgs(tmp.path()).await;
    let (pod, commits) = counting_pod(tmp.path());
    let mut answers = real_answers(&pod, &descriptors).await;
    commits.lock().unwrap().clear();

    let slow = answers.pop().unwrap();
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let early = futures_util::stream::iter(answers.into_iter().map(Ok).enumerate());
    let late = futures_util::stream::once(async move {
        released.await.unwrap();
        (2, Ok(slow))
    });
    let (progress, mut reported) = tokio::sync::mpsc::unbounded_channel();
    let storing = pod::fetching::store_as_ready(
        &pod,
        &descriptors,
        futures_util::StreamExt::chain(early, late),
        no_reports(),
        Some(progress),
        "f1",
        chrono::Utc::now(),
    );
    let watching = async {
        let mut done = Vec::new();
        while done.len() < 2 {
            let report = reported.recv().await.unwrap();
            if report.stage == Stage::Done {
                done.push(report.org);
            }
        }
        // The slow organisation has not answered, and the two others are stored already.
        assert_eq!(*commits.lock().unwrap(), vec![9], "two documents, two log entries, the manifest");
        let stored = pod.latest_documents().unwrap();
        assert_eq!(stored.len(), 2);
        assert!(!stored.contains_key(descriptors[2].id.as_str()));
        release.send(()).unwrap();
    };
    let (outcomes, ()) = tokio::join!(storing, watching);
    assert!(outcomes.unwrap().iter().all(|o| o.result.is_ok()));
    assert_eq!(*commits.lock().unwrap(), vec![9, 5]);
    assert_eq!(pod.latest_documents().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_fetched_twice_is_stored_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (_orgs, descriptors) = three_orgs(tmp.path()).await;
    let dir = PodDir::new(tmp.path().join("pod"));
    dir.init(&secret(), KdfCost::InsecureForTests).unwrap();
    let pod = dir.unlock(&secret()).unwrap();
    for _ in 0..2 {
        let outcomes = pod::fetching::fetch_and_store(&pod, &descriptors, &citizen(), &options(), None)
            .await
            .unwrap();
        assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    }
    let log = pod::fetching::log(&pod).unwrap();
    assert_eq!(log.len(), 6, "both fetches are in the transparency log");
    for org in &descriptors {
        let history = pod.history(Some(org.id.as_str())).unwrap();
        assert_eq!(history.len(), 1, "the unchanged document is not stored again");
        let entries: Vec<_> = log.iter().filter(|e| e.org == org.id.as_str()).collect();
        assert_eq!(entries.len(), 2);
        let stored = history[0].0.to_string();
        assert!(entries.iter().all(|e| e.record.as_deref() == Some(stored.as_str())), "both name the one record");
        assert_ne!(entries[0].document_sha256, entries[1].document_sha256, "each answer's own hash stays in the log");
        assert!(fetcher::stored_document(&pod.open_document(&history[0].0).unwrap()).is_ok());
    }
    let overview = pod::overview::of(&pod, chrono::Utc::now().date_naive(), chrono::Utc::now()).unwrap();
    assert_eq!(overview.organisations.len(), 3);
    let second_fetch = log.iter().rev().find(|e| e.org == descriptors[0].id.as_str()).unwrap().finished_at;
    assert_eq!(overview.organisations.iter().find(|o| o.id == descriptors[0].id.as_str()).unwrap().fetched_at, Some(second_fetch), "the overview says when it was last confirmed");
    pod.lock();

    // What anyone holding the files sees: three documents, and six log entries.
    let at_rest = pod::audit::at_rest(&dir).unwrap();
    let records = at_rest.spaces.iter().find(|s| s.space == "records").unwrap();
    let full: usize = records
        .sizes
        .iter()
        .filter(|(size, _)| **size >= pod::store::records::DOCUMENT_FLOOR)
        .map(|(_, count)| count)
        .sum();
    assert_eq!(full, 3, "{:?}", records.sizes);
    assert_eq!(records.values, 9, "three documents and six log entries");
    let pod = dir.unlock(&secret()).unwrap();
    assert_eq!(pod::verify::whole_pod(&pod).unwrap(), 9);
    let documents = pod.index().unwrap().into_iter().filter(|(_, e)| e.kind == RecordKind::Document).count();
    assert_eq!(documents, 3);
}
