//! Delegated citizen login (`--upstream-oidc ISSUER`): `source` is an OpenID Connect client of
//! an external provider (DigiD in production; `oidc-provider` in tests). The provider's
//! userinfo answer, fetched over the back channel with the access token, names the citizen;
//! a configured claim (default `sub`) holds the BSN.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::StatusCode;
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

struct Pending {
    request: ValidRequest,
    verifier: PkceCodeVerifier,
    started: Instant,
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

    /// Sends the citizen to the provider, remembering the pod's request.
    pub async fn start(&self, _state: &AppState, request: ValidRequest) -> Response {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = BasicClient::new(ClientId::new(self.settings.client_id.clone()))
            .set_auth_uri(self.authorization_endpoint.clone())
            .set_redirect_uri(self.redirect_uri.clone());
        let (url, csrf) = client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new("openid".to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, p| p.started.elapsed() < PENDING_LIFETIME);
        pending.insert(
            csrf.secret().clone(),
            Pending {
                request,
                verifier,
                started: Instant::now(),
            },
        );
        Redirect::to(url.as_str()).into_response()
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
pub async fn callback(State(state): State<AppState>, Query(params): Query<CallbackParams>) -> Response {
    let Some(upstream) = &state.upstream else {
        return html_page(
            StatusCode::NOT_FOUND,
            &ErrorPage {
                message: "No upstream login is configured.".to_owned(),
            },
        );
    };
    let pending = params
        .state
        .as_deref()
        .and_then(|s| upstream.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(s));
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
        Ok(bsn) => issue_code(&state, pending.request, bsn),
        Err(e) => {
            tracing::warn!(error = %e, "upstream login failed");
            deny(e.to_string())
        }
    }
}
