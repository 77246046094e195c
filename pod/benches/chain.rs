//! One login, every organisation: the wall time of a chained fetch in Chromium from 1, 3 and 10
//! organisations that delegate their logins to one real OpenID provider with sessions (the npm
//! `oidc-provider`, DigiD's stand-in), excluding the one typed login: the citizen has logged in
//! at the provider once before the timed runs, so every hop of a timed chain goes through without
//! a form. Timed from the press on "fetch" to the overview, the median of five runs each.
//!
//! ```sh
//! cargo bench -p pod --bench chain
//! ```
//!
//! The figures go to `target/bench-results/figures.jsonl` for `scripts/bench`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use browser_harness::load::report;
use browser_harness::*;
use common::chain::{Delegating, delegating_organisations};
use common::*;

const RUNS: usize = 5;

/// Starts "fetch from all" on the pod at `pod_url`.
async fn press_fetch(client: &Client, pod_url: &str) {
    client.goto(&format!("{pod_url}/fetch")).await.unwrap();
    click(client, Locator::Css("main button[type=submit]")).await;
}

/// The median time of a chained fetch from `count` organisations, in milliseconds.
async fn chained_fetch_ms(client: &Client, count: usize) -> f64 {
    let tmp = tempfile::tempdir().unwrap();
    let Delegating { orgs, providers, .. } = delegating_organisations(tmp.path(), count, 1, |_| 0, |_, router| router).await;
    let s = setup_for(orgs, tmp, Duration::from_secs(600)).await;
    let (bsn, _) = source::demo_data::citizen(SEED, 0);
    unlock_pod(client, &s.url, PASSPHRASE).await;
    let overview = format!("{}/", s.url);
    // The one typed login, not timed.
    press_fetch(client, &s.url).await;
    log_in_at_provider(client, bsn.as_str()).await;
    wait_until_url(client, &overview).await;
    let mut times = Vec::new();
    for _ in 0..RUNS {
        client.goto(&format!("{}/fetch", s.url)).await.unwrap();
        let button = client.find(Locator::Css("main button[type=submit]")).await.unwrap();
        let started = Instant::now();
        button.click().await.unwrap();
        wait_until_url(client, &overview).await;
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    assert_eq!(providers[0].typed_logins().await, 1, "every timed chain ran without a form");
    times.sort_by(f64::total_cmp);
    times[RUNS / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (_driver, client) = start_browser().await;
    let mut figures = Vec::new();
    for count in [1, 3, 10] {
        let ms = chained_fetch_ms(&client, count).await;
        report(&format!("chain_{count}_ms"), ms, "ms (median)");
        figures.push((count, ms));
    }
    let one = figures[0].1;
    for (count, ms) in &figures[1..] {
        println!(
            "{count} organisations / 1: {:.2}x; per extra organisation: {:.0} ms",
            ms / one,
            (ms - one) / (*count as f64 - 1.0)
        );
    }
    client.close().await.unwrap();
}
