//! `pod serve --provider URL --pod-id ID`: a pod at a provider, used from the citizen's own
//! machine. The provider's app is not involved; the passphrase, keys and plaintext stay here,
//! and the provider stores only sealed records, in the format the browser app stores.

use age::secrecy::SecretString;
use source::demo_data::DemoOrg;

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_uses_a_pod_at_a_provider_from_their_own_machine() {
    let (s, provider_url, pod_id) = setup_at_provider().await;

    // A wrong passphrase is found here, by OPAQUE, and opens nothing.
    assert_eq!(unlock_at(&s.client, &s.url, "not the passphrase at all").await, 401);
    unlock(&s).await;

    // Fetch from all three organisations: logins in the browser, answers checked and sealed
    // here, the sealed records stored at the provider.
    let progress = fetch_everything(&s).await;
    assert!(
        progress["organisations"].as_array().unwrap().iter().all(|o| o["stage"] == "done"),
        "{progress}"
    );
    let overview: serde_json::Value = s.client.get(format!("{}/api/overview", s.url)).send().await.unwrap().json().await.unwrap();
    let dirs: Vec<_> = [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak].iter().map(|o| s.tmp.path().join(o.short())).collect();
    let bsn = source::demo_data::citizen(SEED, 0).0.to_string();
    let expected = browser_harness::expected_outstanding(&dirs, &bsn, chrono::Local::now().date_naive());
    assert_eq!(overview["totals"]["outstanding_cents"], serde_json::json!(expected), "{overview}");

    // The provider holds ciphertext only: no BSN, name or case reference in its vault.
    let needles = [bsn.clone(), PASSPHRASE.to_owned(), "Verkeersboete".to_owned(), "CJIB-20".to_owned()];
    for (path, bytes) in browser_harness::files_under(&s.tmp.path().join("vault")) {
        for needle in &needles {
            assert!(
                memchr::memmem::find(&bytes, needle.as_bytes()).is_none(),
                "{needle:?} in the provider's {}",
                path.display()
            );
        }
    }

    // Lock ends the provider session; unlocking again reads everything back from the provider.
    let token = csrf(&s).await;
    let locked = s.client.post(format!("{}/api/lock", s.url)).header("x-csrf-token", token).send().await.unwrap();
    assert!(locked.status().is_success());
    unlock(&s).await;
    let again: serde_json::Value = s.client.get(format!("{}/api/overview", s.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(again["totals"], overview["totals"]);

    // Another device opens the same pod (as the browser app would) and sees the same.
    let other = pod::store::remote::ProviderPod {
        url: provider_url.parse().unwrap(),
        pod_id,
    };
    let seen = tokio::task::spawn_blocking(move || {
        let pod = other.unlock(&SecretString::from(PASSPHRASE.to_owned())).unwrap();
        let today = chrono::Local::now().date_naive();
        let total = pod::overview::of(&pod, today, chrono::Utc::now()).unwrap().totals.outstanding_cents;
        let passphrase = pod.change_passphrase(
            &SecretString::from(PASSPHRASE.to_owned()),
            &SecretString::from("a brand new long passphrase".to_owned()),
            pod::store::KdfCost::InsecureForTests,
        );
        (total, passphrase.map_err(|e| e.to_string()))
    })
    .await
    .unwrap();
    assert_eq!(seen.0, expected);
    // The passphrase of a pod at a provider is changed in the provider's app, and this says so.
    assert!(seen.1.as_ref().is_err_and(|e| e.contains("provider's app")), "{:?}", seen.1);
}

#[test]
fn pod_serve_refuses_a_bad_provider_address_or_pod_number() {
    for (args, expected) in [
        (vec!["--provider", "https://pods.example.nl", "--pod-id", "abc"], "32 hex digits"),
        (
            vec!["--provider", "http://pods.example.nl", "--pod-id", "0123456789abcdef0123456789abcdef"],
            "https://",
        ),
        (vec!["--provider", "https://pods.example.nl"], "--pod-id"),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_pod"))
            .arg("serve")
            .args(&args)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
