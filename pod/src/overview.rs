//! The overview (Mijn Betaaloverzicht) of an unlocked pod. What it says and how it is derived is
//! [`pod_core::overview`] (re-exported here); this module reads its inputs from the store.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
pub use pod_core::overview::*;

use crate::store::{PodError, UnlockedPod};

impl UnlockedPod {
    /// Builds the overview as of `as_of`, judging staleness at `now`.
    pub fn overview(&self, as_of: NaiveDate, now: DateTime<Utc>) -> Result<Overview, PodError> {
        let scheme = self.scheme()?;
        let log = self.fetch_log()?;
        let mut latest = BTreeMap::new();
        for (org, (record, entry)) in self.latest_documents()? {
            let plain = self.open_document(&record)?;
            let document = pod_core::answer::stored_document(&plain).ok();
            latest.insert(
                org,
                LatestDocument {
                    fetched_at: entry.created_at,
                    document,
                },
            );
        }
        Ok(build(&scheme.organisations, &latest, &log, as_of, now))
    }
}
