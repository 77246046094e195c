//! The pod core in the browser: thin wasm-bindgen bindings over [`pod_core`], so the browser runs
//! exactly the code the native pod runs. Values cross as bytes (`Uint8Array`) and JSON strings;
//! keys stay inside wasm memory as opaque handles ([`Identity`], [`DataKey`]) and are never
//! handed to JavaScript.
//!
//! Every function that takes outside input returns a JavaScript `Error` with a message for the
//! citizen when the input is bad; none panics on it.

use age::secrecy::SecretString;
use chrono::NaiveDate;
use wasm_bindgen::prelude::*;

/// The version of the pod core, so a page can show which build it runs.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// The citizen's unlocked age identity, held in wasm memory only.
#[wasm_bindgen]
pub struct Identity(age::x25519::Identity);

#[wasm_bindgen]
impl Identity {
    /// Opens an identity file (age scrypt) with the passphrase or recovery code.
    #[wasm_bindgen(js_name = unwrap)]
    pub fn unwrap_file(file: &[u8], secret: &str) -> Result<Identity, JsError> {
        let secret = SecretString::from(secret.to_owned());
        pod_core::identity::unwrap_identity(file, &secret, "the identity file")
            .map(Identity)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// The public `age1…` recipient.
    pub fn recipient(&self) -> String {
        self.0.to_public().to_string()
    }

    /// Opens the pod's data key, an age file to this identity.
    #[wasm_bindgen(js_name = openDataKey)]
    pub fn open_data_key(&self, wrapped: &[u8]) -> Result<DataKey, JsError> {
        let bytes = age::decrypt(&self.0, wrapped)
            .map_err(|_| JsError::new("the pod's data key does not open with this identity"))?;
        pod_core::seal::DataKey::from_bytes(&bytes)
            .map(DataKey)
            .ok_or_else(|| JsError::new("the pod's data key is damaged"))
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
