//! The native side of [`pod_core::integrity`]: the checks when a store opens, the manifest that
//! every commit rewrites, and the guard file that remembers the highest counter this machine saw.
//!
//! The guard lives outside the pod folder, in the state folder (`$BETAALPOD_STATE_DIR`, else
//! `$XDG_STATE_HOME/betaalpod`, else `~/.local/state/betaalpod`), under `guards/` and a name
//! made from the pod's recipient and place, so that whoever puts an older copy of the pod's
//! folder in place does not put an older guard with it.

use std::collections::BTreeSet;
use std::path::PathBuf;
use parking_lot::Mutex;

use chrono::Utc;
use pod_core::integrity::{BindingKey, Guard, IntegrityError, MANIFEST_NAME, Manifest};

use super::backend::{Change, Space, Store};
use super::error::PodError;
use super::records::RecordId;
use super::seal::DataKey;

/// The state folder, where a pod's guard is kept.
pub fn state_dir() -> Option<PathBuf> {
    let from_env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    from_env("BETAALPOD_STATE_DIR")
        .or_else(|| from_env("XDG_STATE_HOME").map(|dir| dir.join("betaalpod")))
        .or_else(|| from_env("HOME").map(|home| home.join(".local/state/betaalpod")))
}

/// The guard file of one pod.
pub(crate) struct GuardFile {
    path: PathBuf,
    binding: BindingKey,
}

impl GuardFile {
    /// The guard of the pod with `recipient` that lives at `place` (its folder or its provider).
    pub(crate) fn new(binding: BindingKey, recipient: &str, place: &str) -> Option<Self> {
        let path = state_dir()?
            .join("guards")
            .join(pod_core::integrity::guard_name(recipient, place));
        Some(Self { path, binding })
    }

    /// The guard, if there is a readable one made with this pod's key.
    fn read(&self) -> Option<Guard> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "cannot read the rollback guard");
                return None;
            }
        };
        let guard = Guard::from_bytes(&bytes, &self.binding);
        if guard.is_none() {
            tracing::warn!(path = %self.path.display(), "the rollback guard is damaged; a new one is written");
        }
        guard
    }

    /// Remembers `guard`. Not synced: losing the newest guard in a power cut only makes the
    /// check weaker for a while, never wrong, and a commit must not wait for a second sync.
    fn write(&self, guard: &Guard) {
        let written = (|| {
            let dir = self.path.parent().unwrap_or(std::path::Path::new("."));
            std::fs::create_dir_all(dir)?;
            let tmp = self.path.with_extension("tmp");
            std::fs::write(&tmp, guard.to_bytes(&self.binding))?;
            std::fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = written {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot write the rollback guard");
        }
    }
}

/// What an open store keeps for its integrity: its manifest (when the store keeps one) and its
/// guard.
pub(crate) struct Integrity {
    manifest: Mutex<Option<Manifest>>,
    guard: Option<GuardFile>,
}

/// What to do when the store is older than the guard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rollback {
    /// Refuse to open it (always, unless the citizen says otherwise).
    Refuse,
    /// The citizen put the older copy in place on purpose: accept it, and remember it.
    Accept,
}

impl Integrity {
    /// A store without a manifest (a pod at a provider, written by a browser before browsers
    /// kept one). Refused when this machine has seen the pod keep one.
    pub(crate) fn without_manifest(guard: Option<GuardFile>) -> Result<Self, PodError> {
        refuse_if_guarded(guard.as_ref())?;
        Ok(Self {
            manifest: Mutex::new(None),
            guard: None,
        })
    }

    /// Opens the manifest of `store` and checks the store against it and against the guard.
    pub(crate) fn check(
        store: &dyn Store,
        key: &DataKey,
        guard: Option<GuardFile>,
        rollback: Rollback,
    ) -> Result<Self, PodError> {
        let sealed = store
            .get(Space::Meta, MANIFEST_NAME)?
            .ok_or_else(|| PodError::Tampered(IntegrityError::NoManifest.to_string()))?;
        let manifest = Manifest::open(key, &sealed).map_err(|e| PodError::Tampered(e.to_string()))?;
        for space in [Space::Records, Space::Index] {
            let held = ids_in(store, space)?;
            manifest.check_records(&held).map_err(|e| PodError::Tampered(e.to_string()))?;
        }
        let seen = guard.as_ref().and_then(GuardFile::read);
        match manifest.check_not_rolled_back(seen.as_ref()) {
            Ok(()) => {}
            Err(e) if rollback == Rollback::Accept => {
                tracing::warn!(%e, "the citizen accepted an older copy of the store");
            }
            Err(e) => return Err(PodError::Tampered(e.to_string())),
        }
        if let Some(guard) = &guard
            && seen.is_none_or(|seen| seen.counter != manifest.counter)
        {
            guard.write(&manifest.guard());
        }
        Ok(Self {
            manifest: Mutex::new(Some(manifest)),
            guard,
        })
    }

