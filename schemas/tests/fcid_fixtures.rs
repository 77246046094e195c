//! Runs every FCID fixture in `tests/fixtures/fcid/` through the parser and the derived view.
//!
//! Each fixture is a document `NAME.json` with a sidecar `NAME.expect.json`:
//! - `{"valid": true, "as_of": "YYYY-MM-DD", "view": {...}}`: the document parses and
//!   `view(&doc, as_of)` serialises to exactly `view` (the numbers were worked out by hand from the
//!   semantics of the FCID standard, not copied from the program's output);
//! - `{"valid": false, "path": "...", "problem_contains": "...", "json_schema": "reject"|"beyond"}`:
//!   the parser refuses the document at exactly `path`, with a problem containing the substring.
//!   `json_schema` is read by `json_schema_agreement.rs`.
//!
//! The limits on events and size are checked on documents generated here rather than stored.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use schemas::fcid::{self, MAX_DOCUMENT_BYTES, MAX_EVENTS, derive::view};
use serde_json::{Value, json};

/// The fewest fixtures this test accepts finding; fewer means the directory was not read right.
const MIN_FIXTURES: usize = 25;

struct Fixture {
    name: String,
    document: Vec<u8>,
    expect: Value,
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fcid")
}

/// Every document with its sidecar, sorted by name. Panics on a document without a sidecar or a
/// sidecar without a document, so a fixture cannot be skipped silently.
fn fixtures() -> Vec<Fixture> {
    let dir = fixture_dir();
    let mut names = Vec::new();
    let mut sidecars = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())) {
        let file_name = entry
            .expect("directory entry")
            .file_name()
            .into_string()
            .expect("UTF-8 file name");
        if let Some(name) = file_name.strip_suffix(".expect.json") {
            sidecars.push(name.to_owned());
        } else if let Some(name) = file_name.strip_suffix(".json") {
            names.push(name.to_owned());
        }
    }
    names.sort();
    sidecars.sort();
    assert_eq!(
        names, sidecars,
        "every NAME.json needs a NAME.expect.json and the other way round"
    );
    names
        .into_iter()
        .map(|name| {
            let document = std::fs::read(dir.join(format!("{name}.json"))).expect("fixture document");
            let sidecar = std::fs::read(dir.join(format!("{name}.expect.json"))).expect("fixture sidecar");
            let expect: Value =
                serde_json::from_slice(&sidecar).unwrap_or_else(|e| panic!("{name}.expect.json is not JSON: {e}"));
            check_sidecar_shape(&name, &expect);
            Fixture { name, document, expect }
        })
        .collect()
}

/// The sidecar has exactly the keys its kind allows, so a typo cannot turn a check off.
fn check_sidecar_shape(name: &str, expect: &Value) {
    let object = expect
        .as_object()
        .unwrap_or_else(|| panic!("{name}.expect.json is not an object"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    match object.get("valid") {
        Some(Value::Bool(true)) => {
            assert_eq!(keys, ["as_of", "valid", "view"], "{name}.expect.json keys");
        }
        Some(Value::Bool(false)) => {
            assert_eq!(
                keys,
                ["json_schema", "path", "problem_contains", "valid"],
                "{name}.expect.json keys"
            );
            let verdict = object["json_schema"].as_str();
            assert!(
                matches!(verdict, Some("reject" | "beyond")),
                "{name}.expect.json: json_schema must be \"reject\" or \"beyond\""
            );
        }
        _ => panic!("{name}.expect.json: \"valid\" must be true or false"),
    }
}

fn text<'a>(expect: &'a Value, key: &str) -> &'a str {
    expect[key]
        .as_str()
        .unwrap_or_else(|| panic!("expectation field {key:?} must be a string"))
}

/// The envelope's `version`, if the document is JSON and has one.
fn version_of(document: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(document).ok()?;
    value.get("version")?.as_str().map(str::to_owned)
}

/// Checks one fixture; returns a description of what went wrong, if anything.
fn check(fixture: &Fixture) -> Option<String> {
    let name = &fixture.name;
    let expect = &fixture.expect;
    let result = fcid::parse(&fixture.document);
    if expect["valid"] == Value::Bool(true) {
        let as_of: NaiveDate = text(expect, "as_of")
            .parse()
            .unwrap_or_else(|e| panic!("{name}: bad as_of: {e}"));
        let document = match result {
            Ok(document) => document,
            Err(e) => {
                return Some(format!(
                    "{name}: expected a valid document, got {}: {}",
                    e.path, e.problem
                ));
            }
        };
        let got = serde_json::to_value(view(&document, as_of)).expect("the view serialises");
        (got != expect["view"]).then(|| {
            format!(
                "{name}: the view differs\n  expected: {}\n  got:      {}",
                expect["view"], got
            )
        })
    } else {
        let path = text(expect, "path");
        let problem = text(expect, "problem_contains");
        match result {
            Ok(_) => Some(format!(
                "{name}: expected a rejection at {path} ({problem:?}), but the document was accepted"
            )),
            Err(e) if e.path != path || !e.problem.contains(problem) => Some(format!(
                "{name}: expected a rejection at {path} with a problem containing {problem:?}, got {}: {}",
                e.path, e.problem
            )),
            Err(_) => None,
        }
    }
}

