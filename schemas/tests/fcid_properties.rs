//! Property tests for the derived view of FCID documents.
//!
//! Documents (v3.0.0 and v4.1.0) are generated from valid events: imposed obligations, payment
//! demands (some withdrawn by a later withdrawal event), payments (possibly overpaying) and, in
//! v4.1.0, remissions of imposed obligations. Each is serialised to JSON bytes, read back with
//! [`schemas::fcid::parse`] and viewed as of a random date. For every matter and for the totals
//! the test checks the invariants of the semantics of the FCID standard, and compares
//! imposed, settled and overdue with sums computed here, independently of the program.

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use proptest::sample::Index;
use schemas::fcid::derive::{DocumentView, MatterView, Warning, view};
use schemas::fcid::{self, MAX_AMOUNT_CENTS};
use serde_json::{Value, json};

const BSN: &str = "999993653";
const OIN: &str = "00000009999999999001";
/// Amounts are drawn up to 10^12 cents (€10 billion).
const MAX_CENTS: i64 = 1_000_000_000_000;
/// Day 0 of the generated calendar; events and due dates fall in the two years after it.
const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
/// Generated dates lie in `EPOCH .. EPOCH + SPAN_DAYS`; `as_of` ranges a little wider.
const SPAN_DAYS: u64 = 730;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Version {
    V3,
    V41,
}

#[derive(Clone, Debug)]
struct Demand {
    cents: i64,
    due_day: u64,
    /// Days between the demand and its withdrawal, if it is withdrawn.
    withdrawn_after: Option<u64>,
    kind: &'static str,
}

#[derive(Clone, Debug)]
struct Remission {
    /// Which imposed obligation it remits (resolved modulo the number of obligations).
    obligation: Index,
    cents: i64,
}

#[derive(Clone, Debug)]
struct MatterSpec {
    /// (amount, day imposed).
    obligations: Vec<(i64, u64)>,
    demands: Vec<Demand>,
    /// (amount, day processed).
    payments: Vec<(i64, u64)>,
    /// Only emitted when the document is v4.1.0 and the matter has an obligation.
    remissions: Vec<Remission>,
    /// Whether to write the organisation's own totals, and whether to get them right.
    source_totals: Option<bool>,
}

#[derive(Clone, Debug)]
struct DocSpec {
    version: Version,
    matters: Vec<MatterSpec>,
    as_of_day: u64,
}

/// Mostly amounts over the whole range, sometimes small ones, so that documents both overpay and
/// leave money open; now and then the edges 0 (the parser accepts it) and 10^12.
fn cents() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => 1..=MAX_CENTS,
        4 => 1..=100_000i64,
        1 => Just(0),
        1 => Just(MAX_CENTS),
    ]
}

fn day() -> impl Strategy<Value = u64> {
    0..SPAN_DAYS
}

fn demand() -> impl Strategy<Value = Demand> {
    (
        cents(),
        day(),
        prop::option::weighted(0.3, 1..60u64),
        prop::sample::select(&["Aanschrijving", "Herinnering", "Aanmaning"][..]),
    )
        .prop_map(|(cents, due_day, withdrawn_after, kind)| Demand {
            cents,
            due_day,
            withdrawn_after,
            kind,
        })
}

fn matter() -> impl Strategy<Value = MatterSpec> {
    (
        prop::collection::vec((cents(), day()), 0..6),
        prop::collection::vec(demand(), 0..5),
        prop::collection::vec((cents(), day()), 0..6),
        prop::collection::vec((any::<Index>(), cents()), 0..4),
        prop::option::of(any::<bool>()),
    )
        .prop_map(
            |(obligations, demands, payments, remissions, source_totals)| MatterSpec {
                obligations,
                demands,
                payments,
                remissions: remissions
                    .into_iter()
                    .map(|(obligation, cents)| Remission { obligation, cents })
                    .collect(),
                source_totals,
            },
        )
}

fn document() -> impl Strategy<Value = DocSpec> {
    (
        prop_oneof![Just(Version::V3), Just(Version::V41)],
        prop::collection::vec(matter(), 0..6),
        0..SPAN_DAYS + 120,
    )
        .prop_map(|(version, matters, as_of_day)| DocSpec {
            version,
            matters,
            as_of_day,
        })
}

