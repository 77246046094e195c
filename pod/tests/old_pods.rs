//! Pods written before compression (issue 15) keep opening: their records are sealed in format 1
//! (no codec byte, never compressed) and their claim documents are the organisations' age files,
//! padded to 512 KiB. Such a pod unlocks, verifies, shows its overview, takes new fetches beside
//! the old records (an unchanged one names the old record), and survives a key rotation.
//!
//! The old records are written here with the format-1 sealing code as it was; the unit test
//! `values_sealed_in_format_1_still_open` in pod-core checks a value sealed by that code itself.

use age::secrecy::{ExposeSecret, SecretString};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use fetcher::FetchOptions;
use fetcher::login::DevLogin;
use pod::store::backend::{Change, SledStore, Space, Store};
use pod::store::records::{IndexEntry, RecordId, RecordKind};
use pod::store::{KdfCost, PodDir};
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

const PASSPHRASE: &str = "correct horse battery staple";
const SEED: u64 = 5;

fn secret() -> SecretString {
    SecretString::from(PASSPHRASE.to_owned())
}

/// Format 1, as pods wrote it: `0x01 ‖ nonce ‖ seal(len u32 LE ‖ plaintext ‖ zeros)`, padded
/// to the next power of two of at least `floor`.
fn seal_format_1(data_key: &[u8; 32], space: &str, id: &RecordId, plaintext: &[u8], floor: usize) -> Vec<u8> {
    let padded_len = (plaintext.len() + 4).next_power_of_two().max(floor.max(1024));
    let mut padded = Vec::with_capacity(padded_len);
    padded.extend_from_slice(&(plaintext.len() as u32).to_le_bytes());
    padded.extend_from_slice(plaintext);
    padded.resize(padded_len, 0);
    let mut aad = space.as_bytes().to_vec();
    aad.push(0);
    aad.extend_from_slice(id.as_bytes());
    let nonce: [u8; 24] = rand::random();
    let cipher = XChaCha20Poly1305::new(data_key.into());
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: &padded, aad: &aad })
        .unwrap();
    [&[1u8][..], &nonce, &sealed].concat()
}

