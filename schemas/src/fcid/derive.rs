//! The derived view: what Betaalpod computes from the events, never trusting the source's totals.
//!
//! Rules (Betaalpod's reading of the standard's event semantics; docs/FCID.md, §7):
//! - imposed = Σ imposed obligations; payment demands are not added (they ask for the same money);
//! - settled = Σ payments + Σ remissions; outstanding = imposed − settled (negative is a credit);
//! - due by d = Σ non-withdrawn demands with due date ≤ d;
//! - overdue at d = clamp(due by d−1 − settled, 0, outstanding);
//! - next due = the earliest non-withdrawn demand date ≥ d whose cumulative due exceeds settled.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

use super::model::{Document, EventKind, Matter};
use crate::lang::{Lang, format_cents};

/// The derived view of a whole document, in the shape `pod inspect --json` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DocumentView {
    /// The FCID version read from the envelope.
    pub version: &'static str,
    /// OIN of the supplying organisation.
    pub organisation: String,
    /// The date the amounts are computed for.
    pub as_of: NaiveDate,
    /// One view per matter, in document order.
    pub matters: Vec<MatterView>,
    /// Sums over all matters.
    pub totals: Totals,
}

/// The derived amounts of one matter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MatterView {
    /// The matter's zaakkenmerk.
    #[serde(rename = "zaakkenmerk")]
    pub case_ref: String,
    /// The organisation's description.
    #[serde(rename = "omschrijving")]
    pub description: String,
    /// Σ imposed obligations.
    pub imposed_cents: i64,
    /// Σ payments and remissions.
    pub settled_cents: i64,
    /// imposed − settled; negative is a credit.
    pub outstanding_cents: i64,
    /// What was due before `as_of` and is still unpaid.
    pub overdue_cents: i64,
    /// The next amount falling due on or after `as_of`.
    pub next_due: Option<NextDue>,
    /// Every amount still to fall due on or after `as_of`, earliest first; the first is
    /// `next_due`. Not in the JSON view (`pod inspect --json`): the overview sums it per month.
    #[serde(skip)]
    pub upcoming: Vec<NextDue>,
    /// Whether the organisation's own totals agree with its events.
    pub consistent: bool,
    /// Integrity warnings and notes, for the citizen.
    #[serde(serialize_with = "english_warnings")]
    pub warnings: Vec<Warning>,
}

/// The next payment falling due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NextDue {
    /// The due date.
    pub date: NaiveDate,
    /// The part of it still open.
    pub cents: i64,
}

/// Sums over matters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Σ imposed.
    pub imposed_cents: i64,
    /// Σ settled.
    pub settled_cents: i64,
    /// Σ outstanding (credits included, so a credit on one matter lowers the total).
    pub outstanding_cents: i64,
    /// Σ overdue.
    pub overdue_cents: i64,
}

/// Sums saturate. One document's sums cannot overflow (at most [`MAX_EVENTS`] amounts of at most
/// [`MAX_AMOUNT_CENTS`]), but totals across organisations could, with hostile documents: they
/// are capped at ±€92 quadrillion instead of wrapping to a wrong, even negative, total.
///
/// [`MAX_EVENTS`]: super::MAX_EVENTS
/// [`MAX_AMOUNT_CENTS`]: super::MAX_AMOUNT_CENTS
impl std::ops::Add for Totals {
    type Output = Totals;

    fn add(self, other: Totals) -> Totals {
        Totals {
            imposed_cents: self.imposed_cents.saturating_add(other.imposed_cents),
            settled_cents: self.settled_cents.saturating_add(other.settled_cents),
            outstanding_cents: self.outstanding_cents.saturating_add(other.outstanding_cents),
            overdue_cents: self.overdue_cents.saturating_add(other.overdue_cents),
        }
    }
}

impl std::iter::Sum for Totals {
    fn sum<I: Iterator<Item = Totals>>(iter: I) -> Totals {
        iter.fold(Totals::default(), |a, b| a + b)
    }
}

