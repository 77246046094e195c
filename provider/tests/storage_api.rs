//! The provider's storage API over real HTTP, on sled and on PostgreSQL: sign-up and OPAQUE
//! login, records with version checks, atomic batches, quotas, sessions, and every refusal.

mod common;

use common::*;
use provider_api::wire::{Credential, PodInfo, RecordList};
use reqwest::StatusCode;
use serde_json::json;

async fn put(p: &Running, token: &str, name: &str, bytes: &[u8], precondition: Option<(&str, &str)>) -> reqwest::Response {
    let mut request = http()
        .put(format!("{}/api/v1/records/{name}", p.url))
        .bearer_auth(token)
        .body(bytes.to_vec());
    if let Some((header, value)) = precondition {
        request = request.header(header, value);
    }
    request.send().await.unwrap()
}

async fn get(p: &Running, token: &str, path: &str) -> reqwest::Response {
    http().get(format!("{}{path}", p.url)).bearer_auth(token).send().await.unwrap()
}

fn etag(response: &reqwest::Response) -> String {
    response.headers()["etag"].to_str().unwrap().to_owned()
}

on_every_backend!(records_are_stored_served_and_versioned, records_are_stored_served_and_versioned_on);
async fn records_are_stored_served_and_versioned_on(backend: &Backend) {
    let p = start(backend, "").await;
    let citizen = sign_up(&p).await;
    let token = log_in(&p, &citizen.pod_id, Credential::Passphrase, &citizen.passphrase).await.unwrap();

    let created = put(&p, &token, "records.00112233", b"sealed one", Some(("if-none-match", "*"))).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let first = etag(&created);
    let read = get(&p, &token, "/api/v1/records/records.00112233").await;
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(etag(&read), first);
    assert_eq!(read.bytes().await.unwrap().as_ref(), b"sealed one");

    let replaced = put(&p, &token, "records.00112233", b"sealed two", Some(("if-match", &first))).await;
    assert_eq!(replaced.status(), StatusCode::OK);
    let second = etag(&replaced);
    assert_ne!(first, second);

    // A second tab that read the first version may not overwrite the second.
    let stale = put(&p, &token, "records.00112233", b"lost update", Some(("if-match", &first))).await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert!(stale.text().await.unwrap().contains("changed since you read it"));
    let again = put(&p, &token, "records.00112233", b"again", Some(("if-none-match", "*"))).await;
    assert_eq!(again.status(), StatusCode::PRECONDITION_FAILED);
    let blind = put(&p, &token, "records.00112233", b"blind", None).await;
    assert_eq!(blind.status(), StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(
        get(&p, &token, "/api/v1/records/records.00112233").await.bytes().await.unwrap().as_ref(),
        b"sealed two",
        "no refused write changed anything"
    );

    let list: RecordList = get(&p, &token, "/api/v1/records").await.json().await.unwrap();
    assert_eq!(list.records.len(), 1);
    assert_eq!(list.records[0].name, "records.00112233");
    assert_eq!(list.records[0].size, 10);
    assert_eq!(format!("\"{}\"", list.records[0].version), second);
    let info: PodInfo = get(&p, &token, "/api/v1/pod").await.json().await.unwrap();
    assert_eq!((info.usage.records, info.usage.bytes), (1, 10));
    assert_eq!(info.recipient, citizen.identity.to_public().to_string());

    let deleted = http()
        .delete(format!("{}/api/v1/records/records.00112233", p.url))
        .bearer_auth(&token)
        .header("if-match", &second)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(get(&p, &token, "/api/v1/records/records.00112233").await.status(), StatusCode::NOT_FOUND);
    // A version is never reused, so a tab holding an old ETag cannot hit a recreated record.
    let recreated = put(&p, &token, "records.00112233", b"new", Some(("if-none-match", "*"))).await;
    assert_ne!(etag(&recreated), first);
    let info: PodInfo = get(&p, &token, "/api/v1/pod").await.json().await.unwrap();
    assert_eq!((info.usage.records, info.usage.bytes), (1, 3));
}

on_every_backend!(two_tabs_writing_at_once_never_both_win, two_tabs_writing_at_once_never_both_win_on);
async fn two_tabs_writing_at_once_never_both_win_on(backend: &Backend) {
    let p = start(backend, "").await;
    let citizen = sign_up(&p).await;
    let token = log_in(&p, &citizen.pod_id, Credential::Passphrase, &citizen.passphrase).await.unwrap();
    let created = put(&p, &token, "index.aa", b"v1", Some(("if-none-match", "*"))).await;
    let tag = etag(&created);
    for round in 0..10 {
        let (a, b) = tokio::join!(
            put(&p, &token, "index.aa", b"tab a", Some(("if-match", &tag))),
            put(&p, &token, "index.aa", b"tab b", Some(("if-match", &tag)))
        );
        let statuses = [a.status(), b.status()];
        if round == 0 {
            assert!(
                statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::PRECONDITION_FAILED),
                "one tab wins, the other is told: {statuses:?}"
            );
        } else {
            assert!(
                statuses.iter().all(|s| *s == StatusCode::PRECONDITION_FAILED),
                "an old ETag never wins again: {statuses:?}"
            );
        }
    }
}

