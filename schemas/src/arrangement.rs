//! The documents of a joint payment arrangement (Betalingsregeling Rijk).
//!
//! - [`ArrangementInput`]: what the citizen tells the engine.
//! - [`ArrangementPlan`]: what the engine answers, with its explanation.
//! - [`ArrangementPart`]: what one organisation receives: its own part only.
//! - [`ArrangementReceipt`], [`ArrangementStatus`]: what the organisation signs (compact JWS)
//!   and returns.
//!
//! Input and plan are the engine's local formats (version 1, see `schemas/json/`); the three
//! documents that travel between pod and organisation carry a `format` field.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::document::format_tag;
use crate::ids::OrganisationId;

/// The household type that sets the norm and the maximum protected floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Household {
    /// Living alone.
    Single,
    /// Living alone with children.
    SingleParent,
    /// A couple.
    Couple,
    /// A couple with children.
    CoupleWithChildren,
}

/// Why the citizen asks for a pause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    /// Start of municipal debt help.
    DebtHelp,
    /// Loss of income.
    IncomeLoss,
    /// Illness or crisis.
    Illness,
    /// Death of a partner.
    Bereavement,
    /// Separation.
    Separation,
    /// Birth of a child.
    Birth,
    /// Detention.
    Detention,
    /// Disaster or fraud victim.
    Disaster,
    /// Something else, explained in the motivation.
    Other,
}

/// A requested pause (pauzeknop).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseRequest {
    /// How many months to pause.
    pub months: u32,
    /// The reason, from the list.
    pub reason: PauseReason,
    /// A short free-text motivation.
    pub motivation: String,
}

/// One claim put into the arrangement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    /// The organisation the claim belongs to.
    pub org: OrganisationId,
    /// The claim's reference, normally the zaakkenmerk.
    #[serde(rename = "ref")]
    pub reference: String,
    /// What is still owed, in cents.
    pub outstanding_cents: i64,
    /// Whether the claim is preferent (weighted ×2 when weighting is on).
    #[serde(default)]
    pub preferent: bool,
}

fn default_min_share_cents() -> i64 {
    500
}

fn default_term_cap_months() -> u32 {
    36
}

/// What the citizen tells the arrangement engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrangementInput {
    /// The calculation date; it selects the norm rows.
    #[serde(with = "crate::fcid::wire::date")]
    pub date: NaiveDate,
    /// The household type.
    pub household: Household,
    /// Whether the citizen (or a partner) has reached AOW age.
    #[serde(default)]
    pub aow: bool,
    /// Net monthly income including holiday allowance, in cents.
    pub net_income_cents: i64,
    /// Running seizures or set-offs by any creditor, in cents per month.
    #[serde(default)]
    pub existing_deductions_cents: i64,
    /// An official protected floor, for example from a beslag letter, that replaces ours.
    #[serde(default)]
    pub floor_override_cents: Option<i64>,
    /// Weight preferent claims by 2.
    #[serde(default)]
    pub preference_weighting: bool,
    /// The smallest monthly share an organisation receives (default €5).
    #[serde(default = "default_min_share_cents")]
    pub min_share_cents: i64,
    /// The longest acceptable term (default 36 months).
    #[serde(default = "default_term_cap_months")]
    pub term_cap_months: u32,
    /// The claims to include.
    pub claims: Vec<ClaimInput>,
    /// An optional pause at the start.
    #[serde(default)]
    pub pause: Option<PauseRequest>,
}

/// What the engine concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// An affordable plan within the term cap.
    Plan,
    /// Affordable, but longer than the cap: custom handling or referral to debt help.
    OverTermCap,
    /// No capacity: pause and referral, never a €0 plan.
    PauseAndReferral,
    /// The capacity cannot give every organisation its minimum share.
    MinShareNotMet,
}

/// One organisation's monthly share in the first paying month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Share {
    /// The organisation.
    pub org: OrganisationId,
    /// The claim reference.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Cents per month.
    pub monthly_cents: i64,
}

/// One payment within a schedule month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// The organisation.
    pub org: OrganisationId,
    /// The claim reference.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Cents paid this month.
    pub cents: i64,
}

/// One month of the schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleMonth {
    /// 1 for the first month of the arrangement (pause months included).
    pub month: u32,
    /// Payments this month; empty during a pause.
    pub payments: Vec<Payment>,
    /// What remains owed after this month, in cents.
    pub remaining_cents: i64,
}

/// The same text in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Explanation {
    /// Dutch.
    pub nl: String,
    /// English.
    pub en: String,
}

