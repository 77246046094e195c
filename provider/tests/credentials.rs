//! What a citizen does with the pod as a whole at a provider: recover with the recovery code,
//! change the passphrase, export for `pod restore`, delete by crypto-shredding. And what the
//! provider cannot do: it links no code that opens age files or runs scrypt.

mod common;

use age::secrecy::SecretString;
use common::*;
use pod_core::identity::{KdfCost, unwrap_identity, wrap_identity};
use provider_api::wire::{Credential, RecoveryFile};
use reqwest::StatusCode;
use serde_json::json;

async fn status(p: &Running, method: &str, token: &str, path: &str) -> StatusCode {
    http()
        .request(method.parse().unwrap(), format!("{}{path}", p.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn replace(p: &Running, token: &str, body: serde_json::Value) -> reqwest::Response {
    http()
        .put(format!("{}/api/v1/pod/credentials", p.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn wrapped(identity: &age::x25519::Identity, secret: &str) -> Vec<u8> {
    wrap_identity(identity, &SecretString::from(secret.to_owned()), KdfCost::InsecureForTests)
}

on_every_backend!(the_recovery_code_sets_a_new_passphrase_and_is_replaced, the_recovery_code_sets_a_new_passphrase_and_is_replaced_on);
async fn the_recovery_code_sets_a_new_passphrase_and_is_replaced_on(backend: &Backend) {
    let p = start(backend, "").await;
    let citizen = sign_up(&p).await;
    let other_device = log_in(&p, &citizen.pod_id, Credential::Passphrase, &citizen.passphrase).await.unwrap();
    let recovery = log_in(&p, &citizen.pod_id, Credential::Recovery, &citizen.recovery_code).await.unwrap();

    // A recovery session reads the recovery file and nothing else.
    assert_eq!(status(&p, "GET", &recovery, "/api/v1/records").await, StatusCode::FORBIDDEN);
    assert_eq!(status(&p, "GET", &recovery, "/api/v1/pod").await, StatusCode::FORBIDDEN);
    assert_eq!(status(&p, "DELETE", &recovery, "/api/v1/pod").await, StatusCode::FORBIDDEN);
    let file: RecoveryFile = http()
        .get(format!("{}/api/v1/pod/recovery-file", p.url))
        .bearer_auth(&recovery)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let identity = unwrap_identity(
        &file.recovery_file,
        &SecretString::from(citizen.recovery_code.clone()),
        "recovery",
    )
    .unwrap();
    assert_eq!(identity.to_public().to_string(), citizen.identity.to_public().to_string());

    // It must replace both secrets.
    let (new_passphrase, new_code) = ("a brand new passphrase", "2222-3333-4444-5555-6666-7777-AAAA-BBBB");
    let passphrase_upload = register(&p, &recovery, Credential::Passphrase, new_passphrase).await;
    let only_one = replace(
        &p,
        &recovery,
        json!({"passphrase": {"upload": b64(&passphrase_upload), "file": b64(&wrapped(&identity, new_passphrase))}, "recovery": null}),
    )
    .await;
    assert_eq!(only_one.status(), StatusCode::BAD_REQUEST);
    let recovery_upload = register(&p, &recovery, Credential::Recovery, new_code).await;
    let done = replace(
        &p,
        &recovery,
        json!({
            "passphrase": {"upload": b64(&passphrase_upload), "file": b64(&wrapped(&identity, new_passphrase))},
            "recovery": {"upload": b64(&recovery_upload), "file": b64(&wrapped(&identity, new_code))},
        }),
    )
    .await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);

    // Whoever knew the old passphrase is out: its sessions ended, and it no longer logs in.
    assert_eq!(status(&p, "GET", &other_device, "/api/v1/pod").await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(&p, "GET", &recovery, "/api/v1/pod/recovery-file").await, StatusCode::UNAUTHORIZED);
    for (credential, old) in [
        (Credential::Passphrase, &citizen.passphrase),
        (Credential::Recovery, &citizen.recovery_code),
    ] {
        assert_eq!(
            log_in(&p, &citizen.pod_id, credential, old).await,
            Err("wrong passphrase".to_owned())
        );
    }
    let token = log_in(&p, &citizen.pod_id, Credential::Passphrase, new_passphrase).await.unwrap();
    let info: provider_api::wire::PodInfo =
        http().get(format!("{}/api/v1/pod", p.url)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let reopened = unwrap_identity(&info.identity_file, &SecretString::from(new_passphrase.to_owned()), "identity").unwrap();
    assert_eq!(reopened.to_public().to_string(), citizen.identity.to_public().to_string());
    assert!(log_in(&p, &citizen.pod_id, Credential::Recovery, new_code).await.is_ok());
}

on_every_backend!(a_passphrase_change_keeps_this_session_and_ends_the_others, a_passphrase_change_keeps_this_session_and_ends_the_others_on);
async fn a_passphrase_change_keeps_this_session_and_ends_the_others_on(backend: &Backend) {
    let p = start(backend, "").await;
    let citizen = sign_up(&p).await;
    let here = log_in(&p, &citizen.pod_id, Credential::Passphrase, &citizen.passphrase).await.unwrap();
    let elsewhere = log_in(&p, &citizen.pod_id, Credential::Passphrase, &citizen.passphrase).await.unwrap();
    let new = "another long passphrase";
    let upload = register(&p, &here, Credential::Passphrase, new).await;
    let nothing = replace(&p, &here, json!({"passphrase": null, "recovery": null})).await;
    assert_eq!(nothing.status(), StatusCode::BAD_REQUEST);
    let not_age = replace(&p, &here, json!({"passphrase": {"upload": b64(&upload), "file": b64(b"plain text")}, "recovery": null})).await;
    assert_eq!(not_age.status(), StatusCode::BAD_REQUEST);
    let bad_upload = replace(&p, &here, json!({"passphrase": {"upload": b64(b"junk"), "file": b64(&wrapped(&citizen.identity, new))}, "recovery": null})).await;
    assert_eq!(bad_upload.status(), StatusCode::BAD_REQUEST);
    let done = replace(
        &p,
        &here,
        json!({"passphrase": {"upload": b64(&upload), "file": b64(&wrapped(&citizen.identity, new))}, "recovery": null}),
    )
    .await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    assert_eq!(status(&p, "GET", &here, "/api/v1/pod").await, StatusCode::OK);
    assert_eq!(status(&p, "GET", &elsewhere, "/api/v1/pod").await, StatusCode::UNAUTHORIZED);
    assert!(log_in(&p, &citizen.pod_id, Credential::Passphrase, new).await.is_ok());
    assert!(log_in(&p, &citizen.pod_id, Credential::Recovery, &citizen.recovery_code).await.is_ok(), "the code still works");
}

on_every_backend!(an_export_restores_with_pod_restore, an_export_restores_with_pod_restore_on);
async fn an_export_restores_with_pod_restore_on(backend: &Backend) {
    // A real pod, made natively, moved to the provider the way the browser imports one.
    let tmp = tempfile::tempdir().unwrap();
    let local = pod::store::PodDir::new(tmp.path().join("local"));
    let passphrase = SecretString::from("correct horse battery staple".to_owned());
    let created = local.init(&passphrase, KdfCost::InsecureForTests).unwrap();
    let ids: Vec<_> = {
        let unlocked = local.unlock(&passphrase).unwrap();
        (0..3)
            .map(|n| unlocked.put(pod::store::RecordKind::Settings, None, format!("setting {n}").as_bytes()).unwrap())
            .collect()
    };
    let backup_path = tmp.path().join("backup.json");
    local.backup(&backup_path).unwrap();
    let backup = pod::store::backup::read_backup(&std::fs::read(&backup_path).unwrap(), "backup").unwrap();
    let identity = unwrap_identity(&backup.identity_file, &passphrase, "identity").unwrap();

    let p = start(backend, "").await;
    let recovery_code = age::secrecy::ExposeSecret::expose_secret(&created.recovery_code).to_owned();
    let citizen = sign_up_as(
        &p,
        "correct horse battery staple",
        &recovery_code,
        identity,
        &backup.identity_file,
        &backup.recovery_file,
    )
    .await;
    let token = log_in(&p, &citizen.pod_id, Credential::Passphrase, &citizen.passphrase).await.unwrap();
    let writes: Vec<serde_json::Value> = backup
        .changes
        .iter()
        .map(|change| match change {
            pod::store::backend::Change::Put(space, key, value) => {
                let name = provider_api::RecordName::new(*space, key).unwrap();
                json!({"name": name.to_string(), "expect": "absent", "bytes": b64(value)})
            }
            other => panic!("a backup only puts: {other:?}"),
        })
        .collect();
    assert!(writes.len() >= 7, "a data key, three records and their index entries");
    let _: serde_json::Value = post_json(&p, "/api/v1/batch", Some(&token), &json!({"writes": writes}), StatusCode::OK).await;

    let export = http().get(format!("{}/api/v1/pod/export", p.url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(export.status(), StatusCode::OK);
    assert!(export.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let exported = tmp.path().join("exported.json");
    std::fs::write(&exported, export.bytes().await.unwrap()).unwrap();

    let restored = pod::store::PodDir::new(tmp.path().join("restored"));
    restored.restore(&exported, &passphrase).unwrap();
    let unlocked = restored.unlock(&passphrase).unwrap();
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(unlocked.get(id).unwrap().payload.as_slice(), format!("setting {n}").as_bytes());
    }
}

on_every_backend!(deleting_a_pod_shreds_its_keys_first, deleting_a_pod_shreds_its_keys_first_on);
async fn deleting_a_pod_shreds_its_keys_first_on(backend: &Backend) {
    let p = start(backend, "").await;
    let citizen = sign_up(&p).await;
    let keep = sign_up(&p).await;
    let token = log_in(&p, &citizen.pod_id, Credential::Passphrase, &citizen.passphrase).await.unwrap();
    let kept_token = log_in(&p, &keep.pod_id, Credential::Passphrase, &keep.passphrase).await.unwrap();
    let writes = json!({"writes": [
        {"name": "meta.646174615f6b6579", "expect": "absent", "bytes": b64(b"wrapped data key")},
        {"name": "records.01", "expect": "absent", "bytes": b64(b"sealed")},
    ]});
    let _: serde_json::Value = post_json(&p, "/api/v1/batch", Some(&token), &writes, StatusCode::OK).await;
    let _: serde_json::Value = post_json(&p, "/api/v1/batch", Some(&kept_token), &writes, StatusCode::OK).await;
    let pod_id = provider::vault::PodId::parse(&citizen.pod_id).unwrap();

    // Step one alone: nothing that could open the rest is left, and nobody can log in.
    p.state.vault.shred_keys(pod_id).await.unwrap();
    assert!(p.state.vault.account(pod_id).await.unwrap().is_none());
    let left = p.state.vault.all_records(pod_id).await.unwrap();
    assert_eq!(left.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(), ["records.01"]);
    assert_eq!(status(&p, "GET", &token, "/api/v1/records").await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        log_in(&p, &citizen.pod_id, Credential::Passphrase, &citizen.passphrase).await,
        Err("wrong passphrase".to_owned())
    );
    p.state.vault.delete_rest(pod_id).await.unwrap();
    assert!(p.state.vault.all_records(pod_id).await.unwrap().is_empty());

    // Through the API, in one call; the other pod is untouched.
    let token = log_in(&p, &keep.pod_id, Credential::Passphrase, &keep.passphrase).await.unwrap();
    assert_eq!(status(&p, "DELETE", &token, "/api/v1/pod").await, StatusCode::NO_CONTENT);
    let kept_id = provider::vault::PodId::parse(&keep.pod_id).unwrap();
    assert!(p.state.vault.all_records(kept_id).await.unwrap().is_empty());
    assert_eq!(status(&p, "GET", &kept_token, "/api/v1/pod").await, StatusCode::UNAUTHORIZED);
}

on_every_backend!(sign_up_refuses_what_is_not_a_wrapped_key_but_never_opens_it, sign_up_refuses_what_is_not_a_wrapped_key_but_never_opens_it_on);
async fn sign_up_refuses_what_is_not_a_wrapped_key_but_never_opens_it_on(backend: &Backend) {
    let p = start(backend, "").await;
    let passphrase = pod_core::provider_login::Registration::start(b"a passphrase here").unwrap();
    let recovery = pod_core::provider_login::Registration::start(b"a recovery code").unwrap();
    let started: provider_api::wire::SignupStarted = post_json(
        &p,
        "/api/v1/signup/start",
        None,
        &json!({"passphrase_request": b64(&passphrase.request), "recovery_request": b64(&recovery.request)}),
        StatusCode::OK,
    )
    .await;
    let passphrase_upload = passphrase.finish(b"a passphrase here", &started.passphrase_response).unwrap();
    let recovery_upload = recovery.finish(b"a recovery code", &started.recovery_response).unwrap();
    let identity = age::x25519::Identity::generate();
    // An identity file asking for scrypt work factor 2^22 (4 GiB of memory): the provider
    // stores it as bytes. It has no scrypt to run (see the dependency test below).
    let mut expensive = wrapped(&identity, "a passphrase here");
    let text = String::from_utf8_lossy(&expensive).into_owned();
    let stanza = text.lines().nth(1).unwrap().to_owned();
    let mut parts: Vec<&str> = stanza.split(' ').collect();
    *parts.last_mut().unwrap() = "22";
    expensive = text.replacen(&stanza, &parts.join(" "), 1).into_bytes();
    let body = |identity_file: &[u8], recipient: String, pod_id: &str, upload: &[u8]| {
        json!({
            "pod_id": pod_id, "passphrase_upload": b64(upload), "recovery_upload": b64(&recovery_upload),
            "recipient": recipient, "identity_file": b64(identity_file), "recovery_file": b64(&wrapped(&identity, "a recovery code")),
        })
    };
    let recipient = identity.to_public().to_string();
    for (bad, needle) in [
        (body(b"not an age file", recipient.clone(), &started.pod_id, &passphrase_upload), "identity_file"),
        (body(&age::encrypt(&identity.to_public(), b"x").unwrap(), recipient.clone(), &started.pod_id, &passphrase_upload), "scrypt"),
        (body(&expensive, "age1notarecipient".to_owned(), &started.pod_id, &passphrase_upload), "recipient"),
        (body(&expensive, recipient.clone(), "NOT-A-POD", &passphrase_upload), "pod id"),
        (body(&expensive, recipient.clone(), &started.pod_id, b"junk"), "OPAQUE"),
        (json!({"pod_id": started.pod_id}), "request body is invalid"),
    ] {
        let answer = http().post(format!("{}/api/v1/signup/finish", p.url)).json(&bad).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        let text = answer.text().await.unwrap();
        assert!(text.contains(needle), "{needle}: {text}");
    }
    let good = body(&expensive, recipient.clone(), &started.pod_id, &passphrase_upload);
    let _: serde_json::Value = post_json(&p, "/api/v1/signup/finish", None, &good, StatusCode::CREATED).await;
    let again = http().post(format!("{}/api/v1/signup/finish", p.url)).json(&good).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT, "a pod id is taken once");

    for (path, bad) in [
        ("/api/v1/signup/start", json!({"passphrase_request": "AAAA", "recovery_request": "AAAA"})),
        ("/api/v1/login/start", json!({"pod_id": started.pod_id, "credential": "passphrase", "request": "AAAA"})),
        ("/api/v1/login/start", json!({"pod_id": started.pod_id, "credential": "fingerprint", "request": "AAAA"})),
        ("/api/v1/login/finish", json!({"login_id": "xyz", "finalization": "AAAA"})),
    ] {
        let answer = http().post(format!("{}{path}", p.url)).json(&bad).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{path} {bad}");
    }
    let not_json = http()
        .post(format!("{}/api/v1/login/start", p.url))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_share_logins_and_sessions() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(url) = database_url() else { return };
    let backend = Backend::Postgres(fresh_schema(&url).await);
    let (a, b) = tokio::join!(start(&backend, ""), start(&backend, ""));
    let citizen = sign_up(&a).await;
    // The login starts on one server and finishes on the other, behind a load balancer.
    let token = log_in(&b, &citizen.pod_id, Credential::Passphrase, &citizen.passphrase).await.unwrap();
    assert_eq!(status(&a, "GET", &token, "/api/v1/pod").await, StatusCode::OK);
    let login = pod_core::provider_login::Login::start(citizen.passphrase.as_bytes()).unwrap();
    let started: provider_api::wire::LoginStarted = post_json(
        &a,
        "/api/v1/login/start",
        None,
        &json!({"pod_id": citizen.pod_id, "credential": "passphrase", "request": b64(&login.request)}),
        StatusCode::OK,
    )
    .await;
    let done = login.finish(citizen.passphrase.as_bytes(), &started.response).unwrap();
    let _: provider_api::wire::Session = post_json(
        &b,
        "/api/v1/login/finish",
        None,
        &json!({"login_id": started.login_id, "finalization": b64(&done.finalization)}),
        StatusCode::OK,
    )
    .await;
}

/// The provider has no code that could open a citizen's data: neither `age` nor `scrypt` (nor
/// the pod core, which holds both) is anywhere in its dependency tree. A sign-up or import that
/// names an expensive work factor can therefore cost the server nothing. Nor has it an HTTP
/// client library: it makes no request of its own (P-12, P-13).
#[test]
fn the_provider_links_no_age_no_scrypt_and_no_pod_core() {
    let output = std::process::Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--locked", "-p", "provider", "-e", "normal,build", "--prefix", "none"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let tree = String::from_utf8(output.stdout).unwrap();
    let crates: std::collections::BTreeSet<&str> = tree.lines().filter_map(|l| l.split(' ').next()).collect();
    assert!(crates.contains("opaque-ke") && crates.contains("axum"), "the tree was read: {crates:?}");
    for forbidden in [
        "age", "age-core", "scrypt", "pod-core", "pod", "fetcher", "chacha20poly1305", "x25519-dalek", "reqwest", "oauth2",
    ] {
        assert!(!crates.contains(forbidden), "the provider links {forbidden}");
    }
}
