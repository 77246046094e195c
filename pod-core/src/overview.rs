//! The overview (Mijn Betaaloverzicht): the latest document of every organisation, derived as of
//! a date, with totals, the next payment and what the citizen should know. The same document is
//! `pod overview --json` and `GET /api/overview`, and the browser builds it with this same code.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use schemas::fcid::derive::{self, MatterView, NextDue, Totals};
use serde::Serialize;

use std::collections::BTreeMap;

use schemas::descriptor::OrganisationDescriptor;
use schemas::fcid;

use crate::fetch_log::FetchLogEntry;

/// Data older than this is marked stale.
pub const STALE_AFTER_DAYS: i64 = 7;

/// How many calendar months ahead the overview sums what falls due.
pub const COMING_MONTHS: usize = 12;

/// The whole overview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overview {
    /// The date the amounts are computed for.
    pub as_of: NaiveDate,
    /// Sums over the organisations whose data is current ([`DataStatus::Ok`]). The others are
    /// in `left_out`: a sum that silently missed one would read as "you owe less".
    pub totals: Totals,
    /// The earliest amount falling due on or after `as_of`, at an organisation in the totals.
    pub next_due: Option<NextPayment>,
    /// What falls due in each of the [`COMING_MONTHS`] calendar months from `as_of`'s month on,
    /// at the organisations in the totals; a month with nothing due is there with 0.
    pub coming_months: Vec<ComingMonth>,
    /// The organisations kept out of the totals, and why: never fetched, last fetch failed, or
    /// older than [`STALE_AFTER_DAYS`].
    pub left_out: Vec<LeftOut>,
    /// One entry per organisation in the scheme or with stored documents.
    pub organisations: Vec<OrganisationOverview>,
    /// Things to know, in plain words (English here; [`OverviewWarning::text`] in either language).
    #[serde(serialize_with = "english_warnings")]
    pub warnings: Vec<OverviewWarning>,
}

/// Something the citizen should know about the overview as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OverviewWarning {
    /// The shown data of an organisation is more than a week old.
    Stale(String),
    /// The last fetch from an organisation failed.
    FetchFailed(String),
    /// A stored document can no longer be read.
    Unreadable(String),
    /// An organisation's totals for a matter don't add up.
    Inconsistent {
        /// The organisation's name.
        organisation: String,
        /// The matter's zaakkenmerk.
        case_ref: String,
    },
}

impl OverviewWarning {
    /// The warning in plain words.
    pub fn text(&self, lang: schemas::lang::Lang) -> String {
        use schemas::lang::Lang::{En, Nl};
        match (self, lang) {
            (OverviewWarning::Stale(name), En) => {
                format!("The data from {name} is more than {STALE_AFTER_DAYS} days old; fetch it again.")
            }
            (OverviewWarning::Stale(name), Nl) => {
                format!("De gegevens van {name} zijn ouder dan {STALE_AFTER_DAYS} dagen. Haal ze opnieuw op.")
            }
            (OverviewWarning::FetchFailed(name), En) => {
                format!("The last fetch from {name} failed; what is shown may be out of date.")
            }
            (OverviewWarning::FetchFailed(name), Nl) => {
                format!("Het laatste ophalen bij {name} is mislukt. Wat je ziet is misschien niet actueel.")
            }
            (OverviewWarning::Unreadable(name), En) => {
                format!("The stored document of {name} could not be read; fetch it again.")
            }
            (OverviewWarning::Unreadable(name), Nl) => {
                format!("Het opgeslagen document van {name} is niet leesbaar. Haal het opnieuw op.")
            }
            (OverviewWarning::Inconsistent { organisation, case_ref }, En) => {
                format!("{organisation}: the totals of {case_ref} don't add up; see the matter for details.")
            }
            (OverviewWarning::Inconsistent { organisation, case_ref }, Nl) => {
                format!("{organisation}: de totalen van {case_ref} kloppen niet. Bekijk de zaak voor meer uitleg.")
            }
        }
    }
}

fn english_warnings<S: serde::Serializer>(warnings: &[OverviewWarning], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(warnings.iter().map(|w| w.text(schemas::lang::Lang::En)))
}

/// An organisation kept out of the overview's totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Why: [`DataStatus::Never`], [`DataStatus::Failed`] or [`DataStatus::Stale`].
    pub status: DataStatus,
    /// When its shown data was fetched, if ever.
    pub fetched_at: Option<DateTime<Utc>>,
}

impl Overview {
    /// The organisation `id`, if the overview has it.
    pub fn organisation(&self, id: &str) -> Option<&OrganisationOverview> {
        self.organisations.iter().find(|o| o.id == id)
    }

