//! The scheme: signing, verifying, and the structural checks, with their JSON paths.
//!
//! The scheme fixtures in `tests/fixtures/documents/scheme/` are made by
//! [`scheme_fixtures_are_up_to_date`] from fixed test keys (Ed25519 signatures are deterministic),
//! so they can be regenerated after a deliberate change to the format:
//!
//! ```sh
//! BETAALPOD_WRITE_FIXTURES=1 cargo test -p schemas --test scheme scheme_fixtures_are_up_to_date
//! ```
//!
//! Without the variable the test compares the committed files with what it would write.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use ed25519_dalek::{Signature, SigningKey};
use schemas::descriptor::{DescriptorFormat, OrganisationDescriptor};
use schemas::document::InvalidDocument;
use schemas::ids::OrganisationId;
use schemas::jws::{Jwk, JwsError, Signer};
use schemas::scheme::{MAX_SCHEME_BYTES, Scheme, SchemeError, SchemeFormat};
use serde_json::{Value, json};
use url::Url;

/// The scheme manager's test key: seed `[7; 32]`, kid `manager-2026`.
fn manager() -> Signer {
    Signer::new("manager-2026", SigningKey::from_bytes(&[7u8; 32]))
}

/// The manager's key as a pod pins it: no end date.
fn pinned_manager_keys() -> Vec<Jwk> {
    vec![manager().public_jwk(None)]
}

fn time(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).expect("test date-time")
}

/// The moment the tests verify at, after the fixture's `issued_at`.
fn now() -> DateTime<Utc> {
    time("2026-02-01T00:00:00+00:00").to_utc()
}

fn url(raw: &str) -> Url {
    Url::parse(raw).expect("test URL")
}

fn org_id(raw: &str) -> OrganisationId {
    OrganisationId::parse(raw).expect("test organisation id")
}

fn descriptor(id: &str, name: &str, host: &str, keys: Vec<Jwk>) -> OrganisationDescriptor {
    OrganisationDescriptor {
        format: DescriptorFormat,
        id: org_id(id),
        name: name.to_owned(),
        base_url: url(&format!("https://{host}/")),
        authorization_endpoint: url(&format!("https://{host}/oauth/authorize")),
        token_endpoint: url(&format!("https://{host}/oauth/token")),
        claims_endpoint: url(&format!("https://{host}/claims")),
        arrangements_endpoint: url(&format!("https://{host}/arrangements")),
        jwks_uri: url(&format!("https://{host}/.well-known/jwks.json")),
        keys,
        scopes: vec!["claims:read".to_owned(), "arrangement:submit".to_owned()],
        document_versions: vec!["fcid/3.0.0".to_owned(), "fcid/4.1.0".to_owned()],
    }
}

/// An organisation key from a fixed seed.
fn org_key(seed: u8, kid: &str, not_after: Option<&str>) -> Jwk {
    Signer::new(kid, SigningKey::from_bytes(&[seed; 32])).public_jwk(not_after.map(time))
}

/// The scheme of the `valid-signed` fixture, unsigned.
fn unsigned_scheme() -> Scheme {
    let mut old_duo_key = org_key(10, "duo-2025", Some("2026-01-01T00:00:00+01:00"));
    old_duo_key.revoked = true;
    Scheme {
        format: SchemeFormat,
        version: 7,
        issued_at: time("2026-01-15T12:00:00+01:00"),
        organisations: vec![
            descriptor(
                "cjib",
                "Centraal Justitieel Incassobureau",
                "betaalpod.cjib.example",
                vec![org_key(8, "cjib-2026", Some("2027-01-01T00:00:00+01:00"))],
            ),
            descriptor(
                "00000009999999999001",
                "Dienst Uitvoering Onderwijs",
                "betaalpod.duo.example",
                vec![org_key(9, "duo-2026", None), old_duo_key],
            ),
        ],
        signature: None,
    }
}

fn signed_scheme() -> Scheme {
    let mut scheme = unsigned_scheme();
    scheme.sign(&manager()).expect("signs");
    scheme
}

fn to_value(scheme: &Scheme) -> Value {
    serde_json::to_value(scheme).expect("serialises")
}

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(value).expect("serialises")
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/documents/scheme")
}

