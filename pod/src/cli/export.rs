//! `pod export --format json|csv [--to age1…] --out FILE`: the overview for a debt counsellor,
//! optionally encrypted to the counsellor's own age key.

use std::path::PathBuf;

use super::admin::{DirArgs, unlock};

/// Arguments of `pod export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    dir: DirArgs,
    /// json (the overview document) or csv (one row per matter).
    #[arg(long, value_parser = ["json", "csv"])]
    format: String,
    /// Encrypt the export to this age recipient (your counsellor's `age1…`).
    #[arg(long, value_name = "AGE_RECIPIENT")]
    to: Option<String>,
    /// Where to write it (must not exist).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// Writes the export.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.out.exists() {
        anyhow::bail!("{} already exists; choose another --out", args.out.display());
    }
    let recipient = match &args.to {
        Some(text) => Some(
            text.parse::<age::x25519::Recipient>()
                .map_err(|e| anyhow::anyhow!("--to is not an age recipient (age1…): {e}"))?,
        ),
        None => None,
    };
    let pod = unlock(&args.dir)?;
    let overview = pod::overview::of(&pod, chrono::Local::now().date_naive(), chrono::Utc::now())?;
    let plain = match args.format.as_str() {
        "csv" => overview.to_csv().into_bytes(),
        _ => serde_json::to_vec_pretty(&overview)?,
    };
    let bytes = match &recipient {
        Some(r) => age::encrypt(r, &plain)?,
        None => plain,
    };
    std::fs::write(&args.out, bytes).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", args.out.display()))?;
    match recipient {
        Some(_) => println!(
            "Wrote {}, encrypted: only the holder of that age key can open it.",
            args.out.display()
        ),
        None => println!("Wrote {}. It is not encrypted; keep it safe.", args.out.display()),
    }
    Ok(())
}