    /// Binds an older, unbound store: the manifest lists what it holds now. The changes to commit
    /// with the new data key, and the integrity to open with after they are committed.
    pub(crate) fn first(
        store: &dyn Store,
        key: &DataKey,
        guard: Option<GuardFile>,
        rollback: Rollback,
    ) -> Result<(Vec<Change>, Self), PodError> {
        match refuse_if_guarded(guard.as_ref()) {
            Err(e) if rollback == Rollback::Accept => tracing::warn!(%e, "the citizen accepted an older copy of the store"),
            other => other?,
        }
        let records = ids_in(store, Space::Records)?;
        let index = ids_in(store, Space::Index)?;
        if records != index {
            return Err(PodError::Damaged(
                "the index and the records disagree; restore the pod from a backup".to_owned(),
            ));
        }
        let manifest = Manifest::empty(Utc::now()).next(records, [], Utc::now());
        let change = Change::Put(Space::Meta, MANIFEST_NAME.to_vec(), manifest.seal(key));
        if let Some(guard) = &guard {
            guard.write(&manifest.guard());
        }
        Ok((
            vec![change],
            Self {
                manifest: Mutex::new(Some(manifest)),
                guard,
            },
        ))
    }

    /// Commits `changes` with the manifest that follows from them, in one atomic write, and
    /// remembers the new counter. Commits are taken one at a time, so no two build on the same
    /// manifest.
    pub(crate) fn commit(&self, store: &dyn Store, key: &DataKey, mut changes: Vec<Change>) -> Result<(), PodError> {
        let mut current = self.manifest.lock();
        let next = current.as_ref().map(|manifest| {
            let (mut added, mut removed) = (Vec::new(), Vec::new());
            for change in &changes {
                match change {
                    Change::Put(Space::Records, id, _) => added.extend(RecordId::from_key(id)),
                    Change::Delete(Space::Records, id) => removed.extend(RecordId::from_key(id)),
                    _ => {}
                }
            }
            manifest.next(added, removed, Utc::now())
        });
        if let Some(next) = &next {
            changes.push(Change::Put(Space::Meta, MANIFEST_NAME.to_vec(), next.seal(key)));
        }
        store.commit(changes)?;
        if let Some(next) = next {
            if let Some(guard) = &self.guard {
                guard.write(&next.guard());
            }
            *current = Some(next);
        }
        Ok(())
    }

    /// The manifest's counter, if the store keeps one.
    pub fn counter(&self) -> Option<u64> {
        self.manifest.lock().as_ref().map(|m| m.counter)
    }
}

/// A store that keeps no manifest, opened where this machine has seen it keep one: a copy from
/// before (its data key or identity file put back from then).
fn refuse_if_guarded(guard: Option<&GuardFile>) -> Result<(), PodError> {
    let seen = guard.and_then(GuardFile::read);
    pod_core::integrity::check_without_manifest(seen.as_ref()).map_err(|e| PodError::Tampered(e.to_string()))
}

/// The record ids under which `space` holds values.
fn ids_in(store: &dyn Store, space: Space) -> Result<BTreeSet<RecordId>, PodError> {
    store
        .scan(space)?
        .into_iter()
        .map(|(key, _)| {
            RecordId::from_key(&key).ok_or_else(|| {
                PodError::Tampered(format!("the store's {} holds a key that is no record id", space.name()))
            })
        })
        .collect()
}

/// The first manifest of a new store.
pub(crate) fn empty_manifest(key: &DataKey) -> Change {
    Change::Put(Space::Meta, MANIFEST_NAME.to_vec(), Manifest::empty(Utc::now()).seal(key))
}
