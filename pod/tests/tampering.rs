//! Someone who can write the pod's folder, a backup or a provider's database, but does not have
//! the citizen's secret key: every change they can make is noticed, with a message that says what
//! happened, and nothing of the citizen's is overwritten (docs/THREAT-MODEL.md, "A tampered
//! store"). Real files, the real sled store, the real `pod` binary where the citizen would see it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use age::secrecy::SecretString;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use pod::store::backend::{Change, SledStore, Space, Store};
use pod::store::records::{IndexEntry, RecordId, RecordKind};
use pod::store::seal::DataKey;
use pod::store::{KdfCost, PodDir, PodError};

const PASSPHRASE: &str = "correct horse battery staple";

fn secret() -> SecretString {
    SecretString::from(PASSPHRASE.to_owned())
}

fn new_pod(root: &Path) -> PodDir {
    let dir = PodDir::new(root.join("pod"));
    dir.init(&secret(), KdfCost::InsecureForTests).unwrap();
    dir
}

/// Everything the pod keeps, as anyone holding the files sees it: the identity files, pod.toml
/// and every stored value.
fn contents(dir: &PodDir) -> BTreeMap<String, Vec<u8>> {
    let mut all = BTreeMap::new();
    for path in [dir.identity_path(), dir.recovery_path(), dir.config_path()] {
        all.insert(path.display().to_string(), std::fs::read(&path).unwrap());
    }
    let store = SledStore::open(&dir.store_path()).unwrap();
    for space in Space::ALL {
        for (key, value) in store.scan(space).unwrap() {
            all.insert(format!("{}.{}", space.name(), hex(&key)), value);
        }
    }
    all
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn replace_store(dir: &PodDir, with: &Path) {
    std::fs::remove_dir_all(dir.store_path()).unwrap();
    copy_dir(with, &dir.store_path());
}

fn tampered(result: Result<pod::store::UnlockedPod, PodError>) -> String {
    match result {
        Err(PodError::Tampered(message)) => message,
        other => panic!("expected the tampering to be noticed, got {other:?}"),
    }
}

/// The data key of a pod, as only the citizen can open it.
fn data_key_of(dir: &PodDir) -> DataKey {
    let file = std::fs::read(dir.identity_path()).unwrap();
    let identity = pod::store::keys::unwrap_identity(&file, &secret(), "identity.age").unwrap();
    let store = SledStore::open(&dir.store_path()).unwrap();
    let wrapped = store.get(Space::Meta, b"data_key").unwrap().unwrap();
    pod_core::integrity::unwrap_data_key(&wrapped, &identity).unwrap().key
}

/// The CJIB on loopback, and a citizen who can log in to it.
struct Cjib {
    _org: source::local::LocalOrganisation,
    descriptor: schemas::descriptor::OrganisationDescriptor,
    login: fetcher::login::DevLogin,
    options: fetcher::FetchOptions,
}

impl Cjib {
    async fn start(root: &Path) -> Self {
        use source::demo_data::{self, DemoOrg};
        let _ = rustls::crypto::ring::default_provider().install_default();
        let org = source::local::LocalOrganisation::start(DemoOrg::Cjib, 3, 5, &root.join("cjib")).await.unwrap();
        let (bsn, pin) = demo_data::citizen(5, 0);
        Self {
            descriptor: org.descriptor().unwrap(),
            _org: org,
            login: fetcher::login::DevLogin::new(bsn.to_string(), pin),
            options: fetcher::FetchOptions::new("http://127.0.0.1:49152/oauth/callback".parse().unwrap()),
        }
    }

    /// `dir` unlocked, with the CJIB pinned and fetched from.
    async fn fetched_pod(&self, dir: &PodDir) -> pod::store::UnlockedPod {
        let pod = dir.unlock(&secret()).unwrap();
        let mut scheme = pod::scheme::load(&pod).unwrap();
        scheme.pin(self.descriptor.clone());
        pod::scheme::save(&pod, &scheme).unwrap();
        pod::fetching::fetch_and_store(&pod, std::slice::from_ref(&self.descriptor), &self.login, &self.options, None)
            .await
            .unwrap();
        pod
    }
}

#[test]
fn a_store_made_with_only_the_public_recipient_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_pod(tmp.path());
    let pod = dir.unlock(&secret()).unwrap();
    pod.put(RecordKind::Settings, Some("lang"), b"nl").unwrap();
    pod.lock();

    // The forger reads the public recipient from pod.toml and builds a whole store of their own:
    // a data key encrypted to the citizen, and a scheme that trusts the forger's keys.
    let recipient: age::x25519::Recipient = dir.config().unwrap().recipient.parse().unwrap();
    let key = DataKey::generate();
    let id = RecordId::random();
    let entry = IndexEntry {
        kind: RecordKind::Settings,
        source: Some("scheme".to_owned()),
        created_at: chrono::Utc::now(),
        len: 40,
    };
    let forged_scheme = br#"{"manager_version":null,"organisations":[]}"#;
    let sealed = pod_core::records::seal_record(&key, id, &entry, forged_scheme);
    let mut tagged = b"betaalpod-data-key/2\n\x01".to_vec();
    tagged.extend_from_slice(key.as_bytes());
    tagged.extend_from_slice(&rand::random::<[u8; 32]>());
    let wrapped_keys = [
        ("without a tag, like a pod before binding", age::encrypt(&recipient, key.as_bytes()).unwrap()),
        ("with a made-up tag", age::encrypt(&recipient, &tagged).unwrap()),
    ];
    for (how, wrapped) in wrapped_keys {
        let forged = tmp.path().join("forged");
        let _ = std::fs::remove_dir_all(&forged);
        let store = SledStore::open(&forged).unwrap();
        store
            .commit(vec![
                Change::Put(Space::Meta, b"data_key".to_vec(), wrapped),
                Change::Put(Space::Records, id.as_bytes().to_vec(), sealed.payload.clone()),
                Change::Put(Space::Index, id.as_bytes().to_vec(), sealed.entry.clone()),
            ])
            .unwrap();
        drop(store);
        replace_store(&dir, &forged);
        let before = contents(&dir);
        let message = tampered(dir.unlock(&secret()));
        assert!(message.starts_with("this store was not made by your pod"), "{how}: {message}");
        assert_eq!(contents(&dir), before, "{how}: nothing is overwritten");
    }
}

