//! Our own documents: the serde types, the hand-written JSON Schemas in `schemas/json/` and the
//! fixtures in `tests/fixtures/documents/<kind>/` agree.
//!
//! Every fixture is read the way Betaalpod reads it (`OrganisationDescriptor::from_json` and
//! `Scheme::from_json`, which add `check` to serde; `schemas::document::from_json` for the
//! arrangement documents) and validated against its kind's schema:
//! - `valid-*.json`: both accept it, and writing the value back gives the same JSON (after filling
//!   in the schema's `default`s on both sides, which only the `*defaults*` fixtures rely on);
//!   a valid scheme also verifies with the test manager key;
//! - `invalid-*.json`: both refuse it, and [`INVALID`] says at which JSON path the reader does;
//!   except the few in [`BEYOND_JSON_SCHEMA`], whose rule the schema cannot express: the reader
//!   refuses them and the schema accepts them;
//! - `lenient-*.json`: the schema refuses them, the reader accepts them. [`SERDE_LENIENT`] must
//!   list each with the reason; there are none now.
//!
//! Beyond the fixtures, every valid fixture is mutated field by field (removed, set to null,
//! an unknown field added) and the reader and the schema must still agree; and shared
//! definitions, format strings and enum values are compared with the Rust side.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use jsonschema::Validator;
use schemas::arrangement::{
    ArrangementInput, ArrangementPart, ArrangementPlan, ArrangementReceipt, ArrangementState, ArrangementStatus,
    Household, Outcome, PartFormat, PauseReason, ReceiptFormat, StatusFormat,
};
use schemas::descriptor::{DescriptorFormat, KNOWN_DOCUMENT_VERSIONS, KNOWN_SCOPES, OrganisationDescriptor};
use schemas::document::{InvalidDocument, from_json};
use schemas::jws::Signer;
use schemas::scheme::{Scheme, SchemeError, SchemeFormat};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The kinds of document, each with its fixture directory and schema file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Descriptor,
    Scheme,
    Input,
    Plan,
    Part,
    Receipt,
    Status,
}

const KINDS: [Kind; 7] = [
    Kind::Descriptor,
    Kind::Scheme,
    Kind::Input,
    Kind::Plan,
    Kind::Part,
    Kind::Receipt,
    Kind::Status,
];

/// Which layer of the Rust reader refuses a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layer {
    /// Deserialising into the serde type.
    Serde,
    /// `OrganisationDescriptor::check` / `Scheme::check`, after serde accepted it.
    Check,
}

impl Kind {
    fn dir(self) -> &'static str {
        match self {
            Kind::Descriptor => "descriptor",
            Kind::Scheme => "scheme",
            Kind::Input => "arrangement-input",
            Kind::Plan => "arrangement-plan",
            Kind::Part => "arrangement-part",
            Kind::Receipt => "arrangement-receipt",
            Kind::Status => "arrangement-status",
        }
    }

    fn schema_file(self) -> &'static str {
        match self {
            Kind::Descriptor => "organisation-descriptor.schema.json",
            Kind::Scheme => "scheme.schema.json",
            Kind::Input => "arrangement-input.schema.json",
            Kind::Plan => "arrangement-plan.schema.json",
            Kind::Part => "arrangement-part.schema.json",
            Kind::Receipt => "arrangement-receipt.schema.json",
            Kind::Status => "arrangement-status.schema.json",
        }
    }

    fn schema_id(self) -> String {
        let stem = match self {
            Kind::Descriptor => "organisation-descriptor",
            other => other.schema_file().trim_end_matches(".schema.json"),
        };
        format!("https://betaalpod.nl/schemas/{stem}-1.schema.json")
    }

    /// The `format` string, for the documents that carry one.
    fn format(self) -> Option<&'static str> {
        match self {
            Kind::Descriptor => Some(DescriptorFormat::VALUE),
            Kind::Scheme => Some(SchemeFormat::VALUE),
            Kind::Part => Some(PartFormat::VALUE),
            Kind::Receipt => Some(ReceiptFormat::VALUE),
            Kind::Status => Some(StatusFormat::VALUE),
            Kind::Input | Kind::Plan => None,
        }
    }

    /// Reads `bytes` the way Betaalpod does, and writes the value back as JSON.
    fn read(self, bytes: &[u8]) -> Result<Value, InvalidDocument> {
        match self {
            Kind::Descriptor => OrganisationDescriptor::from_json(bytes).map(to_value),
            Kind::Scheme => match Scheme::from_json(bytes) {
                Ok(scheme) => Ok(to_value(scheme)),
                Err(SchemeError::Invalid(e)) => Err(e),
                Err(SchemeError::Signature(e)) => panic!("from_json does not verify signatures: {e}"),
            },
            Kind::Input => serde_only::<ArrangementInput>(bytes),
            Kind::Plan => serde_only::<ArrangementPlan>(bytes),
            Kind::Part => serde_only::<ArrangementPart>(bytes),
            Kind::Receipt => serde_only::<ArrangementReceipt>(bytes),
            Kind::Status => serde_only::<ArrangementStatus>(bytes),
        }
    }

    /// Serde alone, without `check`.
    fn read_serde_only(self, bytes: &[u8]) -> Result<Value, InvalidDocument> {
        match self {
            Kind::Descriptor => serde_only::<OrganisationDescriptor>(bytes),
            Kind::Scheme => serde_only::<Scheme>(bytes),
            other => other.read(bytes),
        }
    }

    fn has_check(self) -> bool {
        matches!(self, Kind::Descriptor | Kind::Scheme)
    }
}

