//! The encrypted store, through its public API, on real files.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use age::secrecy::{ExposeSecret, SecretString};
use pod::store::{KdfCost, LockError, Notice, PodDir, PodError, RecordKind, RotationStep};

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

const PASSPHRASE: &str = "correct horse battery staple";

/// A fresh pod in a temporary folder (cheap KDF: these tests unlock many times).
fn new_pod() -> (tempfile::TempDir, PodDir, String) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = PodDir::new(tmp.path().join("pod"));
    let created = dir.init(&secret(PASSPHRASE), KdfCost::InsecureForTests).expect("init");
    let code = created.recovery_code.expose_secret().to_owned();
    (tmp, dir, code)
}

/// An FCID-like document encrypted to the pod, as an organisation would send it.
fn document_for(pod: &pod::store::UnlockedPod, text: &str) -> Vec<u8> {
    age::encrypt(pod.recipient(), text.as_bytes()).expect("encrypt")
}

#[test]
fn init_refuses_short_passphrases_and_existing_pods() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = PodDir::new(tmp.path().join("pod"));
    match dir.init(&secret("elf tekens!"), KdfCost::InsecureForTests) {
        Err(PodError::WeakPassphrase(message)) => assert!(message.contains("at least 12"), "{message}"),
        other => panic!("expected WeakPassphrase, got {other:?}"),
    }
    assert!(!dir.exists(), "a refused init leaves nothing behind");
    dir.init(&secret(PASSPHRASE), KdfCost::InsecureForTests).unwrap();
    let identity_before = std::fs::read(dir.identity_path()).unwrap();
    assert!(matches!(
        dir.init(&secret(PASSPHRASE), KdfCost::InsecureForTests),
        Err(PodError::AlreadyExists(_))
    ));
    assert_eq!(
        std::fs::read(dir.identity_path()).unwrap(),
        identity_before,
        "the existing identity is untouched"
    );
}

#[test]
fn records_round_trip_and_survive_reopening() {
    let (_tmp, dir, _) = new_pod();
    let pod = dir.unlock(&secret(PASSPHRASE)).unwrap();
    let doc = document_for(&pod, "{\"hello\":1}");
    let doc_id = pod.put_document("cjib", &doc).unwrap();
    let log_id = pod.put(RecordKind::FetchLog, Some("cjib"), b"fetched").unwrap();
    let settings_id = pod.put(RecordKind::Settings, None, b"lang=nl").unwrap();
    pod.lock();

    let pod = dir.unlock(&secret(PASSPHRASE)).unwrap();
    // The signed document is kept as it was signed, without the age layer it travelled in (the
    // pod's seal replaces it at rest), so that it compresses.
    let stored = pod.get(&doc_id).unwrap().payload;
    assert!(stored.starts_with(b"betaalpod-document/2\n"), "{:?}", String::from_utf8_lossy(&stored));
    assert!(!stored.windows(doc.len().min(40)).any(|w| w == &doc[..doc.len().min(40)]));
    assert_eq!(pod.open_document(&doc_id).unwrap().as_slice(), b"{\"hello\":1}");
    assert_eq!(pod.get(&log_id).unwrap().payload.as_slice(), b"fetched");
    assert_eq!(pod.get(&settings_id).unwrap().entry.kind, RecordKind::Settings);
    assert_eq!(pod::verify::whole_pod(&pod).unwrap(), 3);
}

#[test]
fn a_document_for_another_key_is_refused() {
    let (_tmp, dir, _) = new_pod();
    let pod = dir.unlock(&secret(PASSPHRASE)).unwrap();
    let stranger = age::x25519::Identity::generate().to_public();
    let foreign = age::encrypt(&stranger, b"not yours").unwrap();
    assert!(matches!(
        pod.put_document("cjib", &foreign),
        Err(PodError::NotForThisPod)
    ));
    assert!(matches!(
        pod.put_document("cjib", b"plain text"),
        Err(PodError::NotForThisPod)
    ));
    assert_eq!(pod::verify::whole_pod(&pod).unwrap(), 0);
}

