//! The browser session's tests: they look inside it (keys, manifest, pending batch).

use super::*;

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

/// What a provider keeps of one pod, written as the browser writes it: each batch with its
/// manifest, confirmed once stored.
#[derive(Clone, Default)]
struct Provider(BTreeMap<RecordName, Vec<u8>>);

impl Provider {
    fn send(&mut self, session: &mut Session, writes: Vec<SealedWrite>, now: DateTime<Utc>) -> Option<Vec<u8>> {
        let manifest = session.seal_batch(writes.iter().map(|(name, _)| (name, false)), now).unwrap();
        self.0.extend(writes.into_iter().chain(manifest));
        session.confirm_batch()
    }

    fn open(&self, identity_file: &[u8], passphrase: &SecretString) -> Session {
        let mut session = Session::open(identity_file, passphrase, &self.0[&data_key_name()]).unwrap();
        for (name, bytes) in &self.0 {
            session.load(name, bytes).unwrap();
        }
        session
    }

    fn entries(&self) -> Vec<(Space, Vec<u8>, Vec<u8>)> {
        self.0.iter().map(|(name, bytes)| (name.space(), name.key().to_vec(), bytes.clone())).collect()
    }
}

#[test]
fn a_created_pod_reopens_from_what_the_provider_keeps() {
    let passphrase = secret("correct horse battery staple");
    let code = secret("abcd efgh ijkl mnop qrst uvwx yz23 4567");
    let (mut first, pod) = Session::create(&passphrase, &code, KdfCost::InsecureForTests).unwrap();
    assert!(Session::create(&secret("short"), &code, KdfCost::InsecureForTests).is_err());
    let now: DateTime<Utc> = "2026-12-02T10:00:00Z".parse().unwrap();
    let org = OrganisationDescriptor::from_json(include_bytes!(
        "../../../schemas/tests/fixtures/documents/descriptor/valid-pinned-keys.json"
    ))
    .unwrap();
    let mut provider = Provider::default();
    provider.send(&mut first, vec![pod.data_key_write.clone()], now);
    let mut writes = first.record_failure(&org, "it was down", "f1", now, now);
    writes.extend(first.put(RecordKind::Settings, None, b"settings", now));
    let index_write = writes.iter().find(|(n, _)| n.space() == Space::Index).cloned().unwrap();
    provider.send(&mut first, writes, now);

    let mut second = provider.open(&pod.identity_file, &passphrase);
    assert_eq!(second.recipient(), pod.recipient);
    assert_eq!(second.check_integrity(None, now).unwrap(), Vec::new());
    let log = second.fetch_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].message.as_deref(), Some("it was down"));
    assert!(second.overview(now.date_naive(), now).organisations.is_empty(), "nothing pinned yet");
    let pinned = second.pin(vec![org.clone()], now);
    provider.send(&mut second, pinned, now);
    let mut third = provider.open(&pod.identity_file, &passphrase);
    third.check_integrity(None, now).unwrap();
    assert_eq!(third.scheme().organisations, vec![org.clone()]);
    let overview = third.overview(now.date_naive(), now);
    assert_eq!(overview.organisations.len(), 1);
    assert_eq!(overview.organisations[0].status, crate::overview::DataStatus::Failed);

    // A backup of it imports, verified; a tampered one does not.
    let entries = provider.entries();
    let backup = crate::backup::write(&pod.identity_file, &pod.recovery_file, &entries);
    let (mut imported, identity_file, imported_writes) = Session::from_backup(&backup, &passphrase).unwrap();
    assert_eq!(identity_file, pod.identity_file);
    assert_eq!(imported_writes.len(), entries.len());
    assert_eq!(imported.fetch_log().len(), 1);
    // Uploaded to a new pod in batches, it lists exactly what arrived after each.
    let batches = imported.provider_batches(imported_writes, 3);
    assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), entries.len() - 1, "without the backup's manifest");
    assert_eq!(batches[0][0].0, data_key_name(), "the data key first");
    assert!(batches.len() >= 3 && batches.iter().all(|batch| batch.len() <= 3));
    let mut new_home = Provider::default();
    for batch in batches {
        new_home.send(&mut imported, batch, now);
        new_home.open(&identity_file, &passphrase).check_integrity(None, now).unwrap();
    }
    let mut reopened = new_home.open(&identity_file, &passphrase);
    reopened.check_integrity(None, now).unwrap();
    assert_eq!(reopened.scheme().organisations, vec![org.clone()]);
    let mut tampered = entries.clone();
    let last = tampered.iter_mut().rfind(|(space, _, _)| *space == Space::Records).unwrap();
    *last.2.last_mut().unwrap() ^= 1;
    let error = Session::from_backup(&crate::backup::write(&pod.identity_file, &pod.recovery_file, &tampered), &passphrase)
        .err()
        .unwrap();
    assert!(error.to_string().contains("is damaged"), "{error}");
    let orphaned: Vec<_> = entries.iter().filter(|(space, _, _)| *space != Space::Records).cloned().collect();
    let error = Session::from_backup(&crate::backup::write(&pod.identity_file, &pod.recovery_file, &orphaned), &passphrase)
        .err()
        .unwrap();
    assert!(error.to_string().contains("missing"), "{error}");
    assert!(matches!(
        Session::from_backup(&backup, &secret("wrong horse battery staple")),
        Err(SessionError::WrongSecret)
    ));
    assert!(Session::from_backup(b"{}", &passphrase).is_err());

    // The recovery file opens the same pod; a wrong passphrase or a swapped record does not.
    assert!(Session::open(&pod.recovery_file, &identity::normalise_recovery_code(&code).unwrap(), &pod.data_key_write.1).is_ok());
    assert!(matches!(
        Session::open(&pod.identity_file, &secret("wrong horse battery staple"), &pod.data_key_write.1),
        Err(SessionError::WrongSecret)
    ));
    let (index_name, index_bytes) = index_write;
    let other_id = RecordName::new(Space::Index, RecordId::random().as_bytes()).unwrap();
    assert!(second.load(&other_id, &index_bytes).is_err(), "{index_name} moved to another id");
}

