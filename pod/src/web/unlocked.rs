//! The one way a handler reaches the pod: the [`Unlocked`] extractor. It finds the pod that
//! this request's session unlocked; a handler that takes it never runs for a locked or foreign
//! session. The API answers such a request 401 `locked`; the pages build their `Citizen` on it
//! and send the browser to the unlock page instead.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use tower_sessions::Session;

use super::error::ApiError;
use super::{App, UNLOCK_KEY};
use crate::store::UnlockedPod;

/// The pod this request's session unlocked.
pub struct Unlocked(pub Arc<UnlockedPod>);

impl Deref for Unlocked {
    type Target = Arc<UnlockedPod>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl FromRequestParts<Arc<App>> for Unlocked {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        <Self as OptionalFromRequestParts<Arc<App>>>::from_request_parts(parts, app)
            .await?
            .ok_or_else(ApiError::locked)
    }
}

impl OptionalFromRequestParts<Arc<App>> for Unlocked {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Option<Self>, ApiError> {
        // Without a session layer there is no session, so nothing was unlocked.
        let Ok(session) = <Session as FromRequestParts<Arc<App>>>::from_request_parts(parts, app).await else {
            return Ok(None);
        };
        let token: Option<String> = session.get(UNLOCK_KEY).await.ok().flatten();
        Ok(app.pod_for(token.as_deref()).map(Unlocked))
    }
}
