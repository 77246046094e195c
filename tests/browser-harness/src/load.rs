//! Load from a second process, for the benches (`scripts/bench`): `wrk` (Debian package `wrk`)
//! against one URL, and the Community Solid Server (npm `@solid/community-server@7.2.0`, file
//! backend, `config/file-root.json`, whose root allows everyone) serving one 3 KB file as the
//! baseline that Betaalpod's figures are compared with.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Connections per run, as the issues' figures state them.
pub const CONNECTIONS: u32 = 16;

/// Whether `wrk` is on the PATH.
pub fn wrk_installed() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// One `wrk` run of `seconds` with two threads and [`CONNECTIONS`] connections; requests per
/// second, or `None` (with wrk's output on stderr) if it failed or saw a non-2xx answer.
pub fn wrk(url: &str, headers: &[String], seconds: u32) -> Option<f64> {
    let mut command = Command::new("wrk");
    command.args(["-t2", &format!("-c{CONNECTIONS}"), &format!("-d{seconds}s"), "--latency"]);
    for header in headers {
        command.args(["-H", header]);
    }
    let output = command.arg(url).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("Non-2xx") || text.contains("Socket errors") {
        eprintln!("wrk saw errors:\n{text}");
        return None;
    }
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
}

/// A warm-up run, then three runs of `seconds`; the median.
pub fn median_of_three(url: &str, headers: &[String], seconds: u32) -> Option<f64> {
    wrk(url, headers, 2)?;
    let mut runs: Vec<f64> = (0..3).map(|_| wrk(url, headers, seconds)).collect::<Option<_>>()?;
    runs.sort_by(f64::total_cmp);
    Some(runs[1])
}

/// A running Community Solid Server; dropping it stops it.
pub struct Solid(Child);

impl Drop for Solid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the Community Solid Server (`binary`) with its file backend in `dir`, and stores one
/// 3 KB JSON file; the server and the file's URL, or `None` if it did not come up in a minute.
pub fn solid(binary: &str, dir: &std::path::Path) -> Option<(Solid, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child = Command::new(binary)
        .args(["-c", "@css:config/file-root.json", "-f"])
        .arg(dir)
        .args(["-p", &port.to_string(), "-b", &format!("http://127.0.0.1:{port}/"), "-l", "warn"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let server = Solid(child);
    let url = format!("http://127.0.0.1:{port}/file.json");
    let body = format!("{{\"padding\":\"{}\"}}", "x".repeat(2986));
    for _ in 0..120 {
        std::thread::sleep(Duration::from_millis(500));
        let put = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "content-type: application/json"])
            .args(["--data-binary", &body, &url])
            .output()
            .ok()?;
        if String::from_utf8_lossy(&put.stdout).starts_with('2') {
            return Some((server, url));
        }
    }
    None
}

/// Appends one measured figure to `target/bench-results/figures.jsonl` (where `scripts/bench`
/// reads them) and prints it.
pub fn report(figure: &str, value: f64, unit: &str) {
    println!("{figure}: {value:.3} {unit}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-results");
    let _ = std::fs::create_dir_all(&dir);
    let line = serde_json::json!({"figure": figure, "value": value, "unit": unit}).to_string();
    use std::io::Write as _;
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("figures.jsonl")) {
        let _ = writeln!(file, "{line}");
    }
}

/// The resident memory of process `pid`, in KiB (`VmRSS` in `/proc/PID/status`).
pub fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the process is running");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// Sends `count` GET requests to `urls` in turn, one at a time and without cookies, as that many
/// first visits; each must answer 2xx.
pub async fn first_visits(urls: &[String], count: usize) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap();
    for i in 0..count {
        let url = &urls[i % urls.len()];
        let answer = client.get(url).send().await.unwrap();
        assert!(answer.status().is_success(), "{url}: {}", answer.status());
        answer.bytes().await.unwrap();
    }
}

/// Resident memory of `pid` after 1,000 first visits to `urls` and after 10,000, in KiB; panics
/// when the second is more than 10% above the first. `what` names the server in the message.
pub async fn assert_first_visits_keep_memory_flat(what: &str, pid: u32, urls: &[String]) -> (u64, u64) {
    first_visits(urls, 1_000).await;
    let after_1000 = resident_kib(pid);
    first_visits(urls, 9_000).await;
    let after_10000 = resident_kib(pid);
    println!("{what} resident memory: {after_1000} KiB after 1,000 first visits, {after_10000} KiB after 10,000");
    assert!(
        after_10000 * 10 <= after_1000 * 11,
        "{what}: resident memory grew from {after_1000} KiB to {after_10000} KiB"
    );
    (after_1000, after_10000)
}

/// A child process that is killed when this is dropped, also when a test fails.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
