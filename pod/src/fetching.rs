//! A citizen's fetch, from the pod's side: run the fetcher, store every document unchanged, and
//! write one transparency-log entry per organisation.

use chrono::Utc;
use fetcher::login::LoginDriver;
use fetcher::{FetchOptions, Organisation, Progress, Stage};
use rand::RngCore;
use tokio::sync::mpsc::UnboundedSender;

use crate::store::{PodError, RecordId, RecordKind, UnlockedPod};

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

/// Runs one citizen fetch against `orgs` and stores what came back. Only callable with an
/// unlocked pod, which is the citizen's session.
pub async fn fetch_and_store<D: LoginDriver>(
    pod: &UnlockedPod,
    orgs: &[Organisation],
    driver: &D,
    options: &FetchOptions,
    progress: Option<UnboundedSender<Progress>>,
) -> Result<Vec<FetchOutcome>, PodError> {
    let started_at = Utc::now();
    let mut id = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let fetch_id: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let request = pod.citizen_request();
    // The fetcher says "done" once a document is verified; the citizen must only see it once the
    // document is stored, so that "done" everywhere means the overview is complete.
    let (fetcher_tx, mut fetcher_rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
    let outer = progress.clone();
    let forward = tokio::spawn(async move {
        while let Some(report) = fetcher_rx.recv().await {
            if report.stage != Stage::Done
                && let Some(outer) = &outer
            {
                let _ = outer.send(report);
            }
        }
    });
    let results = fetcher::fetch_all(&request, orgs, driver, options, Some(fetcher_tx)).await;
    // Every report the fetcher sent is forwarded before a stored document is reported done.
    let _ = forward.await;
    let mut outcomes = Vec::with_capacity(results.len());
    for (org, result) in orgs.iter().zip(results) {
        let mut entry = FetchLogEntry {
            fetch_id: fetch_id.clone(),
            action: "fetch".to_owned(),
            org: org.id.to_string(),
            name: org.name.clone(),
            scopes: vec!["claims:read".to_owned()],
            started_at,
            finished_at: Utc::now(),
            outcome: "ok".to_owned(),
            message: None,
            document_sha256: None,
            record: None,
        };
        let result = match result {
            Ok(fetched) => {
                let record = pod.put_document(&fetched.org, &fetched.raw_age_file)?;
                entry.finished_at = fetched.fetched_at;
                entry.document_sha256 = Some(fetched.sha256);
                entry.record = Some(record.to_string());
                Ok(record)
            }
            Err(error) => {
                entry.outcome = "error".to_owned();
                entry.message = Some(error.to_string());
                Err(error.to_string())
            }
        };
        let json = serde_json::to_vec(&entry).map_err(|e| PodError::Io(e.to_string()))?;
        pod.put(RecordKind::FetchLog, Some(org.id.as_str()), &json)?;
        if result.is_ok()
            && let Some(progress) = &progress
        {
            let _ = progress.send(Progress {
                org: org.id.to_string(),
                stage: Stage::Done,
            });
        }
        outcomes.push(FetchOutcome {
            org: org.id.to_string(),
            name: org.name.clone(),
            result,
        });
    }
    Ok(outcomes)
}

impl UnlockedPod {
    /// The transparency log, oldest first.
    pub fn fetch_log(&self) -> Result<Vec<FetchLogEntry>, PodError> {
        let mut entries = Vec::new();
        for (id, entry) in self.index()? {
            if entry.kind == RecordKind::FetchLog {
                let record = self.get(&id)?;
                // Entries in another format (older versions, other tools) are not ours to interpret.
                if let Ok(parsed) = serde_json::from_slice(&record.payload) {
                    entries.push(parsed);
                }
            }
        }
        Ok(entries)
    }
}
