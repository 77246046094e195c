//! The pod folder: where each file lives, creating a pod, and destroying one.
//!
//! ```text
//! DIR/pod.toml                 non-secret settings (format, created_at, public recipient)
//! DIR/identity.age             the age identity, wrapped by the passphrase (scrypt)
//! DIR/identity.recovery.age    the same identity, wrapped by the recovery code (scrypt)
//! DIR/store/                   sled: opaque ids → sealed values
//! DIR/pod.lock                 held by the one process that has the pod open
//! ```
//!
//! Opening the folder with a secret is [`super::unlock`]; what an open pod can do is
//! [`super::session`].

use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use age::x25519;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::backend::{Change, SledStore, Space, Store};
use super::data_key::{DATA_KEY, wrap_data_key};
use super::error::{PodError, io_error};
use super::keys::{self, KdfCost};
use super::lock::ProcessLock;
use super::seal::DataKey;

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

    pub(super) fn lock(&self) -> Result<ProcessLock, PodError> {
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

