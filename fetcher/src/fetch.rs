//! One citizen fetch: every selected organisation at once, each on its own, each checked.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use rand::RngCore;
use schemas::descriptor::OrganisationDescriptor;
use schemas::fcid;
use serde::Deserialize;
use tokio::sync::mpsc::UnboundedSender;
use url::Url;

use pod_core::answer::{self, sha256_hex};

use crate::error::{FetchError, Problem};
use crate::login::LoginDriver;
use crate::request::CitizenRequest;

/// A pinned organisation: its descriptor, with the keys the pod trusts.
pub type Organisation = OrganisationDescriptor;

pub use pod_core::answer::{CLAIMS_TYP, MAX_RESPONSE_BYTES, stored_document};

/// How a fetch behaves.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// The pod's loopback callback, `http://127.0.0.1:{port}/oauth/callback`.
    pub redirect_uri: Url,
    /// The OAuth client id.
    pub client_id: String,
    /// Per-organisation limit on the network steps after login (default 15 s).
    pub network_timeout: Duration,
    /// How long the citizen may take to log in (default 5 minutes).
    pub login_timeout: Duration,
    /// Allowed clock difference for `iat` and `exp` (default 60 s).
    pub clock_skew: Duration,
}

impl FetchOptions {
    /// Defaults for a pod whose callback is `redirect_uri`.
    pub fn new(redirect_uri: Url) -> Self {
        Self {
            redirect_uri,
            client_id: "betaalpod".to_owned(),
            network_timeout: Duration::from_secs(15),
            login_timeout: Duration::from_secs(300),
            clock_skew: Duration::from_secs(60),
        }
    }
}

/// Where one organisation's fetch is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for the citizen to log in at this URL.
    WaitingForLogin(Url),
    /// Exchanging the code and fetching the document.
    Fetching,
    /// Decrypting and checking the answer.
    Verifying,
    /// Done.
    Done,
    /// Failed; the message says what to do.
    Failed(String),
}

/// A progress report for one organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The organisation's id.
    pub org: String,
    /// Where it is.
    pub stage: Stage,
}

/// A verified claim document.
#[derive(Debug)]
pub struct FetchedDocument {
    /// The organisation's id.
    pub org: String,
    /// The age file exactly as received; the pod stores it unchanged.
    pub raw_age_file: Vec<u8>,
    /// The validated document.
    pub parsed: fcid::Document,
    /// When it arrived.
    pub fetched_at: DateTime<Utc>,
    /// SHA-256 (hex) of the raw age file, for the transparency log.
    pub sha256: String,
}

/// Fetches from every organisation concurrently. One slow or failing organisation never blocks
/// or loses the others: each result comes back on its own, in the order of `orgs`.
pub async fn fetch_all<D: LoginDriver>(
    request: &CitizenRequest<'_>,
    orgs: &[Organisation],
    driver: &D,
    options: &FetchOptions,
    progress: Option<UnboundedSender<Progress>>,
) -> Vec<Result<FetchedDocument, FetchError>> {
    use futures_util::StreamExt as _;
    let mut results: Vec<Option<Result<FetchedDocument, FetchError>>> = orgs.iter().map(|_| None).collect();
    let mut each = std::pin::pin!(fetch_each(request, orgs, driver, options, progress));
    while let Some((index, result)) = each.next().await {
        results[index] = Some(result);
    }
    results
        .into_iter()
        .map(|result| result.expect("fetch_each answers once for every organisation"))
        .collect()
}

/// Fetches from every organisation concurrently, and yields each result (with the organisation's
/// index in `orgs`) as soon as it is ready, so that the pod can store what arrived while slower
/// organisations are still answering.
pub fn fetch_each<'a, 'r: 'a, D: LoginDriver>(
    request: &'a CitizenRequest<'r>,
    orgs: &'a [Organisation],
    driver: &'a D,
    options: &'a FetchOptions,
    progress: Option<UnboundedSender<Progress>>,
) -> impl futures_util::Stream<Item = (usize, Result<FetchedDocument, FetchError>)> + 'a {
    let hops = Hops {
        request,
        driver,
        options,
        http: http_client(options),
        progress,
        chain: None,
    };
    orgs.iter()
        .enumerate()
        .map(move |(index, org)| hops.run(index, org))
        .collect::<futures_util::stream::FuturesUnordered<_>>()
}

