//! What an interrupted key rotation leaves in the folder, and settling it: unlocking finishes
//! a rotation that passed its commit and rolls back one that did not ([`super::rotate`] has
//! the steps).

use age::x25519;

use super::backend::SledStore;
use super::data_key::unwrap_data_key;
use super::dir::PodDir;
use super::error::{PodError, io_error};
use super::keys::{self, KdfCost};
use super::session::Notice;
use pod_core::integrity::UnwrappedDataKey;

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
