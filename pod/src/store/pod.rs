//! The pod folder and the unlocked session.
//!
//! ```text
//! DIR/pod.toml                 non-secret settings (format, created_at, public recipient)
//! DIR/identity.age             the age identity, wrapped by the passphrase (scrypt)
//! DIR/identity.recovery.age    the same identity, wrapped by the recovery code (scrypt)
//! DIR/store/                   sled: opaque ids → sealed values
//! DIR/pod.lock                 held by the one process that has the pod open
//! ```

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use age::secrecy::SecretString;
use age::x25519;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::backend::{Change, SledStore, Space, Store};
pub use super::error::PodError;
use super::error::io_error;
use super::integrity::{GuardFile, Integrity, Rollback};
use super::keys::{self, KdfCost, KeyError};
use super::lock::ProcessLock;
use super::records::{IndexEntry, RecordId, RecordKind};
use super::seal::DataKey;
use super::throttle;
use pod_core::document_record;
use pod_core::integrity::{Binding, BindingKey, UnwrappedDataKey};
use pod_core::recipients::{FORMER_RECIPIENTS_NAME, Recipients};

/// The Meta key under which the data key is stored, age-encrypted to the citizen's recipient.
pub(crate) const DATA_KEY: &[u8] = pod_core::records::DATA_KEY_NAME;

/// Something the citizen must be told after unlocking.
#[derive(Debug)]
pub enum Notice {
    /// An interrupted key rotation was completed; the recovery code was replaced by this one.
    RotationCompleted {
        /// The new recovery code, shown once.
        recovery_code: SecretString,
    },
    /// An interrupted key rotation was rolled back; the old key stays in use.
    RotationRolledBack,
    /// A store from an older Betaalpod was bound to the citizen's key and now keeps a manifest,
    /// so a store made by someone else, a deleted record or an older copy is noticed from now on.
    StoreBound,
}

/// Non-secret settings in `DIR/pod.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodConfig {
    /// Always `betaalpod-pod/1`.
    pub format: String,
    /// When the pod was created (RFC 3339).
    pub created_at: String,
    /// The citizen's public age recipient; organisations encrypt to it.
    pub recipient: String,
    /// Lock automatically after this many idle minutes.
    pub auto_lock_minutes: u32,
}

const CONFIG_FORMAT: &str = "betaalpod-pod/1";

/// What `init` produced: show both to the citizen.
#[derive(Debug)]
pub struct Created {
    /// The public recipient (`age1…`).
    pub recipient: String,
    /// The recovery code, shown once and never stored in plaintext.
    pub recovery_code: SecretString,
}

/// A pod folder. Cheap to make; nothing happens on disk until a method is called.
#[derive(Clone, Debug)]
pub struct PodDir {
    root: PathBuf,
}

impl PodDir {
    /// A pod in `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `$XDG_DATA_HOME/betaalpod`, else the platform's data folder.
    pub fn default_location() -> PathBuf {
        if let Some(data) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
            return PathBuf::from(data).join("betaalpod");
        }
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        if cfg!(target_os = "macos") {
            home.join("Library/Application Support/betaalpod")
        } else if let Some(appdata) = std::env::var_os("APPDATA").filter(|_| cfg!(windows)) {
            PathBuf::from(appdata).join("betaalpod")
        } else {
            home.join(".local/share/betaalpod")
        }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// `DIR/identity.age`.
    pub fn identity_path(&self) -> PathBuf {
        self.path("identity.age")
    }

    /// `DIR/identity.recovery.age`.
    pub fn recovery_path(&self) -> PathBuf {
        self.path("identity.recovery.age")
    }

    /// `DIR/store`.
    pub fn store_path(&self) -> PathBuf {
        self.path("store")
    }