/// Fetches from the organisations one after another, as one chain of logins through the
/// citizen's login provider: after the first login succeeds, every next organisation is asked
/// to log the citizen in without a login page (`prompt=none`), riding the provider's session.
/// Where an organisation answers that it needs the citizen (`login_required`,
/// `interaction_required`), its login is shown as usual, and the chain goes on. Each result is
/// yielded as soon as its organisation is done, before the next login starts.
pub fn fetch_in_turn<'a, 'r: 'a, D: LoginDriver>(
    request: &'a CitizenRequest<'r>,
    orgs: &'a [Organisation],
    driver: &'a D,
    options: &'a FetchOptions,
    progress: Option<UnboundedSender<Progress>>,
) -> impl futures_util::Stream<Item = (usize, Result<FetchedDocument, FetchError>)> + 'a {
    use futures_util::StreamExt as _;
    let hops = Hops {
        request,
        driver,
        options,
        http: http_client(options),
        progress,
        chain: Some(std::sync::Arc::new(Chain::default())),
    };
    futures_util::stream::iter(orgs.iter().enumerate()).then(move |(index, org)| hops.run(index, org))
}

/// What every organisation's part of one fetch shares.
struct Hops<'a, 'r, D> {
    request: &'a CitizenRequest<'r>,
    driver: &'a D,
    options: &'a FetchOptions,
    http: reqwest::Client,
    progress: Option<UnboundedSender<Progress>>,
    chain: Option<std::sync::Arc<Chain>>,
}

impl<'a, 'r, D: LoginDriver> Hops<'a, 'r, D> {
    /// Organisation `org` (at `index`)'s part, owning what it needs.
    fn run(&self, index: usize, org: &'a Organisation) -> impl Future<Output = (usize, Result<FetchedDocument, FetchError>)> + use<'a, 'r, D> {
        let hop = Hop {
            request: self.request,
            org,
            driver: self.driver,
            options: self.options,
            http: self.http.clone(),
            progress: self.progress.clone(),
            chain: self.chain.clone(),
        };
        async move { (index, hop.run().await) }
    }
}

/// What a chain of logins knows: whether the citizen has logged in at the provider yet.
#[derive(Debug, Default)]
pub(crate) struct Chain {
    signed_in: std::sync::atomic::AtomicBool,
}

