//! One observed citizen session, run once and shared by every claim test: a real `pod serve`
//! process, its traffic through the recording proxy, three pinned organisations and one that is
//! not pinned, all recording; the citizen leaves the pod alone, fetches, submits an arrangement,
//! checks its status, and suffers a replayed answer; then the pod stops and everything it wrote
//! is read back.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use age::secrecy::{ExposeSecret, SecretString};
use pod::store::{KdfCost, PodDir};
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

use crate::observer::{BROWSER_AGENT, Recording, RecordingProxy, Seen, recording_layer};

pub const PASSPHRASE: &str = "observed correct horse battery";
pub const SEED: u64 = 7;
pub const SCRIPT: &str = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">";
/// How long the pod is left alone, locked and then unlocked, before the citizen does anything.
pub const IDLE: Duration = Duration::from_secs(4);

/// One organisation and what it saw.
pub struct Observed {
    /// `cjib`, `duo`, …
    pub short: String,
    /// Its organisation id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its base URL.
    pub url: String,
    /// Whether the pod's scheme pins it.
    pub pinned: bool,
    /// Every request it received.
    pub seen: Vec<Seen>,
    /// The case references of the citizen's matters there.
    pub case_refs: Vec<String>,
}

/// A window in which the citizen had started something.
pub struct Window {
    pub what: &'static str,
    pub from: Instant,
    pub to: Instant,
}

/// Everything the observers saw, for the claim tests to judge.
pub struct Observation {
    pub orgs: Vec<Observed>,
    pub proxy: Vec<Seen>,
    /// Requests anywhere (organisations and proxy) after the idle phases.
    pub requests_while_locked_idle: usize,
    pub requests_while_unlocked_idle: usize,
    pub requests_after_fetch_idle: usize,
    /// The citizen's own actions, with their time spans.
    pub windows: Vec<Window>,
    /// Every file under the pod folder and the log folder, with its bytes.
    pub files: Vec<(PathBuf, Vec<u8>)>,
    /// The pod process's log (stderr at `POD_LOG=trace`).
    pub log: String,
    /// Secrets that must never reach disk: (what, value).
    pub secrets: Vec<(String, String)>,
    /// Claim content that must never appear in plaintext on disk: (what, value).
    pub plaintext: Vec<(String, String)>,
    /// `pod audit --json` after the session.
    pub audit: serde_json::Value,
    /// What the pod answered to requests a malicious page would send: (what, status).
    pub probes: Vec<(String, u16)>,
    /// HTML pages the citizen saw: (path, content-security-policy, body).
    pub pages: Vec<(String, String, String)>,
    /// The fetch job in which a network attacker replayed an old answer.
    pub replayed_job: serde_json::Value,
    /// The overview before and after that replay.
    pub overview_before_replay: serde_json::Value,
    pub overview_after_replay: serde_json::Value,
}

impl Observation {
    /// The organisation with short name `short`.
    pub fn org(&self, short: &str) -> &Observed {
        self.orgs.iter().find(|o| o.short == short).unwrap()
    }
}

/// The shared observation, made on first use.
pub fn observed() -> &'static Observation {
    static OBSERVATION: OnceLock<Observation> = OnceLock::new();
    OBSERVATION.get_or_init(|| {
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(run())
        })
        .join()
        .expect("the observed session failed; its panic is printed above")
    })
}

struct PodProcess {
    child: Child,
    url: String,
}

impl Drop for PodProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_pod(dir: &Path, log: &Path, proxy: &str) -> PodProcess {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pod"))
        .args(["serve", "--listen", "127.0.0.1:0", "--dir"])
        .arg(dir)
        .env("HTTP_PROXY", proxy)
        .env("HTTPS_PROXY", proxy)
        .env("ALL_PROXY", proxy)
        .env("http_proxy", proxy)
        .env("https_proxy", proxy)
        .env("NO_PROXY", "")
        .env("no_proxy", "")
        .env("POD_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .split("running at ")
        .nth(1)
        .and_then(|r| r.split('/').take(3).collect::<Vec<_>>().join("/").into())
        .filter(|u: &String| u.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("pod serve did not say where it runs: {first:?}"));
    PodProcess { child, url }
}

struct Citizen {
    pod: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
    browser: reqwest::Client,
    url: String,
    bsn: String,
    pin: String,
    session_cookies: Vec<String>,
}

impl Citizen {
    /// Keeps the pod's session cookie values, which must never reach disk.
    fn remember_cookies(&mut self) {
        use reqwest::cookie::CookieStore;
        let url = self.url.parse().unwrap();
        if let Some(header) = self.jar.cookies(&url) {
            for pair in header.to_str().unwrap().split("; ") {
                if let Some((_, value)) = pair.split_once('=')
                    && !self.session_cookies.contains(&value.to_owned())
                {
                    self.session_cookies.push(value.to_owned());
                }
            }
        }
    }

