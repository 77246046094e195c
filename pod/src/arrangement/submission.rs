//! Submitting a saved plan: each organisation gets only its own part, unless the citizen chose
//! to share the full plan and income. Receipts are verified and stored encrypted; every
//! submission goes into the transparency log.

use std::collections::BTreeMap;

use chrono::Utc;
use fetcher::login::LoginDriver;
use fetcher::{FetchOptions, Organisation};
use rand::RngCore;

pub use pod_core::arrangement::parts::{PreparedPart, prepare_parts};

use crate::fetching::FetchLogEntry;
use crate::store::{PodError, RecordId, RecordKind, UnlockedPod};

pub use pod_core::arrangement::{StoredStatus, StoredSubmission};

/// What happened at one organisation.
#[derive(Clone, Debug)]
pub struct SubmitOutcome {
    /// The organisation.
    pub org: String,
    /// The receipt id, or the error in words.
    pub result: Result<String, String>,
}

/// Which parts go out, and how much they say.
#[derive(Clone, Copy, Debug, Default)]
pub struct Selection<'a> {
    /// Only these organisations (a retry passes just the ones that failed); all when `None`.
    pub only: Option<&'a [String]>,
    /// The citizen ticked "share my full plan and income with each organisation".
    pub share_everything: bool,
}

/// How the organisations are reached: the citizen's logins through `driver`, all at once or
/// `in_turn` as one chain of logins, with progress reported to `progress`.
pub struct Contact<'a, D> {
    /// Drives each login.
    pub driver: &'a D,
    /// Where the logins come back, limits and timeouts.
    pub options: &'a FetchOptions,
    /// Each organisation's stage, as it changes.
    pub progress: Option<tokio::sync::mpsc::UnboundedSender<fetcher::Progress>>,
    /// One login after another, each asked without a login page once one has succeeded.
    pub in_turn: bool,
}

/// Submits the parts of the saved plan `plan_record`.
pub async fn submit<D: LoginDriver>(
    pod: &UnlockedPod,
    plan_record: &RecordId,
    orgs: &[Organisation],
    selection: Selection<'_>,
    contact: Contact<'_, D>,
) -> Result<Vec<SubmitOutcome>, PodError> {
    let saved = crate::arrangement::stored::one(pod, plan_record)?;
    let mut id = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let arrangement_id: String = hex::encode(id);
    let parts: Vec<PreparedPart> = prepare_parts(&saved, &arrangement_id, selection.share_everything)
        .into_iter()
        .filter(|p| selection.only.is_none_or(|list| list.contains(&p.org)))
        .collect();
    let mut outcomes = Vec::new();
    let mut sendable = Vec::new();
    for part in &parts {
        match orgs.iter().find(|o| o.id.as_str() == part.org) {
            Some(org) => sendable.push((org.clone(), part.bytes.clone())),
            None => outcomes.push(SubmitOutcome {
                org: part.org.clone(),
                result: Err(format!("{} is not in your scheme; add it first", part.org)),
            }),
        }
    }
    let started_at = Utc::now();
    let results = fetcher::submit::submit_parts(&sendable, contact.driver, contact.options, contact.progress, contact.in_turn).await;
    for ((org, _), result) in sendable.iter().zip(results) {
        let part = parts.iter().find(|p| p.org == org.id.as_str()).map(|p| p.part.clone());
        let mut log = FetchLogEntry::contact(org.id.as_str(), &org.name, "submit", &arrangement_id, started_at, Utc::now());
        let outcome = match (result, part) {
            (Ok(submitted), Some(part)) => {
                let stored = StoredSubmission {
                    plan_record: plan_record.to_string(),
                    org: org.id.to_string(),
                    receipt_id: submitted.receipt.receipt_id.clone(),
                    receipt_jws: submitted.receipt_jws,
                    part,
                };
                let json = serde_json::to_vec(&stored).map_err(|e| PodError::Io(e.to_string()))?;
                let record = pod.put(RecordKind::Arrangement, Some(org.id.as_str()), &json)?;
                log.record = Some(record.to_string());
                log.document_sha256 = Some(submitted.receipt.part_sha256.clone());
                Ok(submitted.receipt.receipt_id)
            }
            (Err(error), _) => {
                log.failed(error.to_string());
                Err(error.to_string())
            }
            (Ok(_), None) => Err("internal: the part went missing".to_owned()),
        };
        let json = serde_json::to_vec(&log).map_err(|e| PodError::Io(e.to_string()))?;
        pod.put(RecordKind::FetchLog, Some(org.id.as_str()), &json)?;
        outcomes.push(SubmitOutcome {
            org: org.id.to_string(),
            result: outcome,
        });
    }
    Ok(outcomes)
}