impl Chain {
    fn signed_in(&self) -> bool {
        self.signed_in.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn logged_in(&self) {
        self.signed_in.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// One organisation's part of a fetch, with its progress reports.
struct Hop<'a, 'r, D> {
    request: &'a CitizenRequest<'r>,
    org: &'a Organisation,
    driver: &'a D,
    options: &'a FetchOptions,
    http: reqwest::Client,
    progress: Option<UnboundedSender<Progress>>,
    chain: Option<std::sync::Arc<Chain>>,
}

impl<D: LoginDriver> Hop<'_, '_, D> {
    async fn run(self) -> Result<FetchedDocument, FetchError> {
        let progress = self.progress;
        let report = move |org: &str, stage: Stage| {
            if let Some(sender) = &progress {
                let _ = sender.send(Progress {
                    org: org.to_owned(),
                    stage,
                });
            }
        };
        let org = self.org;
        let login = Login {
            driver: self.driver,
            chain: self.chain.as_deref(),
        };
        let result = fetch_one(self.request, org, &login, self.options, &self.http, &report).await;
        let result = reported(org, result, &report);
        if let Err(error) = &result {
            tracing::warn!(org = %org.id, error = %error, "fetch failed");
        }
        result
    }
}

/// How organisation `org`'s part ended, as its caller sees it, reported as done or failed: a
/// chain of logins goes on past either.
pub(crate) fn reported<T>(org: &Organisation, result: Result<T, Problem>, report: &impl Fn(&str, Stage)) -> Result<T, FetchError> {
    let result = result.map_err(|problem| FetchError {
        org: org.id.to_string(),
        name: org.name.clone(),
        problem,
    });
    match &result {
        Ok(_) => report(org.id.as_str(), Stage::Done),
        Err(error) => report(org.id.as_str(), Stage::Failed(error.to_string())),
    }
    result
}

/// How a hop logs in: through the driver, and, in a chain, without a login page once the
/// citizen has logged in at the provider.
pub(crate) struct Login<'a, D> {
    pub(crate) driver: &'a D,
    pub(crate) chain: Option<&'a Chain>,
}

/// The HTTP client for talking to organisations: no redirects followed.
pub(crate) fn http_client(options: &FetchOptions) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(bounded_http::POOL_IDLE_TIMEOUT)
        .connect_timeout(options.network_timeout)
        .build()
        .expect("a plain HTTP client builds")
}

/// The citizen's login at `org` for `scope`, then the code exchange. Returns the access token,
/// which lives only in memory for this one request.
pub(crate) async fn authorize<D: LoginDriver>(
    org: &Organisation,
    scope: &str,
    login: &Login<'_, D>,
    options: &FetchOptions,
    http: &reqwest::Client,
    report: &(impl Fn(&str, Stage) + Sync),
) -> Result<String, Problem> {
    check_served_keys(http, org, options.network_timeout).await?;
    let client = BasicClient::new(ClientId::new(options.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(org.authorization_endpoint.clone()))
        .set_token_uri(TokenUrl::from_url(org.token_endpoint.clone()))
        .set_redirect_uri(RedirectUrl::from_url(options.redirect_uri.clone()));
    // Each request has its own state and verifier, so no answer can count for another request,
    // not even the silent request it replaces.
    let ask = |without_login_page: bool| {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new(scope.to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        let url = if without_login_page {
            pod_core::authorization::without_login_page(&url)
        } else {
            url
        };
        async move {
            let callback = log_in(org, login.driver, url, options, report).await?;
            Ok::<_, Problem>((callback, state, verifier))
        }
    };
    let silent = login.chain.is_some_and(Chain::signed_in);
    let (mut callback, mut state, mut verifier) = ask(silent).await?;
    if silent && pod_core::authorization::asks_for_login(&callback, state.secret(), org) {
        // No session at the provider for this organisation: its own login, as usual.
        tracing::info!(org = %org.id, "no login session for this organisation; showing its login");
        (callback, state, verifier) = ask(false).await?;
    }
    let code = pod_core::authorization::check_callback(&callback, state.secret(), org)?;
    if let Some(chain) = login.chain {
        chain.logged_in();
    }
    report(org.id.as_str(), Stage::Fetching);
    let token_http = bounded_http::TokenHttp(http);
    let exchange = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&token_http);
    let token = tokio::time::timeout(options.network_timeout, exchange)
        .await
        .map_err(|_| Problem::Timeout)?
        .map_err(|e| match e {
            oauth2::RequestTokenError::Request(inner) => Problem::Network(bounded_http::error_chain(&inner)),
            other => Problem::Token(other.to_string()),
        })?;
    Ok(token.access_token().secret().clone())
}

/// Sends the citizen to `url` through the driver, within the login time; what came back.
async fn log_in<D: LoginDriver>(
    org: &Organisation,
    driver: &D,
    url: Url,
    options: &FetchOptions,
    report: &(impl Fn(&str, Stage) + Sync),
) -> Result<crate::login::Callback, Problem> {
    report(org.id.as_str(), Stage::WaitingForLogin(url.clone()));
    tokio::time::timeout(options.login_timeout, driver.login(org, url))
        .await
        .map_err(|_| Problem::LoginCancelled("no login within the time allowed".to_owned()))?
        .map_err(|e| match e {
            crate::login::LoginError::Unreachable(detail) => Problem::Network(detail),
            crate::login::LoginError::Cancelled(detail) => Problem::LoginCancelled(detail),
        })
}

async fn fetch_one<D: LoginDriver>(
    request: &CitizenRequest<'_>,
    org: &Organisation,
    login: &Login<'_, D>,
    options: &FetchOptions,
    http: &reqwest::Client,
    report: &(impl Fn(&str, Stage) + Sync),
) -> Result<FetchedDocument, Problem> {
    let token = authorize(org, "claims:read", login, options, http, report).await?;
    let mut nonce = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let nonce = B64.encode(nonce);
    let body = schemas::protocol::ClaimsRequest {
        recipient: request.recipient().to_string(),
        nonce: nonce.clone(),
    };
    let raw_age_file = tokio::time::timeout(options.network_timeout, post_claims(http, org, &token, &body))
        .await
        .map_err(|_| Problem::Timeout)??;

    report(org.id.as_str(), Stage::Verifying);
    let parsed = verify(request, org, &raw_age_file, &nonce, options.clock_skew)?;
    let sha256 = sha256_hex(&raw_age_file);
    Ok(FetchedDocument {
        org: org.id.to_string(),
        raw_age_file,
        parsed,
        fetched_at: Utc::now(),
        sha256,
    })
}

/// Refuses an organisation whose JWKS differs from the pinned keys, before the citizen logs in.
async fn check_served_keys(http: &reqwest::Client, org: &Organisation, timeout: Duration) -> Result<(), Problem> {
    #[derive(Deserialize)]
    struct Jwks {
        keys: Vec<schemas::jws::Jwk>,
    }
    let limit = bounded_http::Limit {
        what: "its key list (JWKS)",
        bytes: bounded_http::MAX_KEYS_BYTES,
    };
    let answer = bounded_http::exchange(http.get(org.jwks_uri.clone()), limit, timeout)
        .await
        .map_err(read_problem)?;
    if !answer.status.is_success() {
        return Err(Problem::Server(
            answer.status.as_u16(),
            "the key list (JWKS) is not available".to_owned(),
        ));
    }
    let served: Jwks = serde_json::from_slice(&answer.body).map_err(|_| Problem::KeysChanged)?;
    if !pod_core::authorization::served_keys_match(org, &served.keys, Utc::now()) {
        return Err(Problem::KeysChanged);
    }
    Ok(())
}

/// Posts the claims request, retrying at most twice (with back-off) when the connection fails:
/// the request is idempotent. The answer is read only up to the size limit; the caller bounds
/// the time of the whole exchange.
async fn post_claims(
    http: &reqwest::Client,
    org: &Organisation,
    token: &str,
    body: &schemas::protocol::ClaimsRequest,
) -> Result<Vec<u8>, Problem> {
    let mut attempt = 0;
    let response = loop {
        match http
            .post(org.claims_endpoint.clone())
            .bearer_auth(token)
            .json(body)
            .send()
            .await
        {
            Ok(response) => break response,
            Err(e) if attempt < 2 && (e.is_connect() || e.is_timeout()) => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
            Err(e) => return Err(Problem::Network(e.to_string())),
        }
    };
    let limit = bounded_http::Limit {
        what: "its claim document",
        bytes: MAX_RESPONSE_BYTES,
    };
    let answer = bounded_http::read(response, limit).await.map_err(|e| match e {
        // The one answer whose limit the citizen's messages already name.
        bounded_http::ReadError::TooLarge { .. } => Problem::TooLarge,
        other => read_problem(other),
    })?;
    if !answer.status.is_success() {
        return Err(Problem::Server(answer.status.as_u16(), answer.detail()));
    }
    Ok(answer.body)
}

/// What a failed read means for the citizen.
pub(crate) fn read_problem(error: bounded_http::ReadError) -> Problem {
    match error {
        bounded_http::ReadError::Network(detail) => Problem::Network(detail),
        bounded_http::ReadError::Timeout => Problem::Timeout,
        bounded_http::ReadError::TooLarge { what, limit } => Problem::Oversized { what, limit },
    }
}

/// Every check on an answer: decrypt with the citizen's key, verify against the pinned keys,
/// bind to this organisation, this recipient, this nonce and now, and validate the document
/// ([`pod_core::answer::verify_claims`], which the browser runs too).
pub fn verify(
    request: &CitizenRequest<'_>,
    org: &Organisation,
    raw: &[u8],
    nonce: &str,
    skew: Duration,
) -> Result<fcid::Document, Problem> {
    let expected = answer::Expected {
        org,
        nonce,
        now: Utc::now(),
        skew,
    };
    answer::verify_claims(request.identity(), &expected, raw)
}
