//! The provider's pods (tenants) in PostgreSQL: sign-up, unlock, export, fetch quota and
//! crypto-shredding. The provider stores only what it cannot open.

use std::sync::Arc;

use age::secrecy::SecretString;
use age::x25519;
use chrono::Utc;

use crate::store::backend::Store;
use crate::store::keys::{self, KeyError};
use crate::store::postgres::{Database, Quota};
use crate::store::seal::DataKey;
use crate::store::{PodError, RecordId, UnlockedPod};
use crate::web::PodOpener;

/// A pod's id at the provider: 16 random bytes, 32 hex digits in URLs.
pub type PodId = [u8; 16];

/// The largest wrapped identity file accepted (a real one is about 200 bytes).
const MAX_IDENTITY_FILE: usize = 4096;

/// What a citizen's browser sends to sign up. It made the key itself: the provider never sees
/// the passphrase, the recovery code or the identity.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signup {
    /// The public recipient (`age1…`).
    pub recipient: String,
    /// The identity, age-encrypted with the passphrase (scrypt), base64.
    pub identity: String,
    /// The identity, age-encrypted with the recovery code (scrypt), base64.
    pub recovery: String,
}

/// Why a provider operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    /// The request is malformed; the message says what to fix.
    #[error("{0}")]
    Invalid(String),
    /// No such pod (or it was deleted).
    #[error("there is no pod with this id")]
    NotFound,
    /// The pod's own error (wrong passphrase, damaged, …).
    #[error(transparent)]
    Pod(#[from] PodError),
}

impl From<crate::store::backend::BackendError> for TenantError {
    fn from(e: crate::store::backend::BackendError) -> Self {
        TenantError::Pod(e.into())
    }
}

fn db_error(e: tokio_postgres::Error) -> TenantError {
    TenantError::Pod(PodError::Io(format!("database: {e}")))
}

fn pool_error(e: deadpool_postgres::PoolError) -> TenantError {
    TenantError::Pod(PodError::Io(format!("database connection: {e}")))
}

/// Checks that `file` looks like an age file wrapped with a passphrase (scrypt), without
/// being able to open it.
fn check_wrapped_identity(what: &str, base64_text: &str) -> Result<Vec<u8>, TenantError> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64_text.trim())
        .map_err(|_| TenantError::Invalid(format!("{what} is not base64")))?;
    if bytes.len() > MAX_IDENTITY_FILE {
        return Err(TenantError::Invalid(format!("{what} is larger than {MAX_IDENTITY_FILE} bytes")));
    }
    let header_ok = bytes.starts_with(b"age-encryption.org/v1\n-> scrypt ");
    if !header_ok {
        return Err(TenantError::Invalid(format!(
            "{what} must be an age file encrypted with a passphrase (scrypt)"
        )));
    }
    Ok(bytes)
}

/// The identity wrapped by the passphrase, and by the recovery code.
type WrappedIdentity = (Vec<u8>, Vec<u8>);

/// The provider's pods.
pub struct Tenants {
    database: Arc<Database>,
    quota: Quota,
    fetches_per_hour: u32,
}

impl Tenants {
    /// The pods in `database`, each limited by `quotas`.
    pub fn new(database: Arc<Database>, quotas: &super::config::Quotas) -> Self {
        Self {
            database,
            quota: Quota {
                records: quotas.records,
                bytes: quotas.bytes,
            },
            fetches_per_hour: quotas.fetches_per_hour,
        }
    }

    /// Creates a pod from what the citizen's browser made. The data key is new and wrapped to
    /// the citizen's recipient, so from the first byte only the citizen can open the pod.
    pub fn create(&self, signup: &Signup) -> Result<PodId, TenantError> {
        let recipient: x25519::Recipient = signup
            .recipient
            .trim()
            .parse()
            .map_err(|_| TenantError::Invalid("recipient is not an age X25519 recipient (age1…)".to_owned()))?;
        let identity = check_wrapped_identity("identity", &signup.identity)?;
        let recovery = check_wrapped_identity("recovery", &signup.recovery)?;
        let wrapped_key = crate::store::pod::wrap_data_key(&DataKey::generate(), &recipient);
        let pod_id = *RecordId::random().as_bytes();
        self.insert(pod_id, recipient.to_string(), identity, recovery, vec![(
            0,
            crate::store::pod::DATA_KEY.to_vec(),
            wrapped_key,
        )])?;
        tracing::info!("pod signed up");
        Ok(pod_id)
    }

