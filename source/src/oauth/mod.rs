//! The OAuth 2.0 authorization server: authorization code + PKCE S256 for public clients,
//! loopback redirects on any port (RFC 8252), `iss` in the response (RFC 9207), single-use codes
//! that live 60 s, and 5-minute access tokens bound to this organisation (aud) and the citizen
//! (sub). No refresh tokens: every fetch is a new login the citizen starts.
//!
//! - [`grants`]: scopes, lifetimes and issued codes, as data;
//! - [`request`]: the authorization request, checked, refused or answered with a code;
//! - [`authorize`]: the dev-login form and the hand-off to the upstream provider;
//! - [`token`]: the token endpoint and the bearer check.

pub mod authorize;
pub mod grants;
pub mod request;
pub mod token;

pub use authorize::{LoginForm, authorize_get, authorize_post};
pub use grants::{
    ACCESS_TOKEN_TYP, CODE_LIFETIME_SECONDS, CodeStore, IssuedCode, ResponseMode, SCOPES, TOKEN_LIFETIME_SECONDS, ValidRequest,
};
pub use request::{
    AuthorizeError, AuthorizeParams, ErrorPage, issue_code, redirect_uri_matches, refusal, response_url, validate,
};
pub use token::{AccessClaims, TokenForm, authorize_bearer, token};