fn to_value<T: Serialize>(value: T) -> Value {
    serde_json::to_value(value).expect("a read document serialises")
}

fn serde_only<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<Value, InvalidDocument> {
    from_json::<T>(bytes, usize::MAX).map(to_value)
}

/// Every invalid fixture: the layer that refuses it and the JSON path it names.
#[rustfmt::skip]
const INVALID: &[(Kind, &str, Layer, &str)] = &[
    (Kind::Descriptor, "invalid-unknown-field", Layer::Serde, "$.contact"),
    (Kind::Descriptor, "invalid-wrong-format", Layer::Serde, "$.format"),
    (Kind::Descriptor, "invalid-bad-id", Layer::Serde, "$.id"),
    (Kind::Descriptor, "invalid-oin-too-short", Layer::Serde, "$.id"),
    (Kind::Descriptor, "invalid-missing-token-endpoint", Layer::Serde, "$"),
    (Kind::Descriptor, "invalid-scopes-missing", Layer::Serde, "$"),
    (Kind::Descriptor, "invalid-unknown-scope", Layer::Check, "$.scopes[1]"),
    (Kind::Descriptor, "invalid-unknown-document-version", Layer::Check, "$.document_versions[1]"),
    (Kind::Descriptor, "invalid-http-endpoint", Layer::Check, "$.token_endpoint"),
    (Kind::Descriptor, "invalid-relative-url", Layer::Serde, "$.claims_endpoint"),
    (Kind::Descriptor, "invalid-ftp-url", Layer::Check, "$.jwks_uri"),
    (Kind::Descriptor, "invalid-blank-name", Layer::Check, "$.name"),
    (Kind::Descriptor, "invalid-name-too-long", Layer::Check, "$.name"),
    (Kind::Descriptor, "invalid-jwk-wrong-curve", Layer::Check, "$.keys[0]"),
    (Kind::Descriptor, "invalid-jwk-wrong-kty", Layer::Check, "$.keys[0]"),
    (Kind::Descriptor, "invalid-jwk-private-part", Layer::Serde, "$.keys[0].d"),
    (Kind::Descriptor, "invalid-jwk-x-too-short", Layer::Check, "$.keys[0]"),
    (Kind::Descriptor, "invalid-jwk-x-padded", Layer::Check, "$.keys[0]"),
    (Kind::Descriptor, "invalid-jwk-alg", Layer::Check, "$.keys[0]"),
    (Kind::Descriptor, "invalid-jwk-use", Layer::Check, "$.keys[0]"),
    (Kind::Descriptor, "invalid-jwk-missing-kid", Layer::Serde, "$.keys[0]"),
    (Kind::Descriptor, "invalid-jwk-weak-key", Layer::Check, "$.keys[0]"),
    (Kind::Descriptor, "invalid-jwk-not-a-point", Layer::Check, "$.keys[0]"),
    (Kind::Descriptor, "invalid-duplicate-kid", Layer::Check, "$.keys[1].kid"),
    (Kind::Descriptor, "invalid-not-after-without-offset", Layer::Serde, "$.keys[1].not_after"),
    (Kind::Descriptor, "invalid-revoked-not-boolean", Layer::Serde, "$.keys[1].revoked"),
    (Kind::Scheme, "invalid-unknown-field", Layer::Serde, "$.comment"),
    (Kind::Scheme, "invalid-wrong-format", Layer::Serde, "$.format"),
    (Kind::Scheme, "invalid-negative-version", Layer::Serde, "$.version"),
    (Kind::Scheme, "invalid-version-beyond-safe-integer", Layer::Check, "$.version"),
    (Kind::Scheme, "invalid-version-as-float", Layer::Serde, "$.version"),
    (Kind::Scheme, "invalid-missing-organisations", Layer::Serde, "$"),
    (Kind::Scheme, "invalid-issued-at-without-offset", Layer::Serde, "$.issued_at"),
    (Kind::Scheme, "invalid-signature-not-a-string", Layer::Serde, "$.signature"),
    (Kind::Scheme, "invalid-organisation-without-keys", Layer::Check, "$.organisations[1].keys"),
    (Kind::Scheme, "invalid-organisation-empty-keys", Layer::Check, "$.organisations[0].keys"),
    (Kind::Scheme, "invalid-organisation-unknown-field", Layer::Serde, "$.organisations[0].logo"),
    (Kind::Scheme, "invalid-organisation-bad-id", Layer::Serde, "$.organisations[0].id"),
    (Kind::Scheme, "invalid-duplicate-organisation", Layer::Check, "$.organisations[1].id"),
    (Kind::Scheme, "invalid-duplicate-kid", Layer::Check, "$.organisations[1].keys[1].kid"),
    (Kind::Scheme, "invalid-http-endpoint", Layer::Check, "$.organisations[1].token_endpoint"),
    (Kind::Scheme, "invalid-jwk-wrong-curve", Layer::Check, "$.organisations[0].keys[0]"),
    (Kind::Input, "invalid-unknown-field", Layer::Serde, "$.bsn"),
    (Kind::Input, "invalid-claim-unknown-field", Layer::Serde, "$.claims[0].bedrag"),
    (Kind::Input, "invalid-household", Layer::Serde, "$.household"),
    (Kind::Input, "invalid-pause-reason", Layer::Serde, "$.pause.reason"),
    (Kind::Input, "invalid-pause-without-motivation", Layer::Serde, "$.pause"),
    (Kind::Input, "invalid-pause-negative-months", Layer::Serde, "$.pause.months"),
    (Kind::Input, "invalid-missing-claims", Layer::Serde, "$"),
    (Kind::Input, "invalid-missing-household", Layer::Serde, "$"),
    (Kind::Input, "invalid-negative-term-cap", Layer::Serde, "$.term_cap_months"),
    (Kind::Input, "invalid-claim-bad-org", Layer::Serde, "$.claims[0].org"),
    (Kind::Input, "invalid-date-with-time", Layer::Serde, "$.date"),
    (Kind::Input, "invalid-date-month-13", Layer::Serde, "$.date"),
    (Kind::Input, "invalid-date-not-a-day", Layer::Serde, "$.date"),
    (Kind::Input, "invalid-existing-deductions-null", Layer::Serde, "$.existing_deductions_cents"),
    (Kind::Input, "invalid-income-too-large", Layer::Serde, "$.net_income_cents"),
    (Kind::Input, "invalid-cents-as-float", Layer::Serde, "$.net_income_cents"),
    (Kind::Input, "invalid-cents-as-string", Layer::Serde, "$.net_income_cents"),
    (Kind::Input, "invalid-date-unpadded", Layer::Serde, "$.date"),
    (Kind::Plan, "invalid-outcome", Layer::Serde, "$.outcome"),
    (Kind::Plan, "invalid-unknown-field", Layer::Serde, "$.net_income_cents"),
    (Kind::Plan, "invalid-missing-explanation-en", Layer::Serde, "$.explanation"),
    (Kind::Plan, "invalid-explanation-extra-language", Layer::Serde, "$.explanation.de"),
    (Kind::Plan, "invalid-negative-pause-months", Layer::Serde, "$.pause_months"),
    (Kind::Plan, "invalid-payment-unknown-field", Layer::Serde, "$.schedule[0].payments[0].iban"),
    (Kind::Plan, "invalid-share-bad-org", Layer::Serde, "$.shares[0].org"),
    (Kind::Plan, "invalid-norm-valid-from-dutch-order", Layer::Serde, "$.norm_valid_from"),
    (Kind::Plan, "invalid-missing-schedule", Layer::Serde, "$"),
    (Kind::Plan, "invalid-month-as-float", Layer::Serde, "$.schedule[0].month"),
    (Kind::Part, "invalid-wrong-format", Layer::Serde, "$.format"),
    (Kind::Part, "invalid-format-of-receipt", Layer::Serde, "$.format"),
    (Kind::Part, "invalid-unknown-field", Layer::Serde, "$.net_income_cents"),
    (Kind::Part, "invalid-bad-organisation", Layer::Serde, "$.organisation"),
    (Kind::Part, "invalid-missing-monthly-cents", Layer::Serde, "$"),
    (Kind::Part, "invalid-negative-organisations-in-plan", Layer::Serde, "$.organisations_in_plan"),
    (Kind::Part, "invalid-claim-unknown-field", Layer::Serde, "$.claims[0].bsn"),
    (Kind::Part, "invalid-full-disclosure-extra-field", Layer::Serde, "$.full_disclosure.bsn"),
    (Kind::Part, "invalid-full-disclosure-bad-input", Layer::Serde, "$.full_disclosure.input.household"),
    (Kind::Part, "invalid-full-disclosure-without-plan", Layer::Serde, "$.full_disclosure"),
    (Kind::Receipt, "invalid-wrong-format", Layer::Serde, "$.format"),
    (Kind::Receipt, "invalid-state", Layer::Serde, "$.state"),
    (Kind::Receipt, "invalid-received-at-without-offset", Layer::Serde, "$.received_at"),
    (Kind::Receipt, "invalid-received-at-bad-offset", Layer::Serde, "$.received_at"),
    (Kind::Receipt, "invalid-received-at-not-a-day", Layer::Serde, "$.received_at"),
    (Kind::Receipt, "invalid-signature-field", Layer::Serde, "$.signature"),
    (Kind::Receipt, "invalid-terms-missing-claims", Layer::Serde, "$.terms"),
    (Kind::Receipt, "invalid-terms-unknown-field", Layer::Serde, "$.terms.organisation"),
    (Kind::Receipt, "invalid-missing-part-sha256", Layer::Serde, "$"),
    (Kind::Status, "invalid-wrong-format", Layer::Serde, "$.format"),
    (Kind::Status, "invalid-state", Layer::Serde, "$.state"),
    (Kind::Status, "invalid-unknown-field", Layer::Serde, "$.signature"),
    (Kind::Status, "invalid-updated-at-date-only", Layer::Serde, "$.updated_at"),
    (Kind::Status, "invalid-reason-not-text", Layer::Serde, "$.reason"),
    (Kind::Status, "invalid-missing-receipt-id", Layer::Serde, "$"),
    (Kind::Status, "invalid-organisation-too-long", Layer::Serde, "$.organisation"),
];

