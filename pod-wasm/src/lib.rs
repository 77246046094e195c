//! The pod core in the browser: thin wasm-bindgen bindings over [`pod_core`], so the browser runs
//! exactly the code the native pod runs. Values cross as bytes (`Uint8Array`) and JSON strings;
//! keys stay inside wasm memory as opaque handles ([`Identity`], [`DataKey`]) and are never
//! handed to JavaScript.
//!
//! Every function that takes outside input returns a JavaScript `Error` with a message for the
//! citizen when the input is bad; none panics on it.

#![warn(missing_docs)]

use age::secrecy::SecretString;
use chrono::NaiveDate;
use wasm_bindgen::prelude::*;

mod ui;
pub use ui::{descriptor_to_pin, render_progress, render_start, render_welcome, text};

/// The version of the pod core, so a page can show which build it runs.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// The citizen's unlocked age identity, held in wasm memory only.
#[wasm_bindgen]
pub struct Identity(pod_core::identity::UnwrappedIdentity);

#[wasm_bindgen]
impl Identity {
    /// Opens an identity file (age scrypt) with the passphrase or recovery code.
    #[wasm_bindgen(js_name = unwrap)]
    pub fn unwrap_file(file: &[u8], secret: &str) -> Result<Identity, JsError> {
        let secret = SecretString::from(secret.to_owned());
        pod_core::identity::unwrap_identity_file(file, &secret, "the identity file")
            .map(Identity)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// The public `age1…` recipient.
    pub fn recipient(&self) -> String {
        self.0.identity.to_public().to_string()
    }

    /// This identity wrapped by a new passphrase or, with `recovery`, a new recovery code.
    pub fn wrap(&self, secret: &str, recovery: bool) -> Result<Vec<u8>, JsError> {
        Ok(pod_core::identity::wrap_identity(
            &self.0.identity,
            &checked_secret(secret, recovery)?,
            pod_core::identity::KdfCost::Standard,
        ))
    }

    /// Opens the pod's data key, an age file to this identity, bound to it unless the identity
    /// file is from before binding ([`pod_core::integrity`]).
    #[wasm_bindgen(js_name = openDataKey)]
    pub fn open_data_key(&self, wrapped: &[u8]) -> Result<DataKey, JsError> {
        let unwrapped = pod_core::integrity::unwrap_data_key(wrapped, &self.0.identity)
            .map_err(|e| JsError::new(&e.to_string()))?;
        pod_core::integrity::require_binding(unwrapped.binding, self.0.requires_bound_store)
            .map_err(|e| JsError::new(&e.to_string()))?;
        Ok(DataKey(unwrapped.key))
    }
}

/// The pod's data key, held in wasm memory only.
#[wasm_bindgen]
pub struct DataKey(pod_core::seal::DataKey);

#[wasm_bindgen]
impl DataKey {
    /// Seals `plaintext` for storage at (`space`, `key`), padded to at least `floor` bytes.
    pub fn seal(&self, space: &str, key: &[u8], plaintext: &[u8], floor: usize) -> Vec<u8> {
        self.0.seal(space, key, plaintext, floor)
    }

    /// Opens a value sealed at (`space`, `key`).
    pub fn open(&self, space: &str, key: &[u8], sealed: &[u8]) -> Result<Vec<u8>, JsError> {
        self.0
            .open(space, key, sealed)
            .map(|plain| plain.to_vec())
            .ok_or_else(|| JsError::new("this record is damaged, was moved, or was sealed under another key"))
    }
}

/// Parses an FCID claim document and derives its view as of `as_of` (`YYYY-MM-DD`), as JSON:
/// what `pod inspect --json` shows.
#[wasm_bindgen(js_name = deriveView)]
pub fn derive_view(document: &[u8], as_of: &str) -> Result<String, JsError> {
    let as_of = parse_date(as_of)?;
    let document = schemas::fcid::parse(document).map_err(|e| JsError::new(&format!("at {}: {}", e.path, e.problem)))?;
    to_json(&schemas::fcid::derive::view(&document, as_of))
}

/// Plans an arrangement: an `ArrangementInput` as JSON in, the `ArrangementPlan` as JSON out.
#[wasm_bindgen]
pub fn plan(input: &str) -> Result<String, JsError> {
    let input: schemas::arrangement::ArrangementInput =
        serde_json::from_str(input).map_err(|e| JsError::new(&format!("the arrangement input is invalid: {e}")))?;
    let plan = pod_core::arrangement::plan(&input).map_err(|e| JsError::new(&e.to_string()))?;
    to_json(&plan)
}

/// A new passphrase (long enough) or recovery code (normalised), ready to wrap with.
fn checked_secret(secret: &str, recovery: bool) -> Result<SecretString, JsError> {
    let secret = SecretString::from(secret.to_owned());
    if recovery {
        pod_core::identity::normalise_recovery_code(&secret).map_err(|e| JsError::new(&e))
    } else {
        pod_core::identity::check_passphrase(&secret).map_err(|e| JsError::new(&e))?;
        Ok(secret)
    }
}

fn parse_date(text: &str) -> Result<NaiveDate, JsError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| JsError::new(&format!("{text:?} is not a date (YYYY-MM-DD)")))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, JsError> {
    serde_json::to_string(value).map_err(|e| JsError::new(&e.to_string()))
}