#[test]
fn a_deleted_record_is_found_and_so_is_one_put_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_pod(tmp.path());
    let pod = dir.unlock(&secret()).unwrap();
    let kept = pod.put(RecordKind::FetchLog, Some("cjib"), b"first").unwrap();
    let deleted = pod.put(RecordKind::FetchLog, Some("cjib"), b"second").unwrap();
    let forgotten = pod.put(RecordKind::FetchLog, Some("duo"), b"third").unwrap();
    pod.lock();
    let store = SledStore::open(&dir.store_path()).unwrap();
    let forgotten_values = (
        store.get(Space::Records, forgotten.as_bytes()).unwrap().unwrap(),
        store.get(Space::Index, forgotten.as_bytes()).unwrap().unwrap(),
    );
    drop(store);
    let pod = dir.unlock(&secret()).unwrap();
    assert_eq!(pod.forget_source("duo").unwrap(), 1, "the citizen forgets DUO");
    pod.lock();
    let intact = tmp.path().join("intact");
    copy_dir(&dir.store_path(), &intact);

    // One record deleted, payload and index entry alike.
    let store = SledStore::open(&dir.store_path()).unwrap();
    store
        .commit(vec![
            Change::Delete(Space::Records, deleted.as_bytes().to_vec()),
            Change::Delete(Space::Index, deleted.as_bytes().to_vec()),
        ])
        .unwrap();
    drop(store);
    let before = contents(&dir);
    let message = tampered(dir.unlock(&secret()));
    assert!(message.starts_with(&format!("record {deleted} is missing from your pod: 1 of the 2 records listed on")), "{message}");
    assert!(message.ends_with("Restore your pod from a backup"), "{message}");
    assert_eq!(contents(&dir), before, "nothing is overwritten");

    // Only the index entry deleted.
    replace_store(&dir, &intact);
    let store = SledStore::open(&dir.store_path()).unwrap();
    store.commit(vec![Change::Delete(Space::Index, kept.as_bytes().to_vec())]).unwrap();
    drop(store);
    assert!(tampered(dir.unlock(&secret())).starts_with(&format!("record {kept} is missing")));

    // The forgotten record put back, exactly as it was sealed.
    replace_store(&dir, &intact);
    let store = SledStore::open(&dir.store_path()).unwrap();
    store
        .commit(vec![
            Change::Put(Space::Records, forgotten.as_bytes().to_vec(), forgotten_values.0),
            Change::Put(Space::Index, forgotten.as_bytes().to_vec(), forgotten_values.1),
        ])
        .unwrap();
    drop(store);
    let message = tampered(dir.unlock(&secret()));
    assert!(
        message.starts_with(&format!("your pod holds record {forgotten}, which its manifest does not list")),
        "{message}"
    );

    // The manifest itself removed.
    replace_store(&dir, &intact);
    let store = SledStore::open(&dir.store_path()).unwrap();
    store.commit(vec![Change::Delete(Space::Meta, b"manifest".to_vec())]).unwrap();
    drop(store);
    assert!(tampered(dir.unlock(&secret())).starts_with("your pod's manifest (the list of its records) is missing"));

    replace_store(&dir, &intact);
    assert_eq!(pod::verify::whole_pod(&dir.unlock(&secret()).unwrap()).unwrap(), 2, "the intact store still opens");
}

