//! One matter in full, as the matter page and `GET /api/matters/{id}` show it: its derived
//! view, timeline, open payment demands and contact options, read from the organisation's
//! latest document.

use chrono::NaiveDate;
use schemas::fcid::{self, derive::MatterView};
use serde::Serialize;

/// One line of a matter's timeline.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineLine {
    /// When (RFC 3339).
    pub at: String,
    /// The event's kenmerk.
    pub kenmerk: String,
    /// The amount involved.
    pub amount_cents: Option<i64>,
    /// A payment demand that was withdrawn later.
    pub withdrawn: bool,
    /// In Dutch.
    pub label_nl: String,
    /// In English.
    pub label_en: String,
}

/// A payment still demanded, with how to pay it.
#[derive(Clone, Debug, Serialize)]
pub struct PaymentLine {
    /// Due date.
    pub due_date: NaiveDate,
    /// Amount.
    pub cents: i64,
    /// Where to pay.
    pub iban: Option<String>,
    /// What to mention.
    pub payment_reference: Option<String>,
}

/// A way to contact the organisation.
#[derive(Clone, Debug, Serialize)]
pub struct ContactLine {
    /// telefoon, email, website, …
    pub channel: String,
    /// The address.
    pub url: String,
    /// When or what for.
    pub description: Option<String>,
}

/// A matter in full: its derived view, timeline, payments and contacts.
#[derive(Clone, Debug, Serialize)]
pub struct MatterDetail {
    /// `<organisation id>:<index>`.
    pub id: String,
    /// The organisation's id.
    pub organisation: String,
    /// Exactly as `pod inspect --json` shows it.
    pub matter: MatterView,
    /// Oldest first.
    pub timeline: Vec<TimelineLine>,
    /// Open payment demands.
    pub payment_demands: Vec<PaymentLine>,
    /// The type codes of its obligations.
    pub claim_types: Vec<String>,
    /// Contact options.
    pub contact_options: Vec<ContactLine>,
}

/// Splits a matter id `<organisation id>:<index>`.
pub fn parse_id(id: &str) -> Option<(&str, usize)> {
    let (org, index) = id.rsplit_once(':')?;
    Some((org, index.parse().ok()?))
}

/// The matter at `index` of `document` (from organisation `org`) as of `today`, or `None` if
/// the document has no such matter.
pub fn detail(document: &fcid::Document, org: &str, index: usize, today: NaiveDate) -> Option<MatterDetail> {
    let matter = document.matters.get(index)?;
    Some(MatterDetail {
        id: format!("{org}:{index}"),
        organisation: org.to_owned(),
        matter: fcid::derive::matter_view(matter, today, document),
        timeline: fcid::timeline::timeline(matter)
            .into_iter()
            .map(|e| TimelineLine {
                at: e.at.to_rfc3339(),
                kenmerk: e.kenmerk,
                amount_cents: e.amount_cents,
                withdrawn: e.withdrawn,
                label_nl: e.label_nl,
                label_en: e.label_en,
            })
            .collect(),
        payment_demands: matter
            .live_demands()
            .into_iter()
            .map(|(_, d)| PaymentLine {
                due_date: d.due_date,
                cents: d.amount_cents,
                iban: d.iban.clone(),
                payment_reference: d.payment_reference.clone(),
            })
            .collect(),
        claim_types: matter
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                fcid::EventKind::ObligationImposed(o) => Some(o.type_code.to_string()),
                _ => None,
            })
            .collect(),
        contact_options: matter
            .contact_options
            .iter()
            .map(|c| ContactLine {
                channel: c.channel.clone(),
                url: c.url.clone(),
                description: c.description.clone(),
            })
            .collect(),
    })
}
