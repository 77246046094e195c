//! The pages of the browser app: the same `pod_ui` functions `pod serve` renders, here over the
//! records this tab opened. Links in these pages are fragments (`#/…`), so navigating never
//! sends anything to the provider; `pod-web/app.js` routes them and handles each form.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use pod_core::records::RecordId;
use pod_ui::{Chrome, Place};
use schemas::lang::Lang;
use wasm_bindgen::prelude::*;

use crate::{Pod, parse_time, to_json};

fn chrome(lang: &str, unlocked: bool) -> Chrome {
    Chrome {
        lang: if lang == "en" { Lang::En } else { Lang::Nl },
        unlocked,
        csrf: String::new(),
        place: Place::Browser,
    }
}

/// The citizen's clock: `now`, and their offset from UTC in minutes (JavaScript's
/// `-new Date().getTimezoneOffset()`).
fn clock(now: &str, offset_minutes: i32) -> Result<(DateTime<Utc>, FixedOffset, NaiveDate), JsError> {
    let now = parse_time(now)?;
    let offset = FixedOffset::east_opt(offset_minutes.saturating_mul(60))
        .ok_or_else(|| JsError::new("the time zone offset is out of range"))?;
    Ok((now, offset, now.with_timezone(&offset).date_naive()))
}

fn rendered(result: pod_ui::Rendered) -> Result<String, JsError> {
    result.map_err(|e| JsError::new(&format!("a page could not be shown: {e}")))
}

#[wasm_bindgen]
impl Pod {
    /// The page at `route` (`/`, `/matters/{id}`, `/fetch`, `/arrangement`,
    /// `/arrangements/{id}`, `/settings`, `/export/print`, `/audit`) in `lang` (`nl` or `en`).
    pub fn page(&self, route: &str, lang: &str, now: &str, offset_minutes: i32) -> Result<String, JsError> {
        let chrome = chrome(lang, true);
        let (now, offset, today) = clock(now, offset_minutes)?;
        let session = &self.session;
        let organisations = || session.scheme().organisations;
        let html = match route.trim_end_matches('/') {
            "" => pod_ui::pages::overview(&chrome, &session.overview(today, now), offset),
            "/fetch" => pod_ui::pages::fetch(&chrome, &organisations()),
            "/arrangement" => pod_ui::arrangement::page(
                &chrome,
                &session.overview(today, now),
                &pod_ui::arrangement::ArrangementForm::default(),
                None,
                None,
            ),
            "/settings" => pod_ui::pages::settings(&chrome, &organisations(), None, None),
            "/export/print" => pod_ui::pages::print(&chrome, &session.overview(today, now)),
            "/audit" => pod_ui::pages::audit(&chrome, &session.fetch_log(), offset),
            other => {
                if let Some(id) = other.strip_prefix("/matters/") {
                    let detail = pod_core::matter::parse_id(id)
                        .and_then(|(org, index)| {
                            let latest = session.latest_documents();
                            let document = latest.get(org)?.document.as_ref()?;
                            pod_core::matter::detail(document, org, index, today)
                        })
                        .ok_or_else(|| JsError::new(pod_ui::i18n::t(chrome.lang, pod_ui::i18n::Text::NoSuchMatter)))?;
                    pod_ui::pages::matter(&chrome, &detail)
                } else if let Some(id) = other.strip_prefix("/arrangements/") {
                    let saved = RecordId::parse(id)
                        .and_then(|record| session.arrangement(record))
                        .ok_or_else(|| JsError::new(pod_ui::i18n::t(chrome.lang, pod_ui::i18n::Text::NoSuchPlan)))?;
                    pod_ui::arrangement::saved(
                        &chrome,
                        id,
                        &saved,
                        &session.submissions(),
                        &session.statuses(),
                        &organisations(),
                    )
                } else {
                    return Err(JsError::new(pod_ui::i18n::t(chrome.lang, pod_ui::i18n::Text::NoSuchPage)));
                }
            }
        };
        rendered(html)
    }

    /// The arrangement page for a posted form (`application/x-www-form-urlencoded`): the plan,
    /// or the form again with what is wrong.
    #[wasm_bindgen(js_name = arrangementPage)]
    pub fn arrangement_page(&self, form: &str, lang: &str, now: &str, offset_minutes: i32) -> Result<String, JsError> {
        let chrome = chrome(lang, true);
        let (now, _, today) = clock(now, offset_minutes)?;
        let overview = self.session.overview(today, now);
        let form = pod_ui::arrangement::ArrangementForm::from_urlencoded(form.as_bytes());
        rendered(match form.plan(&overview, today, chrome.lang) {
            Ok(planned) => pod_ui::arrangement::page(&chrome, &overview, &form, Some(&planned), None),
            Err(message) => pod_ui::arrangement::page(&chrome, &overview, &form, None, Some(&message)),
        })
    }

