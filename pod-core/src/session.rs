//! An unlocked pod whose records live elsewhere: at a pod provider, which stores and serves them
//! sealed. This is the pod in the citizen's browser (through `pod-wasm`). It holds the identity
//! and the data key in memory only, opens what the provider serves, and turns each citizen
//! action into sealed writes for the provider, in the same record format as the native store,
//! so an export from a provider restores with `pod restore`.

use std::collections::BTreeMap;
use std::time::Duration;

use age::secrecy::SecretString;
use age::x25519;
use chrono::{DateTime, NaiveDate, Utc};
use provider_api::{RecordName, Space};
use schemas::descriptor::OrganisationDescriptor;

use crate::answer::{self, Expected};
use crate::document_record;
use crate::arrangement::{PreparedPart, SavedArrangement, StoredStatus, StoredSubmission, prepare_parts};
use crate::fetch_log::FetchLogEntry;
use crate::identity::{self, KdfCost, KeyError};
use crate::integrity::{self, MANIFEST_NAME, Manifest};
use crate::overview::{self, LatestDocument, Overview};
use crate::problem::Problem;
use crate::recipients::{FORMER_RECIPIENTS_NAME, Recipients};
use crate::records::{self, DATA_KEY_NAME, IndexEntry, RecordId, RecordKind};
use crate::scheme::{LocalScheme, SCHEME_RECORD};
use crate::seal::DataKey;

/// Why a session could not be opened or a record not read.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The passphrase or recovery code is wrong.
    #[error("wrong passphrase")]
    WrongSecret,
    /// A file or record is damaged, or belongs to another pod.
    #[error("{0}")]
    Damaged(String),
}

impl From<KeyError> for SessionError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::WrongSecret => SessionError::WrongSecret,
            other => SessionError::Damaged(other.to_string()),
        }
    }
}

/// What sign-up makes in the browser, to hand to the provider.
pub struct NewPod {
    /// The public `age1…` recipient.
    pub recipient: String,
    /// The identity wrapped by the passphrase.
    pub identity_file: Vec<u8>,
    /// The identity wrapped by the recovery code.
    pub recovery_file: Vec<u8>,
    /// The first write: the data key, wrapped to the recipient.
    pub data_key_write: (RecordName, Vec<u8>),
}

/// One write for the provider: a record name and its sealed bytes.
pub type SealedWrite = (RecordName, Vec<u8>);

/// An unlocked pod in memory.
pub struct Session {
    identity: x25519::Identity,
    /// Whether the identity file says the store must be bound to it.
    requires_bound_store: bool,
    data_key: DataKey,
    /// Whether the store keeps a manifest (every pod does, except one the browser wrote before
    /// browsers kept one; [`Session::check_integrity`] starts it for such a pod).
    keeps_manifest: bool,
    /// The manifest, once loaded: the last one the provider confirmed.
    manifest: Option<Manifest>,
    /// The manifest of the batch being written ([`Session::seal_batch`]), until the provider
    /// confirms it or the batch fails.
    pending_manifest: Option<Manifest>,
    /// The recipients stored documents may be for (more than one after a key rotation).
    recipients: Recipients,
    /// Index entries and sealed payloads loaded so far, by record id.
    entries: BTreeMap<RecordId, IndexEntry>,
    payloads: BTreeMap<RecordId, Vec<u8>>,
}

/// The name under which the wrapped data key is stored.
pub fn data_key_name() -> RecordName {
    RecordName::new(Space::Meta, DATA_KEY_NAME).expect("a short constant key")
}

/// The name under which the manifest is stored.
pub fn manifest_name() -> RecordName {
    RecordName::new(Space::Meta, MANIFEST_NAME).expect("a short constant key")
}

