//! What a pod keeps: a claim document's record (`pod_core::document_record`) and a sealed,
//! compressed and padded value (`pod_core::seal`). Any bytes decode to a record or an error,
//! never a panic; any bytes kept as a document come back byte for byte; any bytes sealed open
//! to themselves, in a power-of-two bucket no smaller than the floor.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pod_core::document_record::{self, DocumentRecord};
use pod_core::seal::{DataKey, MIN_BUCKET};

fuzz_target!(|data: &[u8]| {
    let _ = document_record::decode(data);
    match document_record::decode(&document_record::encode_signed(data)) {
        Ok(DocumentRecord::Signed(jws)) => assert_eq!(jws.as_slice(), data, "a kept JWS comes back as it was"),
        _ => panic!("a record just written does not read back"),
    }
    let Some((&floor_shift, plaintext)) = data.split_first() else { return };
    let floor = MIN_BUCKET << (floor_shift % 8);
    let key = DataKey::from_bytes(&[7u8; 32]).expect("32 bytes");
    let sealed = key.seal("records", b"fuzz", plaintext, floor);
    let bucket = sealed.len() - 1 - 24 - 16;
    assert!(bucket.is_power_of_two() && bucket >= floor, "bucket {bucket} for floor {floor}");
    let opened = key.open("records", b"fuzz", &sealed).expect("a value just sealed opens");
    assert_eq!(opened.as_slice(), plaintext);
});