/// The citizen's half of an OPAQUE registration with a pod provider ([`pod_core::provider_login`]).
#[wasm_bindgen]
pub struct Registration(Option<pod_core::provider_login::Registration>);

#[wasm_bindgen]
impl Registration {
    /// Starts registering `secret`; send [`Registration::request`] to the provider.
    pub fn start(secret: &str) -> Result<Registration, JsError> {
        pod_core::provider_login::Registration::start(secret.as_bytes())
            .map(|r| Registration(Some(r)))
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// The `RegistrationRequest`.
    pub fn request(&self) -> Vec<u8> {
        self.0.as_ref().map(|r| r.request.clone()).unwrap_or_default()
    }

    /// Finishes with the provider's `RegistrationResponse`; the `RegistrationUpload` to send.
    /// A registration finishes once.
    pub fn finish(&mut self, secret: &str, response: &[u8]) -> Result<Vec<u8>, JsError> {
        let registration = self.0.take().ok_or_else(|| JsError::new("this registration already finished"))?;
        registration
            .finish(secret.as_bytes(), response)
            .map_err(|e| JsError::new(&e.to_string()))
    }
}

/// The citizen's half of an OPAQUE login at a pod provider.
#[wasm_bindgen]
pub struct Login(Option<pod_core::provider_login::Login>);

#[wasm_bindgen]
impl Login {
    /// Starts a login with `secret`; send [`Login::request`] to the provider.
    pub fn start(secret: &str) -> Result<Login, JsError> {
        pod_core::provider_login::Login::start(secret.as_bytes())
            .map(|l| Login(Some(l)))
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// The `CredentialRequest`.
    pub fn request(&self) -> Vec<u8> {
        self.0.as_ref().map(|l| l.request.clone()).unwrap_or_default()
    }

    /// Finishes with the provider's `CredentialResponse`: `{finalization, token}` as JSON, or
    /// the error `wrong passphrase`, found here without asking the provider.
    pub fn finish(&mut self, secret: &str, response: &[u8]) -> Result<String, JsError> {
        let login = self.0.take().ok_or_else(|| JsError::new("this login already finished"))?;
        let done = login
            .finish(secret.as_bytes(), response)
            .map_err(|e| JsError::new(&e.to_string()))?;
        use base64::Engine as _;
        to_json(&serde_json::json!({
            "finalization": base64::engine::general_purpose::STANDARD.encode(&done.finalization),
            "token": done.token.as_str(),
        }))
    }
}

/// Writes as the provider's batch takes them; `provider.js` sets each `expect` when it sends them.
fn writes_json(writes: &[pod_core::session::SealedWrite]) -> Result<String, JsError> {
    use base64::Engine as _;
    let writes: Vec<serde_json::Value> = writes
        .iter()
        .map(|(name, bytes)| {
            serde_json::json!({
                "name": name.to_string(),
                "expect": "absent",
                "bytes": base64::engine::general_purpose::STANDARD.encode(bytes),
            })
        })
        .collect();
    to_json(&writes)
}

fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, JsError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| JsError::new(&format!("{text:?} is not an RFC 3339 time")))
}

