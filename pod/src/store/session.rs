//! An open pod: the keys in memory, and the record API every feature is built on (put, stage
//! and commit, get, the index, history, forgetting). Features (`scheme`, `fetching`,
//! `overview`, `arrangement`) are modules of functions over [`UnlockedPod`]; they never see its
//! keys or its store.

use std::any::Any;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use age::secrecy::SecretString;
use age::x25519;
use chrono::Utc;
use parking_lot::Mutex;
use zeroize::Zeroizing;

use super::backend::{Change, Space, Store};
use super::dir::PodDir;
use super::error::PodError;
use super::integrity::Integrity;
use super::keys::{self, KdfCost, KeyError};
use super::lock::ProcessLock;
use super::records::{IndexEntry, RecordId, RecordKind};
use super::seal::DataKey;
use pod_core::document_record;
use pod_core::recipients::{FORMER_RECIPIENTS_NAME, Recipients};

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
    /// What a feature derived from the records (the overview's inputs), dropped with the keys.
    pub(super) derived: Derived,
}

/// One value derived from the records (the overview's inputs, opened and parsed), kept until the
/// pod's next write. Its reader names the type; every write drops it, and a value derived while
/// a write happened is not kept.
#[derive(Default)]
pub struct Derived {
    state: Mutex<(u64, Option<Arc<dyn Any + Send + Sync>>)>,
}

impl Derived {
    /// The pod changed: what was derived is dropped, and a derivation under way is not kept.
    fn changed(&self) {
        let mut state = self.state.lock();
        state.0 += 1;
        state.1 = None;
    }

    /// The current generation, and the kept value if it is a `T`.
    pub fn get<T: Any + Send + Sync>(&self) -> (u64, Option<Arc<T>>) {
        let state = self.state.lock();
        (state.0, state.1.clone().and_then(|kept| kept.downcast::<T>().ok()))
    }

    /// Keeps `value`, unless the pod changed since `generation` was read.
    pub fn keep<T: Any + Send + Sync>(&self, generation: u64, value: Arc<T>) {
        let mut state = self.state.lock();
        if state.0 == generation {
            state.1 = Some(value);
        }
    }
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
            Home::Folder { dir, .. } => debug.field("dir", &dir.root()),
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
        tracing::info!(dir = %dir.root().display(), "passphrase changed");
        Ok(())
    }

    /// What a feature derived from the records, kept until the next write.
    pub fn derived(&self) -> &Derived {
        &self.derived
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

    /// Checks the store itself: every index entry has its record and vice versa, and everything
    /// decrypts (the manifest and the binding were checked when the pod opened). Returns the
    /// index. [`crate::verify`] adds the organisations' signatures.
    pub fn check_records(&self) -> Result<Vec<(RecordId, IndexEntry)>, PodError> {
        let index = self.index()?;
        let record_keys: HashSet<Vec<u8>> = self.store.scan(Space::Records)?.into_iter().map(|(k, _)| k).collect();
        let index_keys: HashSet<Vec<u8>> = index.iter().map(|(id, _)| id.as_bytes().to_vec()).collect();
        if record_keys != index_keys {
            return Err(PodError::Damaged(
                "the index and the records disagree; restore the pod from a backup".to_owned(),
            ));
        }
        for (id, _) in &index {
            self.get(id)?;
        }
        Ok(index)
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