impl Session {
    /// Makes a new pod: a fresh identity wrapped by the passphrase and by the recovery code, and a
    /// fresh data key wrapped to it.
    pub fn create(passphrase: &SecretString, recovery_code: &SecretString, cost: KdfCost) -> Result<(Self, NewPod), String> {
        identity::check_passphrase(passphrase)?;
        let recovery_code = identity::normalise_recovery_code(recovery_code)?;
        let new_identity = x25519::Identity::generate();
        let data_key = DataKey::generate();
        let pod = NewPod {
            recipient: new_identity.to_public().to_string(),
            identity_file: identity::wrap_identity(&new_identity, passphrase, cost),
            recovery_file: identity::wrap_identity(&new_identity, &recovery_code, cost),
            data_key_write: (data_key_name(), integrity::wrap_data_key(&data_key, &new_identity, true)),
        };
        let session = Self {
            recipients: Recipients::only(new_identity.to_public().to_string()),
            identity: new_identity,
            requires_bound_store: true,
            data_key,
            keeps_manifest: true,
            manifest: Some(Manifest::empty(DateTime::UNIX_EPOCH)),
            pending_manifest: None,
            entries: BTreeMap::new(),
            payloads: BTreeMap::new(),
        };
        Ok((session, pod))
    }

    /// Opens a pod with its wrapped identity, the passphrase (or the recovery code, with the
    /// recovery file) and its wrapped data key.
    /// The data key must be bound to the identity, unless the identity file is from before
    /// binding ([`integrity::require_binding`]).
    pub fn open(identity_file: &[u8], secret: &SecretString, wrapped_data_key: &[u8]) -> Result<Self, SessionError> {
        let opened = identity::unwrap_identity_file(identity_file, secret, "the identity file")?;
        let unwrapped = integrity::unwrap_data_key(wrapped_data_key, &opened.identity)
            .map_err(|e| SessionError::Damaged(e.to_string()))?;
        integrity::require_binding(unwrapped.binding, opened.requires_bound_store)
            .map_err(|e| SessionError::Damaged(e.to_string()))?;
        Ok(Self {
            recipients: Recipients::only(opened.identity.to_public().to_string()),
            identity: opened.identity,
            requires_bound_store: opened.requires_bound_store,
            data_key: unwrapped.key,
            keeps_manifest: unwrapped.keeps_manifest,
            manifest: None,
            pending_manifest: None,
            entries: BTreeMap::new(),
            payloads: BTreeMap::new(),
        })
    }

    /// A pod to import from a backup (`betaalpod-backup/1`), verified before anything goes
    /// anywhere: the identity must open with `passphrase`, the data key must be bound to the
    /// identity, every record and index entry must open with the data key, each record with its
    /// entry, the store must hold exactly what its manifest lists, and every document of a
    /// pinned organisation must carry that organisation's signature. Returns the session, the
    /// backup's identity file and every stored value as writes (for a provider, pass them through
    /// [`Session::provider_batches`]).
    pub fn from_backup(bytes: &[u8], passphrase: &SecretString) -> Result<(Self, Vec<u8>, Vec<SealedWrite>), SessionError> {
        let backup = crate::backup::read(bytes, "the file").map_err(SessionError::Damaged)?;
        let wrapped_key = backup
            .entries
            .iter()
            .find(|(space, key, _)| *space == Space::Meta && key.as_slice() == DATA_KEY_NAME)
            .map(|(_, _, value)| value.clone())
            .ok_or_else(|| SessionError::Damaged("the backup holds no data key".to_owned()))?;
        let mut session = Self::open(&backup.identity_file, passphrase, &wrapped_key)?;
        let mut writes = Vec::with_capacity(backup.entries.len());
        for (space, key, value) in backup.entries {
            let name = RecordName::new(space, &key)
                .ok_or_else(|| SessionError::Damaged(format!("the backup holds a malformed {} key", space.name())))?;
            session.load(&name, &value)?;
            writes.push((name, value));
        }
        for id in session.payloads.keys() {
            if !session.entries.contains_key(id) || session.payload(*id).is_none() {
                return Err(SessionError::Damaged(format!("record {id} in the backup is damaged or has no index entry")));
            }
        }
        if let Some(orphan) = session.entries.keys().find(|id| !session.payloads.contains_key(id)) {
            return Err(SessionError::Damaged(format!("the backup's index names record {orphan}, which is missing")));
        }
        if session.keeps_manifest {
            let manifest = session
                .manifest
                .as_ref()
                .ok_or_else(|| SessionError::Damaged(integrity::IntegrityError::NoManifest.to_string()))?;
            manifest
                .check_records(session.payloads.keys())
                .map_err(|e| SessionError::Damaged(e.to_string()))?;
        }
        session.verify_documents()?;
        Ok((session, backup.identity_file, writes))
    }

