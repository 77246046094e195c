//! The validated, version-independent model of a claim document.

use chrono::{DateTime, FixedOffset};
use serde_json::value::RawValue;

use super::wire::{
    ContactOption, ObligationImposed, ObligationRemitted, PaymentDemand, PaymentDemandWithdrawn, PaymentProcessed,
};
use crate::ids::{Bsn, Oin};

/// The FCID versions Betaalpod reads (docs/FCID.md, §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// v3.0.0, the current standard (May 2023).
    V3_0_0,
    /// v4.1.0, experimental (May 2024): remission events and typed payment demands.
    V4_1_0,
}

impl Version {
    /// The version as written in the envelope.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V3_0_0 => "3.0.0",
            Version::V4_1_0 => "4.1.0",
        }
    }

    /// Reads the envelope's version string.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "3.0.0" => Some(Version::V3_0_0),
            "4.1.0" => Some(Version::V4_1_0),
            _ => None,
        }
    }
}

/// A validated claim document: what one organisation claims from one citizen.
#[derive(Debug)]
pub struct Document {
    /// The version read from the envelope.
    pub version: Version,
    /// OIN of the organisation that supplied the document.
    pub supplied_by: Oin,
    /// When the organisation produced it.
    pub created_at: DateTime<FixedOffset>,
    /// The citizen it is about.
    pub bsn: Bsn,
    /// Its matters, in document order.
    pub matters: Vec<Matter>,
}

impl Document {
    /// The number of events over all matters.
    pub fn event_count(&self) -> usize {
        self.matters.iter().map(|m| m.events.len()).sum()
    }
}

/// One matter (financiële zaak) with its events.
#[derive(Debug)]
pub struct Matter {
    /// The zaakkenmerk.
    pub case_ref: String,
    /// The organisation's description.
    pub description: String,
    /// The organisation's own totals, used only for the integrity check.
    pub source_totals: SourceTotals,
    /// The events, in document order.
    pub events: Vec<Event>,
    /// Kenmerken the organisation lists as overdue (achterstanden), if it lists them.
    pub arrears: Option<Vec<String>>,
    /// Contact options, in document order.
    pub contact_options: Vec<ContactOption>,
}

impl Matter {
    /// Kenmerken of the payment demands that a later event withdrew.
    pub fn withdrawn_kenmerken(&self) -> std::collections::HashSet<&str> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::PaymentDemandWithdrawn(w) => Some(w.withdrawn_kenmerk.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The payment demands that still count (not withdrawn), in document order.
    pub fn live_demands(&self) -> Vec<(&Event, &PaymentDemand)> {
        let withdrawn = self.withdrawn_kenmerken();
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::PaymentDemanded(d) if !withdrawn.contains(e.kenmerk.as_str()) => Some((e, d)),
                _ => None,
            })
            .collect()
    }
}

/// What the organisation itself says the totals are. Betaalpod never shows these as truth; it
/// computes its own and warns when they differ.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceTotals {
    /// v3 `totaal_opgelegd` or v4.1 `totaal_financieel_verplicht`.
    pub imposed_cents: Option<i64>,
    /// v3 `totaal_reeds_betaald` or v4.1 `totaal_financieel_vereffend`.
    pub settled_cents: Option<i64>,
    /// `saldo`.
    pub balance_cents: Option<i64>,
    /// `saldo_datumtijd`.
    pub balance_at: Option<DateTime<FixedOffset>>,
}

/// One immutable event.
#[derive(Debug)]
pub struct Event {
    /// The event's unique kenmerk.
    pub kenmerk: String,
    /// When it happened.
    pub occurred_at: DateTime<FixedOffset>,
    /// Its matter's zaakkenmerk (checked equal to the matter's own).
    pub case_ref: String,
    /// What happened.
    pub kind: EventKind,
}

/// What an event says happened.
#[derive(Debug)]
pub enum EventKind {
    /// An obligation was imposed.
    ObligationImposed(ObligationImposed),
    /// A demand to pay by a date.
    PaymentDemanded(PaymentDemand),
    /// A demand was withdrawn.
    PaymentDemandWithdrawn(PaymentDemandWithdrawn),
    /// A payment was processed.
    PaymentProcessed(PaymentProcessed),
    /// (Partial) remission (v4.1).
    ObligationRemitted(ObligationRemitted),
    /// An event type this version of Betaalpod does not know. It is kept raw, shown as
    /// "other event" and left out of the totals, with a warning.
    Unknown {
        /// The `gebeurtenis_type` as written.
        event_type: String,
        /// The event's JSON, unchanged.
        raw: Box<RawValue>,
    },
}
