//! The reference `source` server an organisation runs to answer authorised Betaalpod fetches.
//!
//! - [`oauth`]: the authorization server (code + PKCE S256, loopback redirects, `iss`).
//! - [`upstream`]: delegated citizen login at an external OpenID provider.
//! - [`claims`]: the claims endpoint (JWS, then age to the citizen) and arrangement intake.
//! - [`backend`]: the [`backend::ClaimsBackend`] trait and the JSON-file backend.
//! - [`arrangements`]: stored parts, operator decisions, and how accepted ones enter documents.
//! - [`state`]: what every handler may use; [`error`]: the one JSON error answer;
//!   [`response`]: pages with safe headers, `no-store`.
//! - [`routes`]: the only module that knows every handler; [`server`]: serving them, with limits
//!   for slow clients; [`discovery`]: metadata, descriptor and key list.
//! - [`ratelimit`], [`client_addr`]: limits per client (behind trusted proxies, IPv6 per /64) and
//!   the lockout per citizen.
//! - [`demo_data`]: realistic generated sample data.
//!
//! The protocol is `betaalpod-source/1`, described in `docs/PROTOCOL.md`.

#![warn(missing_docs)]

pub mod arrangements;
pub mod audit;
pub mod backend;
pub mod claims;
pub mod config;
pub mod cors;
pub mod demo_data;
pub mod discovery;
pub mod error;
pub mod keys;
pub mod local;
pub mod oauth;
pub mod ratelimit;
pub mod response;
pub mod routes;
pub mod client_addr;
pub mod server;
pub mod state;
pub mod upstream;