    /// Checks every stored document of a pinned organisation against that organisation's pinned
    /// keys ([`answer::verify_stored`]).
    fn verify_documents(&self) -> Result<(), SessionError> {
        let scheme = self.scheme();
        for (id, entry) in &self.entries {
            let Some(org) = entry.source.as_deref().and_then(|source| scheme.organisations.iter().find(|o| o.id.as_str() == source)) else {
                continue;
            };
            if entry.kind != RecordKind::Document {
                continue;
            }
            let jws = self
                .open_document(*id)
                .ok_or_else(|| SessionError::Damaged(format!("document {id} is damaged")))?;
            answer::verify_stored(org, &self.recipients, &jws).map_err(|problem| {
                SessionError::Damaged(format!("document {id} is not as {} signed it: {}", org.name, problem.brief()))
            })?;
        }
        Ok(())
    }

    /// What a provider keeps of a verified backup, as a new pod there, in batches of at most
    /// `per_batch` writes: first the meta values (the data key wrapped again to say the store
    /// keeps a manifest), then each record with its index entry, never split. The backup's
    /// manifest is left out: [`Session::seal_batch`] writes a new one with each batch, so an
    /// upload that stops half-way leaves a pod that lists exactly what arrived.
    pub fn provider_batches(&mut self, writes: Vec<SealedWrite>, per_batch: usize) -> Vec<Vec<SealedWrite>> {
        let data_key = data_key_name();
        self.keeps_manifest = true;
        self.manifest = Some(Manifest::empty(DateTime::UNIX_EPOCH));
        self.pending_manifest = None;
        let mut meta = Vec::new();
        let mut pairs: BTreeMap<Vec<u8>, Vec<SealedWrite>> = BTreeMap::new();
        for (name, bytes) in writes {
            match name.space() {
                Space::Meta if name.key() == MANIFEST_NAME => {}
                Space::Meta if name == data_key => {
                    meta.push((name, integrity::wrap_data_key(&self.data_key, &self.identity, true)));
                }
                Space::Meta => meta.push((name, bytes)),
                Space::Records | Space::Index => pairs.entry(name.key().to_vec()).or_default().push((name, bytes)),
            }
        }
        let mut batches = vec![meta];
        for pair in pairs.into_values() {
            let last = batches.last_mut().expect("there is a first batch");
            if last.len() + pair.len() > per_batch.max(2) {
                batches.push(pair);
            } else {
                last.extend(pair);
            }
        }
        batches
    }

    /// Whether the identity file requires a bound store (see [`integrity`]).
    pub fn requires_bound_store(&self) -> bool {
        self.requires_bound_store
    }

    /// The identity, for a native pod that restores this backup into a store of its own.
    pub fn into_identity(self) -> x25519::Identity {
        self.identity
    }

    /// The citizen's public recipient.
    pub fn recipient(&self) -> String {
        self.identity.to_public().to_string()
    }

    /// The identity wrapped by a new secret (a new passphrase, or a new recovery code), for the
    /// provider to keep in place of the old file.
    pub fn wrap_identity(&self, secret: &SecretString, cost: KdfCost) -> Vec<u8> {
        identity::wrap_identity(&self.identity, secret, cost)
    }

