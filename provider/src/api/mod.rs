//! The storage API's handlers (docs/PROVIDER.md). Each is thin: parse, check, one vault call.

pub mod account;
pub mod records;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};

use crate::failure::Failure;

/// A JSON body whose rejection is one of our error answers, with serde's message.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Failure;

    async fn from_request(request: Request, state: &S) -> Result<Self, Failure> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(JsonRejection::JsonDataError(e)) => Err(Failure::bad_request(format!("the request body is invalid: {}", e.body_text()))),
            Err(e) => Err(Failure::bad_request(format!("the request body is not JSON: {}", e.body_text()))),
        }
    }
}