/// An organisation's failure, in the words the native pod uses.
fn fetch_error(org: &schemas::descriptor::OrganisationDescriptor, problem: pod_core::problem::Problem) -> JsError {
    JsError::new(
        &pod_core::problem::FetchError {
            org: org.id.to_string(),
            name: org.name.clone(),
            problem,
        }
        .to_string(),
    )
}

fn descriptor(json: &str) -> Result<schemas::descriptor::OrganisationDescriptor, JsError> {
    schemas::descriptor::OrganisationDescriptor::from_json(json.as_bytes())
        .map_err(|e| JsError::new(&format!("the organisation's descriptor is invalid: {e}")))
}

/// An unlocked pod in this tab ([`pod_core::session`]): its keys stay in wasm memory. Writes come
/// back as JSON arrays of batch writes (`{name, expect, bytes}`) for the provider's
/// `POST /api/v1/batch`.
#[wasm_bindgen]
pub struct Pod {
    session: pod_core::session::Session,
    created: Option<pod_core::session::NewPod>,
    /// Parts prepared for submission, by arrangement id, with their plan's record: the bytes
    /// sent are the bytes whose receipt is checked.
    prepared: std::collections::BTreeMap<String, (pod_core::records::RecordId, Vec<pod_core::arrangement::PreparedPart>)>,
    /// What an import from a backup uploads.
    imported: Option<ImportedBackup>,
}

/// A verified backup, waiting to be uploaded.
struct ImportedBackup {
    identity_file: Vec<u8>,
    batches: Vec<Vec<pod_core::session::SealedWrite>>,
}

#[wasm_bindgen]
impl Pod {
    /// Makes a new pod (sign-up). Its files are read with the getters below, once.
    pub fn create(passphrase: &str, recovery_code: &str) -> Result<Pod, JsError> {
        let (session, created) = pod_core::session::Session::create(
            &SecretString::from(passphrase.to_owned()),
            &SecretString::from(recovery_code.to_owned()),
            pod_core::identity::KdfCost::Standard,
        )
        .map_err(|e| JsError::new(&e))?;
        Ok(Pod {
            session,
            created: Some(created),
            prepared: Default::default(),
            imported: None,
        })
    }

    /// A fresh recovery code to show the citizen once.
    #[wasm_bindgen(js_name = newRecoveryCode)]
    pub fn new_recovery_code() -> String {
        use age::secrecy::ExposeSecret;
        pod_core::identity::generate_recovery_code().expose_secret().to_owned()
    }

    /// Opens a backup (`betaalpod-backup/1`) with its passphrase and verifies every record, before
    /// anything is sent anywhere. Read what to upload with [`Pod::import_material`].
    #[wasm_bindgen(js_name = fromBackup)]
    pub fn from_backup(bytes: &[u8], passphrase: &str) -> Result<Pod, JsError> {
        let (mut session, identity_file, writes) =
            pod_core::session::Session::from_backup(bytes, &SecretString::from(passphrase.to_owned()))
                .map_err(|e| JsError::new(&format!("this backup cannot be imported: {e}")))?;
        // Batches stay well under the provider's limit: a document is about half a MiB sealed.
        let batches = session.provider_batches(writes, 16);
        let imported = ImportedBackup { identity_file, batches };
        Ok(Pod {
            session,
            created: None,
            prepared: Default::default(),
            imported: Some(imported),
        })
    }

    /// An imported backup's sign-up material as JSON: `recipient`, the backup's `identity_file`,
    /// a `recovery_file` for `new_recovery_code` (the old code is not known here), and every
    /// stored value as `batches` of writes, to send in order.
    #[wasm_bindgen(js_name = importMaterial)]
    pub fn import_material(&self, new_recovery_code: &str) -> Result<String, JsError> {
        use base64::Engine as _;
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let imported = self.imported.as_ref().ok_or_else(|| JsError::new("this pod was not imported from a backup"))?;
        let recovery_file = self
            .session
            .wrap_identity(&checked_secret(new_recovery_code, true)?, pod_core::identity::KdfCost::Standard);
        let batches = imported
            .batches
            .iter()
            .map(|batch| serde_json::from_str(&writes_json(batch)?).map_err(|e| JsError::new(&e.to_string())))
            .collect::<Result<Vec<serde_json::Value>, JsError>>()?;
        to_json(&serde_json::json!({
            "recipient": self.session.recipient(),
            "identity_file": b64(&imported.identity_file),
            "recovery_file": b64(&recovery_file),
            "batches": batches,
        }))
    }