    /// Takes in one record the provider served. Index entries are opened now (so a damaged or
    /// swapped one is found at once); payloads stay sealed until they are needed.
    pub fn load(&mut self, name: &RecordName, bytes: &[u8]) -> Result<(), SessionError> {
        let damaged = || SessionError::Damaged(format!("record {name} is damaged or does not belong to this pod"));
        match name.space() {
            Space::Meta if name.key() == MANIFEST_NAME => {
                let manifest = Manifest::open(&self.data_key, bytes).map_err(|e| SessionError::Damaged(e.to_string()))?;
                self.manifest = Some(manifest);
                Ok(())
            }
            Space::Meta if name.key() == FORMER_RECIPIENTS_NAME => {
                self.recipients = Recipients::open(self.recipient(), &self.data_key, Some(bytes))
                    .map_err(|e| SessionError::Damaged(e.to_string()))?;
                Ok(())
            }
            Space::Meta => Ok(()),
            Space::Index => {
                let id = RecordId::from_key(name.key()).ok_or_else(damaged)?;
                let entry = records::open_entry(&self.data_key, id, bytes).ok_or_else(damaged)?;
                self.entries.insert(id, entry);
                Ok(())
            }
            Space::Records => {
                let id = RecordId::from_key(name.key()).ok_or_else(damaged)?;
                self.payloads.insert(id, bytes.to_vec());
                Ok(())
            }
        }
    }

    /// Checks the store once every record is loaded: it must hold exactly what its manifest
    /// lists, and be no older than `guard` (what this device saw last, from [`Session::guard`]).
    /// A pod the browser wrote before browsers kept a manifest gets one now: the writes to send
    /// (the data key, wrapped again to say so; [`Session::seal_batch`] adds the manifest).
    pub fn check_integrity(&mut self, guard: Option<&[u8]>, now: DateTime<Utc>) -> Result<Vec<SealedWrite>, SessionError> {
        let damaged = |e: integrity::IntegrityError| SessionError::Damaged(e.to_string());
        let seen = guard.and_then(|bytes| integrity::Guard::from_bytes(bytes, &integrity::BindingKey::derive(&self.identity)));
        if self.keeps_manifest {
            let manifest = self.manifest.as_ref().ok_or_else(|| damaged(integrity::IntegrityError::NoManifest))?;
            manifest.check_records(self.payloads.keys()).map_err(damaged)?;
            manifest.check_records(self.entries.keys()).map_err(damaged)?;
            return match manifest.check_not_rolled_back(seen.as_ref()) {
                Ok(()) => Ok(Vec::new()),
                Err(integrity::IntegrityError::RolledBack { to, counter, seen, seen_at }) => Err(SessionError::Damaged(format!(
                    "your pod at the provider was rolled back to {to}: this browser last saw it on {seen_at}, after {seen} changes, and the provider now serves only {counter}. Ask your provider what happened, or import your newest backup into a new pod"
                ))),
                Err(other) => Err(damaged(other)),
            };
        }
        // A data key without the manifest flag, served to a browser that saw a manifest.
        match integrity::check_without_manifest(seen.as_ref()) {
            Ok(()) => {}
            Err(integrity::IntegrityError::FromBeforeManifest { seen, seen_at }) => {
                return Err(SessionError::Damaged(format!(
                    "your pod at the provider was rolled back: this browser last saw it on {seen_at}, after {seen} changes, and the provider now serves a copy from before it kept a list of its records. Ask your provider what happened, or import your newest backup into a new pod"
                )));
            }
            Err(other) => return Err(damaged(other)),
        }
        if self.payloads.keys().ne(self.entries.keys()) {
            return Err(SessionError::Damaged("the index and the records disagree; import your newest backup into a new pod".to_owned()));
        }
        self.keeps_manifest = true;
        self.manifest = Some(Manifest {
            counter: 0,
            written_at: now,
            records: self.payloads.keys().copied().collect(),
        });
        Ok(vec![(data_key_name(), integrity::wrap_data_key(&self.data_key, &self.identity, true))])
    }

