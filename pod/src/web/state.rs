//! The server's state: the one unlocked session (if any), running fetches, and the pod folder.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use parking_lot::Mutex;
use std::time::{Duration, Instant};

use fetcher::login::BrowserLogin;
use fetcher::{Progress, Stage};
use rand::RngCore;

use age::secrecy::SecretString;

use crate::store::{PodDir, PodError, UnlockedPod};

/// Settings of `pod serve`, and of one pod at a provider.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Where the server listens; the Host header must name it (unless `public_origin` is set).
    pub listen: SocketAddr,
    /// Lock after this long without a request.
    pub auto_lock: Duration,
    /// For a pod at a provider: the origin the citizen's browser uses
    /// (`https://pods.example.nl`). Host, Origin and the OAuth callback follow it. `None` for a
    /// pod on the citizen's own machine, which answers only to its loopback address.
    pub public_origin: Option<String>,
    /// The path the session cookie is limited to (`/`, or `/p/{pod-id}` at a provider, so that
    /// one browser's sessions at two pods never mix).
    pub cookie_path: String,
}

impl WebConfig {
    /// A pod on the citizen's own machine, listening on `listen`.
    pub fn local(listen: SocketAddr, auto_lock: Duration) -> Self {
        Self {
            listen,
            auto_lock,
            public_origin: None,
            cookie_path: "/".to_owned(),
        }
    }
}

/// How the server opens its pod: a folder on this machine ([`PodDir`]), or a pod at a provider
/// ([`crate::store::remote::ProviderPod`]).
pub trait PodOpener: Send + Sync {
    /// Unwraps the identity with `passphrase` and opens the store. Blocking (scrypt).
    fn unlock(&self, passphrase: &SecretString) -> Result<UnlockedPod, PodError>;

    /// Re-wraps the identity of the open `pod` with `new`, after checking `current`. Blocking.
    fn change_passphrase(&self, pod: &UnlockedPod, current: &SecretString, new: &SecretString) -> Result<(), PodError>;
}

impl PodOpener for PodDir {
    fn unlock(&self, passphrase: &SecretString) -> Result<UnlockedPod, PodError> {
        PodDir::unlock(self, passphrase)
    }

    fn change_passphrase(&self, pod: &UnlockedPod, current: &SecretString, new: &SecretString) -> Result<(), PodError> {
        pod.change_passphrase(current, new, crate::store::KdfCost::Standard)
    }
}

impl PodOpener for crate::store::remote::ProviderPod {
    fn unlock(&self, passphrase: &SecretString) -> Result<UnlockedPod, PodError> {
        crate::store::remote::ProviderPod::unlock(self, passphrase)
    }

    fn change_passphrase(&self, _pod: &UnlockedPod, _current: &SecretString, _new: &SecretString) -> Result<(), PodError> {
        Err(PodError::Unsupported(
            "change the passphrase of a pod at a provider in the provider's app (Settings); this machine only opens it"
                .to_owned(),
        ))
    }
}

struct UnlockedSession {
    pod: Arc<UnlockedPod>,
    /// The session that unlocked; other sessions stay locked out.
    token: String,
    last_used: Instant,
}

/// One citizen fetch started from the web UI.
pub struct FetchJob {
    /// Its id.
    pub id: String,
    /// The organisations, in order: (id, name).
    pub orgs: Vec<(String, String)>,
    /// The latest stage per organisation.
    pub stages: Mutex<HashMap<String, Stage>>,
    /// Set once the job has finished.
    pub finished: std::sync::atomic::AtomicBool,
    /// The running task, aborted when the pod is locked.
    pub task: Mutex<Option<tokio::task::AbortHandle>>,
    /// Whether the organisations' logins run one after another in the citizen's browser.
    pub in_turn: bool,
    /// Woken on every progress report and at the end.
    pub changed: tokio::sync::Notify,
    /// The language the citizen started it in. The login's way back comes from another site, so
    /// it carries no `SameSite=Strict` language cookie: its page speaks this language instead.
    pub lang: schemas::lang::Lang,
    /// The page a chain of logins ends on when every organisation is done.
    pub ends_at: String,
}

impl FetchJob {
    /// A job for `orgs`, not started, for a citizen who reads `lang`; run `in_turn`, it ends on
    /// the page `ends_at`.
    pub fn new(orgs: Vec<(String, String)>, in_turn: bool, lang: schemas::lang::Lang, ends_at: &str) -> Self {
        Self {
            id: random_token(),
            orgs,
            stages: Mutex::new(HashMap::new()),
            finished: std::sync::atomic::AtomicBool::new(false),
            task: Mutex::new(None),
            in_turn,
            changed: tokio::sync::Notify::new(),
            lang,
            ends_at: ends_at.to_owned(),
        }
    }

    /// Records a progress report.
    pub fn update(&self, progress: Progress) {
        self.stages
            .lock()
            .insert(progress.org, progress.stage);
        self.changed.notify_waiters();
    }

