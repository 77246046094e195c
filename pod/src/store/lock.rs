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

/// How often to retry, 10 ms apart, a lock that names this process (see [`ProcessLock::acquire`]).
const OWN_LOCK_RETRIES: u32 = 50;

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
        let mut retries = 0;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    let mut pid = String::new();
                    let _ = file.rewind();
                    let _ = file.read_to_string(&mut pid);
                    let pid = pid.trim().to_owned();
                    // A lock this process just released can still be held for a moment by a
                    // child it is starting: the child has a copy of the file until it execs.
                    // Only this process's children can hold it that way, so only then wait.
                    if pid == std::process::id().to_string() && retries < OWN_LOCK_RETRIES {
                        retries += 1;
                        std::thread::sleep(std::time::Duration::from_millis(10));
                        continue;
                    }
                    return Err(LockError::InUse {
                        pid: if pid.is_empty() { "unknown".to_owned() } else { pid },
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_this_process_releases_in_a_moment_is_waited_for() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("pod.lock");
        // As a child being started holds the parent's file until it execs.
        let held = ProcessLock::acquire(&path).unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(60));
            drop(held);
        });
        assert!(ProcessLock::acquire(&path).is_ok(), "taken once the brief holder let go");
        releaser.join().unwrap();
    }
}
