//! Delegated citizen login (`--upstream-oidc ISSUER`): `source` is an OpenID Connect client of
//! an external provider (DigiD in production; `oidc-provider` in tests). The provider's
//! userinfo answer, fetched over the back channel with the access token, names the citizen;
//! a configured claim (default `sub`) holds the BSN.

use subtle::ConstantTimeEq as _;
use std::collections::HashMap;
use parking_lot::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    Scope, TokenResponse, TokenUrl,
};
use schemas::ids::Bsn;
use serde::Deserialize;

use crate::config::{Config, UpstreamOidc};
use crate::oauth::{AuthorizeError, ErrorPage, ValidRequest, issue_code, refusal};
use crate::server::{AppState, html_page};

/// How long a citizen may take at the upstream provider.
const PENDING_LIFETIME: Duration = Duration::from_secs(600);
/// Logins in progress at once; past it a new one is refused until some finish or expire.
pub const MAX_PENDING: usize = 10_000;
/// The cookie that ties a login at the provider to the browser that started it.
const BROWSER_COOKIE: &str = "source_upstream_login";

struct Pending {
    request: ValidRequest,
    verifier: PkceCodeVerifier,
    started: Instant,
    /// SHA-256 of the browser cookie's value.
    browser: [u8; 32],
}

fn digest(value: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(value.as_bytes()).into()
}

/// The value of the browser cookie, if the request carries it.
fn browser_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(BROWSER_COOKIE)?.strip_prefix('=').map(str::to_owned))
}

/// A discovered upstream provider.
pub struct Upstream {
    settings: UpstreamOidc,
    issuer: String,
    authorization_endpoint: AuthUrl,
    token_endpoint: TokenUrl,
    userinfo_endpoint: String,
    redirect_uri: RedirectUrl,
    http: reqwest::Client,
    pending: Mutex<HashMap<String, Pending>>,
}

/// Every exchange with the provider, body included, ends within this.
const UPSTREAM_DEADLINE: Duration = Duration::from_secs(10);
const DISCOVERY: bounded_http::Limit = bounded_http::Limit {
    what: "the discovery document",
    bytes: bounded_http::MAX_KEYS_BYTES,
};
const USERINFO: bounded_http::Limit = bounded_http::Limit {
    what: "the userinfo answer",
    bytes: bounded_http::MAX_KEYS_BYTES,
};

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
}

impl Upstream {
    /// Reads the provider's discovery document and checks that its issuer is the configured one.
    pub async fn discover(settings: &UpstreamOidc, config: &Config) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()?;
        let issuer = settings.issuer.as_str().trim_end_matches('/').to_owned();
        let url = format!("{issuer}/.well-known/openid-configuration");
        let answer = bounded_http::exchange(http.get(&url), DISCOVERY, UPSTREAM_DEADLINE)
            .await
            .map_err(|e| anyhow::anyhow!("cannot read the upstream provider's discovery document at {url}: {e}"))?;
        anyhow::ensure!(answer.status.is_success(), "{url} answered HTTP {}", answer.status);
        let discovery: Discovery = serde_json::from_slice(&answer.body)
            .map_err(|e| anyhow::anyhow!("{url} is not an OpenID discovery document: {e}"))?;
        if discovery.issuer.trim_end_matches('/') != issuer {
            anyhow::bail!(
                "the upstream provider calls itself {:?}, not {issuer:?}",
                discovery.issuer
            );
        }
        Ok(Self {
            settings: settings.clone(),
            issuer,
            authorization_endpoint: AuthUrl::new(discovery.authorization_endpoint)?,
            token_endpoint: TokenUrl::new(discovery.token_endpoint)?,
            userinfo_endpoint: discovery.userinfo_endpoint,
            redirect_uri: RedirectUrl::new(config.endpoint("/upstream/callback"))?,
            http,
            pending: Mutex::new(HashMap::new()),
        })
    }

    /// Sends the citizen to the provider, remembering the pod's request and, in a cookie, the
    /// browser it came from: the provider's answer counts only in that browser.
    pub async fn start(&self, state: &AppState, request: ValidRequest) -> Response {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = BasicClient::new(ClientId::new(self.settings.client_id.clone()))
            .set_auth_uri(self.authorization_endpoint.clone())
            .set_redirect_uri(self.redirect_uri.clone());
        let (url, csrf) = client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new("openid".to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        let mut browser = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut browser);
        let browser: String = hex::encode(browser);
        {
            let mut pending = self.pending.lock();
            pending.retain(|_, p| p.started.elapsed() < PENDING_LIFETIME);
            if pending.len() >= MAX_PENDING {
                tracing::warn!(pending = pending.len(), "too many upstream logins in progress; refusing a new one");
                return html_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &ErrorPage {
                        message: "Het is nu te druk om in te loggen; probeer het over een paar minuten opnieuw. / Too many logins at once; try again in a few minutes.".to_owned(),
                    },
                );
            }
            pending.insert(
                csrf.secret().clone(),
                Pending {
                    request,
                    verifier,
                    started: Instant::now(),
                    browser: digest(&browser),
                },
            );
        }
        // SameSite=Lax: the provider sends the browser back with a top-level GET, which carries it.
        let secure = if state.config.public_url.scheme() == "https" { "; Secure" } else { "" };
        let cookie = format!(
            "{BROWSER_COOKIE}={browser}; Path=/upstream/callback; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
            PENDING_LIFETIME.as_secs()
        );
        let mut response = Redirect::to(url.as_str()).into_response();
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        response
    }

    async fn citizen(&self, code: String, verifier: PkceCodeVerifier) -> anyhow::Result<Bsn> {
        let mut client = BasicClient::new(ClientId::new(self.settings.client_id.clone()))
            .set_auth_uri(self.authorization_endpoint.clone())
            .set_token_uri(self.token_endpoint.clone())
            .set_redirect_uri(self.redirect_uri.clone());
        if let Some(secret) = &self.settings.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.clone()));
        }
        let token_http = bounded_http::TokenHttp(&self.http);
        let exchange = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(verifier)
            .request_async(&token_http);
        let token = tokio::time::timeout(UPSTREAM_DEADLINE, exchange)
            .await
            .map_err(|_| anyhow::anyhow!("the provider did not answer the code in time"))?
            .map_err(|e| anyhow::anyhow!("the provider refused the code: {}", bounded_http::error_chain(&e)))?;
        let request = self.http.get(&self.userinfo_endpoint).bearer_auth(token.access_token().secret());
        let answer = bounded_http::exchange(request, USERINFO, UPSTREAM_DEADLINE)
            .await
            .map_err(|e| anyhow::anyhow!("the provider's userinfo failed: {e}"))?;
        anyhow::ensure!(answer.status.is_success(), "the provider's userinfo answered HTTP {}", answer.status);
        let userinfo: serde_json::Value = serde_json::from_slice(&answer.body)
            .map_err(|e| anyhow::anyhow!("the provider's userinfo is not JSON: {e}"))?;
        let value = userinfo
            .get(&self.settings.bsn_claim)
            .and_then(|v| v.as_str())
            .ok_or_else(|| anyhow::anyhow!("the provider's userinfo has no {:?} claim", self.settings.bsn_claim))?;
        Bsn::parse(value).map_err(|e| {
            anyhow::anyhow!(
                "the provider's {:?} claim is not a valid BSN: {e}",
                self.settings.bsn_claim
            )
        })
    }
}

