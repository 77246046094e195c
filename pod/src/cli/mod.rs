//! Command-line interface. Each subcommand has its own module; this one only dispatches.
//!
//! Exit codes: 0 success, 1 an operational error (a file that can't be read, …),
//! 2 invalid input (a document that fails validation) or bad usage.

mod inspect;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Betaalpod: your own encrypted overview of what you owe to government organisations.
#[derive(Debug, Parser)]
#[command(name = "pod", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate one FCID claim document and show what it means.
    Inspect(inspect::Args),
}

/// Runs the chosen subcommand and turns its outcome into an exit code.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Inspect(args) => inspect::run(args),
    }
}