fn date(day: u64) -> NaiveDate {
    EPOCH + Days::new(day)
}

/// A date-time on `day`, with a Dutch offset; `second` keeps events on the same day apart.
fn datetime(day: u64, second: usize) -> String {
    let second = second % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}+01:00",
        date(day),
        second / 3600,
        second / 60 % 60,
        second % 60
    )
}

/// What the test itself expects of one matter, from the generated events alone.
#[derive(Debug, Default)]
struct Expected {
    imposed: i64,
    settled: i64,
    overdue: i64,
    unknown_events: usize,
}

/// Builds the JSON of one matter, and what the view of it should say as of `as_of`.
fn matter_json(version: Version, index: usize, spec: &MatterSpec, as_of: NaiveDate) -> (Value, Expected) {
    let case_ref = format!("Z-{index}");
    let mut expected = Expected::default();
    // (day, json): events are written in chronological order.
    let mut events: Vec<(u64, Value)> = Vec::new();
    let header = |kind: &str, kenmerk: &str, day: u64, n: usize| {
        json!({
            "gebeurtenis_type": kind,
            "gebeurtenis_kenmerk": kenmerk,
            "datumtijd_gebeurtenis": datetime(day, n),
            "zaakkenmerk": case_ref,
        })
    };
    let merge = |mut head: Value, fields: Value| {
        let object = head.as_object_mut().expect("header is an object");
        object.extend(fields.as_object().expect("fields are an object").clone());
        head
    };

    for (j, (amount, day)) in spec.obligations.iter().enumerate() {
        expected.imposed += amount;
        let kenmerk = format!("{case_ref}-fvo-{j}");
        let fields = json!({
            "datumtijd_opgelegd": datetime(*day, 0),
            "beschikkingsnummer": format!("B-{index}-{j}"),
            "bsn": BSN,
            "primaire_verplichting": j == 0,
            "type": if j == 0 { "cjib_wahv" } else { "cjib_wahv_administratiekosten" },
            "categorie": if j == 0 { "Algemeen" } else { "Administratiekosten" },
            "bedrag": amount,
            "omschrijving": format!("Verplichting {j}"),
            "opgelegd_door": OIN,
            "uitgevoerd_door": OIN,
        });
        events.push((
            *day,
            merge(
                header(fcid::wire::event_type::OBLIGATION_IMPOSED, &kenmerk, *day, j),
                fields,
            ),
        ));
    }

    let mut due_before_as_of = 0i64;
    for (j, demand) in spec.demands.iter().enumerate() {
        let kenmerk = format!("{case_ref}-bvo-{j}");
        let issued_day = demand.due_day.saturating_sub(42);
        let mut fields = json!({
            "datumtijd_opgelegd": datetime(issued_day, 0),
            "bedrag": demand.cents,
            "betaalwijze": "Overboeking",
            "te_betalen_aan": OIN,
            "rekeningnummer": "NL91ABNA0417164300",
            "rekeningnummer_tenaamstelling": "Voorbeeld Incasso",
            "betalingskenmerk": format!("{:016}", index * 100 + j),
            "vervaldatum": date(demand.due_day).to_string(),
        });
        if version == Version::V41 {
            fields["type"] = json!(demand.kind);
            fields["omschrijving"] = json!(format!("Betaalverzoek {j}"));
        }
        events.push((
            issued_day,
            merge(
                header(fcid::wire::event_type::PAYMENT_DEMANDED, &kenmerk, issued_day, 100 + j),
                fields,
            ),
        ));
        match demand.withdrawn_after {
            Some(after) => {
                let day = issued_day + after;
                let withdrawal = merge(
                    header(
                        fcid::wire::event_type::PAYMENT_DEMAND_WITHDRAWN,
                        &format!("{case_ref}-bvi-{j}"),
                        day,
                        200 + j,
                    ),
                    json!({ "ingetrokken_gebeurtenis_kenmerk": kenmerk }),
                );
                events.push((day, withdrawal));
            }
            None if date(demand.due_day) < as_of => due_before_as_of += demand.cents,
            None => {}
        }
    }

    for (j, (amount, day)) in spec.payments.iter().enumerate() {
        expected.settled += amount;
        let fields = json!({
            "datumtijd_verwerkt": datetime(*day, 0),
            "betalingskenmerk": format!("{:016}", index * 100),
            "bedrag": amount,
        });
        events.push((
            *day,
            merge(
                header(
                    fcid::wire::event_type::PAYMENT_PROCESSED,
                    &format!("{case_ref}-bv-{j}"),
                    *day,
                    300 + j,
                ),
                fields,
            ),
        ));
    }

    if !spec.obligations.is_empty() {
        for (j, remission) in spec.remissions.iter().enumerate() {
            let target = remission.obligation.index(spec.obligations.len());
            let day = spec.obligations[target].1 + 1;
            match version {
                Version::V41 => expected.settled += remission.cents,
                // v3.0.0 has no remission event: it is kept as an unknown event, out of the totals.
                Version::V3 => expected.unknown_events += 1,
            }
            let fields = json!({
                "kwijtgescholden_gebeurtenis_kenmerk": format!("{case_ref}-fvo-{target}"),
                "bedrag": remission.cents,
            });
            events.push((
                day,
                merge(
                    header(
                        fcid::wire::event_type::OBLIGATION_REMITTED,
                        &format!("{case_ref}-fvk-{j}"),
                        day,
                        400 + j,
                    ),
                    fields,
                ),
            ));
        }
    }

    // Stable: events on the same day keep the order they were generated in.
    events.sort_by_key(|(day, _)| *day);
    let outstanding = expected.imposed - expected.settled;
    expected.overdue = if outstanding <= 0 {
        0
    } else {
        (due_before_as_of - expected.settled).clamp(0, outstanding)
    };

    let mut matter = json!({
        "zaakkenmerk": case_ref,
        "omschrijving": format!("Gegenereerde zaak {index}"),
        "saldo_datumtijd": datetime(SPAN_DAYS, 0),
        "gebeurtenissen": events.into_iter().map(|(_, event)| event).collect::<Vec<_>>(),
        "achterstanden": [],
        "contactopties": [{"contactvorm": "telefoon", "url": "tel:+31000000000", "prioriteit": 1}],
    });
    if let Some(right) = spec.source_totals {
        let skew = if right { 0 } else { 1 };
        let (imposed_name, settled_name) = match version {
            Version::V3 => ("totaal_opgelegd", "totaal_reeds_betaald"),
            Version::V41 => ("totaal_financieel_verplicht", "totaal_financieel_vereffend"),
        };
        matter[imposed_name] = json!(expected.imposed + skew);
        matter[settled_name] = json!(expected.settled);
        matter["saldo"] = json!(outstanding + skew);
    }
    (matter, expected)
}

