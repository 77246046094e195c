//! Where the provider keeps its pods: a `Vault`, on PostgreSQL for any number of stateless
//! servers, or on one sled database for a single server. Both keep the same things per pod, and
//! every one of them is either public (the recipient), ciphertext (the wrapped identity files and
//! the sealed records), or an OPAQUE registration record, which holds no password.
//!
//! Sessions, pending logins and throttling counters live in the vault too, so that any server
//! behind a load balancer can answer any request.

mod postgres;
mod sled_vault;

use std::fmt;

use chrono::{DateTime, Utc};
use provider_api::wire::{Credential, Expect, RecordInfo, Usage};

pub use postgres::PgVault;
pub use sled_vault::SledVault;

/// A pod's id: 16 random bytes, shown as 32 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodId(pub [u8; 16]);

impl PodId {
    /// A fresh random id.
    pub fn random() -> Self {
        Self(rand::random())
    }

    /// Parses the 32-hex-digit form.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 32 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[i * 2..i * 2 + 2], 16).ok()?;
        }
        Some(Self(bytes))
    }
}

impl fmt::Display for PodId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for PodId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PodId({self})")
    }
}

/// A new pod, as the browser made it.
pub struct NewPod {
    /// Its id.
    pub pod_id: PodId,
    /// The public `age1…` recipient.
    pub recipient: String,
    /// The identity wrapped by the passphrase.
    pub identity_file: Vec<u8>,
    /// The identity wrapped by the recovery code.
    pub recovery_file: Vec<u8>,
    /// The passphrase's OPAQUE registration record.
    pub passphrase_record: Vec<u8>,
    /// The recovery code's OPAQUE registration record.
    pub recovery_record: Vec<u8>,
}

/// What the vault keeps for a pod, apart from its records.
#[derive(Clone, Debug)]
pub struct Account {
    /// The public recipient.
    pub recipient: String,
    /// The identity wrapped by the passphrase.
    pub identity_file: Vec<u8>,
    /// The identity wrapped by the recovery code.
    pub recovery_file: Vec<u8>,
    /// The passphrase's OPAQUE registration record.
    pub passphrase_record: Vec<u8>,
    /// The recovery code's OPAQUE registration record.
    pub recovery_record: Vec<u8>,
    /// Records and bytes stored.
    pub usage: Usage,
}

impl Account {
    /// The OPAQUE registration record of `credential`.
    pub fn record(&self, credential: Credential) -> &[u8] {
        match credential {
            Credential::Passphrase => &self.passphrase_record,
            Credential::Recovery => &self.recovery_record,
        }
    }
}

/// One write of a batch: a record name (already validated), what must be there, and the new
/// bytes (`None` deletes).
#[derive(Clone, Debug)]
pub struct Write {
    /// The record's name.
    pub name: String,
    /// What must be there now.
    pub expect: Expect,
    /// The new bytes, or `None` to delete.
    pub bytes: Option<Vec<u8>>,
}

/// A stored record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRecord {
    /// Its version.
    pub version: u64,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A replaced credential: the OPAQUE record and the identity file wrapped by the new secret.
#[derive(Clone, Debug)]
pub struct CredentialUpdate {
    /// The new OPAQUE registration record.
    pub record: Vec<u8>,
    /// The identity wrapped by the new secret.
    pub file: Vec<u8>,
}

/// A session found by its token hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionRow {
    /// The pod.
    pub pod_id: PodId,
    /// What it may do.
    pub scope: Credential,
    /// When it ends unless used.
    pub expires_at: DateTime<Utc>,
}

/// A login between its two OPAQUE messages.
#[derive(Clone, Debug)]
pub struct PendingLogin {
    /// The pod.
    pub pod_id: PodId,
    /// Which credential.
    pub scope: Credential,
    /// The serialized `ServerLogin` state.
    pub state: Vec<u8>,
    /// When it is no longer accepted.
    pub expires_at: DateTime<Utc>,
}

/// What went wrong in the vault.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// No such pod (or it was deleted).
    #[error("no such pod")]
    NoPod,
    /// A pod with this id exists.
    #[error("a pod with this id exists")]
    Exists,
    /// A write's expectation did not hold.
    #[error("{0} changed since it was read")]
    Conflict(String),
    /// The write would exceed the pod's quota.
    #[error("{0}")]
    Quota(String),
    /// The storage failed.
    #[error("storage: {0}")]
    Io(String),
}

/// The quota refusal for a pod that would hold `usage`, if that is over `quota`.
fn over_quota(usage: Usage, quota: Usage) -> Option<VaultError> {
    (usage.records > quota.records || usage.bytes > quota.bytes).then(|| {
        VaultError::Quota(format!(
            "this pod is full ({} records, {} bytes; the provider allows {} records and {} bytes); \
             forget old snapshots or ask your provider for more room",
            usage.records, usage.bytes, quota.records, quota.bytes
        ))
    })
}

fn scope_number(scope: Credential) -> i16 {
    match scope {
        Credential::Passphrase => 0,
        Credential::Recovery => 1,
    }
}

fn scope_from(number: i16) -> Credential {
    if number == 0 { Credential::Passphrase } else { Credential::Recovery }
}

/// The provider's storage, on one of its two backends.
pub enum Vault {
    /// PostgreSQL, shared by any number of servers.
    Postgres(PgVault),
    /// One sled database, for one server.
    Sled(SledVault),
}

macro_rules! each {
    ($self:ident, $vault:ident => $body:expr) => {
        match $self {
            Vault::Postgres($vault) => $body,
            Vault::Sled($vault) => $body,
        }
    };
}

