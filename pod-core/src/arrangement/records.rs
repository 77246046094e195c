//! What a pod keeps about a submitted arrangement: each organisation's part as sent with its
//! signed receipt, and the signed statuses. The same records natively and in the browser.

use schemas::arrangement::ArrangementPart;
use serde::{Deserialize, Serialize};

/// A stored submission: the part as sent and the organisation's signed receipt.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredSubmission {
    /// The saved plan it belongs to.
    pub plan_record: String,
    /// The organisation.
    pub org: String,
    /// The receipt id.
    pub receipt_id: String,
    /// The receipt JWS, as proof.
    pub receipt_jws: String,
    /// The part, exactly as sent.
    pub part: ArrangementPart,
}

/// A status the organisation signed, as last checked.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredStatus {
    /// The organisation.
    pub org: String,
    /// The receipt it is about.
    pub receipt_id: String,
    /// Received, accepted or rejected.
    pub state: schemas::arrangement::ArrangementState,
    /// The organisation's reason.
    pub reason: Option<String>,
    /// As signed.
    pub status_jws: String,
}
