//! A pod at a provider, used from the citizen's own machine: `pod serve --provider URL
//! --pod-id ID`. The provider's storage API ([docs/PROVIDER.md]) is the [`Store`]; the login is
//! OPAQUE, so the passphrase never leaves this machine; the identity and data key are opened
//! here. The provider's app (its JavaScript and wasm) is not involved at all, which is what a
//! citizen who does not want to trust the provider's code uses.
//!
//! The `Store` trait is synchronous, so the HTTP calls run on a small runtime of this store's
//! own and the caller waits for each answer. Every write names the version it replaces (or that
//! the record is new), so a change made meanwhile in a browser tab is refused, never overwritten.

use std::collections::HashMap;
use parking_lot::Mutex;

use age::secrecy::{ExposeSecret, SecretString};
use provider_api::RecordName;
use provider_api::wire::{
    self, Batch, BatchDone, BatchWrite, Credential, Expect, LoginFinish, LoginStart, LoginStarted, PodInfo, RecordList,
};

use super::backend::{BackendError, Change, Entries, Space, Store};
use super::keys;
use super::error::PodError;
use super::session::UnlockedPod;

const API: &str = "/api/v1";

/// The records of one pod at a provider, read and written through its storage API.
pub struct RemoteStore {
    base: url::Url,
    token: String,
    http: reqwest::Client,
    /// Its own runtime (taken at drop, to shut it down without blocking).
    runtime: Option<tokio::runtime::Runtime>,
    /// The version of every record this store has seen, by name.
    versions: Mutex<HashMap<String, u64>>,
}

fn io(what: &str, e: impl std::fmt::Display) -> BackendError {
    BackendError::Io(format!("{what}: {e}"))
}

impl RemoteStore {
    /// Runs `call` on this store's runtime and waits for it (also from inside another runtime).
    fn wait<T: Send + 'static>(
        &self,
        call: impl std::future::Future<Output = Result<T, BackendError>> + Send + 'static,
    ) -> Result<T, BackendError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| BackendError::Io("the provider connection stopped".to_owned()))?;
        runtime.spawn(async move {
            let _ = tx.send(call.await);
        });
        blocking(|| rx.recv())
            .map_err(|_| BackendError::Io("the provider connection stopped".to_owned()))?
    }

    fn url(&self, path: &str) -> Result<url::Url, BackendError> {
        self.base
            .join(&format!("{API}{path}"))
            .map_err(|e| io("the provider's address", e))
    }

    fn name(space: Space, key: &[u8]) -> Result<RecordName, BackendError> {
        RecordName::new(space, key).ok_or_else(|| BackendError::Io("a record key too long for a provider".to_owned()))
    }

    fn remember(&self, name: &str, version: Option<u64>) {
        let mut versions = self.versions.lock();
        match version {
            Some(version) => versions.insert(name.to_owned(), version),
            None => versions.remove(name),
        };
    }
}

/// Waits for `wait` without stalling the caller's runtime: on a multi-threaded runtime (the web
/// server's) the worker hands its other tasks on first, so nothing queued behind it waits for
/// the provider's answer too.
fn blocking<T>(wait: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(wait)
        }
        _ => wait(),
    }
}

/// A refused answer in words, with the provider's own message when it sent one.
async fn refused(what: &str, answer: reqwest::Response) -> BackendError {
    let status = answer.status();
    let message = answer
        .json::<wire::ApiError>()
        .await
        .map(|e| e.message)
        .unwrap_or_else(|_| format!("HTTP {status}"));
    match status {
        reqwest::StatusCode::PRECONDITION_FAILED => BackendError::Io(format!(
            "{what}: the pod changed at the provider meanwhile (another tab or device); lock and unlock to read it again"
        )),
        reqwest::StatusCode::INSUFFICIENT_STORAGE | reqwest::StatusCode::PAYLOAD_TOO_LARGE => BackendError::Quota(message),
        reqwest::StatusCode::UNAUTHORIZED => BackendError::Io(format!(
            "{what}: the provider ended this session; unlock again"
        )),
        _ => BackendError::Io(format!("{what}: {message}")),
    }
}

