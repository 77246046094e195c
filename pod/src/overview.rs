//! The overview (Mijn Betaaloverzicht) of an unlocked pod. What it says and how it is derived is
//! [`pod_core::overview`] (re-exported here); this module reads its inputs from the store and
//! keeps them, parsed, until the pod changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
pub use pod_core::overview::*;

use crate::store::{PodError, UnlockedPod};

/// The inputs of [`build`], opened and parsed: what the pod keeps derived
/// ([`UnlockedPod::derived`]) until its next write.
struct Inputs {
    scheme: crate::scheme::LocalScheme,
    log: Vec<crate::fetching::FetchLogEntry>,
    latest: BTreeMap<String, LatestDocument>,
}

fn inputs(pod: &UnlockedPod) -> Result<Arc<Inputs>, PodError> {
    let (generation, kept) = pod.derived().get::<Inputs>();
    if let Some(inputs) = kept {
        return Ok(inputs);
    }
    let scheme = crate::scheme::load(pod)?;
    let mut latest = BTreeMap::new();
    for (org, (record, entry)) in pod.latest_documents()? {
        let document = document_at_rest(pod, &scheme, &org, &record)?;
        latest.insert(
            org,
            LatestDocument {
                fetched_at: entry.created_at,
                document,
            },
        );
    }
    let inputs = Arc::new(Inputs {
        scheme,
        log: crate::fetching::log(pod)?,
        latest,
    });
    pod.derived().keep(generation, inputs.clone());
    Ok(inputs)
}

/// A stored document of `source`, checked against its pinned keys as it is read
/// ([`pod_core::answer::document_at_rest`]). One that fails is left out (`None`), and logged:
/// the overview never shows a document that its organisation did not sign for this pod.
pub fn document_at_rest(
    pod: &UnlockedPod,
    scheme: &crate::scheme::LocalScheme,
    source: &str,
    record: &crate::store::records::RecordId,
) -> Result<Option<schemas::fcid::Document>, PodError> {
    let plain = pod.open_document(record)?;
    match pod_core::answer::document_at_rest(scheme, source, &pod.recipients()?, &plain) {
        Ok(document) => Ok(Some(document)),
        Err(problem) => {
            tracing::warn!(%record, source, why = %problem.brief(), "a stored document failed its check and is not shown");
            Ok(None)
        }
    }
}

/// Builds the overview as of `as_of`, judging staleness at `now`. The documents are opened
/// and parsed once after each change of the pod; any date is derived from those.
pub fn of(pod: &UnlockedPod, as_of: NaiveDate, now: DateTime<Utc>) -> Result<Overview, PodError> {
    let inputs = inputs(pod)?;
    Ok(build(&inputs.scheme.organisations, &inputs.latest, &inputs.log, as_of, now))
}
