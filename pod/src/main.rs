//! `pod`: the citizen's Betaalpod on the command line.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // POD_LOG sets the level (default `error`); POD_LOG_FORMAT=json gives one JSON object per
    // line, for a provider's log collector. Log lines never carry claim content or secrets.
    let filter = tracing_subscriber::EnvFilter::try_from_env("POD_LOG").unwrap_or_else(|_| "error".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("POD_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().init();
    } else {
        logs.init();
    }
    cli::run(cli::Cli::parse())
}
