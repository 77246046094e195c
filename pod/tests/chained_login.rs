//! One login, every organisation (issue 18): three `source` organisations delegate their logins
//! to a real OpenID provider with sessions (the npm `oidc-provider`, DigiD's stand-in), and the
//! pod's "fetch" runs their authorizations as one chain in one Chromium tab. The citizen types
//! their credentials once, counted at the provider's login form.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use browser_harness::*;
use common::*;
use common::chain::{Delegating, audited, delegating_organisations};

/// A chain's pod, its organisations' folders and their providers (kept alive).
struct Chain {
    s: Setup,
    dirs: Vec<std::path::PathBuf>,
    providers: Vec<OidcProvider>,
}

/// `count` delegating organisations (see [`delegating_organisations`]) and a pod that pins them.
async fn chain(
    count: usize,
    providers: usize,
    provider_of: impl Fn(usize) -> usize,
    wrap: impl Fn(usize, axum::Router) -> axum::Router,
) -> Chain {
    let tmp = tempfile::tempdir().unwrap();
    let Delegating { orgs, dirs, providers } = delegating_organisations(tmp.path(), count, providers, provider_of, wrap).await;
    let s = setup_for(orgs, tmp, Duration::from_secs(600)).await;
    Chain { s, dirs, providers }
}

/// Unlocks the pod in `client`, then starts "fetch from all" (the chain's first login).
async fn unlock_and_fetch(client: &Client, s: &Setup) {
    unlock_pod(client, &s.url, PASSPHRASE).await;
    client.goto(&format!("{}/fetch", s.url)).await.unwrap();
    click(client, Locator::Css("main button[type=submit]")).await;
}

/// Waits until the browser shows the overview (where a chain with no failure ends).
async fn wait_for_overview(client: &Client, s: &Setup) {
    wait_until_url(client, &format!("{}/", s.url)).await;
}

