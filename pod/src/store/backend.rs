//! The narrow storage seam: a few key spaces of opaque bytes with atomic, durable batches.
//!
//! Everything above this trait hands it ciphertext and opaque keys only, so a backend (sled,
//! the embedded default) never holds anything readable.

use std::path::Path;

/// The key spaces a pod uses; the same at a provider, whose record names carry them.
pub use provider_api::Space;

/// Keys and values of one space, in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// One change in a batch.
#[derive(Clone, Debug)]
pub enum Change {
    /// Set `key` in `space` to `value`.
    Put(Space, Vec<u8>, Vec<u8>),
    /// Remove `key` from `space`.
    Delete(Space, Vec<u8>),
}

/// Why the backend failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum BackendError {
    /// The files are not a readable store.
    #[error("the store at {path} is damaged or not a Betaalpod store ({detail}); restore it from a backup")]
    Corrupt {
        /// Where the store is.
        path: String,
        /// What the backend said.
        detail: String,
    },
    /// An I/O or database error.
    #[error("storage error: {0}")]
    Io(String),
    /// The write would exceed the pod's quota at its provider; nothing was written.
    #[error("{0}")]
    Quota(String),
    /// The disk the store is on is full; nothing of the write was stored.
    #[error(
        "the disk is full ({0}), so nothing of this change was stored and everything stored before is kept; free some space, then start Betaalpod again"
    )]
    DiskFull(String),
}

/// The storage seam. Implementations must make [`Store::commit`] atomic (all changes or none,
/// even across a crash) and durable when it returns.
pub trait Store: Send + Sync {
    /// Reads one value.
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError>;
    /// Every key and value in a space, in key order.
    fn scan(&self, space: Space) -> Result<Entries, BackendError>;
    /// Applies all changes atomically and durably.
    fn commit(&self, changes: Vec<Change>) -> Result<(), BackendError>;
}

/// The embedded default backend.
pub struct SledStore {
    db: sled::Db,
    trees: [sled::Tree; 3],
    path: std::path::PathBuf,
    /// The first write error, after which no write is tried again: sled 0.34 does not recover
    /// from a failed log write, and its next flush waits for ever (seen with a full disk).
    /// Reopening the store (lock and unlock) starts afresh from what is durable.
    broken: parking_lot::Mutex<Option<BackendError>>,
}

impl SledStore {
    /// Opens (or creates) a sled store in `path`. A damaged store is an error, never a panic.
    pub fn open(path: &Path) -> Result<Self, BackendError> {
        let corrupt = |detail: String| BackendError::Corrupt {
            path: path.display().to_string(),
            detail,
        };
        let path_owned = path.to_path_buf();
        // sled can panic on some garbled files; a damaged pod must give an error instead.
        let opened = std::panic::catch_unwind(move || {
            let db = open_sled(&path_owned)?;
            let trees = [db.open_tree("meta")?, db.open_tree("records")?, db.open_tree("index")?];
            Ok::<_, sled::Error>((db, trees))
        });
        match opened {
            Ok(Ok((db, trees))) => Ok(Self {
                db,
                trees,
                path: path.to_path_buf(),
                broken: parking_lot::Mutex::new(None),
            }),
            Ok(Err(sled::Error::Io(e))) if e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28) => {
                Err(BackendError::DiskFull(path.display().to_string()))
            }
            Ok(Err(sled::Error::Io(e))) if e.kind() != std::io::ErrorKind::InvalidData => Err(BackendError::Io(
                format!("cannot open the store at {}: {e}", path.display()),
            )),
            Ok(Err(e)) => Err(corrupt(e.to_string())),
            Err(_) => Err(corrupt("the database engine could not read its files".to_owned())),
        }
    }

    fn tree(&self, space: Space) -> &sled::Tree {
        match space {
            Space::Meta => &self.trees[0],
            Space::Records => &self.trees[1],
            Space::Index => &self.trees[2],
        }
    }
}

/// Opens sled in `path`, working around a crash-recovery bug in sled 0.34: a process killed
/// while writing a snapshot leaves `snap.{lsn}.generating`, and the next open takes that
/// unfinished file for the newest snapshot and fails with "corrupted data". A finished
/// snapshot is always renamed away from `.generating` after it is synced, and the log it would
/// summarise is kept until then, so an unfinished one can go: sled then starts from the last
/// finished snapshot and replays the log, losing nothing.
pub fn open_sled(path: &Path) -> sled::Result<sled::Db> {
    match open_sled_waiting_for_lock(path) {
        Err(sled::Error::Corruption { .. }) if remove_unfinished_snapshots(path) > 0 => {
            sled::Config::new().path(path).open()
        }
        other => other,
    }
}

