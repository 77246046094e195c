//! Citizen-triggered fetch of claim documents, straight from each organisation.
//!
//! - [`CitizenRequest`]: the proof that the citizen asked. It can only be made from the unlocked
//!   identity, which only an unlocked pod holds, so no code path fetches on its own.
//! - [`login`]: how the citizen logs in: a browser callback, or a headless driver of the
//!   reference `source` dev-login form for tests and scripts.
//! - [`fetch`]: OAuth2 code + PKCE S256 per organisation, the claims request, and every check on
//!   the answer (size, decryption, signature, issuer, recipient, nonce, times, FCID validity).
//!
//! Every answer is read within a byte limit and a deadline ([`bounded_http`]).
//!
//! There is no scheduler, no background task and no retry across time.

#![warn(missing_docs)]

pub mod error;
pub mod fetch;
pub mod login;
mod request;
pub mod submit;

pub use error::{FetchError, Problem};
pub use fetch::{FetchOptions, FetchedDocument, Organisation, Progress, Stage, fetch_all, fetch_each, fetch_in_turn, stored_document};
pub use request::CitizenRequest;