/// Waits until the browser is at a page under `prefix`.
async fn wait_until_at(client: &Client, prefix: &str) {
    for _ in 0..300 {
        if client.current_url().await.unwrap().as_str().starts_with(prefix) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the browser never reached {prefix}: {}", body_text(client).await);
}

/// The pod's transparency log, read in the citizen's browser.
async fn transparency_log(client: &Client) -> Vec<serde_json::Value> {
    let log = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; fetch('/api/fetch-log').then(r => r.json()).then(done);",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(log).unwrap()
}

/// The total the overview shows, against what the organisations in `dirs` hold for the citizen.
async fn assert_total_is_the_organisations(client: &Client, dirs: &[std::path::PathBuf], bsn: &str) {
    let expected = expected_outstanding(dirs, bsn, chrono::Local::now().date_naive());
    let Ok(total) = client.wait().for_element(Locator::Id("total-outstanding")).await else {
        panic!("no total on the overview: {}", body_text(client).await);
    };
    let total = total
        .text()
        .await
        .unwrap();
    assert_eq!(total, schemas::lang::format_cents(expected, schemas::lang::Lang::Nl));
}

/// Records where each organisation sends the browser back to the pod (its callbacks), so a
/// test can replay one.
fn recording(callbacks: Arc<Mutex<Vec<(usize, String)>>>) -> impl Fn(usize, axum::Router) -> axum::Router {
    move |org, router| {
        let callbacks = callbacks.clone();
        router.layer(axum::middleware::map_response(move |response: axum::response::Response| {
            let callbacks = callbacks.clone();
            async move {
                if let Some(location) = response.headers().get("location").and_then(|l| l.to_str().ok())
                    && location.contains("/oauth/callback")
                {
                    callbacks.lock().unwrap().push((org, location.to_owned()));
                }
                response
            }
        }))
    }
}


#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_typed_login_fetches_from_three_organisations() {
    let callbacks = Arc::new(Mutex::new(Vec::new()));
    let Chain { s, dirs, providers } = chain(3, 1, |_| 0, recording(callbacks.clone())).await;
    let (bsn, _) = source::demo_data::citizen(SEED, 0);
    let (_driver, client) = start_browser().await;
    unlock_and_fetch(&client, &s).await;
    log_in_at_provider(&client, bsn.as_str()).await;
    wait_for_overview(&client, &s).await;

    assert_eq!(providers[0].typed_logins().await, 1, "the citizen typed their credentials once");
    assert_total_is_the_organisations(&client, &dirs, bsn.as_str()).await;
    let log = transparency_log(&client).await;
    assert_eq!(log.len(), 3, "one log entry per organisation: {log:?}");
    for (entry, org) in log.iter().zip(&s.orgs) {
        assert_eq!(entry["org"], org.state.config.id.as_str());
        assert_eq!(entry["outcome"], "ok", "{entry}");
    }
    // Each organisation saw one login, one code redeemed and one claims request: the chain
    // asked nothing twice.
    for dir in &dirs {
        assert_eq!(audited(dir, "login", "ok"), 1, "{}", dir.display());
        assert_eq!(audited(dir, "token", "ok"), 1, "{}", dir.display());
        assert_eq!(audited(dir, "claims", "ok"), 1, "{}", dir.display());
    }

    // A hop's answer cannot be used again, not for its own hop and not for another.
    let first = callbacks.lock().unwrap().iter().find(|(org, _)| *org == 0).map(|(_, url)| url.clone()).unwrap();
    client.goto(&first).await.unwrap();
    wait_for_text(&client, "Deze login is onbekend of verlopen").await;
    client.goto(&s.url).await.unwrap();
    assert_eq!(transparency_log(&client).await.len(), 3, "the replay stored nothing");
    assert_eq!(audited(&dirs[0], "token", "ok"), 1, "the replayed code was never redeemed");
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_without_a_session_shows_its_login_and_the_chain_goes_on() {
    let callbacks = Arc::new(Mutex::new(Vec::new()));
    // The second organisation uses another provider, where the citizen has no session.
    let Chain { s, dirs, providers } = chain(3, 2, |i| usize::from(i == 1), recording(callbacks.clone())).await;
    let (bsn, _) = source::demo_data::citizen(SEED, 0);
    let (_driver, client) = start_browser().await;
    unlock_and_fetch(&client, &s).await;
    log_in_at_provider(&client, bsn.as_str()).await;

    // The second organisation answered the silent request with login_required, so its login
    // shows. While it waits, the first hop's answer is replayed into this hop: refused.
    wait_until_at(&client, &providers[1].issuer).await;
    wait_for_text(&client, "Sign-in").await;
    assert_eq!(providers[1].typed_logins().await, 0);
    let first = callbacks.lock().unwrap().iter().find(|(org, _)| *org == 0).map(|(_, url)| url.clone()).unwrap();
    let replayed = s.client.get(&first).send().await.unwrap();
    assert_eq!(replayed.status(), 400, "a used answer is refused while another hop waits");
    log_in_at_provider(&client, bsn.as_str()).await;
    wait_for_overview(&client, &s).await;

    assert_eq!(providers[0].typed_logins().await, 1);
    assert_eq!(providers[1].typed_logins().await, 1, "the second organisation's provider asked once");
    assert_total_is_the_organisations(&client, &dirs, bsn.as_str()).await;
    let log = transparency_log(&client).await;
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(log.iter().all(|entry| entry["outcome"] == "ok"), "{log:?}");
    // The silent request at the second organisation ended without a code; then one login.
    assert_eq!(audited(&dirs[1], "login", "ok"), 1);
    assert_eq!(audited(&dirs[1], "claims", "ok"), 1);
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_down_in_the_middle_leaves_the_others_stored_and_says_so() {
    let Chain { mut s, dirs, providers } = chain(3, 1, |_| 0, |_, router| router).await;
    // The second organisation goes down after the pod pinned it.
    let down = s.orgs.remove(1);
    let down_id = down.state.config.id.to_string();
    drop(down);
    let (bsn, _) = source::demo_data::citizen(SEED, 0);
    let (_driver, client) = start_browser().await;
    unlock_and_fetch(&client, &s).await;
    log_in_at_provider(&client, bsn.as_str()).await;

    // The chain goes past it and ends on its progress page, which shows the failure.
    let mut text = String::new();
    for _ in 0..300 {
        text = body_text(&client).await;
        if text.contains("mislukt") && text.matches("klaar").count() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(text.contains("mislukt") && text.matches("klaar").count() == 2, "{text}");
    assert!(client.current_url().await.unwrap().as_str().contains("/fetch/"), "it stays on the progress page");
    assert_eq!(providers[0].typed_logins().await, 1);
    let log = transparency_log(&client).await;
    assert_eq!(log.len(), 3, "{log:?}");
    let failed: Vec<_> = log.iter().filter(|entry| entry["outcome"] != "ok").collect();
    assert_eq!(failed.len(), 1, "{log:?}");
    assert_eq!(failed[0]["org"], down_id.as_str());
    assert!(failed[0]["message"].as_str().is_some_and(|m| !m.is_empty()), "{log:?}");
    client.goto(&s.url).await.unwrap();
    let reachable = [dirs[0].clone(), dirs[2].clone()];
    assert_total_is_the_organisations(&client, &reachable, bsn.as_str()).await;
    client.close().await.unwrap();
}

/// `pod fetch` with a browser: it opens one window (through `$BROWSER`, here a script that
/// notes the address and Chromium then opens it) and runs the chain in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_fetch_runs_the_chain_in_one_browser_window() {
    let Chain { s, dirs, providers } = chain(3, 1, |_| 0, |_, router| router).await;
    let (bsn, _) = source::demo_data::citizen(SEED, 0);
    let opened = s.tmp.path().join("opened.txt");
    let opener = s.tmp.path().join("open-browser");
    std::fs::write(&opener, format!("#!/bin/sh\necho \"$1\" >> '{}'\n", opened.display())).unwrap();
    std::fs::set_permissions(&opener, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_pod"))
        .args(["fetch", "--dir", s.tmp.path().join("pod").to_str().unwrap()])
        .env("POD_PASSPHRASE", PASSPHRASE)
        .env("BROWSER", &opener)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    for _ in 0..300 {
        first = std::fs::read_to_string(&opened).unwrap_or_default();
        if !first.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(first.starts_with(&s.orgs[0].url), "the first organisation's login opened: {first:?}");
    let (_driver, client) = start_browser().await;
    client.goto(first.trim()).await.unwrap();
    log_in_at_provider(&client, bsn.as_str()).await;
    let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.matches("ok ").count(), 3, "{stdout}");
    wait_for_text(&client, "Je bent ingelogd").await;
    assert_eq!(
        std::fs::read_to_string(&opened).unwrap().lines().count(),
        1,
        "one browser window for the whole chain"
    );
    assert_eq!(providers[0].typed_logins().await, 1);
    for dir in &dirs {
        assert_eq!(audited(dir, "claims", "ok"), 1, "{}", dir.display());
    }
    client.close().await.unwrap();
}

/// Records every request an organisation receives (method, target and every header), by
/// organisation.
fn recording_requests(requests: Arc<Mutex<Vec<(usize, String)>>>) -> impl Fn(usize, axum::Router) -> axum::Router {
    move |org, router| {
        let requests = requests.clone();
        router.layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let requests = requests.clone();
                async move {
                    let mut seen = format!("{} {}\n", request.method(), request.uri());
                    for (name, value) in request.headers() {
                        seen += &format!("{name}: {}\n", String::from_utf8_lossy(value.as_bytes()));
                    }
                    requests.lock().unwrap().push((org, seen));
                    next.run(request).await
                }
            },
        ))
    }
}

