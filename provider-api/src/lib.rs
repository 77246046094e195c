//! The pod provider's storage API (`betaalpod-provider/1`), as both sides speak it: the
//! provider's server (`provider`) and the citizen's browser (through `pod-core` in wasm).
//!
//! A provider stores ciphertext and serves it back; it never sees a key, a passphrase or a
//! plaintext. The citizen logs in with OPAQUE (RFC 9807), so the passphrase never reaches the
//! provider either. docs/PROVIDER.md describes the endpoints; this crate holds what both sides must
//! agree on byte for byte.
//!
//! - [`suite`]: the OPAQUE cipher suite.
//! - [`wire`]: the JSON bodies of every endpoint.
//! - [`RecordName`]: a stored record's name, which says which store space it belongs to.

#![warn(missing_docs)]

pub mod suite;
pub mod wire;

pub mod record_name;

pub use record_name::{RecordName, Space};

/// The largest single record the API accepts: a claim document (4 MiB) sealed and padded fits.
pub const MAX_RECORD_BYTES: usize = 8 * 1024 * 1024 + 4096;

/// The largest identity or recovery file accepted at sign-up (age scrypt files are about 300 bytes).
pub const MAX_IDENTITY_FILE_BYTES: usize = 4096;

/// Whether `file` has the shape of an age file wrapped by a secret (an scrypt stanza first) and
/// fits [`MAX_IDENTITY_FILE_BYTES`]. Only the shape: the provider never opens one, and has no
/// scrypt to run.
pub fn looks_like_wrapped_identity(file: &[u8]) -> bool {
    let mut lines = file.split(|&b| b == b'\n');
    file.len() <= MAX_IDENTITY_FILE_BYTES
        && lines.next() == Some(b"age-encryption.org/v1".as_slice())
        && lines.next().is_some_and(|line| line.starts_with(b"-> scrypt "))
}

/// Whether `recipient` is an age X25519 recipient: `age1` and 58 lower-case Bech32 characters.
pub fn looks_like_recipient(recipient: &str) -> bool {
    const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    recipient.len() == 62 && recipient.starts_with("age1") && recipient.bytes().skip(4).all(|b| BECH32.contains(&b))
}

/// The `ETag` of a record version: the number in double quotes.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// The version an `ETag` names, if it is one this API wrote.
pub fn parse_etag(tag: &str) -> Option<u64> {
    let digits = tag.trim().strip_prefix('"')?.strip_suffix('"')?;
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_round_trip_and_others_are_refused() {
        assert_eq!(parse_etag(&etag(12)), Some(12));
        assert_eq!(parse_etag(" \"0\" "), Some(0));
        for bad in ["12", "\"\"", "\"-1\"", "\"+1\"", "W/\"1\"", "\"1", "\"99999999999999999999\"", "\"1 \""] {
            assert_eq!(parse_etag(bad), None, "{bad}");
        }
    }

    #[test]
    fn identity_files_and_recipients_are_checked_by_shape_only() {
        assert!(looks_like_wrapped_identity(b"age-encryption.org/v1\n-> scrypt c2FsdA 22\nbody\n"));
        assert!(!looks_like_wrapped_identity(b"age-encryption.org/v1\n-> X25519 abc\n"));
        assert!(!looks_like_wrapped_identity(b"garbage"));
        let mut big = b"age-encryption.org/v1\n-> scrypt c2FsdA 18\n".to_vec();
        big.resize(MAX_IDENTITY_FILE_BYTES + 1, b'x');
        assert!(!looks_like_wrapped_identity(&big));
        let ok = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
        assert!(looks_like_recipient(ok));
        assert!(!looks_like_recipient(&ok.replace('q', "b")));
        assert!(!looks_like_recipient("age1short"));
        assert!(!looks_like_recipient(&ok.to_uppercase()));
    }
}