on_every_backend!(a_batch_is_all_or_nothing_and_quotas_hold, a_batch_is_all_or_nothing_and_quotas_hold_on);
async fn a_batch_is_all_or_nothing_and_quotas_hold_on(backend: &Backend) {
    let p = start(backend, "[quotas]\nrecords = 3\nbytes = 1000\n").await;
    let citizen = sign_up(&p).await;
    let token = log_in(&p, &citizen.pod_id, Credential::Passphrase, &citizen.passphrase).await.unwrap();
    let batch = |writes: serde_json::Value| {
        let p = &p;
        let token = token.clone();
        async move {
            http()
                .post(format!("{}/api/v1/batch", p.url))
                .bearer_auth(token)
                .json(&json!({ "writes": writes }))
                .send()
                .await
                .unwrap()
        }
    };
    let done = batch(json!([
        {"name": "records.01", "expect": "absent", "bytes": b64(b"document")},
        {"name": "index.01", "expect": "absent", "bytes": b64(b"entry")},
    ]))
    .await;
    assert_eq!(done.status(), StatusCode::OK);
    let done: serde_json::Value = done.json().await.unwrap();
    let index_version = done["records"][1]["version"].as_u64().unwrap();

    // One stale expectation refuses the whole batch.
    let refused = batch(json!([
        {"name": "records.02", "expect": "absent", "bytes": b64(b"another")},
        {"name": "index.01", "expect": {"version": index_version + 100}, "bytes": b64(b"x")},
    ]))
    .await;
    assert_eq!(refused.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(get(&p, &token, "/api/v1/records/records.02").await.status(), StatusCode::NOT_FOUND);

    // Over the record quota: refused in the same transaction, nothing written.
    let full = batch(json!([
        {"name": "records.02", "expect": "absent", "bytes": b64(b"a")},
        {"name": "records.03", "expect": "absent", "bytes": b64(b"b")},
    ]))
    .await;
    assert_eq!(full.status(), StatusCode::INSUFFICIENT_STORAGE);
    assert!(full.text().await.unwrap().contains("this pod is full"));
    let over_bytes = put(&p, &token, "records.04", &[7u8; 1001], Some(("if-none-match", "*"))).await;
    assert_eq!(over_bytes.status(), StatusCode::INSUFFICIENT_STORAGE);
    let list: RecordList = get(&p, &token, "/api/v1/records").await.json().await.unwrap();
    assert_eq!(list.records.len(), 2, "nothing of a refused batch was written");

    // Deleting in a batch frees room.
    let freed = batch(json!([
        {"name": "index.01", "expect": {"version": index_version}},
        {"name": "records.02", "expect": "absent", "bytes": b64(b"a")},
        {"name": "records.03", "expect": "absent", "bytes": b64(b"b")},
    ]))
    .await;
    assert_eq!(freed.status(), StatusCode::OK);
    let info: PodInfo = get(&p, &token, "/api/v1/pod").await.json().await.unwrap();
    assert_eq!((info.usage.records, info.usage.bytes), (3, 10));

    for (writes, needle) in [
        (json!([]), "1 to 256 writes"),
        (json!([{"name": "records.05", "expect": "absent", "bytes": "YQ=="}, {"name": "records.05", "expect": "absent", "bytes": "YQ=="}]), "twice"),
        (json!([{"name": "records.05", "expect": "absent"}]), "needs its version"),
        (json!([{"name": "../etc", "expect": "absent", "bytes": "YQ=="}]), "record name"),
        (json!([{"name": "records.05", "expect": "absent", "bytes": "not base64!"}]), "base64"),
        (json!([{"name": "records.05", "expect": "maybe", "bytes": "YQ=="}]), "request body is invalid"),
    ] {
        let answer = batch(writes).await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        let text = answer.text().await.unwrap();
        assert!(text.contains(needle), "{needle}: {text}");
    }
}

on_every_backend!(no_unauthenticated_request_reads_writes_or_spends_a_quota, no_unauthenticated_request_reads_writes_or_spends_a_quota_on);
async fn no_unauthenticated_request_reads_writes_or_spends_a_quota_on(backend: &Backend) {
    let p = start(backend, "").await;
    let citizen = sign_up(&p).await;
    let token = log_in(&p, &citizen.pod_id, Credential::Passphrase, &citizen.passphrase).await.unwrap();
    put(&p, &token, "records.0a", b"mine", Some(("if-none-match", "*"))).await;
    for bad in ["", "Bearer ", "Bearer not-a-token", "Basic Zm9vOmJhcg==", &format!("Bearer {}x", token)] {
        for (method, path) in [
            ("GET", "/api/v1/records"),
            ("GET", "/api/v1/records/records.0a"),
            ("PUT", "/api/v1/records/records.0b"),
            ("DELETE", "/api/v1/records/records.0a"),
            ("POST", "/api/v1/batch"),
            ("GET", "/api/v1/pod"),
            ("DELETE", "/api/v1/pod"),
            ("GET", "/api/v1/pod/export"),
            ("GET", "/api/v1/pod/recovery-file"),
            ("PUT", "/api/v1/pod/credentials"),
        ] {
            let mut request = http()
                .request(method.parse().unwrap(), format!("{}{path}", p.url))
                .header("if-none-match", "*")
                .json(&json!({"writes": [{"name": "records.0c", "expect": "absent", "bytes": "YQ=="}]}));
            if !bad.is_empty() {
                request = request.header("authorization", bad);
            }
            let answer = request.send().await.unwrap();
            assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{method} {path} with {bad:?}");
            assert_eq!(answer.headers()["www-authenticate"], "Bearer");
        }
    }
    let info: PodInfo = get(&p, &token, "/api/v1/pod").await.json().await.unwrap();
    assert_eq!((info.usage.records, info.usage.bytes), (1, 4), "nothing was spent");
}

on_every_backend!(a_login_proves_the_passphrase_without_sending_it, a_login_proves_the_passphrase_without_sending_it_on);
async fn a_login_proves_the_passphrase_without_sending_it_on(backend: &Backend) {
    let p = start(backend, "").await;
    let citizen = sign_up(&p).await;
    assert_eq!(
        log_in(&p, &citizen.pod_id, Credential::Passphrase, "wrong horse battery staple").await,
        Err("wrong passphrase".to_owned()),
        "the browser finds a wrong passphrase itself"
    );
    assert_eq!(
        log_in(&p, &citizen.pod_id, Credential::Passphrase, &citizen.recovery_code).await,
        Err("wrong passphrase".to_owned()),
        "the recovery code is not the passphrase"
    );
    // An unknown pod answers like a real one, so logins do not reveal which pods exist.
    let unknown = format!("{:032x}", 7u128);
    assert_eq!(
        log_in(&p, &unknown, Credential::Passphrase, &citizen.passphrase).await,
        Err("wrong passphrase".to_owned())
    );
    let token = log_in(&p, &citizen.pod_id, Credential::Passphrase, &citizen.passphrase).await.unwrap();
    let info: PodInfo = get(&p, &token, "/api/v1/pod").await.json().await.unwrap();
    // The wrapped identity the provider serves opens with the passphrase, in the browser.
    let opened = pod_core::identity::unwrap_identity(
        &info.identity_file,
        &age::secrecy::SecretString::from(citizen.passphrase.clone()),
        "identity",
    )
    .unwrap();
    assert_eq!(opened.to_public().to_string(), citizen.identity.to_public().to_string());

    // Logout ends the session; an idle session ends by itself.
    let logout = http().post(format!("{}/api/v1/logout", p.url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(get(&p, &token, "/api/v1/pod").await.status(), StatusCode::UNAUTHORIZED);
    let token = log_in(&p, &citizen.pod_id, Credential::Passphrase, &citizen.passphrase).await.unwrap();
    p.advance(20 * 60);
    assert_eq!(get(&p, &token, "/api/v1/pod").await.status(), StatusCode::OK, "use extends the session");
    p.advance(20 * 60);
    assert_eq!(get(&p, &token, "/api/v1/pod").await.status(), StatusCode::OK);
    p.advance(31 * 60);
    assert_eq!(get(&p, &token, "/api/v1/pod").await.status(), StatusCode::UNAUTHORIZED, "idle for 31 minutes");
}

on_every_backend!(a_login_message_is_single_use_and_short_lived, a_login_message_is_single_use_and_short_lived_on);
async fn a_login_message_is_single_use_and_short_lived_on(backend: &Backend) {
    use pod_core::provider_login::Login;
    let p = start(backend, "").await;
    let citizen = sign_up(&p).await;
    let start_login = || async {
        let login = Login::start(citizen.passphrase.as_bytes()).unwrap();
        let started: provider_api::wire::LoginStarted = post_json(
            &p,
            "/api/v1/login/start",
            None,
            &json!({"pod_id": citizen.pod_id, "credential": "passphrase", "request": b64(&login.request)}),
            StatusCode::OK,
        )
        .await;
        let done = login.finish(citizen.passphrase.as_bytes(), &started.response).unwrap();
        (started.login_id, done)
    };
    let url = p.url.clone();
    let finish = |login_id: String, finalization: Vec<u8>| {
        let url = url.clone();
        async move {
        http()
            .post(format!("{url}/api/v1/login/finish"))
            .json(&json!({"login_id": login_id, "finalization": b64(&finalization)}))
            .send()
            .await
            .unwrap()
            .status()
        }
    };
    let (login_id, done) = start_login().await;
    assert_eq!(finish(login_id.clone(), done.finalization.clone()).await, StatusCode::OK);
    assert_eq!(finish(login_id, done.finalization).await, StatusCode::UNAUTHORIZED, "replayed");

    let (login_id, done) = start_login().await;
    p.advance(61);
    assert_eq!(finish(login_id, done.finalization).await, StatusCode::UNAUTHORIZED, "expired");

    // A finalization from another login does not fit this one.
    let (first_id, _) = start_login().await;
    let (_, second) = start_login().await;
    assert_eq!(finish(first_id, second.finalization).await, StatusCode::UNAUTHORIZED, "mixed up");
}

on_every_backend!(guessing_is_throttled_and_never_locks_out_a_signed_in_citizen, guessing_is_throttled_and_never_locks_out_a_signed_in_citizen_on);
async fn guessing_is_throttled_and_never_locks_out_a_signed_in_citizen_on(backend: &Backend) {
    let p = start(backend, "client_address_header = \"x-forwarded-for\"\n").await;
    let citizen = sign_up(&p).await;
    let token = log_in(&p, &citizen.pod_id, Credential::Passphrase, &citizen.passphrase).await.unwrap();
    put(&p, &token, "records.01", b"mine", Some(("if-none-match", "*"))).await;

    // 1,000 wrong logins, from a thousand different addresses: after ten, every one is refused
    // before the provider answers anything a guess could be tested against.
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    for attempt in 0..1000u32 {
        let address = format!("198.51.{}.{}", attempt / 250, attempt % 250);
        let outcome = log_in_from(&p, &citizen.pod_id, Credential::Passphrase, "a guess of twelve+", Some(&address)).await;
        *outcomes.entry(outcome.unwrap_err()).or_default() += 1;
        if attempt % 100 == 0 {
            assert_eq!(get(&p, &token, "/api/v1/records/records.01").await.status(), StatusCode::OK, "still signed in");
        }
    }
    assert_eq!(outcomes.get("wrong passphrase"), Some(&10), "{outcomes:?}");
    assert_eq!(outcomes.get("HTTP 429"), Some(&990), "{outcomes:?}");
    let info = get(&p, &token, "/api/v1/pod").await;
    assert_eq!(info.status(), StatusCode::OK, "the citizen who is signed in is not locked out");

    // One address trying many pods is limited too.
    let mut refused = 0;
    for n in 0..120u128 {
        let pod = format!("{n:032x}");
        if log_in_from(&p, &pod, Credential::Passphrase, "guess guess guess", Some("203.0.113.9")).await
            == Err("HTTP 429".to_owned())
        {
            refused += 1;
        }
    }
    assert_eq!(refused, 20, "100 attempts per address in 15 minutes");

    // The window passes.
    p.advance(16 * 60);
    assert!(log_in(&p, &citizen.pod_id, Credential::Passphrase, &citizen.passphrase).await.is_ok());
}