/// Opens the database, waiting up to ten seconds for its file lock. A `Db` that was just dropped
/// releases the lock only when sled's background threads let go of its file, after their last
/// write and fsync; on a busy disk that took over two seconds in CI. The pod's own process lock
/// already keeps other processes out, so a held lock here is that moment, and waiting costs
/// nothing otherwise.
fn open_sled_waiting_for_lock(path: &Path) -> sled::Result<sled::Db> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match sled::Config::new().path(path).open() {
            Err(sled::Error::Io(e)) if lock_is_held(&e) && std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Whether sled could not take its file lock. sled 0.34 reports that as an `Other` error whose
/// text names it (wrapping the `WouldBlock` of the lock call), so the kind alone does not say.
fn lock_is_held(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::WouldBlock || error.to_string().contains("could not acquire lock")
}

/// Removes `snap.*.generating` files; returns how many.
fn remove_unfinished_snapshots(path: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(path) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("snap.") && name.ends_with(".generating") && std::fs::remove_file(entry.path()).is_ok() {
            tracing::warn!(file = %name, "removed a snapshot that a crash left unfinished");
            removed += 1;
        }
    }
    removed
}

impl SledStore {
    /// A storage error, with a full disk said as such.
    fn storage_error(&self, error: sled::Error) -> BackendError {
        match &error {
            sled::Error::Io(e) if e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28) => {
                BackendError::DiskFull(self.path.display().to_string())
            }
            _ => io(error),
        }
    }
}

fn io(e: impl std::fmt::Display) -> BackendError {
    BackendError::Io(e.to_string())
}

impl Drop for SledStore {
    /// A store whose write failed is not flushed on the way out: sled 0.34 would wait for ever
    /// for the failed log write. Its handles are left to the process's exit instead; what was
    /// durable before the failure is what the next open finds.
    fn drop(&mut self) {
        let broken = self.broken.get_mut().is_some();
        if broken {
            tracing::warn!(path = %self.path.display(), "a store whose write failed is left unflushed");
            let db = self.db.clone();
            let trees = self.trees.clone();
            std::mem::forget(db);
            std::mem::forget(trees);
            // The fields themselves still drop below; keeping clones alive keeps their last
            // reference from flushing.
        }
    }
}

impl Store for SledStore {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        Ok(self.tree(space).get(key).map_err(io)?.map(|v| v.to_vec()))
    }

    fn scan(&self, space: Space) -> Result<Entries, BackendError> {
        self.tree(space)
            .iter()
            .map(|entry| entry.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(io))
            .collect()
    }

    fn commit(&self, changes: Vec<Change>) -> Result<(), BackendError> {
        let mut broken = self.broken.lock();
        if let Some(error) = broken.as_ref() {
            return Err(error.clone());
        }
        let committed = self.commit_changes(changes);
        if let Err(error) = &committed {
            *broken = Some(error.clone());
        }
        committed
    }
}

impl SledStore {
    fn commit_changes(&self, changes: Vec<Change>) -> Result<(), BackendError> {
        use sled::Transactional;
        let [meta, records, index] = &self.trees;
        (meta, records, index)
            .transaction(|(meta, records, index)| {
                for change in &changes {
                    let tree = |space: &Space| match space {
                        Space::Meta => meta,
                        Space::Records => records,
                        Space::Index => index,
                    };
                    match change {
                        Change::Put(space, key, value) => {
                            tree(space).insert(key.as_slice(), value.as_slice())?;
                        }
                        Change::Delete(space, key) => {
                            tree(space).remove(key.as_slice())?;
                        }
                    }
                }
                Ok(())
            })
            .map_err(|e: sled::transaction::TransactionError<()>| match e {
                sled::transaction::TransactionError::Storage(e) => self.storage_error(e),
                other => io(format!("{other:?}")),
            })?;
        self.db.flush().map_err(|e| self.storage_error(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_waits_for_a_store_that_is_let_go_a_moment_later() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("store");
        let held = open_sled(&path).unwrap();
        // Held by another open of the same files, as sled's threads hold a store just dropped.
        let other = sled::Config::new().path(&path).open();
        let Err(sled::Error::Io(refused)) = other else {
            panic!("a second open while the first holds the lock is refused");
        };
        assert!(lock_is_held(&refused), "{refused}");
        let release = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(held);
        });
        let opened = open_sled(&path);
        release.join().unwrap();
        assert!(opened.is_ok(), "{:?}", opened.err());
    }
}
