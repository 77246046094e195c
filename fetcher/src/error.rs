//! Errors a citizen can act on. They live in [`pod_core::problem`], because the browser reports
//! the same failures in the same words; re-exported here for the fetcher's callers.

pub use pod_core::problem::{FetchError, Problem};
