//! The backup format (`betaalpod-backup/1`) and what it carries about integrity: any bytes are a
//! backup or an error, never a panic; a backup that reads writes back to one that reads the same.
//! The manifest and the guard, which come from the same untrusted files, are read from any bytes
//! too: the manifest after sealing them under a fixed data key (so the parser behind the cipher
//! is reached), the guard as stored.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pod_core::integrity::{BindingKey, Guard, MANIFEST_NAME, Manifest};
use pod_core::seal::DataKey;

fuzz_target!(|data: &[u8]| {
    if let Ok(backup) = pod_core::backup::read(data, "fuzz") {
        let written = pod_core::backup::write(&backup.identity_file, &backup.recovery_file, &backup.entries);
        let again = pod_core::backup::read(&written, "fuzz").expect("a written backup reads");
        assert_eq!(again.identity_file, backup.identity_file);
        assert_eq!(again.recovery_file, backup.recovery_file);
        let mut expected = backup.entries.clone();
        expected.sort_by_key(|(space, _, _)| pod_core_space_order(*space));
        assert_eq!(again.entries.len(), expected.len());
    }
    let key = DataKey::from_bytes(&[9u8; 32]).expect("32 bytes");
    let sealed = key.seal("meta", MANIFEST_NAME, data, 1024);
    if let Ok(manifest) = Manifest::open(&key, &sealed) {
        let reopened = Manifest::open(&key, &manifest.seal(&key)).expect("a manifest just sealed opens");
        assert_eq!(reopened, manifest);
        let _ = manifest.check_records(manifest.records.iter());
    }
    let binding = BindingKey::derive(&betaalpod_fuzz::identity());
    if let Some(guard) = Guard::from_bytes(data, &binding) {
        assert_eq!(Guard::from_bytes(&guard.to_bytes(&binding), &binding), Some(guard));
    }
});

fn pod_core_space_order(space: provider_api::Space) -> usize {
    provider_api::Space::ALL.iter().position(|s| *s == space).unwrap_or(usize::MAX)
}
