//! One matter: `/matters/{org:index}`, with its timeline and how to reach the organisation.

use axum::extract::Path;
use axum::response::{IntoResponse, Response};

use super::{Citizen, page};
use crate::web::api;

/// `GET /matters/{org:index}`.
pub async fn matter(citizen: Citizen, Path(id): Path<String>) -> Response {
    match api::matter_detail(&citizen.pod, &id) {
        Ok(detail) => page(pod_ui::pages::matter(&citizen.chrome, &detail)),
        Err(e) => e.into_response(),
    }
}