/// Rules beyond JSON Schema: the reader refuses these invalid fixtures, the schema accepts them.
#[rustfmt::skip]
const BEYOND_JSON_SCHEMA: &[(Kind, &str, &str)] = &[
    (Kind::Descriptor, "invalid-http-endpoint", "https only; plain http only on loopback (check)"),
    (Kind::Descriptor, "invalid-jwk-weak-key", "x is a small-order Ed25519 point (check)"),
    (Kind::Descriptor, "invalid-jwk-not-a-point", "x does not decode to an Ed25519 point (check)"),
    (Kind::Descriptor, "invalid-duplicate-kid", "kids unique within a key set (check)"),
    (Kind::Scheme, "invalid-duplicate-organisation", "organisation ids unique (check)"),
    (Kind::Scheme, "invalid-duplicate-kid", "kids unique within a key set (check)"),
    (Kind::Scheme, "invalid-http-endpoint", "https only; plain http only on loopback (check)"),
    (Kind::Scheme, "invalid-version-as-float", "an integer written with a fraction, 7.0 (serde)"),
    (Kind::Input, "invalid-cents-as-float", "an integer written with a fraction, 140150.0 (serde)"),
    (Kind::Input, "invalid-date-not-a-day", "29 February in a common year (serde/chrono)"),
    (Kind::Plan, "invalid-month-as-float", "an integer written with a fraction, 1.0 (serde)"),
    (Kind::Receipt, "invalid-received-at-not-a-day", "29 February in a common year (serde/chrono)"),
];

