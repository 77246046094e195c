//! Command-line interface. Each subcommand has its own module; this one only dispatches.
//!
//! Exit codes: 0 success, 1 an operational error (a file that can't be read, …),
//! 2 invalid input (a document that fails validation) or bad usage.

mod admin;
mod arrangement;
mod audit;
mod export;
mod fetch;
mod inspect;
mod overview;
mod scheme;
mod secrets;
mod serve;

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
    /// Create a new pod: your key, protected by a passphrase, and a recovery code.
    Init(admin::DirArgs),
    /// List every stored version of the claim documents, oldest first (a fetch that returned
    /// the same document adds none; the transparency log in `pod audit` lists every fetch).
    History(admin::HistoryArgs),
    /// Delete the records of one organisation, or destroy the whole pod.
    Forget(admin::ForgetArgs),
    /// Change the passphrase (POD_PASSPHRASE: current, POD_NEW_PASSPHRASE: new).
    Passphrase(admin::DirArgs),
    /// Replace your key with a new one and re-encrypt everything to it.
    RotateKey(admin::DirArgs),
    /// Set a new passphrase with your recovery code (POD_RECOVERY_CODE, POD_NEW_PASSPHRASE).
    Recover(admin::DirArgs),
    /// Write a backup file that holds only ciphertext.
    Backup(admin::BackupArgs),
    /// Restore a backup into an empty folder and check it with your passphrase.
    Restore(admin::RestoreArgs),
    /// Check every record of your pod, and that nobody changed, removed or rolled back its store.
    Verify(admin::VerifyArgs),
    /// Validate one FCID claim document and show what it means.
    Inspect(inspect::Args),
    /// Manage the organisations your pod talks to and the keys it trusts.
    #[command(subcommand)]
    Scheme(scheme::SchemeCommand),
    /// Fetch your claim documents now, from every organisation in your scheme.
    Fetch(fetch::Args),
    /// Show everything you owe, from the latest documents.
    Overview(overview::Args),
    /// Run the local web UI (Mijn Betaaloverzicht) and JSON API.
    Serve(serve::Args),
    /// Export the overview as JSON or CSV, optionally encrypted to a counsellor's age key.
    Export(export::Args),
    /// Show what the pod stores (without decrypting), whom it contacted, what each organisation
    /// received, and the keys it trusts.
    Audit(audit::Args),
    /// Plan a joint payment arrangement (Betalingsregeling Rijk).
    #[command(subcommand)]
    Arrangement(arrangement::ArrangementCommand),
}

/// Runs the chosen subcommand and turns its outcome into an exit code.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Inspect(args) => return inspect::run(args),
        Command::Arrangement(command) => return arrangement::run(command),
        Command::Init(dir) => admin::init(&dir),
        Command::History(args) => admin::history(&args),
        Command::Forget(args) => admin::forget(&args),
        Command::Passphrase(dir) => admin::passphrase(&dir),
        Command::RotateKey(dir) => admin::rotate_key(&dir),
        Command::Recover(dir) => admin::recover(&dir),
        Command::Backup(args) => admin::backup(&args),
        Command::Restore(args) => admin::restore(&args),
        Command::Verify(args) => admin::verify(&args),
        Command::Scheme(command) => scheme::run(command),
        Command::Fetch(args) => fetch::run(args),
        Command::Overview(args) => overview::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Export(args) => export::run(args),
        Command::Audit(args) => audit::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