#[test]
fn wrong_passphrases_back_off_exponentially() {
    let (_tmp, dir, _) = new_pod();
    assert!(matches!(
        dir.unlock(&secret("wrong wrong wrong")),
        Err(PodError::WrongPassphrase)
    ));
    // Straight after a failure even the right passphrase has to wait.
    match dir.unlock(&secret(PASSPHRASE)) {
        Err(PodError::BackingOff(seconds)) => assert_eq!(seconds, 1),
        other => panic!("expected BackingOff, got {other:?}"),
    }
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert!(matches!(
        dir.unlock(&secret("wrong again!!")),
        Err(PodError::WrongPassphrase)
    ));
    match dir.unlock(&secret(PASSPHRASE)) {
        Err(PodError::BackingOff(seconds)) => assert_eq!(seconds, 2, "the second failure doubles the wait"),
        other => panic!("expected BackingOff, got {other:?}"),
    }
    std::thread::sleep(std::time::Duration::from_millis(2100));
    dir.unlock(&secret(PASSPHRASE))
        .expect("the right passphrase works after waiting");
    assert!(matches!(
        dir.unlock(&secret("wrong wrong wrong")),
        Err(PodError::WrongPassphrase)
    ));
    match dir.unlock(&secret(PASSPHRASE)) {
        Err(PodError::BackingOff(seconds)) => assert_eq!(seconds, 1, "success resets the back-off"),
        other => panic!("expected BackingOff, got {other:?}"),
    }
}

#[test]
fn only_one_process_may_open_a_pod() {
    let (_tmp, dir, _) = new_pod();
    let first = dir.unlock(&secret(PASSPHRASE)).unwrap();
    match dir.unlock(&secret(PASSPHRASE)) {
        Err(PodError::Lock(LockError::InUse { pid })) => assert_eq!(pid, std::process::id().to_string()),
        other => panic!("expected InUse, got {other:?}"),
    }
    let message = dir.unlock(&secret(PASSPHRASE)).unwrap_err().to_string();
    assert!(
        message.contains(&format!("in use by pid {}", std::process::id())),
        "{message}"
    );
    first.lock();
    dir.unlock(&secret(PASSPHRASE)).expect("locking releases the pod");
}

#[test]
fn garbled_or_truncated_files_give_errors_not_panics() {
    let (_tmp, dir, _) = new_pod();
    {
        let pod = dir.unlock(&secret(PASSPHRASE)).unwrap();
        for i in 0..20 {
            pod.put(RecordKind::FetchLog, Some("duo"), format!("entry {i}").as_bytes())
                .unwrap();
        }
    }
    // Garble every file in the store.
    for entry in walk(&dir.store_path()) {
        let mut bytes = std::fs::read(&entry).unwrap();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b ^= (i as u8).wrapping_mul(31) | 1;
        }
        std::fs::write(&entry, bytes).unwrap();
    }
    let result = std::panic::catch_unwind(|| dir.unlock(&secret(PASSPHRASE)).map(|_| ()));
    match result {
        Ok(Err(e)) => {
            let message = e.to_string();
            assert!(message.contains("damaged") || message.contains("backup"), "{message}");
        }
        Ok(Ok(())) => panic!("a garbled store opened"),
        Err(_) => panic!("a garbled store panicked"),
    }

    // Truncate every store file to half its length.
    for entry in walk(&dir.store_path()) {
        let bytes = std::fs::read(&entry).unwrap();
        std::fs::write(&entry, &bytes[..bytes.len() / 2]).unwrap();
    }
    let result = std::panic::catch_unwind(|| dir.unlock(&secret(PASSPHRASE)).map(|_| ()));
    assert!(matches!(result, Ok(Err(_))), "a truncated store must give an error");

    let identity = std::fs::read(dir.identity_path()).unwrap();
    std::fs::write(dir.identity_path(), &identity[..identity.len() / 2]).unwrap();
    match dir.unlock(&secret(PASSPHRASE)) {
        Err(PodError::Damaged(message)) => assert!(message.contains("identity.age"), "{message}"),
        other => panic!("expected Damaged, got {other:?}"),
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path))
        } else {
            files.push(path)
        }
    }
    files
}

