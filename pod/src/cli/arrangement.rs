//! `pod arrangement plan --input FILE [--json]`: compute a joint payment arrangement. It needs
//! no pod, so counsellors and researchers can use it on its own.

use std::path::PathBuf;
use std::process::ExitCode;

use schemas::arrangement::ArrangementInput;
use schemas::lang::{Lang, format_cents};

/// `pod arrangement …`
#[derive(Debug, clap::Subcommand)]
pub enum ArrangementCommand {
    /// Compute a plan from an input file (see docs/ARRANGEMENT.md).
    Plan {
        /// The input JSON.
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// Print exactly the plan JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the command; invalid input exits 2 with the field named.
pub fn run(command: ArrangementCommand) -> ExitCode {
    let ArrangementCommand::Plan { input, json } = command;
    let bytes = match std::fs::read(&input) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", input.display());
            return ExitCode::from(1);
        }
    };
    let parsed: ArrangementInput = match schemas::document::from_json(&bytes, 1024 * 1024) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("error: invalid input at {e}");
            return ExitCode::from(2);
        }
    };
    let plan = match pod::arrangement::plan(&parsed) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("error: invalid input: {e}");
            return ExitCode::from(2);
        }
    };
    if json {
        match serde_json::to_string(&plan) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        }
        return ExitCode::SUCCESS;
    }
    let m = |cents: i64| format_cents(cents, Lang::En);
    println!("Outcome: {}", plan.outcome);
    println!(
        "Norm {} (from {}), protected floor {}, capacity {} a month",
        m(plan.norm_cents),
        plan.norm_valid_from,
        m(plan.floor_cents),
        m(plan.capacity_cents)
    );
    if !plan.shares.is_empty() {
        println!(
            "Monthly: {} in total, for {} months ({} of them paused)",
            m(plan.monthly_total_cents),
            plan.term_months,
            plan.pause_months
        );
        for share in &plan.shares {
            println!(
                "  {:<24} {:<24} {:>14}",
                share.org.as_str(),
                share.reference,
                m(share.monthly_cents)
            );
        }
    }
    if let Some(would_be) = &plan.not_an_offer {
        println!(
            "Not an offer, only to discuss with a debt counsellor: {} a month for {} months if the organisations agreed anyway",
            m(would_be.monthly_total_cents),
            would_be.term_months
        );
    }
    println!();
    println!("{}", plan.explanation.en);
    ExitCode::SUCCESS
}
