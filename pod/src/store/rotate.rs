//! Key rotation: a new identity, a new data key, every record re-encrypted, the old key
//! destroyed. Crash-safe by construction:
//!
//! 1. build `store.next/` (new data key, every record re-sealed, documents re-encrypted to the
//!    new recipient, the old recipient added to the former ones) and `identity.next.age` /
//!    `identity.recovery.next.age`;
//! 2. **commit**: rename `identity.next.age` over `identity.age` (one atomic rename);
//! 3. swap `store.next/` into place and shred the old store.
//!
//! Unlocking (`settle::open_matching_store`) decides by which store's data key opens with the identity the passphrase unwraps:
//! before the commit that is the old store (the leftovers are shredded: rolled back); after it,
//! `store.next/` (step 3 is finished: rolled forward).

use age::secrecy::SecretString;
use age::x25519;

use super::backend::{Change, SledStore, Space, Store};
use super::keys::{self, KdfCost};
use super::error::{PodError, io_error};
use super::data_key::{DATA_KEY, wrap_data_key};
use super::session::{UnlockedPod, sealed_pair};
use super::settle::{NEXT_IDENTITY, NEXT_RECOVERY, NEXT_STORE, finish_swap};
use super::records::RecordKind;
use super::seal::DataKey;
use pod_core::document_record::{self, DocumentRecord};
use pod_core::integrity::{MANIFEST_NAME, Manifest};
use pod_core::recipients::FORMER_RECIPIENTS_NAME;

/// Records re-sealed per commit while building the new store.
const BATCH: usize = 256;

/// Where a rotation may be stopped on purpose, for tests of crash safety.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotationStep {
    /// After the new store is built, before the new identity files exist.
    StoreBuilt,
    /// After the new identity files are written, before the commit rename.
    IdentityWritten,
    /// Right after the commit rename, before the stores are swapped.
    Committed,
}

/// What a finished rotation gives the citizen.
#[derive(Debug)]
pub struct Rotated {
    /// The new public recipient.
    pub recipient: String,
    /// The new recovery code (the old one no longer works).
    pub recovery_code: SecretString,
}

impl UnlockedPod {
    /// Rotates the citizen's key. `passphrase` wraps the new identity (it is the same one the
    /// citizen unlocked with). Consumes the session; unlock again afterwards.
    pub fn rotate_key(self, passphrase: &SecretString, cost: KdfCost) -> Result<Rotated, PodError> {
        self.rotate_key_until(passphrase, cost, None)?
            .ok_or_else(|| PodError::Io("rotation stopped early".to_owned()))
    }

    /// [`UnlockedPod::rotate_key`], stopping after `stop` to simulate a crash. Returns `None`
    /// when it stopped.
    #[doc(hidden)]
    pub fn rotate_key_until(
        self,
        passphrase: &SecretString,
        cost: KdfCost,
        stop: Option<RotationStep>,
    ) -> Result<Option<Rotated>, PodError> {
        let dir = self.folder("rotating the key")?.clone();
        let new_identity = x25519::Identity::generate();
        let new_recipient = new_identity.to_public();
        let new_key = DataKey::generate();

        let next_path = dir.path(NEXT_STORE);
        keys::shred_dir(&next_path).map_err(io_error("clear", &next_path))?;
        let next = SledStore::open(&next_path)?;
        // Documents fetched so far were made for the recipient being replaced.
        next.commit(vec![
            Change::Put(Space::Meta, DATA_KEY.to_vec(), wrap_data_key(&new_key, &new_identity)),
            Change::Put(
                Space::Meta,
                FORMER_RECIPIENTS_NAME.to_vec(),
                self.recipients()?.seal_after_rotation(&new_key),
            ),
        ])?;
        let index = self.index()?;
        for chunk in index.chunks(BATCH) {
            let mut changes = Vec::with_capacity(chunk.len() * 2);
            for (id, entry) in chunk {
                let record = self.get(id)?;
                let payload = if entry.kind == RecordKind::Document
                    && matches!(document_record::decode(&record.payload), Ok(DocumentRecord::AgeFile(_)))
                {
                    // A document from an older pod, still in the age file the organisation
                    // encrypted to the old key, which is about to be destroyed: keep its JWS.
                    let jws = self.open_document(id)?;
                    document_record::encode_signed(&jws).to_vec()
                } else {
                    record.payload.to_vec()
                };
                changes.extend(sealed_pair(&new_key, id, entry, &payload));
            }
            next.commit(changes)?;
        }
        // The manifest last: a store.next without one is unfinished, and never used.
        let counter = self.integrity.counter().unwrap_or(0);
        let manifest = Manifest {
            counter: counter + 1,
            written_at: chrono::Utc::now(),
            records: index.iter().map(|(id, _)| *id).collect(),
        };
        next.commit(vec![Change::Put(Space::Meta, MANIFEST_NAME.to_vec(), manifest.seal(&new_key))])?;
        drop(next);
        if stop == Some(RotationStep::StoreBuilt) {
            return Ok(None);
        }

        let recovery_code = keys::generate_recovery_code();
        dir.write_file(
            &dir.path(NEXT_RECOVERY),
            &keys::wrap_identity(&new_identity, &recovery_code, cost),
        )?;
        dir.write_file(
            &dir.path(NEXT_IDENTITY),
            &keys::wrap_identity(&new_identity, passphrase, cost),
        )?;
        if stop == Some(RotationStep::IdentityWritten) {
            return Ok(None);
        }

        // The commit point.
        std::fs::rename(dir.path(NEXT_IDENTITY), dir.identity_path())
            .map_err(io_error("commit", &dir.identity_path()))?;
        keys::sync_dir(dir.root()).map_err(io_error("sync", dir.root()))?;
        tracing::info!(dir = %dir.root().display(), "key rotation committed");
        if stop == Some(RotationStep::Committed) {
            return Ok(None);
        }

        // Close the store but keep the process lock (in `home`) until the swap is done.
        let UnlockedPod { store, home, .. } = self;
        drop(store);
        finish_swap(&dir)?;
        dir.write_config(&new_recipient)?;
        drop(home);
        Ok(Some(Rotated {
            recipient: new_recipient.to_string(),
            recovery_code,
        }))
    }
}
