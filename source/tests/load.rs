//! `source` under load: 200 citizens at once, each doing full logins and fetches (dev-login,
//! code exchange with PKCE, claims request, the answer decrypted and verified) for 30 seconds.
//! Every request must succeed; throughput and the 99th percentile of a whole fetch are printed
//! (`LOAD source ...`) for the closing note. Client and server share this machine's cores.

mod common;

use std::time::{Duration, Instant};

use common::*;

const CITIZENS: usize = 200;
const RUN_FOR: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_citizens_for_thirty_seconds_without_an_error() {
    install_crypto();
    let tmp = tempfile::tempdir().unwrap();
    let data = source::demo_data::generate(source::demo_data::DemoOrg::Cjib, CITIZENS, SEED).unwrap();
    std::fs::write(tmp.path().join("data.json"), serde_json::to_vec(&data).unwrap()).unwrap();
    let unlimited = format!(
        "[rate_limits]\nlogin_per_minute = {max}\ntoken_per_minute = {max}\nclaims_per_minute = {max}\n",
        max = u32::MAX
    );
    let server = std::sync::Arc::new(TestServer::start_in(tmp.path(), "00000001001234567000", &unlimited).await);
    let started = Instant::now();
    let mut citizens = Vec::new();
    for index in 0..CITIZENS {
        let server = server.clone();
        citizens.push(tokio::spawn(async move {
            let mut took = Vec::new();
            while started.elapsed() < RUN_FOR {
                let begin = Instant::now();
                let token = token_for(&server, index, "claims:read").await;
                let payload = fetch_claims(&server, &token).await;
                assert_eq!(payload["document"]["body"]["bsn"], citizen(index).0.as_str());
                took.push(begin.elapsed());
            }
            took
        }));
    }
    let mut fetches = Vec::new();
    let mut errors = 0;
    for citizen in citizens {
        match citizen.await {
            Ok(took) => fetches.extend(took),
            Err(_) => errors += 1,
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    fetches.sort();
    let p99 = fetches[(fetches.len() * 99 / 100).min(fetches.len() - 1)];
    let p50 = fetches[fetches.len() / 2];
    println!(
        "LOAD source: {CITIZENS} citizens, {} full fetches (4 requests each: login page, login, token, claims) in {elapsed:.1} s: {:.1} fetches/s, {:.1} requests/s; p50 {} ms, p99 {} ms; {errors} errors",
        fetches.len(),
        fetches.len() as f64 / elapsed,
        4.0 * fetches.len() as f64 / elapsed,
        p50.as_millis(),
        p99.as_millis()
    );
    assert_eq!(errors, 0, "every citizen's every request succeeded");
    assert!(fetches.len() >= CITIZENS, "every citizen fetched at least once");
}