#[test]
fn every_fixture_meets_its_expectation() {
    let fixtures = fixtures();
    assert!(
        fixtures.len() >= MIN_FIXTURES,
        "found only {} fixtures in {}; expected at least {MIN_FIXTURES}",
        fixtures.len(),
        fixture_dir().display()
    );
    for version in ["3.0.0", "4.1.0"] {
        let valid = fixtures
            .iter()
            .filter(|f| f.expect["valid"] == Value::Bool(true) && version_of(&f.document).as_deref() == Some(version))
            .count();
        assert!(valid >= 5, "expected several valid {version} fixtures, found {valid}");
    }

    let failures: Vec<String> = fixtures.iter().filter_map(check).collect();
    let mut report = String::new();
    for failure in &failures {
        let _ = writeln!(report, "- {failure}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} FCID fixtures failed:\n{report}",
        failures.len(),
        fixtures.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Generated documents: the event-count and size limits.

const ORG: &str = "00000009999999999001";
const BSN: &str = "999993653";

/// A v3.0.0 matter with one imposed obligation of `imposed` cents and `payments` payments of one
/// cent each, so `1 + payments` events. Kenmerken start with `prefix` and are unique.
fn generated_matter(case_ref: &str, prefix: &str, imposed: i64, payments: usize) -> Value {
    let mut events = Vec::with_capacity(payments + 1);
    events.push(json!({
        "gebeurtenis_type": "FinancieleVerplichtingOpgelegd",
        "gebeurtenis_kenmerk": format!("{prefix}-fvo"),
        "datumtijd_gebeurtenis": "2024-01-10T08:00:00+01:00",
        "datumtijd_opgelegd": "2024-01-10T08:00:00+01:00",
        "zaakkenmerk": case_ref,
        "primaire_verplichting": true,
        "type": "cjib_wahv",
        "bedrag": imposed,
    }));
    for i in 0..payments {
        events.push(json!({
            "gebeurtenis_type": "BetalingVerwerkt",
            "gebeurtenis_kenmerk": format!("{prefix}-bv-{i}"),
            "datumtijd_gebeurtenis": "2024-02-01T08:00:00+01:00",
            "zaakkenmerk": case_ref,
            "bedrag": 1,
        }));
    }
    json!({"zaakkenmerk": case_ref, "omschrijving": "Gegenereerd", "gebeurtenissen": events})
}

fn generated_document(matters: Vec<Value>) -> Value {
    json!({
        "type": "FINANCIAL_CLAIMS_INFORMATION_DOCUMENT",
        "version": "3.0.0",
        "body": {
            "aangeleverd_door": ORG,
            "document_datumtijd": "2024-03-01T09:30:00+01:00",
            "bsn": BSN,
            "financiele_zaken": matters,
        },
    })
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, 1).expect("a date")
}

#[test]
fn exactly_the_event_limit_is_accepted() {
    assert_eq!(MAX_EVENTS, 10_000);
    let document = generated_document(vec![generated_matter("Z-GEN-1", "e", 1_000_000, 9_999)]);
    let bytes = serde_json::to_vec(&document).expect("serialises");
    let parsed = fcid::parse(&bytes).unwrap_or_else(|e| panic!("{}: {}", e.path, e.problem));
    assert_eq!(parsed.event_count(), 10_000);
    let got = serde_json::to_value(view(&parsed, as_of())).expect("serialises");
    assert_eq!(
        got,
        json!({
            "version": "3.0.0",
            "organisation": ORG,
            "as_of": "2024-03-01",
            "matters": [{
                "zaakkenmerk": "Z-GEN-1",
                "omschrijving": "Gegenereerd",
                "imposed_cents": 1_000_000,
                "settled_cents": 9_999,
                "outstanding_cents": 990_001,
                "overdue_cents": 0,
                "next_due": null,
                "consistent": true,
                "warnings": [],
            }],
            "totals": {
                "imposed_cents": 1_000_000,
                "settled_cents": 9_999,
                "outstanding_cents": 990_001,
                "overdue_cents": 0,
            },
        })
    );
}

#[test]
fn one_event_over_the_limit_is_refused() {
    // 5,000 + 5,001 events: the limit is over the whole document, not per matter.
    let document = generated_document(vec![
        generated_matter("Z-GEN-1", "a", 1_000_000, 4_999),
        generated_matter("Z-GEN-2", "b", 1_000_000, 5_000),
    ]);
    let bytes = serde_json::to_vec(&document).expect("serialises");
    assert!(
        bytes.len() < MAX_DOCUMENT_BYTES,
        "the event limit, not the size limit, must trip"
    );
    let error = fcid::parse(&bytes).expect_err("10,001 events are refused");
    assert_eq!(error.path, "$.body.financiele_zaken");
    assert!(error.problem.contains("10001 events"), "{}", error.problem);
}

/// The reference example with an unknown padding field that brings it to exactly `len` bytes.
fn padded_reference(len: usize) -> Vec<u8> {
    let reference = std::fs::read(fixture_dir().join("valid_v3_reference_example.json")).expect("reference");
    let mut document: Value = serde_json::from_slice(&reference).expect("reference is JSON");
    document["x_opvulling"] = json!("");
    let base = serde_json::to_vec(&document).expect("serialises").len();
    assert!(len >= base);
    document["x_opvulling"] = json!("x".repeat(len - base));
    let bytes = serde_json::to_vec(&document).expect("serialises");
    assert_eq!(bytes.len(), len);
    bytes
}

#[test]
fn exactly_four_mib_is_accepted() {
    assert_eq!(MAX_DOCUMENT_BYTES, 4 * 1024 * 1024);
    let document = fcid::parse(&padded_reference(MAX_DOCUMENT_BYTES)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(view(&document, as_of()).totals.outstanding_cents, 6300);
}

#[test]
fn one_byte_over_four_mib_is_refused() {
    let error = fcid::parse(&padded_reference(MAX_DOCUMENT_BYTES + 1)).expect_err("a document over 4 MiB is refused");
    assert_eq!(error.path, "$");
    assert!(error.problem.contains("4 MiB"), "{}", error.problem);
}
