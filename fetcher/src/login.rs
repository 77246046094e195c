//! How the citizen logs in at an organisation. The fetch code is the same for every driver;
//! only the way the authorization URL reaches a login form and the callback comes back differs.

use std::collections::HashMap;
use std::future::Future;
use parking_lot::Mutex;

use schemas::descriptor::OrganisationDescriptor;
use tokio::sync::oneshot;
use url::Url;

/// The largest login page [`DevLogin`] reads (the reference one is about 3 KiB).
pub const MAX_LOGIN_PAGE_BYTES: usize = 256 * 1024;

/// How long [`DevLogin`] waits for a login page to arrive whole.
const LOGIN_PAGE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

pub use pod_core::authorization::Callback;

/// Why a login did not complete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginError {
    /// The organisation's login could not be reached.
    Unreachable(String),
    /// The citizen cancelled, or the organisation refused the login.
    Cancelled(String),
}

impl From<String> for LoginError {
    fn from(detail: String) -> Self {
        LoginError::Cancelled(detail)
    }
}

impl From<&str> for LoginError {
    fn from(detail: &str) -> Self {
        LoginError::Cancelled(detail.to_owned())
    }
}

/// Brings the citizen through one organisation's login and returns its callback.
pub trait LoginDriver: Send + Sync {
    /// Logs in at `org` by following `authorization_url`.
    fn login(
        &self,
        org: &OrganisationDescriptor,
        authorization_url: Url,
    ) -> impl Future<Output = Result<Callback, LoginError>> + Send;
}

/// For tests and scripts: fills in the reference `source` dev-login form over HTTP, the way a
/// browser would, and reads the redirect instead of following it.
pub struct DevLogin {
    http: reqwest::Client,
    bsn: String,
    pin: String,
}

impl DevLogin {
    /// Logs in as the citizen with this BSN and PIN (from the organisation's demo data).
    pub fn new(bsn: impl Into<String>, pin: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(bounded_http::POOL_IDLE_TIMEOUT)
            .build()
            .expect("a plain HTTP client builds");
        Self::with_client(bsn, pin, http)
    }

    /// The same, sending its requests with `http` (which must not follow redirects), so a test
    /// can play the citizen's browser with a client it recognises.
    pub fn with_client(bsn: impl Into<String>, pin: impl Into<String>, http: reqwest::Client) -> Self {
        Self {
            http,
            bsn: bsn.into(),
            pin: pin.into(),
        }
    }

    /// Fills in the dev-login page at `authorization_url` and returns where the organisation
    /// sends the browser back to: the client's redirect URI with `code` and `state`, or an error.
    pub async fn follow(&self, authorization_url: Url) -> Result<Url, LoginError> {
        let unreachable = |what: &str, e: reqwest::Error| LoginError::Unreachable(format!("{what}: {e}"));
        let page = self
            .http
            .get(authorization_url.clone())
            .send()
            .await
            .map_err(|e| unreachable("the login page could not be loaded", e))?;
        if page.status().is_redirection() {
            // The server refused the request outright and sent us back with an error.
            return redirect_location(&page);
        }
        if !page.status().is_success() {
            return Err(format!("the login page answered HTTP {}", page.status()).into());
        }
        // The organisation's page is outside input too: read within a size and a time limit.
        let limit = bounded_http::Limit {
            what: "the login page",
            bytes: MAX_LOGIN_PAGE_BYTES,
        };
        let html = tokio::time::timeout(LOGIN_PAGE_DEADLINE, bounded_http::read(page, limit))
            .await
            .map_err(|_| bounded_http::ReadError::Timeout)
            .and_then(|read| read)
            .map_err(|e| LoginError::Unreachable(format!("the login page could not be read: {e}")))?;
        let html = String::from_utf8_lossy(&html.body);
        let (action, fields) = read_form(&html).ok_or("the login page has no form")?;
        let mut form: Vec<(String, String)> = fields
            .into_iter()
            .filter(|(name, _)| name != "bsn" && name != "pin")
            .collect();
        form.push(("bsn".to_owned(), self.bsn.clone()));
        form.push(("pin".to_owned(), self.pin.clone()));
        let target = authorization_url.join(&action).map_err(|e| e.to_string())?;
        let answer = self
            .http
            .post(target)
            .form(&form)
            .send()
            .await
            .map_err(|e| unreachable("the login could not be sent", e))?;
        if !answer.status().is_redirection() {
            return Err(format!("the login was refused (HTTP {})", answer.status()).into());
        }
        redirect_location(&answer)
    }
}

