//! The overview: `/` (or the unlock page while locked), and what a citizen takes from it: a
//! printable page and an encrypted copy for a debt counsellor.

use axum::Extension;
use axum::Form;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pod_ui::i18n::{Text, t};
use serde::Deserialize;
use tower_sessions::Session;

use super::{Citizen, chrome, lang_of, local_offset, page, unlock_page};
use crate::web::error::ApiError;
use crate::web::security::AnonymousCsrf;
use crate::web::unlocked::Unlocked;

/// `GET /`: the overview when unlocked, else the unlock page.
pub async fn home(
    pod: Option<Unlocked>,
    session: Session,
    Extension(anonymous): Extension<AnonymousCsrf>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    let Some(Unlocked(pod)) = pod else {
        return unlock_page(lang, &anonymous, None, StatusCode::OK).await;
    };
    match crate::overview::of(&pod, chrono::Local::now().date_naive(), chrono::Utc::now()) {
        Ok(overview) => page(pod_ui::pages::overview(
            &chrome(lang, &session).await,
            &overview,
            local_offset(),
        )),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /export/print`: a plain, printable overview for a debt counsellor.
pub async fn print(citizen: Citizen) -> Response {
    match crate::overview::of(&citizen.pod, chrono::Local::now().date_naive(), chrono::Utc::now()) {
        Ok(overview) => page(pod_ui::pages::print(&citizen.chrome, &overview)),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct ShareForm {
    #[serde(default)]
    recipient: String,
}

/// `POST /export/share`: the overview as JSON, encrypted to the counsellor's age key.
pub async fn share(citizen: Citizen, Form(form): Form<ShareForm>) -> Response {
    let Citizen { pod, lang, .. } = citizen;
    let Ok(recipient) = form.recipient.trim().parse::<age::x25519::Recipient>() else {
        return ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", t(lang, Text::BadRecipient)).into_response();
    };
    let overview = match crate::overview::of(&pod, chrono::Local::now().date_naive(), chrono::Utc::now()) {
        Ok(overview) => overview,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Ok(json) = serde_json::to_vec_pretty(&overview) else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    match age::encrypt(&recipient, &json) {
        Ok(encrypted) => (
            [
                (header::CONTENT_TYPE, "application/age"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"betaaloverzicht.json.age\"",
                ),
            ],
            encrypted,
        )
            .into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}
