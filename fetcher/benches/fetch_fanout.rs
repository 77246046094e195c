//! One citizen fetch across 1, 5, 20 and 50 loopback organisations, each answering every request
//! 200 ms late. Reported: the wall time of the whole fetch divided by the time of the slowest
//! single organisation fetched alone. 1.0 is ideal (fully concurrent); sequential would be N.
//!
//! Run: `cargo bench -p fetcher --bench fetch_fanout`. A plain harness, not criterion: each
//! sample takes seconds and the ratio is the figure that matters. With `BENCH_QUICK=1` (as
//! `scripts/bench` runs it) the slowest single organisation is taken over the first 10 (they
//! all have the same injected latency) and only the 50-organisation fetch is timed.

use std::time::{Duration, Instant};

use fetcher::login::DevLogin;
use fetcher::{CitizenRequest, FetchOptions, fetch_all};
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

const LATENCY: Duration = Duration::from_millis(200);

/// A loopback proxy in front of an organisation that delays every request by [`LATENCY`].
async fn delayed(org: &LocalOrganisation) -> schemas::descriptor::OrganisationDescriptor {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", listener.local_addr().unwrap());
    let app = source::server::router(org.state.clone()).layer(axum::middleware::from_fn(
        |request: axum::extract::Request, next: axum::middleware::Next| async move {
            tokio::time::sleep(LATENCY).await;
            next.run(request).await
        },
    ));
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    // The organisation's issuer stays its own URL; only the endpoints go through the delay.
    let mut descriptor = org.descriptor().unwrap();
    for endpoint in [
        &mut descriptor.authorization_endpoint,
        &mut descriptor.token_endpoint,
        &mut descriptor.claims_endpoint,
        &mut descriptor.jwks_uri,
    ] {
        let port = url::Url::parse(&proxy_url).unwrap().port();
        endpoint.set_port(port).unwrap();
    }
    descriptor
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        let kinds = [
            DemoOrg::Cjib,
            DemoOrg::Duo,
            DemoOrg::Cak,
            DemoOrg::Bd,
            DemoOrg::Uwv,
            DemoOrg::Svb,
        ];
        let mut orgs = Vec::new();
        for i in 0..50 {
            let org = LocalOrganisation::start(kinds[i % kinds.len()], 3, 1, &tmp.path().join(format!("org-{i}")))
                .await
                .unwrap();
            orgs.push(org);
        }
        let mut descriptors = Vec::new();
        for org in &orgs {
            descriptors.push(delayed(org).await);
        }
        let identity = age::x25519::Identity::generate();
        let request = CitizenRequest::from_unlocked_identity(&identity);
        let (bsn, pin) = demo_data::citizen(1, 0);
        let login = DevLogin::new(bsn.to_string(), pin);
        let options = FetchOptions::new("http://127.0.0.1:49152/oauth/callback".parse().unwrap());

        let quick = std::env::var_os("BENCH_QUICK").is_some();
        // The slowest single organisation, fetched alone (best of 3 per organisation).
        let mut slowest_single = Duration::ZERO;
        for descriptor in descriptors.iter().take(if quick { 10 } else { descriptors.len() }) {
            let mut best = Duration::MAX;
            for _ in 0..3 {
                let start = Instant::now();
                let results = fetch_all(&request, std::slice::from_ref(descriptor), &login, &options, None).await;
                assert!(results[0].is_ok(), "{:?}", results[0].as_ref().err());
                best = best.min(start.elapsed());
            }
            slowest_single = slowest_single.max(best);
        }
        println!(
            "slowest single organisation: {:.0} ms (5 requests x {} ms injected latency)",
            slowest_single.as_secs_f64() * 1000.0,
            LATENCY.as_millis()
        );
        println!("{:>4}  {:>10}  {:>8}", "orgs", "wall (ms)", "ratio");
        let sizes: &[usize] = if quick { &[50] } else { &[1, 5, 20, 50] };
        for &n in sizes {
            let mut best = Duration::MAX;
            for _ in 0..3 {
                let start = Instant::now();
                let results = fetch_all(&request, &descriptors[..n], &login, &options, None).await;
                assert!(results.iter().all(Result::is_ok));
                best = best.min(start.elapsed());
            }
            println!(
                "{n:>4}  {:>10.0}  {:>8.2}",
                best.as_secs_f64() * 1000.0,
                best.as_secs_f64() / slowest_single.as_secs_f64()
            );
            if n == 50 {
                browser_harness::load::report("fanout_50_ms", best.as_secs_f64() * 1000.0, "ms");
                browser_harness::load::report("fanout_slowest_single_ms", slowest_single.as_secs_f64() * 1000.0, "ms");
            }
        }
    });
}
