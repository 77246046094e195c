//! Why a pod operation failed, in one type every store module shares. Every message says what
//! to do next.

use std::path::Path;

use super::backend::BackendError;
use super::lock::LockError;
use super::records::RecordId;

/// Why a pod operation failed. Every message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum PodError {
    /// There is no pod in the folder.
    #[error("there is no pod in {0}; create one with `pod init --dir {0}`")]
    NotAPod(String),
    /// `init` or `restore` would overwrite something.
    #[error(
        "{0} already exists; Betaalpod never overwrites a pod (choose another --dir, or remove it with `pod forget --all`)"
    )]
    AlreadyExists(String),
    /// The passphrase is too short.
    #[error("{0}")]
    WeakPassphrase(String),
    /// The passphrase does not open the identity.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The recovery code does not open the recovery file.
    #[error("wrong recovery code")]
    WrongRecoveryCode,
    /// Too many wrong passphrases in a row.
    #[error("too many wrong passphrases; wait {0} seconds and try again")]
    BackingOff(u64),
    /// Another process has the pod open.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// Files are damaged.
    #[error("{0}")]
    Damaged(String),
    /// The store was changed outside Betaalpod: made by someone else, a record deleted or put
    /// back, or rolled back to an older copy. Nothing in it is shown.
    #[error("{0}")]
    Tampered(String),
    /// Something a pod at a provider does in the provider's app, not here.
    #[error("{0}")]
    Unsupported(String),
    /// The storage backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// No record with that id.
    #[error("there is no record {0} in this pod")]
    NotFound(RecordId),
    /// A document that this pod's key cannot open.
    #[error(
        "this document is not encrypted to this pod's key, so it cannot be stored (was it fetched for another pod?)"
    )]
    NotForThisPod,
    /// A backup file that cannot be restored.
    #[error("invalid backup: {0}")]
    InvalidBackup(String),
    /// Reading or writing a file failed.
    #[error("{0}")]
    Io(String),
}

/// The error for an I/O failure while doing `what` to `path`.
pub(super) fn io_error(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> PodError {
    let message = format!("cannot {what} {}", path.display());
    move |e| PodError::Io(format!("{message}: {e}"))
}