/// The first form's action and its named inputs with values.
fn read_form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    let attribute = |tag: &str, name: &str| {
        tag.split(&format!("{name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(html_unescape)
    };
    let form_start = html.find("<form")?;
    let form = &html[form_start..];
    let action = attribute(form.split('>').next()?, "action")?;
    let fields = form
        .split("<input")
        .skip(1)
        .filter_map(|input| {
            let tag = input.split('>').next()?;
            Some((attribute(tag, "name")?, attribute(tag, "value").unwrap_or_default()))
        })
        .collect();
    Some((action, fields))
}

/// Decodes the character references an HTML escaper writes, in one pass.
fn html_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let decoded = rest.find(';').filter(|end| *end <= 10).and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

impl LoginDriver for DevLogin {
    async fn login(&self, _org: &OrganisationDescriptor, authorization_url: Url) -> Result<Callback, LoginError> {
        self.follow(authorization_url).await.map(|url| Callback::from_url(&url))
    }
}

fn redirect_location(response: &reqwest::Response) -> Result<Url, LoginError> {
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or("a redirect without a location")?;
    Url::parse(location).map_err(|e| e.to_string().into())
}

/// For the pod's web UI: the citizen's browser follows the authorization URL, and the pod's
/// loopback `/oauth/callback` hands the answer to [`BrowserLogin::deliver`].
#[derive(Default)]
pub struct BrowserLogin {
    waiting: Mutex<HashMap<String, oneshot::Sender<Callback>>>,
}

impl BrowserLogin {
    /// Whether a login with this `state` is waiting for its callback here.
    pub fn is_waiting_for(&self, state: &str) -> bool {
        self.waiting
            .lock()
            .contains_key(state)
    }

    /// Whether the login that sent the browser to `authorization_url` still waits here.
    pub fn is_waiting_at(&self, authorization_url: &Url) -> bool {
        state_of(authorization_url).is_some_and(|state| self.is_waiting_for(&state))
    }

    /// Passes a callback to the login waiting for its `state`. Returns false for an unknown
    /// state (a stale or forged callback), which the caller should answer with an error page.
    pub fn deliver(&self, callback: Callback) -> bool {
        let Some(state) = callback.state.clone() else {
            return false;
        };
        let sender = self.waiting.lock().remove(&state);
        sender.is_some_and(|s| s.send(callback).is_ok())
    }
}

impl LoginDriver for BrowserLogin {
    async fn login(&self, _org: &OrganisationDescriptor, authorization_url: Url) -> Result<Callback, LoginError> {
        let state = state_of(&authorization_url).ok_or("no state in the authorization URL")?;
        let (sender, receiver) = oneshot::channel();
        self.waiting
            .lock()
            .insert(state.clone(), sender);
        // Removes the entry however this ends: answered, abandoned, or dropped by a timeout.
        let _waiting = Waiting { logins: self, state };
        receiver
            .await
            .map_err(|_| LoginError::Cancelled("the login was abandoned".to_owned()))
    }
}

/// The `state` of an authorization request URL.
pub fn state_of(authorization_url: &Url) -> Option<String> {
    authorization_url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
}

/// A login waiting for its callback; dropping it forgets the login.
struct Waiting<'a> {
    logins: &'a BrowserLogin,
    state: String,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.logins
            .waiting
            .lock()
            .remove(&self.state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_in_one_pass() {
        assert_eq!(
            html_unescape("a&amp;lt;b &#x27;c&#39; &quot;d&quot; &#x2F; &unknown; &"),
            "a&lt;b 'c' \"d\" / &unknown; &"
        );
    }

    #[tokio::test]
    async fn a_login_that_times_out_leaves_nothing_behind() {
        let logins = BrowserLogin::default();
        let org = OrganisationDescriptor::from_json(include_bytes!(
            "../../schemas/tests/fixtures/documents/descriptor/valid-pinned-keys.json"
        ))
        .unwrap();
        let url = Url::parse("https://betaalpod.duo.example/oauth/authorize?state=s1").unwrap();
        let timed_out = tokio::time::timeout(std::time::Duration::from_millis(20), logins.login(&org, url.clone())).await;
        assert!(timed_out.is_err(), "nobody answered");
        assert!(!logins.is_waiting_for("s1"), "the timed-out login is forgotten");
        assert!(!logins.deliver(Callback::from_params("code=c&state=s1")), "a late callback finds nothing");

        // An answered login is forgotten too, and a waiting one is there while it waits.
        let waiting = logins.login(&org, url);
        let answer = async {
            while !logins.is_waiting_for("s1") {
                tokio::task::yield_now().await;
            }
            assert!(logins.deliver(Callback::from_params("code=c&state=s1")));
        };
        let (callback, ()) = tokio::join!(waiting, answer);
        assert_eq!(callback.unwrap().code.as_deref(), Some("c"));
        assert!(!logins.is_waiting_for("s1"));
    }

    #[test]
    fn reads_the_first_form() {
        let html = r#"<p>x</p><form method="post" action="http://127.0.0.1:1/authorize"><input name="bsn" value=""><input type="hidden" name="state" value="a&amp;b"></form>"#;
        let (action, fields) = read_form(html).unwrap();
        assert_eq!(action, "http://127.0.0.1:1/authorize");
        assert_eq!(
            fields,
            [
                ("bsn".to_owned(), String::new()),
                ("state".to_owned(), "a&b".to_owned())
            ]
        );
    }
}
