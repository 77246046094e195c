//! A pod's records: list, get, put with a version check, delete, and atomic batches. The bytes
//! are sealed by the browser; the provider stores and serves them as they are.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use provider_api::wire::{Batch, BatchDone, Expect, MAX_BATCH_WRITES, RecordList};
use provider_api::{MAX_RECORD_BYTES, RecordName};

use super::Body;
use crate::auth::Session;
use crate::failure::Failure;
use crate::state::AppState;
use crate::vault::Write;

/// The largest total of record bytes in one batch.
pub const MAX_BATCH_BYTES: usize = 3 * MAX_RECORD_BYTES;

fn record_name(text: &str) -> Result<String, Failure> {
    RecordName::parse(text)
        .map(|name| name.to_string())
        .ok_or_else(|| Failure::bad_request("a record name is meta., records. or index. followed by lower-case hex"))
}

fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&provider_api::etag(version)).expect("a number in quotes is a header value")
}

/// What `If-Match` / `If-None-Match` ask for; 428 when neither is there.
fn expectation(headers: &HeaderMap) -> Result<Expect, Failure> {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::trim);
    if text(header::IF_NONE_MATCH) == Some("*") {
        return Ok(Expect::Absent);
    }
    if let Some(tag) = text(header::IF_MATCH) {
        let version = provider_api::parse_etag(tag).ok_or_else(|| Failure::bad_request("If-Match must be an ETag from this API, like \"12\""))?;
        return Ok(Expect::Version(version));
    }
    Err(Failure::new(
        StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
        "say what you expect: If-None-Match: * to create, or If-Match with the ETag you read to replace",
    ))
}

/// `GET /api/v1/records`
pub async fn list(State(state): State<AppState>, session: Session) -> Result<Json<RecordList>, Failure> {
    let records = state.vault.list(session.full()?).await?;
    Ok(Json(RecordList { records }))
}

/// `GET /api/v1/records/{name}`: the session and the record in one vault round trip, since this
/// is what a pod does most.
pub async fn get(State(state): State<AppState>, headers: HeaderMap, Path(name): Path<String>) -> Result<Response, Failure> {
    let token_hash = crate::auth::bearer_hash(&headers).ok_or_else(Failure::unauthenticated)?;
    let name = record_name(&name)?;
    let (session, record) = state
        .vault
        .session_and_record(token_hash, state.now(), state.session_idle(), &name)
        .await?
        .ok_or_else(Failure::unauthenticated)?;
    Session {
        pod_id: session.pod_id,
        scope: session.scope,
        token_hash,
    }
    .full()?;
    let record = record.ok_or_else(|| Failure::not_found(format!("there is no record {name}")))?;
    let mut response = (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"))],
        record.bytes,
    )
        .into_response();
    response.headers_mut().insert(header::ETAG, etag(record.version));
    Ok(response)
}

/// `PUT /api/v1/records/{name}`
pub async fn put(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, Failure> {
    let pod_id = session.full()?;
    let name = record_name(&name)?;
    let expect = expectation(&headers)?;
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(too_large());
    }
    let write = Write {
        name,
        expect,
        bytes: Some(bytes.to_vec()),
    };
    let written = state.vault.write(pod_id, vec![write], quota(&state)).await?;
    let version = written.first().map_or(0, |r| r.version);
    let status = if expect == Expect::Absent { StatusCode::CREATED } else { StatusCode::OK };
    let mut response = status.into_response();
    response.headers_mut().insert(header::ETAG, etag(version));
    Ok(response)
}

/// `DELETE /api/v1/records/{name}`
pub async fn delete(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, Failure> {
    let pod_id = session.full()?;
    let name = record_name(&name)?;
    let expect = expectation(&headers)?;
    if expect == Expect::Absent {
        return Err(Failure::bad_request("a delete needs If-Match with the ETag you read"));
    }
    let write = Write {
        name,
        expect,
        bytes: None,
    };
    state.vault.write(pod_id, vec![write], quota(&state)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/batch`
pub async fn batch(State(state): State<AppState>, session: Session, Body(body): Body<Batch>) -> Result<Json<BatchDone>, Failure> {
    let pod_id = session.full()?;
    if body.writes.is_empty() || body.writes.len() > MAX_BATCH_WRITES {
        return Err(Failure::bad_request(format!("a batch holds 1 to {MAX_BATCH_WRITES} writes")));
    }
    let mut writes = Vec::with_capacity(body.writes.len());
    let mut total = 0;
    for write in body.writes {
        let name = record_name(&write.name)?;
        if writes.iter().any(|w: &Write| w.name == name) {
            return Err(Failure::bad_request(format!("{name} appears twice in the batch")));
        }
        let size = write.bytes.as_ref().map_or(0, Vec::len);
        if size > MAX_RECORD_BYTES {
            return Err(too_large());
        }
        total += size;
        if write.bytes.is_none() && write.expect == Expect::Absent {
            return Err(Failure::bad_request(format!("deleting {name} needs its version")));
        }
        writes.push(Write {
            name,
            expect: write.expect,
            bytes: write.bytes,
        });
    }
    if total > MAX_BATCH_BYTES {
        return Err(too_large());
    }
    let records = state.vault.write(pod_id, writes, quota(&state)).await?;
    Ok(Json(BatchDone { records }))
}

fn quota(state: &AppState) -> provider_api::wire::Usage {
    provider_api::wire::Usage {
        records: state.config.quotas.records,
        bytes: state.config.quotas.bytes,
    }
}

fn too_large() -> Failure {
    Failure::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("a record may be at most {MAX_RECORD_BYTES} bytes, and a batch three times that"),
    )
}
