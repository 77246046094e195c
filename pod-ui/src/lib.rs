//! The pages of Mijn Betaaloverzicht, rendered by one piece of code in two places: by
//! `pod serve` on the citizen's own machine, over the local store, and in the citizen's browser
//! at a pod provider (through `pod-wasm`), over records the browser opened itself. Each page is
//! a function from plain values (an [`pod_core::overview::Overview`], a
//! [`pod_core::matter::MatterDetail`], …) to HTML; neither side has a second UI.
//!
//! - [`chrome`]: what every page shows around its content, and where its links lead.
//! - [`pages`]: unlock, overview, matter, fetch, settings, print, the audit view.
//! - [`arrangement`]: the arrangement form, its plan, and a saved plan with its submissions.
//! - [`hosted`]: the pages only a pod at a provider has (log in, sign up, recover, import).
//! - [`i18n`]: every text, in Dutch and English.
//!
//! askama escapes every value, so organisation-supplied text is shown, never run.

#![warn(missing_docs)]

pub mod arrangement;
pub mod chrome;
pub mod hosted;
pub mod i18n;
pub mod pages;

pub use chrome::{Chrome, Place};

/// A rendered page, or the template error (a bug, never the citizen's input).
pub type Rendered = Result<String, askama::Error>;

/// The stylesheet every page uses, in both places.
pub const STYLESHEET: &str = include_str!("../templates/app.css");