fn pod_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pod"))
        .args(args)
        .env_remove("BETAALPOD_DIR")
        .env("POD_PASSPHRASE", PASSPHRASE)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_store_rolled_back_to_yesterday_is_refused_until_the_citizen_accepts_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_pod(tmp.path());
    let pod = dir.unlock(&secret()).unwrap();
    pod.put(RecordKind::FetchLog, Some("cjib"), b"yesterday's fetch").unwrap();
    pod.lock();
    let yesterday = tmp.path().join("yesterday");
    copy_dir(&dir.store_path(), &yesterday);
    let yesterday_written = {
        let store = SledStore::open(&yesterday).unwrap();
        let sealed = store.get(Space::Meta, b"manifest").unwrap().unwrap();
        pod_core::integrity::Manifest::open(&data_key_of(&dir), &sealed).unwrap().written_at
    };

    let pod = dir.unlock(&secret()).unwrap();
    pod.put(RecordKind::FetchLog, Some("cjib"), b"today's fetch").unwrap();
    pod.put(RecordKind::Arrangement, None, b"today's arrangement").unwrap();
    pod.lock();

    replace_store(&dir, &yesterday);
    let before = contents(&dir);
    let message = tampered(dir.unlock(&secret()));
    assert!(message.starts_with(&format!("your pod was rolled back to {yesterday_written}")), "{message}");
    assert!(message.contains("after 3 changes, and the store now holds only 1"), "{message}");
    assert_eq!(contents(&dir), before, "nothing is overwritten");

    // The citizen sees the same at the command line, and can accept a copy they put back.
    let root = dir.root().to_str().unwrap();
    let refused = pod_cli(&["verify", "--dir", root]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("your pod was rolled back to") && stderr.contains("pod verify --accept-rollback"), "{stderr}");
    let accepted = pod_cli(&["verify", "--dir", root, "--accept-rollback"]);
    assert!(accepted.status.success(), "{}", String::from_utf8_lossy(&accepted.stderr));
    assert!(String::from_utf8_lossy(&accepted.stdout).contains("Checked 1 record(s)"));
    // Accepted once, it is this machine's newest copy from now on.
    let pod = dir.unlock(&secret()).unwrap();
    assert_eq!(pod.index().unwrap().len(), 1);
}

