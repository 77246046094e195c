//! The hand-written JSON Schemas in `schemas/json/` agree with the serde parser.
//!
//! Every FCID fixture in `tests/fixtures/fcid/` is checked against the schema of its `version`:
//! - a valid fixture is accepted by the parser and by the schema;
//! - an invalid fixture marked `"json_schema": "reject"` is refused by both;
//! - an invalid fixture marked `"json_schema": "beyond"` is refused by the parser and accepted by
//!   the schema. These fixtures list exactly the rules JSON Schema cannot express (BSN 11-proof,
//!   unique kenmerken and zaakkenmerken, references between events, the event's zaakkenmerk and
//!   bsn against its matter's and document's, and the like).
//!
//! A fixture whose `version` is not one the schemas describe (or that has none) is checked against
//! every FCID schema, and all of them must give the verdict. Only a fixture that is not JSON at all
//! (malformed, or not UTF-8) skips the schema check: there is no instance to validate.
//!
//! Separately, every `schemas/json/*.schema.json`, whoever wrote it, must be a valid schema that
//! compiles.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use jsonschema::Validator;
use serde_json::{Value, json};

/// The FCID versions with a schema, and the schema file of each.
const FCID_SCHEMAS: [(&str, &str); 2] = [("3.0.0", "fcid-3.0.0.schema.json"), ("4.1.0", "fcid-4.1.0.schema.json")];

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema_dir() -> PathBuf {
    manifest_dir().join("json")
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Checks `schema` against its draft's meta-schema, then compiles it.
fn compile(name: &str, schema: &Value) -> Validator {
    if let Err(e) = jsonschema::meta::validate(schema) {
        panic!("{name} is not a valid JSON Schema: {e} (at {})", e.instance_path());
    }
    jsonschema::validator_for(schema).unwrap_or_else(|e| panic!("{name} does not compile: {e}"))
}

fn fcid_validators() -> Vec<(&'static str, Validator)> {
    FCID_SCHEMAS
        .iter()
        .map(|(version, file)| {
            let schema = read_json(&schema_dir().join(file));
            assert_eq!(
                schema["$schema"],
                json!("https://json-schema.org/draft/2020-12/schema"),
                "{file} is draft 2020-12"
            );
            assert_eq!(
                schema["properties"]["version"]["const"],
                json!(version),
                "{file} pins its version"
            );
            (*version, compile(file, &schema))
        })
        .collect()
}

#[test]
fn every_schema_file_is_a_valid_schema() {
    let mut compiled = 0;
    for entry in std::fs::read_dir(schema_dir()).expect("schemas/json exists") {
        let path = entry.expect("directory entry").path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.ends_with(".schema.json") {
            continue;
        }
        compile(name, &read_json(&path));
        compiled += 1;
    }
    assert!(compiled >= FCID_SCHEMAS.len(), "found only {compiled} schema files");
}

/// The schema's verdict on one fixture, with the first reason for a rejection.
fn schema_verdict(validator: &Validator, instance: &Value) -> Result<(), String> {
    validator
        .validate(instance)
        .map_err(|e| format!("{e} (at {})", e.instance_path()))
}

/// Turns a parser path such as `$.body.financiele_zaken[0].bsn` into a JSON pointer such as
/// `/body/financiele_zaken/0/bsn`.
fn json_pointer(path: &str) -> String {
    let rest = path.strip_prefix('$').expect("a parser path starts with $");
    let mut pointer = String::new();
    for part in rest.split('.').filter(|p| !p.is_empty()) {
        let mut pieces = part.split('[');
        if let Some(key) = pieces.next().filter(|k| !k.is_empty()) {
            pointer.push('/');
            pointer.push_str(key);
        }
        for index in pieces {
            pointer.push('/');
            pointer.push_str(index.trim_end_matches(']'));
        }
    }
    pointer
}

/// Whether one of the schema's errors is at the parser's `path`, or at its parent (a missing
/// required property is reported on the object that lacks it). This shows that the schema
/// refuses the fixture for the same reason as the parser, not for an accidental one.
fn schema_points_at(validator: &Validator, instance: &Value, path: &str) -> bool {
    let pointer = json_pointer(path);
    let parent = pointer.rsplit_once('/').map_or("", |(parent, _)| parent).to_owned();
    validator.iter_errors(instance).any(|e| {
        let at = e.instance_path().to_string();
        at == pointer || at == parent
    })
}

#[test]
fn parser_paths_become_json_pointers() {
    assert_eq!(json_pointer("$"), "");
    assert_eq!(json_pointer("$.version"), "/version");
    assert_eq!(
        json_pointer("$.body.financiele_zaken[0].gebeurtenissen[12].bedrag"),
        "/body/financiele_zaken/0/gebeurtenissen/12/bedrag"
    );
}

#[test]
fn fixtures_agree_with_the_schemas() {
    let validators = fcid_validators();
    let fixture_dir = manifest_dir().join("tests/fixtures/fcid");
    let mut names: Vec<String> = std::fs::read_dir(&fixture_dir)
        .expect("fixture directory")
        .filter_map(|entry| {
            let name = entry.expect("directory entry").file_name().into_string().ok()?;
            name.strip_suffix(".expect.json").map(str::to_owned)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 25, "found only {} FCID fixtures", names.len());

    let mut failures = Vec::new();
    let mut beyond = Vec::new();
    for name in &names {
        let expect = read_json(&fixture_dir.join(format!("{name}.expect.json")));
        let bytes = std::fs::read(fixture_dir.join(format!("{name}.json"))).expect("fixture document");
        let serde_accepts = schemas::fcid::parse(&bytes).is_ok();
        let valid = expect["valid"] == json!(true);
        let verdict = expect["json_schema"].as_str();

        if serde_accepts != valid {
            failures.push(format!(
                "{name}: the parser {} it, the fixture says it is {}",
                if serde_accepts { "accepts" } else { "refuses" },
                if valid { "valid" } else { "invalid" }
            ));
        }

        // Malformed JSON (or bytes that are not UTF-8) gives no instance to validate: the schema
        // check is skipped for these fixtures only. The parser check above still applies.
        let Ok(instance) = serde_json::from_slice::<Value>(&bytes) else {
            if valid {
                failures.push(format!("{name}: marked valid, but it is not JSON"));
            }
            continue;
        };
        let version = instance.get("version").and_then(Value::as_str);
        let applicable: Vec<&(&str, Validator)> = match validators.iter().find(|(v, _)| Some(*v) == version) {
            Some(one) => vec![one],
            // No schema for this version (or no version at all): every FCID schema must agree.
            None => validators.iter().collect(),
        };
        for (schema_version, validator) in applicable {
            let schema = format!("fcid-{schema_version}.schema.json");
            match (valid, verdict, schema_verdict(validator, &instance)) {
                (true, _, Err(reason)) => {
                    failures.push(format!("{name}: valid, but {schema} rejects it: {reason}"));
                }
                (false, Some("reject"), Ok(())) => {
                    failures.push(format!("{name}: marked \"reject\", but {schema} accepts it"));
                }
                (false, Some("beyond"), Err(reason)) => failures.push(format!(
                    "{name}: marked \"beyond\" JSON Schema, but {schema} rejects it ({reason}); mark it \"reject\""
                )),
                (false, Some("beyond"), Ok(())) => beyond.push(name.as_str()),
                (false, Some("reject"), Err(reason)) => {
                    let path = expect["path"].as_str().unwrap_or_default();
                    if !schema_points_at(validator, &instance, path) {
                        failures.push(format!(
                            "{name}: {schema} rejects it, but not at {path} (or its parent) where the parser does: {reason}"
                        ));
                    }
                }
                (true, _, Ok(())) => {}
                (false, other, _) => failures.push(format!("{name}: bad json_schema verdict {other:?}")),
            }
        }
    }

    assert!(
        !beyond.is_empty(),
        "some rules are beyond JSON Schema; their fixtures must say so"
    );
    let mut report = String::new();
    for failure in &failures {
        let _ = writeln!(report, "- {failure}");
    }
    assert!(
        failures.is_empty(),
        "{} disagreements between the parser, the schemas and the fixtures:\n{report}",
        failures.len()
    );
}

/// A minimal valid 4.1.0 document with `per_matter` events in each of `matters` matters.
fn many_events(matters: usize, per_matter: usize) -> Value {
    let financiele_zaken: Vec<Value> = (0..matters)
        .map(|m| {
            let case_ref = format!("Z-{m}");
            let events: Vec<Value> = (0..per_matter)
                .map(|i| {
                    json!({
                        "gebeurtenis_type": "BetalingVerwerkt",
                        "gebeurtenis_kenmerk": format!("bv-{m}-{i}"),
                        "datumtijd_gebeurtenis": "2024-02-01T08:00:00Z",
                        "zaakkenmerk": case_ref,
                        "bedrag": 1,
                    })
                })
                .collect();
            json!({"zaakkenmerk": case_ref, "omschrijving": "Gegenereerd", "gebeurtenissen": events})
        })
        .collect();
    json!({
        "type": "FINANCIAL_CLAIMS_INFORMATION_DOCUMENT",
        "version": "4.1.0",
        "body": {
            "aangeleverd_door": "00000009999999999001",
            "document_datumtijd": "2024-03-01T09:30:00+01:00",
            "bsn": "999993653",
            "financiele_zaken": financiele_zaken,
        },
    })
}

#[test]
fn the_event_limit_is_only_partly_expressible() {
    let validators = fcid_validators();
    let (_, v41) = validators.iter().find(|(v, _)| *v == "4.1.0").expect("4.1.0 schema");
    let parse = |doc: &Value| schemas::fcid::parse(&serde_json::to_vec(doc).expect("serialises"));

    // 10,001 events in one matter: maxItems catches it, like the parser.
    let one_matter = many_events(1, 10_001);
    assert!(parse(&one_matter).is_err());
    assert!(!v41.is_valid(&one_matter));

    // 10,001 events over two matters: only the parser sees the total.
    let two_matters = many_events(2, 5_001);
    assert!(parse(&two_matters).is_err());
    assert!(v41.is_valid(&two_matters));

    // 10,000 over two matters: both accept.
    let at_limit = many_events(2, 5_000);
    assert!(parse(&at_limit).is_ok());
    assert!(v41.is_valid(&at_limit));
}