    /// `DIR/pod.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.path("pod.toml")
    }

    fn lock(&self) -> Result<ProcessLock, PodError> {
        Ok(ProcessLock::acquire(&self.path("pod.lock"))?)
    }

    /// Refuses to touch a folder that already holds (part of) a pod.
    pub(super) fn ensure_empty(&self) -> Result<(), PodError> {
        for path in [
            self.identity_path(),
            self.recovery_path(),
            self.store_path(),
            self.config_path(),
        ] {
            if path.exists() {
                return Err(PodError::AlreadyExists(path.display().to_string()));
            }
        }
        Ok(())
    }

    /// Creates a pod: a new identity wrapped by `passphrase` and by a fresh recovery code, an
    /// empty store with a data key for that identity, and `pod.toml`.
    pub fn init(&self, passphrase: &SecretString, cost: KdfCost) -> Result<Created, PodError> {
        keys::check_passphrase(passphrase).map_err(PodError::WeakPassphrase)?;
        std::fs::create_dir_all(&self.root).map_err(io_error("create", &self.root))?;
        let _lock = self.lock()?;
        self.ensure_empty()?;
        keys::restrict_permissions(&self.root).map_err(io_error("protect", &self.root))?;

        let identity = x25519::Identity::generate();
        let recipient = identity.to_public();
        let recovery_code = keys::generate_recovery_code();
        // The store first: if we crash before the identity is written, there is no pod yet and
        // `init` explains what is in the way.
        let store = SledStore::open(&self.store_path())?;
        keys::restrict_permissions(&self.store_path()).map_err(io_error("protect", &self.store_path()))?;
        let data_key = DataKey::generate();
        store.commit(vec![
            Change::Put(Space::Meta, DATA_KEY.to_vec(), wrap_data_key(&data_key, &identity)),
            super::integrity::empty_manifest(&data_key),
        ])?;
        drop(store);
        self.write_config(&recipient)?;
        self.write_file(
            &self.recovery_path(),
            &keys::wrap_identity(&identity, &recovery_code, cost),
        )?;
        self.write_file(&self.identity_path(), &keys::wrap_identity(&identity, passphrase, cost))?;
        tracing::info!(dir = %self.root.display(), "pod created");
        Ok(Created {
            recipient: recipient.to_string(),
            recovery_code,
        })
    }

    pub(super) fn write_config(&self, recipient: &x25519::Recipient) -> Result<(), PodError> {
        let config = PodConfig {
            format: CONFIG_FORMAT.to_owned(),
            created_at: Utc::now().to_rfc3339(),
            recipient: recipient.to_string(),
            auto_lock_minutes: 10,
        };
        let previous = self.config().ok();
        let config = PodConfig {
            created_at: previous.map_or(config.created_at.clone(), |p| p.created_at),
            ..config
        };
        let text = toml::to_string_pretty(&config).map_err(|e| PodError::Io(format!("cannot write pod.toml: {e}")))?;
        self.write_file(&self.config_path(), text.as_bytes())
    }

    pub(super) fn write_file(&self, path: &Path, bytes: &[u8]) -> Result<(), PodError> {
        keys::write_atomic(path, bytes).map_err(io_error("write", path))
    }

    pub(super) fn read_file(&self, path: &Path) -> Result<Vec<u8>, PodError> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(PodError::NotAPod(self.root.display().to_string()))
            }
            Err(e) => Err(io_error("read", path)(e)),
        }
    }

    /// Reads `pod.toml`.
    pub fn config(&self) -> Result<PodConfig, PodError> {
        let bytes = self.read_file(&self.config_path())?;
        let text = String::from_utf8(bytes).map_err(|_| PodError::Damaged("pod.toml is not UTF-8 text".to_owned()))?;
        toml::from_str(&text).map_err(|e| PodError::Damaged(format!("pod.toml is invalid: {e}")))
    }

    /// The size of every stored value, per space, exactly as anyone holding the files sees them:
    /// nothing is decrypted and no passphrase is needed. Takes the process lock, so it waits for
    /// no one and fails clearly while another process has the pod open.
    pub fn sealed_sizes(&self) -> Result<Vec<(Space, Vec<usize>)>, PodError> {
        let _lock = self.lock()?;
        let store = SledStore::open(&self.store_path())?;
        Space::ALL
            .into_iter()
            .map(|space| Ok((space, store.scan(space)?.iter().map(|(_, value)| value.len()).collect())))
            .collect()
    }

    /// Whether the folder holds a pod.
    pub fn exists(&self) -> bool {
        self.identity_path().exists()
    }

    /// Opens the pod: takes the process lock, unwraps the identity with `passphrase`, opens the
    /// store and unwraps the data key. Wrong passphrases back off exponentially.
    pub fn unlock(&self, passphrase: &SecretString) -> Result<UnlockedPod, PodError> {
        if let Some(wait) = throttle::with_backoff(&self.root, |b| b.wait_at(Instant::now())) {
            return Err(PodError::BackingOff(wait.as_secs_f64().ceil() as u64));
        }
        self.unlock_with(passphrase, Rollback::Refuse)
    }

    /// [`PodDir::unlock`], accepting a store older than the one this machine saw last, because
    /// the citizen put that older copy in place on purpose (`pod verify --accept-rollback`).
    pub fn unlock_accepting_rollback(&self, passphrase: &SecretString) -> Result<UnlockedPod, PodError> {
        self.unlock_with(passphrase, Rollback::Accept)
    }

    fn unlock_with(&self, passphrase: &SecretString, rollback: Rollback) -> Result<UnlockedPod, PodError> {
        if let Some(wait) = throttle::with_backoff(&self.root, |b| b.wait_at(Instant::now())) {
            return Err(PodError::BackingOff(wait.as_secs_f64().ceil() as u64));
        }
        let lock = self.lock()?;
        let file = self.read_file(&self.identity_path())?;
        let opened = match keys::unwrap_identity_file(&file, passphrase, "identity.age") {
            Ok(opened) => opened,
            Err(KeyError::WrongSecret) => {
                let wait = throttle::with_backoff(&self.root, |b| b.record_failure(Instant::now()));
                tracing::warn!(dir = %self.root.display(), wait_secs = wait.as_secs(), "wrong passphrase");
                return Err(PodError::WrongPassphrase);
            }
            Err(e) => return Err(PodError::Damaged(e.to_string())),
        };
        throttle::reset(&self.root);
        let requires_bound_store = opened.requires_bound_store;
        let pod = self.open_with_identity(lock, opened, rollback)?;
        if !requires_bound_store {
            // The store is bound now; from here on the identity file says so, and an unbound
            // store is refused.
            self.write_file(
                &self.identity_path(),
                &keys::wrap_identity(&pod.identity, passphrase, KdfCost::Standard),
            )?;
            tracing::info!(dir = %self.root.display(), "the identity file now requires a bound store");
        }
        Ok(pod)
    }

    /// Opens the store that belongs to `opened`, finishing or undoing an interrupted rotation,
    /// and checks it: bound to the identity, holding exactly what its manifest lists, and not
    /// older than this machine saw it. A store from before binding is bound now, if the identity
    /// file allows it.
    pub(super) fn open_with_identity(
        &self,
        lock: ProcessLock,
        opened: keys::UnwrappedIdentity,
        rollback: Rollback,
    ) -> Result<UnlockedPod, PodError> {
        let keys::UnwrappedIdentity {
            identity,
            requires_bound_store,
        } = opened;
        if !self.store_path().exists() {
            return Err(PodError::Damaged(format!(
                "the store folder {} is missing; restore the pod from a backup",
                self.store_path().display()
            )));
        }
        let (store, unwrapped, mut notices) = open_matching_store(self, &identity)?;
        pod_core::integrity::require_binding(unwrapped.binding, requires_bound_store)
            .map_err(|e| PodError::Tampered(e.to_string()))?;
        let recipient = identity.to_public();
        let place = std::fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
        let guard = GuardFile::new(BindingKey::derive(&identity), &recipient.to_string(), &place.display().to_string());
        let data_key = unwrapped.key;
        let integrity = if unwrapped.binding == Binding::Unbound || !unwrapped.keeps_manifest {
            let (mut changes, integrity) = Integrity::first(&store, &data_key, guard, rollback)?;
            changes.push(Change::Put(Space::Meta, DATA_KEY.to_vec(), wrap_data_key(&data_key, &identity)));
            store.commit(changes)?;
            tracing::info!(dir = %self.root.display(), "the store is now bound to the identity and keeps a manifest");
            notices.push(Notice::StoreBound);
            integrity
        } else {
            Integrity::check(&store, &data_key, guard, rollback)?
        };
        Ok(UnlockedPod {
            home: Home::Folder {
                dir: self.clone(),
                _lock: lock,
            },
            store: Box::new(store),
            identity,
            recipient,
            data_key,
            integrity,
            notices,
            derived: Default::default(),
        })
    }

    /// Replaces the passphrase: the identity is re-wrapped, nothing else changes.
    pub fn change_passphrase(&self, old: &SecretString, new: &SecretString, cost: KdfCost) -> Result<(), PodError> {
        self.unlock(old)?.change_passphrase(old, new, cost)
    }

    /// Uses the recovery code to set a new passphrase, and replaces the recovery code.
    /// Returns the new recovery code.
    pub fn recover(
        &self,
        code: &SecretString,
        new_passphrase: &SecretString,
        cost: KdfCost,
    ) -> Result<SecretString, PodError> {
        keys::check_passphrase(new_passphrase).map_err(PodError::WeakPassphrase)?;
        let code = keys::normalise_recovery_code(code).map_err(PodError::WeakPassphrase)?;
        if let Some(wait) = throttle::with_backoff(&self.root, |b| b.wait_at(Instant::now())) {
            return Err(PodError::BackingOff(wait.as_secs_f64().ceil() as u64));
        }
        let lock = self.lock()?;
        let file = self.read_file(&self.recovery_path())?;
        let opened = match keys::unwrap_identity_file(&file, &code, "identity.recovery.age") {
            Ok(opened) => opened,
            Err(KeyError::WrongSecret) => {
                throttle::with_backoff(&self.root, |b| b.record_failure(Instant::now()));
                return Err(PodError::WrongRecoveryCode);
            }
            Err(e) => return Err(PodError::Damaged(e.to_string())),
        };
        throttle::reset(&self.root);
        let pod = self.open_with_identity(lock, opened, Rollback::Refuse)?;
        let new_code = keys::generate_recovery_code();
        // The passphrase file first: if we stop in between, the old code still works.
        self.write_file(
            &self.identity_path(),
            &keys::wrap_identity(&pod.identity, new_passphrase, cost),
        )?;
        self.write_file(
            &self.recovery_path(),
            &keys::wrap_identity(&pod.identity, &new_code, cost),
        )?;
        tracing::info!(dir = %self.root.display(), "pod recovered with the recovery code");
        Ok(new_code)
    }

    /// Destroys the pod: the identity files first (after that nothing can be decrypted), then
    /// the store. Every file is overwritten before it is removed.
    pub fn forget_all(&self) -> Result<(), PodError> {
        let _lock = self.lock()?;
        for path in [
            self.identity_path(),
            self.recovery_path(),
            self.path("identity.next.age"),
            self.path("identity.recovery.next.age"),
        ] {
            keys::shred_file(&path).map_err(io_error("destroy", &path))?;
        }
        keys::sync_dir(&self.root).map_err(io_error("sync", &self.root))?;
        for path in [self.store_path(), self.path("store.next"), self.path("store.old")] {
            keys::shred_dir(&path).map_err(io_error("destroy", &path))?;
        }
        keys::shred_file(&self.config_path()).map_err(io_error("destroy", &self.config_path()))?;
        tracing::info!(dir = %self.root.display(), "pod forgotten");
        Ok(())
    }
}