impl Vault {
    /// The OPAQUE server setup every server of this provider shares: `fresh` is stored if there is
    /// none yet, and whichever was stored first is returned.
    pub async fn server_setup(&self, fresh: Vec<u8>) -> Result<Vec<u8>, VaultError> {
        each!(self, v => v.server_setup(fresh).await)
    }

    /// Adds a pod.
    pub async fn create_pod(&self, pod: NewPod, now: DateTime<Utc>) -> Result<(), VaultError> {
        each!(self, v => v.create_pod(pod, now).await)
    }

    /// A pod's account, unless it does not exist.
    pub async fn account(&self, pod_id: PodId) -> Result<Option<Account>, VaultError> {
        each!(self, v => v.account(pod_id).await)
    }

    /// Replaces credentials in one transaction and ends every session of the pod but `keep`.
    pub async fn replace_credentials(
        &self,
        pod_id: PodId,
        passphrase: Option<CredentialUpdate>,
        recovery: Option<CredentialUpdate>,
        keep: [u8; 32],
    ) -> Result<(), VaultError> {
        each!(self, v => v.replace_credentials(pod_id, passphrase, recovery, keep).await)
    }

    /// Crypto-shredding: first destroys, in one transaction, everything that could open the pod
    /// (both wrapped identity files, both OPAQUE records, the wrapped data key in `meta`, and
    /// every session), then deletes the rest.
    pub async fn delete_pod(&self, pod_id: PodId) -> Result<(), VaultError> {
        self.shred_keys(pod_id).await?;
        self.delete_rest(pod_id).await
    }

    /// The first step of [`Vault::delete_pod`], on its own for tests.
    pub async fn shred_keys(&self, pod_id: PodId) -> Result<(), VaultError> {
        each!(self, v => v.shred_keys(pod_id).await)
    }

    /// The second step of [`Vault::delete_pod`].
    pub async fn delete_rest(&self, pod_id: PodId) -> Result<(), VaultError> {
        each!(self, v => v.delete_rest(pod_id).await)
    }

    /// Every record's name, size and version.
    pub async fn list(&self, pod_id: PodId) -> Result<Vec<RecordInfo>, VaultError> {
        each!(self, v => v.list(pod_id).await)
    }

    /// One record.
    pub async fn get(&self, pod_id: PodId, name: &str) -> Result<Option<StoredRecord>, VaultError> {
        each!(self, v => v.get(pod_id, name).await)
    }

    /// Every record with its bytes, for an export.
    pub async fn all_records(&self, pod_id: PodId) -> Result<Vec<(String, Vec<u8>)>, VaultError> {
        each!(self, v => v.all_records(pod_id).await)
    }

    /// Applies `writes` all together or not at all, with one durable commit, if every
    /// expectation holds and the pod stays within `quota`. Returns the new versions.
    pub async fn write(&self, pod_id: PodId, writes: Vec<Write>, quota: Usage) -> Result<Vec<RecordInfo>, VaultError> {
        each!(self, v => v.write(pod_id, writes, quota).await)
    }

    /// Stores a session.
    pub async fn create_session(&self, token_hash: [u8; 32], session: SessionRow) -> Result<(), VaultError> {
        each!(self, v => v.create_session(token_hash, session).await)
    }

    /// The session with this token hash, if it has not expired at `now`; its expiry moves to
    /// `now + idle` when less than half of that is left.
    pub async fn session(
        &self,
        token_hash: [u8; 32],
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> Result<Option<SessionRow>, VaultError> {
        each!(self, v => v.session(token_hash, now, idle).await)
    }

    /// The session with this token hash (as [`Vault::session`]) and, if it is a session, its pod's
    /// record `name`, in one round trip: the hot path of a pod's reads.
    pub async fn session_and_record(
        &self,
        token_hash: [u8; 32],
        now: DateTime<Utc>,
        idle: chrono::Duration,
        name: &str,
    ) -> Result<Option<(SessionRow, Option<StoredRecord>)>, VaultError> {
        match self {
            Vault::Postgres(v) => v.session_and_record(token_hash, now, idle, name).await,
            Vault::Sled(v) => {
                let Some(session) = v.session(token_hash, now, idle).await? else {
                    return Ok(None);
                };
                let record = v.get(session.pod_id, name).await?;
                Ok(Some((session, record)))
            }
        }
    }

    /// Ends a session.
    pub async fn end_session(&self, token_hash: [u8; 32]) -> Result<(), VaultError> {
        each!(self, v => v.end_session(token_hash).await)
    }

    /// Keeps a login between its two messages.
    pub async fn put_login(&self, login_id: [u8; 16], login: PendingLogin) -> Result<(), VaultError> {
        each!(self, v => v.put_login(login_id, login).await)
    }

    /// Takes a pending login out (it can be finished once), unless it expired.
    pub async fn take_login(&self, login_id: [u8; 16], now: DateTime<Utc>) -> Result<Option<PendingLogin>, VaultError> {
        each!(self, v => v.take_login(login_id, now).await)
    }

    /// Adds `delta` to the counter `key` in its current window of `window` and returns the new
    /// count; a window that ended starts again at zero.
    pub async fn count(
        &self,
        key: &str,
        delta: i64,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Result<i64, VaultError> {
        each!(self, v => v.count(key, delta, now, window).await)
    }

    /// Removes expired sessions, logins and counters.
    pub async fn prune(&self, now: DateTime<Utc>) -> Result<u64, VaultError> {
        each!(self, v => v.prune(now).await)
    }

    /// Whether the storage answers.
    pub async fn ready(&self) -> bool {
        each!(self, v => v.ready().await)
    }
}
