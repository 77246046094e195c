//! A provider that drops a record of a hosted pod, or serves an older copy of it, is found when
//! the citizen opens the pod in the browser: in real Chromium, with the app's own code, against
//! the real `provider` process. The provider's changes are made through its own storage API
//! with a session of the citizen's (what a provider can do to its stored bytes, without keys).
//! Every batch the browser writes carries the pod's next manifest, and the browser keeps the
//! pod's guard; the pod core checks both when the pod opens.

mod browser_app;

use std::time::Duration;

use browser_app::*;
use browser_harness::{Locator, body_text, start_browser};
use serde_json::json;
use source::demo_data::DemoOrg;
use source::local::LocalOrganisation;

/// Opens the pod as the app does; `"opened"` or the error the citizen is shown.
const OPEN: &str = "const [podId, pass] = arguments;
     const session = await provider.logIn(core, podId, pass);
     const info = await session.info();
     const pod = core.Pod.open(provider.b64.decode(info.identity_file), pass, await session.get(core.Pod.dataKeyName()));
     return await session.loadInto(pod).then(() => 'opened', (e) => String(e.message || e));";

/// A session that writes the provider's stored bytes as they are, with no pod attached.
const RAW: &str = "const raw = await provider.logIn(core, rawPod, rawPass);
     const stored = async () => Promise.all((await raw.list()).map(async (r) =>
       ({ name: r.name, version: r.version, bytes: provider.b64.encode(await raw.get(r.name)) })));";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_drops_a_record_or_serves_an_older_copy_is_found() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    let provider = start_provider(tmp.path());
    let org = LocalOrganisation::start_for_web_app(DemoOrg::Cjib, 3, SEED, &tmp.path().join("cjib"), &provider.url, |r| r)
        .await
        .unwrap();
    let descriptor = serde_json::to_value(org.descriptor().unwrap()).unwrap();
    let (_driver, client) = start_browser().await;
    open_app(&client, &provider.url).await;

    // Sign-up, then changes in three batches; "yesterday" is the copy after the first.
    let made = run(
        &client,
        &format!(
            "const code = core.Pod.newRecoveryCode();
             const pod = core.Pod.create(arguments[1], code);
             const {{ podId, firstWrites }} = await provider.signUp(core, pod, arguments[1], code);
             const session = await provider.logIn(core, podId, arguments[1]);
             session.attach(pod);
             await session.batch(firstWrites);
             await session.batch(JSON.parse(pod.pin(JSON.stringify([arguments[2]]), new Date().toISOString())));
             const [rawPod, rawPass] = [podId, arguments[1]];
             {RAW}
             const yesterday = await stored();
             await session.batch(JSON.parse(pod.unpin(arguments[2].id, new Date().toISOString())));
             await session.batch(JSON.parse(pod.pin(JSON.stringify([arguments[2]]), new Date().toISOString())));
             const guards = Object.keys(localStorage).filter((k) => k.startsWith('betaalpod-guard:'));
             return {{ podId, yesterday, guards, guard: JSON.parse(localStorage.getItem(guards[0])) }};"
        ),
        vec![json!(null), json!(PASSPHRASE), descriptor],
    )
    .await;
    let pod_id = made["podId"].as_str().unwrap_or_else(|| panic!("sign-up failed: {made}")).to_owned();
    assert_eq!(made["guards"].as_array().map(Vec::len), Some(1), "{made}");
    assert_eq!(made["guard"]["counter"], json!(4), "four batches: {made}");
    let open = || run(&client, OPEN, vec![json!(pod_id), json!(PASSPHRASE)]);
    assert_eq!(open().await, json!("opened"));

    // The provider drops one record: found. Put back as it was, the pod opens again.
    let dropped = run(
        &client,
        &format!(
            "const [rawPod, rawPass] = arguments;
             {RAW}
             const record = (await stored()).find((r) => r.name.startsWith('records.'));
             await raw.batch([{{ name: record.name, expect: {{ version: record.version }}, bytes: null }}]);
             return record;"
        ),
        vec![json!(pod_id), json!(PASSPHRASE)],
    )
    .await;
    let name = dropped["name"].as_str().unwrap_or_else(|| panic!("{dropped}")).to_owned();
    let record_id = name.trim_start_matches("records.");
    let error = open().await;
    let error = error.as_str().unwrap_or_default();
    assert!(error.starts_with(&format!("record {record_id} is missing from your pod: 1 of the 3 records")), "{error}");

    // The app's own unlock shows the same to the citizen, and stays locked.
    client.goto(&format!("{}/app/index.html#/", provider.url)).await.unwrap();
    for (id, text) in [("pod-id", pod_id.as_str()), ("passphrase", PASSPHRASE)] {
        let field = client.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }
    client.find(Locator::Css("#login button[type=submit]")).await.unwrap().click().await.unwrap();
    let mut shown = String::new();
    for _ in 0..600 {
        shown = body_text(&client).await;
        if shown.contains("is missing from your pod") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(shown.contains(&format!("record {record_id} is missing from your pod")), "{shown}");
    assert!(client.find(Locator::Id("passphrase")).await.is_ok(), "still at the unlock form");

    let put_back = run(
        &client,
        &format!("const [rawPod, rawPass] = arguments; {RAW} await raw.batch([{{ name: arguments[2], expect: 'absent', bytes: arguments[3] }}]); return true;"),
        vec![json!(pod_id), json!(PASSPHRASE), json!(name), dropped["bytes"].clone()],
    )
    .await;
    assert_eq!(put_back, json!(true), "{put_back}");
    assert_eq!(open().await, json!("opened"));

    // The provider serves yesterday's copy, every byte of it genuine: found, with when it is from.
    let rolled_back = run(
        &client,
        &format!(
            "const [rawPod, rawPass] = arguments;
             {RAW}
             const yesterday = new Map(arguments[2].map((r) => [r.name, r.bytes]));
             const now = await stored();
             const writes = now.map((r) => ({{ name: r.name, expect: {{ version: r.version }}, bytes: yesterday.get(r.name) ?? null }}))
               .filter((w) => w.bytes === null || yesterday.get(w.name) !== now.find((r) => r.name === w.name).bytes);
             await raw.batch(writes);
             return writes.length;"
        ),
        vec![json!(pod_id), json!(PASSPHRASE), made["yesterday"].clone()],
    )
    .await;
    assert!(rolled_back.as_u64().is_some_and(|n| n >= 3), "the two new records and the manifest: {rolled_back}");
    let error = open().await;
    let error = error.as_str().unwrap_or_default();
    assert!(
        error.starts_with("your pod at the provider was rolled back to ")
            && error.contains("after 4 changes, and the provider now serves only 2."),
        "{error}"
    );

    // The limit, as documented: a browser that never saw the newer pod cannot tell.
    let cleared = run(&client, "localStorage.clear(); return true;", vec![]).await;
    assert_eq!(cleared, json!(true));
    assert_eq!(open().await, json!("opened"));
}
