//! The newcomer's path, in real headless Chromium: the `demo` binary, the README's first command.

use std::process::{Command, Stdio};
use std::time::Duration;

use browser_harness::*;

/// The newcomer's path: `demo`, in Chromium, from unlock to three receipts, and afterwards
/// not a readable trace of the citizen in the demo pod's folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_end_to_end() {
    use std::io::{BufRead, BufReader};
    let tmp = tempfile::tempdir().unwrap();
    let demo_dir = tmp.path().join("demo");
    let seed = 7;
    let mut demo = Command::new(env!("CARGO_BIN_EXE_demo"))
        .args([
            "--dir",
            demo_dir.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--seed",
            &seed.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = demo.stdout.take().unwrap();
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.trim().strip_prefix("Open:") {
                let _ = url_tx.send(url.trim().trim_end_matches('/').to_owned());
            }
        }
    });
    let url = tokio::task::spawn_blocking(move || url_rx.recv_timeout(Duration::from_secs(60)))
        .await
        .unwrap()
        .expect("the demo prints its URL");
    let (_driver, client) = start_browser().await;
    let (bsn, pin) = source::demo_data::citizen(seed, 0);

    unlock_pod(&client, &url, "betaalpod demo 2026").await;
    client.goto(&format!("{url}/fetch")).await.unwrap();
    click(&client, Locator::Css("main button[type=submit]")).await;
    log_in_as(&client, &url, 3, &bsn.to_string(), &pin).await;

    // The totals match the organisations' generated data files.
    let today = chrono::Local::now().date_naive();
    let mut expected = 0;
    let mut needles = vec![
        bsn.to_string(),
        "Centraal Justitieel".to_owned(),
        "Studieschuld".to_owned(),
    ];
    for org in ["cjib", "duo", "cak"] {
        let data: serde_json::Value =
            serde_json::from_slice(&std::fs::read(demo_dir.join("organisations").join(org).join("data.json")).unwrap())
                .unwrap();
        let document = &data[bsn.as_str()]["document"];
        let parsed = schemas::fcid::parse(&serde_json::to_vec(document).unwrap()).unwrap();
        let view = schemas::fcid::derive::view(&parsed, today);
        expected += view.totals.outstanding_cents;
        for matter in &parsed.matters {
            needles.push(matter.case_ref.clone());
        }
    }
    client.goto(&url).await.unwrap();
    let total = client
        .find(Locator::Id("total-outstanding"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(total, schemas::lang::format_cents(expected, schemas::lang::Lang::Nl));
    needles.push(format!("{expected}"));

    // A matter, then an arrangement with a pause, submitted to all three.
    click(&client, Locator::Css(".matters a")).await;
    wait_for_text(&client, "Verloop").await;
    client.goto(&format!("{url}/arrangement")).await.unwrap();
    client
        .find(Locator::Id("income"))
        .await
        .unwrap()
        .send_keys("10000")
        .await
        .unwrap();
    client
        .find(Locator::Id("pause"))
        .await
        .unwrap()
        .select_by_value("2")
        .await
        .unwrap();
    click(&client, Locator::Css("form[action='/arrangement'] button[type=submit]")).await;
    wait_for_text(&client, "2 maanden pauze").await;
    let plan_url = save_and_submit(&client).await;
    log_in_in_turn(&client, &plan_url, 3, &bsn.to_string(), &pin).await;
    let text = wait_for_text(&client, "ontvangen").await;
    assert_eq!(text.matches("ontvangen").count(), 3, "three receipts: {text}");

    // Lock, stop, and look for the citizen on disk.
    click(&client, Locator::Css("header button")).await;
    wait_for_text(&client, "Ontgrendel je pod").await;
    client.close().await.unwrap();
    let _ = demo.kill();
    let _ = demo.wait();
    let mut found = Vec::new();
    let mut stack = vec![demo_dir.join("pod")];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for needle in &needles {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                found.push(format!("{needle:?} in {}", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "plaintext in the demo pod: {found:#?}");
}