/// The reverse: the schema refuses these, the reader accepts them, where a Rust type accepts more
/// than the documented format. Empty: keep it so, by fixing the reader (as was done for dates,
/// which chrono's own parser reads as `2026-2-1` too; see `invalid-date-unpadded`).
const SERDE_LENIENT: &[(Kind, &str, &str)] = &[];

/// The manager key the scheme fixtures are signed with (see `tests/scheme.rs`).
fn manager_keys() -> Vec<schemas::jws::Jwk> {
    vec![Signer::new("manager-2026", SigningKey::from_bytes(&[7u8; 32])).public_jwk(None)]
}

fn verify_at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-02-01T00:00:00+00:00")
        .expect("date-time")
        .to_utc()
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture_dir(kind: Kind) -> PathBuf {
    manifest_dir().join("tests/fixtures/documents").join(kind.dir())
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn schema(kind: Kind) -> Value {
    read_json(&manifest_dir().join("json").join(kind.schema_file()))
}

fn validator(kind: Kind) -> Validator {
    let schema = schema(kind);
    if let Err(e) = jsonschema::meta::validate(&schema) {
        panic!("{} is not a valid JSON Schema: {e}", kind.schema_file());
    }
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{} does not compile: {e}", kind.schema_file()))
}

fn schema_verdict(validator: &Validator, instance: &Value) -> Result<(), String> {
    validator
        .validate(instance)
        .map_err(|e| format!("{e} (at {})", e.instance_path()))
}

/// The fixtures of `kind`, sorted by name (without `.json`).
fn fixtures(kind: Kind) -> Vec<(String, Vec<u8>)> {
    let dir = fixture_dir(kind);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("directory entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 name")
                .to_owned();
            let stem = name
                .strip_suffix(".json")
                .unwrap_or_else(|| panic!("{}: only .json files belong here", path.display()));
            (stem.to_owned(), std::fs::read(&path).expect("fixture"))
        })
        .collect();
    out.sort();
    out
}

