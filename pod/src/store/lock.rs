//! One process per pod: an exclusive lock on `DIR/pod.lock` that names its holder.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::Path;

/// Held while a process has the pod open; the OS releases it when the process ends, even after
/// `kill -9`, so a crash never leaves a pod locked.
#[derive(Debug)]
pub struct ProcessLock {
    _file: File,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process has the pod open.
    #[error("the pod is in use by pid {pid}; stop that process (or close `pod serve`) and try again")]
    InUse {
        /// The holder's process id, as it wrote it.
        pid: String,
    },
    /// The lock file could not be used.
    #[error("cannot lock {path}: {detail}")]
    Io {
        /// The lock file.
        path: String,
        /// What went wrong.
        detail: String,
    },
}

impl ProcessLock {
    /// Takes the lock or says who holds it.
    pub fn acquire(path: &Path) -> Result<Self, LockError> {
        let io = |e: std::io::Error| LockError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                return Err(LockError::InUse {
                    pid: if pid.is_empty() {
                        "unknown".to_owned()
                    } else {
                        pid.to_owned()
                    },
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(Self { _file: file })
    }
}
