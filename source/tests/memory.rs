//! `source` under a stream of first visits to its login page: resident memory after 10,000 of them
//! stays within 10% of what it was after the first 1,000. The real binary, measured from outside.

mod common;

use std::process::{Command, Stdio};

use browser_harness::load::{KillOnDrop, assert_first_visits_keep_memory_flat};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_page_visits_leave_no_state_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let config = write_config(tmp.path(), "00000001001234567000", "");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("listen = \"127.0.0.1:0\"", &format!("listen = \"127.0.0.1:{port}\""))
        .replace("public_url = \"http://127.0.0.1:1\"", &format!("public_url = \"{base}\""));
    std::fs::write(&config, text).unwrap();
    let child = KillOnDrop(Command::new(env!("CARGO_BIN_EXE_source"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .current_dir(tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap());
    for _ in 0..200 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let pkce = pkce();
    let query: Vec<String> = auth_params(&pkce, "a-state", "claims:read")
        .iter()
        .map(|(k, v)| format!("{k}={}", url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()))
        .collect();
    let urls = [format!("{base}/authorize?{}", query.join("&"))];
    assert_first_visits_keep_memory_flat("source", child.0.id(), &urls).await;
}