    /// Creates a pod from a `pod backup` file (another provider's export, or a self-hosted
    /// pod), checked with the citizen's passphrase exactly as `pod restore` would.
    pub fn import(&self, backup: &[u8], passphrase: &SecretString) -> Result<(PodId, usize), TenantError> {
        let backup = crate::store::backup::read_backup(backup, "the uploaded file")?;
        let identity = match keys::unwrap_identity(&backup.identity_file, passphrase, "the backup's identity") {
            Ok(identity) => identity,
            Err(KeyError::WrongSecret) => return Err(PodError::WrongPassphrase.into()),
            Err(e) => return Err(TenantError::Invalid(e.to_string())),
        };
        let values = backup
            .changes
            .iter()
            .filter_map(|change| match change {
                crate::store::backend::Change::Put(space, key, value) => Some((
                    match space {
                        crate::store::Space::Meta => 0,
                        crate::store::Space::Records => 1,
                        crate::store::Space::Index => 2,
                    },
                    key.clone(),
                    value.clone(),
                )),
                crate::store::backend::Change::Delete(..) => None,
            })
            .collect();
        let pod_id = *RecordId::random().as_bytes();
        self.insert(
            pod_id,
            identity.to_public().to_string(),
            backup.identity_file,
            backup.recovery_file,
            values,
        )?;
        // Verify it the way `pod restore` does; undo the import if anything does not open.
        let verified = UnlockedPod::open_hosted(pod_id, Box::new(self.database.store(pod_id, None)), identity)
            .and_then(|pod| pod.verify());
        match verified {
            Ok(records) => Ok((pod_id, records)),
            Err(e) => {
                self.delete(pod_id)?;
                Err(TenantError::Invalid(format!("the backup does not open: {e}")))
            }
        }
    }

    fn insert(
        &self,
        pod_id: PodId,
        recipient: String,
        identity: Vec<u8>,
        recovery: Vec<u8>,
        values: Vec<(i16, Vec<u8>, Vec<u8>)>,
    ) -> Result<(), TenantError> {
        let pool = self.database.pool();
        self.database.run(async move {
            let mut client = pool.get().await.map_err(pool_error)?;
            let transaction = client.transaction().await.map_err(db_error)?;
            transaction
                .execute(
                    "INSERT INTO betaalpod_pods (pod_id, created_at, recipient, identity, recovery) VALUES ($1, $2, $3, $4, $5)",
                    &[&pod_id.as_slice(), &Utc::now(), &recipient, &identity, &recovery],
                )
                .await
                .map_err(db_error)?;
            for (space, key, value) in &values {
                transaction
                    .execute(
                        "INSERT INTO betaalpod_values (pod_id, space, key, value) VALUES ($1, $2, $3, $4)",
                        &[&pod_id.as_slice(), space, key, value],
                    )
                    .await
                    .map_err(db_error)?;
            }
            transaction.commit().await.map_err(db_error)
        })
    }

    /// Whether a pod exists (and was not deleted).
    pub fn exists(&self, pod_id: PodId) -> Result<bool, TenantError> {
        Ok(self.wrapped_identity(pod_id)?.is_some())
    }

    /// The identity wrapped by the passphrase and by the recovery code, unless deleted.
    fn wrapped_identity(&self, pod_id: PodId) -> Result<Option<WrappedIdentity>, TenantError> {
        let pool = self.database.pool();
        self.database.run(async move {
            let client = pool.get().await.map_err(pool_error)?;
            let row = client
                .query_opt(
                    "SELECT identity, recovery FROM betaalpod_pods WHERE pod_id = $1 AND identity IS NOT NULL",
                    &[&pod_id.as_slice()],
                )
                .await
                .map_err(db_error)?;
            Ok(row.map(|row| (row.get(0), row.get(1))))
        })
    }