/// Whether `text` names the address `host:port`, as it is or URL-encoded (and not as the start
/// of a longer port).
fn mentions_address(text: &str, address: &str) -> bool {
    let encoded = address.replace(':', "%3A");
    [address, encoded.as_str()].iter().any(|form| {
        text.match_indices(form)
            .any(|(at, _)| !text[at + form.len()..].starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// P-17 (docs/PRIVACY.md): a chain of logins tells no party anything that separate logins would
/// not. Each organisation received its own one authorization, one token and one claims request,
/// naming no other organisation; the login provider received one authorization per organisation,
/// each from that organisation as its client, and nothing that names the pod or the other
/// organisations' pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p17_a_chain_of_logins_reveals_nothing_new() {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let Chain { s, providers, .. } = chain(3, 1, |_| 0, recording_requests(requests.clone())).await;
    let (bsn, _) = source::demo_data::citizen(SEED, 0);
    let (_driver, client) = start_browser().await;
    unlock_and_fetch(&client, &s).await;
    log_in_at_provider(&client, bsn.as_str()).await;
    wait_for_overview(&client, &s).await;
    assert_eq!(providers[0].typed_logins().await, 1);

    let requests = requests.lock().unwrap().clone();
    let names = |org: &source::local::LocalOrganisation| [org.state.config.id.to_string(), org.state.config.name.clone()];
    for (i, org) in s.orgs.iter().enumerate() {
        let seen: Vec<&String> = requests.iter().filter(|(at, _)| *at == i).map(|(_, r)| r).collect();
        let count = |prefix: &str| seen.iter().filter(|r| r.starts_with(prefix)).count();
        assert_eq!(count("GET /authorize?"), 1, "{}: one authorization request", org.url);
        assert_eq!(count("POST /token"), 1, "{}: one token request", org.url);
        assert_eq!(count("POST /claims"), 1, "{}: one claims request", org.url);
        for (j, other) in s.orgs.iter().enumerate().filter(|(j, _)| *j != i) {
            let address = other.url.trim_start_matches("http://");
            let located = seen.iter().find(|r| mentions_address(r, address));
            assert!(located.is_none(), "organisation {i} learnt of organisation {j}'s address: {located:?}");
            for name in names(other) {
                let named = seen.iter().find(|r| r.contains(&name));
                assert!(named.is_none(), "organisation {i} learnt of organisation {j} ({name}): {named:?}");
            }
        }
    }

    let pod_address = s.url.trim_start_matches("http://");
    let at_provider = providers[0].requests().await;
    let authorizations: Vec<&serde_json::Value> = at_provider
        .iter()
        .filter(|r| r["target"].as_str().is_some_and(|t| t.starts_with("/auth?")))
        .collect();
    assert_eq!(authorizations.len(), 3, "one authorization per organisation: {at_provider:?}");
    for (org, authorization) in s.orgs.iter().zip(&authorizations) {
        let target = authorization["target"].as_str().unwrap();
        let callback = url::form_urlencoded::byte_serialize(format!("{}/upstream/callback", org.url).as_bytes()).collect::<String>();
        assert!(target.contains(&callback), "in chain order, each organisation asked for itself: {target}");
    }
    for request in &at_provider {
        for header in ["referer", "origin", "target"] {
            let value = request[header].as_str().unwrap_or_default();
            assert!(!mentions_address(value, pod_address), "the provider learnt of the pod: {request}");
        }
    }
    client.close().await.unwrap();
}

/// Submitting an arrangement and checking its status run as chains too: with the provider's
/// session from the fetch, the citizen types nothing more, and each organisation still sees its
/// own login for each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_arrangement_is_submitted_and_checked_without_typing_a_login_again() {
    let Chain { s, dirs, providers } = chain(3, 1, |_| 0, |_, router| router).await;
    let (bsn, _) = source::demo_data::citizen(SEED, 0);
    let (_driver, client) = start_browser().await;
    unlock_and_fetch(&client, &s).await;
    log_in_at_provider(&client, bsn.as_str()).await;
    wait_for_overview(&client, &s).await;

    client.goto(&format!("{}/arrangement", s.url)).await.unwrap();
    client.wait().for_element(Locator::Id("income")).await.unwrap().send_keys("10000").await.unwrap();
    click(&client, Locator::Css("form[action='/arrangement'] button[type=submit]")).await;
    wait_for_text(&client, "Een regeling die je kunt betalen").await;
    let plan_url = save_and_submit(&client).await;
    wait_until_url(&client, &plan_url).await;
    let page = wait_for_text(&client, "ontvangen").await;
    assert_eq!(page.matches("ontvangen").count(), 3, "{page}");
    for org in &s.orgs {
        assert_eq!(org.state.arrangements.list().unwrap().len(), 1, "{}", org.state.config.name);
    }

    click(&client, Locator::Id("check-status")).await;
    for dir in &dirs {
        for _ in 0..300 {
            if audited(dir, "login", "ok") == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(audited(dir, "login", "ok"), 3, "fetch, submit and status: {}", dir.display());
    }
    wait_until_url(&client, &plan_url).await;
    assert_eq!(providers[0].typed_logins().await, 1, "the citizen typed their credentials once, for the fetch");
    let statuses = transparency_log(&client).await;
    let status_entries = statuses.iter().filter(|e| e["action"] == "status" && e["outcome"] == "ok").count();
    assert_eq!(status_entries, 3, "{statuses:?}");
    client.close().await.unwrap();
}
