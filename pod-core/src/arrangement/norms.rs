//! The versioned norm tables (R1 welfare norm, R2 maximum protected floor), read from
//! `schemas/data/norms.json`. Rows are never overwritten, so an old plan can still be explained.
//! The figures and their public sources: docs/ARRANGEMENT.md, "The figures and their sources".

use chrono::NaiveDate;
use schemas::arrangement::Household;
use serde::Deserialize;

/// The norm file, built into the binary.
pub const NORMS_JSON: &str = include_str!("../../../schemas/data/norms.json");

#[derive(Clone, Debug, Deserialize)]
struct WelfareRow {
    #[serde(with = "schemas::fcid::wire::date")]
    valid_from: NaiveDate,
    single_cents: i64,
    couple_cents: i64,
    single_aow_cents: i64,
    couple_aow_cents: i64,
}

#[derive(Clone, Debug, Deserialize)]
struct BvvRow {
    #[serde(with = "schemas::fcid::wire::date")]
    valid_from: NaiveDate,
    single_cents: i64,
    single_parent_cents: i64,
    couple_cents: i64,
    couple_with_children_cents: i64,
}

/// The norm tables.
#[derive(Clone, Debug, Deserialize)]
pub struct Norms {
    #[serde(default)]
    #[allow(dead_code)] // A comment for people reading the file.
    about: String,
    welfare_norm: Vec<WelfareRow>,
    bvv_max: Vec<BvvRow>,
}

/// The norm figures that apply on one date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppliedNorms {
    /// The welfare norm N.
    pub norm_cents: i64,
    /// The `valid_from` of N's row.
    pub norm_valid_from: NaiveDate,
    /// The maximum protected floor.
    pub bvv_max_cents: i64,
    /// The `valid_from` of its row.
    pub bvv_valid_from: NaiveDate,
    /// True when the date is past the newest BVV row's year, so an older maximum is used.
    pub bvv_is_fallback: bool,
}

impl Norms {
    /// The built-in tables.
    pub fn builtin() -> Self {
        serde_json::from_str(NORMS_JSON).expect("schemas/data/norms.json is valid; a test checks it")
    }

    /// The rows for `date` and household; `None` before the first row.
    pub fn on(&self, date: NaiveDate, household: Household, aow: bool) -> Option<AppliedNorms> {
        let welfare = self
            .welfare_norm
            .iter()
            .filter(|r| r.valid_from <= date)
            .max_by_key(|r| r.valid_from)?;
        let bvv = self
            .bvv_max
            .iter()
            .filter(|r| r.valid_from <= date)
            .max_by_key(|r| r.valid_from)?;
        let couple = matches!(household, Household::Couple | Household::CoupleWithChildren);
        let norm_cents = match (couple, aow) {
            (false, false) => welfare.single_cents,
            (true, false) => welfare.couple_cents,
            (false, true) => welfare.single_aow_cents,
            (true, true) => welfare.couple_aow_cents,
        };
        let bvv_max_cents = match household {
            Household::Single => bvv.single_cents,
            Household::SingleParent => bvv.single_parent_cents,
            Household::Couple => bvv.couple_cents,
            Household::CoupleWithChildren => bvv.couple_with_children_cents,
        };
        use chrono::Datelike;
        Some(AppliedNorms {
            norm_cents,
            norm_valid_from: welfare.valid_from,
            bvv_max_cents,
            bvv_valid_from: bvv.valid_from,
            bvv_is_fallback: date.year() > bvv.valid_from.year(),
        })
    }

    /// The first date any row is valid.
    pub fn first_date(&self) -> Option<NaiveDate> {
        self.welfare_norm
            .iter()
            .map(|r| r.valid_from)
            .min()
            .max(self.bvv_max.iter().map(|r| r.valid_from).min())
    }
}
