//! `pod verify`: the whole pod checked. The store checks itself
//! ([`UnlockedPod::check_records`]); this adds that every document of a pinned organisation
//! carries that organisation's signature, made for this pod.

use crate::store::{PodError, RecordKind, UnlockedPod};

/// Checks every record, and every document of a pinned organisation against its signature.
/// Returns the number of records.
pub fn whole_pod(pod: &UnlockedPod) -> Result<usize, PodError> {
    let index = pod.check_records()?;
    let scheme = crate::scheme::load(pod)?;
    let recipients = pod.recipients()?;
    for (id, entry) in &index {
        let Some(source) = entry.source.as_deref().filter(|_| entry.kind == RecordKind::Document) else {
            continue;
        };
        let Some(org) = scheme.organisations.iter().find(|org| org.id.as_str() == source) else {
            continue;
        };
        match pod_core::answer::verify_stored(org, &recipients, &pod.open_document(id)?) {
            Ok(_) => {}
            // Signed with a key the organisation has since replaced: genuine, but no longer
            // checkable against what is pinned now.
            Err(problem @ pod_core::problem::Problem::UntrustedKey(_)) => {
                tracing::warn!(%id, source, why = %problem.brief(), "a stored document can no longer be checked");
            }
            Err(problem) => {
                return Err(PodError::Tampered(format!(
                    "document {id} is not as {} signed it: {}; restore the pod from a backup",
                    org.name,
                    problem.brief()
                )));
            }
        }
    }
    Ok(index.len())
}
