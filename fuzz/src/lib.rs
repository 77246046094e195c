//! What the fuzz targets and `make_seeds` share: the fixed scheme-manager key and clock.

use chrono::{DateTime, TimeZone, Utc};

pub mod source_harness;
use ed25519_dalek::SigningKey;
use schemas::jws::{Jwk, Signer};

/// The key id of the fixed scheme-manager key.
pub const MANAGER_KID: &str = "fuzz-manager-1";

/// The fixed scheme-manager signing key. It is a test key: its seed is public.
pub fn manager() -> Signer {
    Signer::new(MANAGER_KID, SigningKey::from_bytes(&[7; 32]))
}

/// The pinned manager keys the targets verify with.
pub fn manager_keys() -> Vec<Jwk> {
    vec![manager().public_jwk(None)]
}

/// The fixed "now" for verification: 2025-06-01T12:00:00Z.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
}

/// Splits fuzz input at its first NUL byte: the text before it, and the bytes after it.
pub fn split_at_nul(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// A fixed age identity for the targets that bind something to one. A test key: it is public.
pub fn identity() -> age::x25519::Identity {
    "AGE-SECRET-KEY-1WMJX7N0P0LZ2CKG234CJGRKD5V8EMTYYTA4K5HWTR642CYYLCGRSZJRXV5"
        .parse()
        .expect("a valid age identity")
}