    /// Unwraps the pod's identity with `passphrase` (in this server's memory only) and opens
    /// its store.
    pub fn unlock(&self, pod_id: PodId, passphrase: &SecretString) -> Result<UnlockedPod, TenantError> {
        let (identity_file, _) = self.wrapped_identity(pod_id)?.ok_or(TenantError::NotFound)?;
        let identity = match keys::unwrap_identity(&identity_file, passphrase, "identity") {
            Ok(identity) => identity,
            Err(KeyError::WrongSecret) => return Err(PodError::WrongPassphrase.into()),
            Err(e) => return Err(PodError::Damaged(e.to_string()).into()),
        };
        let store = self.database.store(pod_id, Some(self.quota));
        Ok(UnlockedPod::open_hosted(pod_id, Box::new(store), identity)?)
    }

    /// Re-wraps a pod's identity with `new`, after checking `current` (in memory, like unlock).
    pub fn change_passphrase(
        &self,
        pod_id: PodId,
        current: &SecretString,
        new: &SecretString,
        cost: crate::store::KdfCost,
    ) -> Result<(), TenantError> {
        keys::check_passphrase(new).map_err(PodError::WeakPassphrase)?;
        let (identity_file, _) = self.wrapped_identity(pod_id)?.ok_or(TenantError::NotFound)?;
        let identity = match keys::unwrap_identity(&identity_file, current, "identity") {
            Ok(identity) => identity,
            Err(KeyError::WrongSecret) => return Err(PodError::WrongPassphrase.into()),
            Err(e) => return Err(PodError::Damaged(e.to_string()).into()),
        };
        let wrapped = keys::wrap_identity(&identity, new, cost);
        let pool = self.database.pool();
        self.database.run(async move {
            let client = pool.get().await.map_err(pool_error)?;
            client
                .execute(
                    "UPDATE betaalpod_pods SET identity = $2 WHERE pod_id = $1 AND identity IS NOT NULL",
                    &[&pod_id.as_slice(), &wrapped],
                )
                .await
                .map_err(db_error)
        })?;
        tracing::info!("pod passphrase changed");
        Ok(())
    }

    /// The pod in `backup` format, which `pod restore` takes unchanged. Only ciphertext; the
    /// caller checks the passphrase first, since the file holds the wrapped identity.
    pub fn export(&self, pod_id: PodId) -> Result<Vec<u8>, TenantError> {
        let (identity, recovery) = self.wrapped_identity(pod_id)?.ok_or(TenantError::NotFound)?;
        let store = self.database.store(pod_id, None);
        Ok(crate::store::backup::backup_bytes(&identity, &recovery, &store)?.0)
    }

    /// Deletes a pod by destroying its keys first (the wrapped identity, the recovery file and
    /// the wrapped data key, in one transaction), then its data. Should the second step not
    /// happen, what is left can no longer be opened by anyone.
    pub fn delete(&self, pod_id: PodId) -> Result<(), TenantError> {
        self.shred_keys(pod_id)?;
        self.delete_values(pod_id)
    }

    /// Step one of [`Tenants::delete`]: the keys.
    #[doc(hidden)]
    pub fn shred_keys(&self, pod_id: PodId) -> Result<(), TenantError> {
        let pool = self.database.pool();
        self.database.run(async move {
            let mut client = pool.get().await.map_err(pool_error)?;
            let transaction = client.transaction().await.map_err(db_error)?;
            transaction
                .execute(
                    "UPDATE betaalpod_pods SET identity = NULL, recovery = NULL WHERE pod_id = $1",
                    &[&pod_id.as_slice()],
                )
                .await
                .map_err(db_error)?;
            transaction
                .execute(
                    "DELETE FROM betaalpod_values WHERE pod_id = $1 AND space = 0",
                    &[&pod_id.as_slice()],
                )
                .await
                .map_err(db_error)?;
            transaction.commit().await.map_err(db_error)
        })?;
        tracing::info!("pod keys destroyed");
        Ok(())
    }