/// Wraps a native store's data key: bound to `identity`, and keeping a manifest.
pub(crate) fn wrap_data_key(data_key: &DataKey, identity: &x25519::Identity) -> Vec<u8> {
    pod_core::integrity::wrap_data_key(data_key, identity, true)
}

/// Unwraps the data key of `store` with `identity`, or `None` if it belongs to another identity.
pub(super) fn unwrap_data_key(store: &dyn Store, identity: &x25519::Identity) -> Result<Option<UnwrappedDataKey>, PodError> {
    use pod_core::integrity::DataKeyError;
    let wrapped = store.get(Space::Meta, DATA_KEY)?.ok_or_else(|| {
        PodError::Damaged("the store has no data key; it is damaged or not a Betaalpod store".to_owned())
    })?;
    match pod_core::integrity::unwrap_data_key(&wrapped, identity) {
        Ok(key) => Ok(Some(key)),
        Err(DataKeyError::OtherIdentity) => Ok(None),
        Err(e @ DataKeyError::Damaged) => Err(PodError::Damaged(e.to_string())),
        Err(e @ DataKeyError::NotBound) => Err(PodError::Tampered(e.to_string())),
    }
}

/// An open, unlocked pod. The identity and the data key live only here, in memory; dropping
/// the handle (or [`UnlockedPod::lock`]) wipes them and releases the process lock.
pub struct UnlockedPod {
    pub(super) home: Home,
    pub(super) store: Box<dyn Store>,
    pub(super) identity: x25519::Identity,
    pub(super) recipient: x25519::Recipient,
    pub(super) data_key: DataKey,
    pub(super) integrity: Integrity,
    pub(super) notices: Vec<Notice>,
    /// What the overview is derived from, opened and parsed once, and dropped with the keys.
    pub(crate) derived: crate::overview::Derived,
}

