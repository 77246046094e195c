//! The HTML pages of `pod serve`, one module per feature. Handlers are thin: they gather what a
//! page shows from the unlocked pod and hand it to `pod_ui`, which renders the same pages in the
//! browser at a provider. askama escapes every string (organisation text included).
//!
//! This module has what every page shares: the [`Citizen`] extractor (built on
//! [`Unlocked`]), the language, the chrome, and the pages around unlocking.

pub mod arrangement;
pub mod fetch;
pub mod matter;
pub mod overview;
pub mod settings;

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use axum::extract::State;
use pod_ui::i18n::{Text, t};
use pod_ui::{Chrome, Place};
use schemas::lang::Lang;
use serde::Deserialize;
use tower_sessions::Session;

use super::App;
use super::api;
pub(crate) use super::lang::lang_of;
use super::security::AnonymousCsrf;
use super::unlocked::Unlocked;


/// The chrome of an unlocked citizen's page (its forms carry the session's CSRF token).
async fn chrome(lang: Lang, session: &Session) -> Chrome {
    let csrf: Option<String> = session.get(super::CSRF_KEY).await.ok().flatten();
    Chrome {
        lang,
        unlocked: true,
        csrf: csrf.unwrap_or_default(),
        place: Place::Local,
    }
}

/// This machine's offset from UTC, for the times pages show.
fn local_offset() -> chrono::FixedOffset {
    *chrono::Local::now().offset()
}

/// An unlocked citizen's request to a page: the pod, the language and the page chrome. A locked
/// (or other) session is sent to the unlock page instead.
pub struct Citizen {
    /// The unlocked pod.
    pub pod: Arc<crate::store::UnlockedPod>,
    /// The citizen's language.
    pub lang: Lang,
    /// What every page shows around its content.
    pub chrome: Chrome,
}

impl FromRequestParts<Arc<App>> for Citizen {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        let unlocked = <Unlocked as OptionalFromRequestParts<Arc<App>>>::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let Some(Unlocked(pod)) = unlocked else {
            return Err(Redirect::to("/").into_response());
        };
        let session = Session::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let lang = lang_of(&parts.headers);
        Ok(Citizen {
            pod,
            lang,
            chrome: chrome(lang, &session).await,
        })
    }
}

/// A rendered page as a response (a template error is logged and answered 500).
pub fn page(rendered: pod_ui::Rendered) -> Response {
    match rendered {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

async fn unlock_page(lang: Lang, anonymous: &AnonymousCsrf, error: Option<&str>, status: StatusCode) -> Response {
    let chrome = Chrome {
        lang,
        unlocked: false,
        csrf: anonymous.0.clone(),
        place: Place::Local,
    };
    (status, page(pod_ui::pages::unlock(&chrome, error))).into_response()
}

#[derive(Deserialize)]
pub struct UnlockForm {
    #[serde(default)]
    passphrase: String,
}

/// `POST /unlock`.
pub async fn unlock(
    State(app): State<Arc<App>>,
    session: Session,
    Extension(anonymous): Extension<AnonymousCsrf>,
    headers: HeaderMap,
    Form(form): Form<UnlockForm>,
) -> Response {
    let lang = lang_of(&headers);
    match api::unlock_session(&app, &session, &form.passphrase).await {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => {
            let (status, key) = match e.into_response().status() {
                StatusCode::TOO_MANY_REQUESTS => (StatusCode::TOO_MANY_REQUESTS, Text::Wait),
                status => (status, Text::WrongPassphrase),
            };
            unlock_page(lang, &anonymous, Some(t(lang, key)), status).await
        }
    }
}

/// `POST /lock`.
pub async fn lock(State(app): State<Arc<App>>, session: Session) -> Response {
    app.lock();
    let _ = session.flush().await;
    Redirect::to("/").into_response()
}

/// `GET /lang/{nl|en}`: remembers the language in a cookie and goes back to the overview.
pub async fn set_language(Path(lang): Path<String>) -> Response {
    let lang = if lang == "en" { "en" } else { "nl" };
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/".to_owned()),
            (
                header::SET_COOKIE,
                format!("lang={lang}; Path=/; SameSite=Strict; Max-Age=31536000"),
            ),
        ],
    )
        .into_response()
}

/// `GET /static/app.css`: shipped inside the binary.
pub async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], pod_ui::STYLESHEET)
        .into_response()
}
