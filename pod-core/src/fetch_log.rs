//! The transparency log: one sealed entry per organisation and citizen action (fetch, submit,
//! status), written by whichever side ran the action, native pod or browser.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One organisation's line in the transparency log (`fetch_log` records).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchLogEntry {
    /// Shared by the entries of one citizen fetch.
    pub fetch_id: String,
    /// What happened: `fetch`, `submit` or `status`.
    pub action: String,
    /// The organisation's id.
    pub org: String,
    /// Its name.
    pub name: String,
    /// The scopes asked.
    pub scopes: Vec<String>,
    /// When the citizen started the fetch.
    pub started_at: DateTime<Utc>,
    /// When this organisation's part ended.
    pub finished_at: DateTime<Utc>,
    /// `ok` or `error`.
    pub outcome: String,
    /// The error, in words, if any.
    pub message: Option<String>,
    /// SHA-256 (hex) of the stored age file.
    pub document_sha256: Option<String>,
    /// The stored document's record id.
    pub record: Option<String>,
}