/// Every scheme fixture: the signed scheme, and variants of it that `Scheme::from_json` refuses.
/// `documents.rs` lists the verdict and JSON path of each invalid one.
fn scheme_fixtures() -> Vec<(&'static str, Value)> {
    let valid = to_value(&signed_scheme());
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut value = valid.clone();
        f(&mut value);
        value
    };
    let mut next = unsigned_scheme();
    next.version = 8;
    next.issued_at = time("2026-01-20T09:30:00+01:00");
    next.organisations.truncate(1);
    next.organisations[0].keys.push(org_key(11, "cjib-2027", None));
    next.sign(&manager()).expect("signs");
    vec![
        ("valid-signed", valid.clone()),
        ("valid-signed-next-version", to_value(&next)),
        ("invalid-unknown-field", edit(&|v| v["comment"] = json!("test"))),
        (
            "invalid-wrong-format",
            edit(&|v| v["format"] = json!("betaalpod-scheme/2")),
        ),
        ("invalid-negative-version", edit(&|v| v["version"] = json!(-1))),
        ("invalid-version-as-float", edit(&|v| v["version"] = json!(7.0))),
        ("invalid-missing-organisations", edit(&|v| remove(v, "organisations"))),
        (
            "invalid-issued-at-without-offset",
            edit(&|v| v["issued_at"] = json!("2026-01-15T12:00:00")),
        ),
        ("invalid-signature-not-a-string", edit(&|v| v["signature"] = json!(42))),
        (
            "invalid-organisation-without-keys",
            edit(&|v| remove(&mut v["organisations"][1], "keys")),
        ),
        (
            "invalid-organisation-empty-keys",
            edit(&|v| v["organisations"][0]["keys"] = json!([])),
        ),
        (
            "invalid-organisation-unknown-field",
            edit(&|v| v["organisations"][0]["logo"] = json!("https://betaalpod.cjib.example/logo.svg")),
        ),
        (
            "invalid-organisation-bad-id",
            edit(&|v| v["organisations"][0]["id"] = json!("Cjib")),
        ),
        (
            "invalid-duplicate-organisation",
            edit(&|v| v["organisations"][1]["id"] = json!("cjib")),
        ),
        (
            "invalid-duplicate-kid",
            edit(&|v| v["organisations"][1]["keys"][1]["kid"] = json!("duo-2026")),
        ),
        (
            "invalid-http-endpoint",
            edit(&|v| v["organisations"][1]["token_endpoint"] = json!("http://betaalpod.duo.example/oauth/token")),
        ),
        (
            "invalid-jwk-wrong-curve",
            edit(&|v| v["organisations"][0]["keys"][0]["crv"] = json!("X25519")),
        ),
    ]
}

fn remove(value: &mut Value, field: &str) {
    value.as_object_mut().expect("an object").remove(field);
}

#[test]
fn scheme_fixtures_are_up_to_date() {
    let dir = fixture_dir();
    let write = std::env::var_os("BETAALPOD_WRITE_FIXTURES").is_some();
    let mut stale = Vec::new();
    for (name, value) in scheme_fixtures() {
        let path = dir.join(format!("{name}.json"));
        if write {
            std::fs::create_dir_all(&dir).expect("fixture directory");
            let mut text = serde_json::to_string_pretty(&value).expect("serialises");
            text.push('\n');
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
            continue;
        }
        let committed: Option<Value> = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        if committed.as_ref() != Some(&value) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "scheme fixtures {stale:?} differ from what this test generates; if the change is deliberate, \
         run with BETAALPOD_WRITE_FIXTURES=1"
    );
}

#[test]
fn signed_fixture_verifies() {
    let bytes = std::fs::read(fixture_dir().join("valid-signed.json")).expect("fixture");
    let scheme = Scheme::from_json_verified(&bytes, &pinned_manager_keys(), now()).expect("verifies");
    assert_eq!(scheme, signed_scheme());
}