#[test]
fn history_keeps_every_snapshot_and_the_latest_wins() {
    let (_tmp, dir, _) = new_pod();
    let pod = dir.unlock(&secret(PASSPHRASE)).unwrap();
    let first = pod.put_document("cjib", &document_for(&pod, "v1")).unwrap();
    let other = pod.put_document("duo", &document_for(&pod, "duo v1")).unwrap();
    let second = pod.put_document("cjib", &document_for(&pod, "v2")).unwrap();
    let history: Vec<_> = pod
        .history(Some("cjib"))
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(history, [first, second]);
    let latest = pod.latest_documents().unwrap();
    assert_eq!(latest["cjib"].0, second);
    assert_eq!(latest["duo"].0, other);
    assert_eq!(
        pod.open_document(&first).unwrap().as_slice(),
        b"v1",
        "older snapshots stay readable"
    );

    assert_eq!(pod.forget_source("cjib").unwrap(), 2);
    assert!(pod.history(Some("cjib")).unwrap().is_empty());
    assert_eq!(pod.history(None).unwrap().len(), 1, "other sources are untouched");
    assert!(matches!(pod.get(&first), Err(PodError::NotFound(_))));
}

#[test]
fn passphrase_change_and_recovery() {
    let (_tmp, dir, code) = new_pod();
    let id = {
        let pod = dir.unlock(&secret(PASSPHRASE)).unwrap();
        pod.put(RecordKind::Arrangement, None, b"plan").unwrap()
    };
    dir.change_passphrase(
        &secret(PASSPHRASE),
        &secret("a new long passphrase"),
        KdfCost::InsecureForTests,
    )
    .unwrap();
    assert!(matches!(
        dir.change_passphrase(
            &secret("a new long passphrase"),
            &secret("short"),
            KdfCost::InsecureForTests
        ),
        Err(PodError::WeakPassphrase(_))
    ));
    std::thread::sleep(std::time::Duration::from_millis(10));
    assert!(matches!(
        dir.unlock(&secret(PASSPHRASE)),
        Err(PodError::WrongPassphrase)
    ));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(
        dir.unlock(&secret("a new long passphrase"))
            .unwrap()
            .get(&id)
            .unwrap()
            .payload
            .as_slice(),
        b"plan"
    );

    // Recovery: typed sloppily (lower case, spaces), it still works.
    let typed = code.to_lowercase().replace('-', " ");
    let new_code = dir
        .recover(
            &secret(&typed),
            &secret("recovered passphrase"),
            KdfCost::InsecureForTests,
        )
        .unwrap();
    assert_ne!(new_code.expose_secret(), code);
    assert_eq!(
        dir.unlock(&secret("recovered passphrase"))
            .unwrap()
            .get(&id)
            .unwrap()
            .payload
            .as_slice(),
        b"plan"
    );
    assert!(
        matches!(
            dir.recover(&secret(&code), &secret("another passphrase"), KdfCost::InsecureForTests),
            Err(PodError::WrongRecoveryCode)
        ),
        "the old recovery code is rotated away"
    );
}

