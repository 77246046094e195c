//! A matter's events as a timeline in plain Dutch and English. The event types and the 4.1.0
//! kinds of payment demand are described in docs/FCID.md, §5 and §8.

use chrono::{DateTime, FixedOffset};

use super::model::{EventKind, Matter};
use super::wire::DemandKind;
use crate::lang::{Lang, format_cents};

/// What kind of step a timeline entry is, for icons and styling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// An obligation was imposed.
    Imposed,
    /// A payment was demanded by a date.
    PaymentDue,
    /// A demand was withdrawn.
    Withdrawn,
    /// A payment was processed.
    Paid,
    /// Part or all was remitted.
    Remitted,
    /// An event type Betaalpod does not know.
    Other,
}

/// One line of the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEntry {
    /// When the event happened.
    pub at: DateTime<FixedOffset>,
    /// The event's kenmerk.
    pub kenmerk: String,
    /// What kind of step it is.
    pub step: Step,
    /// The amount involved, if any.
    pub amount_cents: Option<i64>,
    /// True for a payment demand that was later withdrawn.
    pub withdrawn: bool,
    /// The line in Dutch.
    pub label_nl: String,
    /// The line in English.
    pub label_en: String,
}

impl TimelineEntry {
    /// The label in `lang`.
    pub fn label(&self, lang: Lang) -> &str {
        match lang {
            Lang::Nl => &self.label_nl,
            Lang::En => &self.label_en,
        }
    }
}

/// The matter's events, oldest first (events at the same moment keep document order).
pub fn timeline(matter: &Matter) -> Vec<TimelineEntry> {
    let withdrawn = matter.withdrawn_kenmerken();
    let mut entries: Vec<TimelineEntry> = matter
        .events
        .iter()
        .map(|event| {
            let nl = |c: i64| format_cents(c, Lang::Nl);
            let en = |c: i64| format_cents(c, Lang::En);
            let (step, amount, label_nl, label_en) = match &event.kind {
                EventKind::ObligationImposed(o) => {
                    let what = o
                        .description
                        .as_deref()
                        .or(o.category.as_deref())
                        .unwrap_or(o.type_code.as_str());
                    (
                        Step::Imposed,
                        Some(o.amount_cents),
                        format!("Opgelegd: {} ({what})", nl(o.amount_cents)),
                        format!("Imposed: {} ({what})", en(o.amount_cents)),
                    )
                }
                EventKind::PaymentDemanded(d) => {
                    let (word_nl, word_en) = match d.kind {
                        Some(DemandKind::Herinnering) => ("Herinnering", "Reminder"),
                        Some(DemandKind::Aanmaning) => ("Aanmaning", "Formal notice"),
                        Some(DemandKind::Aanschrijving) | None => ("Betaalverzoek", "Payment request"),
                    };
                    (
                        Step::PaymentDue,
                        Some(d.amount_cents),
                        format!(
                            "{word_nl}: {} uiterlijk {} betalen",
                            nl(d.amount_cents),
                            d.due_date.format("%d-%m-%Y")
                        ),
                        format!(
                            "{word_en}: pay {} by {}",
                            en(d.amount_cents),
                            d.due_date.format("%Y-%m-%d")
                        ),
                    )
                }
                EventKind::PaymentDemandWithdrawn(_) => (
                    Step::Withdrawn,
                    None,
                    "Betaalverzoek ingetrokken".to_owned(),
                    "Payment request withdrawn".to_owned(),
                ),
                EventKind::PaymentProcessed(p) => (
                    Step::Paid,
                    Some(p.amount_cents),
                    format!("Betaling verwerkt: {}", nl(p.amount_cents)),
                    format!("Payment processed: {}", en(p.amount_cents)),
                ),
                EventKind::ObligationRemitted(r) => (
                    Step::Remitted,
                    Some(r.amount_cents),
                    format!("Kwijtgescholden: {}", nl(r.amount_cents)),
                    format!("Remitted: {}", en(r.amount_cents)),
                ),
                EventKind::Unknown { event_type, .. } => (
                    Step::Other,
                    None,
                    format!("Andere gebeurtenis ({event_type})"),
                    format!("Other event ({event_type})"),
                ),
            };
            TimelineEntry {
                at: event.occurred_at,
                kenmerk: event.kenmerk.clone(),
                step,
                amount_cents: amount,
                withdrawn: step == Step::PaymentDue && withdrawn.contains(event.kenmerk.as_str()),
                label_nl,
                label_en,
            }
        })
        .collect();
    entries.sort_by_key(|e| e.at);
    entries
}