    /// Opens a pod with its identity file, the passphrase and the wrapped data key.
    pub fn open(identity_file: &[u8], passphrase: &str, wrapped_data_key: &[u8]) -> Result<Pod, JsError> {
        pod_core::session::Session::open(identity_file, &SecretString::from(passphrase.to_owned()), wrapped_data_key)
            .map(|session| Pod {
                session,
                created: None,
                prepared: Default::default(),
                imported: None,
            })
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// The name of the record that holds the wrapped data key.
    #[wasm_bindgen(js_name = dataKeyName)]
    pub fn data_key_name() -> String {
        pod_core::session::data_key_name().to_string()
    }

    /// A created pod's sign-up material as JSON (`recipient`, `identity_file`, `recovery_file`,
    /// base64), and its first batch (the wrapped data key).
    #[wasm_bindgen(js_name = signupMaterial)]
    pub fn signup_material(&self) -> Result<String, JsError> {
        use base64::Engine as _;
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let created = self.created.as_ref().ok_or_else(|| JsError::new("this pod was opened, not created"))?;
        to_json(&serde_json::json!({
            "recipient": created.recipient,
            "identity_file": b64(&created.identity_file),
            "recovery_file": b64(&created.recovery_file),
            "first_writes": [{
                "name": created.data_key_write.0.to_string(),
                "expect": "absent",
                "bytes": b64(&created.data_key_write.1),
            }],
        }))
    }

    /// The citizen's public recipient.
    pub fn recipient(&self) -> String {
        self.session.recipient()
    }

    /// The identity wrapped by a new passphrase (checked for length) or, with `recovery`, by a
    /// recovery code (normalised first): the file the provider keeps instead of the old one.
    #[wasm_bindgen(js_name = wrapIdentity)]
    pub fn wrap_identity(&self, secret: &str, recovery: bool) -> Result<Vec<u8>, JsError> {
        Ok(self
            .session
            .wrap_identity(&checked_secret(secret, recovery)?, pod_core::identity::KdfCost::Standard))
    }

    /// A recovery code as the citizen may type it, in the one form used everywhere (OPAQUE
    /// included): eight groups of four.
    #[wasm_bindgen(js_name = normaliseRecoveryCode)]
    pub fn normalise_recovery_code(typed: &str) -> Result<String, JsError> {
        use age::secrecy::ExposeSecret;
        pod_core::identity::normalise_recovery_code(&SecretString::from(typed.to_owned()))
            .map(|code| code.expose_secret().to_owned())
            .map_err(|e| JsError::new(&e))
    }

    /// Takes in one record the provider served.
    pub fn load(&mut self, name: &str, bytes: &[u8]) -> Result<(), JsError> {
        let name = provider_api::RecordName::parse(name).ok_or_else(|| JsError::new("the provider served a record with a malformed name"))?;
        self.session.load(&name, bytes).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Checks the pod once every record is loaded: it holds exactly what its manifest lists, and
    /// is no older than `guard` (what this browser kept from [`Pod::guard`], or nothing). Returns
    /// the writes (JSON) that start a manifest for a pod written before browsers kept one, else
    /// `[]`. An error names what is wrong.
    #[wasm_bindgen(js_name = checkIntegrity)]
    pub fn check_integrity(&mut self, guard: Option<String>, now: &str) -> Result<String, JsError> {
        let writes = self
            .session
            .check_integrity(guard.as_deref().map(str::as_bytes), parse_time(now)?)
            .map_err(|e| JsError::new(&e.to_string()))?;
        writes_json(&writes)
    }

    /// One batch (JSON `[{name, expect, bytes}]`, `bytes: null` to delete) with the manifest
    /// write added, to send as it is; then [`Pod::confirm_batch`] or [`Pod::abandon_batch`].
    #[wasm_bindgen(js_name = sealBatch)]
    pub fn seal_batch(&mut self, batch_json: &str, now: &str) -> Result<String, JsError> {
        #[derive(serde::Deserialize)]
        struct Write {
            name: String,
            #[serde(default)]
            bytes: Option<String>,
        }
        let mut writes: Vec<serde_json::Value> =
            serde_json::from_str(batch_json).map_err(|e| JsError::new(&format!("a batch is malformed: {e}")))?;
        let mut names = Vec::with_capacity(writes.len());
        for write in &writes {
            let write: Write = serde_json::from_value(write.clone()).map_err(|e| JsError::new(&format!("a batch write is malformed: {e}")))?;
            let name = provider_api::RecordName::parse(&write.name)
                .ok_or_else(|| JsError::new(&format!("{:?} is not a record name", write.name)))?;
            names.push((name, write.bytes.is_none()));
        }
        let manifest = self
            .session
            .seal_batch(names.iter().map(|(name, deleted)| (name, *deleted)), parse_time(now)?)
            .map_err(|e| JsError::new(&e.to_string()))?;
        if let Some(manifest) = manifest {
            let written: serde_json::Value = serde_json::from_str(&writes_json(&[manifest])?).map_err(|e| JsError::new(&e.to_string()))?;
            writes.extend(written.as_array().cloned().unwrap_or_default());
        }
        to_json(&writes)
    }

    /// The provider stored the batch. The guard to keep in this browser, if the pod keeps one.
    #[wasm_bindgen(js_name = confirmBatch)]
    pub fn confirm_batch(&mut self) -> Option<String> {
        self.session.confirm_batch().and_then(|guard| String::from_utf8(guard).ok())
    }

    /// The batch was not stored.
    #[wasm_bindgen(js_name = abandonBatch)]
    pub fn abandon_batch(&mut self) {
        self.session.abandon_batch()
    }

    /// The guard of the pod as it is now, to keep in this browser.
    pub fn guard(&self) -> Option<String> {
        self.session.guard().and_then(|guard| String::from_utf8(guard).ok())
    }

    /// The name under which this browser keeps the guard of this pod at `place`.
    #[wasm_bindgen(js_name = guardName)]
    pub fn guard_name(&self, place: &str) -> String {
        self.session.guard_name(place)
    }

    /// The claims request's body for this pod, and its nonce, as JSON `{body, nonce}`.
    #[wasm_bindgen(js_name = claimsRequest)]
    pub fn claims_request(&self) -> Result<String, JsError> {
        let (body, nonce) = pod_core::authorization::claims_request(&self.session.recipient());
        to_json(&serde_json::json!({ "body": body, "nonce": nonce }))
    }

    /// Checks an organisation's answer and seals it with its log entry: the writes.
    #[wasm_bindgen(js_name = acceptClaims)]
    pub fn accept_claims(
        &mut self,
        descriptor_json: &str,
        raw: &[u8],
        nonce: &str,
        fetch_id: &str,
        started_at: &str,
        now: &str,
    ) -> Result<String, JsError> {
        let org = descriptor(descriptor_json)?;
        let writes = self
            .session
            .accept_claims(&org, raw, nonce, fetch_id, parse_time(started_at)?, parse_time(now)?)
            .map_err(|problem| fetch_error(&org, problem))?;
        writes_json(&writes)
    }

    /// Logs a failed fetch: the writes.
    #[wasm_bindgen(js_name = recordFailure)]
    pub fn record_failure(
        &mut self,
        descriptor_json: &str,
        message: &str,
        fetch_id: &str,
        started_at: &str,
        now: &str,
    ) -> Result<String, JsError> {
        let org = descriptor(descriptor_json)?;
        let writes = self
            .session
            .record_failure(&org, message, fetch_id, parse_time(started_at)?, parse_time(now)?);
        writes_json(&writes)
    }

    /// Plans an arrangement (`ArrangementInput` JSON) and saves the plan: `{record, plan, writes}`.
    #[wasm_bindgen(js_name = saveArrangement)]
    pub fn save_arrangement(&mut self, input: &str, now: &str) -> Result<String, JsError> {
        let input: schemas::arrangement::ArrangementInput =
            serde_json::from_str(input).map_err(|e| JsError::new(&format!("the arrangement input is invalid: {e}")))?;
        let plan = pod_core::arrangement::plan(&input).map_err(|e| JsError::new(&e.to_string()))?;
        let (record, writes) = self.session.save_arrangement(&input, &plan, parse_time(now)?);
        let writes: serde_json::Value = serde_json::from_str(&writes_json(&writes)?).map_err(|e| JsError::new(&e.to_string()))?;
        to_json(&serde_json::json!({ "record": record.to_string(), "plan": plan, "writes": writes }))
    }

    /// Prepares the parts of a saved plan: `{arrangement_id, parts: [{org, bytes}]}`, each
    /// organisation's own part only unless `share_everything`.
    #[wasm_bindgen(js_name = prepareParts)]
    pub fn prepare_parts(&mut self, plan_record: &str, share_everything: bool) -> Result<String, JsError> {
        use base64::Engine as _;
        let record = pod_core::records::RecordId::parse(plan_record).ok_or_else(|| JsError::new("no such saved plan"))?;
        let (arrangement_id, parts) = self
            .session
            .prepare_parts(record, share_everything)
            .ok_or_else(|| JsError::new("no such saved plan"))?;
        let listed: Vec<serde_json::Value> = parts
            .iter()
            .map(|p| serde_json::json!({ "org": p.org, "bytes": base64::engine::general_purpose::STANDARD.encode(&p.bytes) }))
            .collect();
        self.prepared.insert(arrangement_id.clone(), (record, parts));
        to_json(&serde_json::json!({ "arrangement_id": arrangement_id, "parts": listed }))
    }

    /// Checks an organisation's receipt for its prepared part and stores the submission: writes.
    #[wasm_bindgen(js_name = acceptReceipt)]
    pub fn accept_receipt(
        &mut self,
        descriptor_json: &str,
        arrangement_id: &str,
        receipt_jws: &str,
        started_at: &str,
        now: &str,
    ) -> Result<String, JsError> {
        let org = descriptor(descriptor_json)?;
        let (record, parts) = self
            .prepared
            .get(arrangement_id)
            .ok_or_else(|| JsError::new("no parts were prepared under this arrangement id"))?;
        let part = parts
            .iter()
            .find(|p| p.org == org.id.as_str())
            .ok_or_else(|| JsError::new("no part was prepared for this organisation"))?
            .clone();
        let record = *record;
        let writes = self
            .session
            .accept_receipt(&org, record, &part, receipt_jws, arrangement_id, parse_time(started_at)?, parse_time(now)?)
            .map_err(|problem| fetch_error(&org, problem))?;
        writes_json(&writes)
    }

    /// The submissions of a saved plan: `[{org, receipt_id}]`.
    pub fn submissions(&self, plan_record: &str) -> Result<String, JsError> {
        let listed: Vec<serde_json::Value> = self
            .session
            .submissions()
            .into_iter()
            .filter(|s| s.plan_record == plan_record)
            .map(|s| serde_json::json!({ "org": s.org, "receipt_id": s.receipt_id }))
            .collect();
        to_json(&listed)
    }

    /// Checks an organisation's signed status and stores it: writes.
    #[wasm_bindgen(js_name = acceptStatus)]
    pub fn accept_status(
        &mut self,
        descriptor_json: &str,
        status_jws: &str,
        receipt_id: &str,
        started_at: &str,
        now: &str,
    ) -> Result<String, JsError> {
        let org = descriptor(descriptor_json)?;
        let writes = self
            .session
            .accept_status(&org, status_jws, receipt_id, parse_time(started_at)?, parse_time(now)?)
            .map_err(|problem| fetch_error(&org, problem))?;
        writes_json(&writes)
    }

    /// The latest status of each submission: `{receipt_id: {org, state, reason}}`.
    pub fn statuses(&self) -> Result<String, JsError> {
        let map: serde_json::Map<String, serde_json::Value> = self
            .session
            .statuses()
            .into_iter()
            .map(|(id, s)| (id, serde_json::json!({ "org": s.org, "state": s.state, "reason": s.reason })))
            .collect();
        to_json(&map)
    }

    /// Logs a failed submission or status check (`action`: `submit` or `status`): writes.
    #[wasm_bindgen(js_name = recordArrangementFailure)]
    pub fn record_arrangement_failure(
        &mut self,
        descriptor_json: &str,
        action: &str,
        id: &str,
        message: &str,
        started_at: &str,
        now: &str,
    ) -> Result<String, JsError> {
        if action != "submit" && action != "status" {
            return Err(JsError::new("action is submit or status"));
        }
        let org = descriptor(descriptor_json)?;
        let writes = self.session.record_arrangement_failure(
            &org,
            action,
            id,
            message,
            parse_time(started_at)?,
            parse_time(now)?,
        );
        writes_json(&writes)
    }

    /// Pins organisations (a JSON array of descriptors, each checked): the writes.
    pub fn pin(&mut self, descriptors_json: &str, now: &str) -> Result<String, JsError> {
        let values: Vec<serde_json::Value> = serde_json::from_str(descriptors_json)
            .map_err(|e| JsError::new(&format!("the organisations are invalid: {e}")))?;
        let descriptors = values
            .iter()
            .map(|v| descriptor(&v.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        writes_json(&self.session.pin(descriptors, parse_time(now)?))
    }

    /// Stops trusting the organisation `id` (its stored data stays): the writes.
    pub fn unpin(&mut self, id: &str, now: &str) -> Result<String, JsError> {
        writes_json(&self.session.unpin(id, parse_time(now)?))
    }

    /// The pinned organisations, as a JSON array of descriptors.
    pub fn pinned(&self) -> Result<String, JsError> {
        to_json(&self.session.scheme().organisations)
    }

    /// The overview as JSON, exactly as `pod overview --json` shows it.
    pub fn overview(&self, as_of: &str, now: &str) -> Result<String, JsError> {
        to_json(&self.session.overview(parse_date(as_of)?, parse_time(now)?))
    }
}

/// A login at an organisation under way in this tab ([`pod_core::authorization`]): state and
/// PKCE verifier never leave wasm memory, which binds the login to this tab.
#[wasm_bindgen]
pub struct OrgLogin {
    authorization: pod_core::authorization::Authorization,
    org: schemas::descriptor::OrganisationDescriptor,
    client_id: String,
    redirect_uri: String,
}

#[wasm_bindgen]
impl OrgLogin {
    /// Starts a login at the organisation for `scope`, asking for the answer in the fragment.
    /// With `without_login_page`, asks the organisation to log the citizen in without showing a
    /// login (`prompt=none`): the next hop of a chain through one login provider.
    pub fn begin(
        descriptor_json: &str,
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
        without_login_page: bool,
    ) -> Result<OrgLogin, JsError> {
        let org = descriptor(descriptor_json)?;
        let mut authorization = pod_core::authorization::Authorization::begin(&org, client_id, redirect_uri, scope, true);
        if without_login_page {
            authorization.url = pod_core::authorization::without_login_page(&authorization.url);
        }
        Ok(OrgLogin {
            authorization,
            org,
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
        })
    }

    /// Where to send the citizen.
    pub fn url(&self) -> String {
        self.authorization.url.to_string()
    }

    /// Whether the answer (`params`: the fragment without `#`) is this organisation's own word
    /// that it needs its login page (`login_required`, `interaction_required`): then the chain
    /// asks again with the login shown.
    #[wasm_bindgen(js_name = asksForLogin)]
    pub fn asks_for_login(&self, params: &str) -> bool {
        let callback = pod_core::authorization::Callback::from_params(params);
        pod_core::authorization::asks_for_login(&callback, &self.authorization.state, &self.org)
    }

    /// The token request's form body for the answer (`params`: the fragment without `#`), after
    /// checking its state and issuer. A wrong answer is an error in words for the citizen.
    #[wasm_bindgen(js_name = tokenRequest)]
    pub fn token_request(&self, params: &str) -> Result<String, JsError> {
        let callback = pod_core::authorization::Callback::from_params(params);
        self.authorization
            .token_request(&callback, &self.org, &self.client_id, &self.redirect_uri)
            .map_err(|problem| {
                JsError::new(
                    &pod_core::problem::FetchError {
                        org: self.org.id.to_string(),
                        name: self.org.name.clone(),
                        problem,
                    }
                    .to_string(),
                )
            })
    }

    /// Whether the keys the organisation serves now (its JWKS, as JSON) are the pinned ones.
    #[wasm_bindgen(js_name = servedKeysMatch)]
    pub fn served_keys_match(&self, jwks_json: &str, now: &str) -> Result<bool, JsError> {
        #[derive(serde::Deserialize)]
        struct Jwks {
            keys: Vec<schemas::jws::Jwk>,
        }
        let Ok(served) = serde_json::from_str::<Jwks>(jwks_json) else {
            return Ok(false);
        };
        Ok(pod_core::authorization::served_keys_match(&self.org, &served.keys, parse_time(now)?))
    }
}