impl Store for RemoteStore {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        let name = Self::name(space, key)?.to_string();
        let (http, url, token) = (self.http.clone(), self.url(&format!("/records/{name}"))?, self.token.clone());
        let got = self.wait(async move {
            let answer = http.get(url).bearer_auth(token).send().await.map_err(|e| io("reading a record", e))?;
            if answer.status() == reqwest::StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if !answer.status().is_success() {
                return Err(refused("reading a record", answer).await);
            }
            let version = answer
                .headers()
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .and_then(provider_api::parse_etag);
            let bytes = answer.bytes().await.map_err(|e| io("reading a record", e))?;
            Ok(Some((bytes.to_vec(), version)))
        })?;
        match got {
            Some((bytes, version)) => {
                self.remember(&name, version);
                Ok(Some(bytes))
            }
            None => {
                self.remember(&name, None);
                Ok(None)
            }
        }
    }

    fn scan(&self, space: Space) -> Result<Entries, BackendError> {
        let (http, url, token) = (self.http.clone(), self.url("/records")?, self.token.clone());
        let list: RecordList = self.wait(async move {
            let answer = http.get(url).bearer_auth(token).send().await.map_err(|e| io("listing records", e))?;
            if !answer.status().is_success() {
                return Err(refused("listing records", answer).await);
            }
            answer.json().await.map_err(|e| io("listing records", e))
        })?;
        let mut entries = Vec::new();
        for info in list.records {
            let Some(name) = RecordName::parse(&info.name) else { continue };
            if name.space() != space {
                continue;
            }
            if let Some(bytes) = self.get(space, name.key())? {
                entries.push((name.key().to_vec(), bytes));
            }
        }
        entries.sort();
        Ok(entries)
    }

    fn commit(&self, changes: Vec<Change>) -> Result<(), BackendError> {
        let versions = self.versions.lock().clone();
        let mut writes = Vec::with_capacity(changes.len());
        for change in changes {
            let (space, key, bytes) = match change {
                Change::Put(space, key, value) => (space, key, Some(value)),
                Change::Delete(space, key) => (space, key, None),
            };
            let name = Self::name(space, &key)?.to_string();
            let expect = versions.get(&name).map_or(Expect::Absent, |v| Expect::Version(*v));
            if bytes.is_none() && expect == Expect::Absent {
                continue; // deleting what is not there
            }
            writes.push(BatchWrite { name, expect, bytes });
        }
        for chunk in writes.chunks(wire::MAX_BATCH_WRITES) {
            let batch = Batch { writes: chunk.to_vec() };
            let (http, url, token) = (self.http.clone(), self.url("/batch")?, self.token.clone());
            let done: BatchDone = self.wait(async move {
                let answer = http
                    .post(url)
                    .bearer_auth(token)
                    .json(&batch)
                    .send()
                    .await
                    .map_err(|e| io("writing", e))?;
                if !answer.status().is_success() {
                    return Err(refused("writing", answer).await);
                }
                answer.json().await.map_err(|e| io("writing", e))
            })?;
            for write in chunk.iter().filter(|w| w.bytes.is_none()) {
                self.remember(&write.name, None);
            }
            for record in done.records {
                self.remember(&record.name, Some(record.version));
            }
        }
        Ok(())
    }
}

impl Drop for RemoteStore {
    /// Locking ends the provider session too. The runtime shuts down without blocking, since
    /// a pod is often locked from inside the web server's own runtime.
    fn drop(&mut self) {
        let Some(runtime) = self.runtime.take() else { return };
        if let Ok(url) = self.url("/logout") {
            let (http, token) = (self.http.clone(), self.token.clone());
            let (tx, rx) = std::sync::mpsc::channel();
            runtime.spawn(async move {
                let _ = http.post(url).bearer_auth(token).send().await;
                let _ = tx.send(());
            });
            let _ = blocking(|| rx.recv_timeout(std::time::Duration::from_secs(5)));
        }
        runtime.shutdown_background();
    }
}