fn lookup<'a, T>(table: &'a [(Kind, &str, T)], kind: Kind, name: &str) -> Option<&'a T> {
    table
        .iter()
        .find(|(k, n, _)| *k == kind && *n == name)
        .map(|(_, _, t)| t)
}

#[test]
fn fixtures_agree_with_the_reader_and_the_schemas() {
    let mut failures = Vec::new();
    let mut counts: BTreeMap<(Kind, &str), usize> = BTreeMap::new();
    let mut seen = Vec::new();
    for kind in KINDS {
        let validator = validator(kind);
        for (name, bytes) in fixtures(kind) {
            let fail =
                |failures: &mut Vec<String>, what: String| failures.push(format!("{}/{name}: {what}", kind.dir()));
            let instance: Value = match serde_json::from_slice(&bytes) {
                Ok(v) => v,
                Err(e) => {
                    fail(&mut failures, format!("not JSON: {e}"));
                    continue;
                }
            };
            let read = kind.read(&bytes);
            let schema = schema_verdict(&validator, &instance);
            seen.push((kind, name.clone()));
            if name.starts_with("valid-") {
                *counts.entry((kind, "valid")).or_default() += 1;
                match (&read, &schema) {
                    (Ok(written), Ok(())) => {
                        if let Err(e) = check_round_trip(kind, &name, &instance, written) {
                            fail(&mut failures, e);
                        }
                    }
                    (Err(e), _) => fail(&mut failures, format!("the reader refuses it: {e}")),
                    (_, Err(e)) => fail(&mut failures, format!("the schema refuses it: {e}")),
                }
                let verified =
                    (kind == Kind::Scheme).then(|| Scheme::from_json_verified(&bytes, &manager_keys(), verify_at()));
                if let Some(Err(e)) = verified {
                    fail(&mut failures, format!("does not verify: {e}"));
                }
            } else if name.starts_with("invalid-") {
                *counts.entry((kind, "invalid")).or_default() += 1;
                let Some((layer, path)) = INVALID
                    .iter()
                    .find(|(k, n, _, _)| *k == kind && *n == name)
                    .map(|(_, _, layer, path)| (*layer, *path))
                else {
                    fail(&mut failures, "not listed in INVALID".to_owned());
                    continue;
                };
                match &read {
                    Ok(_) => fail(&mut failures, "the reader accepts it".to_owned()),
                    Err(e) if e.path != path => {
                        fail(&mut failures, format!("the reader refuses it at {e}, not at {path}"))
                    }
                    Err(_) => {}
                }
                let serde = kind.read_serde_only(&bytes);
                match (layer, &serde) {
                    (Layer::Serde, Ok(_)) => fail(
                        &mut failures,
                        "serde accepts it; the table says serde refuses it".to_owned(),
                    ),
                    (Layer::Check, Err(e)) => fail(
                        &mut failures,
                        format!("serde already refuses it ({e}); the table says check"),
                    ),
                    (Layer::Check, Ok(_)) if !kind.has_check() => {
                        fail(&mut failures, "this kind has no check".to_owned())
                    }
                    _ => {}
                }
                match (lookup(BEYOND_JSON_SCHEMA, kind, &name), &schema) {
                    (Some(_), Ok(())) | (None, Err(_)) => {}
                    (Some(rule), Err(e)) => fail(
                        &mut failures,
                        format!("listed as beyond JSON Schema ({rule}), but the schema refuses it: {e}"),
                    ),
                    (None, Ok(())) => fail(&mut failures, "the schema accepts it".to_owned()),
                }
            } else if name.starts_with("lenient-") {
                *counts.entry((kind, "lenient")).or_default() += 1;
                if lookup(SERDE_LENIENT, kind, &name).is_none() {
                    fail(&mut failures, "not listed in SERDE_LENIENT".to_owned());
                }
                if let Err(e) = &read {
                    fail(
                        &mut failures,
                        format!("listed as lenient, but the reader refuses it: {e}"),
                    );
                }
                if schema.is_ok() {
                    fail(&mut failures, "listed as lenient, but the schema accepts it".to_owned());
                }
            } else {
                fail(&mut failures, "name it valid-*, invalid-* or lenient-*".to_owned());
            }
        }
    }

    // Every table row names a fixture that exists.
    let listed = INVALID
        .iter()
        .map(|(k, n, _, _)| (*k, *n))
        .chain(BEYOND_JSON_SCHEMA.iter().map(|(k, n, _)| (*k, *n)))
        .chain(SERDE_LENIENT.iter().map(|(k, n, _)| (*k, *n)));
    for (kind, name) in listed {
        if !seen.iter().any(|(k, n)| *k == kind && n == name) {
            failures.push(format!(
                "{}/{name}: listed in a table, but there is no such fixture",
                kind.dir()
            ));
        }
    }
    for kind in KINDS {
        for verdict in ["valid", "invalid"] {
            let n = counts.get(&(kind, verdict)).copied().unwrap_or(0);
            if n < 2 {
                failures.push(format!("{}: only {n} {verdict} fixtures", kind.dir()));
            }
        }
    }

    let mut report = String::new();
    for failure in &failures {
        let _ = writeln!(report, "- {failure}");
    }
    assert!(failures.is_empty(), "{} disagreements:\n{report}", failures.len());
}