    /// The manifest write that goes with one batch of writes (`(name, deleted)` for each), to send
    /// in the same batch: the next counter, and the records after the batch. Then
    /// [`Session::confirm_batch`] when the provider has stored the batch, or
    /// [`Session::abandon_batch`] when it has not. One batch at a time.
    pub fn seal_batch<'a>(
        &mut self,
        batch: impl IntoIterator<Item = (&'a RecordName, bool)>,
        now: DateTime<Utc>,
    ) -> Result<Option<SealedWrite>, SessionError> {
        if !self.keeps_manifest {
            return Ok(None);
        }
        if self.pending_manifest.is_some() {
            return Err(SessionError::Damaged("another batch is still being written; wait for it".to_owned()));
        }
        let manifest = self
            .manifest
            .as_ref()
            .ok_or_else(|| SessionError::Damaged(integrity::IntegrityError::NoManifest.to_string()))?;
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        for (name, deleted) in batch {
            match name.space() {
                Space::Meta if name.key() == MANIFEST_NAME => {
                    return Err(SessionError::Damaged("a batch may not write the manifest itself".to_owned()));
                }
                Space::Records => {
                    let id = RecordId::from_key(name.key())
                        .ok_or_else(|| SessionError::Damaged(format!("{name} is not a record id")))?;
                    if deleted { removed.push(id) } else { added.push(id) }
                }
                _ => {}
            }
        }
        let next = manifest.next(added, removed, now);
        let write = (manifest_name(), next.seal(&self.data_key));
        self.pending_manifest = Some(next);
        Ok(Some(write))
    }

    /// The provider stored the batch: its manifest is the current one. The guard to keep on
    /// this device (see [`Session::guard`]).
    pub fn confirm_batch(&mut self) -> Option<Vec<u8>> {
        if let Some(next) = self.pending_manifest.take() {
            self.manifest = Some(next);
        }
        self.guard()
    }

    /// The batch was not stored: the next one builds on the last confirmed manifest.
    pub fn abandon_batch(&mut self) {
        self.pending_manifest = None;
    }

    /// What this device keeps to notice a rollback: the current manifest's counter, tagged with a
    /// key derived from the identity (so the page's storage cannot forge one). `None` for a pod
    /// that keeps no manifest yet.
    pub fn guard(&self) -> Option<Vec<u8>> {
        let manifest = self.manifest.as_ref().filter(|_| self.keeps_manifest)?;
        Some(manifest.guard().to_bytes(&integrity::BindingKey::derive(&self.identity)))
    }

    /// The name under which this device keeps the guard of this pod at `place` (the provider and
    /// the pod id).
    pub fn guard_name(&self, place: &str) -> String {
        integrity::guard_name(&self.recipient(), place)
    }

    /// Seals a new record and keeps it; the two writes for the provider.
    pub fn put(&mut self, kind: RecordKind, source: Option<&str>, payload: &[u8], now: DateTime<Utc>) -> Vec<SealedWrite> {
        let id = RecordId::random();
        let entry = IndexEntry {
            kind,
            source: source.map(str::to_owned),
            created_at: now,
            len: payload.len() as u64,
        };
        let sealed = records::seal_record(&self.data_key, id, &entry, payload);
        self.entries.insert(id, entry);
        self.payloads.insert(id, sealed.payload.clone());
        let name = |space| RecordName::new(space, id.as_bytes()).expect("16-byte ids make valid names");
        vec![(name(Space::Records), sealed.payload), (name(Space::Index), sealed.entry)]
    }

