//! Saved plans: `arrangement` records in the pod, encrypted like everything else, with history.

use chrono::Utc;
use schemas::arrangement::{ArrangementInput, ArrangementPlan};

use crate::store::{PodError, RecordId, RecordKind, UnlockedPod};

pub use pod_core::arrangement::SavedArrangement;

/// Saves a plan; earlier ones stay.
pub fn save(pod: &UnlockedPod, input: &ArrangementInput, plan: &ArrangementPlan) -> Result<RecordId, PodError> {
    let saved = SavedArrangement {
        saved_at: Utc::now(),
        input: input.clone(),
        plan: plan.clone(),
    };
    let json = serde_json::to_vec(&saved).map_err(|e| PodError::Io(e.to_string()))?;
    pod.put(RecordKind::Arrangement, None, &json)
}

/// Every saved plan, oldest first.
pub fn all(pod: &UnlockedPod) -> Result<Vec<(RecordId, SavedArrangement)>, PodError> {
    let mut all = Vec::new();
    for (id, entry) in pod.index()? {
        if entry.kind == RecordKind::Arrangement {
            // Arrangement records of other shapes (submissions, receipts) are not plans.
            if let Ok(saved) = serde_json::from_slice(&pod.get(&id)?.payload) {
                all.push((id, saved));
            }
        }
    }
    Ok(all)
}

/// One saved plan.
pub fn one(pod: &UnlockedPod, id: &RecordId) -> Result<SavedArrangement, PodError> {
    let record = pod.get(id)?;
    if record.entry.kind != RecordKind::Arrangement {
        return Err(PodError::NotFound(*id));
    }
    serde_json::from_slice(&record.payload).map_err(|_| PodError::NotFound(*id))
}
