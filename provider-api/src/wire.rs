//! The JSON bodies of the storage API. Bytes travel as standard base64 strings. Every body
//! refuses unknown fields, so a typo in a client is an error, not a silent default.

use serde::{Deserialize, Serialize};

/// Which of a pod's two OPAQUE credentials a login or registration is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// The passphrase: a full session.
    Passphrase,
    /// The recovery code: a session that may only read the recovery file and set new credentials.
    Recovery,
}

impl Credential {
    /// The name used in identifiers and logs.
    pub fn name(self) -> &'static str {
        match self {
            Credential::Passphrase => "passphrase",
            Credential::Recovery => "recovery",
        }
    }
}

/// `POST /api/v1/signup/start`: the first OPAQUE registration message for each credential.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupStart {
    /// `RegistrationRequest` for the passphrase.
    #[serde(with = "b64")]
    pub passphrase_request: Vec<u8>,
    /// `RegistrationRequest` for the recovery code.
    #[serde(with = "b64")]
    pub recovery_request: Vec<u8>,
}

/// The answer to [`SignupStart`]: the new pod's id and the server's registration messages.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupStarted {
    /// The pod id the provider chose (32 hex digits).
    pub pod_id: String,
    /// `RegistrationResponse` for the passphrase.
    #[serde(with = "b64")]
    pub passphrase_response: Vec<u8>,
    /// `RegistrationResponse` for the recovery code.
    #[serde(with = "b64")]
    pub recovery_response: Vec<u8>,
}

/// `POST /api/v1/signup/finish`: the OPAQUE records and the wrapped identity, all made in the
/// browser.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupFinish {
    /// The id from [`SignupStarted`].
    pub pod_id: String,
    /// `RegistrationUpload` for the passphrase.
    #[serde(with = "b64")]
    pub passphrase_upload: Vec<u8>,
    /// `RegistrationUpload` for the recovery code.
    #[serde(with = "b64")]
    pub recovery_upload: Vec<u8>,
    /// The citizen's public `age1…` recipient.
    pub recipient: String,
    /// The identity wrapped by the passphrase (an age scrypt file).
    #[serde(with = "b64")]
    pub identity_file: Vec<u8>,
    /// The identity wrapped by the recovery code (an age scrypt file).
    #[serde(with = "b64")]
    pub recovery_file: Vec<u8>,
}

/// `POST /api/v1/login/start`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginStart {
    /// The pod.
    pub pod_id: String,
    /// Which credential.
    pub credential: Credential,
    /// `CredentialRequest`.
    #[serde(with = "b64")]
    pub request: Vec<u8>,
}

/// The answer to [`LoginStart`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginStarted {
    /// Names this login attempt in [`LoginFinish`]; valid for a minute.
    pub login_id: String,
    /// `CredentialResponse`.
    #[serde(with = "b64")]
    pub response: Vec<u8>,
}

/// `POST /api/v1/login/finish`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginFinish {
    /// From [`LoginStarted`].
    pub login_id: String,
    /// `CredentialFinalization`.
    #[serde(with = "b64")]
    pub finalization: Vec<u8>,
}

/// The answer to [`LoginFinish`]: a session exists. Its bearer token is
/// [`session_token`] of the OPAQUE session key, which both sides hold and which never crossed
/// the network.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// The pod.
    pub pod_id: String,
    /// What the session may do.
    pub scope: Credential,
    /// When it ends unless used (RFC 3339).
    pub expires_at: String,
}

/// The bearer token of a session: the OPAQUE session key in base64url.
pub fn session_token(session_key: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(session_key)
}

/// `GET /api/v1/pod`: what the provider keeps for the pod, apart from its records.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodInfo {
    /// The pod.
    pub pod_id: String,
    /// The citizen's public recipient.
    pub recipient: String,
    /// The identity wrapped by the passphrase.
    #[serde(with = "b64")]
    pub identity_file: Vec<u8>,
    /// What the pod uses.
    pub usage: Usage,
    /// What it may use.
    pub quota: Usage,
}

/// A count of records and their bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    /// Records.
    pub records: u64,
    /// Bytes.
    pub bytes: u64,
}

/// `GET /api/v1/pod/recovery-file` (a recovery session).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryFile {
    /// The identity wrapped by the recovery code.
    #[serde(with = "b64")]
    pub recovery_file: Vec<u8>,
}

/// One record in a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordInfo {
    /// Its name (`SPACE.HEX`).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its version; the `ETag` is this number in quotes.
    pub version: u64,
}

/// `GET /api/v1/records`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordList {
    /// Every record, by name.
    pub records: Vec<RecordInfo>,
}

/// What a write expects to find, so two browser tabs never overwrite each other silently.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// The record must not exist yet (`If-None-Match: *`).
    Absent,
    /// The record must be at this version (`If-Match: "N"`).
    Version(u64),
}

/// One write in a [`Batch`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchWrite {
    /// The record.
    pub name: String,
    /// What must be there now.
    pub expect: Expect,
    /// The new bytes, or `None` to delete it.
    #[serde(default, with = "b64_option")]
    pub bytes: Option<Vec<u8>>,
}

/// `POST /api/v1/batch`: writes that happen all together or not at all, with one durable commit.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// The writes, at most [`MAX_BATCH_WRITES`].
    pub writes: Vec<BatchWrite>,
}

/// The most writes one batch may hold.
pub const MAX_BATCH_WRITES: usize = 256;

/// The answer to a batch: the new version of every record written (deleted ones are left out).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchDone {
    /// The written records.
    pub records: Vec<RecordInfo>,
}

/// `POST /api/v1/pod/credentials/start`: a new OPAQUE registration for a signed-in pod.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialStart {
    /// Which credential.
    pub credential: Credential,
    /// `RegistrationRequest`.
    #[serde(with = "b64")]
    pub request: Vec<u8>,
}

/// The answer to [`CredentialStart`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialStarted {
    /// `RegistrationResponse`.
    #[serde(with = "b64")]
    pub response: Vec<u8>,
}

/// A replaced credential: its OPAQUE record and the identity wrapped by the new secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCredential {
    /// `RegistrationUpload`.
    #[serde(with = "b64")]
    pub upload: Vec<u8>,
    /// The identity wrapped by the new secret (an age scrypt file).
    #[serde(with = "b64")]
    pub file: Vec<u8>,
}

/// `PUT /api/v1/pod/credentials`: a new passphrase, a new recovery code, or both, replaced in one
/// transaction. A recovery session must replace both.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsReplace {
    /// The new passphrase.
    pub passphrase: Option<NewCredential>,
    /// The new recovery code.
    pub recovery: Option<NewCredential>,
}

/// Every error answer: a stable code for programs and a message for people.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiError {
    /// A stable code, such as `conflict` or `quota_exceeded`.
    pub error: String,
    /// What happened and what to do.
    pub message: String,
}

mod b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text)
            .map_err(|_| serde::de::Error::custom("not valid base64"))
    }
}

mod b64_option {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => super::b64::serialize(bytes, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::b64")] Vec<u8>);
        Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
    }
}