impl From<&MatterView> for Totals {
    fn from(m: &MatterView) -> Totals {
        Totals {
            imposed_cents: m.imposed_cents,
            settled_cents: m.settled_cents,
            outstanding_cents: m.outstanding_cents,
            overdue_cents: m.overdue_cents,
        }
    }
}

/// Something the citizen should know about a matter. Only the `*Mismatch` kinds make a matter
/// inconsistent; an unknown event is a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning {
    /// The organisation's total imposed differs from the sum of its events.
    ImposedMismatch {
        /// What the organisation says.
        source: i64,
        /// What the events add up to.
        computed: i64,
    },
    /// The organisation's total settled differs from the sum of its events.
    SettledMismatch {
        /// What the organisation says.
        source: i64,
        /// What the events add up to.
        computed: i64,
    },
    /// The organisation's balance (saldo) differs from imposed − settled.
    BalanceMismatch {
        /// What the organisation says.
        source: i64,
        /// What the events add up to.
        computed: i64,
    },
    /// The organisation's list of overdue demands differs from what its events imply.
    ArrearsMismatch {
        /// Kenmerken the organisation lists, sorted.
        source: Vec<String>,
        /// Kenmerken the events make overdue, sorted.
        computed: Vec<String>,
    },
    /// An event type this version does not know; it was left out of the totals.
    UnknownEvent {
        /// The `gebeurtenis_type` as written.
        event_type: String,
    },
}

impl Warning {
    /// Whether this warning means the organisation's totals don't add up.
    pub fn is_inconsistency(&self) -> bool {
        !matches!(self, Warning::UnknownEvent { .. })
    }

    /// The warning in plain words.
    pub fn text(&self, lang: Lang) -> String {
        let money = |cents: &i64| format_cents(*cents, lang);
        match self {
            Warning::ImposedMismatch { source, computed } => crate::say!(lang,
                nl: "De totalen van deze organisatie kloppen niet. Volgens haar is {} opgelegd, maar de gebeurtenissen tellen op tot {}.", money(source), money(computed);
                en: "This organisation's totals don't add up: it says {} was imposed, its events add up to {}.", money(source), money(computed)),
            Warning::SettledMismatch { source, computed } => crate::say!(lang,
                nl: "De totalen van deze organisatie kloppen niet. Volgens haar is {} betaald of kwijtgescholden, maar de gebeurtenissen tellen op tot {}.", money(source), money(computed);
                en: "This organisation's totals don't add up: it says {} was paid or settled, its events add up to {}.", money(source), money(computed)),
            Warning::BalanceMismatch { source, computed } => crate::say!(lang,
                nl: "De totalen van deze organisatie kloppen niet. Zij zegt dat je nog {} moet betalen, maar de gebeurtenissen geven {}.", money(source), money(computed);
                en: "This organisation's totals don't add up: it gives a balance of {}, its events give {}.", money(source), money(computed)),
            Warning::ArrearsMismatch { source, computed } => crate::say!(lang,
                nl: "De lijst van achterstanden van deze organisatie ({}) klopt niet met de gebeurtenissen ({}).", list(source), list(computed);
                en: "This organisation's list of overdue payments ({}) doesn't match its events ({}).", list(source), list(computed)),
            Warning::UnknownEvent { event_type } => crate::say!(lang,
                nl: "Een gebeurtenis van onbekend type {event_type:?} staat als \"andere gebeurtenis\" in het verloop. Ze telt niet mee in de totalen.";
                en: "An event of unknown type {event_type:?} is shown as \"other event\" and left out of the totals."),
        }
    }
}