    /// The name of organisation `id`, or the id itself for one the overview does not have.
    pub fn name_of<'a>(&'a self, id: &'a str) -> &'a str {
        self.organisation(id).map_or(id, |o| o.name.as_str())
    }

    /// Whether any organisation's data has ever been fetched: before that, the overview has no
    /// figures to show at all, only the way to fetch them.
    pub fn has_data(&self) -> bool {
        self.organisations.iter().any(|o| o.fetched_at.is_some())
    }
}

/// The next payment and who it is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NextPayment {
    /// Due date.
    pub date: NaiveDate,
    /// The part still open.
    pub cents: i64,
    /// The organisation's id.
    pub organisation: String,
    /// The matter's place in that organisation's `matters`, where the way to pay is.
    pub matter: usize,
}

/// What falls due in one calendar month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComingMonth {
    /// The month's first day.
    pub month: NaiveDate,
    /// The sum over `organisations`.
    pub cents: i64,
    /// What each organisation asks that month, in the overview's order; only those that ask.
    pub organisations: Vec<MonthShare>,
}

/// One organisation's part of a [`ComingMonth`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthShare {
    /// The organisation's id.
    pub organisation: String,
    /// What falls due that month.
    pub cents: i64,
}

/// The first day of the month `months` after `date`'s month.
fn month_start(date: NaiveDate, months: u32) -> Option<NaiveDate> {
    date.with_day(1)?.checked_add_months(chrono::Months::new(months))
}

/// Sums the counted organisations' upcoming amounts per calendar month.
fn coming_months(organisations: &[OrganisationOverview], as_of: NaiveDate) -> Vec<ComingMonth> {
    (0u32..)
        .take(COMING_MONTHS)
        .filter_map(|k| Some((month_start(as_of, k)?, month_start(as_of, k + 1)?)))
        .map(|(month, next)| {
            let shares: Vec<MonthShare> = organisations
                .iter()
                .filter(|o| o.status == DataStatus::Ok)
                .map(|o| MonthShare {
                    organisation: o.id.clone(),
                    cents: o
                        .matters
                        .iter()
                        .flat_map(|m| &m.upcoming)
                        .filter(|u| u.date >= month && u.date < next)
                        .fold(0i64, |sum, u| sum.saturating_add(u.cents)),
                })
                .filter(|share| share.cents > 0)
                .collect();
            ComingMonth {
                month,
                cents: shares.iter().fold(0i64, |sum, s| sum.saturating_add(s.cents)),
                organisations: shares,
            }
        })
        .collect()
}

/// How current an organisation's data is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataStatus {
    /// Fetched within the last week, and the last fetch succeeded.
    Ok,
    /// The latest document is older than a week.
    Stale,
    /// The last fetch failed (older data, if any, is still shown).
    Failed,
    /// Never fetched.
    Never,
}

schemas::wire_names!("data status", DataStatus {
    Ok => "ok",
    Stale => "stale",
    Failed => "failed",
    Never => "never",
});

/// One organisation in the overview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrganisationOverview {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When the shown document was last fetched (or fetched again, unchanged).
    pub fetched_at: Option<DateTime<Utc>>,
    /// How current it is.
    pub status: DataStatus,
    /// Its totals.
    pub totals: Totals,
    /// Its matters, each exactly as `pod inspect --json` shows them.
    pub matters: Vec<MatterView>,
}

impl Overview {
    /// One row per matter, for a debt counsellor's spreadsheet.
    pub fn to_csv(&self) -> String {
        let mut csv = String::from(
            "organisation,zaakkenmerk,omschrijving,imposed_cents,settled_cents,outstanding_cents,overdue_cents,next_due_date,next_due_cents\n",
        );
        for org in &self.organisations {
            for m in &org.matters {
                let (date, cents) = m.next_due.map_or((String::new(), String::new()), |n| {
                    (n.date.to_string(), n.cents.to_string())
                });
                csv += &format!(
                    "{},{},{},{},{},{},{},{date},{cents}\n",
                    csv_field(&org.name),
                    csv_field(&m.case_ref),
                    csv_field(&m.description),
                    m.imposed_cents,
                    m.settled_cents,
                    m.outstanding_cents,
                    m.overdue_cents
                );
            }
        }
        csv
    }
}