    /// Checks an organisation's claims answer exactly as the native fetcher does, then stores the
    /// answer unchanged with its transparency-log entry. The writes for the provider, in one batch.
    #[allow(clippy::too_many_arguments)]
    pub fn accept_claims(
        &mut self,
        org: &OrganisationDescriptor,
        raw: &[u8],
        nonce: &str,
        fetch_id: &str,
        started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<SealedWrite>, Problem> {
        let expected = Expected {
            org,
            nonce,
            now,
            skew: Duration::from_secs(60),
        };
        answer::verify_claims(&self.identity, &expected, raw)?;
        let jws = zeroize::Zeroizing::new(age::decrypt(&self.identity, raw).map_err(|_| Problem::NotForThisPod)?);
        // The same document as last time is not stored again; the log entry names the earlier one.
        let (record, mut writes) = match self.latest_document(org.id.as_str()) {
            Some((id, previous)) if document_record::same_content(&jws, &previous) => (id, Vec::new()),
            _ => {
                let writes = self.put(RecordKind::Document, Some(org.id.as_str()), &document_record::encode_signed(&jws), now);
                let id = RecordId::from_key(writes[0].0.key()).expect("a record id names the write");
                (id, writes)
            }
        };
        let mut entry = log_entry(org, "fetch", fetch_id, started_at, now);
        entry.document_sha256 = Some(answer::sha256_hex(raw));
        entry.record = Some(record.to_string());
        writes.extend(self.log(&entry, now));
        Ok(writes)
    }

    /// Records a failed fetch in the transparency log; the writes for the provider.
    pub fn record_failure(
        &mut self,
        org: &OrganisationDescriptor,
        message: &str,
        fetch_id: &str,
        started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<SealedWrite> {
        let mut entry = log_entry(org, "fetch", fetch_id, started_at, now);
        entry.failed(message.to_owned());
        self.log(&entry, now)
    }

    fn log(&mut self, entry: &FetchLogEntry, now: DateTime<Utc>) -> Vec<SealedWrite> {
        let json = serde_json::to_vec(entry).expect("a log entry serialises");
        self.put(RecordKind::FetchLog, Some(&entry.org), &json, now)
    }

    fn payload(&self, id: RecordId) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        records::open_payload(&self.data_key, id, self.payloads.get(&id)?)
    }

    /// Saves a plan; its record id and the writes. Earlier plans stay.
    pub fn save_arrangement(
        &mut self,
        input: &schemas::arrangement::ArrangementInput,
        plan: &schemas::arrangement::ArrangementPlan,
        now: DateTime<Utc>,
    ) -> (RecordId, Vec<SealedWrite>) {
        let saved = SavedArrangement {
            saved_at: now,
            input: input.clone(),
            plan: plan.clone(),
        };
        let json = serde_json::to_vec(&saved).expect("a saved plan serialises");
        let writes = self.put(RecordKind::Arrangement, None, &json, now);
        let id = RecordId::from_key(writes[0].0.key()).expect("a record id names the write");
        (id, writes)
    }

    /// A saved plan.
    pub fn arrangement(&self, id: RecordId) -> Option<SavedArrangement> {
        (self.entries.get(&id)?.kind == RecordKind::Arrangement)
            .then(|| serde_json::from_slice(&self.payload(id)?).ok())
            .flatten()
    }

    /// The parts of a saved plan under a fresh arrangement id: each organisation's own part,
    /// unless the citizen chose to share everything.
    pub fn prepare_parts(&self, plan_record: RecordId, share_everything: bool) -> Option<(String, Vec<PreparedPart>)> {
        let saved = self.arrangement(plan_record)?;
        let mut id = [0u8; 12];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut id);
        let arrangement_id: String = hex::encode(id);
        let parts = prepare_parts(&saved, &arrangement_id, share_everything);
        Some((arrangement_id, parts))
    }

