//! `pod serve` under a stream of first visits: the unlock page and `/api/csrf` keep no state on
//! the server (their CSRF token is a cookie), so resident memory after 10,000 of them stays
//! within 10% of what it was after the first 1,000. The real binary, measured from outside.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use age::secrecy::SecretString;
use browser_harness::load::{KillOnDrop, assert_first_visits_keep_memory_flat};
use pod::store::{KdfCost, PodDir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_visits_leave_no_state_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = PodDir::new(tmp.path().join("pod"));
    dir.init(&SecretString::from("correct horse battery staple".to_owned()), KdfCost::InsecureForTests)
        .unwrap();
    let mut child = KillOnDrop(Command::new(env!("CARGO_BIN_EXE_pod"))
        .args(["serve", "--dir", dir.root().to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .env("BETAALPOD_STATE_DIR", tmp.path().join("state"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap());
    let line = BufReader::new(child.0.stdout.take().unwrap()).lines().next().unwrap().unwrap();
    let base = line.split("running at ").nth(1).unwrap().split('/').take(3).collect::<Vec<_>>().join("/");

    // A first visit gets the anonymous CSRF cookie, and no session.
    let answer = reqwest::get(format!("{base}/api/csrf")).await.unwrap();
    let cookies: Vec<String> = answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(cookies.iter().any(|c| c.starts_with("betaalpod_csrf=")), "{cookies:?}");
    assert!(!cookies.iter().any(|c| c.starts_with("betaalpod_session=")), "{cookies:?}");

    let urls = [format!("{base}/api/csrf"), format!("{base}/")];
    assert_first_visits_keep_memory_flat("pod serve", child.0.id(), &urls).await;
}
