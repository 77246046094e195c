//! A citizen's fetch, from the pod's side: run the fetcher, store every signed document as it
//! was signed, and write one transparency-log entry per organisation, each organisation's two
//! records in the same commit.

use chrono::{DateTime, Utc};
use fetcher::login::LoginDriver;
use fetcher::{FetchError, FetchOptions, FetchedDocument, Organisation, Progress, Stage};
use rand::RngCore;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::store::{Batch, PodError, RecordId, RecordKind, UnlockedPod};

pub use pod_core::fetch_log::FetchLogEntry;

/// What a fetch did for one organisation.
#[derive(Clone, Debug)]
pub struct FetchOutcome {
    /// The organisation's id.
    pub org: String,
    /// Its name.
    pub name: String,
    /// The stored document, or the error in words.
    pub result: Result<RecordId, String>,
}

/// Runs one citizen fetch against `orgs`, every organisation at once, and stores what came back.
/// Only callable with an unlocked pod, which is the citizen's session.
///
/// Each organisation's document and its transparency-log entry are stored together, as soon as
/// they are ready: whatever is ready at the same moment goes into one atomic, durable commit, so
/// a fetch whose organisations answer together costs one flush, and a slow organisation holds
/// back no one.
pub async fn fetch_and_store<D: LoginDriver>(
    pod: &UnlockedPod,
    orgs: &[Organisation],
    driver: &D,
    options: &FetchOptions,
    progress: Option<UnboundedSender<Progress>>,
) -> Result<Vec<FetchOutcome>, PodError> {
    run(pod, orgs, driver, options, progress, Order::AllAtOnce).await
}

/// The same as one chain of logins ([`fetcher::fetch_in_turn`]): the organisations one after
/// another in the citizen's browser, each stored before the next login starts, the citizen
/// logging in once at their login provider.
pub async fn fetch_and_store_in_turn<D: LoginDriver>(
    pod: &UnlockedPod,
    orgs: &[Organisation],
    driver: &D,
    options: &FetchOptions,
    progress: Option<UnboundedSender<Progress>>,
) -> Result<Vec<FetchOutcome>, PodError> {
    run(pod, orgs, driver, options, progress, Order::InTurn).await
}

/// Whether the organisations' logins run at once or in turn.
#[derive(Clone, Copy)]
enum Order {
    AllAtOnce,
    InTurn,
}

