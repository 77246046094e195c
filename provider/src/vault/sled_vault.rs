//! The vault on one sled database, for a provider with one server. One tree holds everything
//! under prefixed keys, so every operation is one sled transaction, flushed before it returns.

use std::path::Path;

use chrono::{DateTime, Utc};
use provider_api::wire::{Expect, RecordInfo, Usage};
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use super::{
    Account, CredentialUpdate, NewPod, PendingLogin, PodId, SessionRow, StoredRecord, VaultError, Write, over_quota,
    scope_from, scope_number,
};

/// The OPAQUE setup, under a key that shares no first byte with the prefixes below.
const SETUP: &[u8] = b"opaque-setup";
const POD: u8 = b'p';
const RECORD: u8 = b'r';
const SESSION: u8 = b's';
const LOGIN: u8 = b'l';
const COUNTER: u8 = b'c';

/// The vault in one sled database.
pub struct SledVault {
    tree: sled::Tree,
    db: sled::Db,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct PodRow {
    created_at: DateTime<Utc>,
    recipient: String,
    identity_file: Option<Vec<u8>>,
    recovery_file: Option<Vec<u8>>,
    passphrase_record: Option<Vec<u8>>,
    recovery_record: Option<Vec<u8>>,
    records: u64,
    bytes: u64,
    next_version: u64,
}

impl PodRow {
    fn live(&self) -> bool {
        self.identity_file.is_some()
    }
}

#[derive(Serialize, Deserialize)]
struct SessionValue {
    pod_id: [u8; 16],
    scope: i16,
    expires_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct LoginValue {
    pod_id: [u8; 16],
    scope: i16,
    state: Vec<u8>,
    expires_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct CounterValue {
    window_start: DateTime<Utc>,
    count: i64,
}

fn key(prefix: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut key = vec![prefix];
    for part in parts {
        key.extend_from_slice(part);
    }
    key
}

fn record_key(pod_id: PodId, name: &str) -> Vec<u8> {
    key(RECORD, &[&pod_id.0, name.as_bytes()])
}

fn io(e: impl std::fmt::Display) -> VaultError {
    VaultError::Io(format!("sled: {e}"))
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("vault rows serialize")
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, VaultError> {
    serde_json::from_slice(bytes).map_err(|e| VaultError::Io(format!("a vault row is damaged: {e}")))
}

type TxResult<T> = Result<T, ConflictableTransactionError<VaultError>>;

fn abort<T>(e: VaultError) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(e))
}

fn tx_row(tree: &TransactionalTree, pod_id: PodId) -> TxResult<Option<PodRow>> {
    match tree.get(key(POD, &[&pod_id.0]))? {
        Some(bytes) => decode(&bytes).map(Some).or_else(abort),
        None => Ok(None),
    }
}

fn finish<T>(result: Result<T, TransactionError<VaultError>>) -> Result<T, VaultError> {
    result.map_err(|e| match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => io(e),
    })
}

/// A stored record value: its version (8 bytes, big-endian), then its bytes.
fn split_record(value: &[u8]) -> Option<(u64, &[u8])> {
    let (version, bytes) = value.split_at_checked(8)?;
    Some((u64::from_be_bytes(version.try_into().ok()?), bytes))
}

impl SledVault {
    /// Opens (or creates) the vault in `dir`.
    pub fn open(dir: &Path) -> Result<Self, VaultError> {
        std::fs::create_dir_all(dir).map_err(|e| VaultError::Io(format!("cannot create {}: {e}", dir.display())))?;
        let db = sled::open(dir).map_err(|e| VaultError::Io(format!("cannot open the vault in {}: {e}", dir.display())))?;
        let tree = db.open_tree("vault").map_err(io)?;
        Ok(Self { tree, db })
    }

    async fn flush(&self) -> Result<(), VaultError> {
        self.db.flush_async().await.map_err(io)?;
        Ok(())
    }