fn document_json(spec: &DocSpec) -> (Vec<u8>, Vec<Expected>, NaiveDate) {
    let as_of = date(spec.as_of_day);
    let (matters, expected): (Vec<Value>, Vec<Expected>) = spec
        .matters
        .iter()
        .enumerate()
        .map(|(i, m)| matter_json(spec.version, i, m, as_of))
        .unzip();
    let document = json!({
        "type": "FINANCIAL_CLAIMS_INFORMATION_DOCUMENT",
        "version": match spec.version { Version::V3 => "3.0.0", Version::V41 => "4.1.0" },
        "body": {
            "aangeleverd_door": OIN,
            "document_datumtijd": datetime(SPAN_DAYS, 0),
            "bsn": BSN,
            "financiele_zaken": matters,
        }
    });
    (serde_json::to_vec(&document).expect("JSON"), expected, as_of)
}

fn check_matter(m: &MatterView, expected: &Expected) -> Result<(), TestCaseError> {
    let what = &m.case_ref;
    prop_assert_eq!(
        m.settled_cents + m.outstanding_cents,
        m.imposed_cents,
        "{}: settled + outstanding",
        what
    );
    prop_assert!(
        m.overdue_cents >= 0,
        "{}: overdue {} is negative",
        what,
        m.overdue_cents
    );
    prop_assert!(
        m.overdue_cents <= m.outstanding_cents.max(0),
        "{}: overdue {} exceeds max(outstanding {}, 0)",
        what,
        m.overdue_cents,
        m.outstanding_cents
    );
    prop_assert_eq!(m.imposed_cents, expected.imposed, "{}: imposed", what);
    prop_assert_eq!(m.settled_cents, expected.settled, "{}: settled", what);
    prop_assert_eq!(m.overdue_cents, expected.overdue, "{}: overdue", what);
    let unknown = m
        .warnings
        .iter()
        .filter(|w| matches!(w, Warning::UnknownEvent { .. }))
        .count();
    prop_assert_eq!(unknown, expected.unknown_events, "{}: unknown-event notes", what);
    if let Some(next) = m.next_due {
        prop_assert!(next.cents > 0, "{}: next due of {} cents", what, next.cents);
        prop_assert!(
            next.cents <= m.outstanding_cents - m.overdue_cents,
            "{}: next due {} exceeds what is open after the overdue part",
            what,
            next.cents
        );
    }
    prop_assert_eq!(m.upcoming.first().copied(), m.next_due, "{}: the first upcoming is the next due", what);
    prop_assert!(
        m.upcoming.windows(2).all(|w| w[0].date < w[1].date),
        "{}: one entry per date, earliest first",
        what
    );
    prop_assert!(m.upcoming.iter().all(|u| u.cents > 0), "{}: nothing upcoming is zero", what);
    let upcoming: i64 = m.upcoming.iter().map(|u| u.cents).sum();
    prop_assert!(
        upcoming <= (m.outstanding_cents - m.overdue_cents).max(0),
        "{}: upcoming {} exceeds what is open after the overdue part",
        what,
        upcoming
    );
    Ok(())
}

