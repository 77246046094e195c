//! The provider's pods (tenants): sign-up, unlock, export, import, fetch quota and
//! crypto-shredding, over a [`Registry`] (PostgreSQL or sled). The provider stores only what it
//! cannot open.

use std::sync::Arc;

use age::secrecy::SecretString;
use age::x25519;

use super::registry::{PgRegistry, Registry, SledRegistry};
use crate::store::backend::{Change, Store};
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

/// The provider's pods.
pub struct Tenants {
    registry: Box<dyn Registry>,
    quota: Quota,
    fetches_per_hour: u32,
}

impl Tenants {
    /// The pods in a PostgreSQL `database`, each limited by `quotas`.
    pub fn new(database: Arc<Database>, quotas: &super::config::Quotas) -> Self {
        Self::with_registry(Box::new(PgRegistry { database }), quotas)
    }

    /// The pods in a sled database in `dir`, for a small provider with one server.
    pub fn sled(dir: &std::path::Path, quotas: &super::config::Quotas) -> Result<Self, PodError> {
        Ok(Self::with_registry(Box::new(SledRegistry::open(dir)?), quotas))
    }

    fn with_registry(registry: Box<dyn Registry>, quotas: &super::config::Quotas) -> Self {
        Self {
            registry,
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
        self.registry.insert(
            pod_id,
            recipient.to_string(),
            (identity, recovery),
            vec![(crate::store::Space::Meta, crate::store::pod::DATA_KEY.to_vec(), wrapped_key)],
        )?;
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
            .into_iter()
            .filter_map(|change| match change {
                Change::Put(space, key, value) => Some((space, key, value)),
                Change::Delete(..) => None,
            })
            .collect();
        let pod_id = *RecordId::random().as_bytes();
        self.registry.insert(
            pod_id,
            identity.to_public().to_string(),
            (backup.identity_file, backup.recovery_file),
            values,
        )?;
        // Verify it the way `pod restore` does; undo the import if anything does not open.
        let verified = UnlockedPod::open_hosted(pod_id, self.registry.store(pod_id, None), identity)
            .and_then(|pod| pod.verify());
        match verified {
            Ok(records) => Ok((pod_id, records)),
            Err(e) => {
                self.delete(pod_id)?;
                Err(TenantError::Invalid(format!("the backup does not open: {e}")))
            }
        }
    }

    /// Whether a pod exists (and was not deleted).
    pub fn exists(&self, pod_id: PodId) -> Result<bool, TenantError> {
        Ok(self.wrapped_identity(pod_id)?.is_some())
    }

    fn wrapped_identity(&self, pod_id: PodId) -> Result<Option<super::registry::WrappedIdentity>, TenantError> {
        self.registry.wrapped_identity(pod_id)
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
        Ok(UnlockedPod::open_hosted(pod_id, self.registry.store(pod_id, Some(self.quota)), identity)?)
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
        self.registry.set_identity(pod_id, keys::wrap_identity(&identity, new, cost), None)?;
        tracing::info!("pod passphrase changed");
        Ok(())
    }

    /// A forgotten passphrase: the recovery code opens the recovery file, the identity is wrapped
    /// with `new`, and a new recovery code replaces the used one (returned, to show once).
    pub fn recover(
        &self,
        pod_id: PodId,
        code: &SecretString,
        new: &SecretString,
        cost: crate::store::KdfCost,
    ) -> Result<SecretString, TenantError> {
        keys::check_passphrase(new).map_err(PodError::WeakPassphrase)?;
        let code = keys::normalise_recovery_code(code).map_err(TenantError::Invalid)?;
        let (_, recovery_file) = self.wrapped_identity(pod_id)?.ok_or(TenantError::NotFound)?;
        let identity = match keys::unwrap_identity(&recovery_file, &code, "recovery") {
            Ok(identity) => identity,
            Err(KeyError::WrongSecret) => return Err(PodError::WrongRecoveryCode.into()),
            Err(e) => return Err(PodError::Damaged(e.to_string()).into()),
        };
        let next_code = keys::generate_recovery_code();
        self.registry.set_identity(
            pod_id,
            keys::wrap_identity(&identity, new, cost),
            Some(keys::wrap_identity(&identity, &next_code, cost)),
        )?;
        tracing::info!("pod recovered with its recovery code");
        Ok(next_code)
    }

    /// The pod in `backup` format, which `pod restore` takes unchanged. Only ciphertext; the
    /// caller checks the passphrase first, since the file holds the wrapped identity.
    pub fn export(&self, pod_id: PodId) -> Result<Vec<u8>, TenantError> {
        let (identity, recovery) = self.wrapped_identity(pod_id)?.ok_or(TenantError::NotFound)?;
        let store = self.registry.store(pod_id, None);
        Ok(crate::store::backup::backup_bytes(&identity, &recovery, store.as_ref())?.0)
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
        self.registry.shred_keys(pod_id)?;
        tracing::info!("pod keys destroyed");
        Ok(())
    }

    fn delete_values(&self, pod_id: PodId) -> Result<(), TenantError> {
        self.registry.delete_values(pod_id)?;
        tracing::info!("pod data deleted");
        Ok(())
    }

    /// Counts a fetch the citizen starts; false when this hour's quota is used up. Atomic in
    /// the database, so every server counts against the same quota.
    pub fn allow_fetch(&self, pod_id: PodId) -> Result<bool, TenantError> {
        match self.registry.count_fetch(pod_id)? {
            Some(count) => Ok(count <= i64::from(self.fetches_per_hour)),
            None => Err(TenantError::NotFound),
        }
    }

    /// How many values the database holds for a pod, in any space (for tests of deletion).
    #[doc(hidden)]
    pub fn stored_values(&self, pod_id: PodId) -> Result<i64, TenantError> {
        self.registry.stored_values(pod_id)
    }

    /// The store of a pod as the provider sees it at rest (ciphertext only).
    #[doc(hidden)]
    pub fn raw_store(&self, pod_id: PodId) -> Box<dyn Store> {
        self.registry.store(pod_id, None)
    }

    /// Whether the storage answers.
    pub fn ready(&self) -> bool {
        self.registry.ready()
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
