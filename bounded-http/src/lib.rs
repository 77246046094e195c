//! Reading answers from servers Betaalpod does not trust (an organisation, as the pod sees it; an
//! upstream OpenID provider, as `source` sees it): never more than a limit for what was asked,
//! and the whole exchange, body included, within one deadline. A hostile or broken server (an
//! endless body, an answer dripped one byte a second, a connection reset halfway) then costs at
//! most the deadline and the limit.
//!
//! That client half is the default feature `client`. [`server`] (feature `server`) is the same
//! the other way round, for `source` and `provider`: serving clients that may be hostile, with a
//! deadline for their request headers and a cap on connections.

#![warn(missing_docs)]

#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
pub use client::*;
#[cfg(feature = "server")]
pub mod server;
