//! `pod serve` killed with SIGKILL at random points of a fetch, 20 times, and of an arrangement
//! submission, 20 times: each time the pod opens (bound, its manifest matching what it holds,
//! not rolled back), every record from before is intact, and the transparency log agrees with
//! what the organisations saw: each fetch it logs as done is one the organisation answered, and
//! each receipt it holds is one the organisation issued, with its log entry (an organisation may
//! have seen more, when the kill came between its answer and the pod's commit). The real binary, killed
//! from outside; the organisations run in this test.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use age::secrecy::SecretString;
use browser_harness::load::KillOnDrop;
use pod::store::{KdfCost, PodDir};
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

const SEED: u64 = 6;
const PASSPHRASE: &str = "correct horse battery staple";
const KILLS: usize = 20;

fn secret() -> SecretString {
    SecretString::from(PASSPHRASE.to_owned())
}

/// Starts `pod serve` on the pod in `dir`; its process and its address.
fn serve(dir: &PodDir) -> (KillOnDrop, String) {
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_pod"))
            .args(["serve", "--dir", dir.root().to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let line = BufReader::new(child.0.stdout.take().unwrap()).lines().next().unwrap().unwrap();
    let base = line.split("running at ").nth(1).unwrap().split('/').take(3).collect::<Vec<_>>().join("/");
    (child, base)
}

/// What the citizen does in the browser during one round.
#[derive(Clone)]
enum Task {
    /// A fetch from every pinned organisation.
    Fetch,
    /// Saves this arrangement input as a plan and submits it to every organisation.
    Submit(serde_json::Value),
}

/// Unlocks through the API, starts `task` and logs in at each organisation, as the citizen's
/// browser would. Stops quietly where the server went away.
async fn run_through(base: &str, task: Task) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let run = async {
        let csrf: serde_json::Value = client.get(format!("{base}/api/csrf")).send().await?.json().await?;
        let token = csrf["csrf"].as_str().unwrap_or_default().to_owned();
        let unlocked: serde_json::Value = client
            .post(format!("{base}/api/unlock"))
            .header("x-csrf-token", &token)
            .json(&serde_json::json!({ "passphrase": PASSPHRASE }))
            .send()
            .await?
            .json()
            .await?;
        let token = unlocked["csrf"].as_str().unwrap_or_default().to_owned();
        let id = match task {
            Task::Fetch => {
                let job: serde_json::Value = client
                    .post(format!("{base}/api/fetch"))
                    .header("x-csrf-token", &token)
                    .json(&serde_json::json!({"sources": null}))
                    .send()
                    .await?
                    .json()
                    .await?;
                job["id"].as_str().unwrap_or_default().to_owned()
            }
            Task::Submit(input) => {
                let saved: serde_json::Value = client
                    .post(format!("{base}/api/arrangements"))
                    .header("x-csrf-token", &token)
                    .json(&input)
                    .send()
                    .await?
                    .json()
                    .await?;
                let plan = saved["id"].as_str().unwrap_or_default().to_owned();
                let submitted = client
                    .post(format!("{base}/arrangements/{plan}/submit"))
                    .form(&[("csrf", token.as_str())])
                    .send()
                    .await?;
                let location = submitted.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default();
                location.rsplit('/').next().unwrap_or_default().to_owned()
            }
        };
        let (bsn, pin) = demo_data::citizen(SEED, 0);
        let mut logged_in = BTreeSet::new();
        for _ in 0..200 {
            let progress: serde_json::Value = client.get(format!("{base}/api/fetch/{id}")).send().await?.json().await?;
            for org in progress["organisations"].as_array().cloned().unwrap_or_default() {
                let Some(url) = org["login_url"].as_str() else { continue };
                if !logged_in.insert(url.to_owned()) {
                    continue;
                }
                let login = fetcher::login::DevLogin::new(bsn.to_string(), pin.clone());
                let Ok(callback) = login.follow(url.parse().unwrap()).await else { return Ok(()) };
                client.get(callback).send().await?;
            }
            if progress["done"] == true {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok::<(), reqwest::Error>(())
    };
    let _ = run.await;
}

/// What each organisation saw, from its own files: the claims requests it answered and the
/// arrangement parts it received.
struct Seen {
    org: String,
    claims: usize,
    parts: BTreeSet<String>,
}

fn seen(orgs: &[LocalOrganisation], dirs: &[std::path::PathBuf]) -> Vec<Seen> {
    orgs.iter()
        .zip(dirs)
        .map(|(org, dir)| {
            let audit = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap_or_default();
            let claims = audit
                .lines()
                .filter(|line| line.contains("\"event\":\"claims\"") && line.contains("\"outcome\":\"ok\""))
                .count();
            let parts = browser_harness::files_under(&dir.join("arrangements"))
                .into_iter()
                .filter_map(|(path, _)| Some(path.file_stem()?.to_str()?.to_owned()))
                .collect();
            Seen {
                org: org.descriptor().unwrap().id.to_string(),
                claims,
                parts,
            }
        })
        .collect()
}

/// Opens the pod as a later run would, and checks it against what came before.
fn check(dir: &PodDir, before: &BTreeSet<String>, seen: &[Seen], round: usize) -> BTreeSet<String> {
    let pod = dir.unlock(&secret()).unwrap_or_else(|e| panic!("round {round}: the pod does not open: {e}"));
    pod::verify::whole_pod(&pod).unwrap_or_else(|e| panic!("round {round}: {e}"));
    let now: BTreeSet<String> = pod.index().unwrap().iter().map(|(id, _)| id.to_string()).collect();
    assert!(before.is_subset(&now), "round {round}: an earlier record is gone");
    let log = pod::fetching::log(&pod).unwrap();
    for org in seen {
        let logged = log.iter().filter(|e| e.org == org.org && e.action == "fetch" && e.outcome == "ok").count();
        assert!(logged <= org.claims, "round {round}: the pod logs {logged} fetches from {}, which answered {}", org.org, org.claims);
    }
    for submission in pod::arrangement::submission::all(&pod).unwrap() {
        let org = seen.iter().find(|o| o.org == submission.org).expect("a pinned organisation");
        assert!(
            org.parts.contains(&submission.receipt_id),
            "round {round}: the pod holds receipt {} that {} never issued",
            submission.receipt_id,
            org.org
        );
        let logged = log.iter().any(|e| e.action == "submit" && e.outcome == "ok" && e.org == submission.org && e.record.is_some());
        assert!(logged, "round {round}: a submission without its log entry");
    }
    for entry in log.iter().filter(|e| e.outcome == "ok") {
        let record = entry.record.as_deref().expect("a done fetch names its record");
        assert!(now.contains(record), "round {round}: the log names record {record}, which is not there");
    }
    now
}

/// An arrangement of everything the pod shows as open, that is surely a plan.
fn arrangement_input(dir: &PodDir) -> serde_json::Value {
    let pod = dir.unlock(&secret()).unwrap();
    let now = chrono::Utc::now();
    let overview = serde_json::to_value(pod::overview::of(&pod, now.date_naive(), now).unwrap()).unwrap();
    let claims = browser_harness::open_claims(&overview);
    serde_json::json!({
        "date": now.date_naive().to_string(), "household": "single", "net_income_cents": 400000, "term_cap_months": 600,
        "claims": claims
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_serve_killed_during_fetches_and_submissions_loses_nothing() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    let mut orgs = Vec::new();
    let mut dirs = Vec::new();
    for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak] {
        let dir = tmp.path().join(org.short());
        orgs.push(LocalOrganisation::start(org, 3, SEED, &dir).await.unwrap());
        dirs.push(dir);
    }
    let dir = PodDir::new(tmp.path().join("pod"));
    dir.init(&secret(), KdfCost::InsecureForTests).unwrap();
    {
        let pod = dir.unlock(&secret()).unwrap();
        let mut scheme = pod::scheme::load(&pod).unwrap();
        for org in &orgs {
            scheme.pin(org.descriptor().unwrap());
        }
        pod::scheme::save(&pod, &scheme).unwrap();
    }

    // One fetch left to finish, to know how long one takes.
    let (server, base) = serve(&dir);
    let started = Instant::now();
    run_through(&base, Task::Fetch).await;
    let whole_fetch = started.elapsed();
    drop(server);
    let mut records = check(&dir, &BTreeSet::new(), &seen(&orgs, &dirs), 0);
    assert_eq!(dir.unlock(&secret()).unwrap().latest_documents().unwrap().len(), 3, "the first fetch is whole");

    // And one submission, whole.
    let input = arrangement_input(&dir);
    let (server, base) = serve(&dir);
    let started = Instant::now();
    run_through(&base, Task::Submit(input.clone())).await;
    let whole_submit = started.elapsed();
    drop(server);
    records = check(&dir, &records, &seen(&orgs, &dirs), 0);
    assert_eq!(pod::arrangement::submission::all(&dir.unlock(&secret()).unwrap()).unwrap().len(), 3, "the first submission is whole");

    for (task, whole) in [(Task::Fetch, whole_fetch), (Task::Submit(input), whole_submit)] {
        for round in 1..=KILLS {
            let (mut server, base) = serve(&dir);
            let at = Duration::from_millis(rand::random::<u64>() % (whole.as_millis() as u64 + 50).max(1));
            let killed = async {
                tokio::time::sleep(at).await;
                server.0.kill().unwrap();
                server.0.wait().unwrap();
            };
            tokio::join!(run_through(&base, task.clone()), killed);
            records = check(&dir, &records, &seen(&orgs, &dirs), round);
        }
    }
    println!(
        "KILL pod serve: {KILLS} kills at random points of a {} ms fetch and {KILLS} of a {} ms submission; the pod opened every time",
        whole_fetch.as_millis(),
        whole_submit.as_millis()
    );
}
