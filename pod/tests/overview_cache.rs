//! The overview is derived once after each change of the pod and kept until the next: every
//! kind of write shows in the very next overview, with one test per kind.

use age::secrecy::SecretString;
use pod::store::{KdfCost, PodDir, RecordKind, UnlockedPod};
use source::demo_data::{self, DemoOrg};

const PASSPHRASE: &str = "correct horse battery staple";

fn unlocked(tmp: &tempfile::TempDir) -> UnlockedPod {
    let dir = PodDir::new(tmp.path().join("pod"));
    let secret = SecretString::from(PASSPHRASE.to_owned());
    dir.init(&secret, KdfCost::InsecureForTests).unwrap();
    dir.unlock(&secret).unwrap()
}

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

fn total(pod: &UnlockedPod) -> i64 {
    pod::overview::of(pod, today(), chrono::Utc::now()).unwrap().totals.outstanding_cents
}

/// The CJIB's document for the first demo citizen, signed and encrypted to `pod` as `source`
/// would answer; its organisation id.
fn answer(pod: &UnlockedPod) -> (String, Vec<u8>) {
    let (bsn, _) = demo_data::citizen(1, 0);
    let data = demo_data::generate(DemoOrg::Cjib, 1, 1).unwrap();
    let document = data[bsn.as_str()]["document"].clone();
    let id = document["body"]["aangeleverd_door"].as_str().unwrap().to_owned();
    let signer = schemas::jws::Signer::new("k", ed25519_dalek::SigningKey::from_bytes(&[5u8; 32]));
    let payload = serde_json::json!({"iss": id, "sub_hash": "x", "iat": 0, "exp": 0, "nonce": "n", "recipient": pod.recipient().to_string(), "document": document});
    let jws = signer.sign_compact("betaalpod-claims+jwt", &serde_json::to_vec(&payload).unwrap());
    (id, age::encrypt(pod.recipient(), jws.as_bytes()).unwrap())
}

#[test]
fn a_new_document_shows_in_the_next_overview() {
    let tmp = tempfile::tempdir().unwrap();
    let pod = unlocked(&tmp);
    assert_eq!(total(&pod), 0, "nothing fetched yet");
    let (id, encrypted) = answer(&pod);
    pod.put_document(&id, &encrypted).unwrap();
    assert!(total(&pod) > 0, "the new document is in the overview");
}

#[test]
fn forgetting_an_organisation_shows_in_the_next_overview() {
    let tmp = tempfile::tempdir().unwrap();
    let pod = unlocked(&tmp);
    let (id, encrypted) = answer(&pod);
    pod.put_document(&id, &encrypted).unwrap();
    assert!(total(&pod) > 0);
    pod.forget_source(&id).unwrap();
    assert_eq!(total(&pod), 0, "a forgotten organisation's document is gone from the overview");
}

#[test]
fn a_transparency_log_entry_shows_in_the_next_overview() {
    let tmp = tempfile::tempdir().unwrap();
    let pod = unlocked(&tmp);
    let (id, encrypted) = answer(&pod);
    pod.put_document(&id, &encrypted).unwrap();
    let before = pod::overview::of(&pod, today(), chrono::Utc::now()).unwrap();
    assert!(before.warnings.is_empty(), "{:?}", before.warnings);
    let now = chrono::Utc::now();
    let mut failed = pod::fetching::FetchLogEntry::contact(&id, "CJIB", "fetch", "f", now, now);
    failed.failed("unreachable");
    pod.put(RecordKind::FetchLog, Some(&id), &serde_json::to_vec(&failed).unwrap()).unwrap();
    let after = pod::overview::of(&pod, today(), chrono::Utc::now()).unwrap();
    assert!(
        after.warnings.iter().any(|w| matches!(w, pod::overview::OverviewWarning::FetchFailed(_))),
        "the failed fetch is in the overview: {:?}",
        after.warnings
    );
}

#[test]
fn a_changed_scheme_shows_in_the_next_overview() {
    let tmp = tempfile::tempdir().unwrap();
    let pod = unlocked(&tmp);
    assert!(pod::overview::of(&pod, today(), chrono::Utc::now()).unwrap().organisations.is_empty());
    let descriptor = schemas::descriptor::OrganisationDescriptor::from_json(
        &std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/tests/fixtures/documents/descriptor/valid-pinned-keys.json")).unwrap(),
    )
    .unwrap();
    let mut scheme = pod::scheme::load(&pod).unwrap();
    scheme.pin(descriptor.clone());
    pod::scheme::save(&pod, &scheme).unwrap();
    let names: Vec<String> = pod::overview::of(&pod, today(), chrono::Utc::now())
        .unwrap()
        .organisations
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names, vec![descriptor.name], "the pinned organisation is in the overview");
}

#[test]
fn another_date_is_derived_from_the_same_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let pod = unlocked(&tmp);
    let (id, encrypted) = answer(&pod);
    pod.put_document(&id, &encrypted).unwrap();
    let now = chrono::Utc::now();
    let far = today() + chrono::Days::new(3650);
    // Overdue grows (or stays) with time; the same kept documents give both answers.
    let soon = pod::overview::of(&pod, today(), now).unwrap().totals.overdue_cents;
    let later = pod::overview::of(&pod, far, now).unwrap().totals.overdue_cents;
    assert!(later >= soon, "{later} < {soon}");
    assert_eq!(pod::overview::of(&pod, today(), now).unwrap().totals.overdue_cents, soon);
}
