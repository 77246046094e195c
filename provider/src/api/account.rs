//! Sign-up, login, logout, and what a signed-in citizen does with the pod as a whole: read its
//! wrapped identity, replace credentials, export, delete.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use provider_api::wire::{
    Credential, CredentialStart, CredentialStarted, CredentialsReplace, LoginFinish, LoginStart, LoginStarted, PodInfo,
    RecoveryFile, Session as SessionAnswer, SignupFinish, SignupStart, SignupStarted, session_token,
};
use provider_api::{MAX_IDENTITY_FILE_BYTES, RecordName, Space};

use super::Body;
use crate::auth::{Session, token_hash};
use crate::failure::Failure;
use crate::opaque::Opaque;
use crate::state::AppState;
use crate::throttle::{attempt, client_key};
use crate::vault::{CredentialUpdate, NewPod, PendingLogin, PodId, SessionRow};

/// How long a login may take between its two messages.
const LOGIN_SECONDS: i64 = 60;
/// The window of the login counters.
const LOGIN_WINDOW_MINUTES: i64 = 15;

fn parse_pod_id(text: &str) -> Result<PodId, Failure> {
    PodId::parse(text).ok_or_else(|| Failure::bad_request("a pod id is 32 lower-case hex digits"))
}

fn bad_opaque(e: crate::opaque::BadMessage) -> Failure {
    Failure::bad_request(e.to_string())
}

/// Refuses what is not shaped like an age file wrapped by a secret, without opening it.
fn check_identity_file(file: &[u8], what: &str) -> Result<(), Failure> {
    if !provider_api::looks_like_wrapped_identity(file) {
        return Err(Failure::bad_request(format!(
            "{what} must be an age file wrapped by a passphrase (scrypt), under {MAX_IDENTITY_FILE_BYTES} bytes"
        )));
    }
    Ok(())
}

fn check_recipient(recipient: &str) -> Result<(), Failure> {
    if !provider_api::looks_like_recipient(recipient) {
        return Err(Failure::bad_request("recipient must be an age X25519 recipient (age1…)"));
    }
    Ok(())
}

/// `POST /api/v1/signup/start`
pub async fn signup_start(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Body(body): Body<SignupStart>,
) -> Result<Json<SignupStarted>, Failure> {
    let client = client_key(&state, &headers, peer);
    attempt(&state, &format!("signup:{client}"), state.config.limits.signups_per_address * 2, 60, "sign-up").await?;
    let pod_id = PodId::random();
    let passphrase_response = state
        .opaque
        .registration_response(pod_id, Credential::Passphrase, &body.passphrase_request)
        .map_err(bad_opaque)?;
    let recovery_response = state
        .opaque
        .registration_response(pod_id, Credential::Recovery, &body.recovery_request)
        .map_err(bad_opaque)?;
    Ok(Json(SignupStarted {
        pod_id: pod_id.to_string(),
        passphrase_response,
        recovery_response,
    }))
}

/// `POST /api/v1/signup/finish`
pub async fn signup_finish(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Body(body): Body<SignupFinish>,
) -> Result<Response, Failure> {
    let client = client_key(&state, &headers, peer);
    attempt(&state, &format!("signup:{client}"), state.config.limits.signups_per_address * 2, 60, "sign-up").await?;
    let pod_id = parse_pod_id(&body.pod_id)?;
    check_recipient(&body.recipient)?;
    check_identity_file(&body.identity_file, "identity_file")?;
    check_identity_file(&body.recovery_file, "recovery_file")?;
    let pod = NewPod {
        pod_id,
        recipient: body.recipient,
        identity_file: body.identity_file,
        recovery_file: body.recovery_file,
        passphrase_record: Opaque::registration_record(&body.passphrase_upload).map_err(bad_opaque)?,
        recovery_record: Opaque::registration_record(&body.recovery_upload).map_err(bad_opaque)?,
    };
    state.vault.create_pod(pod, state.now()).await?;
    tracing::info!("pod created");
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "pod_id": pod_id.to_string() }))).into_response())
}

/// `POST /api/v1/login/start`
pub async fn login_start(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Body(body): Body<LoginStart>,
) -> Result<Json<LoginStarted>, Failure> {
    let pod_id = parse_pod_id(&body.pod_id)?;
    let limits = state.config.limits;
    let client = client_key(&state, &headers, peer);
    attempt(&state, &format!("login-address:{client}"), limits.logins_per_address, LOGIN_WINDOW_MINUTES, "login").await?;
    attempt(&state, &format!("login-pod:{pod_id}"), limits.logins_per_pod, LOGIN_WINDOW_MINUTES, "login").await?;
    let account = state.vault.account(pod_id).await?;
    let record = account.as_ref().map(|a| a.record(body.credential));
    let (login_state, response) = state
        .opaque
        .login_start(pod_id, body.credential, record, &body.request)
        .map_err(bad_opaque)?;
    let login_id: [u8; 16] = rand::random();
    let now = state.now();
    state
        .vault
        .put_login(
            login_id,
            PendingLogin {
                pod_id,
                scope: body.credential,
                state: login_state,
                expires_at: now + chrono::Duration::seconds(LOGIN_SECONDS),
            },
        )
        .await?;
    // Housekeeping rides on logins, a few times in a hundred: no background job is needed.
    if rand::random::<u8>() < 8 {
        let _ = state.vault.prune(now).await;
    }
    Ok(Json(LoginStarted {
        login_id: PodId(login_id).to_string(),
        response,
    }))
}

