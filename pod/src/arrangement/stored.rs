//! Saved plans: `arrangement` records in the pod, encrypted like everything else, with history.

use chrono::Utc;
use schemas::arrangement::{ArrangementInput, ArrangementPlan};

use crate::store::{PodError, RecordId, RecordKind, UnlockedPod};

pub use pod_core::arrangement::SavedArrangement;

impl UnlockedPod {
    /// Saves a plan; earlier ones stay.
    pub fn save_arrangement(&self, input: &ArrangementInput, plan: &ArrangementPlan) -> Result<RecordId, PodError> {
        let saved = SavedArrangement {
            saved_at: Utc::now(),
            input: input.clone(),
            plan: plan.clone(),
        };
        let json = serde_json::to_vec(&saved).map_err(|e| PodError::Io(e.to_string()))?;
        self.put(RecordKind::Arrangement, None, &json)
    }

    /// Every saved plan, oldest first.
    pub fn arrangements(&self) -> Result<Vec<(RecordId, SavedArrangement)>, PodError> {
        let mut all = Vec::new();
        for (id, entry) in self.index()? {
            if entry.kind == RecordKind::Arrangement {
                // Arrangement records of other shapes (submissions, receipts) are not plans.
                if let Ok(saved) = serde_json::from_slice(&self.get(&id)?.payload) {
                    all.push((id, saved));
                }
            }
        }
        Ok(all)
    }

    /// One saved plan.
    pub fn arrangement(&self, id: &RecordId) -> Result<SavedArrangement, PodError> {
        let record = self.get(id)?;
        if record.entry.kind != RecordKind::Arrangement {
            return Err(PodError::NotFound(*id));
        }
        serde_json::from_slice(&record.payload).map_err(|_| PodError::NotFound(*id))
    }
}
