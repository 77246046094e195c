//! Writes the seeds of the `scheme_verify` target into `seeds/scheme_verify/`:
//! - `signed_scheme.json`: a scheme with two organisations, signed with the fixed manager key;
//! - `unsigned_scheme.json`: the same scheme without its signature;
//! - `detached_jws`: a detached JWS over `payload`, a NUL byte, then `payload`;
//! - `compact_jws`: a compact JWS (typ `betaalpod-fuzz`) over `payload`.
//!
//! It also checks that every seed in `seeds/fcid_parse/` is a valid FCID document.
//!
//! Run from `fuzz/`: `cargo run --example make_seeds`.

use std::path::Path;

use betaalpod_fuzz::{manager, now};
use ed25519_dalek::SigningKey;
use schemas::jws::Signer;
use schemas::scheme::Scheme;
use serde_json::json;

fn organisation(id: &str, name: &str, host: &str, key_seed: u8) -> serde_json::Value {
    let key = Signer::new(format!("{id}-2025"), SigningKey::from_bytes(&[key_seed; 32]));
    let expires = chrono::DateTime::parse_from_rfc3339("2026-12-31T23:59:59+01:00").unwrap();
    json!({
        "format": "betaalpod-organisation/1",
        "id": id,
        "name": name,
        "base_url": format!("https://{host}/"),
        "authorization_endpoint": format!("https://{host}/oauth/authorize"),
        "token_endpoint": format!("https://{host}/oauth/token"),
        "claims_endpoint": format!("https://{host}/claims"),
        "arrangements_endpoint": format!("https://{host}/arrangements"),
        "jwks_uri": format!("https://{host}/.well-known/jwks.json"),
        "keys": [key.public_jwk(Some(expires))],
        "scopes": ["claims:read", "arrangement:submit"],
        "document_versions": ["fcid/3.0.0", "fcid/4.1.0"],
    })
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/scheme_verify");
    std::fs::create_dir_all(&dir).unwrap();
    let manager = manager();

    let unsigned = json!({
        "format": "betaalpod-scheme/1",
        "version": 3,
        "issued_at": "2025-05-01T10:00:00+02:00",
        "organisations": [
            organisation("cjib", "Centraal Justitieel Incassobureau", "cjib.example.nl", 11),
            organisation("00000001003214345000", "Dienst Uitvoering Onderwijs", "duo.example.nl", 12),
        ],
    });
    let mut scheme = Scheme::from_json(&serde_json::to_vec(&unsigned).unwrap()).expect("a valid scheme");
    std::fs::write(
        dir.join("unsigned_scheme.json"),
        serde_json::to_vec_pretty(&scheme).unwrap(),
    )
    .unwrap();
    scheme.sign(&manager).unwrap();
    scheme
        .verify(&[manager.public_jwk(None)], now())
        .expect("the signed scheme verifies");
    std::fs::write(
        dir.join("signed_scheme.json"),
        serde_json::to_vec_pretty(&scheme).unwrap(),
    )
    .unwrap();

    let mut detached = manager.sign_detached(b"payload").into_bytes();
    detached.push(0);
    detached.extend_from_slice(b"payload");
    std::fs::write(dir.join("detached_jws"), detached).unwrap();
    std::fs::write(
        dir.join("compact_jws"),
        manager.sign_compact("betaalpod-fuzz", b"payload"),
    )
    .unwrap();
    println!("wrote the seeds in {}", dir.display());

    let fcid_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/fcid_parse");
    let mut names: Vec<_> = std::fs::read_dir(&fcid_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for path in names {
        let document = schemas::fcid::parse(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{} is not a valid FCID document: {e}", path.display()));
        let view = schemas::fcid::derive::view(&document, document.created_at.date_naive());
        println!("{}: {} matters, {:?}", path.display(), view.matters.len(), view.totals);
    }
}