    /// The settings page with the outcome of the last action, and an organisation waiting for
    /// the citizen to compare its fingerprints (`{url, name, id, fingerprints}`), if any.
    #[wasm_bindgen(js_name = settingsPage)]
    pub fn settings_page(&self, lang: &str, message: Option<String>, pending: Option<String>) -> Result<String, JsError> {
        let pending = match pending {
            None => None,
            Some(json) => {
                let value: serde_json::Value = serde_json::from_str(&json).map_err(|e| JsError::new(&e.to_string()))?;
                let field = |name: &str| value[name].as_str().unwrap_or_default().to_owned();
                Some(pod_ui::pages::PendingOrganisation {
                    url: field("url"),
                    name: field("name"),
                    id: field("id"),
                    fingerprints: field("fingerprints"),
                })
            }
        };
        rendered(pod_ui::pages::settings(
            &chrome(lang, true),
            &self.session.scheme().organisations,
            message.as_deref(),
            pending,
        ))
    }

    /// The overview as a download: `json` (as `GET /api/export?format=json`) or `csv`.
    #[wasm_bindgen(js_name = exportOverview)]
    pub fn export_overview(&self, format: &str, now: &str, offset_minutes: i32) -> Result<String, JsError> {
        let (now, _, today) = clock(now, offset_minutes)?;
        let overview = self.session.overview(today, now);
        match format {
            "json" => to_json(&overview),
            "csv" => Ok(overview.to_csv()),
            _ => Err(JsError::new("format must be json or csv")),
        }
    }

    /// The overview as JSON, encrypted to a counsellor's age recipient (`age1…`).
    #[wasm_bindgen(js_name = shareOverview)]
    pub fn share_overview(&self, recipient: &str, now: &str, offset_minutes: i32) -> Result<Vec<u8>, JsError> {
        let recipient: age::x25519::Recipient = recipient
            .trim()
            .parse()
            .map_err(|_| JsError::new("that is not an age recipient (age1…)"))?;
        let (now, _, today) = clock(now, offset_minutes)?;
        let json = serde_json::to_vec_pretty(&self.session.overview(today, now)).map_err(|e| JsError::new(&e.to_string()))?;
        age::encrypt(&recipient, &json).map_err(|e| JsError::new(&e.to_string()))
    }
}

/// The progress page: `organisations` is a JSON array of `{id, name, stage, login_url,
/// message}`, `stage` one of `login`, `fetching`, `verifying`, `done`, `failed`.
#[wasm_bindgen(js_name = renderProgress)]
pub fn render_progress(lang: &str, organisations: &str) -> Result<String, JsError> {
    let organisations: Vec<pod_ui::pages::Progress> =
        serde_json::from_str(organisations).map_err(|e| JsError::new(&e.to_string()))?;
    rendered(pod_ui::pages::progress(&chrome(lang, true), &organisations, pod_ui::pages::Next::Stay))
}

/// The first page of a provider's app: log in, sign up, recover, move a pod here.
#[wasm_bindgen(js_name = renderStart)]
pub fn render_start(lang: &str, pod_id: &str, error: Option<String>) -> Result<String, JsError> {
    rendered(pod_ui::hosted::start(&chrome(lang, false), pod_id, error.as_deref()))
}

/// The one-time page with a new pod's number and recovery code.
#[wasm_bindgen(js_name = renderWelcome)]
pub fn render_welcome(lang: &str, pod_id: &str, recovery_code: &str) -> Result<String, JsError> {
    rendered(pod_ui::hosted::welcome(&chrome(lang, false), pod_id, recovery_code))
}

/// Checks an organisation's descriptor with the JWKS it serves, as `pod scheme add` does:
/// `{descriptor, fingerprints}` to show the citizen before pinning.
#[wasm_bindgen(js_name = descriptorToPin)]
pub fn descriptor_to_pin(descriptor: &[u8], jwks: &[u8]) -> Result<String, JsError> {
    let descriptor = pod_core::scheme::descriptor_to_pin(descriptor, jwks).map_err(|e| JsError::new(&e))?;
    let fingerprints = pod_core::scheme::fingerprints(&descriptor);
    to_json(&serde_json::json!({ "descriptor": descriptor, "fingerprints": fingerprints }))
}

/// One text of the pages in `lang`, for what the app's script says itself (see `pod_ui::i18n`).
/// A key that is not in the table is an error, never shown as it is; a test checks every key
/// the app's script names.
#[wasm_bindgen]
pub fn text(lang: &str, key: &str) -> Result<String, JsError> {
    let lang = if lang == "en" { Lang::En } else { Lang::Nl };
    let text: pod_ui::i18n::Text = key.parse().map_err(|e: schemas::text::UnknownText| JsError::new(&e.to_string()))?;
    Ok(pod_ui::i18n::t(lang, text).to_owned())
}
