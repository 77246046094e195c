//! Settings: the organisations the pod trusts (adding one after the citizen compares its key
//! fingerprint, removing one) and the passphrase.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pod_core::scheme::fingerprints;
use pod_ui::i18n::{Text, t};
use pod_ui::pages::PendingOrganisation;
use serde::Deserialize;

use super::{Citizen, page};
use crate::web::App;
use crate::web::error::ApiError;

/// `GET /settings`: the scheme with key fingerprints, the passphrase, backups.
pub async fn settings(citizen: Citizen) -> Response {
    settings_page(&citizen, None, None, StatusCode::OK)
}

/// The settings page with `message` (and an organisation waiting for the citizen's check).
fn settings_page(
    citizen: &Citizen,
    message: Option<String>,
    pending: Option<PendingOrganisation>,
    status: StatusCode,
) -> Response {
    match crate::scheme::load(&citizen.pod) {
        Ok(scheme) => {
            let rendered = pod_ui::pages::settings(&citizen.chrome, &scheme.organisations, message.as_deref(), pending);
            (status, page(rendered)).into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The settings page with one of the pages' texts as its message.
fn settings_said(citizen: &Citizen, text: Text, status: StatusCode) -> Response {
    settings_page(citizen, Some(t(citizen.lang, text).to_owned()), None, status)
}

#[derive(Deserialize)]
pub struct PassphraseForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
}

/// `POST /settings/passphrase`.
pub async fn change_passphrase(
    State(app): State<Arc<App>>,
    citizen: Citizen,
    Form(form): Form<PassphraseForm>,
) -> Response {
    let (current, new) = (
        age::secrecy::SecretString::from(form.current),
        age::secrecy::SecretString::from(form.new),
    );
    let opener = app.opener.clone();
    let pod = citizen.pod.clone();
    let result = tokio::task::spawn_blocking(move || opener.change_passphrase(&pod, &current, &new)).await;
    match result {
        Ok(Ok(())) => settings_said(&citizen, Text::PassphraseChanged, StatusCode::OK),
        Ok(Err(crate::store::PodError::WeakPassphrase(message) | crate::store::PodError::Unsupported(message))) => {
            settings_page(&citizen, Some(message), None, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Ok(Err(crate::store::PodError::WrongPassphrase)) => {
            settings_said(&citizen, Text::WrongPassphrase, StatusCode::UNAUTHORIZED)
        }
        Ok(Err(e)) => ApiError::from(e).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

#[derive(Deserialize)]
pub struct SchemeForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    fingerprints: String,
    #[serde(default)]
    id: String,
}

/// `POST /settings/scheme/check`: reads an organisation's descriptor and keys and asks the
/// citizen to compare the fingerprint before anything is trusted.
pub async fn scheme_check(citizen: Citizen, Form(form): Form<SchemeForm>) -> Response {
    let found = match url::Url::parse(form.url.trim()) {
        Ok(url) => crate::scheme::discover(&url).await.ok().map(|d| (url, d)),
        Err(_) => None,
    };
    let Some((url, descriptor)) = found else {
        return settings_said(&citizen, Text::Unreachable, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let pending = PendingOrganisation {
        url: url.to_string(),
        name: descriptor.name.clone(),
        id: descriptor.id.to_string(),
        fingerprints: fingerprints(&descriptor),
    };
    settings_page(&citizen, None, Some(pending), StatusCode::OK)
}

/// `POST /settings/scheme/pin`: pins the organisation, if its keys are still the ones the
/// citizen compared.
pub async fn scheme_pin(citizen: Citizen, Form(form): Form<SchemeForm>) -> Response {
    let Ok(url) = url::Url::parse(&form.url) else {
        return settings_said(&citizen, Text::Unreachable, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let Ok(descriptor) = crate::scheme::discover(&url).await else {
        return settings_said(&citizen, Text::Unreachable, StatusCode::UNPROCESSABLE_ENTITY);
    };
    if fingerprints(&descriptor) != form.fingerprints {
        return settings_said(&citizen, Text::KeyChanged, StatusCode::CONFLICT);
    }
    let pod = &citizen.pod;
    let result = crate::scheme::load(pod).and_then(|mut scheme| {
        scheme.pin(descriptor);
        crate::scheme::save(pod, &scheme)
    });
    match result {
        Ok(()) => settings_said(&citizen, Text::Pinned, StatusCode::OK),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /settings/scheme/remove`: stops trusting an organisation (its stored data stays).
pub async fn scheme_remove(citizen: Citizen, Form(form): Form<SchemeForm>) -> Response {
    let pod = &citizen.pod;
    let result = crate::scheme::load(pod).and_then(|mut scheme| {
        scheme.organisations.retain(|o| o.id.as_str() != form.id);
        crate::scheme::save(pod, &scheme)
    });
    match result {
        Ok(()) => settings_said(&citizen, Text::Removed, StatusCode::OK),
        Err(e) => ApiError::from(e).into_response(),
    }
}
