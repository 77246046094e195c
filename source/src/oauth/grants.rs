//! What the authorization server grants, as data: scopes, lifetimes, accepted requests and
//! issued codes. It knows
//! no handler and no state, so the state can hold the codes without a cycle.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use schemas::ids::Bsn;

/// Scopes this server grants.
pub const SCOPES: &[&str] = &["claims:read", "arrangement:submit"];
/// How long an authorization code lives.
pub const CODE_LIFETIME_SECONDS: i64 = 60;
/// How long an access token lives.
pub const TOKEN_LIFETIME_SECONDS: i64 = 300;
/// The `typ` of our access tokens (RFC 9068).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// An issued, not yet redeemed authorization code.
pub struct IssuedCode {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: String,
    pub(crate) scope: String,
    pub(crate) bsn: Bsn,
    pub(crate) expires_at: DateTime<Utc>,
}

/// Pending codes, by code value.
pub type CodeStore = parking_lot::Mutex<HashMap<String, IssuedCode>>;

/// Where the authorization response's parameters go: the query (the default), or the fragment
/// (OAuth 2.0 Multiple Response Type Encoding Practices), which the browser never sends to a
/// server, so a browser app's host never sees the code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResponseMode {
    /// `?code=…&state=…&iss=…`
    #[default]
    Query,
    /// `#code=…&state=…&iss=…`
    Fragment,
}

impl ResponseMode {
    /// The value of the login form's hidden field.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseMode::Query => "query",
            ResponseMode::Fragment => "fragment",
        }
    }
}

/// A request that passed every check.
#[derive(Clone, Debug)]
pub struct ValidRequest {
    /// The client.
    pub client_id: String,
    /// The redirect URI, as the client sent it.
    pub redirect_uri: String,
    /// The client's state, returned unchanged.
    pub state: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// Where the answer's parameters go.
    pub response_mode: ResponseMode,
    /// OpenID Connect `prompt`, passed on to the upstream provider.
    pub prompt: Option<Prompt>,
    /// OpenID Connect `max_age` in seconds, passed on to the upstream provider.
    pub max_age: Option<u64>,
}

/// The OpenID Connect `prompt` values this server understands (OIDC Core §3.1.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// Show no login: answer `login_required` unless the citizen is already logged in upstream.
    None,
    /// Ask the citizen to log in again, even with a session upstream.
    Login,
}

impl Prompt {
    /// The value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Prompt::None => "none",
            Prompt::Login => "login",
        }
    }
}

/// The longest `max_age` accepted: a year, far past any login session.
pub const MAX_AGE_LIMIT_SECONDS: u64 = 366 * 24 * 3600;