#[test]
fn forget_all_leaves_nothing_that_opens_a_copy_of_the_store() {
    let (tmp, dir, code) = new_pod();
    {
        let pod = dir.unlock(&secret(PASSPHRASE)).unwrap();
        pod.put_document("cjib", &document_for(&pod, "secret")).unwrap();
    }
    let copy = tmp.path().join("stolen-store");
    copy_dir(&dir.store_path(), &copy);
    dir.forget_all().unwrap();
    let left: Vec<_> = std::fs::read_dir(dir.root())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.iter().all(|name| name == "pod.lock"),
        "only the empty lock file may remain: {left:?}"
    );

    // Put the stolen store back: neither the passphrase nor the recovery code can open it.
    copy_dir(&copy, &dir.store_path());
    assert!(matches!(dir.unlock(&secret(PASSPHRASE)), Err(PodError::NotAPod(_))));
    assert!(matches!(
        dir.recover(&secret(&code), &secret("another passphrase"), KdfCost::InsecureForTests),
        Err(PodError::NotAPod(_))
    ));
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn rotation_re_encrypts_everything_and_destroys_the_old_key() {
    let (tmp, dir, old_code) = new_pod();
    let (doc, log, old_recipient) = {
        let pod = dir.unlock(&secret(PASSPHRASE)).unwrap();
        let doc = pod.put_document("cak", &document_for(&pod, "zorgpremie")).unwrap();
        let log = pod.put(RecordKind::FetchLog, Some("cak"), b"fetched").unwrap();
        (doc, log, pod.recipient().to_string())
    };
    let old_identity_file = std::fs::read(dir.identity_path()).unwrap();
    let pod = dir.unlock(&secret(PASSPHRASE)).unwrap();
    let rotated = pod.rotate_key(&secret(PASSPHRASE), KdfCost::InsecureForTests).unwrap();
    assert_ne!(rotated.recipient, old_recipient);

    let pod = dir.unlock(&secret(PASSPHRASE)).unwrap();
    assert_eq!(pod.recipient().to_string(), rotated.recipient);
    assert_eq!(dir.config().unwrap().recipient, rotated.recipient);
    assert_eq!(
        pod.open_document(&doc).unwrap().as_slice(),
        b"zorgpremie",
        "documents re-encrypted to the new key"
    );
    assert_eq!(pod.get(&log).unwrap().payload.as_slice(), b"fetched");
    assert_eq!(pod::verify::whole_pod(&pod).unwrap(), 2);
    pod.lock();
    assert!(!tmp.path().join("pod/store.next").exists() && !tmp.path().join("pod/store.old").exists());

    // The old identity file no longer opens this store, and the old recovery code is gone.
    std::fs::write(dir.identity_path(), &old_identity_file).unwrap();
    assert!(matches!(dir.unlock(&secret(PASSPHRASE)), Err(PodError::Damaged(_))));
    assert!(matches!(
        dir.recover(
            &secret(&old_code),
            &secret("another passphrase"),
            KdfCost::InsecureForTests
        ),
        Err(PodError::WrongRecoveryCode)
    ));
}

#[test]
fn an_interrupted_rotation_leaves_a_working_pod() {
    for stop in [
        RotationStep::StoreBuilt,
        RotationStep::IdentityWritten,
        RotationStep::Committed,
    ] {
        let (_tmp, dir, _) = new_pod();
        let (doc, old_recipient) = {
            let pod = dir.unlock(&secret(PASSPHRASE)).unwrap();
            (
                pod.put_document("uwv", &document_for(&pod, "uitkering")).unwrap(),
                pod.recipient().to_string(),
            )
        };
        let pod = dir.unlock(&secret(PASSPHRASE)).unwrap();
        assert!(
            pod.rotate_key_until(&secret(PASSPHRASE), KdfCost::InsecureForTests, Some(stop))
                .unwrap()
                .is_none()
        );

        let mut pod = dir
            .unlock(&secret(PASSPHRASE))
            .expect("the pod opens after an interrupted rotation");
        let notices = pod.take_notices();
        let committed = stop == RotationStep::Committed;
        assert_eq!(pod.recipient().to_string() == old_recipient, !committed, "{stop:?}");
        match (committed, notices.as_slice()) {
            (false, [Notice::RotationRolledBack]) | (true, [Notice::RotationCompleted { .. }]) => {}
            other => panic!("{stop:?}: unexpected notices {other:?}"),
        }
        assert_eq!(pod.open_document(&doc).unwrap().as_slice(), b"uitkering", "{stop:?}");
        assert_eq!(pod::verify::whole_pod(&pod).unwrap(), 1);
        assert!(!dir.root().join("store.next").exists(), "{stop:?}: leftovers cleaned");
        assert!(
            !dir.root().join("identity.next.age").exists(),
            "{stop:?}: leftovers cleaned"
        );
    }
}