fn check_totals(doc_view: &DocumentView, expected: &[Expected]) -> Result<(), TestCaseError> {
    let t = &doc_view.totals;
    let sum = |f: fn(&MatterView) -> i64| doc_view.matters.iter().map(f).sum::<i64>();
    prop_assert_eq!(t.imposed_cents, sum(|m| m.imposed_cents));
    prop_assert_eq!(t.settled_cents, sum(|m| m.settled_cents));
    prop_assert_eq!(t.outstanding_cents, sum(|m| m.outstanding_cents));
    prop_assert_eq!(t.overdue_cents, sum(|m| m.overdue_cents));
    prop_assert_eq!(
        t.settled_cents + t.outstanding_cents,
        t.imposed_cents,
        "totals: settled + outstanding"
    );
    prop_assert_eq!(
        t.imposed_cents,
        expected.iter().map(|e| e.imposed).sum::<i64>(),
        "totals: imposed"
    );
    prop_assert!(t.overdue_cents >= 0, "totals: overdue {} is negative", t.overdue_cents);
    // Totals keep credits (a credit on one matter lowers the outstanding total), but a credit on
    // one matter does not pay another matter's overdue demands. So the total overdue is bounded by
    // the sum of the positive outstanding amounts, not by max(total outstanding, 0): see
    // `totals_overdue_can_exceed_total_outstanding` below.
    let positive_outstanding = sum(|m| m.outstanding_cents.max(0));
    prop_assert!(
        t.overdue_cents <= positive_outstanding,
        "totals: overdue {} exceeds the positive outstanding {}",
        t.overdue_cents,
        positive_outstanding
    );
    Ok(())
}

// 256 cases by default; set PROPTEST_CASES for a longer run.
proptest! {
    #[test]
    fn derived_view_invariants(spec in document()) {
        let (bytes, expected, as_of) = document_json(&spec);
        let doc = fcid::parse(&bytes).map_err(|e| TestCaseError::fail(format!("generated document refused: {e}")))?;
        prop_assert_eq!(doc.matters.len(), spec.matters.len());
        let doc_view = view(&doc, as_of);
        prop_assert_eq!(doc_view.as_of, as_of);
        for (m, e) in doc_view.matters.iter().zip(&expected) {
            check_matter(m, e)?;
        }
        check_totals(&doc_view, &expected)?;
    }
}

/// The generator stays inside the parser's limits, so every generated document must be valid.
#[test]
fn generated_amounts_stay_within_the_parser_limit() {
    const { assert!(MAX_CENTS <= MAX_AMOUNT_CENTS) };
}