/// What the engine answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrangementPlan {
    /// The welfare norm N used, in cents.
    pub norm_cents: i64,
    /// The `valid_from` of the norm row used.
    #[serde(with = "crate::fcid::wire::date")]
    pub norm_valid_from: NaiveDate,
    /// The maximum protected floor for the household, in cents.
    pub bvv_max_cents: i64,
    /// The protected floor F, in cents.
    pub floor_cents: i64,
    /// The monthly capacity, in cents.
    pub capacity_cents: i64,
    /// What the engine concluded.
    pub outcome: Outcome,
    /// The total monthly instalment in the first paying month; 0 unless the outcome is `plan`.
    pub monthly_total_cents: i64,
    /// Months of pause at the start; 0 unless the outcome is `plan`.
    pub pause_months: u32,
    /// The whole term, the pause included; 0 unless the outcome is `plan`.
    pub term_months: u32,
    /// The shares in the first paying month; none unless the outcome is `plan`, so nothing of
    /// another outcome can be sent or read as an arrangement.
    pub shares: Vec<Share>,
    /// Every month until all is paid; none unless the outcome is `plan`.
    pub schedule: Vec<ScheduleMonth>,
    /// For `over_term_cap` and `min_share_not_met`: what the instalments would be if the
    /// organisations took it on anyway, for the citizen and a debt counsellor to discuss. Never
    /// an offer, and never part of what an organisation receives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_an_offer: Option<NotAnOffer>,
    /// How every figure was computed.
    pub explanation: Explanation,
}

/// What a plan would have been, where the engine found none ([`ArrangementPlan::not_an_offer`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotAnOffer {
    /// The total monthly instalment it would take in the first paying month.
    pub monthly_total_cents: i64,
    /// The whole term it would take, the pause included (0 when longer than the engine schedules).
    pub term_months: u32,
    /// The shares it would give in the first paying month.
    pub shares: Vec<Share>,
    /// Every month it would take (empty when longer than the engine schedules).
    pub schedule: Vec<ScheduleMonth>,
}

format_tag!(
    /// `"betaalpod-arrangement-part/1"`.
    PartFormat = "betaalpod-arrangement-part/1"
);
format_tag!(
    /// `"betaalpod-arrangement-receipt/1"`.
    ReceiptFormat = "betaalpod-arrangement-receipt/1"
);
format_tag!(
    /// `"betaalpod-arrangement-status/1"`.
    StatusFormat = "betaalpod-arrangement-status/1"
);

/// One of this organisation's own claims in a part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartClaim {
    /// The claim reference (zaakkenmerk).
    #[serde(rename = "ref")]
    pub reference: String,
    /// What the citizen counts as outstanding, in cents.
    pub outstanding_cents: i64,
    /// Cents per month for this claim in the first paying month.
    pub monthly_cents: i64,
}

/// The full plan and income, sent only when the citizen ticks "share my full plan".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FullDisclosure {
    /// The citizen's input, income included.
    pub input: ArrangementInput,
    /// The whole plan, every organisation included.
    pub plan: ArrangementPlan,
}

/// What one organisation receives: its own part of the plan and nothing else, unless the
/// citizen chose to share everything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrangementPart {
    /// Always `betaalpod-arrangement-part/1`.
    pub format: PartFormat,
    /// A random id for the arrangement, the same at every organisation.
    pub arrangement_id: String,
    /// The receiving organisation.
    pub organisation: OrganisationId,
    /// The first month of the arrangement, as `YYYY-MM`.
    pub start_month: String,
    /// The whole term in months, the pause included.
    pub term_months: u32,
    /// The pause, if any.
    pub pause: Option<PauseRequest>,
    /// This organisation's claims.
    pub claims: Vec<PartClaim>,
    /// This organisation's monthly amount.
    pub monthly_cents: i64,
    /// The plan's total monthly amount over all organisations.
    pub plan_monthly_total_cents: i64,
    /// How many organisations are in the plan.
    pub organisations_in_plan: u32,
    /// Present only when the citizen chose to share the full plan and income.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_disclosure: Option<FullDisclosure>,
}

/// The terms of a part as the organisation understood them, echoed in its receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptTerms {
    /// The first month, as `YYYY-MM`.
    pub start_month: String,
    /// The whole term in months, the pause included.
    pub term_months: u32,
    /// This organisation's monthly amount.
    pub monthly_cents: i64,
    /// The pause, if any.
    pub pause: Option<PauseRequest>,
    /// The claims it covers.
    pub claims: Vec<PartClaim>,
}