/// Writing back gives the fixture again; fixtures named `*defaults*` may leave out fields with a
/// schema `default`, which must then be exactly what serde fills in.
fn check_round_trip(kind: Kind, name: &str, input: &Value, written: &Value) -> Result<(), String> {
    if name.contains("defaults") {
        let root = schema(kind);
        let mut expected = input.clone();
        fill_defaults(&root, &root, &mut expected);
        let mut actual = written.clone();
        fill_defaults(&root, &root, &mut actual);
        if expected != actual {
            return Err(format!(
                "written back (defaults filled in) differs:\n  fixture: {expected}\n  written: {actual}"
            ));
        }
        if input == written {
            return Err("the fixture relies on no default; drop `defaults` from its name".to_owned());
        }
        Ok(())
    } else if input != written {
        Err(format!(
            "written back differs:\n  fixture: {input}\n  written: {written}"
        ))
    } else {
        Ok(())
    }
}

/// Fills in the `default` of every absent property, following `properties`, `items` and local
/// `$ref`s.
fn fill_defaults(root: &Value, schema: &Value, value: &mut Value) {
    if let Some(pointer) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
    {
        let reference = format!("#{pointer}");
        let target = root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
        fill_defaults(root, target, value);
    }
    match value {
        Value::Object(object) => {
            let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
                return;
            };
            for (field, subschema) in properties {
                match object.get_mut(field) {
                    Some(inner) => fill_defaults(root, subschema, inner),
                    None => {
                        if let Some(default) = subschema.get("default") {
                            object.insert(field.clone(), default.clone());
                        }
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    fill_defaults(root, item_schema, item);
                }
            }
        }
        _ => {}
    }
}

/// One change to a valid document, at a JSON pointer.
enum Mutation {
    Remove,
    SetNull,
    AddUnknownField,
}