#[test]
fn sign_then_verify() {
    let scheme = signed_scheme();
    scheme.verify(&pinned_manager_keys(), now()).expect("verifies");

    // Whitespace and key order in the bytes do not matter: the signature covers canonical JSON.
    let value = to_value(&scheme);
    let compact = serde_json::to_vec(&value).expect("serialises");
    Scheme::from_json_verified(&compact, &pinned_manager_keys(), now()).expect("compact verifies");
    let text = reversed_text(&value);
    assert!(text.starts_with(r#"{ "version": 7, "signature": ""#), "{}", &text[..40]);
    Scheme::from_json_verified(text.as_bytes(), &pinned_manager_keys(), now()).expect("reordered verifies");

    // Signing again replaces the signature with the same one (Ed25519 is deterministic).
    let mut again = scheme.clone();
    again.sign(&manager()).expect("signs");
    assert_eq!(again.signature, scheme.signature);
}

/// The signature follows the documented rule, checked here without `schemas::jws`: a detached
/// compact JWS with header `{"alg":"EdDSA","kid":…}` over the canonical JSON (compact, keys sorted
/// by byte order) of the document without `signature`.
#[test]
fn signature_follows_the_documented_rule() {
    let mut value = to_value(&signed_scheme());
    let Some(Value::String(jws)) = value.as_object_mut().and_then(|o| o.remove("signature")) else {
        panic!("signed");
    };
    let (header_b64, signature_b64) = jws.split_once("..").expect("detached: header..signature");
    let header: Value = serde_json::from_slice(&B64.decode(header_b64).expect("base64url")).expect("JSON header");
    assert_eq!(header, json!({"alg": "EdDSA", "kid": "manager-2026"}));

    let payload = sorted_compact(&value);
    assert!(payload.starts_with(r#"{"format":"betaalpod-scheme/1","issued_at":"2026-01-15T12:00:00+01:00","organisations":[{"arrangements_endpoint":"#));
    let signing_input = format!("{header_b64}.{}", B64.encode(payload.as_bytes()));
    let signature = Signature::from_slice(&B64.decode(signature_b64).expect("base64url")).expect("64 bytes");
    SigningKey::from_bytes(&[7u8; 32])
        .verifying_key()
        .verify_strict(signing_input.as_bytes(), &signature)
        .expect("the signature covers the canonical JSON without `signature`");
}

/// Compact JSON with object keys sorted by byte order, written independently of `schemas::jws`.
fn sorted_compact(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), sorted_compact(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(sorted_compact).collect::<Vec<_>>().join(",")),
        scalar => scalar.to_string(),
    }
}

/// JSON text of `value` with every object's keys in reverse byte order and a space after each
/// separator: the same document, written differently.
fn reversed_text(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| b.0.as_bytes().cmp(a.0.as_bytes()));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), reversed_text(v)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(reversed_text).collect::<Vec<_>>().join(", ")),
        scalar => scalar.to_string(),
    }
}

fn expect_signature_error(scheme: &Scheme, keys: &[Jwk], now: DateTime<Utc>) -> JwsError {
    match scheme.verify(keys, now) {
        Err(SchemeError::Signature(e)) => e,
        other => panic!("expected a signature error, got {other:?}"),
    }
}

fn expect_invalid(result: Result<(), SchemeError>) -> InvalidDocument {
    match result {
        Err(SchemeError::Invalid(e)) => e,
        other => panic!("expected an invalid scheme, got {other:?}"),
    }
}