impl ArrangementPart {
    /// Checks what serde cannot: `start_month` as `YYYY-MM`, a term of 1 to 600 months that
    /// covers the pause, at least one claim, and no negative amounts.
    pub fn check(&self) -> Result<(), crate::document::InvalidDocument> {
        use crate::document::InvalidDocument;
        let month_ok =
            self.start_month.len() == 7 && crate::fcid::wire::date::parse(&format!("{}-01", self.start_month)).is_ok();
        if !month_ok {
            return Err(InvalidDocument::new(
                "$.start_month",
                "start_month must be a month written as YYYY-MM",
            ));
        }
        if !(1..=600).contains(&self.term_months) {
            return Err(InvalidDocument::new(
                "$.term_months",
                "term_months must be between 1 and 600",
            ));
        }
        if self.pause.as_ref().is_some_and(|p| p.months >= self.term_months) {
            return Err(InvalidDocument::new(
                "$.pause.months",
                "the pause must be shorter than the term",
            ));
        }
        if self.claims.is_empty() {
            return Err(InvalidDocument::new("$.claims", "a part needs at least one claim"));
        }
        for (i, claim) in self.claims.iter().enumerate() {
            if claim.outstanding_cents < 0 || claim.monthly_cents < 0 {
                return Err(InvalidDocument::new(
                    format!("$.claims[{i}]"),
                    "amounts cannot be negative",
                ));
            }
        }
        if self.monthly_cents < 0 || self.plan_monthly_total_cents < self.monthly_cents {
            return Err(InvalidDocument::new(
                "$.monthly_cents",
                "monthly_cents must be between 0 and plan_monthly_total_cents",
            ));
        }
        Ok(())
    }
}

/// The organisation's acknowledgement that it received a part. It travels as the payload of a
/// compact JWS (`typ` = `betaalpod-receipt+jwt`) signed with the organisation's key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrangementReceipt {
    /// Always `betaalpod-arrangement-receipt/1`.
    pub format: ReceiptFormat,
    /// The organisation's id for this submission.
    pub receipt_id: String,
    /// The arrangement it belongs to.
    pub arrangement_id: String,
    /// The organisation that received it.
    pub organisation: OrganisationId,
    /// When it was received.
    #[serde(with = "crate::fcid::wire::rfc3339")]
    pub received_at: DateTime<FixedOffset>,
    /// SHA-256 (hex) of the exact part bytes received, so the citizen can prove what was sent.
    pub part_sha256: String,
    /// The terms as understood.
    pub terms: ReceiptTerms,
    /// Always `received` in a receipt.
    pub state: ArrangementState,
}

/// Where a submitted part stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrangementState {
    /// Received, not yet decided.
    Received,
    /// Accepted by the organisation.
    Accepted,
    /// Rejected by the organisation, with a reason.
    Rejected,
}

/// The organisation's statement of where a part stands, the payload of a compact JWS
/// (`typ` = `betaalpod-status+jwt`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrangementStatus {
    /// Always `betaalpod-arrangement-status/1`.
    pub format: StatusFormat,
    /// The receipt this status is about.
    pub receipt_id: String,
    /// The arrangement it belongs to.
    pub arrangement_id: String,
    /// The organisation.
    pub organisation: OrganisationId,
    /// Received, accepted or rejected.
    pub state: ArrangementState,
    /// Why, in words (required when rejected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When this status was issued.
    #[serde(with = "crate::fcid::wire::rfc3339")]
    pub updated_at: DateTime<FixedOffset>,
}

crate::wire_names!("household", Household {
    Single => "single",
    SingleParent => "single_parent",
    Couple => "couple",
    CoupleWithChildren => "couple_with_children",
});

crate::wire_names!("reason for a pause", PauseReason {
    DebtHelp => "debt_help",
    IncomeLoss => "income_loss",
    Illness => "illness",
    Bereavement => "bereavement",
    Separation => "separation",
    Birth => "birth",
    Detention => "detention",
    Disaster => "disaster",
    Other => "other",
});

crate::wire_names!("outcome", Outcome {
    Plan => "plan",
    OverTermCap => "over_term_cap",
    PauseAndReferral => "pause_and_referral",
    MinShareNotMet => "min_share_not_met",
});

crate::wire_names!("arrangement state", ArrangementState {
    Received => "received",
    Accepted => "accepted",
    Rejected => "rejected",
});

#[cfg(test)]
mod wire_name_tests {
    #[test]
    fn wire_names_are_the_serde_names() {
        use crate::wire_names::assert_matches_serde;
        assert_matches_serde(super::Household::ALL);
        assert_matches_serde(super::PauseReason::ALL);
        assert_matches_serde(super::Outcome::ALL);
        assert_matches_serde(super::ArrangementState::ALL);
        assert!("nonsense".parse::<super::Outcome>().is_err());
    }
}