/// A copy from before the store was bound (an unbound data key, no manifest, and the identity
/// file of then, which does not require binding) looks like a pod from an older Betaalpod. Put
/// back on a machine whose guard saw the bound store, it is a rollback: refused, unless the
/// citizen accepts it.
#[test]
fn a_copy_from_before_binding_put_back_is_a_rollback() {
    use age::secrecy::ExposeSecret;
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_pod(tmp.path());
    let pod = dir.unlock(&secret()).unwrap();
    pod.put(RecordKind::FetchLog, Some("cjib"), b"a fetch").unwrap();
    pod.put(RecordKind::FetchLog, Some("duo"), b"another fetch").unwrap();
    pod.lock();

    let identity_file = std::fs::read(dir.identity_path()).unwrap();
    let identity = pod::store::keys::unwrap_identity(&identity_file, &secret(), "identity.age").unwrap();
    let mut cheap = age::scrypt::Recipient::new(secret());
    cheap.set_work_factor(10);
    let unbound_identity_file = age::encrypt(&cheap, identity.to_string().expose_secret().as_bytes()).unwrap();
    std::fs::write(dir.identity_path(), unbound_identity_file).unwrap();
    let key = data_key_of(&dir);
    let store = SledStore::open(&dir.store_path()).unwrap();
    store
        .commit(vec![
            Change::Put(Space::Meta, b"data_key".to_vec(), age::encrypt(&identity.to_public(), key.as_bytes()).unwrap()),
            Change::Delete(Space::Meta, b"manifest".to_vec()),
        ])
        .unwrap();
    drop(store);

    let before = contents(&dir);
    let message = tampered(dir.unlock(&secret()));
    assert!(message.starts_with("your pod was rolled back: this device last saw it on "), "{message}");
    assert!(message.contains("after 2 changes, and it is now a copy from before it kept a list of its records"), "{message}");
    assert_eq!(contents(&dir), before, "nothing is overwritten");

    let root = dir.root().to_str().unwrap();
    let accepted = pod_cli(&["verify", "--dir", root, "--accept-rollback"]);
    assert!(accepted.status.success(), "{}", String::from_utf8_lossy(&accepted.stderr));
    let mut pod = dir.unlock(&secret()).unwrap();
    assert!(pod.take_notices().is_empty(), "bound when it was accepted");
    assert_eq!(pod.index().unwrap().len(), 2);
}

/// A backup file with one stored value changed by `edit`.
fn edited_backup(backup: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut json: serde_json::Value = serde_json::from_slice(backup).unwrap();
    edit(&mut json);
    serde_json::to_vec(&json).unwrap()
}

fn flip_value(entry: &mut serde_json::Value) {
    let mut bytes = B64.decode(entry[1].as_str().unwrap()).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    entry[1] = B64.encode(bytes).into();
}

fn refused_restore(tmp: &Path, name: &str, bytes: &[u8]) -> String {
    let file = tmp.join(format!("{name}.backup"));
    std::fs::write(&file, bytes).unwrap();
    let target = PodDir::new(tmp.join(format!("restored-{name}")));
    let message = match target.restore(&file, &secret()) {
        Err(PodError::InvalidBackup(message)) => message,
        other => panic!("{name}: expected the backup to be refused, got {other:?}"),
    };
    assert!(!target.root().exists(), "{name}: nothing is written");
    message
}

