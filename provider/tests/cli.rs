//! The `provider` binary: its config check, serving, health, and clear errors.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn provider() -> Command {
    Command::new(env!("CARGO_BIN_EXE_provider"))
}

#[test]
fn check_config_names_the_problem_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("provider.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:0\"\npublic_url = \"http://pods.example.nl\"\ndata_dir = \"x\"\n").unwrap();
    let out = provider().args(["check-config", "--config"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("public_url must be https://"), "{stderr}");

    let missing = provider().args(["serve", "--config", "/nonexistent/provider.toml"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read the provider config"));

    std::fs::write(&path, "listen = \"127.0.0.1:0\"\npublic_url = \"https://pods.example.nl\"\ndata_dir = \"x\"\n").unwrap();
    let ok = provider().args(["check-config", "--config"]).arg(&path).output().unwrap();
    assert!(ok.status.success());
}

#[test]
fn serve_listens_answers_health_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("provider.toml");
    std::fs::write(
        &path,
        format!(
            "listen = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:8080\"\ndata_dir = \"{}\"\n",
            dir.path().join("vault").display()
        ),
    )
    .unwrap();
    let mut child = provider()
        .args(["serve", "--config"])
        .arg(&path)
        .env("PROVIDER_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:") && !w.ends_with(":8080"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    assert_eq!(get_text(&format!("{address}/healthz")), "ok");
    assert_eq!(get_text(&format!("{address}/readyz")), "ready");
    // SIGTERM, as a service manager stops it.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "a clean shutdown: {status:?}");
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut logs).unwrap();
    assert!(logs.lines().any(|l| l.contains("\"route\":\"/healthz\"")), "JSON logs name the route: {logs}");
}

/// A GET on a runtime of its own; the answer's text.
fn get_text(url: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async { reqwest::get(url).await.unwrap().text().await.unwrap() })
}