/// A pod at a provider, opened from this machine: the provider's address and the pod number.
#[derive(Clone, Debug)]
pub struct ProviderPod {
    /// The provider, `https://pods.example.nl`.
    pub url: url::Url,
    /// The pod number (32 hex digits).
    pub pod_id: String,
}

impl ProviderPod {
    /// Logs in with OPAQUE (the passphrase stays here), fetches the wrapped identity, opens it
    /// here and opens the pod over the provider's storage API. Blocking (scrypt, network).
    pub fn unlock(&self, passphrase: &SecretString) -> Result<UnlockedPod, PodError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("provider-store")
            .enable_all()
            .build()
            .map_err(|e| PodError::Io(e.to_string()))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(bounded_http::POOL_IDLE_TIMEOUT)
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| PodError::Io(e.to_string()))?;
        let api = |path: &str| {
            self.url
                .join(&format!("{API}{path}"))
                .map_err(|e| PodError::Io(format!("the provider's address: {e}")))
        };
        let secret = passphrase.expose_secret().as_bytes().to_vec();
        let login = pod_core::provider_login::Login::start(&secret).map_err(|e| PodError::Io(e.to_string()))?;
        let start = LoginStart {
            pod_id: self.pod_id.clone(),
            credential: Credential::Passphrase,
            request: login.request.clone(),
        };
        let (start_url, finish_url, info_url) = (api("/login/start")?, api("/login/finish")?, api("/pod")?);
        let call = {
            let http = http.clone();
            async move {
                let answer = http.post(start_url).json(&start).send().await.map_err(|e| e.to_string())?;
                if !answer.status().is_success() {
                    let status = answer.status();
                    let message = answer.json::<wire::ApiError>().await.map(|e| e.message).unwrap_or_default();
                    return Err(format!("the provider refused the login (HTTP {status}): {message}"));
                }
                answer.json::<LoginStarted>().await.map_err(|e| e.to_string())
            }
        };
        let started = runtime.block_on(call).map_err(PodError::Io)?;
        let logged_in = match login.finish(&secret, &started.response) {
            Ok(logged_in) => logged_in,
            Err(pod_core::provider_login::LoginError::WrongSecret) => return Err(PodError::WrongPassphrase),
            Err(e) => return Err(PodError::Io(e.to_string())),
        };
        let token = logged_in.token.to_string();
        let finish = LoginFinish {
            login_id: started.login_id,
            finalization: logged_in.finalization.clone(),
        };
        let call = {
            let (http, token) = (http.clone(), token.clone());
            async move {
                let answer = http.post(finish_url).json(&finish).send().await.map_err(|e| e.to_string())?;
                if !answer.status().is_success() {
                    return Err(format!("the provider did not finish the login (HTTP {})", answer.status()));
                }
                let answer = http.get(info_url).bearer_auth(token).send().await.map_err(|e| e.to_string())?;
                answer.json::<PodInfo>().await.map_err(|e| e.to_string())
            }
        };
        let info = runtime.block_on(call).map_err(PodError::Io)?;
        let opened = match keys::unwrap_identity_file(&info.identity_file, passphrase, "the provider's identity file") {
            Ok(opened) => opened,
            Err(pod_core::identity::KeyError::WrongSecret) => return Err(PodError::WrongPassphrase),
            Err(e) => return Err(PodError::Damaged(e.to_string())),
        };
        let store = RemoteStore {
            base: self.url.clone(),
            token,
            http,
            runtime: Some(runtime),
            versions: Mutex::new(HashMap::new()),
        };
        tracing::info!(provider = %self.url, "opened a pod at a provider");
        UnlockedPod::open_at_provider(self.url.as_str(), Box::new(store), opened)
    }
}