/// Where an unlocked pod's identity files live.
pub(super) enum Home {
    /// A folder on this machine, held with the process lock for as long as the pod is open.
    Folder { dir: PodDir, _lock: ProcessLock },
    /// A pod at a provider, used from this machine ([`super::remote`]): the provider keeps the
    /// wrapped identity, and passphrase changes happen in its app.
    Provider { url: String },
}

impl std::fmt::Debug for UnlockedPod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut debug = f.debug_struct("UnlockedPod");
        match &self.home {
            Home::Folder { dir, .. } => debug.field("dir", &dir.root),
            Home::Provider { url } => debug.field("provider", url),
        };
        debug.finish_non_exhaustive()
    }
}

/// Records to store together with [`UnlockedPod::commit`], in one atomic, durable write.
#[derive(Default)]
pub struct Batch {
    changes: Vec<Change>,
    records: usize,
    /// The latest document per organisation staged here, for the next one to compare with.
    documents: BTreeMap<String, KeptDocument>,
    /// The store's latest document record per organisation, read once, at the first document.
    stored: Option<BTreeMap<String, (RecordId, IndexEntry)>>,
}

/// A kept document: its record, and its JWS.
type KeptDocument = (RecordId, Zeroizing<Vec<u8>>);

/// A decrypted record.
#[derive(Debug)]
pub struct Record {
    /// What the index says about it.
    pub entry: IndexEntry,
    /// The payload, wiped from memory when dropped.
    pub payload: Zeroizing<Vec<u8>>,
}