    fn row(&self, pod_id: PodId) -> Result<Option<PodRow>, VaultError> {
        match self.tree.get(key(POD, &[&pod_id.0])).map_err(io)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    pub(super) async fn server_setup(&self, fresh: Vec<u8>) -> Result<Vec<u8>, VaultError> {
        let _ = self
            .tree
            .compare_and_swap(SETUP, None as Option<&[u8]>, Some(fresh))
            .map_err(io)?;
        self.flush().await?;
        let stored = self.tree.get(SETUP).map_err(io)?;
        stored
            .map(|v| v.to_vec())
            .ok_or_else(|| VaultError::Io("the server setup vanished".to_owned()))
    }

    pub(super) async fn create_pod(&self, pod: NewPod, now: DateTime<Utc>) -> Result<(), VaultError> {
        let row = PodRow {
            created_at: now,
            recipient: pod.recipient,
            identity_file: Some(pod.identity_file),
            recovery_file: Some(pod.recovery_file),
            passphrase_record: Some(pod.passphrase_record),
            recovery_record: Some(pod.recovery_record),
            records: 0,
            bytes: 0,
            next_version: 1,
        };
        let swapped = self
            .tree
            .compare_and_swap(key(POD, &[&pod.pod_id.0]), None as Option<&[u8]>, Some(encode(&row)))
            .map_err(io)?;
        if swapped.is_err() {
            return Err(VaultError::Exists);
        }
        self.flush().await
    }

    pub(super) async fn account(&self, pod_id: PodId) -> Result<Option<Account>, VaultError> {
        let Some(row) = self.row(pod_id)? else { return Ok(None) };
        let (Some(identity_file), Some(recovery_file), Some(passphrase_record), Some(recovery_record)) =
            (row.identity_file, row.recovery_file, row.passphrase_record, row.recovery_record)
        else {
            return Ok(None);
        };
        Ok(Some(Account {
            recipient: row.recipient,
            identity_file,
            recovery_file,
            passphrase_record,
            recovery_record,
            usage: Usage {
                records: row.records,
                bytes: row.bytes,
            },
        }))
    }

    pub(super) async fn replace_credentials(
        &self,
        pod_id: PodId,
        passphrase: Option<CredentialUpdate>,
        recovery: Option<CredentialUpdate>,
        keep: [u8; 32],
    ) -> Result<(), VaultError> {
        let others = self.sessions_of(pod_id, Some(keep))?;
        finish(self.tree.transaction(|tree| {
            let Some(mut row) = tx_row(tree, pod_id)?.filter(PodRow::live) else {
                return abort(VaultError::NoPod);
            };
            if let Some(update) = &passphrase {
                row.passphrase_record = Some(update.record.clone());
                row.identity_file = Some(update.file.clone());
            }
            if let Some(update) = &recovery {
                row.recovery_record = Some(update.record.clone());
                row.recovery_file = Some(update.file.clone());
            }
            tree.insert(key(POD, &[&pod_id.0]), encode(&row))?;
            for session in &others {
                tree.remove(session.as_slice())?;
            }
            Ok(())
        }))?;
        self.flush().await
    }

    /// The keys of a pod's sessions, but `except`.
    fn sessions_of(&self, pod_id: PodId, except: Option<[u8; 32]>) -> Result<Vec<Vec<u8>>, VaultError> {
        let mut keys = Vec::new();
        for entry in self.tree.scan_prefix([SESSION]) {
            let (k, v) = entry.map_err(io)?;
            let value: SessionValue = decode(&v)?;
            if value.pod_id == pod_id.0 && except.is_none_or(|keep| k[1..] != keep) {
                keys.push(k.to_vec());
            }
        }
        Ok(keys)
    }

    pub(super) async fn shred_keys(&self, pod_id: PodId) -> Result<(), VaultError> {
        let sessions = self.sessions_of(pod_id, None)?;
        let meta: Vec<Vec<u8>> = self
            .tree
            .scan_prefix(key(RECORD, &[&pod_id.0, b"meta."]))
            .keys()
            .collect::<Result<Vec<_>, _>>()
            .map_err(io)?
            .into_iter()
            .map(|k| k.to_vec())
            .collect();
        finish(self.tree.transaction(|tree| {
            let Some(mut row) = tx_row(tree, pod_id)? else {
                return abort(VaultError::NoPod);
            };
            row.identity_file = None;
            row.recovery_file = None;
            row.passphrase_record = None;
            row.recovery_record = None;
            tree.insert(key(POD, &[&pod_id.0]), encode(&row))?;
            for k in meta.iter().chain(&sessions) {
                tree.remove(k.as_slice())?;
            }
            Ok(())
        }))?;
        self.flush().await
    }

    pub(super) async fn delete_rest(&self, pod_id: PodId) -> Result<(), VaultError> {
        let mut batch = sled::Batch::default();
        for k in self.tree.scan_prefix(key(RECORD, &[&pod_id.0])).keys() {
            batch.remove(k.map_err(io)?);
        }
        batch.remove(key(POD, &[&pod_id.0]));
        self.tree.apply_batch(batch).map_err(io)?;
        self.flush().await
    }

    pub(super) async fn list(&self, pod_id: PodId) -> Result<Vec<RecordInfo>, VaultError> {
        let prefix = key(RECORD, &[&pod_id.0]);
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix(&prefix) {
            let (k, v) = entry.map_err(io)?;
            let name = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            let (version, bytes) = split_record(&v).ok_or_else(|| io("a record is damaged"))?;
            out.push(RecordInfo {
                name,
                size: bytes.len() as u64,
                version,
            });
        }
        Ok(out)
    }

    pub(super) async fn get(&self, pod_id: PodId, name: &str) -> Result<Option<StoredRecord>, VaultError> {
        let Some(value) = self.tree.get(record_key(pod_id, name)).map_err(io)? else {
            return Ok(None);
        };
        let (version, bytes) = split_record(&value).ok_or_else(|| io("a record is damaged"))?;
        Ok(Some(StoredRecord {
            version,
            bytes: bytes.to_vec(),
        }))
    }

    pub(super) async fn all_records(&self, pod_id: PodId) -> Result<Vec<(String, Vec<u8>)>, VaultError> {
        let prefix = key(RECORD, &[&pod_id.0]);
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix(&prefix) {
            let (k, v) = entry.map_err(io)?;
            let (_, bytes) = split_record(&v).ok_or_else(|| io("a record is damaged"))?;
            out.push((String::from_utf8_lossy(&k[prefix.len()..]).into_owned(), bytes.to_vec()));
        }
        Ok(out)
    }

    pub(super) async fn write(&self, pod_id: PodId, writes: Vec<Write>, quota: Usage) -> Result<Vec<RecordInfo>, VaultError> {
        let written = finish(self.tree.transaction(|tree| {
            let Some(mut row) = tx_row(tree, pod_id)?.filter(PodRow::live) else {
                return abort(VaultError::NoPod);
            };
            let mut written = Vec::new();
            for write in &writes {
                let record_key = record_key(pod_id, &write.name);
                let current = tree.get(&record_key)?;
                let current = match &current {
                    Some(value) => match split_record(value) {
                        Some((version, bytes)) => Some((version, bytes.len() as u64)),
                        None => return abort(io("a record is damaged")),
                    },
                    None => None,
                };
                let holds = match (write.expect, current) {
                    (Expect::Absent, None) => true,
                    (Expect::Version(expected), Some((version, _))) => version == expected,
                    _ => false,
                };
                if !holds {
                    return abort(VaultError::Conflict(write.name.clone()));
                }
                if let Some((_, size)) = current {
                    row.records -= 1;
                    row.bytes -= size;
                }
                match &write.bytes {
                    Some(new) => {
                        let version = row.next_version;
                        row.next_version += 1;
                        row.records += 1;
                        row.bytes += new.len() as u64;
                        let mut value = version.to_be_bytes().to_vec();
                        value.extend_from_slice(new);
                        tree.insert(record_key, value)?;
                        written.push(RecordInfo {
                            name: write.name.clone(),
                            size: new.len() as u64,
                            version,
                        });
                    }
                    None => {
                        tree.remove(record_key)?;
                    }
                }
            }
            let usage = Usage {
                records: row.records,
                bytes: row.bytes,
            };
            if let Some(refusal) = over_quota(usage, quota) {
                return abort(refusal);
            }
            tree.insert(key(POD, &[&pod_id.0]), encode(&row))?;
            Ok(written)
        }))?;
        self.flush().await?;
        Ok(written)
    }

    pub(super) async fn create_session(&self, token_hash: [u8; 32], session: SessionRow) -> Result<(), VaultError> {
        let value = SessionValue {
            pod_id: session.pod_id.0,
            scope: scope_number(session.scope),
            expires_at: session.expires_at,
        };
        self.tree.insert(key(SESSION, &[&token_hash]), encode(&value)).map_err(io)?;
        self.flush().await
    }

    pub(super) async fn session(
        &self,
        token_hash: [u8; 32],
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> Result<Option<SessionRow>, VaultError> {
        let k = key(SESSION, &[&token_hash]);
        let Some(bytes) = self.tree.get(&k).map_err(io)? else { return Ok(None) };
        let mut value: SessionValue = decode(&bytes)?;
        if value.expires_at <= now {
            return Ok(None);
        }
        if value.expires_at - now < idle / 2 {
            value.expires_at = now + idle;
            self.tree.insert(&k, encode(&value)).map_err(io)?;
        }
        Ok(Some(SessionRow {
            pod_id: PodId(value.pod_id),
            scope: scope_from(value.scope),
            expires_at: value.expires_at,
        }))
    }

    pub(super) async fn end_session(&self, token_hash: [u8; 32]) -> Result<(), VaultError> {
        self.tree.remove(key(SESSION, &[&token_hash])).map_err(io)?;
        self.flush().await
    }

    pub(super) async fn put_login(&self, login_id: [u8; 16], login: PendingLogin) -> Result<(), VaultError> {
        let value = LoginValue {
            pod_id: login.pod_id.0,
            scope: scope_number(login.scope),
            state: login.state,
            expires_at: login.expires_at,
        };
        self.tree.insert(key(LOGIN, &[&login_id]), encode(&value)).map_err(io)?;
        Ok(())
    }

    pub(super) async fn take_login(&self, login_id: [u8; 16], now: DateTime<Utc>) -> Result<Option<PendingLogin>, VaultError> {
        let Some(bytes) = self.tree.remove(key(LOGIN, &[&login_id])).map_err(io)? else {
            return Ok(None);
        };
        let value: LoginValue = decode(&bytes)?;
        Ok((value.expires_at > now).then(|| PendingLogin {
            pod_id: PodId(value.pod_id),
            scope: scope_from(value.scope),
            state: value.state,
            expires_at: value.expires_at,
        }))
    }

    pub(super) async fn count(
        &self,
        counter: &str,
        delta: i64,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Result<i64, VaultError> {
        let k = key(COUNTER, &[counter.as_bytes()]);
        let mut result = 0;
        self.tree
            .fetch_and_update(&k, |old| {
                let current = old.and_then(|bytes| serde_json::from_slice::<CounterValue>(bytes).ok());
                let next = match current {
                    Some(c) if c.window_start > now - window => CounterValue {
                        window_start: c.window_start,
                        count: (c.count + delta).max(0),
                    },
                    _ => CounterValue {
                        window_start: now,
                        count: delta.max(0),
                    },
                };
                result = next.count;
                Some(encode(&next))
            })
            .map_err(io)?;
        Ok(result)
    }

    pub(super) async fn prune(&self, now: DateTime<Utc>) -> Result<u64, VaultError> {
        let mut batch = sled::Batch::default();
        let mut removed = 0;
        let entries = [SESSION, LOGIN, COUNTER].into_iter().flat_map(|prefix| self.tree.scan_prefix([prefix]));
        for entry in entries {
            let (k, v) = entry.map_err(io)?;
            let expired = match k.first() {
                Some(&SESSION) => decode::<SessionValue>(&v).is_ok_and(|s| s.expires_at <= now),
                Some(&LOGIN) => decode::<LoginValue>(&v).is_ok_and(|l| l.expires_at <= now),
                Some(&COUNTER) => {
                    decode::<CounterValue>(&v).is_ok_and(|c| c.window_start <= now - chrono::Duration::days(1))
                }
                _ => false,
            };
            if expired {
                batch.remove(k);
                removed += 1;
            }
        }
        self.tree.apply_batch(batch).map_err(io)?;
        Ok(removed)
    }

    pub(super) async fn ready(&self) -> bool {
        self.tree.get(SETUP).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use provider_api::wire::Credential;

    use super::*;

    #[test]
    fn record_values_carry_their_version() {
        let mut value = 7u64.to_be_bytes().to_vec();
        value.extend_from_slice(b"sealed");
        assert_eq!(split_record(&value), Some((7, b"sealed".as_slice())));
        assert_eq!(split_record(b"short"), None);
    }

    #[test]
    fn scopes_round_trip() {
        for scope in [Credential::Passphrase, Credential::Recovery] {
            assert_eq!(scope_from(scope_number(scope)), scope);
        }
    }
}
