//! The pod core: every part of Betaalpod that touches plaintext, in one crate that builds both
//! for the native binaries and for `wasm32-unknown-unknown` (the browser, through `pod-wasm`).
//! It does no I/O: callers pass bytes and times in and get values back.
//!
//! - [`identity`]: the citizen's age identity, wrapped by a passphrase or recovery code (scrypt).
//! - [`seal`], [`records`]: record values compressed, padded and sealed under the pod's data key.
//! - [`integrity`]: the store bound to the citizen's secret key, and its manifest and guard;
//!   [`recipients`]: the recipients a pod has had, so documents from before a key rotation
//!   stay genuine.
//! - [`document_record`]: how a claim document is kept in a record (in full, or pointing at an
//!   earlier identical one).
//! - [`answer`]: every check on an organisation's answer (decrypt, JWS against pinned keys,
//!   binding, FCID validation), and signed receipts and statuses.
//! - [`authorization`]: the citizen's side of an organisation's login (code + PKCE S256), pure.
//! - [`backup`]: the one backup format (`betaalpod-backup/1`).
//! - [`problem`]: what went wrong with an organisation, in words a citizen can act on.
//! - [`scheme`]: the pinned organisations.
//! - [`fetch_log`]: the transparency log's entries.
//! - [`overview`]: Mijn Betaaloverzicht, derived from the latest documents; [`matter`]: one
//!   matter in full (timeline, payments, contacts).
//! - [`arrangement`]: the Betalingsregeling Rijk engine, and each organisation's part.
//! - [`session`]: an unlocked pod whose sealed records live at a provider (the browser's pod).
//! - [`provider_login`]: the citizen's half of OPAQUE, to log in to a pod provider.

#![warn(missing_docs)]

pub mod answer;
pub mod authorization;
pub mod backup;
pub mod document_record;
pub mod arrangement;
pub mod fetch_log;
pub mod identity;
pub mod integrity;
pub mod matter;
pub mod overview;
pub mod problem;
pub mod provider_login;
pub mod recipients;
pub mod records;
pub mod scheme;
pub mod seal;
pub mod session;