impl UnlockedPod {
    /// Locks the pod: the keys are wiped and the process lock released.
    pub fn lock(self) {}

    /// Opens a pod at a provider whose records `store` reaches, with the `identity` just
    /// unwrapped on this machine. Fails if the store's data key is not for this identity.
    /// A store that keeps a manifest is checked against it and against this machine's guard; one
    /// from before binding is used only when `opened`'s identity file allows it.
    pub fn open_at_provider(url: &str, store: Box<dyn Store>, opened: keys::UnwrappedIdentity) -> Result<Self, PodError> {
        let keys::UnwrappedIdentity {
            identity,
            requires_bound_store,
        } = opened;
        let unwrapped = unwrap_data_key(store.as_ref(), &identity)?
            .ok_or_else(|| PodError::Damaged("this pod's records belong to another key".to_owned()))?;
        pod_core::integrity::require_binding(unwrapped.binding, requires_bound_store)
            .map_err(|e| PodError::Tampered(e.to_string()))?;
        let recipient = identity.to_public();
        let data_key = unwrapped.key;
        let guard = GuardFile::new(BindingKey::derive(&identity), &recipient.to_string(), url);
        let integrity = if unwrapped.keeps_manifest {
            Integrity::check(store.as_ref(), &data_key, guard, Rollback::Refuse)?
        } else {
            Integrity::without_manifest(guard)?
        };
        Ok(Self {
            home: Home::Provider { url: url.to_owned() },
            store,
            identity,
            recipient,
            data_key,
            integrity,
            notices: Vec::new(),
            derived: Default::default(),
        })
    }

    /// The pod folder, for a pod on this machine (`None` for one at a provider).
    pub fn dir(&self) -> Option<&PodDir> {
        match &self.home {
            Home::Folder { dir, .. } => Some(dir),
            Home::Provider { .. } => None,
        }
    }

    /// The folder, or an error that says where to do `what` for a pod at a provider.
    pub(super) fn folder(&self, what: &str) -> Result<&PodDir, PodError> {
        self.dir().ok_or_else(|| {
            PodError::Unsupported(format!(
                "{what} is done in your provider's app for a pod at a provider; this machine only opens it"
            ))
        })
    }

    /// The citizen's public recipient; organisations encrypt their answers to it.
    pub fn recipient(&self) -> &x25519::Recipient {
        &self.recipient
    }

    /// Every recipient this pod has had: the current one, and those it had before key
    /// rotations. A stored document made for any of them was made for this pod.
    pub fn recipients(&self) -> Result<Recipients, PodError> {
        let sealed = self.store.get(Space::Meta, FORMER_RECIPIENTS_NAME)?;
        Recipients::open(self.recipient.to_string(), &self.data_key, sealed.as_deref())
            .map_err(|e| PodError::Tampered(e.to_string()))
    }