/// A provider that drops a record, adds one back, serves an older copy, or serves the data key
/// from before the pod kept a manifest, is found when the browser opens the pod. A batch that
/// fails is not listed by the next one.
#[test]
fn the_browser_finds_records_a_provider_dropped_or_an_older_copy() {
    let passphrase = secret("correct horse battery staple");
    let code = secret("abcd efgh ijkl mnop qrst uvwx yz23 4567");
    let t = |s: &str| -> DateTime<Utc> { s.parse().unwrap() };
    let (mut session, pod) = Session::create(&passphrase, &code, KdfCost::InsecureForTests).unwrap();
    let mut provider = Provider::default();
    provider.send(&mut session, vec![pod.data_key_write.clone()], t("2026-12-01T10:00:00Z"));
    let first = session.put(RecordKind::Settings, None, b"one", t("2026-12-01T10:00:00Z"));
    provider.send(&mut session, first.clone(), t("2026-12-01T10:00:00Z"));
    let yesterday = provider.clone();
    let second = session.put(RecordKind::Settings, None, b"two", t("2026-12-02T10:00:00Z"));
    let guard = provider.send(&mut session, second.clone(), t("2026-12-02T10:00:00Z")).unwrap();
    let guard = Some(guard.as_slice());
    let now = t("2026-12-02T11:00:00Z");
    assert!(provider.open(&pod.identity_file, &passphrase).check_integrity(guard, now).is_ok());

    let mut dropped = provider.clone();
    dropped.0.remove(&first[0].0);
    let error = dropped.open(&pod.identity_file, &passphrase).check_integrity(guard, now).unwrap_err().to_string();
    assert!(error.starts_with(&format!("record {} is missing from your pod", RecordId::from_key(first[0].0.key()).unwrap())), "{error}");

    let mut added = provider.clone();
    let mut other = Session::open(&pod.identity_file, &passphrase, &pod.data_key_write.1).unwrap();
    added.0.extend(other.put(RecordKind::Settings, None, b"put back", now));
    let error = added.open(&pod.identity_file, &passphrase).check_integrity(guard, now).unwrap_err().to_string();
    assert!(error.contains("which its manifest does not list"), "{error}");

    let error = yesterday.open(&pod.identity_file, &passphrase).check_integrity(guard, now).unwrap_err().to_string();
    assert_eq!(
        error,
        "your pod at the provider was rolled back to 2026-12-01 10:00:00 UTC: this browser last saw it on 2026-12-02 10:00:00 UTC, after 3 changes, and the provider now serves only 2. Ask your provider what happened, or import your newest backup into a new pod"
    );
    assert!(yesterday.open(&pod.identity_file, &passphrase).check_integrity(None, now).is_ok(), "a browser without a guard cannot tell");
    let forged_guard = br#"{"counter":1,"written_at":"2026-12-01T10:00:00Z","tag":"AAAA"}"#;
    assert!(provider.open(&pod.identity_file, &passphrase).check_integrity(Some(forged_guard), now).is_ok(), "an untagged guard counts for nothing");

    // A data key from before manifests, served to a browser that saw one, is a rollback.
    let mut downgraded = provider.clone();
    downgraded.0.remove(&manifest_name());
    downgraded.0.insert(data_key_name(), integrity::wrap_data_key(&session.data_key, &session.identity, false));
    let error = downgraded.open(&pod.identity_file, &passphrase).check_integrity(guard, now).unwrap_err().to_string();
    assert!(error.starts_with("your pod at the provider was rolled back: this browser last saw it on 2026-12-02 10:00:00 UTC, after 3 changes"), "{error}");

    // Without a guard such a pod is one from before manifests: it starts one, and from then on
    // a dropped record is found.
    let mut old = downgraded.open(&pod.identity_file, &passphrase);
    let start = old.check_integrity(None, now).unwrap();
    assert_eq!(start.len(), 1);
    assert_eq!(start[0].0, data_key_name());
    downgraded.send(&mut old, start, now);
    assert!(downgraded.open(&pod.identity_file, &passphrase).check_integrity(None, now).is_ok());
    downgraded.0.remove(&second[0].0);
    assert!(downgraded.open(&pod.identity_file, &passphrase).check_integrity(None, now).is_err());

    // A batch that was not stored is not listed by the next one.
    let lost = session.put(RecordKind::Settings, None, b"lost", now);
    let sealed = session.seal_batch(lost.iter().map(|(n, _)| (n, false)), now).unwrap();
    assert!(sealed.is_some());
    assert!(session.seal_batch([], now).is_err(), "one batch at a time");
    session.abandon_batch();
    let kept = session.put(RecordKind::Settings, None, b"kept", now);
    provider.send(&mut session, kept, now);
    let mut reopened = Session::open(&pod.identity_file, &passphrase, &pod.data_key_write.1).unwrap();
    for (name, bytes) in &provider.0 {
        reopened.load(name, bytes).unwrap();
    }
    reopened.check_integrity(guard, now).unwrap();
    assert_eq!(reopened.entries.len(), 3, "one, two and kept");

    // A batch may not write the manifest itself.
    assert!(session.seal_batch([(&manifest_name(), false)], now).is_err());
}