/// What the provider sends back.
#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

/// `GET /upstream/callback`: the provider's answer; on success, a code for the pod.
pub async fn callback(State(state): State<AppState>, headers: HeaderMap, Query(params): Query<CallbackParams>) -> Response {
    let Some(upstream) = &state.upstream else {
        return html_page(
            StatusCode::NOT_FOUND,
            &ErrorPage {
                message: "No upstream login is configured.".to_owned(),
            },
        );
    };
    // The state alone is not enough: an answer in another browser than the one that started the
    // login (login CSRF, or a stolen link) gives nothing, and leaves the login to its browser.
    let browser = browser_cookie(&headers).map(|value| digest(&value));
    let mut other_browser = false;
    let pending = params.state.as_deref().and_then(|s| {
        let mut pending = upstream.pending.lock();
        let ours = pending.get(s)?;
        if browser.is_none_or(|b| !bool::from(b.as_slice().ct_eq(ours.browser.as_slice()))) {
            other_browser = true;
            return None;
        }
        pending.remove(s)
    });
    if other_browser {
        tracing::warn!("an upstream login answer arrived in another browser than the one that started it");
        return html_page(
            StatusCode::BAD_REQUEST,
            &ErrorPage {
                message: "Deze inlogpoging is in een andere browser begonnen; begin opnieuw. / This login was started in another browser; start again.".to_owned(),
            },
        );
    }
    let Some(pending) = pending.filter(|p| p.started.elapsed() < PENDING_LIFETIME) else {
        return html_page(
            StatusCode::BAD_REQUEST,
            &ErrorPage {
                message:
                    "Deze inlogpoging is onbekend of verlopen; begin opnieuw. / Unknown or expired login; start again."
                        .to_owned(),
            },
        );
    };
    let deny = |description: String| {
        refusal(
            &state,
            AuthorizeError::Redirect {
                redirect_uri: pending.request.redirect_uri.clone(),
                response_mode: pending.request.response_mode,
                state: Some(pending.request.state.clone()),
                error: "access_denied",
                description,
            },
        )
    };
    if let Some(error) = params.error {
        return deny(format!("the login provider answered {error}"));
    }
    if params
        .iss
        .as_deref()
        .is_some_and(|iss| iss.trim_end_matches('/') != upstream.issuer)
    {
        return deny("the login answer came from another provider (iss mismatch)".to_owned());
    }
    let Some(code) = params.code else {
        return deny("the login provider sent no code".to_owned());
    };
    match upstream.citizen(code, pending.verifier).await {
        Ok(bsn) => {
            let subject = state.subject_hash(&bsn);
            if let Some(wait) = state.lockout.wait(&subject, Instant::now()) {
                return deny(format!(
                    "too many wrong logins for this citizen; try again in {} minutes",
                    wait.as_secs().div_ceil(60)
                ));
            }
            state.lockout.succeeded(&subject);
            issue_code(&state, pending.request, bsn)
        }
        Err(e) => {
            tracing::warn!(error = %e, "upstream login failed");
            deny(e.to_string())
        }
    }
}
