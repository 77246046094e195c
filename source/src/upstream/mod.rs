//! Delegated citizen login (`--upstream-oidc ISSUER`): `source` is an OpenID Connect client of
//! an external provider (DigiD in production; `oidc-provider` in tests). The provider's
//! userinfo answer, fetched over the back channel with the access token, names the citizen;
//! a configured claim (default `sub`) holds the BSN.
//!
//! This module is the client (discovery, the code exchange, the logins in progress);
//! [`login`] is the flow through it.

pub mod login;

use std::collections::HashMap;
use parking_lot::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, header};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, PkceCodeVerifier, RedirectUrl, TokenResponse, TokenUrl,
};
use schemas::ids::Bsn;
use serde::Deserialize;

use crate::config::{Config, UpstreamOidc};
use crate::oauth::ValidRequest;

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
            .pool_idle_timeout(bounded_http::POOL_IDLE_TIMEOUT)
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