/// Per matter, overdue ≤ max(outstanding, 0). For the totals that bound does not hold when one
/// matter is in credit and another is overdue, because the totals add credits in. This pins the
/// behaviour down so that a change to it is a deliberate one.
#[test]
fn totals_overdue_can_exceed_total_outstanding() {
    let overdue = MatterSpec {
        obligations: vec![(10_000, 0)],
        demands: vec![Demand {
            cents: 10_000,
            due_day: 10,
            withdrawn_after: None,
            kind: "Aanschrijving",
        }],
        payments: vec![],
        remissions: vec![],
        source_totals: None,
    };
    let credit = MatterSpec {
        obligations: vec![(1_000, 0)],
        demands: vec![],
        payments: vec![(50_000, 5)],
        remissions: vec![],
        source_totals: None,
    };
    let spec = DocSpec {
        version: Version::V3,
        matters: vec![overdue, credit],
        as_of_day: 100,
    };
    let (bytes, _, as_of) = document_json(&spec);
    let doc_view = view(&fcid::parse(&bytes).expect("valid"), as_of);
    assert_eq!(doc_view.matters[0].overdue_cents, 10_000);
    assert_eq!(doc_view.matters[1].outstanding_cents, -49_000);
    assert_eq!(doc_view.totals.outstanding_cents, -39_000);
    assert_eq!(doc_view.totals.overdue_cents, 10_000);
}

/// A payment demand of 0 cents (the parser accepts `"bedrag": 0`) that falls due on or after
/// `as_of`, after an unpaid overdue demand, must not hide the real next demand: 100.00 is overdue
/// since 2024-02-21, the zero demand falls due on 2024-03-05, and 50.00 falls due on 2024-04-01.
#[test]
fn zero_amount_demand_does_not_hide_the_next_due_date() {
    let demand = |cents: i64, due_day: u64| Demand {
        cents,
        due_day,
        withdrawn_after: None,
        kind: "Aanschrijving",
    };
    let spec = DocSpec {
        version: Version::V3,
        matters: vec![MatterSpec {
            obligations: vec![(15_000, 0)],
            // Due 2024-02-21, 2024-03-05 and 2024-04-01.
            demands: vec![demand(10_000, 51), demand(0, 64), demand(5_000, 91)],
            payments: vec![],
            remissions: vec![],
            source_totals: None,
        }],
        // 2024-03-01.
        as_of_day: 60,
    };
    let (bytes, _, as_of) = document_json(&spec);
    let doc_view = view(&fcid::parse(&bytes).expect("valid"), as_of);
    let m = &doc_view.matters[0];
    assert_eq!((m.outstanding_cents, m.overdue_cents), (15_000, 10_000));
    assert_eq!(
        m.next_due.map(|n| (n.date, n.cents)),
        Some((NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(), 5_000))
    );
}

/// A monthly schedule with a partial payment: 300.00 imposed, 100.00 due on each of three
/// dates, 150.00 paid ahead. The first date is covered, half of the second is open, and the
/// third is open in full; nothing is counted twice.
#[test]
fn upcoming_lists_what_each_date_still_asks_after_a_partial_payment() {
    let demand = |due_day: u64| Demand {
        cents: 10_000,
        due_day,
        withdrawn_after: None,
        kind: "Aanschrijving",
    };
    let spec = DocSpec {
        version: Version::V3,
        matters: vec![MatterSpec {
            obligations: vec![(30_000, 0)],
            // Due 2024-02-01, 2024-03-02 and 2024-04-01.
            demands: vec![demand(31), demand(61), demand(91)],
            payments: vec![(15_000, 5)],
            remissions: vec![],
            source_totals: None,
        }],
        as_of_day: 10,
    };
    let (bytes, _, as_of) = document_json(&spec);
    let doc_view = view(&fcid::parse(&bytes).expect("valid"), as_of);
    let m = &doc_view.matters[0];
    assert_eq!(
        m.upcoming.iter().map(|u| (u.date, u.cents)).collect::<Vec<_>>(),
        vec![(date(61), 5_000), (date(91), 10_000)]
    );
    assert_eq!(m.next_due.map(|n| n.cents), Some(5_000));
}
