//! Backup and restore: one file that holds only ciphertext, so making it needs no passphrase.
//!
//! Format (`betaalpod-backup/1`): a JSON object with the two wrapped identity files and every
//! key and value of every store space, all base64. Nothing in it is readable without the
//! passphrase or the recovery code.

use std::collections::BTreeMap;
use std::path::Path;

use age::secrecy::SecretString;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use super::backend::{Change, SledStore, Space, Store};
use super::keys::{self, KeyError};
use super::pod::{PodDir, PodError, io_error, unwrap_data_key};

const FORMAT: &str = "betaalpod-backup/1";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupFile {
    format: String,
    identity: String,
    recovery: String,
    spaces: BTreeMap<String, Vec<(String, String)>>,
}

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
    let mut spaces = BTreeMap::new();
    for space in Space::ALL {
        let entries = store
            .scan(space)?
            .into_iter()
            .map(|(k, v)| (B64.encode(k), B64.encode(v)))
            .collect();
        spaces.insert(space.name().to_owned(), entries);
    }
    let records = spaces.get(Space::Records.name()).map_or(0, Vec::len);
    let file = BackupFile {
        format: FORMAT.to_owned(),
        identity: B64.encode(identity_file),
        recovery: B64.encode(recovery_file),
        spaces,
    };
    let json = serde_json::to_vec(&file).map_err(|e| PodError::Io(format!("cannot write the backup: {e}")))?;
    Ok((json, records))
}

/// Reads a backup file's bytes; `name` says where it came from, for errors. Nothing is
/// decrypted.
pub fn read_backup(bytes: &[u8], name: &str) -> Result<Backup, PodError> {
    let file: BackupFile = serde_json::from_slice(bytes)
        .map_err(|e| PodError::InvalidBackup(format!("{name} is not a Betaalpod backup: {e}")))?;
    if file.format != FORMAT {
        return Err(PodError::InvalidBackup(format!(
            "unknown format {:?}; this Betaalpod reads {FORMAT:?}",
            file.format
        )));
    }
    let decode = |what: &str, text: &str| {
        B64.decode(text)
            .map_err(|_| PodError::InvalidBackup(format!("{what} is not base64")))
    };
    let mut changes = Vec::new();
    for space in Space::ALL {
        for (key, value) in file.spaces.get(space.name()).into_iter().flatten() {
            changes.push(Change::Put(space, decode("a key", key)?, decode("a value", value)?));
        }
    }
    Ok(Backup {
        identity_file: decode("the identity", &file.identity)?,
        recovery_file: decode("the recovery file", &file.recovery)?,
        changes,
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

    /// Restores a backup into this (empty) folder and verifies it with `passphrase`: the
    /// identity must unwrap and every record must decrypt. Nothing is written unless it does.
    /// Returns the number of records.
    pub fn restore(&self, from: &Path, passphrase: &SecretString) -> Result<usize, PodError> {
        let bytes = std::fs::read(from).map_err(io_error("read", from))?;
        let Backup {
            identity_file,
            recovery_file,
            changes,
        } = read_backup(&bytes, &from.display().to_string())?;
        let identity = match keys::unwrap_identity(&identity_file, passphrase, "the backup's identity") {
            Ok(identity) => identity,
            Err(KeyError::WrongSecret) => return Err(PodError::WrongPassphrase),
            Err(e) => return Err(PodError::InvalidBackup(e.to_string())),
        };

        std::fs::create_dir_all(self.root()).map_err(io_error("create", self.root()))?;
        let lock = super::lock::ProcessLock::acquire(&self.path("pod.lock"))?;
        self.ensure_empty()?;
        keys::restrict_permissions(self.root()).map_err(io_error("protect", self.root()))?;
        let store = SledStore::open(&self.store_path())?;
        keys::restrict_permissions(&self.store_path()).map_err(io_error("protect", &self.store_path()))?;
        store.commit(changes)?;
        if unwrap_data_key(&store, &identity)?.is_none() {
            drop(store);
            keys::shred_dir(&self.store_path()).map_err(io_error("clear", &self.store_path()))?;
            return Err(PodError::InvalidBackup(
                "the backup's store does not belong to its identity".to_owned(),
            ));
        }
        drop(store);
        self.write_config(&identity.to_public())?;
        self.write_file(&self.recovery_path(), &recovery_file)?;
        self.write_file(&self.identity_path(), &identity_file)?;

        let pod = self.open_with_identity(lock, identity)?;
        let records = pod.verify()?;
        tracing::info!(records, dir = %self.root().display(), "backup restored and verified");
        Ok(records)
    }
}
