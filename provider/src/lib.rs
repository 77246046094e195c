//! A pod provider that cannot read. It keeps, per pod, the public recipient, the identity wrapped
//! in the browser by the passphrase and by the recovery code, two OPAQUE registration records,
//! and sealed records it stores and serves as opaque bytes. Everything that needs a key happens
//! in the citizen's browser; this crate does not even depend on `age` or `pod-core`.
//!
//! - [`config`]: the settings in `provider.toml`.
//! - [`vault`]: storage, on PostgreSQL or sled.
//! - [`opaque`]: the server's half of OPAQUE login.
//! - [`auth`], [`throttle`]: sessions by bearer token, and limits on attempts.
//! - [`api`]: the storage API's handlers (docs/PROVIDER.md); [`failure`]: its error answers.
//! - [`app`]: the browser app's fixed set of files.
//! - [`state`]: what every handler can reach; [`server`]: routes, middleware, serving.

#![warn(missing_docs)]

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod failure;
pub mod opaque;
pub mod server;
pub mod state;
pub mod throttle;
pub mod vault;