#[test]
fn backup_holds_only_ciphertext_and_restores_verified() {
    let (tmp, dir, _) = new_pod();
    {
        let pod = dir.unlock(&secret(PASSPHRASE)).unwrap();
        pod.put_document("cjib", &document_for(&pod, "Verkeersboete XX-123-X"))
            .unwrap();
        pod.put(RecordKind::FetchLog, Some("cjib"), b"Centraal Justitieel Incassobureau")
            .unwrap();
    }
    let backup = tmp.path().join("pod.backup");
    assert_eq!(dir.backup(&backup).unwrap(), 2);
    assert!(
        matches!(dir.backup(&backup), Err(PodError::AlreadyExists(_))),
        "never overwrites"
    );
    // The file is JSON whose values are base64. Searched as text, a four-letter needle turns up
    // by chance in a megabyte of base64 now and then, so the needles are searched in the file's
    // structure (everything but the base64 values) and in the decoded bytes of every value.
    let bytes = std::fs::read(&backup).unwrap();
    let file: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let mut structure = String::new();
    let mut decoded = Vec::new();
    for (name, value) in file.as_object().unwrap() {
        structure += name;
        match value {
            serde_json::Value::String(text) if name == "format" => structure += text,
            serde_json::Value::String(text) => decoded.push(B64.decode(text).unwrap()),
            serde_json::Value::Object(spaces) => {
                for (space, entries) in spaces {
                    structure += space;
                    for pair in entries.as_array().unwrap() {
                        for text in pair.as_array().unwrap() {
                            decoded.push(B64.decode(text.as_str().unwrap()).unwrap());
                        }
                    }
                }
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(decoded.len() > 4, "the values were read");
    for needle in ["Verkeersboete", "XX-123-X", "Centraal Justitieel", "cjib"] {
        assert!(!structure.contains(needle), "{needle} is readable in the backup's structure");
        for value in &decoded {
            assert!(!contains(value, needle.as_bytes()), "{needle} is readable in the backup");
        }
    }
    for needle in ["Verkeersboete", "XX-123-X", "Centraal Justitieel"] {
        assert!(!contains(&bytes, needle.as_bytes()), "{needle} is readable in the backup");
    }

    let target = PodDir::new(tmp.path().join("restored"));
    assert!(matches!(
        target.restore(&backup, &secret("not the passphrase")),
        Err(PodError::WrongPassphrase)
    ));
    assert!(
        !target.exists() && !target.store_path().exists(),
        "a failed restore writes nothing"
    );
    assert_eq!(target.restore(&backup, &secret(PASSPHRASE)).unwrap(), 2);
    let pod = target.unlock(&secret(PASSPHRASE)).unwrap();
    let (id, _) = pod.history(Some("cjib")).unwrap().remove(0);
    assert_eq!(pod.open_document(&id).unwrap().as_slice(), b"Verkeersboete XX-123-X");
    drop(pod);
    assert!(matches!(
        target.restore(&backup, &secret(PASSPHRASE)),
        Err(PodError::AlreadyExists(_))
    ));

    std::fs::write(tmp.path().join("junk"), b"{\"format\":\"something else\"}").unwrap();
    let junk_target = PodDir::new(tmp.path().join("junk-target"));
    assert!(matches!(
        junk_target.restore(&tmp.path().join("junk"), &secret(PASSPHRASE)),
        Err(PodError::InvalidBackup(_))
    ));
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// sled 0.34 takes a snapshot that a killed process left half-written (`snap.*.generating`)
/// for the newest one, and refuses to open (seen once in 50 SIGKILLs in CI). The pod removes
/// such a file and opens with everything in it.
#[test]
fn a_snapshot_a_crash_left_unfinished_loses_nothing() {
    let (_tmp, dir, _) = new_pod();
    let ids: Vec<_> = {
        let pod = dir.unlock(&secret(PASSPHRASE)).unwrap();
        (0..20)
            .map(|n| pod.put(RecordKind::FetchLog, Some("cjib"), format!("entry {n}").as_bytes()).unwrap())
            .collect()
    };
    // What a kill in the middle of `write_snapshot` leaves: the start of a snapshot, no checksum.
    std::fs::write(
        dir.store_path().join("snap.7FFFFFFFFFFFFFFF.generating"),
        b"half a snapshot, cut off by SIGKILL",
    )
    .unwrap();
    let raw = sled::Config::new().path(dir.store_path()).open();
    assert!(
        matches!(raw, Err(sled::Error::Corruption { .. })),
        "sled itself no longer trips over an unfinished snapshot; this workaround can go"
    );
    drop(raw);
    let pod = dir.unlock(&secret(PASSPHRASE)).unwrap();
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(pod.get(id).unwrap().payload.as_slice(), format!("entry {n}").as_bytes());
    }
    assert!(!dir.store_path().join("snap.7FFFFFFFFFFFFFFF.generating").exists());
}