/// `POST /api/v1/login/finish`
pub async fn login_finish(State(state): State<AppState>, Body(body): Body<LoginFinish>) -> Result<Json<SessionAnswer>, Failure> {
    let login_id = PodId::parse(&body.login_id).ok_or_else(|| Failure::bad_request("login_id is malformed"))?;
    let now = state.now();
    let wrong = || {
        Failure::new(
            StatusCode::UNAUTHORIZED,
            "login_failed",
            "the login failed: the passphrase may be wrong, or the login took longer than a minute; try again",
        )
    };
    let login = state.vault.take_login(login_id.0, now).await?.ok_or_else(wrong)?;
    let session_key = Opaque::login_finish(&login.state, &body.finalization).ok_or_else(wrong)?;
    // A login that succeeded is not a guess: it does not count against the pod.
    let window = chrono::Duration::minutes(LOGIN_WINDOW_MINUTES);
    state.vault.count(&format!("login-pod:{}", login.pod_id), -1, now, window).await?;
    let expires_at = now + state.session_idle();
    state
        .vault
        .create_session(
            token_hash(&session_token(&session_key)),
            SessionRow {
                pod_id: login.pod_id,
                scope: login.scope,
                expires_at,
            },
        )
        .await?;
    tracing::info!(scope = login.scope.name(), "logged in");
    Ok(Json(SessionAnswer {
        pod_id: login.pod_id.to_string(),
        scope: login.scope,
        expires_at: expires_at.to_rfc3339(),
    }))
}

/// `POST /api/v1/logout`
pub async fn logout(State(state): State<AppState>, session: Session) -> Result<StatusCode, Failure> {
    state.vault.end_session(session.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/pod`
pub async fn pod_info(State(state): State<AppState>, session: Session) -> Result<Json<PodInfo>, Failure> {
    let pod_id = session.full()?;
    let account = state.vault.account(pod_id).await?.ok_or_else(Failure::unauthenticated)?;
    let quotas = state.config.quotas;
    Ok(Json(PodInfo {
        pod_id: pod_id.to_string(),
        recipient: account.recipient,
        identity_file: account.identity_file,
        usage: account.usage,
        quota: provider_api::wire::Usage {
            records: quotas.records,
            bytes: quotas.bytes,
        },
    }))
}

/// `GET /api/v1/pod/recovery-file`
pub async fn recovery_file(State(state): State<AppState>, session: Session) -> Result<Json<RecoveryFile>, Failure> {
    let account = state
        .vault
        .account(session.pod_id)
        .await?
        .ok_or_else(Failure::unauthenticated)?;
    Ok(Json(RecoveryFile {
        recovery_file: account.recovery_file,
    }))
}

/// `POST /api/v1/pod/credentials/start`
pub async fn credential_start(
    State(state): State<AppState>,
    session: Session,
    Body(body): Body<CredentialStart>,
) -> Result<Json<CredentialStarted>, Failure> {
    let response = state
        .opaque
        .registration_response(session.pod_id, body.credential, &body.request)
        .map_err(bad_opaque)?;
    Ok(Json(CredentialStarted { response }))
}

/// `PUT /api/v1/pod/credentials`
pub async fn credentials_replace(
    State(state): State<AppState>,
    session: Session,
    Body(body): Body<CredentialsReplace>,
) -> Result<StatusCode, Failure> {
    let update = |new: Option<provider_api::wire::NewCredential>, what: &str| -> Result<Option<CredentialUpdate>, Failure> {
        new.map(|new| {
            check_identity_file(&new.file, what)?;
            Ok(CredentialUpdate {
                record: Opaque::registration_record(&new.upload).map_err(bad_opaque)?,
                file: new.file,
            })
        })
        .transpose()
    };
    let passphrase = update(body.passphrase, "the passphrase's identity file")?;
    let recovery = update(body.recovery, "the recovery file")?;
    let keep = match session.scope {
        Credential::Passphrase if passphrase.is_none() && recovery.is_none() => {
            return Err(Failure::bad_request("give a new passphrase, a new recovery code, or both"));
        }
        Credential::Passphrase => session.token_hash,
        // A recovery replaces both secrets, and ends every session, its own included.
        Credential::Recovery if passphrase.is_none() || recovery.is_none() => {
            return Err(Failure::bad_request(
                "after a recovery, set both a new passphrase and a new recovery code",
            ));
        }
        Credential::Recovery => [0; 32],
    };
    state
        .vault
        .replace_credentials(session.pod_id, passphrase, recovery, keep)
        .await?;
    tracing::info!(by = session.scope.name(), "credentials replaced");
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/pod`: crypto-shredding, then deletion.
pub async fn delete_pod(State(state): State<AppState>, session: Session) -> Result<StatusCode, Failure> {
    let pod_id = session.full()?;
    state.vault.delete_pod(pod_id).await?;
    tracing::info!("pod deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/pod/export`: the backup format `pod restore` reads (`betaalpod-backup/1`),
/// written from ciphertext alone.
pub async fn export(State(state): State<AppState>, session: Session) -> Result<Response, Failure> {
    let pod_id = session.full()?;
    let account = state.vault.account(pod_id).await?.ok_or_else(Failure::unauthenticated)?;
    let mut spaces = serde_json::Map::new();
    for space in Space::ALL {
        spaces.insert(space.name().to_owned(), serde_json::Value::Array(Vec::new()));
    }
    for (name, bytes) in state.vault.all_records(pod_id).await? {
        let Some(name) = RecordName::parse(&name) else { continue };
        if let Some(serde_json::Value::Array(entries)) = spaces.get_mut(name.space().name()) {
            entries.push(serde_json::json!([B64.encode(name.key()), B64.encode(bytes)]));
        }
    }
    let backup = serde_json::json!({
        "format": "betaalpod-backup/1",
        "identity": B64.encode(&account.identity_file),
        "recovery": B64.encode(&account.recovery_file),
        "spaces": spaces,
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"betaalpod-backup.json\""),
        ],
        backup.to_string(),
    )
        .into_response())
}