/// Quotes a CSV field, and defuses spreadsheet formulas in organisation-supplied text.
fn csv_field(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

/// One organisation's latest stored document, as the overview needs it.
#[derive(Debug)]
pub struct LatestDocument {
    /// When it was stored.
    pub fetched_at: DateTime<Utc>,
    /// The parsed document, or `None` when it can no longer be read.
    pub document: Option<fcid::Document>,
}

/// Builds the overview as of `as_of`, judging staleness at `now`, from the pinned
/// organisations, the latest document of each organisation and the transparency log.
pub fn build(
    pinned: &[OrganisationDescriptor],
    latest: &BTreeMap<String, LatestDocument>,
    log: &[FetchLogEntry],
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Overview {
    let mut ids: Vec<String> = pinned
        .iter()
        .map(|o| o.id.to_string())
        .chain(latest.keys().cloned())
        .collect();
    ids.sort();
    ids.dedup();

    let mut organisations = Vec::new();
    let mut warnings = Vec::new();
    let mut next_due: Option<NextPayment> = None;
    for id in ids {
        let name = pinned
            .iter()
            .find(|o| o.id.as_str() == id)
            .map_or_else(|| id.clone(), |o| o.name.clone());
        let last_attempt = log.iter().rev().find(|e| e.org == id);
        let failed = last_attempt.is_some_and(|e| e.outcome != "ok");
        // A fetch that returned the same document stores none, so the newest successful fetch in
        // the log says how current the shown document is.
        let confirmed_at = log
            .iter()
            .filter(|e| e.org == id && e.action == "fetch" && e.outcome == "ok")
            .map(|e| e.finished_at)
            .max();
        let (fetched_at, matters) = match latest.get(&id) {
            None => (None, Vec::new()),
            Some(stored) => {
                let fetched_at = Some(confirmed_at.map_or(stored.fetched_at, |at| at.max(stored.fetched_at)));
                match &stored.document {
                    Some(document) => (fetched_at, derive::view(document, as_of).matters),
                    None => {
                        warnings.push(OverviewWarning::Unreadable(name.clone()));
                        (fetched_at, Vec::new())
                    }
                }
            }
        };
        let status = match fetched_at {
            None if failed => DataStatus::Failed,
            None => DataStatus::Never,
            Some(_) if failed => DataStatus::Failed,
            Some(at) if now - at > chrono::Duration::days(STALE_AFTER_DAYS) => DataStatus::Stale,
            Some(_) => DataStatus::Ok,
        };
        match status {
            DataStatus::Stale => warnings.push(OverviewWarning::Stale(name.clone())),
            DataStatus::Failed => warnings.push(OverviewWarning::FetchFailed(name.clone())),
            DataStatus::Ok | DataStatus::Never => {}
        }
        for (index, matter) in matters.iter().enumerate() {
            if !matter.consistent {
                warnings.push(OverviewWarning::Inconsistent {
                    organisation: name.clone(),
                    case_ref: matter.case_ref.clone(),
                });
            }
            if status == DataStatus::Ok
                && let Some(NextDue { date, cents }) = matter.next_due
                && next_due.as_ref().is_none_or(|n| date < n.date)
            {
                next_due = Some(NextPayment {
                    date,
                    cents,
                    organisation: id.clone(),
                    matter: index,
                });
            }
        }
        let totals = matters.iter().map(Totals::from).sum();
        organisations.push(OrganisationOverview {
            id,
            name,
            fetched_at,
            status,
            totals,
            matters,
        });
    }
    let totals = organisations
        .iter()
        .filter(|o| o.status == DataStatus::Ok)
        .map(|o| o.totals)
        .sum();
    let left_out = organisations
        .iter()
        .filter(|o| o.status != DataStatus::Ok)
        .map(|o| LeftOut {
            id: o.id.clone(),
            name: o.name.clone(),
            status: o.status,
            fetched_at: o.fetched_at,
        })
        .collect();
    Overview {
        as_of,
        totals,
        next_due,
        coming_months: coming_months(&organisations, as_of),
        left_out,
        organisations,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn data_statuses_are_named_as_serde_names_them() {
        for status in DataStatus::ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), serde_json::Value::String(status.to_string()));
            assert_eq!(status.as_str().parse::<DataStatus>().unwrap(), *status);
        }
    }

    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "\"plain\"");
        assert_eq!(csv_field("say \"hi\", ok"), "\"say \"\"hi\"\", ok\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-2+3"), "\"'-2+3\"");
    }

    #[test]
    fn a_fetch_that_found_nothing_new_keeps_the_document_current() {
        let t = |s: &str| -> DateTime<Utc> { s.parse().unwrap() };
        let stored = LatestDocument {
            fetched_at: t("2026-01-01T10:00:00Z"),
            document: None,
        };
        let latest = BTreeMap::from([("cjib".to_owned(), stored)]);
        let entry = |at: &str, outcome: &str| {
            let mut entry = FetchLogEntry::contact("cjib", "CJIB", "fetch", "f", t(at), t(at));
            if outcome != "ok" {
                entry.failed("down");
            }
            entry
        };
        let now = t("2026-12-02T10:00:00Z");
        let view = |log: &[FetchLogEntry]| build(&[], &latest, log, now.date_naive(), now).organisations.remove(0);
        let stale = view(&[entry("2026-01-01T10:00:00Z", "ok")]);
        assert_eq!(stale.status, DataStatus::Stale, "fetched eleven months ago");
        // Fetched again yesterday, the same document: no new record, but current.
        let current = view(&[entry("2026-01-01T10:00:00Z", "ok"), entry("2026-12-01T10:00:00Z", "ok")]);
        assert_eq!(current.fetched_at, Some(t("2026-12-01T10:00:00Z")));
        assert_ne!(current.status, DataStatus::Stale);
        // A failed fetch does not count as one.
        let failed = view(&[entry("2026-01-01T10:00:00Z", "ok"), entry("2026-12-01T10:00:00Z", "error")]);
        assert_eq!(failed.fetched_at, Some(t("2026-01-01T10:00:00Z")));
        assert_eq!(failed.status, DataStatus::Failed);
    }

    #[test]
    fn only_current_organisations_are_in_the_totals_and_the_others_are_named() {
        let t = |s: &str| -> DateTime<Utc> { s.parse().unwrap() };
        let document = || {
            Some(
                fcid::parse(include_bytes!("../../schemas/tests/fixtures/fcid/valid_v3_next_due_installments.json"))
                    .unwrap(),
            )
        };
        let now = t("2024-03-01T10:00:00Z");
        let stored = |at: &str| LatestDocument {
            fetched_at: t(at),
            document: document(),
        };
        // The same document at three organisations: current, failed since, and stale.
        let latest = BTreeMap::from([
            ("a-current".to_owned(), stored("2024-03-01T09:00:00Z")),
            ("b-failed".to_owned(), stored("2024-02-28T09:00:00Z")),
            ("c-stale".to_owned(), stored("2024-01-01T09:00:00Z")),
        ]);
        let mut failure = FetchLogEntry::contact("b-failed", "B", "fetch", "f", now, now);
        failure.failed("down");
        let pinned: Vec<OrganisationDescriptor> = Vec::new();
        let mut overview = build(&pinned, &latest, &[failure], now.date_naive(), now);
        assert!(overview.has_data());
        assert_eq!(overview.totals.outstanding_cents, 17_500, "only the current organisation counts");
        assert_eq!(overview.next_due.as_ref().map(|n| n.organisation.as_str()), Some("a-current"));
        let left_out: Vec<(&str, DataStatus)> = overview.left_out.iter().map(|o| (o.id.as_str(), o.status)).collect();
        assert_eq!(left_out, [("b-failed", DataStatus::Failed), ("c-stale", DataStatus::Stale)]);
        assert_eq!(overview.left_out[1].fetched_at, Some(t("2024-01-01T09:00:00Z")), "and since when");
        // The coming months: 75.00 of March's instalment is still open after a partial
        // payment, April's 100.00 in full; only the current organisation, and 12 months always.
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let months: Vec<(NaiveDate, i64)> = overview.coming_months.iter().map(|m| (m.month, m.cents)).collect();
        assert_eq!(months.len(), COMING_MONTHS);
        assert_eq!(months[..3], [(day("2024-03-01"), 7_500), (day("2024-04-01"), 10_000), (day("2024-05-01"), 0)]);
        assert_eq!(months[11].0, day("2025-02-01"));
        assert_eq!(
            overview.coming_months[1].organisations,
            [MonthShare {
                organisation: "a-current".to_owned(),
                cents: 10_000
            }]
        );
        assert!(overview.coming_months[2].organisations.is_empty());
        assert_eq!(overview.next_due.as_ref().map(|n| n.matter), Some(0));
        // Their own figures are still there, for their own blocks.
        overview.organisations.retain(|o| o.id == "c-stale");
        assert_eq!(overview.organisations[0].totals.outstanding_cents, 17_500);

        let nothing = build(&pinned, &BTreeMap::new(), &[], now.date_naive(), now);
        assert!(!nothing.has_data());
        assert_eq!(nothing.totals.outstanding_cents, 0);
        assert!(nothing.coming_months.iter().all(|m| m.cents == 0 && m.organisations.is_empty()));
    }
}
