//! The one error answer of the JSON endpoints, in the OAuth style (RFC 6749 §5.2, RFC 6750 §3):
//! `{"error": …, "error_description": …}`. Handlers return `Result<Response, ApiError>` and say
//! what went wrong with `?` or `Err(…)`; this module alone turns that into HTTP.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An error answer: its status, its OAuth `error` code and a description for people.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: &'static str,
    description: String,
    retry_after: Option<u64>,
    bearer_challenge: bool,
    no_store: bool,
}

impl ApiError {
    /// An error with `status` and the OAuth `error` code.
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            retry_after: None,
            bearer_challenge: false,
            no_store: false,
        }
    }

    /// 400 `invalid_request`.
    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 404 `not_found`.
    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", description)
    }

    /// 500 `server_error`; the cause goes to the log, not to the client.
    pub fn server_error(description: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", description)
    }

    /// 429 `slow_down`, with `Retry-After` in seconds.
    pub fn slow_down(description: impl Into<String>, wait_seconds: u64) -> Self {
        Self {
            retry_after: Some(wait_seconds),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "slow_down", description)
        }
    }

    /// A refused bearer token (RFC 6750 §3): the answer carries a `WWW-Authenticate` challenge.
    pub fn bearer(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            bearer_challenge: true,
            ..Self::new(status, error, description)
        }
    }

    /// The same, with `Cache-Control: no-store` (token endpoint answers, RFC 6749 §5.1).
    pub fn no_store(self) -> Self {
        Self { no_store: true, ..self }
    }

    /// The OAuth `error` code, for the audit log.
    pub fn code(&self) -> &'static str {
        self.error
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.error, "error_description": self.description });
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(wait) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        if self.bearer_challenge {
            let challenge = format!(
                "Bearer error=\"{}\", error_description=\"{}\"",
                self.error,
                self.description.replace('"', "'")
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                headers.insert(header::WWW_AUTHENTICATE, value);
            }
        }
        if self.no_store {
            crate::response::no_store(headers);
        }
        response
    }
}
