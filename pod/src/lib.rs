//! The citizen's pod: the encrypted store, the scheme of pinned organisations, the
//! citizen-triggered fetch, and (in later parts) the arrangement engine and the local web server.
//! The `pod` binary's CLI lives in `src/cli/`.

pub mod arrangement;
pub mod fetching;
pub mod overview;
pub mod scheme;
pub mod store;
pub mod web;