/// Every object in `value`, by JSON pointer.
fn object_pointers(value: &Value, here: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                object_pointers(inner, format!("{here}/{key}"), out);
            }
            out.push(here);
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                object_pointers(inner, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Every valid fixture, changed one field at a time: the reader and the schema still agree on
/// which changes are allowed. This covers which fields are required, which may be null and that
/// every object refuses unknown fields, without a fixture for each.
#[test]
fn the_reader_and_the_schemas_agree_on_every_field() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for kind in KINDS {
        let validator = validator(kind);
        for (name, bytes) in fixtures(kind) {
            if !name.starts_with("valid-") {
                continue;
            }
            let document: Value = serde_json::from_slice(&bytes).expect("JSON");
            let mut pointers = Vec::new();
            object_pointers(&document, String::new(), &mut pointers);
            for pointer in pointers {
                let fields: Vec<String> = document
                    .pointer(&pointer)
                    .and_then(Value::as_object)
                    .map(|o| o.keys().cloned().collect())
                    .unwrap_or_default();
                let mut mutations: Vec<(String, Mutation)> =
                    vec![(format!("{pointer}/+x_unknown"), Mutation::AddUnknownField)];
                for field in fields {
                    mutations.push((format!("{pointer}/{field}"), Mutation::Remove));
                    mutations.push((format!("{pointer}/{field}"), Mutation::SetNull));
                }
                for (at, mutation) in mutations {
                    let mut changed = document.clone();
                    let (parent, field) = at.rsplit_once('/').expect("a pointer with a field");
                    let object = changed
                        .pointer_mut(parent)
                        .and_then(Value::as_object_mut)
                        .expect("an object");
                    let label = match mutation {
                        Mutation::Remove => {
                            object.remove(field);
                            "without"
                        }
                        Mutation::SetNull => {
                            object.insert(field.to_owned(), Value::Null);
                            "null at"
                        }
                        Mutation::AddUnknownField => {
                            object.insert("x_unknown".to_owned(), json!(1));
                            "unknown field in"
                        }
                    };
                    let changed_bytes = serde_json::to_vec(&changed).expect("serialises");
                    let reader = kind.read(&changed_bytes);
                    let schema = schema_verdict(&validator, &changed);
                    checked += 1;
                    if reader.is_ok() != schema.is_ok() {
                        failures.push(format!(
                            "{}/{name}, {label} {at}: reader {:?}, schema {:?}",
                            kind.dir(),
                            reader.map(|_| ()),
                            schema
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 500, "only {checked} mutations");
    let mut report = String::new();
    for failure in &failures {
        let _ = writeln!(report, "- {failure}");
    }
    assert!(failures.is_empty(), "{} disagreements:\n{report}", failures.len());
}

#[test]
fn schema_headers_and_format_strings() {
    for kind in KINDS {
        let schema = schema(kind);
        let file = kind.schema_file();
        assert_eq!(
            schema["$schema"],
            json!("https://json-schema.org/draft/2020-12/schema"),
            "{file}"
        );
        assert_eq!(schema["$id"], json!(kind.schema_id()), "{file}");
        assert!(
            schema["description"].as_str().is_some_and(|d| d.len() > 40),
            "{file} has a description"
        );
        assert_eq!(schema["type"], json!("object"), "{file}");
        assert_eq!(
            schema["properties"]["format"].get("const").and_then(Value::as_str),
            kind.format(),
            "{file}: the format string"
        );
        if let Some(format) = kind.format() {
            assert!(
                schema["required"]
                    .as_array()
                    .expect("required")
                    .contains(&json!("format"))
            );
            assert!(
                schema["title"].as_str().expect("title").contains(format),
                "{file}: the title names {format}"
            );
        }
    }
}

/// Every object schema refuses unknown fields, like `#[serde(deny_unknown_fields)]`.
#[test]
fn every_object_schema_refuses_unknown_fields() {
    fn walk(file: &str, at: &str, schema: &Value) {
        match schema {
            Value::Object(map) => {
                if map.get("type") == Some(&json!("object")) {
                    assert_eq!(
                        map.get("additionalProperties"),
                        Some(&json!(false)),
                        "{file} {at}: additionalProperties must be false"
                    );
                }
                for (key, inner) in map {
                    walk(file, &format!("{at}/{key}"), inner);
                }
            }
            Value::Array(items) => {
                for (i, inner) in items.iter().enumerate() {
                    walk(file, &format!("{at}/{i}"), inner);
                }
            }
            _ => {}
        }
    }
    for kind in KINDS {
        walk(kind.schema_file(), "#", &schema(kind));
    }
}

/// The schemas are self-contained (they compile without fetching anything), so shared parts are
/// copied: a `$defs` entry of the same name is identical in every file, and a schema embedded as
/// a resource (with its `$id`) is identical to its own file.
#[test]
fn shared_definitions_are_identical_copies() {
    let schemas: Vec<(Kind, Value)> = KINDS.iter().map(|k| (*k, schema(*k))).collect();
    let mut by_name: BTreeMap<String, (String, Value)> = BTreeMap::new();
    let mut embedded = 0;
    fn collect(file: &str, resource: &Value, by_name: &mut BTreeMap<String, (String, Value)>, embedded: &mut usize) {
        let Some(defs) = resource.get("$defs").and_then(Value::as_object) else {
            return;
        };
        for (name, definition) in defs {
            if let Some(id) = definition.get("$id").and_then(Value::as_str) {
                let kind = KINDS
                    .into_iter()
                    .find(|k| k.schema_id() == id)
                    .unwrap_or_else(|| panic!("{file}: embedded resource {id} is none of ours"));
                assert_eq!(definition, &schema(kind), "{file}: $defs/{name} is a copy of {id}");
                *embedded += 1;
                collect(file, definition, by_name, embedded);
                continue;
            }
            match by_name.get(name) {
                Some((first, earlier)) => {
                    assert_eq!(earlier, definition, "$defs/{name} differs between {first} and {file}")
                }
                None => {
                    by_name.insert(name.clone(), (file.to_owned(), definition.clone()));
                }
            }
        }
    }
    for (kind, schema) in &schemas {
        collect(kind.schema_file(), schema, &mut by_name, &mut embedded);
    }
    assert_eq!(
        embedded, 3,
        "the scheme embeds the descriptor; the part embeds input and plan"
    );
    assert!(by_name.contains_key("organisationId") && by_name.contains_key("dateTime"));
}

/// The enums in the schemas are exactly the Rust enums and constants.
#[test]
fn enum_values_match_the_rust_types() {
    fn check<T: Serialize + DeserializeOwned>(name: &str, file: Kind, pointer: &str, rust: &[T]) {
        let schema = schema(file);
        let values = schema
            .pointer(pointer)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{}: no enum at {pointer}", file.schema_file()))
            .clone();
        let ours: Vec<Value> = rust
            .iter()
            .map(|v| serde_json::to_value(v).expect("serialises"))
            .collect();
        assert_eq!(values, ours, "{name}: schema enum vs Rust");
        for value in values {
            assert!(
                serde_json::from_value::<T>(value.clone()).is_ok(),
                "{name}: {value} reads"
            );
        }
    }
    check(
        "Household",
        Kind::Input,
        "/$defs/household/enum",
        &[
            Household::Single,
            Household::SingleParent,
            Household::Couple,
            Household::CoupleWithChildren,
        ],
    );
    check(
        "PauseReason",
        Kind::Input,
        "/$defs/pauseReason/enum",
        &[
            PauseReason::DebtHelp,
            PauseReason::IncomeLoss,
            PauseReason::Illness,
            PauseReason::Bereavement,
            PauseReason::Separation,
            PauseReason::Birth,
            PauseReason::Detention,
            PauseReason::Disaster,
            PauseReason::Other,
        ],
    );
    check(
        "Outcome",
        Kind::Plan,
        "/properties/outcome/enum",
        &[
            Outcome::Plan,
            Outcome::OverTermCap,
            Outcome::PauseAndReferral,
            Outcome::MinShareNotMet,
        ],
    );
    check(
        "ArrangementState",
        Kind::Status,
        "/$defs/arrangementState/enum",
        &[
            ArrangementState::Received,
            ArrangementState::Accepted,
            ArrangementState::Rejected,
        ],
    );
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
    check(
        "KNOWN_SCOPES",
        Kind::Descriptor,
        "/properties/scopes/items/enum",
        &owned(KNOWN_SCOPES),
    );
    check(
        "KNOWN_DOCUMENT_VERSIONS",
        Kind::Descriptor,
        "/properties/document_versions/items/enum",
        &owned(KNOWN_DOCUMENT_VERSIONS),
    );
}

/// The issue's example input reads as written, with the values it spells out.
#[test]
fn the_issue_example_reads() {
    let bytes = std::fs::read(fixture_dir(Kind::Input).join("valid-issue-example.json")).expect("fixture");
    let input: ArrangementInput = from_json(&bytes, usize::MAX).expect("reads");
    assert_eq!(input.date.to_string(), "2026-02-01");
    assert_eq!(input.household, Household::Single);
    assert_eq!(
        (input.net_income_cents, input.min_share_cents, input.term_cap_months),
        (140150, 500, 36)
    );
    assert_eq!(input.claims.len(), 1);
    assert_eq!(input.claims[0].org.as_str(), "cjib");
    assert_eq!(input.claims[0].reference, "Z-1");
    assert!(input.pause.is_none() && input.floor_override_cents.is_none());

    let minimal: ArrangementInput = from_json(
        br#"{"date":"2026-02-01","household":"single","net_income_cents":140150,"claims":[]}"#,
        usize::MAX,
    )
    .expect("reads");
    assert_eq!(
        (
            minimal.min_share_cents,
            minimal.term_cap_months,
            minimal.aow,
            minimal.existing_deductions_cents
        ),
        (500, 36, false, 0)
    );
}
