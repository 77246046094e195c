//! Betaalpod's shared vocabulary.
//!
//! - [`fcid`]: the Dutch claim-document standard (FCID 3.0.0 and 4.1.0): parsing, validation and
//!   the derived view Betaalpod shows. The facts it relies on, with their sources: docs/FCID.md.
//! - [`ids`]: validated identifiers (BSN, OIN, type codes).
//! - [`descriptor`], [`scheme`]: who takes part, and the scheme manager's signed list of them.
//! - [`arrangement`]: the documents of a joint payment arrangement.
//! - [`jws`]: the one signing format for our own documents (Ed25519 JWS, detached payload).
//! - [`protocol`]: the fetch protocol's bodies and signed-answer types, for both sides.
//! - [`wire_names`]: unit enums by their wire names (`Display`, `FromStr`).
//! - [`text`]: user-facing text in Dutch and English, where a missing translation does not
//!   compile (`texts!`, `say!`).
//!
//! Every document has a JSON Schema in `schemas/json/`; the tests check both agree.

#![warn(missing_docs)]

pub mod arrangement;
pub mod descriptor;
pub mod document;
pub mod fcid;
pub mod ids;
pub mod jws;
pub mod lang;
pub mod protocol;
pub mod scheme;
pub mod text;
pub mod wire_names;
