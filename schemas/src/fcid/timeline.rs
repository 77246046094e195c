//! A matter's events as a timeline in plain Dutch and English. The event types and the 4.1.0
//! kinds of payment demand are described in docs/FCID.md, §5 and §8.

use chrono::{DateTime, FixedOffset};

use super::model::{EventKind, Matter};
use super::wire::DemandKind;
use crate::lang::{Lang, format_cents};
use crate::say;

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
            let (step, amount) = match &event.kind {
                EventKind::ObligationImposed(o) => (Step::Imposed, Some(o.amount_cents)),
                EventKind::PaymentDemanded(d) => (Step::PaymentDue, Some(d.amount_cents)),
                EventKind::PaymentDemandWithdrawn(_) => (Step::Withdrawn, None),
                EventKind::PaymentProcessed(p) => (Step::Paid, Some(p.amount_cents)),
                EventKind::ObligationRemitted(r) => (Step::Remitted, Some(r.amount_cents)),
                EventKind::Unknown { .. } => (Step::Other, None),
            };
            let label = |lang: Lang| {
                let money = |cents: i64| format_cents(cents, lang);
                match &event.kind {
                    EventKind::ObligationImposed(o) => {
                        let what = o
                            .description
                            .as_deref()
                            .or(o.category.as_deref())
                            .unwrap_or(o.type_code.as_str());
                        let amount = money(o.amount_cents);
                        say!(lang, nl: "Opgelegd: {amount} ({what})"; en: "Imposed: {amount} ({what})")
                    }
                    EventKind::PaymentDemanded(d) => {
                        let word = match d.kind {
                            Some(DemandKind::Herinnering) => say!(lang, nl: "Herinnering"; en: "Reminder"),
                            Some(DemandKind::Aanmaning) => say!(lang, nl: "Aanmaning"; en: "Formal notice"),
                            Some(DemandKind::Aanschrijving) | None => {
                                say!(lang, nl: "Betaalverzoek"; en: "Payment request")
                            }
                        };
                        let amount = money(d.amount_cents);
                        say!(lang,
                            nl: "{word}: {amount} uiterlijk {} betalen", d.due_date.format("%d-%m-%Y");
                            en: "{word}: pay {amount} by {}", d.due_date.format("%Y-%m-%d"))
                    }
                    EventKind::PaymentDemandWithdrawn(_) => {
                        say!(lang, nl: "Betaalverzoek ingetrokken"; en: "Payment request withdrawn")
                    }
                    EventKind::PaymentProcessed(p) => {
                        let amount = money(p.amount_cents);
                        say!(lang, nl: "Betaling verwerkt: {amount}"; en: "Payment processed: {amount}")
                    }
                    EventKind::ObligationRemitted(r) => {
                        let amount = money(r.amount_cents);
                        say!(lang, nl: "Kwijtgescholden: {amount}"; en: "Remitted: {amount}")
                    }
                    EventKind::Unknown { event_type, .. } => {
                        say!(lang, nl: "Andere gebeurtenis ({event_type})"; en: "Other event ({event_type})")
                    }
                }
            };
            let (label_nl, label_en) = (label(Lang::Nl), label(Lang::En));
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