async fn run<D: LoginDriver>(
    pod: &UnlockedPod,
    orgs: &[Organisation],
    driver: &D,
    options: &FetchOptions,
    progress: Option<UnboundedSender<Progress>>,
    order: Order,
) -> Result<Vec<FetchOutcome>, PodError> {
    let started_at = Utc::now();
    let mut id = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let fetch_id: String = hex::encode(id);
    let request = pod.citizen_request();
    // The fetcher says "done" once a document is verified; the citizen must only see it once the
    // document is stored, so that "done" everywhere means the overview is complete.
    let (fetcher_tx, fetcher_rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
    match order {
        Order::AllAtOnce => {
            let results = fetcher::fetch_each(&request, orgs, driver, options, Some(fetcher_tx));
            store_as_ready(pod, orgs, results, fetcher_rx, progress, &fetch_id, started_at).await
        }
        Order::InTurn => {
            let results = fetcher::fetch_in_turn(&request, orgs, driver, options, Some(fetcher_tx));
            store_as_ready(pod, orgs, results, fetcher_rx, progress, &fetch_id, started_at).await
        }
    }
}

/// The pod's half of a fetch: stores each organisation's result from `results` (its index in
/// `orgs`, and what came back) with its log entry, committing whatever is ready at the same
/// moment in one atomic, durable write. Forwards the fetcher's `reports` to `progress`, and
/// reports an organisation done only once its document is stored.
pub async fn store_as_ready(
    pod: &UnlockedPod,
    orgs: &[Organisation],
    results: impl futures_util::Stream<Item = (usize, Result<FetchedDocument, FetchError>)>,
    mut reports: UnboundedReceiver<Progress>,
    progress: Option<UnboundedSender<Progress>>,
    fetch_id: &str,
    started_at: DateTime<Utc>,
) -> Result<Vec<FetchOutcome>, PodError> {
    use futures_util::StreamExt as _;
    let forward = |report: Progress| {
        if report.stage != Stage::Done
            && let Some(outer) = &progress
        {
            let _ = outer.send(report);
        }
    };
    let mut ready_results = std::pin::pin!(results.ready_chunks(orgs.len().max(1)));
    let mut outcomes: Vec<Option<FetchOutcome>> = orgs.iter().map(|_| None).collect();
    loop {
        // Reports first, so that every report about an organisation reaches the citizen before
        // its stored document is reported done.
        let ready = tokio::select! {
            biased;
            Some(report) = reports.recv() => {
                forward(report);
                continue;
            }
            ready = ready_results.next() => ready,
        };
        let Some(ready) = ready else { break };
        let mut batch = Batch::default();
        let mut stored = Vec::new();
        for (index, result) in ready {
            let Some(org) = orgs.get(index) else { continue };
            let (outcome, entry) = stage_result(pod, &mut batch, org, result, fetch_id, started_at);
            let json = serde_json::to_vec(&entry).map_err(|e| PodError::Io(e.to_string()))?;
            pod.stage(&mut batch, RecordKind::FetchLog, Some(org.id.as_str()), &json);
            if outcome.result.is_ok() {
                stored.push(org.id.to_string());
            }
            outcomes[index] = Some(outcome);
        }
        pod.commit(batch)?;
        while let Ok(report) = reports.try_recv() {
            forward(report);
        }
        if let Some(progress) = &progress {
            for org in stored {
                let _ = progress.send(Progress { org, stage: Stage::Done });
            }
        }
    }
    while let Ok(report) = reports.try_recv() {
        forward(report);
    }
    outcomes
        .into_iter()
        .zip(orgs)
        .map(|(outcome, org)| {
            outcome.ok_or_else(|| PodError::Io(format!("the fetch ended without an answer about {}", org.id)))
        })
        .collect()
}

/// Stages one organisation's document (if it came) in `batch`; its outcome and log entry.
fn stage_result(
    pod: &UnlockedPod,
    batch: &mut Batch,
    org: &Organisation,
    result: Result<FetchedDocument, FetchError>,
    fetch_id: &str,
    started_at: DateTime<Utc>,
) -> (FetchOutcome, FetchLogEntry) {
    let mut entry = FetchLogEntry::contact(org.id.as_str(), &org.name, "fetch", fetch_id, started_at, Utc::now());
    let staged = result
        .map_err(|error| error.to_string())
        .and_then(|fetched| {
            let record = pod
                .stage_document(batch, &fetched.org, &fetched.raw_age_file)
                .map_err(|error| error.to_string())?;
            entry.finished_at = fetched.fetched_at;
            entry.document_sha256 = Some(fetched.sha256);
            entry.record = Some(record.to_string());
            Ok(record)
        });
    if let Err(message) = &staged {
        entry.failed(message.clone());
    }
    let outcome = FetchOutcome {
        org: org.id.to_string(),
        name: org.name.clone(),
        result: staged,
    };
    (outcome, entry)
}

/// The transparency log, oldest first.
pub fn log(pod: &UnlockedPod) -> Result<Vec<FetchLogEntry>, PodError> {
    let mut entries = Vec::new();
    for (id, entry) in pod.index()? {
        if entry.kind == RecordKind::FetchLog {
            let record = pod.get(&id)?;
            // Entries in another format (older versions, other tools) are not ours to interpret.
            if let Ok(parsed) = serde_json::from_slice(&record.payload) {
                entries.push(parsed);
            }
        }
    }
    Ok(entries)
}
