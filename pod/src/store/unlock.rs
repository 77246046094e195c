//! Unlocking: from the folder (or a provider's store) and a secret to an open [`UnlockedPod`].
//! The store is checked on the way: bound to the identity, holding exactly what its manifest
//! lists, and not older than this machine saw it.

use std::time::Instant;

use age::secrecy::SecretString;

use super::backend::{Change, Space, Store};
use super::data_key::{DATA_KEY, unwrap_data_key, wrap_data_key};
use super::dir::PodDir;
use super::error::PodError;
use super::integrity::{GuardFile, Integrity, Rollback};
use super::keys::{self, KdfCost, KeyError};
use super::lock::ProcessLock;
use super::session::{Home, Notice, UnlockedPod};
use super::settle::open_matching_store;
use super::throttle;
use pod_core::integrity::{Binding, BindingKey};

impl PodDir {
    /// Opens the pod: takes the process lock, unwraps the identity with `passphrase`, opens the
    /// store and unwraps the data key. Wrong passphrases back off exponentially.
    pub fn unlock(&self, passphrase: &SecretString) -> Result<UnlockedPod, PodError> {
        if let Some(wait) = throttle::with_backoff(self.root(), |b| b.wait_at(Instant::now())) {
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
        if let Some(wait) = throttle::with_backoff(self.root(), |b| b.wait_at(Instant::now())) {
            return Err(PodError::BackingOff(wait.as_secs_f64().ceil() as u64));
        }
        let lock = self.lock()?;
        let file = self.read_file(&self.identity_path())?;
        let opened = match keys::unwrap_identity_file(&file, passphrase, "identity.age") {
            Ok(opened) => opened,
            Err(KeyError::WrongSecret) => {
                let wait = throttle::with_backoff(self.root(), |b| b.record_failure(Instant::now()));
                tracing::warn!(dir = %self.root().display(), wait_secs = wait.as_secs(), "wrong passphrase");
                return Err(PodError::WrongPassphrase);
            }
            Err(e) => return Err(PodError::Damaged(e.to_string())),
        };
        throttle::reset(self.root());
        let requires_bound_store = opened.requires_bound_store;
        let pod = self.open_with_identity(lock, opened, rollback)?;
        if !requires_bound_store {
            // The store is bound now; from here on the identity file says so, and an unbound
            // store is refused.
            self.write_file(
                &self.identity_path(),
                &keys::wrap_identity(&pod.identity, passphrase, KdfCost::Standard),
            )?;
            tracing::info!(dir = %self.root().display(), "the identity file now requires a bound store");
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
        let place = std::fs::canonicalize(self.root()).unwrap_or_else(|_| self.root().to_path_buf());
        let guard = GuardFile::new(BindingKey::derive(&identity), &recipient.to_string(), &place.display().to_string());
        let data_key = unwrapped.key;
        let integrity = if unwrapped.binding == Binding::Unbound || !unwrapped.keeps_manifest {
            let (mut changes, integrity) = Integrity::first(&store, &data_key, guard, rollback)?;
            changes.push(Change::Put(Space::Meta, DATA_KEY.to_vec(), wrap_data_key(&data_key, &identity)));
            store.commit(changes)?;
            tracing::info!(dir = %self.root().display(), "the store is now bound to the identity and keeps a manifest");
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
        if let Some(wait) = throttle::with_backoff(self.root(), |b| b.wait_at(Instant::now())) {
            return Err(PodError::BackingOff(wait.as_secs_f64().ceil() as u64));
        }
        let lock = self.lock()?;
        let file = self.read_file(&self.recovery_path())?;
        let opened = match keys::unwrap_identity_file(&file, &code, "identity.recovery.age") {
            Ok(opened) => opened,
            Err(KeyError::WrongSecret) => {
                throttle::with_backoff(self.root(), |b| b.record_failure(Instant::now()));
                return Err(PodError::WrongRecoveryCode);
            }
            Err(e) => return Err(PodError::Damaged(e.to_string())),
        };
        throttle::reset(self.root());
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
        tracing::info!(dir = %self.root().display(), "pod recovered with the recovery code");
        Ok(new_code)
    }
}

impl UnlockedPod {
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
}