#[test]
fn the_browser_pod_reads_documents_in_every_stored_form() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    let passphrase = secret("correct horse battery staple");
    let code = secret("abcd efgh ijkl mnop qrst uvwx yz23 4567");
    let (mut session, _) = Session::create(&passphrase, &code, KdfCost::InsecureForTests).unwrap();
    let document: serde_json::Value =
        serde_json::from_slice(include_bytes!("../../../schemas/tests/fixtures/fcid/valid_v41_reminder_paid_in_full.json"))
            .unwrap();
    let payload = serde_json::json!({"iss": "x", "sub_hash": "h", "iat": 0, "exp": 0, "nonce": "n", "recipient": "r", "document": document});
    let jws = format!("eyJhbGciOiJFZERTQSJ9.{}.c2ln", B64.encode(payload.to_string())).into_bytes();
    let t = |s: &str| -> DateTime<Utc> { s.parse().unwrap() };
    session.put(RecordKind::Document, Some("cjib"), &document_record::encode_signed(&jws), t("2026-12-01T10:00:00Z"));
    let file = age::encrypt(&session.identity.to_public(), &jws).unwrap();
    session.put(RecordKind::Document, Some("duo"), &file, t("2026-12-01T10:00:00Z"));
    let latest = session.latest_documents();
    assert!(latest["cjib"].document.is_some(), "a JWS record");
    assert!(latest["duo"].document.is_some(), "an age file, as older pods stored it");
    session.put(RecordKind::Document, Some("cak"), b"damaged", t("2026-12-01T10:00:00Z"));
    assert!(session.latest_documents()["cak"].document.is_none());
}

