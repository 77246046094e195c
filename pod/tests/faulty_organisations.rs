//! Organisations that answer badly: dripping, breaking off, garbage, endless bodies and an
//! endless key list. Each ends within its limit (the fetch's network deadline, or the byte limit
//! of what was asked) with an error that says what happened, and the other organisations'
//! documents are stored. The faults come from a raw TCP server on loopback, so nothing between
//! it and the fetcher smooths them over.

use std::time::{Duration, Instant};

use age::secrecy::SecretString;
use fetcher::login::DevLogin;
use fetcher::{FetchOptions, Organisation};
use pod::store::{KdfCost, PodDir};
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;
use browser_harness::faulty;

const SEED: u64 = 3;
/// The fetch's network deadline in this test; a real pod uses 15 s.
const DEADLINE: Duration = Duration::from_secs(3);

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// A 200 whose 1,000 bytes come one per second.
    Drip,
    /// A 200 that promises 10,000 bytes, sends 100, and resets the connection.
    Reset,
    /// A 200 with bytes that are no answer at all.
    Garbage,
    /// A 200 whose chunked body never ends.
    Endless,
}

async fn answer(mut stream: tokio::net::TcpStream, fault: Fault) {
    faulty::read_request(&mut stream).await;
    match fault {
        Fault::Drip => faulty::drip(&mut stream, 1000).await,
        Fault::Reset => faulty::reset_mid_body(stream).await,
        Fault::Garbage => {
            let garbage: Vec<u8> = (0..300).map(|i| (i * 37 % 251) as u8).collect();
            faulty::ok(&mut stream, "application/age", &garbage).await
        }
        Fault::Endless => faulty::endless(&mut stream).await,
    }
}

/// A server on loopback that answers every request with `fault`.
async fn faulty_server(fault: Fault) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream, fault));
        }
    });
    address
}

fn secret() -> SecretString {
    SecretString::from("correct horse battery staple".to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faulty_organisation_ends_within_its_limit_and_the_others_are_stored() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    let mut orgs = Vec::new();
    for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak] {
        orgs.push(LocalOrganisation::start(org, 3, SEED, &tmp.path().join(org.short())).await.unwrap());
    }
    let descriptors: Vec<Organisation> = orgs.iter().map(|o| o.descriptor().unwrap()).collect();
    let dir = PodDir::new(tmp.path().join("pod"));
    dir.init(&secret(), KdfCost::InsecureForTests).unwrap();
    let pod = dir.unlock(&secret()).unwrap();
    let mut scheme = pod::scheme::load(&pod).unwrap();
    for descriptor in &descriptors {
        scheme.pin(descriptor.clone());
    }
    pod::scheme::save(&pod, &scheme).unwrap();
    let (bsn, pin) = demo_data::citizen(SEED, 0);
    let login = DevLogin::new(bsn.to_string(), pin);
    let mut options = FetchOptions::new("http://127.0.0.1:49152/oauth/callback".parse().unwrap());
    options.network_timeout = DEADLINE;

    // DUO, the middle one, answers its claims request (or its key list) through the fault.
    let cases: [(&str, Fault, bool, &str); 5] = [
        ("drips its answer at 1 byte/s", Fault::Drip, false, "did not answer in time"),
        ("resets the connection mid-body", Fault::Reset, false, "could not be reached (the answer broke off"),
        ("answers 200 with garbage", Fault::Garbage, false, "sent a document encrypted to someone else's key"),
        ("sends an endless body", Fault::Endless, false, "sent more than 4 MiB"),
        ("sends an endless key list", Fault::Endless, true, "sent more than 64 KiB as its key list (JWKS)"),
    ];
    for (round, (how, fault, in_jwks, expected)) in cases.into_iter().enumerate() {
        let address = faulty_server(fault).await;
        let mut faulty = descriptors.clone();
        if in_jwks {
            faulty[1].jwks_uri = format!("http://{address}/jwks").parse().unwrap();
        } else {
            faulty[1].claims_endpoint = format!("http://{address}/claims").parse().unwrap();
        }
        let started = Instant::now();
        let outcomes = pod::fetching::fetch_and_store(&pod, &faulty, &login, &options, None).await.unwrap();
        let took = started.elapsed();
        // The deadline bounds the faulty exchange; logging in at three organisations on
        // loopback takes well under the rest.
        assert!(took < DEADLINE + Duration::from_secs(10), "{how}: the fetch took {took:?}");
        let failure = outcomes[1].result.clone().expect_err(how);
        assert!(failure.contains(expected), "{how}: {failure}");
        for ok in [&outcomes[0], &outcomes[2]] {
            assert!(ok.result.is_ok(), "{how}: {} was not stored: {:?}", ok.name, ok.result);
        }
        let latest = pod.latest_documents().unwrap();
        assert!(latest.contains_key(descriptors[0].id.as_str()) && latest.contains_key(descriptors[2].id.as_str()), "{how}");
        assert!(!latest.contains_key(descriptors[1].id.as_str()), "{how}: nothing of the faulty answer is kept");
        let log = pod::fetching::log(&pod).unwrap();
        let entry = log.iter().rev().find(|e| e.org == descriptors[1].id.as_str()).unwrap();
        assert_eq!(entry.outcome, "error", "{how}");
        assert!(entry.message.as_deref().unwrap_or("").contains(expected), "{how}: the log says why");
        assert_eq!(log.len(), 3 * (round + 1), "{how}: one log entry per organisation per fetch");
    }
    assert_eq!(pod::verify::whole_pod(&pod).unwrap(), 1 + 2 + 15, "the scheme, two documents (later fetches were unchanged), 15 log entries");
}