/// Writes one record the way an old pod did.
fn old_record(data_key: &[u8; 32], kind: RecordKind, source: &str, payload: &[u8], floor: usize) -> Vec<Change> {
    let id = RecordId::random();
    let entry = IndexEntry {
        kind,
        source: Some(source.to_owned()),
        created_at: "2026-11-01T10:00:00Z".parse().unwrap(),
        len: payload.len() as u64,
    };
    let entry_json = serde_json::to_vec(&entry).unwrap();
    vec![
        Change::Put(Space::Records, id.as_bytes().to_vec(), seal_format_1(data_key, "records", &id, payload, floor)),
        Change::Put(Space::Index, id.as_bytes().to_vec(), seal_format_1(data_key, "index", &id, &entry_json, 1024)),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_written_before_compression_keeps_working() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    // The only test in this binary, so no other thread reads the environment.
    unsafe { std::env::set_var("BETAALPOD_STATE_DIR", tmp.path().join("state")) };
    let org = LocalOrganisation::start(DemoOrg::Cjib, 3, SEED, &tmp.path().join("cjib")).await.unwrap();
    let descriptor = org.descriptor().unwrap();
    let (bsn, pin) = demo_data::citizen(SEED, 0);
    let login = DevLogin::new(bsn.to_string(), pin);
    let options = FetchOptions::new("http://127.0.0.1:49152/oauth/callback".parse().unwrap());

    let dir = PodDir::new(tmp.path().join("pod"));
    dir.init(&secret(), KdfCost::InsecureForTests).unwrap();
    let pod = dir.unlock(&secret()).unwrap();
    let mut scheme = pod::scheme::load(&pod).unwrap();
    scheme.pin(descriptor.clone());
    pod::scheme::save(&pod, &scheme).unwrap();
    // A real answer for this pod, as an old pod stored it: the age file, unchanged.
    let answer = fetcher::fetch_all(&pod.citizen_request(), std::slice::from_ref(&descriptor), &login, &options, None)
        .await
        .pop()
        .unwrap()
        .unwrap();
    pod.lock();

    // Old pods had an identity file without the bound-store line, a data key wrapped without a
    // tag, and no manifest.
    let identity_file = std::fs::read(dir.identity_path()).unwrap();
    let identity = pod::store::keys::unwrap_identity(&identity_file, &secret(), "identity.age").unwrap();
    let mut cheap = age::scrypt::Recipient::new(secret());
    cheap.set_work_factor(10);
    let old_identity_file = age::encrypt(&cheap, identity.to_string().expose_secret().as_bytes()).unwrap();
    std::fs::write(dir.identity_path(), old_identity_file).unwrap();
    let store = SledStore::open(&dir.store_path()).unwrap();
    let wrapped = store.get(Space::Meta, b"data_key").unwrap().unwrap();
    let data_key = *pod_core::integrity::unwrap_data_key(&wrapped, &identity).unwrap().key.as_bytes();
    let mut changes = vec![
        Change::Put(Space::Meta, b"data_key".to_vec(), age::encrypt(&identity.to_public(), &data_key).unwrap()),
        Change::Delete(Space::Meta, b"manifest".to_vec()),
    ];
    changes.extend(old_record(&data_key, RecordKind::Document, descriptor.id.as_str(), &answer.raw_age_file, 512 * 1024));
    let log = serde_json::json!({
        "fetch_id": "0011223344556677", "action": "fetch", "org": descriptor.id.as_str(), "name": "CJIB",
        "scopes": ["claims:read"], "started_at": "2026-11-01T09:59:59Z", "finished_at": "2026-11-01T10:00:00Z",
        "outcome": "ok", "message": null, "document_sha256": answer.sha256, "record": null
    });
    changes.extend(old_record(&data_key, RecordKind::FetchLog, descriptor.id.as_str(), log.to_string().as_bytes(), 1024));
    store.commit(changes).unwrap();
    drop(store);
    // Nor did old pods keep a rollback guard. The one the new pod above wrote would (rightly)
    // call this unbound copy a rollback.
    std::fs::remove_dir_all(tmp.path().join("state/guards")).unwrap();

    // It unlocks, every record opens, and the overview reads the old document. The store is
    // bound to the identity on the way, and the identity file requires that from now on.
    let mut pod = dir.unlock(&secret()).unwrap();
    assert!(matches!(pod.take_notices().as_slice(), [pod::store::Notice::StoreBound]));
    assert_eq!(pod::verify::whole_pod(&pod).unwrap(), 3, "the scheme, the old document and its log entry");
    let reread = std::fs::read(dir.identity_path()).unwrap();
    assert!(pod::store::keys::unwrap_identity_file(&reread, &secret(), "identity.age").unwrap().requires_bound_store);
    let today = chrono::Utc::now();
    let overview = pod::overview::of(&pod, today.date_naive(), today).unwrap();
    let matters = overview.organisations[0].matters.len();
    assert!(matters > 0, "the old document's matters are shown: {:?}", overview.organisations[0]);
    assert_eq!(pod::fetching::log(&pod).unwrap()[0].fetch_id, "0011223344556677");

    // A new fetch with the same content stores no new document: its log entry names the old
    // age-file record, which still reads as the same document.
    let outcomes = pod::fetching::fetch_and_store(&pod, std::slice::from_ref(&descriptor), &login, &options, None)
        .await
        .unwrap();
    let history = pod.history(Some(descriptor.id.as_str())).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(outcomes[0].result.clone().unwrap(), history[0].0, "the old record holds the document");
    let log = pod::fetching::log(&pod).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].record.as_deref(), Some(history[0].0.to_string().as_str()));
    let overview = pod::overview::of(&pod, today.date_naive(), today).unwrap();
    assert_eq!(overview.organisations[0].fetched_at, Some(log[1].finished_at), "confirmed by the new fetch");
    pod.lock();
    let sizes = pod::audit::at_rest(&dir).unwrap();
    let records = sizes.spaces.iter().find(|s| s.space == "records").unwrap();
    assert!(records.sizes.contains_key(&(1 + 24 + 512 * 1024 + 16)), "the old document keeps its size: {:?}", records.sizes);

    // A key rotation re-seals everything in format 2; the old age file, encrypted to the key
    // that is destroyed, becomes a JWS record under the same id.
    let pod = dir.unlock(&secret()).unwrap();
    let before = pod.open_document(&history[0].0).unwrap().to_vec();
    pod.rotate_key(&secret(), KdfCost::InsecureForTests).unwrap();
    let pod = dir.unlock(&secret()).unwrap();
    assert_eq!(pod::verify::whole_pod(&pod).unwrap(), 4, "the three old records and the new fetch's log entry");
    assert_eq!(pod.open_document(&history[0].0).unwrap().as_slice(), before.as_slice());
    let overview = pod::overview::of(&pod, today.date_naive(), today).unwrap();
    assert_eq!(overview.organisations[0].matters.len(), matters);
    pod.lock();
    let sizes = pod::audit::at_rest(&dir).unwrap();
    let records = sizes.spaces.iter().find(|s| s.space == "records").unwrap();
    assert!(
        records.sizes.keys().all(|size| *size < 512 * 1024),
        "after rotation no record is in the old 512 KiB bucket: {:?}",
        records.sizes
    );
}
