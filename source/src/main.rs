//! `source`: the reference server an organisation runs to answer authorised Betaalpod fetches.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The Betaalpod reference server for organisations.
#[derive(Debug, Parser)]
#[command(name = "source", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check an organisation descriptor (betaalpod-organisation/1) before publishing it.
    CheckDescriptor {
        /// The descriptor JSON file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::CheckDescriptor { file } => check_descriptor(&file),
    }
}

fn check_descriptor(file: &std::path::Path) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return ExitCode::from(1);
        }
    };
    match schemas::descriptor::OrganisationDescriptor::from_json(&bytes) {
        Ok(descriptor) => {
            println!(
                "ok: {} ({}), {} key(s)",
                descriptor.name,
                descriptor.id,
                descriptor.keys.len()
            );
            for key in &descriptor.keys {
                println!("  key {}  fingerprint {}", key.kid, key.fingerprint());
            }
            ExitCode::SUCCESS
        }
        Err(invalid) => {
            eprintln!("error: invalid descriptor at {invalid}");
            ExitCode::from(2)
        }
    }
}