/// "Check status": asks every organisation with a submission of `plan_record` for its signed
/// status, and stores what comes back.
pub async fn check_status<D: LoginDriver>(
    pod: &UnlockedPod,
    plan_record: &RecordId,
    orgs: &[Organisation],
    contact: Contact<'_, D>,
) -> Result<Vec<SubmitOutcome>, PodError> {
    let submissions: Vec<StoredSubmission> = all(pod)?
        .into_iter()
        .filter(|s| s.plan_record == plan_record.to_string())
        .collect();
    let receipts: Vec<(Organisation, String)> = submissions
        .iter()
        .filter_map(|s| {
            orgs.iter()
                .find(|o| o.id.as_str() == s.org)
                .map(|o| (o.clone(), s.receipt_id.clone()))
        })
        .collect();
    let started_at = Utc::now();
    let results = fetcher::submit::check_status(&receipts, contact.driver, contact.options, contact.progress, contact.in_turn).await;
    let mut outcomes = Vec::new();
    for ((org, receipt_id), result) in receipts.iter().zip(results) {
        // A status check is a contact too, so it goes in the transparency log.
        let mut log = FetchLogEntry::contact(org.id.as_str(), &org.name, "status", receipt_id, started_at, Utc::now());
        let outcome = match result {
            Ok(report) => {
                let stored = StoredStatus {
                    org: report.org.clone(),
                    receipt_id: report.status.receipt_id.clone(),
                    state: report.status.state,
                    reason: report.status.reason.clone(),
                    status_jws: report.status_jws,
                };
                let json = serde_json::to_vec(&stored).map_err(|e| PodError::Io(e.to_string()))?;
                let record = pod.put(RecordKind::Arrangement, Some(org.id.as_str()), &json)?;
                log.record = Some(record.to_string());
                Ok(report.status.receipt_id)
            }
            Err(error) => {
                log.failed(error.to_string());
                Err(error.to_string())
            }
        };
        let json = serde_json::to_vec(&log).map_err(|e| PodError::Io(e.to_string()))?;
        pod.put(RecordKind::FetchLog, Some(org.id.as_str()), &json)?;
        outcomes.push(SubmitOutcome {
            org: org.id.to_string(),
            result: outcome,
        });
    }
    Ok(outcomes)
}

/// The latest stored status per receipt id.
pub fn statuses(pod: &UnlockedPod) -> Result<BTreeMap<String, StoredStatus>, PodError> {
    let mut latest = BTreeMap::new();
    for (id, entry) in pod.index()? {
        if entry.kind == RecordKind::Arrangement
            && let Ok(status) = serde_json::from_slice::<StoredStatus>(&pod.get(&id)?.payload)
        {
            latest.insert(status.receipt_id.clone(), status);
        }
    }
    Ok(latest)
}

/// Every stored submission, oldest first.
pub fn all(pod: &UnlockedPod) -> Result<Vec<StoredSubmission>, PodError> {
    let mut all = Vec::new();
    for (id, entry) in pod.index()? {
        if entry.kind == RecordKind::Arrangement
            && let Ok(submission) = serde_json::from_slice::<StoredSubmission>(&pod.get(&id)?.payload)
        {
            all.push(submission);
        }
    }
    Ok(all)
}
