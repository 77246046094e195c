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
    /// SHA-256 (hex) of what arrived: a fetch's age file as received, a submission's part.
    pub document_sha256: Option<String>,
    /// The stored document's record id.
    pub record: Option<String>,
}

impl FetchLogEntry {
    /// A successful contact with the organisation `org` (`name`) for `action` (`fetch`, `submit`
    /// or `status`), part of the citizen action `id`, until told otherwise.
    pub fn contact(
        org: &str,
        name: &str,
        action: &str,
        id: &str,
        started_at: DateTime<Utc>,
        finished_at: DateTime<Utc>,
    ) -> Self {
        let scope = if action == "fetch" { "claims:read" } else { "arrangement:submit" };
        Self {
            fetch_id: id.to_owned(),
            action: action.to_owned(),
            org: org.to_owned(),
            name: name.to_owned(),
            scopes: vec![scope.to_owned()],
            started_at,
            finished_at,
            outcome: "ok".to_owned(),
            message: None,
            document_sha256: None,
            record: None,
        }
    }

    /// Marks the contact failed, with what went wrong in words.
    pub fn failed(&mut self, message: impl Into<String>) {
        self.outcome = "error".to_owned();
        self.message = Some(message.into());
    }
}
