//! The append-only audit log: one JSON line per authorised fetch, token, login failure and
//! arrangement. It records who (hashed), when and the outcome, never the contents.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

/// One line of the audit log.
#[derive(Debug, Serialize)]
pub struct AuditEvent<'a> {
    /// RFC 3339 time.
    pub time: String,
    /// What happened: `login`, `token`, `claims`, `arrangement_submit`, `arrangement_status`.
    pub event: &'a str,
    /// The OAuth client.
    pub client_id: Option<&'a str>,
    /// The hashed subject (never the BSN).
    pub subject: Option<&'a str>,
    /// `ok`, or the error code.
    pub outcome: &'a str,
}

/// The audit log file, opened for appending.
pub struct AuditLog {
    file: Mutex<std::fs::File>,
}

impl AuditLog {
    /// Opens (creating) the log for appending.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| anyhow::anyhow!("cannot open the audit log {}: {e}", path.display()))?;
        Ok(Self { file: Mutex::new(file) })
    }

    /// Appends one event. A failure is logged, not fatal: the request already happened.
    pub fn record(&self, event: &AuditEvent<'_>) {
        let Ok(mut line) = serde_json::to_vec(event) else {
            return;
        };
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = file.write_all(&line).and_then(|()| file.sync_data()) {
            tracing::error!(error = %e, "could not write the audit log");
        }
    }
}
