//! A saved plan and the part of it each organisation receives. Building a part is pure, so the
//! browser and the native pod send exactly the same bytes.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use schemas::arrangement::{ArrangementInput, ArrangementPart, ArrangementPlan, FullDisclosure, PartClaim, PartFormat};
use serde::{Deserialize, Serialize};

/// A saved plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedArrangement {
    /// When it was saved.
    pub saved_at: DateTime<Utc>,
    /// What the citizen entered.
    pub input: ArrangementInput,
    /// What the engine answered.
    pub plan: ArrangementPlan,
}

/// One organisation's part, as the exact bytes that will be sent.
#[derive(Clone, Debug)]
pub struct PreparedPart {
    /// The organisation's id.
    pub org: String,
    /// The part.
    pub part: ArrangementPart,
    /// Its JSON, exactly as sent.
    pub bytes: Vec<u8>,
}

/// Builds the parts of `saved`, one per organisation. Without `share_everything`, a part holds
/// that organisation's own claims and amount, the start, term and pause, and only the plan's
/// total and the number of organisations: never another organisation's name or claims, nor
/// the citizen's income.
pub fn prepare_parts(saved: &SavedArrangement, arrangement_id: &str, share_everything: bool) -> Vec<PreparedPart> {
    let date = saved.input.date;
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    let start_month = format!("{year:04}-{month:02}");
    let mut by_org: BTreeMap<String, Vec<PartClaim>> = BTreeMap::new();
    for (claim, share) in saved.input.claims.iter().zip(&saved.plan.shares) {
        by_org.entry(claim.org.to_string()).or_default().push(PartClaim {
            reference: claim.reference.clone(),
            outstanding_cents: claim.outstanding_cents,
            monthly_cents: share.monthly_cents,
        });
    }
    let organisations_in_plan = by_org.len() as u32;
    by_org
        .into_iter()
        .filter_map(|(org, claims)| {
            let part = ArrangementPart {
                format: PartFormat,
                arrangement_id: arrangement_id.to_owned(),
                organisation: schemas::ids::OrganisationId::parse(&org).ok()?,
                start_month: start_month.clone(),
                term_months: saved.plan.term_months,
                pause: saved.input.pause.clone(),
                monthly_cents: claims.iter().map(|c| c.monthly_cents).sum(),
                claims,
                plan_monthly_total_cents: saved.plan.monthly_total_cents,
                organisations_in_plan,
                full_disclosure: share_everything.then(|| FullDisclosure {
                    input: saved.input.clone(),
                    plan: saved.plan.clone(),
                }),
            };
            let bytes = serde_json::to_vec(&part).ok()?;
            Some(PreparedPart { org, part, bytes })
        })
        .collect()
}
