//! Backup and restore: one file that holds only ciphertext, so making it needs no passphrase.
//! The format (`betaalpod-backup/1`) is [`pod_core::backup`].

use std::path::Path;

use age::secrecy::SecretString;

use super::backend::{Change, SledStore, Space, Store};
use super::keys;
use super::error::io_error;
use super::dir::PodDir;
use super::error::PodError;

/// A backup read and checked for shape: the two wrapped identity files and every stored value.
pub struct Backup {
    /// The identity wrapped by the passphrase (`identity.age`).
    pub identity_file: Vec<u8>,
    /// The identity wrapped by the recovery code (`recovery.age`).
    pub recovery_file: Vec<u8>,
    /// Every key and value of every space, as changes that recreate the store.
    pub changes: Vec<Change>,
}

/// Writes the backup format for a pod whose wrapped identity files and store are given. A pod
/// provider's export is exactly this, so `pod restore` takes it unchanged.
pub fn backup_bytes(identity_file: &[u8], recovery_file: &[u8], store: &dyn Store) -> Result<(Vec<u8>, usize), PodError> {
    let mut entries = Vec::new();
    for space in Space::ALL {
        for (key, value) in store.scan(space)? {
            entries.push((space, key, value));
        }
    }
    let records = entries.iter().filter(|(space, _, _)| *space == Space::Records).count();
    Ok((pod_core::backup::write(identity_file, recovery_file, &entries), records))
}

/// Reads a backup file's bytes; `name` says where it came from, for errors. Nothing is
/// decrypted.
pub fn read_backup(bytes: &[u8], name: &str) -> Result<Backup, PodError> {
    let backup = pod_core::backup::read(bytes, name).map_err(PodError::InvalidBackup)?;
    Ok(Backup {
        identity_file: backup.identity_file,
        recovery_file: backup.recovery_file,
        changes: backup
            .entries
            .into_iter()
            .map(|(space, key, value)| Change::Put(space, key, value))
            .collect(),
    })
}

impl PodDir {
    /// Writes a backup of the pod to `out`, which must not exist yet. Needs no passphrase.
    /// Returns the number of records.
    pub fn backup(&self, out: &Path) -> Result<usize, PodError> {
        if out.exists() {
            return Err(PodError::AlreadyExists(out.display().to_string()));
        }
        let _lock = super::lock::ProcessLock::acquire(&self.path("pod.lock"))?;
        let identity = self.read_file(&self.identity_path())?;
        let recovery = self.read_file(&self.recovery_path())?;
        let store = SledStore::open(&self.store_path())?;
        let (json, records) = backup_bytes(&identity, &recovery, &store)?;
        keys::write_atomic(out, &json).map_err(io_error("write", out))?;
        tracing::info!(records, out = %out.display(), "backup written");
        Ok(records)
    }

    /// Restores a backup into this (empty) folder. Everything is verified with `passphrase`
    /// before anything is written: the identity opens, the data key is bound to it, every record
    /// and index entry opens, the store holds exactly what its manifest lists, and every document
    /// carries its organisation's signature ([`pod_core::session::Session::from_backup`]). A
    /// backup that fails any check is refused with what failed, and the folder is left as it was.
    /// Returns the number of records.
    pub fn restore(&self, from: &Path, passphrase: &SecretString) -> Result<usize, PodError> {
        let bytes = std::fs::read(from).map_err(io_error("read", from))?;
        let Backup {
            identity_file,
            recovery_file,
            changes,
        } = read_backup(&bytes, &from.display().to_string())?;
        let (session, _, _) = match pod_core::session::Session::from_backup(&bytes, passphrase) {
            Ok(verified) => verified,
            Err(pod_core::session::SessionError::WrongSecret) => return Err(PodError::WrongPassphrase),
            Err(pod_core::session::SessionError::Damaged(why)) => return Err(PodError::InvalidBackup(why)),
        };
        let opened = keys::UnwrappedIdentity {
            requires_bound_store: session.requires_bound_store(),
            identity: session.into_identity(),
        };

        std::fs::create_dir_all(self.root()).map_err(io_error("create", self.root()))?;
        let lock = super::lock::ProcessLock::acquire(&self.path("pod.lock"))?;
        self.ensure_empty()?;
        keys::restrict_permissions(self.root()).map_err(io_error("protect", self.root()))?;
        let store = SledStore::open(&self.store_path())?;
        keys::restrict_permissions(&self.store_path()).map_err(io_error("protect", &self.store_path()))?;
        store.commit(changes)?;
        drop(store);
        self.write_config(&opened.identity.to_public())?;
        self.write_file(&self.recovery_path(), &recovery_file)?;
        self.write_file(&self.identity_path(), &identity_file)?;

        // The citizen chose this copy: it may be older than one this machine saw here before.
        let pod = self.open_with_identity(lock, opened, super::integrity::Rollback::Accept)?;
        // Session::from_backup checked the signatures before a byte was written; this checks
        // what landed on disk.
        let records = pod.check_records()?.len();
        tracing::info!(records, dir = %self.root().display(), "backup restored and verified");
        Ok(records)
    }
}
