//! Feeds arbitrary bytes to the scheme reader and, for every scheme it accepts, verifies it with
//! the fixed manager key. The same input, split at its first NUL byte into a JWS string and a
//! payload, goes to `jws::verify_detached` (and `jws::verify_compact`).

#![no_main]

use std::sync::LazyLock;

use betaalpod_fuzz::{manager_keys, now, split_at_nul};
use libfuzzer_sys::fuzz_target;
use schemas::jws::{self, Jwk};
use schemas::scheme::Scheme;

static KEYS: LazyLock<Vec<Jwk>> = LazyLock::new(manager_keys);

/// The payload the manager signed for the seed `signed_scheme.json`. Any scheme that verifies
/// must have exactly this payload: nothing else was ever signed with the key.
static SIGNED_PAYLOAD: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let seed = include_bytes!("../seeds/scheme_verify/signed_scheme.json");
    let scheme = Scheme::from_json(seed).expect("the seed scheme reads");
    jws::signing_payload(&scheme).expect("the seed scheme serialises")
});

fuzz_target!(|data: &[u8]| {
    let now = now();
    if let Ok(scheme) = Scheme::from_json(data) {
        let payload = jws::signing_payload(&scheme).expect("a scheme serialises");
        if scheme.verify(&KEYS, now).is_ok() {
            assert_eq!(
                payload, *SIGNED_PAYLOAD,
                "a scheme verified that the manager never signed"
            );
        }
        // What we write must read back as the same scheme with the same signed bytes; otherwise a
        // correctly signed scheme could fail to verify after a round trip.
        let written = serde_json::to_vec(&scheme).expect("a scheme serialises");
        let again = Scheme::from_json(&written).expect("a scheme we wrote reads back");
        assert_eq!(again, scheme, "round trip changes the scheme");
        assert_eq!(
            jws::signing_payload(&again).unwrap(),
            payload,
            "round trip changes the signed bytes"
        );
    }

    let (jws_bytes, payload) = split_at_nul(data);
    let jws_text = String::from_utf8_lossy(jws_bytes);
    if jws::verify_detached(&jws_text, payload, &KEYS, now).is_ok() {
        assert_eq!(
            payload, b"payload",
            "a detached JWS verified over bytes the manager never signed"
        );
    }
    if let Ok((signed, _)) = jws::verify_compact(&jws_text, "betaalpod-fuzz", &KEYS, now) {
        assert_eq!(
            signed, b"payload",
            "a compact JWS verified over bytes the manager never signed"
        );
    }
});
