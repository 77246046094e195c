//! The one error answer of the JSON API: `{"error": {"code": …, "message": …}}`, with a stable
//! code for programs and a message for people.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::store::PodError;

/// An API error.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// An error with a status, a stable code and a message for people.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 401: the pod is locked (for this session).
    pub fn locked() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "locked", "the pod is locked; unlock it first")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response()
    }
}

impl From<PodError> for ApiError {
    fn from(e: PodError) -> Self {
        match e {
            PodError::WrongPassphrase => {
                ApiError::new(StatusCode::UNAUTHORIZED, "wrong_passphrase", "wrong passphrase")
            }
            PodError::BackingOff(s) => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("too many wrong passphrases; wait {s} seconds"),
            ),
            PodError::Lock(e) => ApiError::new(StatusCode::CONFLICT, "in_use", e.to_string()),
            PodError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such record"),
            PodError::Unsupported(message) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unsupported", message),
            other => {
                tracing::error!(error = %other, "pod error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", other.to_string())
            }
        }
    }
}