fn list(kenmerken: &[String]) -> String {
    if kenmerken.is_empty() {
        "-".to_owned()
    } else {
        kenmerken.join(", ")
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

fn english_warnings<S: Serializer>(warnings: &[Warning], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(warnings.iter().map(|w| w.text(Lang::En)))
}

/// Computes the view of a whole document as of `as_of`.
pub fn view(document: &Document, as_of: NaiveDate) -> DocumentView {
    let matters: Vec<MatterView> = document
        .matters
        .iter()
        .map(|m| matter_view(m, as_of, document))
        .collect();
    let totals = matters.iter().map(Totals::from).sum();
    DocumentView {
        version: document.version.as_str(),
        organisation: document.supplied_by.to_string(),
        as_of,
        matters,
        totals,
    }
}

/// A payment demand that still counts (not withdrawn), in the order it falls due.
struct LiveDemand<'a> {
    kenmerk: &'a str,
    due: NaiveDate,
    cents: i64,
}

/// Computes the view of one matter as of `as_of`. The document supplies the fallback date for
/// the arrears check when the matter has no `saldo_datumtijd`.
pub fn matter_view(matter: &Matter, as_of: NaiveDate, document: &Document) -> MatterView {
    let mut imposed = 0i64;
    let mut settled = 0i64;
    let mut warnings = Vec::new();
    for event in &matter.events {
        match &event.kind {
            EventKind::ObligationImposed(o) => imposed += o.amount_cents,
            EventKind::PaymentProcessed(p) => settled += p.amount_cents,
            EventKind::ObligationRemitted(r) => settled += r.amount_cents,
            EventKind::Unknown { event_type, .. } => warnings.push(Warning::UnknownEvent {
                event_type: event_type.clone(),
            }),
            EventKind::PaymentDemanded(_) | EventKind::PaymentDemandWithdrawn(_) => {}
        }
    }
    let outstanding = imposed - settled;
    let demands = live_demands(matter);

    let due_before = |date: NaiveDate| -> i64 { demands.iter().filter(|d| d.due < date).map(|d| d.cents).sum() };
    let overdue = (due_before(as_of) - settled).min(outstanding).max(0);
    let upcoming = upcoming(&demands, as_of, settled, outstanding - overdue);

    let source = &matter.source_totals;
    let mismatch = |source: Option<i64>, computed: i64| source.filter(|s| *s != computed);
    if let Some(s) = mismatch(source.imposed_cents, imposed) {
        warnings.push(Warning::ImposedMismatch {
            source: s,
            computed: imposed,
        });
    }
    if let Some(s) = mismatch(source.settled_cents, settled) {
        warnings.push(Warning::SettledMismatch {
            source: s,
            computed: settled,
        });
    }
    if let Some(s) = mismatch(source.balance_cents, outstanding) {
        warnings.push(Warning::BalanceMismatch {
            source: s,
            computed: outstanding,
        });
    }
    // The organisation's arrears list describes the moment of its balance, not our `as_of`.
    if let Some(arrears) = &matter.arrears {
        let arrears_date = source.balance_at.unwrap_or(document.created_at).date_naive();
        let mut computed: Vec<String> = overdue_demands(&demands, arrears_date, settled, outstanding);
        computed.sort_unstable();
        let mut listed: Vec<String> = arrears.iter().cloned().collect::<HashSet<_>>().into_iter().collect();
        listed.sort_unstable();
        if listed != computed {
            warnings.push(Warning::ArrearsMismatch {
                source: listed,
                computed,
            });
        }
    }

    MatterView {
        case_ref: matter.case_ref.clone(),
        description: matter.description.clone(),
        imposed_cents: imposed,
        settled_cents: settled,
        outstanding_cents: outstanding,
        overdue_cents: overdue,
        next_due: upcoming.first().copied(),
        upcoming,
        consistent: !warnings.iter().any(Warning::is_inconsistency),
        warnings,
    }
}

fn live_demands(matter: &Matter) -> Vec<LiveDemand<'_>> {
    let mut demands: Vec<LiveDemand> = matter
        .live_demands()
        .into_iter()
        .map(|(e, d)| LiveDemand {
            kenmerk: &e.kenmerk,
            due: d.due_date,
            cents: d.amount_cents,
        })
        .collect();
    // Stable: demands due the same day keep document order.
    demands.sort_by_key(|d| d.due);
    demands
}