    fn delete_values(&self, pod_id: PodId) -> Result<(), TenantError> {
        let pool = self.database.pool();
        self.database.run(async move {
            let client = pool.get().await.map_err(pool_error)?;
            client
                .execute("DELETE FROM betaalpod_values WHERE pod_id = $1", &[&pod_id.as_slice()])
                .await
                .map_err(db_error)?;
            client
                .execute("DELETE FROM betaalpod_pods WHERE pod_id = $1", &[&pod_id.as_slice()])
                .await
                .map_err(db_error)
        })?;
        tracing::info!("pod data deleted");
        Ok(())
    }

    /// Counts a fetch the citizen starts; false when this hour's quota is used up. Atomic in
    /// the database, so every server counts against the same quota.
    pub fn allow_fetch(&self, pod_id: PodId) -> Result<bool, TenantError> {
        let (pool, limit) = (self.database.pool(), self.fetches_per_hour as i32);
        self.database.run(async move {
            let client = pool.get().await.map_err(pool_error)?;
            let row = client
                .query_opt(
                    "UPDATE betaalpod_pods SET \
                       fetch_window_start = CASE WHEN fetch_window_start IS NULL OR fetch_window_start < $2 THEN $3 ELSE fetch_window_start END, \
                       fetches_in_window = CASE WHEN fetch_window_start IS NULL OR fetch_window_start < $2 THEN 1 ELSE fetches_in_window + 1 END \
                     WHERE pod_id = $1 AND identity IS NOT NULL RETURNING fetches_in_window",
                    &[&pod_id.as_slice(), &(Utc::now() - chrono::Duration::hours(1)), &Utc::now()],
                )
                .await
                .map_err(db_error)?;
            match row {
                Some(row) => Ok(row.get::<_, i32>(0) <= limit),
                None => Err(TenantError::NotFound),
            }
        })
    }

    /// How many values the database holds for a pod, in any space (for tests of deletion).
    #[doc(hidden)]
    pub fn stored_values(&self, pod_id: PodId) -> Result<i64, TenantError> {
        let pool = self.database.pool();
        self.database.run(async move {
            let client = pool.get().await.map_err(pool_error)?;
            let row = client
                .query_one(
                    "SELECT (SELECT count(*) FROM betaalpod_values WHERE pod_id = $1) + (SELECT count(*) FROM betaalpod_pods WHERE pod_id = $1)",
                    &[&pod_id.as_slice()],
                )
                .await
                .map_err(db_error)?;
            Ok(row.get(0))
        })
    }

    /// The store of a pod as the provider sees it at rest (ciphertext only).
    #[doc(hidden)]
    pub fn raw_store(&self, pod_id: PodId) -> impl Store + use<> {
        self.database.store(pod_id, None)
    }

    /// Whether the database answers.
    pub fn ready(&self) -> bool {
        let pool = self.database.pool();
        self.database.run(async move {
            match pool.get().await {
                Ok(client) => client.simple_query("SELECT 1").await.is_ok(),
                Err(_) => false,
            }
        })
    }
}

/// Opens one provider pod for the web server.
pub struct HostedOpener {
    /// The provider's pods.
    pub tenants: Arc<Tenants>,
    /// This pod.
    pub pod_id: PodId,
}

impl From<TenantError> for PodError {
    fn from(e: TenantError) -> Self {
        match e {
            TenantError::Pod(e) => e,
            TenantError::NotFound => PodError::NotAPod("this provider".to_owned()),
            TenantError::Invalid(message) => PodError::Damaged(message),
        }
    }
}

impl PodOpener for HostedOpener {
    fn unlock(&self, passphrase: &SecretString) -> Result<UnlockedPod, PodError> {
        Ok(self.tenants.unlock(self.pod_id, passphrase)?)
    }

    fn change_passphrase(&self, _pod: &UnlockedPod, current: &SecretString, new: &SecretString) -> Result<(), PodError> {
        Ok(self.tenants.change_passphrase(self.pod_id, current, new, crate::store::KdfCost::Standard)?)
    }
}