#[test]
fn an_unchanged_answer_is_logged_but_not_stored_again() {
    let signer = schemas::jws::Signer::new("k1", ed25519_dalek::SigningKey::from_bytes(&[3u8; 32]));
    let mut descriptor: serde_json::Value =
        serde_json::from_slice(include_bytes!("../../../schemas/tests/fixtures/documents/descriptor/valid-pinned-keys.json"))
            .unwrap();
    descriptor["id"] = "00000001822477348000".into();
    descriptor["keys"] = serde_json::json!([signer.public_jwk(None)]);
    let org = OrganisationDescriptor::from_json(&serde_json::to_vec(&descriptor).unwrap()).unwrap();
    let document: serde_json::Value =
        serde_json::from_slice(include_bytes!("../../../schemas/tests/fixtures/fcid/valid_v41_reminder_paid_in_full.json"))
            .unwrap();
    let (mut session, _) = Session::create(
        &secret("correct horse battery staple"),
        &secret("abcd efgh ijkl mnop qrst uvwx yz23 4567"),
        KdfCost::InsecureForTests,
    )
    .unwrap();
    let recipient = session.identity.to_public();
    let now = Utc::now();
    let answer = |nonce: &str, document: &serde_json::Value| {
        let payload = serde_json::json!({"iss": org.id.as_str(), "sub_hash": "h", "iat": now.timestamp(), "exp": now.timestamp() + 300,
            "nonce": nonce, "recipient": recipient.to_string(), "document": document});
        let jws = signer.sign_compact(answer::CLAIMS_TYP, &serde_json::to_vec(&payload).unwrap());
        age::encrypt(&recipient, jws.as_bytes()).unwrap()
    };
    let first = session.accept_claims(&org, &answer("nonce-1", &document), "nonce-1", "f1", now, now).unwrap();
    assert_eq!(first.len(), 4, "the document and its log entry, each with its index entry");
    let again = session.accept_claims(&org, &answer("nonce-2", &document), "nonce-2", "f2", now, now).unwrap();
    assert_eq!(again.len(), 2, "only the log entry");
    let log = session.fetch_log();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].record, log[1].record, "both name the one stored document");
    assert_ne!(log[0].document_sha256, log[1].document_sha256);
    let mut changed = document.clone();
    changed["body"]["document_datumtijd"] = "2024-03-02T09:30:00+01:00".into();
    let third = session.accept_claims(&org, &answer("nonce-3", &changed), "nonce-3", "f3", now, now).unwrap();
    assert_eq!(third.len(), 4, "a changed document is stored");
    assert!(session.accept_claims(&org, &answer("nonce-4", &changed), "wrong", "f4", now, now).is_err(), "still verified");
}
