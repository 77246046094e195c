//! `pod inspect FILE [--as-of YYYY-MM-DD] [--json]`: validate one claim document and print its
//! derived view. It needs no pod, so anyone can check a document an organisation sent.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use schemas::fcid::{self, derive};
use schemas::lang::{Lang, format_cents};

/// Arguments of `pod inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The FCID document (JSON) to read.
    file: PathBuf,
    /// Compute amounts as of this date (YYYY-MM-DD); defaults to today.
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    /// Print the derived view as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Reads, validates and prints. An invalid document exits 2 with one line on stderr.
pub fn run(args: Args) -> ExitCode {
    let bytes = match read_limited(&args.file) {
        Ok(bytes) => bytes,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(1);
        }
    };
    let document = match fcid::parse(&bytes) {
        Ok(document) => document,
        Err(invalid) => {
            eprintln!(
                "error: invalid claim document at {}: {}",
                invalid.path,
                one_line(&invalid.problem)
            );
            return ExitCode::from(2);
        }
    };
    let as_of = args.as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
    let view = derive::view(&document, as_of);
    let output = if args.json {
        match serde_json::to_string(&view) {
            Ok(json) => json + "\n",
            Err(e) => {
                eprintln!("error: could not write JSON: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        table(&view)
    };
    match std::io::stdout().lock().write_all(output.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`pod inspect … | head`) is not worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: could not write output: {e}");
            ExitCode::from(1)
        }
    }
}

/// Reads the file, refusing before reading it whole when it is over the FCID size limit.
fn read_limited(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    let limit = fcid::MAX_DOCUMENT_BYTES as u64 + 1;
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // One byte over the limit is enough for the parser to refuse it with a clear message.
    Ok(bytes)
}

/// Organisation-supplied text must not break the one-line error promise.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn table(view: &derive::DocumentView) -> String {
    let money = |cents: i64| format_cents(cents, Lang::En);
    let mut out = format!(
        "FCID {} from organisation {}, as of {}\n\n",
        view.version, view.organisation, view.as_of
    );
    for matter in &view.matters {
        out += &format!("{}  {}\n", one_line(&matter.case_ref), one_line(&matter.description));
        out += &format!("  imposed      {:>16}\n", money(matter.imposed_cents));
        out += &format!("  settled      {:>16}\n", money(matter.settled_cents));
        let credit = if matter.outstanding_cents < 0 {
            "  (credit in your favour)"
        } else {
            ""
        };
        out += &format!("  outstanding  {:>16}{credit}\n", money(matter.outstanding_cents));
        out += &format!("  overdue      {:>16}\n", money(matter.overdue_cents));
        match matter.next_due {
            Some(next) => out += &format!("  next due     {:>16}  on {}\n", money(next.cents), next.date),
            None => out += "  next due     none\n",
        }
        for warning in &matter.warnings {
            out += &format!("  warning: {}\n", one_line(&warning.to_string()));
        }
        out += "\n";
    }
    let t = &view.totals;
    out += &format!(
        "Total: imposed {}, settled {}, outstanding {}, overdue {}\n",
        money(t.imposed_cents),
        money(t.settled_cents),
        money(t.outstanding_cents),
        money(t.overdue_cents)
    );
    out
}
