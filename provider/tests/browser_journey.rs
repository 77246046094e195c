//! The hosted pod in real Chromium, against the real `provider` process and three real `source`
//! organisations: sign-up and login from the browser, then a fetch from all three straight from
//! the browser, the overview computed there, and a fresh page that unlocks again from what the
//! provider stored. Then the provider is read as an attacker would: its storage, its logs and
//! its process memory hold none of the citizen's secrets or claims, and the organisations saw
//! every token and claims request come from the browser, with the provider's origin.

mod browser_app;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use browser_app::*;
use browser_harness::files_under;
use browser_harness::{Client, start_browser};
use serde_json::{Value, json};
use source::demo_data::DemoOrg;
use source::local::{LocalOrganisation, WEB_CLIENT_ID};

/// Every readable mapped region of a process's memory.
fn process_memory(pid: u32) -> Vec<u8> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).unwrap();
    let mut all = Vec::new();
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else { continue };
        if !perms.starts_with('r') || line.contains("[vvar]") || line.contains("[vsyscall]") {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else { continue };
        let (Ok(start), Ok(end)) = (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16)) else { continue };
        let mut region = vec![0u8; (end - start) as usize];
        use std::io::{Seek, SeekFrom};
        if mem.seek(SeekFrom::Start(start)).is_ok() && mem.read_exact(&mut region).is_ok() {
            all.extend_from_slice(&region);
        }
    }
    all
}

/// The forms a secret could take in bytes: as is, UTF-16, base64 and base64url (three alignments).
fn forms(secret: &str) -> Vec<Vec<u8>> {
    let mut out = vec![secret.as_bytes().to_vec()];
    out.push(secret.encode_utf16().flat_map(|u| u.to_le_bytes()).collect());
    for shift in 0..3 {
        let padded = format!("{}{secret}", "\0".repeat(shift));
        for engine in [&base64::engine::general_purpose::STANDARD, &base64::engine::general_purpose::URL_SAFE_NO_PAD] {
            let encoded = engine.encode(padded.as_bytes());
            // Skip the characters the padding bytes influence.
            let skip = (shift * 4).div_ceil(3) + 1;
            let core = &encoded[skip.min(encoded.len())..encoded.len().saturating_sub(4)];
            if core.len() >= 8 {
                out.push(core.as_bytes().to_vec());
            }
        }
    }
    out
}

fn find_any(haystack: &[u8], secret: &str) -> bool {
    forms(secret)
        .iter()
        .any(|needle| memchr::memmem::find(haystack, needle).is_some())
}

