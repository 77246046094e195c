//! The citizen's pod: the encrypted store, the scheme of pinned organisations, the
//! citizen-triggered fetch, the overview, the arrangement engine and its submission, and the
//! local web server. The `pod` binary's CLI lives in `src/cli/`.
//!
//! [`store`] owns the keys and the records; every feature module is plain functions over an
//! [`store::UnlockedPod`], reaching the pod only through its record API.

#![warn(missing_docs)]

pub mod arrangement;
pub mod audit;
pub mod fetching;
pub mod overview;
pub mod scheme;
pub mod store;
pub mod verify;
pub mod web;
