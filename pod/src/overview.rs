//! The overview (Mijn Betaaloverzicht) of an unlocked pod. What it says and how it is derived is
//! [`pod_core::overview`] (re-exported here); this module reads its inputs from the store and
//! keeps them, parsed, until the pod changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
pub use pod_core::overview::*;

use crate::store::{PodError, UnlockedPod};

/// What an unlocked pod's overview is derived from (the scheme, the transparency log and each
/// organisation's latest document, opened and parsed), kept until the pod changes. Every write
/// of the pod calls [`Derived::changed`]; the keys and this go together at lock.
#[derive(Default)]
pub struct Derived {
    state: Mutex<(u64, Option<Arc<Inputs>>)>,
}

/// The inputs of [`build`], opened and parsed.
struct Inputs {
    scheme: crate::scheme::LocalScheme,
    log: Vec<crate::fetching::FetchLogEntry>,
    latest: BTreeMap<String, LatestDocument>,
}

impl Derived {
    /// The pod changed: what was derived is dropped, and a derivation under way is not kept.
    pub fn changed(&self) {
        let mut state = self.state.lock();
        state.0 += 1;
        state.1 = None;
    }

    fn get(&self) -> (u64, Option<Arc<Inputs>>) {
        let state = self.state.lock();
        (state.0, state.1.clone())
    }

    /// Keeps `inputs`, unless the pod changed since `generation` was read.
    fn keep(&self, generation: u64, inputs: Arc<Inputs>) {
        let mut state = self.state.lock();
        if state.0 == generation {
            state.1 = Some(inputs);
        }
    }
}

impl UnlockedPod {
    fn overview_inputs(&self) -> Result<Arc<Inputs>, PodError> {
        let (generation, kept) = self.derived.get();
        if let Some(inputs) = kept {
            return Ok(inputs);
        }
        let scheme = self.scheme()?;
        let mut latest = BTreeMap::new();
        for (org, (record, entry)) in self.latest_documents()? {
            let document = self.document_at_rest(&scheme, &org, &record)?;
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
            log: self.fetch_log()?,
            latest,
        });
        self.derived.keep(generation, inputs.clone());
        Ok(inputs)
    }

    /// A stored document of `source`, checked against its pinned keys as it is read
    /// ([`pod_core::answer::document_at_rest`]). One that fails is left out (`None`), and logged:
    /// the overview never shows a document that its organisation did not sign for this pod.
    pub fn document_at_rest(
        &self,
        scheme: &crate::scheme::LocalScheme,
        source: &str,
        record: &crate::store::records::RecordId,
    ) -> Result<Option<schemas::fcid::Document>, PodError> {
        let plain = self.open_document(record)?;
        match pod_core::answer::document_at_rest(scheme, source, &self.recipients()?, &plain) {
            Ok(document) => Ok(Some(document)),
            Err(problem) => {
                tracing::warn!(%record, source, why = %problem.brief(), "a stored document failed its check and is not shown");
                Ok(None)
            }
        }
    }

    /// Builds the overview as of `as_of`, judging staleness at `now`. The documents are opened
    /// and parsed once after each change of the pod; any date is derived from those.
    pub fn overview(&self, as_of: NaiveDate, now: DateTime<Utc>) -> Result<Overview, PodError> {
        let inputs = self.overview_inputs()?;
        Ok(build(&inputs.scheme.organisations, &inputs.latest, &inputs.log, as_of, now))
    }
}