type Tamper = (&'static str, fn(&mut OrganisationDescriptor));
type SchemeTamper = (&'static str, fn(&mut Scheme));

/// One change per descriptor field, each keeping the descriptor valid so that only the
/// signature can catch it.
const ORGANISATION_TAMPERS: &[Tamper] = &[
    ("id", |o| o.id = org_id("nep-organisatie")),
    ("name", |o| o.name.push_str(" (nep)")),
    ("base_url", |o| o.base_url = url("https://evil.example/")),
    ("authorization_endpoint", |o| {
        o.authorization_endpoint = url("https://evil.example/oauth/authorize")
    }),
    ("token_endpoint", |o| {
        o.token_endpoint = url("https://evil.example/oauth/token")
    }),
    ("claims_endpoint", |o| {
        o.claims_endpoint = url("https://evil.example/claims")
    }),
    ("arrangements_endpoint", |o| {
        o.arrangements_endpoint = url("https://evil.example/arrangements")
    }),
    ("jwks_uri", |o| o.jwks_uri = url("https://evil.example/jwks.json")),
    ("keys", |o| o.keys[0] = org_key(66, &o.keys[0].kid.clone(), None)),
    ("keys", |o| o.keys.push(org_key(66, "extra", None))),
    ("keys", |o| o.keys[0].kid.push('x')),
    ("keys", |o| o.keys[0].revoked = !o.keys[0].revoked),
    ("keys", |o| {
        o.keys[0].not_after = Some(time("2099-01-01T00:00:00+00:00"))
    }),
    ("keys", |o| o.keys[0].alg = None),
    ("keys", |o| o.keys[0].key_use = None),
    ("scopes", |o| o.scopes.retain(|s| s != "arrangement:submit")),
    ("scopes", |o| o.scopes.reverse()),
    ("document_versions", |o| {
        o.document_versions = vec!["fcid/4.1.0".to_owned()]
    }),
];

#[test]
fn tampering_with_any_organisation_field_breaks_the_signature() {
    let signed = signed_scheme();
    let keys = pinned_manager_keys();
    let fields: Vec<String> = match serde_json::to_value(&signed.organisations[1]).expect("serialises") {
        Value::Object(map) => map.keys().cloned().collect(),
        _ => unreachable!("a descriptor is an object"),
    };
    for field in &fields {
        // `format` has one possible value, so it cannot be changed and still be read.
        assert!(
            field == "format" || ORGANISATION_TAMPERS.iter().any(|(f, _)| f == field),
            "no tamper case for organisation field {field}"
        );
    }
    for index in 0..signed.organisations.len() {
        for (field, tamper) in ORGANISATION_TAMPERS {
            let mut scheme = signed.clone();
            tamper(&mut scheme.organisations[index]);
            assert_ne!(
                scheme, signed,
                "organisations[{index}].{field}: the tamper changed something"
            );
            scheme
                .check()
                .unwrap_or_else(|e| panic!("organisations[{index}].{field}: still structurally valid: {e}"));
            assert_eq!(
                expect_signature_error(&scheme, &keys, now()),
                JwsError::BadSignature,
                "organisations[{index}].{field}"
            );
        }
    }
}

#[test]
fn tampering_with_the_scheme_itself_breaks_the_signature() {
    let signed = signed_scheme();
    let keys = pinned_manager_keys();
    let tampers: [SchemeTamper; 4] = [
        ("version", |s| s.version += 1),
        ("issued_at", |s| s.issued_at = time("2026-01-15T11:00:00+01:00")),
        ("organisations removed", |s| {
            s.organisations.pop();
        }),
        ("organisations reordered", |s| s.organisations.reverse()),
    ];
    for (what, tamper) in tampers {
        let mut scheme = signed.clone();
        tamper(&mut scheme);
        assert_eq!(
            expect_signature_error(&scheme, &keys, now()),
            JwsError::BadSignature,
            "{what}"
        );
    }
    // The same offset-shifted instant is another string, so another document.
    let mut shifted = signed.clone();
    shifted.issued_at = shifted
        .issued_at
        .with_timezone(&FixedOffset::east_opt(0).expect("offset"));
    assert_eq!(shifted.issued_at, signed.issued_at, "the same instant");
    assert_eq!(expect_signature_error(&shifted, &keys, now()), JwsError::BadSignature);
}

#[test]
fn another_key_with_the_pinned_kid_is_refused() {
    let impostor = Signer::new("manager-2026", SigningKey::from_bytes(&[99u8; 32]));
    let mut scheme = unsigned_scheme();
    scheme.sign(&impostor).expect("signs");
    assert_eq!(
        expect_signature_error(&scheme, &pinned_manager_keys(), now()),
        JwsError::BadSignature
    );
}

#[test]
fn a_revoked_or_expired_manager_key_is_refused() {
    let scheme = signed_scheme();
    let mut revoked = manager().public_jwk(None);
    revoked.revoked = true;
    assert_eq!(
        expect_signature_error(&scheme, &[revoked], now()),
        JwsError::InactiveKey("manager-2026".to_owned())
    );

    // not_after is exclusive: at that very moment the key is already expired.
    let expired = manager().public_jwk(Some(now().fixed_offset()));
    assert_eq!(
        expect_signature_error(&scheme, &[expired], now()),
        JwsError::InactiveKey("manager-2026".to_owned())
    );
    let still_valid = manager().public_jwk(Some((now() + Duration::seconds(1)).fixed_offset()));
    scheme.verify(&[still_valid], now()).expect("valid until not_after");
}

#[test]
fn an_unknown_kid_is_refused() {
    let scheme = signed_scheme();
    let other = Signer::new("manager-2027", SigningKey::from_bytes(&[8u8; 32]));
    assert_eq!(
        expect_signature_error(&scheme, &[other.public_jwk(None)], now()),
        JwsError::UnknownKey("manager-2026".to_owned())
    );
    assert_eq!(
        expect_signature_error(&scheme, &[], now()),
        JwsError::UnknownKey("manager-2026".to_owned())
    );

    // Signed by a key the pod has not pinned, under a kid it does not know.
    let mut by_other = unsigned_scheme();
    by_other.sign(&other).expect("signs");
    assert_eq!(
        expect_signature_error(&by_other, &pinned_manager_keys(), now()),
        JwsError::UnknownKey("manager-2027".to_owned())
    );
    // With both keys pinned, the kid picks the right one.
    let both = [manager().public_jwk(None), other.public_jwk(None)];
    by_other.verify(&both, now()).expect("verifies with the other key");
    scheme.verify(&both, now()).expect("verifies with the manager key");
}

#[test]
fn an_unsigned_scheme_is_refused() {
    let scheme = unsigned_scheme();
    assert_eq!(
        expect_signature_error(&scheme, &pinned_manager_keys(), now()),
        JwsError::Missing
    );
    // It can still be read: from_json checks structure only.
    let bytes = bytes(&to_value(&scheme));
    assert!(Scheme::from_json(&bytes).is_ok());
    assert!(matches!(
        Scheme::from_json_verified(&bytes, &pinned_manager_keys(), now()),
        Err(SchemeError::Signature(JwsError::Missing))
    ));
}

#[test]
fn a_scheme_issued_in_the_future_is_refused() {
    let mut scheme = unsigned_scheme();
    let issued = now() + Duration::seconds(301);
    scheme.issued_at = issued.fixed_offset();
    scheme.sign(&manager()).expect("signs");
    let error = expect_invalid(scheme.verify(&pinned_manager_keys(), now()));
    assert_eq!(error.path, "$.issued_at");
    let bytes = bytes(&to_value(&scheme));
    assert!(matches!(
        Scheme::from_json_verified(&bytes, &pinned_manager_keys(), now()),
        Err(SchemeError::Invalid(e)) if e.path == "$.issued_at"
    ));

    // Up to 300 seconds of clock skew is tolerated.
    scheme.issued_at = (now() + Duration::seconds(300)).fixed_offset();
    scheme.sign(&manager()).expect("signs");
    scheme.verify(&pinned_manager_keys(), now()).expect("within the skew");
}

/// A signed scheme whose organisations were changed by `edit` before signing, so that only the
/// structural check can refuse it.
fn signed_with(edit: impl FnOnce(&mut Scheme)) -> Scheme {
    let mut scheme = unsigned_scheme();
    edit(&mut scheme);
    scheme.sign(&manager()).expect("signs");
    scheme
}

/// The error path from `check`, `verify` and `from_json`, which must all agree.
fn structural_error(scheme: &Scheme) -> String {
    let checked = scheme.check().expect_err("check refuses");
    let verified = expect_invalid(scheme.verify(&pinned_manager_keys(), now()));
    let read = match Scheme::from_json(&bytes(&to_value(scheme))) {
        Err(SchemeError::Invalid(e)) => e,
        other => panic!("from_json should refuse, got {other:?}"),
    };
    assert_eq!(checked, verified);
    assert_eq!(checked, read);
    checked.path
}

#[test]
fn an_organisation_without_keys_is_refused() {
    let scheme = signed_with(|s| s.organisations[1].keys.clear());
    assert_eq!(structural_error(&scheme), "$.organisations[1].keys");
}

#[test]
fn duplicate_organisation_ids_are_refused() {
    let scheme = signed_with(|s| s.organisations[1].id = org_id("cjib"));
    assert_eq!(structural_error(&scheme), "$.organisations[1].id");
}

#[test]
fn duplicate_kids_are_refused() {
    let scheme = signed_with(|s| {
        let duplicate = org_key(12, "cjib-2026", None);
        s.organisations[0].keys.push(duplicate);
    });
    assert_eq!(structural_error(&scheme), "$.organisations[0].keys[1].kid");
}

#[test]
fn an_invalid_descriptor_is_refused_with_its_path() {
    let scheme = signed_with(|s| s.organisations[1].jwks_uri = url("http://betaalpod.duo.example/jwks.json"));
    assert_eq!(structural_error(&scheme), "$.organisations[1].jwks_uri");
    let scheme = signed_with(|s| s.organisations[0].scopes.push("claims:write".to_owned()));
    assert_eq!(structural_error(&scheme), "$.organisations[0].scopes[2]");
}

#[test]
fn a_scheme_over_one_mebibyte_is_refused_before_parsing() {
    let value = to_value(&signed_scheme());
    let text = serde_json::to_string(&value).expect("serialises");

    // Padded with white space to exactly the limit: still read and verified.
    let mut at_limit = text.clone().into_bytes();
    at_limit.resize(MAX_SCHEME_BYTES, b' ');
    Scheme::from_json_verified(&at_limit, &pinned_manager_keys(), now()).expect("at the limit");

    // One byte more: refused at `$`, whatever the content.
    let mut over = at_limit.clone();
    over.push(b' ');
    match Scheme::from_json(&over) {
        Err(SchemeError::Invalid(e)) => {
            assert_eq!(e.path, "$");
            assert!(e.problem.contains("limit"), "{}", e.problem);
        }
        other => panic!("expected a size error, got {other:?}"),
    }
    let mut garbage = vec![b'x'; MAX_SCHEME_BYTES + 1];
    garbage[0] = b'{';
    assert!(matches!(Scheme::from_json(&garbage), Err(SchemeError::Invalid(e)) if e.path == "$"));
}

#[test]
fn active_keys_leave_out_revoked_and_expired_keys() {
    let active = org_key(20, "active", None);
    let ending = org_key(21, "ending", Some("2026-02-01T00:00:01+00:00"));
    let mut revoked = org_key(22, "revoked", None);
    revoked.revoked = true;
    let mut revoked_later = org_key(23, "revoked-later", Some("2099-01-01T00:00:00+00:00"));
    revoked_later.revoked = true;
    let expired = org_key(24, "expired", Some("2026-02-01T01:00:00+01:00"));
    let organisation = descriptor(
        "cjib",
        "Centraal Justitieel Incassobureau",
        "betaalpod.cjib.example",
        vec![active.clone(), ending.clone(), revoked, revoked_later, expired],
    );
    organisation.check("$").expect("valid");
    let kids = |keys: Vec<Jwk>| keys.into_iter().map(|k| k.kid).collect::<Vec<_>>();
    assert_eq!(kids(organisation.active_keys(now())), ["active", "ending"]);
    assert_eq!(kids(organisation.active_keys(now() + Duration::seconds(1))), ["active"]);

    // In the signed fixture, DUO's revoked 2025 key is left out.
    let scheme = signed_scheme();
    assert_eq!(kids(scheme.organisations[1].active_keys(now())), ["duo-2026"]);
    assert_eq!(kids(scheme.organisations[0].active_keys(now())), ["cjib-2026"]);
}

/// The signature covers the document as Betaalpod reads and writes it back, not the bytes: a
/// spelling that reads as the same value (a `Z` offset for `+00:00`, a bare host for `host/`, an
/// explicit default) verifies too. A signer must therefore sign the written-back form.
#[test]
fn the_signature_covers_the_document_as_read() {
    let mut scheme = unsigned_scheme();
    scheme.issued_at = time("2026-01-15T11:00:00+00:00");
    scheme.sign(&manager()).expect("signs");
    let mut value = to_value(&scheme);
    value["issued_at"] = json!("2026-01-15T11:00:00Z");
    value["organisations"][0]["base_url"] = json!("https://betaalpod.cjib.example");
    value["organisations"][0]["keys"][0]["revoked"] = json!(false);
    let read = Scheme::from_json_verified(&bytes(&value), &pinned_manager_keys(), now()).expect("verifies");
    assert_eq!(read, scheme);

    // The canonical JSON of those bytes as written is another payload: signing it does not verify.
    let signature = {
        let mut unsigned = value.clone();
        remove(&mut unsigned, "signature");
        manager().sign_detached(sorted_compact(&unsigned).as_bytes())
    };
    value["signature"] = json!(signature);
    assert!(matches!(
        Scheme::from_json_verified(&bytes(&value), &pinned_manager_keys(), now()),
        Err(SchemeError::Signature(JwsError::BadSignature))
    ));
}
