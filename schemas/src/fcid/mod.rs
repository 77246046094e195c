//! FCID: the Dutch Financial Claims Information Document, versions 3.0.0 and 4.1.0.
//!
//! [`parse`] turns untrusted bytes into a validated [`Document`] or an [`FcidError`] that names
//! the JSON path of the first problem. [`derive::view`] then computes the amounts Betaalpod shows,
//! from the events alone, and compares them with the organisation's own totals.
//!
//! Field names live in [`wire`]; nothing else here spells a JSON name.
//!
//! The facts about the standard this module relies on (versions, names, rules), with their public
//! sources and what is still uncertain, are in docs/FCID.md.

pub mod derive;
mod model;
mod parse;
mod shape;
pub mod timeline;
pub mod wire;

pub use model::{Document, Event, EventKind, Matter, SourceTotals, Version};
pub use parse::{FcidError, MAX_AMOUNT_CENTS, MAX_DOCUMENT_BYTES, MAX_EVENTS, parse};
