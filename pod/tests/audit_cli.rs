//! `pod audit` as a researcher runs it: the real binary on a pod that fetched from a real
//! organisation.

use std::path::Path;
use std::process::{Command, Output};

use age::secrecy::SecretString;
use fetcher::FetchOptions;
use fetcher::login::DevLogin;
use pod::store::{KdfCost, PodDir};
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

const PASSPHRASE: &str = "audit correct horse battery";

fn audit(dir: &Path, args: &[&str], passphrase: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pod"));
    command
        .arg("audit")
        .args(args)
        .arg("--dir")
        .arg(dir)
        .env_remove("BETAALPOD_DIR")
        .env_remove("POD_PASSPHRASE")
        .stdin(std::process::Stdio::null());
    if let Some(passphrase) = passphrase {
        command.env("POD_PASSPHRASE", passphrase);
    }
    command.output().expect("the pod binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_shows_storage_contacts_disclosures_and_keys() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    let org = LocalOrganisation::start(DemoOrg::Duo, 3, 5, &tmp.path().join("duo"))
        .await
        .unwrap();
    let descriptor = org.descriptor().unwrap();
    let dir = PodDir::new(tmp.path().join("pod"));
    dir.init(&SecretString::from(PASSPHRASE.to_owned()), KdfCost::InsecureForTests)
        .unwrap();
    let (bsn, pin) = demo_data::citizen(5, 0);
    {
        let pod = dir.unlock(&SecretString::from(PASSPHRASE.to_owned())).unwrap();
        let mut scheme = pod::scheme::load(&pod).unwrap();
        scheme.pin(descriptor.clone());
        pod::scheme::save(&pod, &scheme).unwrap();
        let options = FetchOptions::new("http://127.0.0.1:49152/oauth/callback".parse().unwrap());
        let fetched = pod::fetching::fetch_and_store(
            &pod,
            std::slice::from_ref(&descriptor),
            &DevLogin::new(bsn.to_string(), pin),
            &options,
            None,
        )
        .await
        .unwrap();
        assert!(fetched[0].result.is_ok());

        // While another process has the pod open, audit says so instead of waiting or guessing.
        let busy = audit(dir.root(), &["--at-rest-only"], None);
        assert_eq!(busy.status.code(), Some(1));
        assert!(text(&busy.stderr).contains("in use by pid"), "{}", text(&busy.stderr));
    }

    // At rest: no passphrase, nothing decrypted, no organisation named.
    let at_rest = audit(dir.root(), &["--at-rest-only"], None);
    assert!(at_rest.status.success(), "{}", text(&at_rest.stderr));
    let out = text(&at_rest.stdout);
    assert!(out.contains("nothing decrypted"), "{out}");
    assert!(out.contains("identity.age") && out.contains("pod.toml"), "{out}");
    assert!(out.contains("store space records"), "{out}");
    assert!(out.contains("32809 bytes"), "the claim document's padded size (32 KiB, nonce and tag): {out}");
    assert!(!out.contains("Contacts") && !out.contains("DUO") && !out.contains(descriptor.id.as_str()));

    // After unlock: whom it contacted, what it sent, which keys it trusts.
    let full = audit(dir.root(), &[], Some(PASSPHRASE));
    assert!(full.status.success(), "{}", text(&full.stderr));
    let out = text(&full.stdout);
    assert!(out.contains(&format!("{} Dienst Uitvoering Onderwijs (DUO): 1 × fetch (0 failed)", descriptor.id)), "{out}");
    assert!(out.contains("nothing: no arrangement was submitted"), "{out}");
    let key = &descriptor.keys[0];
    assert!(out.contains(&format!("key {}  fingerprint {}", key.kid, key.fingerprint())), "{out}");

    let json = audit(dir.root(), &["--json"], Some(PASSPHRASE));
    assert!(json.status.success());
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let records = json["at_rest"]["spaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["space"] == "records")
        .unwrap();
    assert_eq!(records["values"], 3, "scheme, document and log entry: {records}");
    let contact = &json["disclosures"]["contacts"][0];
    assert_eq!(contact["org"], descriptor.id.as_str());
    assert_eq!(contact["actions"]["fetch"], 1);
    assert_eq!(json["disclosures"]["pinned"][0]["keys"][0]["fingerprint"], key.fingerprint());
    assert_eq!(json["disclosures"]["submissions"], serde_json::json!([]));

    // Clear errors: a wrong passphrase, no passphrase at all, no pod.
    let wrong = audit(dir.root(), &[], Some("not the passphrase at all"));
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong.stderr).contains("wrong passphrase"), "{}", text(&wrong.stderr));
    let no_secret = audit(dir.root(), &[], None);
    assert_eq!(no_secret.status.code(), Some(1));
    assert!(text(&no_secret.stderr).contains("POD_PASSPHRASE"), "{}", text(&no_secret.stderr));
    let nowhere = audit(&tmp.path().join("nothing-here"), &["--at-rest-only"], None);
    assert_eq!(nowhere.status.code(), Some(1));
    assert!(text(&nowhere.stderr).contains("there is no pod in"), "{}", text(&nowhere.stderr));
}
