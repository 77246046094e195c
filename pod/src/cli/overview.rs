//! `pod overview [--json] [--as-of YYYY-MM-DD]`: everything you owe, from the latest documents.

use chrono::NaiveDate;
use schemas::lang::{Lang, format_cents};

use super::admin::{DirArgs, unlock};

/// Arguments of `pod overview`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    dir: DirArgs,
    /// Compute amounts as of this date; defaults to today.
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    /// Print the overview document (the same as GET /api/overview).
    #[arg(long)]
    json: bool,
}

/// Prints the overview as a table or JSON.
pub fn run(args: Args) -> anyhow::Result<()> {
    let pod = unlock(&args.dir)?;
    let as_of = args.as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
    let overview = pod::overview::of(&pod, as_of, chrono::Utc::now())?;
    if args.json {
        println!("{}", serde_json::to_string(&overview)?);
        return Ok(());
    }
    let money = |cents: i64| format_cents(cents, Lang::En);
    println!("Overview as of {as_of}");
    println!();
    println!(
        "{:<44} {:>14} {:>14}  {:<7} fetched",
        "organisation", "outstanding", "overdue", "status"
    );
    for org in &overview.organisations {
        let status = org.status.as_str();
        let fetched = org
            .fetched_at
            .map_or_else(|| "never".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string());
        println!(
            "{:<44} {:>14} {:>14}  {:<7} {fetched}",
            org.name,
            money(org.totals.outstanding_cents),
            money(org.totals.overdue_cents),
            status
        );
        for matter in &org.matters {
            let text: String = matter
                .description
                .chars()
                .filter(|c| !c.is_control())
                .take(40)
                .collect();
            println!(
                "    {:<40} {:>14} {:>14}",
                text,
                money(matter.outstanding_cents),
                money(matter.overdue_cents)
            );
        }
    }
    println!();
    println!(
        "Total outstanding {}, of which overdue {}.",
        money(overview.totals.outstanding_cents),
        money(overview.totals.overdue_cents)
    );
    match &overview.next_due {
        Some(next) => println!(
            "Next payment: {} on {} ({}).",
            money(next.cents),
            next.date,
            next.organisation
        ),
        None => println!("No payment is due."),
    }
    for warning in &overview.warnings {
        println!("warning: {}", warning.text(Lang::En));
    }
    Ok(())
}