    /// Marks the job finished.
    pub fn finish(&self) {
        self.finished.store(true, std::sync::atomic::Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    /// Whether every organisation is done or failed.
    pub fn finished(&self) -> bool {
        self.finished.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// In a job that runs in turn: the login the browser goes to now, once every organisation
    /// before it is stored or failed. `None` while the pod is busy between two logins.
    pub fn next_login(&self, browser: &BrowserLogin) -> Option<(String, url::Url)> {
        let stages = self.stages.lock();
        let (id, name) = self
            .orgs
            .iter()
            .find(|(id, _)| !matches!(stages.get(id), Some(Stage::Done | Stage::Failed(_))))?;
        match stages.get(id) {
            Some(Stage::WaitingForLogin(url)) if browser.is_waiting_at(url) => Some((name.clone(), url.clone())),
            _ => None,
        }
    }

    /// Whether the pod has nothing to do until the citizen logs in somewhere: every organisation
    /// is stored, failed, or waits for a login that is still open.
    pub fn waits_for_citizen(&self, browser: &BrowserLogin) -> bool {
        let stages = self.stages.lock();
        self.orgs.iter().all(|(id, _)| match stages.get(id) {
            Some(Stage::Done | Stage::Failed(_)) => true,
            Some(Stage::WaitingForLogin(url)) => browser.is_waiting_at(url),
            _ => false,
        })
    }

    /// Waits until `ready` holds for the job, at most `limit`; whether it does.
    pub async fn wait_until(&self, limit: Duration, ready: impl Fn(&Self) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let changed = self.changed.notified();
            let mut changed = std::pin::pin!(changed);
            changed.as_mut().enable();
            if ready(self) {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return ready(self);
            }
        }
    }
}

/// Everything the handlers share.
pub struct App {
    /// Opens the pod.
    pub opener: Arc<dyn PodOpener>,
    /// The settings.
    pub config: WebConfig,
    /// Catches the browser's OAuth callbacks.
    pub browser: Arc<BrowserLogin>,
    /// The browser sessions (only of citizens who unlocked), bounded.
    pub sessions: super::sessions::BoundedStore,
    unlocked: Mutex<Option<UnlockedSession>>,
    fetches: Mutex<HashMap<String, Arc<FetchJob>>>,
    unlock_window: Mutex<(Instant, u32)>,
}

/// Unlock attempts allowed per minute (on top of the store's own exponential back-off).
const UNLOCKS_PER_MINUTE: u32 = 10;

/// A random token, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl App {
    /// A locked server for the pod in `dir`.
    pub fn new(dir: PodDir, config: WebConfig) -> Self {
        Self::with_opener(Arc::new(dir), config, Arc::new(BrowserLogin::default()))
    }

    /// A locked server for the pod at a provider that `pod` names, opened from this machine.
    pub fn at_provider(pod: crate::store::remote::ProviderPod, config: WebConfig) -> Self {
        Self::with_opener(Arc::new(pod), config, Arc::new(BrowserLogin::default()))
    }

    /// A locked server for the pod `opener` opens, catching OAuth callbacks with `browser`.
    pub fn with_opener(opener: Arc<dyn PodOpener>, config: WebConfig, browser: Arc<BrowserLogin>) -> Self {
        Self {
            opener,
            config,
            browser,
            sessions: Default::default(),
            unlocked: Mutex::new(None),
            fetches: Mutex::new(HashMap::new()),
            unlock_window: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Counts an unlock attempt; false when over the limit.
    pub fn allow_unlock_attempt(&self) -> bool {
        let mut window = self.unlock_window.lock();
        if window.0.elapsed() >= Duration::from_secs(60) {
            *window = (Instant::now(), 0);
        }
        window.1 += 1;
        window.1 <= UNLOCKS_PER_MINUTE
    }

    /// Makes `pod` the unlocked session for the browser session holding `token`.
    pub fn set_unlocked(&self, pod: UnlockedPod, token: String) {
        *self.unlocked.lock() = Some(UnlockedSession {
            pod: Arc::new(pod),
            token,
            last_used: Instant::now(),
        });
    }

    /// The unlocked pod, if `token` is the session that unlocked it and it was used recently.
    pub fn pod_for(&self, token: Option<&str>) -> Option<Arc<UnlockedPod>> {
        let mut guard = self.unlocked.lock();
        if guard
            .as_ref()
            .is_some_and(|u| u.last_used.elapsed() > self.config.auto_lock)
        {
            drop(guard);
            self.lock();
            return None;
        }
        let unlocked = guard.as_mut()?;
        if Some(unlocked.token.as_str()) != token {
            return None;
        }
        unlocked.last_used = Instant::now();
        Some(unlocked.pod.clone())
    }

    /// Whether a pod is unlocked (by any session).
    pub fn is_unlocked(&self) -> bool {
        self.unlocked.lock().is_some()
    }

    /// Locks: running fetches are stopped and the keys are dropped from memory.
    pub fn lock(&self) {
        for job in self
            .fetches
            .lock()
            .drain()
            .map(|(_, job)| job)
        {
            if let Some(task) = job.task.lock().take() {
                task.abort();
            }
        }
        if self.unlocked.lock().take().is_some() {
            tracing::info!("pod locked");
        }
    }

    /// Locks when the session has been idle too long; run periodically.
    pub fn lock_if_idle(&self) {
        let idle = self
            .unlocked
            .lock()
            .as_ref()
            .is_some_and(|u| u.last_used.elapsed() > self.config.auto_lock);
        if idle {
            self.lock();
        }
    }

    /// Registers a fetch job.
    pub fn add_fetch(&self, job: Arc<FetchJob>) {
        self.fetches
            .lock()
            .insert(job.id.clone(), job);
    }

    /// A fetch job by id.
    pub fn fetch(&self, id: &str) -> Option<Arc<FetchJob>> {
        self.fetches.lock().get(id).cloned()
    }

    /// The running job whose login sent the browser out with `state`.
    pub fn fetch_waiting_for(&self, state: &str) -> Option<Arc<FetchJob>> {
        self.fetches
            .lock()
            .values()
            .find(|job| {
                !job.finished()
                    && job.stages.lock().values().any(|stage| {
                        matches!(stage, Stage::WaitingForLogin(url)
                            if fetcher::login::state_of(url).as_deref() == Some(state))
                    })
            })
            .cloned()
    }
}
