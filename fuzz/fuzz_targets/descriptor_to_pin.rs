//! An organisation's descriptor and the JWKS it serves, as `pod scheme add` and the browser
//! app's settings read them before the citizen compares fingerprints: any bytes give a
//! descriptor to pin or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte says where the descriptor ends and the JWKS begins.
    let Some((&split, rest)) = data.split_first() else { return };
    let (descriptor, jwks) = rest.split_at(usize::from(split) * rest.len() / 255);
    if let Ok(pinned) = pod_core::scheme::descriptor_to_pin(descriptor, jwks) {
        assert!(!pinned.keys.is_empty(), "a pinned organisation always has keys");
        let _ = pod_core::scheme::fingerprints(&pinned);
    }
});
