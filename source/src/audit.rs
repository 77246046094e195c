//! The append-only audit log: one JSON line per authorised fetch, token, login failure and
//! arrangement. It records who (hashed), when and the outcome, never the contents.
//!
//! Lines are group-committed: one writer thread appends whatever lines are waiting and makes
//! them durable with one `fdatasync`, then releases every request that waited on them. A request
//! answers only after its own line is durable, but concurrent requests share the sync instead of
//! queueing one sync each.

use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

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

/// A line waiting to be written, and who waits for it.
struct Pending {
    line: Vec<u8>,
    durable: tokio::sync::oneshot::Sender<()>,
}

/// The audit log file, with its writer thread.
pub struct AuditLog {
    queue: mpsc::Sender<Pending>,
    syncs: Arc<AtomicU64>,
}

impl AuditLog {
    /// Opens (creating) the log for appending and starts its writer.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| anyhow::anyhow!("cannot open the audit log {}: {e}", path.display()))?;
        let (queue, waiting) = mpsc::channel::<Pending>();
        let syncs = Arc::new(AtomicU64::new(0));
        let counted = syncs.clone();
        std::thread::Builder::new()
            .name("audit-log".to_owned())
            .spawn(move || {
                // Ends when the log is dropped and the queue is empty.
                while let Ok(first) = waiting.recv() {
                    let mut batch = vec![first];
                    batch.extend(waiting.try_iter());
                    let bytes: Vec<u8> = batch.iter().flat_map(|p| p.line.iter().copied()).collect();
                    if let Err(e) = file.write_all(&bytes).and_then(|()| file.sync_data()) {
                        tracing::error!(error = %e, lines = batch.len(), "could not write the audit log");
                    }
                    counted.fetch_add(1, Ordering::Relaxed);
                    for pending in batch {
                        let _ = pending.durable.send(());
                    }
                }
            })
            .map_err(|e| anyhow::anyhow!("cannot start the audit log writer: {e}"))?;
        Ok(Self { queue, syncs })
    }

    /// Queues one event; the returned future completes once its line is durable. Await it
    /// before answering the request. A write failure is logged, not fatal: the request already
    /// happened.
    #[must_use = "answer only after the audit line is durable: await this"]
    pub fn record(&self, event: &AuditEvent<'_>) -> impl Future<Output = ()> + Send + use<> {
        let (durable, written) = tokio::sync::oneshot::channel();
        match serde_json::to_vec(event) {
            Ok(mut line) => {
                line.push(b'\n');
                if self.queue.send(Pending { line, durable }).is_err() {
                    tracing::error!("the audit log writer has stopped");
                }
            }
            Err(e) => tracing::error!(error = %e, "could not serialise an audit event"),
        }
        async move {
            let _ = written.await;
        }
    }

    /// How many syncs the writer has made (each covers one or more lines).
    pub fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(outcome: &str) -> AuditEvent<'_> {
        AuditEvent {
            time: "2026-12-02T12:00:00+00:00".to_owned(),
            event: "claims",
            client_id: Some("betaalpod"),
            subject: Some("hash"),
            outcome,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_line_is_on_disk_when_its_request_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path).unwrap();
        for n in 0..5 {
            let outcome = format!("outcome-{n}");
            log.record(&event(&outcome)).await;
            let written = std::fs::read_to_string(&path).unwrap();
            assert!(written.contains(&outcome), "line {n} is written before the request goes on");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_share_syncs_and_lose_no_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = Arc::new(AuditLog::open(&path).unwrap());
        const REQUESTS: usize = 400;
        let tasks: Vec<_> = (0..REQUESTS)
            .map(|n| {
                let log = log.clone();
                tokio::spawn(async move { log.record(&event(&format!("request-{n}"))).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let written = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = written.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), REQUESTS, "every line, whole");
        for n in 0..REQUESTS {
            assert!(written.contains(&format!("\"request-{n}\"")), "request {n} was logged");
        }
        assert!(
            log.syncs() < REQUESTS as u64,
            "{} syncs for {REQUESTS} concurrent lines: none were shared",
            log.syncs()
        );
    }
}