    /// The proof that the citizen asked for a fetch, borrowing the unlocked identity. Only an
    /// unlocked pod can make one, which is why nothing can fetch in the background.
    pub fn citizen_request(&self) -> fetcher::CitizenRequest<'_> {
        fetcher::CitizenRequest::from_unlocked_identity(&self.identity)
    }

    /// Replaces the passphrase of this open pod, after checking the current one.
    pub fn change_passphrase(&self, current: &SecretString, new: &SecretString, cost: KdfCost) -> Result<(), PodError> {
        keys::check_passphrase(new).map_err(PodError::WeakPassphrase)?;
        let dir = self.folder("changing the passphrase")?;
        let file = dir.read_file(&dir.identity_path())?;
        match keys::unwrap_identity(&file, current, "identity.age") {
            Ok(_) => {}
            Err(KeyError::WrongSecret) => return Err(PodError::WrongPassphrase),
            Err(e) => return Err(PodError::Damaged(e.to_string())),
        }
        dir.write_file(
            &dir.identity_path(),
            &keys::wrap_identity(&self.identity, new, cost),
        )?;
        tracing::info!(dir = %dir.root.display(), "passphrase changed");
        Ok(())
    }

    /// Notices from unlocking (an interrupted rotation that was finished or undone).
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// Stores a record. A new record never replaces an old one: history is never lost.
    pub fn put(&self, kind: RecordKind, source: Option<&str>, payload: &[u8]) -> Result<RecordId, PodError> {
        let mut batch = Batch::default();
        let id = self.stage(&mut batch, kind, source, payload);
        self.commit(batch)?;
        Ok(id)
    }

    /// Adds a record to `batch`; nothing is stored until [`UnlockedPod::commit`].
    pub fn stage(&self, batch: &mut Batch, kind: RecordKind, source: Option<&str>, payload: &[u8]) -> RecordId {
        let id = RecordId::random();
        let entry = IndexEntry {
            kind,
            source: source.map(str::to_owned),
            created_at: Utc::now(),
            len: payload.len() as u64,
        };
        batch.changes.extend(self.sealed_pair(&id, &entry, payload));
        batch.records += 1;
        id
    }

    /// Stores every record of `batch` in one atomic, durable write: all of them or, after a
    /// crash or an error, none.
    pub fn commit(&self, batch: Batch) -> Result<(), PodError> {
        if batch.changes.is_empty() {
            return Ok(());
        }
        let committed = self.integrity.commit(self.store.as_ref(), &self.data_key, batch.changes);
        self.derived.changed();
        committed?;
        tracing::debug!(records = batch.records, "committed");
        Ok(())
    }

    pub(super) fn sealed_pair(&self, id: &RecordId, entry: &IndexEntry, payload: &[u8]) -> Vec<Change> {
        sealed_pair(&self.data_key, id, entry, payload)
    }

    /// Stores a claim document as received (an age file the organisation encrypted to this pod's
    /// recipient). It must open with this pod's key, so nothing unreadable is kept. Returns the
    /// record that holds the document (see [`UnlockedPod::stage_document`]).
    pub fn put_document(&self, source: &str, encrypted: &[u8]) -> Result<RecordId, PodError> {
        let mut batch = Batch::default();
        let id = self.stage_document(&mut batch, source, encrypted)?;
        self.commit(batch)?;
        Ok(id)
    }

    /// Adds a claim document to `batch` (see [`UnlockedPod::put_document`]): the signed JWS, kept
    /// as it was signed and compressed. When it carries the same FCID document as the
    /// organisation's latest one, nothing is added, and the id of that record is returned for the
    /// fetch's log entry to name.
    pub fn stage_document(&self, batch: &mut Batch, source: &str, encrypted: &[u8]) -> Result<RecordId, PodError> {
        let jws = Zeroizing::new(age::decrypt(&self.identity, encrypted).map_err(|_| PodError::NotForThisPod)?);
        let previous = match batch.documents.remove(source) {
            Some(staged) => Some(staged),
            None => {
                if batch.stored.is_none() {
                    batch.stored = Some(self.latest_documents()?);
                }
                match batch.stored.as_mut().and_then(|stored| stored.remove(source)) {
                    Some((id, _)) => self.previous_document(id)?,
                    None => None,
                }
            }
        };
        let (id, latest) = match previous {
            Some((id, previous_jws)) if document_record::same_content(&jws, &previous_jws) => (id, previous_jws),
            _ => {
                let record = document_record::encode_signed(&jws);
                (self.stage(batch, RecordKind::Document, Some(source), &record), jws)
            }
        };
        batch.documents.insert(source.to_owned(), (id, latest));
        Ok(id)
    }

    /// The organisation's latest stored document, `id`, to compare a new one with.
    fn previous_document(&self, id: RecordId) -> Result<Option<KeptDocument>, PodError> {
        match self.open_document(&id) {
            Ok(jws) => Ok(Some((id, jws))),
            // A damaged earlier document must not stop a new one from being stored.
            Err(PodError::Damaged(why)) => {
                tracing::warn!(%why, "the previous document does not open; storing the new one in full");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Reads and decrypts one record.
    pub fn get(&self, id: &RecordId) -> Result<Record, PodError> {
        let entry = self.entry(id)?;
        let sealed = self
            .store
            .get(Space::Records, id.as_bytes())?
            .ok_or(PodError::NotFound(*id))?;
        let payload = self
            .data_key
            .open(Space::Records.name(), id.as_bytes(), &sealed)
            .ok_or_else(|| PodError::Damaged(format!("record {id} is damaged and cannot be decrypted")))?;
        Ok(Record { entry, payload })
    }

    fn entry(&self, id: &RecordId) -> Result<IndexEntry, PodError> {
        let sealed = self
            .store
            .get(Space::Index, id.as_bytes())?
            .ok_or(PodError::NotFound(*id))?;
        self.open_entry(id, &sealed)
    }

    fn open_entry(&self, id: &RecordId, sealed: &[u8]) -> Result<IndexEntry, PodError> {
        let json = self
            .data_key
            .open(Space::Index.name(), id.as_bytes(), sealed)
            .ok_or_else(|| PodError::Damaged(format!("the index entry of record {id} is damaged")))?;
        serde_json::from_slice(&json)
            .map_err(|_| PodError::Damaged(format!("the index entry of record {id} is damaged")))
    }

    /// A stored claim document: the organisation's signed JWS, exactly as it was signed.
    pub fn open_document(&self, id: &RecordId) -> Result<Zeroizing<Vec<u8>>, PodError> {
        let record = self.get(id)?;
        if record.entry.kind != RecordKind::Document {
            return Err(PodError::NotFound(*id));
        }
        document_record::open(&record.payload, &self.identity).map_err(|e| PodError::Damaged(format!("document {id}: {e}")))
    }

    /// Every record's index entry, oldest first.
    pub fn index(&self) -> Result<Vec<(RecordId, IndexEntry)>, PodError> {
        let mut entries = Vec::new();
        for (key, sealed) in self.store.scan(Space::Index)? {
            let id = RecordId::from_key(&key)
                .ok_or_else(|| PodError::Damaged("the index holds a malformed key".to_owned()))?;
            entries.push((id, self.open_entry(&id, &sealed)?));
        }
        entries.sort_by_key(|(id, entry)| (entry.created_at, *id));
        Ok(entries)
    }

    /// Every stored document snapshot (of one source, if given), oldest first.
    pub fn history(&self, source: Option<&str>) -> Result<Vec<(RecordId, IndexEntry)>, PodError> {
        Ok(self
            .index()?
            .into_iter()
            .filter(|(_, e)| e.kind == RecordKind::Document && source.is_none_or(|s| e.source.as_deref() == Some(s)))
            .collect())
    }

    /// The latest document snapshot per source: what the overview shows.
    pub fn latest_documents(&self) -> Result<BTreeMap<String, (RecordId, IndexEntry)>, PodError> {
        let mut latest = BTreeMap::new();
        for (id, entry) in self.history(None)? {
            if let Some(source) = entry.source.clone() {
                latest.insert(source, (id, entry));
            }
        }
        Ok(latest)
    }

    /// Deletes every record of one source (documents and log entries), in one atomic step.
    /// Returns how many records were removed. Only ever called on the citizen's explicit request.
    pub fn forget_source(&self, source: &str) -> Result<usize, PodError> {
        let doomed: Vec<RecordId> = self
            .index()?
            .into_iter()
            .filter(|(_, e)| e.source.as_deref() == Some(source))
            .map(|(id, _)| id)
            .collect();
        let changes = doomed
            .iter()
            .flat_map(|id| {
                [
                    Change::Delete(Space::Records, id.as_bytes().to_vec()),
                    Change::Delete(Space::Index, id.as_bytes().to_vec()),
                ]
            })
            .collect();
        let committed = self.integrity.commit(self.store.as_ref(), &self.data_key, changes);
        self.derived.changed();
        committed?;
        tracing::info!(records = doomed.len(), "forgot one source at the citizen's request");
        Ok(doomed.len())
    }

    /// Checks the whole store: every index entry has its record and vice versa, everything
    /// decrypts, and every document of a pinned organisation carries its signature (the manifest
    /// and the binding were checked when the pod opened). Returns the number of records.
    pub fn verify(&self) -> Result<usize, PodError> {
        let index = self.index()?;
        let record_keys: HashSet<Vec<u8>> = self.store.scan(Space::Records)?.into_iter().map(|(k, _)| k).collect();
        let index_keys: HashSet<Vec<u8>> = index.iter().map(|(id, _)| id.as_bytes().to_vec()).collect();
        if record_keys != index_keys {
            return Err(PodError::Damaged(
                "the index and the records disagree; restore the pod from a backup".to_owned(),
            ));
        }
        let scheme = self.scheme()?;
        let recipients = self.recipients()?;
        for (id, entry) in &index {
            self.get(id)?;
            let Some(source) = entry.source.as_deref().filter(|_| entry.kind == RecordKind::Document) else {
                continue;
            };
            let Some(org) = scheme.organisations.iter().find(|org| org.id.as_str() == source) else {
                continue;
            };
            match pod_core::answer::verify_stored(org, &recipients, &self.open_document(id)?) {
                Ok(_) => {}
                // Signed with a key the organisation has since replaced: genuine, but no longer
                // checkable against what is pinned now.
                Err(problem @ pod_core::problem::Problem::UntrustedKey(_)) => {
                    tracing::warn!(%id, source, why = %problem.brief(), "a stored document can no longer be checked");
                }
                Err(problem) => {
                    return Err(PodError::Tampered(format!(
                        "document {id} is not as {} signed it: {}; restore the pod from a backup",
                        org.name,
                        problem.brief()
                    )));
                }
            }
        }
        Ok(index.len())
    }
}

/// The two changes that store one record: its payload and its index entry, each sealed and padded
/// (the payload to its kind's floor).
pub(super) fn sealed_pair(data_key: &DataKey, id: &RecordId, entry: &IndexEntry, payload: &[u8]) -> Vec<Change> {
    let sealed = pod_core::records::seal_record(data_key, *id, entry, payload);
    vec![
        Change::Put(Space::Records, id.as_bytes().to_vec(), sealed.payload),
        Change::Put(Space::Index, id.as_bytes().to_vec(), sealed.entry),
    ]
}

// Where a key rotation leaves its work (see `rotate`): unlocking settles an interrupted one.
pub(super) const NEXT_STORE: &str = "store.next";
pub(super) const OLD_STORE: &str = "store.old";
pub(super) const NEXT_IDENTITY: &str = "identity.next.age";
pub(super) const NEXT_RECOVERY: &str = "identity.recovery.next.age";

/// Step 3: puts the committed recovery file and store in place and destroys the old store.
pub(super) fn finish_swap(dir: &PodDir) -> Result<(), PodError> {
    let next_recovery = dir.path(NEXT_RECOVERY);
    if next_recovery.exists() {
        std::fs::rename(&next_recovery, dir.recovery_path()).map_err(io_error("commit", &dir.recovery_path()))?;
    }
    let (store, old, next) = (dir.store_path(), dir.path(OLD_STORE), dir.path(NEXT_STORE));
    if next.exists() {
        keys::shred_dir(&old).map_err(io_error("clear", &old))?;
        std::fs::rename(&store, &old).map_err(io_error("move", &store))?;
        std::fs::rename(&next, &store).map_err(io_error("move", &next))?;
        keys::sync_dir(dir.root()).map_err(io_error("sync", dir.root()))?;
    }
    keys::shred_dir(&old).map_err(io_error("destroy", &old))?;
    Ok(())
}

/// Opens the store whose data key `identity` unwraps, and settles any interrupted rotation.
pub(super) fn open_matching_store(
    dir: &PodDir,
    identity: &x25519::Identity,
) -> Result<(SledStore, UnwrappedDataKey, Vec<Notice>), PodError> {
    let next_path = dir.path(NEXT_STORE);
    let mut notices = Vec::new();
    let current = SledStore::open(&dir.store_path())?;
    if let Some(data_key) = unwrap_data_key(&current, identity)? {
        if next_path.exists() || dir.path(NEXT_IDENTITY).exists() || dir.path(NEXT_RECOVERY).exists() {
            for file in [NEXT_IDENTITY, NEXT_RECOVERY] {
                keys::shred_file(&dir.path(file)).map_err(io_error("clear", &dir.path(file)))?;
            }
            keys::shred_dir(&next_path).map_err(io_error("clear", &next_path))?;
            tracing::warn!(dir = %dir.root().display(), "an interrupted key rotation was rolled back");
            notices.push(Notice::RotationRolledBack);
        }
        return Ok((current, data_key, notices));
    }
    drop(current);
    if next_path.exists() {
        let next = SledStore::open(&next_path)?;
        if unwrap_data_key(&next, identity)?.is_some() {
            drop(next);
            // The recovery file written before the crash holds a code nobody has seen.
            let recovery_code = keys::generate_recovery_code();
            dir.write_file(
                &dir.recovery_path(),
                &keys::wrap_identity(identity, &recovery_code, KdfCost::Standard),
            )?;
            keys::shred_file(&dir.path(NEXT_RECOVERY)).map_err(io_error("clear", &dir.path(NEXT_RECOVERY)))?;
            finish_swap(dir)?;
            dir.write_config(&identity.to_public())?;
            tracing::warn!(dir = %dir.root().display(), "an interrupted key rotation was completed");
            notices.push(Notice::RotationCompleted { recovery_code });
            let store = SledStore::open(&dir.store_path())?;
            let data_key = unwrap_data_key(&store, identity)?
                .ok_or_else(|| PodError::Damaged("the rotated store does not open with the new key".to_owned()))?;
            return Ok((store, data_key, notices));
        }
    }
    Err(PodError::Damaged(
        "the store does not belong to this identity (its data key does not open); restore the pod from a backup"
            .to_owned(),
    ))
}
