//! The citizen's language, from the `lang` cookie the language link sets: read by the pages and
//! by the API, which records it with a job for the page after a login.

use axum::http::{HeaderMap, header};
use schemas::lang::Lang;

/// The language the `lang` cookie asks for; Dutch without one.
pub(crate) fn lang_of(headers: &HeaderMap) -> Lang {
    let cookies = headers
        .get(header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or_default();
    if cookies.split(';').any(|c| c.trim() == "lang=en") {
        Lang::En
    } else {
        Lang::Nl
    }
}