    /// Checks an organisation's receipt for `part` and stores the submission with its log entry.
    #[allow(clippy::too_many_arguments)]
    pub fn accept_receipt(
        &mut self,
        org: &OrganisationDescriptor,
        plan_record: RecordId,
        part: &PreparedPart,
        receipt_jws: &str,
        arrangement_id: &str,
        started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<SealedWrite>, Problem> {
        let receipt = answer::verify_receipt(org, receipt_jws, &part.bytes, now)?;
        let stored = StoredSubmission {
            plan_record: plan_record.to_string(),
            org: org.id.to_string(),
            receipt_id: receipt.receipt_id.clone(),
            receipt_jws: receipt_jws.to_owned(),
            part: part.part.clone(),
        };
        let json = serde_json::to_vec(&stored).expect("a submission serialises");
        let mut writes = self.put(RecordKind::Arrangement, Some(org.id.as_str()), &json, now);
        let mut entry = log_entry(org, "submit", arrangement_id, started_at, now);
        entry.document_sha256 = Some(receipt.part_sha256);
        entry.record = RecordId::from_key(writes[0].0.key()).map(|id| id.to_string());
        writes.extend(self.log(&entry, now));
        Ok(writes)
    }

    /// Checks an organisation's signed status of `receipt_id` and stores it with its log entry.
    pub fn accept_status(
        &mut self,
        org: &OrganisationDescriptor,
        status_jws: &str,
        receipt_id: &str,
        started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<SealedWrite>, Problem> {
        let status = answer::verify_status(org, status_jws, receipt_id, now)?;
        let stored = StoredStatus {
            org: org.id.to_string(),
            receipt_id: status.receipt_id.clone(),
            state: status.state,
            reason: status.reason.clone(),
            status_jws: status_jws.to_owned(),
        };
        let json = serde_json::to_vec(&stored).expect("a status serialises");
        let mut writes = self.put(RecordKind::Arrangement, Some(org.id.as_str()), &json, now);
        let mut entry = log_entry(org, "status", receipt_id, started_at, now);
        entry.record = RecordId::from_key(writes[0].0.key()).map(|id| id.to_string());
        writes.extend(self.log(&entry, now));
        Ok(writes)
    }

    /// Records a failed submission or status check (`action` `submit` or `status`).
    pub fn record_arrangement_failure(
        &mut self,
        org: &OrganisationDescriptor,
        action: &str,
        id: &str,
        message: &str,
        started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<SealedWrite> {
        let mut entry = log_entry(org, action, id, started_at, now);
        entry.failed(message.to_owned());
        self.log(&entry, now)
    }

    /// Every stored submission, oldest first.
    pub fn submissions(&self) -> Vec<StoredSubmission> {
        self.arrangement_records()
    }

    /// The latest stored status per receipt id.
    pub fn statuses(&self) -> BTreeMap<String, StoredStatus> {
        self.arrangement_records::<StoredStatus>()
            .into_iter()
            .map(|status| (status.receipt_id.clone(), status))
            .collect()
    }

    fn arrangement_records<T: for<'de> serde::Deserialize<'de>>(&self) -> Vec<T> {
        let mut found: Vec<(DateTime<Utc>, T)> = self
            .entries
            .iter()
            .filter(|(_, e)| e.kind == RecordKind::Arrangement)
            .filter_map(|(id, e)| Some((e.created_at, serde_json::from_slice(&self.payload(*id)?).ok()?)))
            .collect();
        found.sort_by_key(|(at, _)| *at);
        found.into_iter().map(|(_, record)| record).collect()
    }

    /// The transparency log, oldest first.
    pub fn fetch_log(&self) -> Vec<FetchLogEntry> {
        let mut log: Vec<(DateTime<Utc>, FetchLogEntry)> = self
            .entries
            .iter()
            .filter(|(_, e)| e.kind == RecordKind::FetchLog)
            .filter_map(|(id, e)| Some((e.created_at, serde_json::from_slice(&self.payload(*id)?).ok()?)))
            .collect();
        log.sort_by_key(|(at, _)| *at);
        log.into_iter().map(|(_, entry)| entry).collect()
    }

    /// The latest document of each organisation, opened, checked against its pinned keys
    /// ([`answer::document_at_rest`]) and parsed; one that fails the check is `None`.
    pub fn latest_documents(&self) -> BTreeMap<String, LatestDocument> {
        let scheme = self.scheme();
        self.latest_document_records()
            .into_iter()
            .map(|(source, (fetched_at, id))| {
                let document = self
                    .open_document(id)
                    .and_then(|jws| answer::document_at_rest(&scheme, &source, &self.recipients, &jws).ok());
                (source, LatestDocument { fetched_at, document })
            })
            .collect()
    }

    /// The newest document record of each organisation, with when it was stored.
    fn latest_document_records(&self) -> BTreeMap<String, (DateTime<Utc>, RecordId)> {
        let mut latest: BTreeMap<String, (DateTime<Utc>, RecordId)> = BTreeMap::new();
        for (id, entry) in &self.entries {
            if entry.kind == RecordKind::Document
                && let Some(source) = &entry.source
                && latest.get(source).is_none_or(|(at, _)| *at <= entry.created_at)
            {
                latest.insert(source.clone(), (entry.created_at, *id));
            }
        }
        latest
    }

    /// A stored document's JWS.
    fn open_document(&self, id: RecordId) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        document_record::open(&self.payload(id)?, &self.identity).ok()
    }

    /// The organisation's latest document: its record, and its JWS.
    fn latest_document(&self, source: &str) -> Option<(RecordId, zeroize::Zeroizing<Vec<u8>>)> {
        let (_, id) = self.latest_document_records().remove(source)?;
        Some((id, self.open_document(id)?))
    }

    /// The pinned organisations: the newest scheme record (empty if none was saved yet).
    pub fn scheme(&self) -> LocalScheme {
        self.entries
            .iter()
            .filter(|(_, e)| e.kind == RecordKind::Settings && e.source.as_deref() == Some(SCHEME_RECORD))
            .max_by_key(|(id, e)| (e.created_at, **id))
            .and_then(|(id, _)| serde_json::from_slice(&self.payload(*id)?).ok())
            .unwrap_or_default()
    }

    /// Pins organisations (adding or replacing each by id): a new scheme record, the writes.
    pub fn pin(&mut self, descriptors: Vec<OrganisationDescriptor>, now: DateTime<Utc>) -> Vec<SealedWrite> {
        let mut scheme = self.scheme();
        for descriptor in descriptors {
            scheme.pin(descriptor);
        }
        let json = serde_json::to_vec(&scheme).expect("a scheme serialises");
        self.put(RecordKind::Settings, Some(SCHEME_RECORD), &json, now)
    }

    /// Stops trusting the organisation `id` (its stored data stays): a new scheme record, the
    /// writes.
    pub fn unpin(&mut self, id: &str, now: DateTime<Utc>) -> Vec<SealedWrite> {
        let mut scheme = self.scheme();
        scheme.organisations.retain(|o| o.id.as_str() != id);
        let json = serde_json::to_vec(&scheme).expect("a scheme serialises");
        self.put(RecordKind::Settings, Some(SCHEME_RECORD), &json, now)
    }

    /// The overview, as the native pod builds it.
    pub fn overview(&self, as_of: NaiveDate, now: DateTime<Utc>) -> Overview {
        overview::build(&self.scheme().organisations, &self.latest_documents(), &self.fetch_log(), as_of, now)
    }
}

/// A transparency-log entry for one contact with `org`, successful until told otherwise.
fn log_entry(
    org: &OrganisationDescriptor,
    action: &str,
    id: &str,
    started_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> FetchLogEntry {
    FetchLogEntry::contact(org.id.as_str(), &org.name, action, id, started_at, now)
}

#[cfg(test)]
mod tests;
