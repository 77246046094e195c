//! `pod audit [--dir DIR] [--at-rest-only] [--json]`: what the pod stores (without decrypting),
//! whom it contacted, what each organisation received, and which keys it trusts.

use pod::audit::{AtRest, Disclosures};

use super::admin::{self, DirArgs};

/// Arguments of `pod audit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    dir: DirArgs,
    /// Show only what anyone holding the files sees; needs no passphrase.
    #[arg(long)]
    at_rest_only: bool,
    /// Print JSON: `{"at_rest": …, "disclosures": … | null}`.
    #[arg(long)]
    json: bool,
}

/// Prints the at-rest view first (read before unlocking, so it is exactly what a disk thief
/// sees), then, unless `--at-rest-only`, unlocks and prints the disclosures.
pub fn run(args: Args) -> anyhow::Result<()> {
    let at_rest = pod::audit::at_rest(&args.dir.pod())?;
    let disclosures = if args.at_rest_only {
        None
    } else {
        let pod = admin::unlock(&args.dir)?;
        Some(pod::audit::disclosures(&pod)?)
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"at_rest": at_rest, "disclosures": disclosures}))?
        );
    } else {
        print_at_rest(&at_rest);
        if let Some(disclosures) = &disclosures {
            print_disclosures(disclosures);
        }
    }
    Ok(())
}

fn print_at_rest(at_rest: &AtRest) {
    println!("At rest, in {} (nothing decrypted; anyone with these files sees this):", at_rest.dir.display());
    for file in &at_rest.files {
        let modified = file.modified.map(|t| t.to_rfc3339()).unwrap_or_else(|| "unknown".to_owned());
        println!("  {:<40} {:>10} bytes  changed {modified}", file.path, file.bytes);
    }
    for space in &at_rest.spaces {
        let sizes: Vec<String> = space
            .sizes
            .iter()
            .map(|(size, count)| format!("{count} × {size} bytes"))
            .collect();
        println!("  store space {:<8} {:>5} values  {}", space.space, space.values, sizes.join(", "));
    }
    if let Some(recipient) = &at_rest.recipient {
        println!("  public recipient {recipient}");
    }
}

fn print_disclosures(disclosures: &Disclosures) {
    println!();
    println!("Contacts (from the transparency log):");
    if disclosures.contacts.is_empty() {
        println!("  none: this pod has never contacted an organisation");
    }
    for contact in &disclosures.contacts {
        let actions: Vec<String> = contact.actions.iter().map(|(a, n)| format!("{n} × {a}")).collect();
        let when = match (contact.first, contact.last) {
            (Some(first), Some(last)) => format!("{} … {}", first.to_rfc3339(), last.to_rfc3339()),
            _ => String::new(),
        };
        println!(
            "  {:<6} {}: {} ({} failed)  {when}",
            contact.org,
            contact.name,
            actions.join(", "),
            contact.failed
        );
    }
    println!();
    println!("What each organisation received in submissions:");
    if disclosures.submissions.is_empty() {
        println!("  nothing: no arrangement was submitted");
    }
    for part in &disclosures.submissions {
        println!(
            "  {:<6} receipt {}: its own claims {} at {}/month; plan total {}/month over {} organisations; full plan and income shared: {}",
            part.org,
            part.receipt_id,
            part.claim_references.join(", "),
            schemas::lang::format_cents(part.monthly_cents, schemas::lang::Lang::En),
            schemas::lang::format_cents(part.plan_monthly_total_cents, schemas::lang::Lang::En),
            part.organisations_in_plan,
            if part.full_disclosure { "yes" } else { "no" }
        );
    }
    println!();
    println!(
        "Pinned organisations and keys (scheme version {}):",
        disclosures
            .manager_version
            .map_or_else(|| "none imported".to_owned(), |v| v.to_string())
    );
    for org in &disclosures.pinned {
        println!("  {:<6} {}  {}", org.org, org.name, org.base_url);
        for key in &org.keys {
            let revoked = if key.revoked { "  (revoked)" } else { "" };
            println!("         key {}  fingerprint {}{revoked}", key.kid, key.fingerprint);
        }
    }
}