    async fn csrf(&self) -> String {
        let body: serde_json::Value = self
            .pod
            .get(format!("{}/api/csrf", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["csrf"].as_str().unwrap().to_owned()
    }

    async fn unlock(&mut self) {
        let token = self.csrf().await;
        let response = self
            .pod
            .post(format!("{}/api/unlock", self.url))
            .header("x-csrf-token", &token)
            .json(&serde_json::json!({"passphrase": PASSPHRASE}))
            .send()
            .await
            .unwrap();
        self.remember_cookies();
        assert_eq!(response.status(), 200, "unlock: {}", response.text().await.unwrap());
    }

    /// Plays the citizen's browser at an organisation's login page, then returns to the pod.
    async fn log_in(&self, login_url: &str) {
        let callback = fetcher::login::DevLogin::with_client(&self.bsn, &self.pin, self.browser.clone())
            .follow(login_url.parse().unwrap())
            .await
            .unwrap_or_else(|e| panic!("login at {login_url}: {e:?}"));
        let back = self.pod.get(callback).send().await.unwrap();
        // Accepted: the pod shows the job's progress and goes on, to the job's own page or, in a
        // chain of logins (a submission, a status check), to the next organisation's login.
        assert_eq!(back.status(), 200, "the pod accepted the callback");
        let page = back.text().await.unwrap();
        assert!(page.contains("/fetch/") || page.contains("class=\"next-login\""), "the answer page leads on: {page}");
    }

    /// Logs in wherever job `id` waits, then waits for the job to finish.
    async fn follow_job(&self, id: &str) -> serde_json::Value {
        let mut logged_in = Vec::new();
        for _ in 0..300 {
            let job: serde_json::Value = self
                .pod
                .get(format!("{}/api/fetch/{id}", self.url))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if job["done"] == true {
                return job;
            }
            for org in job["organisations"].as_array().unwrap() {
                if org["stage"] == "waiting_for_login"
                    && let Some(login) = org["login_url"].as_str()
                    && !logged_in.contains(&login.to_owned())
                {
                    logged_in.push(login.to_owned());
                    self.log_in(login).await;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("job {id} never finished");
    }

    async fn fetch(&self, sources: Option<Vec<String>>) -> serde_json::Value {
        let token = self.csrf().await;
        let started = self
            .pod
            .post(format!("{}/api/fetch", self.url))
            .header("x-csrf-token", &token)
            .json(&serde_json::json!({ "sources": sources }))
            .send()
            .await
            .unwrap();
        assert_eq!(started.status(), 202);
        let job: serde_json::Value = started.json().await.unwrap();
        self.follow_job(job["id"].as_str().unwrap()).await
    }

    /// Posts a page form (submit, status) and follows the job it starts.
    async fn page_job(&self, path: &str) -> serde_json::Value {
        let token = self.csrf().await;
        let response = self
            .pod
            .post(format!("{}{path}", self.url))
            .header("x-csrf-token", &token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{path}: {}", response.text().await.unwrap());
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let id = location.trim_start_matches("/fetch/").to_owned();
        self.follow_job(&id).await
    }

    async fn get_json(&self, path: &str) -> serde_json::Value {
        self.pod
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn page(&self, path: &str) -> (String, String, String) {
        let response = self.pod.get(format!("{}{path}", self.url)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let csp = response
            .headers()
            .get("content-security-policy")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (path.to_owned(), csp, response.text().await.unwrap())
    }
}

fn total(recordings: &[&Recording]) -> usize {
    recordings.iter().map(|r| r.lock().unwrap().len()).sum()
}

fn read_tree(root: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            read_tree(&path, out);
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
}

async fn run() -> Observation {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    let (bsn, pin) = demo_data::citizen(SEED, 0);

    // Four organisations, all recording; the citizen's scheme pins three. The CJIB is malicious:
    // its first description carries script.
    let mut orgs = Vec::new();
    let mut recordings = Vec::new();
    for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak, DemoOrg::Bd] {
        let dir = tmp.path().join(org.short());
        std::fs::create_dir_all(&dir).unwrap();
        let mut data = demo_data::generate(org, 3, SEED).unwrap();
        if org == DemoOrg::Cjib {
            data[bsn.as_str()]["document"]["body"]["financiele_zaken"][0]["omschrijving"] = serde_json::json!(SCRIPT);
        }
        std::fs::write(dir.join("data.json"), serde_json::to_vec(&data).unwrap()).unwrap();
        let recording = Recording::default();
        orgs.push(
            LocalOrganisation::start_with(org, 3, SEED, &dir, recording_layer(recording.clone()))
                .await
                .unwrap(),
        );
        recordings.push((org, recording, data));
    }
    let pinned = |org: DemoOrg| org != DemoOrg::Bd;

    // The citizen creates the pod and pins the scheme (set-up, before the observed process runs).
    let pod_dir = PodDir::new(tmp.path().join("pod"));
    let created = pod_dir
        .init(&SecretString::from(PASSPHRASE.to_owned()), KdfCost::InsecureForTests)
        .unwrap();
    {
        let pod = pod_dir.unlock(&SecretString::from(PASSPHRASE.to_owned())).unwrap();
        let mut scheme = pod::scheme::load(&pod).unwrap();
        for (org, local) in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak, DemoOrg::Bd].iter().zip(&orgs) {
            if pinned(*org) {
                scheme.pin(local.descriptor().unwrap());
            }
        }
        pod::scheme::save(&pod, &scheme).unwrap();
    }

    let proxy = RecordingProxy::start().await;
    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let log_path = logs.join("pod-serve.log");
    let mut process = Some(start_pod(pod_dir.root(), &log_path, &proxy.url));
    let pod_url = process.as_ref().unwrap().url.clone();
    let everything: Vec<&Recording> = recordings
        .iter()
        .map(|(_, r, _)| r)
        .chain(std::iter::once(&proxy.recording))
        .collect();

    let client = |agent: &str| {
        reqwest::Client::builder()
            .no_proxy()
            .user_agent(agent.to_owned())
            .redirect(reqwest::redirect::Policy::none())
    };
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let mut citizen = Citizen {
        pod: client("citizen").cookie_provider(jar.clone()).build().unwrap(),
        jar,
        browser: client(BROWSER_AGENT).build().unwrap(),
        url: pod_url.clone(),
        bsn: bsn.to_string(),
        pin,
        session_cookies: Vec::new(),
    };

    // P-1: left alone, locked and then unlocked, the pod sends nothing.
    tokio::time::sleep(IDLE).await;
    let requests_while_locked_idle = total(&everything);
    citizen.unlock().await;
    tokio::time::sleep(IDLE).await;
    let requests_while_unlocked_idle = total(&everything);

    let mut windows = Vec::new();
    let from = Instant::now();
    let fetched = citizen.fetch(None).await;
    windows.push(Window {
        what: "fetch",
        from,
        to: Instant::now(),
    });
    assert!(
        fetched["organisations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["stage"] == "done"),
        "{fetched}"
    );
    let after_fetch = total(&everything);
    tokio::time::sleep(IDLE).await;
    let requests_after_fetch_idle = total(&everything) - after_fetch;

    // What the citizen sees, including the malicious organisation's text.
    let overview = citizen.get_json("/api/overview").await;
    let cjib_id = overview["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"].as_str().unwrap().contains("CJIB"))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut pages = vec![citizen.page("/").await, citizen.page(&format!("/matters/{cjib_id}:0")).await];

    // An arrangement over everything owed, submitted to each organisation, then its status.
    let claims = browser_harness::open_claims(&overview);
    let input = serde_json::json!({
        "date": "2026-11-15", "household": "single", "net_income_cents": 300000, "term_cap_months": 600,
        "claims": claims, "pause": {"months": 2, "reason": "income_loss", "motivation": "Baan kwijt bij Bakkerij Observatorium"}
    });
    let token = citizen.csrf().await;
    let saved = citizen
        .pod
        .post(format!("{pod_url}/api/arrangements"))
        .header("x-csrf-token", &token)
        .json(&input)
        .send()
        .await
        .unwrap();
    let status = saved.status();
    let saved: serde_json::Value = saved.json().await.unwrap();
    assert_eq!(status, 201, "{saved}");
    let plan_id = saved["id"].as_str().unwrap().to_owned();
    pages.push(citizen.page(&format!("/arrangements/{plan_id}")).await);
    let from = Instant::now();
    let submitted = citizen.page_job(&format!("/arrangements/{plan_id}/submit")).await;
    windows.push(Window {
        what: "submit",
        from,
        to: Instant::now(),
    });
    assert!(
        submitted["organisations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["stage"] == "done"),
        "{submitted}"
    );
    let from = Instant::now();
    citizen.page_job(&format!("/arrangements/{plan_id}/status")).await;
    windows.push(Window {
        what: "status",
        from,
        to: Instant::now(),
    });

    // P-7: a network attacker replays the CJIB's earlier answer to a new fetch.
    let overview_before_replay = citizen.get_json("/api/overview").await;
    let cjib_url = orgs[0].url.clone();
    proxy.replay(&cjib_url, "/claims");
    let from = Instant::now();
    let replayed_job = citizen.fetch(Some(vec![cjib_id.clone()])).await;
    windows.push(Window {
        what: "replayed fetch",
        from,
        to: Instant::now(),
    });
    proxy.stop_replaying();
    let overview_after_replay = citizen.get_json("/api/overview").await;

    // P-9: what a malicious page in the citizen's browser could send.
    let mut probes = Vec::new();
    let token = citizen.csrf().await;
    let evil_host = citizen
        .pod
        .get(format!("{pod_url}/api/overview"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    probes.push(("GET /api/overview with Host: evil.example".to_owned(), evil_host.status().as_u16()));
    let cross_site = citizen
        .pod
        .post(format!("{pod_url}/api/lock"))
        .header("origin", "https://evil.example")
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    probes.push(("POST /api/lock from Origin https://evil.example".to_owned(), cross_site.status().as_u16()));
    let no_token = citizen.pod.post(format!("{pod_url}/api/lock")).send().await.unwrap();
    probes.push(("POST /api/lock without a CSRF token".to_owned(), no_token.status().as_u16()));
    let no_session = client("evil")
        .build()
        .unwrap()
        .get(format!("{pod_url}/api/overview"))
        .send()
        .await
        .unwrap();
    probes.push(("GET /api/overview without the session".to_owned(), no_session.status().as_u16()));
    let still_unlocked = citizen.pod.get(format!("{pod_url}/api/overview")).send().await.unwrap();
    probes.push(("control: GET /api/overview as the citizen".to_owned(), still_unlocked.status().as_u16()));
    let own_lock = citizen
        .pod
        .post(format!("{pod_url}/api/lock"))
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    probes.push(("control: POST /api/lock as the citizen".to_owned(), own_lock.status().as_u16()));

    citizen.remember_cookies();

    // Stop the pod, then audit it as a researcher would.
    drop(process.take());
    let audit = Command::new(env!("CARGO_BIN_EXE_pod"))
        .args(["audit", "--json", "--dir"])
        .arg(pod_dir.root())
        .env("POD_PASSPHRASE", PASSPHRASE)
        .env("POD_LOG", "trace")
        .output()
        .unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stderr));
    std::fs::write(logs.join("pod-audit.log"), &audit.stderr).unwrap();
    let audit: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();

    let mut observed = Vec::new();
    let mut secrets = vec![
        ("passphrase".to_owned(), PASSPHRASE.to_owned()),
        ("recovery code".to_owned(), created.recovery_code.expose_secret().to_owned()),
    ];
    let mut plaintext = vec![
        ("BSN".to_owned(), bsn.to_string()),
        ("pause motivation".to_owned(), "Bakkerij Observatorium".to_owned()),
    ];
    for cookie in &citizen.session_cookies {
        secrets.push(("pod session cookie".to_owned(), cookie.clone()));
    }
    for ((org, recording, data), local) in recordings.iter().zip(&orgs) {
        let seen = recording.lock().unwrap().clone();
        for request in &seen {
            if let Some(bearer) = request.header("authorization").and_then(|v| v.strip_prefix("Bearer ")) {
                secrets.push((format!("{} access token", org.short()), bearer.to_owned()));
            }
            if request.path() == "/token" {
                for (k, v) in url::form_urlencoded::parse(&request.body) {
                    if k == "code" || k == "code_verifier" {
                        secrets.push((format!("{} {k}", org.short()), v.into_owned()));
                    }
                }
            }
        }
        let matters = data[bsn.as_str()]["document"]["body"]["financiele_zaken"]
            .as_array()
            .unwrap();
        let mut case_refs = Vec::new();
        for matter in matters {
            let text = serde_json::to_string(matter).unwrap();
            for value in text.split('"').filter(|s| s.starts_with(&org.short().to_uppercase()) && s.len() > 8) {
                if !case_refs.contains(&value.to_owned()) {
                    case_refs.push(value.to_owned());
                }
            }
            if let Some(description) = matter["omschrijving"].as_str() {
                plaintext.push((format!("{} description", org.short()), description.to_owned()));
            }
        }
        for case_ref in &case_refs {
            plaintext.push((format!("{} case reference", org.short()), case_ref.clone()));
        }
        observed.push(Observed {
            short: org.short().to_owned(),
            id: local.state.config.id.to_string(),
            name: org.name().to_owned(),
            url: local.url.clone(),
            pinned: pinned(*org),
            seen,
            case_refs,
        });
    }

    let mut files = Vec::new();
    read_tree(pod_dir.root(), &mut files);
    read_tree(&logs, &mut files);
    let log = std::fs::read_to_string(&log_path).unwrap();
    Observation {
        orgs: observed,
        proxy: proxy.recording.lock().unwrap().clone(),
        requests_while_locked_idle,
        requests_while_unlocked_idle,
        requests_after_fetch_idle,
        windows,
        files,
        log,
        secrets,
        plaintext,
        audit,
        probes,
        pages,
        replayed_job,
        overview_before_replay,
        overview_after_replay,
    }
}