/// Whether `bytes` hold an encoded age identity: `AGE-SECRET-KEY-1` and 58 Bech32 characters.
fn holds_an_age_identity(bytes: &[u8]) -> bool {
    const BECH32_UPPER: &[u8] = b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";
    memchr::memmem::find_iter(bytes, b"AGE-SECRET-KEY-1").any(|at| {
        let rest = &bytes[at + 16..];
        rest.len() >= 58 && rest[..58].iter().all(|b| BECH32_UPPER.contains(b))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_signs_up_and_fetches_from_three_organisations_in_the_browser() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    let provider = start_provider(tmp.path());
    let origin = provider.url.clone();

    let mut orgs = Vec::new();
    let mut recorders = Vec::new();
    let mut dirs = Vec::new();
    for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak] {
        let recorder = Recorder::default();
        let dir = tmp.path().join(org.short());
        orgs.push(
            LocalOrganisation::start_for_web_app(org, 3, SEED, &dir, &origin, recording(recorder.clone()))
                .await
                .unwrap(),
        );
        recorders.push(recorder);
        dirs.push(dir);
    }
    let descriptors: Vec<Value> = orgs.iter().map(|o| serde_json::to_value(o.descriptor().unwrap()).unwrap()).collect();
    let (bsn, pin) = source::demo_data::citizen(SEED, 0);
    let bsn = bsn.to_string();

    let (_driver, client) = start_browser().await;
    open_app(&client, &origin).await;
    let main = client.window().await.unwrap();

    // Sign-up: the identity and data key are made here, the passphrase never leaves the page.
    let signed_up = sign_up_and_pin(&client, &descriptors).await;
    let pod_id = signed_up["podId"].as_str().unwrap_or_else(|| panic!("sign-up failed: {signed_up}")).to_owned();
    let recovery_code = signed_up["code"].as_str().unwrap().to_owned();

    // Fetch from all three: one chain of logins in one window, at each organisation's own page.
    start_fetch_all(&client).await;
    log_in_in_chain(&client, &main, 3, &bsn, &pin).await;
    let results = run(&client, "return await window.journey.fetched;", vec![]).await;
    for descriptor in &descriptors {
        let id = descriptor["id"].as_str().unwrap();
        assert_eq!(results[id]["ok"], json!(true), "{id}: {results}");
    }

    let as_of = chrono::Utc::now().date_naive();
    let expected = expected_outstanding(&dirs, &bsn, as_of);
    let overview = run(
        &client,
        "return JSON.parse(window.journey.pod.overview(arguments[0], new Date().toISOString()));",
        vec![json!(as_of.to_string())],
    )
    .await;
    assert_eq!(overview["totals"]["outstanding_cents"], json!(expected), "{overview}");
    assert!(expected > 0, "the citizen owes something");

    // One arrangement for everything, with a three-month pause: planned and saved in the browser,
    // each organisation's own part sent from the browser, receipts and statuses checked there.
    let saved = run(
        &client,
        "const { pod, session } = window.journey;
         const overview = JSON.parse(pod.overview(arguments[1], new Date().toISOString()));
         const claims = overview.organisations.flatMap((o) => o.matters
           .filter((m) => m.outstanding_cents > 0)
           .map((m) => ({ org: o.id, ref: m.zaakkenmerk, outstanding_cents: m.outstanding_cents })));
         const input = { date: arguments[1], household: 'single', net_income_cents: 612345, claims,
                         pause: { months: 3, reason: 'income_loss', motivation: 'mijn baan is weg' } };
         const { record, plan } = await arrangements.save(pod, session, input);
         window.journey.plan = record;
         window.journey.submitted = arrangements.submit(core, pod, session, arguments[0], record,
           { clientId: arguments[2], redirectUri: window.location.origin + '/app/callback.html' });
         return { record, outcome: plan.outcome, pause: plan.pause_months, claims: claims.length };",
        vec![json!(descriptors), json!(as_of.to_string()), json!(WEB_CLIENT_ID)],
    )
    .await;
    assert_eq!(saved["outcome"], json!("plan"), "{saved}");
    assert!(saved["claims"].as_u64().unwrap() >= 3, "{saved}");
    log_in_in_popups(&client, &main, 3, &bsn, &pin).await;
    let submitted = run(&client, "return await window.journey.submitted;", vec![]).await;
    for descriptor in &descriptors {
        assert_eq!(submitted[descriptor["id"].as_str().unwrap()]["ok"], json!(true), "{submitted}");
    }
    client
        .execute(
            "const { core, arrangements } = window.betaalpod;
             window.journey.checked = arrangements.checkStatus(core, window.journey.pod, window.journey.session, arguments[0],
               window.journey.plan, { clientId: arguments[1], redirectUri: window.location.origin + '/app/callback.html' });
             return true;",
            vec![json!(descriptors), json!(WEB_CLIENT_ID)],
        )
        .await
        .unwrap();
    log_in_in_popups(&client, &main, 3, &bsn, &pin).await;
    let checked = run(
        &client,
        "const results = await window.journey.checked; return { results, statuses: JSON.parse(window.journey.pod.statuses()) };",
        vec![],
    )
    .await;
    let statuses = checked["statuses"].as_object().unwrap_or_else(|| panic!("{checked}"));
    assert_eq!(statuses.len(), 3, "{checked}");
    assert!(statuses.values().all(|s| s["state"] == json!("received")), "{checked}");
    // Each organisation received only its own part.
    for (dir, descriptor) in dirs.iter().zip(&descriptors) {
        let parts: Vec<PathBuf> = browser_harness::files_under(&dir.join("arrangements")).into_iter().map(|(path, _)| path).collect();
        assert_eq!(parts.len(), 1, "{} received one part", descriptor["id"]);
        let part = std::fs::read_to_string(&parts[0]).unwrap();
        assert!(part.contains(descriptor["id"].as_str().unwrap()));
        for other in descriptors.iter().filter(|d| d["id"] != descriptor["id"]) {
            assert!(!part.contains(other["id"].as_str().unwrap()), "{} learned of {}", descriptor["id"], other["id"]);
        }
        assert!(!part.contains("612345"), "{} learned the income", descriptor["id"]);
    }

    // A new page knows nothing; it logs in and unlocks from what the provider stored.
    open_app(&client, &origin).await;
    let reopened = run(
        &client,
        "const session = await provider.logIn(core, arguments[0], arguments[1]);
         const info = await session.info();
         const wrappedKey = await session.get(core.Pod.dataKeyName());
         const pod = core.Pod.open(provider.b64.decode(info.identity_file), arguments[1], wrappedKey);
         await session.loadInto(pod);
         const overview = JSON.parse(pod.overview(arguments[3], new Date().toISOString()));
         const wrong = await provider.logIn(core, arguments[0], 'een verkeerde geheime zin').then(() => 'accepted', (e) => e.message);
         const received = Object.values(JSON.parse(pod.statuses())).filter((s) => s.state === 'received').length;
         return { total: overview.totals.outstanding_cents, statuses: overview.organisations.map((o) => o.status), wrong, received };",
        vec![json!(pod_id), json!(PASSPHRASE), json!(descriptors), json!(as_of.to_string())],
    )
    .await;
    assert_eq!(reopened["total"], json!(expected), "{reopened}");
    assert_eq!(reopened["statuses"], json!(["ok", "ok", "ok"]));
    assert_eq!(reopened["received"], json!(3), "the statuses were stored at the provider: {reopened}");
    assert_eq!(reopened["wrong"], json!("wrong passphrase"));

    // A stolen login: someone else starts a login and sends the link to this citizen. The login
    // succeeds, but its answer lands on a callback page that no tab of this citizen's is waiting
    // on: nothing exchanges the code, and the page forgets it.
    let tokens_before: usize = recorders
        .iter()
        .map(|r| r.lock().unwrap().iter().filter(|s| s.method == "POST" && s.path == "/token").count())
        .sum();
    let link = run(
        &client,
        "return core.OrgLogin.begin(JSON.stringify(arguments[0]), arguments[1], window.location.origin + '/app/callback.html', 'claims:read').url();",
        vec![descriptors[0].clone(), json!(WEB_CLIENT_ID)],
    )
    .await;
    client.goto(link.as_str().unwrap()).await.unwrap();
    browser_harness::log_in_at_organisation(&client, &bsn, &pin).await;
    let mut landed = String::new();
    for _ in 0..100 {
        landed = client
            .execute("return document.getElementById('status') ? document.getElementById('status').textContent : ''", vec![])
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if landed.contains("No page is waiting") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(landed.contains("No page is waiting"), "the callback page says so: {landed:?}");
    let url = client.current_url().await.unwrap();
    assert!(url.fragment().is_none() && url.path() == "/app/callback.html", "the code is gone from the address: {url}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let tokens_after: usize = recorders
        .iter()
        .map(|r| r.lock().unwrap().iter().filter(|s| s.method == "POST" && s.path == "/token").count())
        .sum();
    assert_eq!(tokens_after, tokens_before, "nobody exchanged the stolen login's code");
    open_app(&client, &origin).await;

    // Where requests came from: every token and claims request reached the organisation from the
    // browser, carrying the provider's origin, and every login page was a top-level navigation.
    let mut secrets = vec![
        PASSPHRASE.to_owned(),
        recovery_code.clone(),
        bsn.clone(),
        pin.clone(),
        "mijn baan is weg".to_owned(),
    ];
    for (recorder, descriptor) in recorders.iter().zip(&descriptors) {
        let seen = recorder.lock().unwrap().clone();
        let calls: Vec<&Seen> = seen
            .iter()
            .filter(|s| s.method != "OPTIONS" && (s.path == "/token" || s.path == "/claims" || s.path.starts_with("/arrangements")))
            .collect();
        let count = |method: &str, path: &str| calls.iter().filter(|c| c.method == method && c.path.starts_with(path)).count();
        assert_eq!(
            (count("POST", "/token"), count("POST", "/claims"), count("POST", "/arrangements"), count("GET", "/arrangements/")),
            (3, 1, 1, 1),
            "{}: a login each for the fetch, the part and its status: {seen:?}",
            descriptor["id"]
        );
        for call in &calls {
            assert_eq!(call.origin.as_deref(), Some(origin.as_str()), "{} came from the browser", call.path);
        }
        for call in seen.iter() {
            if call.path == "/token" {
                for (key, value) in url::form_urlencoded::parse(call.body.as_bytes()) {
                    if key == "code" || key == "code_verifier" {
                        secrets.push(value.into_owned());
                    }
                }
            }
            if let Some(token) = call.authorization.as_deref().and_then(|a| a.strip_prefix("Bearer ")) {
                secrets.push(token.to_owned());
            }
        }
    }
    assert!(secrets.len() >= 4 + 3 * 3 * 3, "a code, a verifier and a token per login: {secrets:?}");
    let mut case_refs = 0;
    for dir in &dirs {
        let data: Value = serde_json::from_slice(&std::fs::read(dir.join("data.json")).unwrap()).unwrap();
        for matter in data[&bsn]["document"]["body"]["financiele_zaken"].as_array().into_iter().flatten() {
            if let Some(case_ref) = matter["zaakkenmerk"].as_str() {
                secrets.push(case_ref.to_owned());
                case_refs += 1;
            }
        }
    }
    assert!(case_refs >= 3, "the citizen's case references were collected: {secrets:?}");

    // The account, from the browser: a new passphrase, then recovery with the recovery code (typed
    // in lower case with spaces), then an export that `pod restore` reads.
    let (new_passphrase, after_recovery) = ("een nieuwe lange geheime zin", "en na het herstel nog een andere zin");
    let account = run(
        &client,
        "const [podId, pass, code, next, last] = arguments;
         const first = await provider.logIn(core, podId, pass);
         const info = await first.info();
         const pod = core.Pod.open(provider.b64.decode(info.identity_file), pass, await first.get(core.Pod.dataKeyName()));
         const weak = await provider.changePassphrase(core, pod, first, 'te kort').then(() => 'accepted', (e) => e.message);
         await provider.changePassphrase(core, pod, first, next);
         const old = await provider.logIn(core, podId, pass).then(() => 'accepted', (e) => e.message);
         await provider.logIn(core, podId, next);
         const newCode = await provider.recover(core, podId, code.toLowerCase().replaceAll('-', ' '), last);
         const oldCode = await provider.logIn(core, podId, code, 'recovery').then(() => 'accepted', (e) => e.message);
         const firstGone = await first.info().then(() => 'still valid', (e) => e.status);
         const session = await provider.logIn(core, podId, last);
         const newCodeWorks = await provider.logIn(core, podId, newCode, 'recovery').then(() => true, (e) => e.message);
         const exported = provider.b64.encode(await provider.exportPod(session));
         return { weak, old, oldCode, firstGone, newCode, newCodeWorks, exported };",
        vec![json!(pod_id), json!(PASSPHRASE), json!(recovery_code), json!(new_passphrase), json!(after_recovery)],
    )
    .await;
    assert!(account["weak"].as_str().unwrap_or_default().contains("at least 12"), "{account}");
    assert_eq!(account["old"], json!("wrong passphrase"), "{account}");
    assert_eq!(account["oldCode"], json!("wrong passphrase"), "{account}");
    assert_eq!(account["firstGone"], json!(401), "recovery ends every session: {account}");
    assert_eq!(account["newCodeWorks"], json!(true), "{account}");
    let new_code = account["newCode"].as_str().unwrap().to_owned();
    assert_ne!(new_code, recovery_code);
    let export = base64::engine::general_purpose::STANDARD.decode(account["exported"].as_str().unwrap()).unwrap();
    let export_path = tmp.path().join("export.json");
    std::fs::write(&export_path, &export).unwrap();
    let restored = pod::store::PodDir::new(tmp.path().join("restored"));
    let secret = age::secrecy::SecretString::from(after_recovery.to_owned());
    restored.restore(&export_path, &secret).unwrap();
    let unlocked = restored.unlock(&secret).unwrap();
    let native = pod::overview::of(&unlocked, as_of, chrono::Utc::now()).unwrap();
    assert_eq!(native.totals.outstanding_cents, expected, "the restored pod shows what the browser showed");
    assert_eq!(native.organisations.len(), 3);
    assert!(native.organisations.iter().all(|o| o.status == pod::overview::DataStatus::Ok));
    assert_eq!(pod::arrangement::submission::all(&unlocked).unwrap().len(), 3, "the submissions came along");
    drop(unlocked);

    // Import from the browser: a tampered backup is refused before anything is sent; the real one
    // becomes a new pod at the provider, with a new recovery code.
    let mut tampered: Value = serde_json::from_slice(&export).unwrap();
    let record = &mut tampered["spaces"]["records"][0][1];
    let mut bytes = base64::engine::general_purpose::STANDARD.decode(record.as_str().unwrap()).unwrap();
    bytes[100] ^= 1;
    *record = json!(base64::engine::general_purpose::STANDARD.encode(bytes));
    let imported = run(
        &client,
        "const [exported, tampered, pass, asOf] = arguments;
         const refused = await provider.importBackup(core, new TextEncoder().encode(tampered), pass).then(() => 'accepted', (e) => e.message);
         const { podId, recoveryCode } = await provider.importBackup(core, provider.b64.decode(exported), pass);
         const session = await provider.logIn(core, podId, pass);
         const info = await session.info();
         const pod = core.Pod.open(provider.b64.decode(info.identity_file), pass, await session.get(core.Pod.dataKeyName()));
         await session.loadInto(pod);
         const overview = JSON.parse(pod.overview(asOf, new Date().toISOString()));
         return { refused, podId, recoveryCode, total: overview.totals.outstanding_cents };",
        vec![
            json!(account["exported"]),
            json!(tampered.to_string()),
            json!(after_recovery),
            json!(as_of.to_string()),
        ],
    )
    .await;
    let refused = imported["refused"].as_str().unwrap_or_default();
    assert!(refused.contains("cannot be imported") && refused.contains("damaged"), "{imported}");
    assert_eq!(imported["total"], json!(expected), "{imported}");
    assert_ne!(imported["podId"], json!(pod_id), "a new pod");
    secrets.push(imported["recoveryCode"].as_str().unwrap().to_owned());
    secrets.extend([new_passphrase.to_owned(), after_recovery.to_owned(), new_code.clone()]);

    // The provider's view, read for secrets: its storage, its logs and its memory, while the
    // citizen is unlocked. A needle the test plants in a request proves the memory scan works.
    let needle = format!("planted-needle-{}", rand::random::<u64>());
    let planted = run(
        &client,
        "const session = await provider.logIn(core, arguments[0], arguments[1]);
         await session.batch([{ name: 'records.ffff', expect: 'absent', bytes: btoa(arguments[2]) }]);
         return true;",
        vec![json!(pod_id), json!(after_recovery), json!(needle)],
    )
    .await;
    assert_eq!(planted, json!(true), "{planted}");
    let memory = process_memory(provider.child.id());
    assert!(memory.len() > 1 << 20, "the provider's memory was read");
    assert!(find_any(&memory, &needle), "the memory scan finds what is there");
    let mut stored: Vec<(PathBuf, Vec<u8>)> = files_under(&tmp.path().join("vault"));
    stored.push((provider.log.clone(), std::fs::read(&provider.log).unwrap()));
    // Hundreds of MiB of memory hold some five-digit string by chance, so the PIN (which never
    // comes near the provider: it is typed at the organisation) is looked for in files only.
    let in_memory = |secret: &String| secret.len() >= 8;
    assert!(secrets.iter().filter(|s| in_memory(s)).count() >= secrets.len() - 1);
    for secret in &secrets {
        assert!(!in_memory(secret) || !find_any(&memory, secret), "the provider's memory holds {secret:?}");
        for (path, bytes) in &stored {
            assert!(!find_any(bytes, secret), "{} holds {secret:?}", path.display());
        }
    }
    // The app's wasm (which the provider serves from memory) spells the prefix itself, so in
    // memory look for a whole identity: the prefix and its 59 Bech32 characters.
    assert!(!holds_an_age_identity(&memory), "an age identity is in the provider's memory");
    for (path, bytes) in &stored {
        assert!(!find_any(bytes, "AGE-SECRET-KEY-"), "{} holds an age identity", path.display());
    }
    // Delete: the keys first, then the records; nobody logs in again.
    let deleted = run(
        &client,
        "const session = await provider.logIn(core, arguments[0], arguments[1]);
         await provider.deletePod(session);
         return await provider.logIn(core, arguments[0], arguments[1]).then(() => 'accepted', (e) => e.message);",
        vec![json!(pod_id), json!(after_recovery)],
    )
    .await;
    assert_eq!(deleted, json!("wrong passphrase"));
    client.close().await.unwrap();

    // And afterwards, with every session gone.
    let memory = process_memory(provider.child.id());
    for secret in secrets.iter().filter(|s| in_memory(s)) {
        assert!(!find_any(&memory, secret), "after the session, the provider's memory holds {secret:?}");
    }
}

#[test]
fn the_scans_find_what_they_look_for() {
    use age::secrecy::ExposeSecret;
    let identity = age::x25519::Identity::generate();
    let encoded = identity.to_string();
    let mut memory = vec![0u8; 4096];
    memory.extend_from_slice(encoded.expose_secret().as_bytes());
    assert!(holds_an_age_identity(&memory));
    assert!(!holds_an_age_identity(b"...AGE-SECRET-KEY-\0 in a wasm file's data section..."));
    for secret in ["a secret of some length", "215039634"] {
        for form in forms(secret) {
            let mut haystack = b"noise before ".to_vec();
            haystack.extend_from_slice(&form);
            haystack.extend_from_slice(b" noise after");
            assert!(find_any(&haystack, secret), "{secret} as {:?}", String::from_utf8_lossy(&form));
        }
        let base64 = base64::engine::general_purpose::STANDARD.encode(format!("xy{secret}z"));
        assert!(find_any(base64.as_bytes(), secret), "base64 at another alignment");
    }
}

/// The app as a provider could alter it: a copy of the built app with `file` changed.
fn altered_app(dir: &Path, file: &str) -> PathBuf {
    let copy = dir.join("app");
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(app_dir()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, copy.join(path.file_name().unwrap())).unwrap();
    }
    let mut bytes = std::fs::read(copy.join(file)).unwrap();
    bytes.extend_from_slice(b"\n// changed by the provider\n");
    std::fs::write(copy.join(file), bytes).unwrap();
    copy
}

async fn status_text(client: &Client) -> String {
    client
        .execute("return document.readyState === 'complete' ? document.getElementById('status').textContent : ''", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Subresource Integrity: every module, the stylesheet and the wasm are pinned by hashes in
/// index.html (whose own hash is published in SHA256SUMS.txt), so a provider that changes one of
/// them without changing index.html gets a page that does not run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_altered_app_file_does_not_run() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let published = std::fs::read_to_string(app_dir().join("SHA256SUMS.txt")).unwrap();
    for file in ["index.html", "main.js", "fetch.js", "pod_wasm.js", "pod_wasm_bg.wasm", "build.js"] {
        assert!(published.lines().any(|l| l.ends_with(&format!("  {file}"))), "{file} is in the published list");
    }
    let (_driver, client) = start_browser().await;
    for file in ["pod_wasm_bg.wasm", "fetch.js", "main.js"] {
        let tmp = tempfile::tempdir().unwrap();
        let provider = start_provider_with_app(tmp.path(), &altered_app(tmp.path(), file));
        client.goto(&format!("{}/app/index.html", provider.url)).await.unwrap();
        if file.ends_with(".wasm") {
            // The wasm is fetched by script, which reports the failed check.
            let mut status = String::new();
            for _ in 0..200 {
                status = status_text(&client).await;
                if status.starts_with("failed") {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(status.starts_with("failed"), "an altered wasm is refused: {status:?}");
        } else {
            // A module that fails its check stops the whole module graph: nothing runs at all.
            for _ in 0..40 {
                assert!(!status_text(&client).await.starts_with("ready"), "an altered {file} ran");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let started = client.execute("return typeof window.betaalpod", vec![]).await.unwrap();
            assert_eq!(started, json!("undefined"), "an altered {file} ran");
        }
    }
    // The unaltered app runs, in the same browser.
    let tmp = tempfile::tempdir().unwrap();
    let provider = start_provider(tmp.path());
    open_app(&client, &provider.url).await;
    client.close().await.unwrap();
}

/// One login at the citizen's login provider (an npm `oidc-provider` with sessions, DigiD's
/// stand-in) fetches from three organisations in the hosted app: the chain runs in the app's one
/// login window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_login_at_the_login_provider_fetches_from_three_organisations_in_the_browser() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    let provider = start_provider(tmp.path());
    let origin = provider.url.clone();
    let mut listeners = Vec::new();
    for _ in 0..3 {
        listeners.push(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap());
    }
    let callbacks: Vec<String> = listeners
        .iter()
        .map(|l| format!("http://{}/upstream/callback", l.local_addr().unwrap()))
        .collect();
    let login_provider = browser_harness::OidcProvider::start(&callbacks);
    let mut orgs = Vec::new();
    let mut dirs = Vec::new();
    for (org, listener) in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak].into_iter().zip(listeners) {
        let dir = tmp.path().join(org.short());
        let start = source::local::Start {
            app_origin: Some(&origin),
            upstream_issuer: Some(&login_provider.issuer),
            listener: Some(listener),
            ..Default::default()
        };
        orgs.push(LocalOrganisation::start_as(org, 3, SEED, &dir, start, |router| router).await.unwrap());
        dirs.push(dir);
    }
    let descriptors: Vec<Value> = orgs.iter().map(|o| serde_json::to_value(o.descriptor().unwrap()).unwrap()).collect();
    let (bsn, _) = source::demo_data::citizen(SEED, 0);

    let (_driver, client) = start_browser().await;
    open_app(&client, &origin).await;
    let main = client.window().await.unwrap();
    sign_up_and_pin(&client, &descriptors).await;
    start_fetch_all(&client).await;
    let popup = loop {
        if let Some(other) = client.windows().await.unwrap().into_iter().find(|w| *w != main) {
            break other;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    client.switch_to_window(popup).await.unwrap();
    browser_harness::log_in_at_provider(&client, bsn.as_str()).await;
    client.switch_to_window(main).await.unwrap();
    let results = run(&client, "return await window.journey.fetched;", vec![]).await;
    for descriptor in &descriptors {
        let id = descriptor["id"].as_str().unwrap();
        assert_eq!(results[id]["ok"], json!(true), "{id}: {results}");
    }
    assert_eq!(login_provider.typed_logins().await, 1, "the citizen typed their credentials once");
    assert_eq!(client.windows().await.unwrap().len(), 1, "the app closed its login window");
    let as_of = chrono::Utc::now().date_naive();
    let overview = run(
        &client,
        "return JSON.parse(window.journey.pod.overview(arguments[0], new Date().toISOString()));",
        vec![json!(as_of.to_string())],
    )
    .await;
    assert_eq!(
        overview["totals"]["outstanding_cents"],
        json!(browser_harness::expected_outstanding(&dirs, bsn.as_str(), as_of)),
        "{overview}"
    );
    client.close().await.unwrap();
}