/// The open part of every demand date on or after `as_of`, earliest first: a date counts once
/// the cumulative demand up to it exceeds what was settled. `still_open` caps the sum, so a
/// remission or a credit is never reported as due, nor a reminder that repeats money already
/// demanded.
fn upcoming(demands: &[LiveDemand], as_of: NaiveDate, settled: i64, still_open: i64) -> Vec<NextDue> {
    let mut per_date: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for d in demands {
        *per_date.entry(d.due).or_default() += d.cents;
    }
    let mut cumulative = 0i64;
    let mut left = still_open;
    let mut upcoming = Vec::new();
    for (date, on_date) in per_date {
        cumulative = cumulative.saturating_add(on_date);
        if date < as_of || cumulative <= settled {
            continue;
        }
        let cents = (cumulative - settled).min(on_date).min(left);
        if cents > 0 {
            upcoming.push(NextDue { date, cents });
            left -= cents;
        }
    }
    upcoming
}

/// Kenmerken of the payment demands in `matter` that are overdue on `date`: due before it and
/// not covered by what was settled, paying the oldest first. This is what an organisation
/// should list as `achterstanden`.
pub fn overdue_kenmerken(matter: &Matter, date: NaiveDate) -> Vec<String> {
    let (imposed, settled) = matter
        .events
        .iter()
        .fold((0, 0), |(imposed, settled), e| match &e.kind {
            EventKind::ObligationImposed(o) => (imposed + o.amount_cents, settled),
            EventKind::PaymentProcessed(p) => (imposed, settled + p.amount_cents),
            EventKind::ObligationRemitted(r) => (imposed, settled + r.amount_cents),
            _ => (imposed, settled),
        });
    overdue_demands(&live_demands(matter), date, settled, imposed - settled)
}

/// Kenmerken of demands due before `date` that the settled amount does not cover, paying the
/// oldest first.
/// Only as much as is still outstanding counts: demands that repeat money already demanded
/// (a reminder) are not overdue once the matter is paid.
fn overdue_demands(demands: &[LiveDemand], date: NaiveDate, settled: i64, outstanding: i64) -> Vec<String> {
    let mut covered = settled;
    let mut overdue_left = outstanding;
    let mut overdue = Vec::new();
    for d in demands.iter().filter(|d| d.due < date) {
        let uncovered = d.cents - covered.min(d.cents);
        covered -= d.cents - uncovered;
        if uncovered > 0 && overdue_left > 0 {
            overdue_left -= uncovered;
            overdue.push(d.kenmerk.to_owned());
        }
    }
    overdue
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_across_hostile_documents_saturate_instead_of_wrapping() {
        // The largest totals one valid document can have, at ten organisations.
        let largest = crate::fcid::MAX_AMOUNT_CENTS * crate::fcid::MAX_EVENTS as i64;
        let one = Totals {
            imposed_cents: largest,
            settled_cents: 0,
            outstanding_cents: largest,
            overdue_cents: largest,
        };
        let credit = Totals {
            outstanding_cents: -largest,
            ..Totals::default()
        };
        let sum: Totals = std::iter::repeat_n(one, 10).sum();
        assert_eq!(sum.imposed_cents, i64::MAX);
        assert_eq!(sum.outstanding_cents, i64::MAX, "never wrapped to a negative total");
        let credits: Totals = std::iter::repeat_n(credit, 10).sum();
        assert_eq!(credits.outstanding_cents, i64::MIN);
        let ordinary: Totals = [one, credit].into_iter().sum();
        assert_eq!(ordinary.outstanding_cents, 0, "ordinary sums are exact");
    }
}