#[test]
fn a_flipped_byte_in_a_backup_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_pod(tmp.path());
    let pod = dir.unlock(&secret()).unwrap();
    let record = pod.put(RecordKind::FetchLog, Some("cjib"), b"a fetch").unwrap();
    pod.lock();
    let file = tmp.path().join("pod.backup");
    dir.backup(&file).unwrap();
    let backup = std::fs::read(&file).unwrap();

    let record_b64 = B64.encode(record.as_bytes());
    let in_records = edited_backup(&backup, |json| {
        let entry = json["spaces"]["records"].as_array_mut().unwrap().iter_mut().find(|e| e[0] == record_b64.as_str()).unwrap();
        flip_value(entry);
    });
    let message = refused_restore(tmp.path(), "record", &in_records);
    assert_eq!(message, format!("record {record} in the backup is damaged or has no index entry"));

    let in_index = edited_backup(&backup, |json| flip_value(&mut json["spaces"]["index"][0]));
    assert!(refused_restore(tmp.path(), "index", &in_index).contains("is damaged or does not belong to this pod"));

    let in_manifest = edited_backup(&backup, |json| {
        let meta = json["spaces"]["meta"].as_array_mut().unwrap();
        let manifest = meta.iter_mut().find(|e| e[0] == B64.encode(b"manifest").as_str()).unwrap();
        flip_value(manifest);
    });
    assert!(refused_restore(tmp.path(), "manifest", &in_manifest).contains("your pod's manifest (the list of its records) is damaged"));

    let in_data_key = edited_backup(&backup, |json| {
        let meta = json["spaces"]["meta"].as_array_mut().unwrap();
        let data_key = meta.iter_mut().find(|e| e[0] == B64.encode(b"data_key").as_str()).unwrap();
        flip_value(data_key);
    });
    assert_eq!(refused_restore(tmp.path(), "data-key", &in_data_key), "the store's data key is damaged");

    let without_record = edited_backup(&backup, |json| {
        json["spaces"]["records"].as_array_mut().unwrap().retain(|e| e[0] != record_b64.as_str());
        json["spaces"]["index"].as_array_mut().unwrap().retain(|e| e[0] != record_b64.as_str());
    });
    assert!(refused_restore(tmp.path(), "deleted", &without_record).starts_with(&format!("record {record} is missing")));

    // A byte flipped anywhere in the file's text.
    let mut raw = backup.clone();
    let at = raw.len() / 3;
    raw[at] ^= 0x20;
    let message = refused_restore(tmp.path(), "raw", &raw);
    assert!(
        ["is not a Betaalpod backup", "is not base64", "is damaged"].iter().any(|what| message.contains(what)),
        "{message}"
    );

    // The untouched backup restores.
    let restored = PodDir::new(tmp.path().join("restored"));
    assert_eq!(restored.restore(&file, &secret()).unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_changed_at_rest_is_not_shown_and_not_restored() {
    let tmp = tempfile::tempdir().unwrap();
    let cjib = Cjib::start(tmp.path()).await;
    let descriptor = &cjib.descriptor;
    let dir = new_pod(tmp.path());
    let pod = cjib.fetched_pod(&dir).await;
    let (record, entry) = pod.latest_documents().unwrap().remove(descriptor.id.as_str()).unwrap();
    let now = chrono::Utc::now();
    let overview = pod::overview::of(&pod, now.date_naive(), now).unwrap();
    let total_before = overview.totals.outstanding_cents;
    assert!(total_before > 0 && !overview.organisations[0].matters.is_empty());

    // Someone holding the data key changes an amount in the stored document and seals it again
    // under the same id, so the manifest still lists it. The organisation's signature stays.
    let jws = String::from_utf8(pod.open_document(&record).unwrap().to_vec()).unwrap();
    pod.lock();
    let parts: Vec<&str> = jws.split('.').collect();
    let payload = String::from_utf8(B64URL.decode(parts[1]).unwrap()).unwrap();
    let (first_amount, _) = payload.split_once("\"bedrag\":").unwrap().1.split_once([',', '}']).unwrap();
    let changed = payload.replacen(&format!("\"bedrag\":{first_amount}"), "\"bedrag\":1", 1);
    assert_ne!(changed, payload);
    let forged = format!("{}.{}.{}", parts[0], B64URL.encode(changed), parts[2]);
    let key = data_key_of(&dir);
    let sealed = pod_core::records::seal_record(&key, record, &entry, &pod_core::document_record::encode_signed(forged.as_bytes()));
    let store = SledStore::open(&dir.store_path()).unwrap();
    store
        .commit(vec![
            Change::Put(Space::Records, record.as_bytes().to_vec(), sealed.payload),
            Change::Put(Space::Index, record.as_bytes().to_vec(), sealed.entry),
        ])
        .unwrap();
    drop(store);

    let pod = dir.unlock(&secret()).unwrap();
    let overview = pod::overview::of(&pod, now.date_naive(), now).unwrap();
    assert!(overview.organisations[0].matters.is_empty(), "the changed document is not shown");
    assert_eq!(overview.totals.outstanding_cents, 0, "and not counted");
    match pod::verify::whole_pod(&pod) {
        Err(PodError::Tampered(message)) => {
            assert_eq!(message, format!("document {record} is not as Centraal Justitieel Incassobureau (CJIB) signed it: its signature does not match; restore the pod from a backup"))
        }
        other => panic!("expected the changed document to be found, got {other:?}"),
    }
    pod.lock();
    let file = tmp.path().join("pod.backup");
    dir.backup(&file).unwrap();
    let target = PodDir::new(tmp.path().join("restored"));
    match target.restore(&file, &secret()) {
        Err(PodError::InvalidBackup(message)) => {
            assert_eq!(message, format!("document {record} is not as Centraal Justitieel Incassobureau (CJIB) signed it: its signature does not match"))
        }
        other => panic!("expected the backup to be refused, got {other:?}"),
    }
    assert!(!target.root().exists());
}

/// Documents fetched before a key rotation were signed for the recipient the pod had then. They
/// stay genuine through rotations (and through a backup and restore), because the pod keeps its
/// former recipients sealed under its data key; a genuine document signed for another pod is
/// still refused, and so is a list of former recipients that the pod did not seal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_from_before_a_key_rotation_stay_genuine_and_another_pods_do_not() {
    let tmp = tempfile::tempdir().unwrap();
    let cjib = Cjib::start(tmp.path()).await;
    let descriptor = &cjib.descriptor;
    let now = chrono::Utc::now();
    let dir = new_pod(tmp.path());
    let pod = cjib.fetched_pod(&dir).await;
    let (record, entry) = pod.latest_documents().unwrap().remove(descriptor.id.as_str()).unwrap();
    let total = pod::overview::of(&pod, now.date_naive(), now).unwrap().totals.outstanding_cents;
    assert!(total > 0);
    let first_recipient = pod.recipient().to_string();

    // Two rotations: the document was made for the first of three recipients.
    pod.rotate_key(&secret(), KdfCost::InsecureForTests).unwrap();
    let pod = dir.unlock(&secret()).unwrap();
    pod.rotate_key(&secret(), KdfCost::InsecureForTests).unwrap();
    let pod = dir.unlock(&secret()).unwrap();
    assert_ne!(pod.recipient().to_string(), first_recipient);
    assert!(pod.recipients().unwrap().contains(&first_recipient));
    assert_eq!(pod::verify::whole_pod(&pod).unwrap(), 3, "the scheme, the document and its log entry");
    assert_eq!(pod::overview::of(&pod, now.date_naive(), now).unwrap().totals.outstanding_cents, total, "still shown");
    pod.lock();
    let file = tmp.path().join("rotated.backup");
    dir.backup(&file).unwrap();
    let restored = PodDir::new(tmp.path().join("restored"));
    assert_eq!(restored.restore(&file, &secret()).unwrap(), 3, "a backup of a rotated pod restores");
    let pod = restored.unlock(&secret()).unwrap();
    assert_eq!(pod::overview::of(&pod, now.date_naive(), now).unwrap().totals.outstanding_cents, total);
    pod.lock();

    // Another pod of the same citizen fetches the same document, signed for its own recipient.
    // Put in place of this pod's document (sealed under this pod's key, under the same id), it
    // is refused: the organisation signed it, but not for this pod.
    let other = cjib.fetched_pod(&new_pod(&tmp.path().join("other"))).await;
    let (other_record, _) = other.latest_documents().unwrap().remove(descriptor.id.as_str()).unwrap();
    let foreign = other.open_document(&other_record).unwrap().to_vec();
    other.lock();
    let key = data_key_of(&dir);
    let sealed = pod_core::records::seal_record(&key, record, &entry, &pod_core::document_record::encode_signed(&foreign));
    let original = SledStore::open(&dir.store_path()).unwrap().get(Space::Records, record.as_bytes()).unwrap().unwrap();
    let store = SledStore::open(&dir.store_path()).unwrap();
    store.commit(vec![Change::Put(Space::Records, record.as_bytes().to_vec(), sealed.payload)]).unwrap();
    drop(store);
    let pod = dir.unlock(&secret()).unwrap();
    assert_eq!(pod::overview::of(&pod, now.date_naive(), now).unwrap().totals.outstanding_cents, 0, "not shown");
    match pod::verify::whole_pod(&pod) {
        Err(PodError::Tampered(message)) => assert_eq!(
            message,
            format!("document {record} is not as Centraal Justitieel Incassobureau (CJIB) signed it: it was made for another recipient; restore the pod from a backup")
        ),
        other => panic!("expected another pod's document to be refused, got {other:?}"),
    }
    pod.lock();

    // A list of former recipients that this pod did not seal (here: under another key, naming
    // that other pod) is refused as a whole, and adds nobody.
    let store = SledStore::open(&dir.store_path()).unwrap();
    store.commit(vec![Change::Put(Space::Records, record.as_bytes().to_vec(), original)]).unwrap();
    let forged_list = pod_core::recipients::Recipients::only("age1someoneelse").seal_after_rotation(&DataKey::generate());
    store
        .commit(vec![Change::Put(Space::Meta, pod_core::recipients::FORMER_RECIPIENTS_NAME.to_vec(), forged_list)])
        .unwrap();
    drop(store);
    let pod = dir.unlock(&secret()).unwrap();
    match pod::verify::whole_pod(&pod) {
        Err(PodError::Tampered(message)) => {
            assert_eq!(message, "your pod's list of former keys is damaged; restore your pod from a backup")
        }
        other => panic!("expected the forged list to be refused, got {other:?}"),
    }
}
