//! The backup format (`betaalpod-backup/1`): a JSON object with the two wrapped identity files and
//! every key and value of every store space, all base64. Nothing in it is readable without the
//! passphrase or the recovery code. `pod backup`, `pod restore`, a provider's export and the
//! browser's import all read and write this one format.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use provider_api::Space;
use serde::{Deserialize, Serialize};

/// The format's name.
pub const FORMAT: &str = "betaalpod-backup/1";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupFile {
    format: String,
    identity: String,
    recovery: String,
    spaces: BTreeMap<String, Vec<(String, String)>>,
}

/// A backup read and checked for shape; nothing is decrypted.
pub struct Backup {
    /// The identity wrapped by the passphrase.
    pub identity_file: Vec<u8>,
    /// The identity wrapped by the recovery code.
    pub recovery_file: Vec<u8>,
    /// Every stored value: space, key, value.
    pub entries: Vec<(Space, Vec<u8>, Vec<u8>)>,
}

/// Reads a backup's bytes; `name` says where they came from, for errors.
pub fn read(bytes: &[u8], name: &str) -> Result<Backup, String> {
    let file: BackupFile =
        serde_json::from_slice(bytes).map_err(|e| format!("{name} is not a Betaalpod backup: {e}"))?;
    if file.format != FORMAT {
        return Err(format!("unknown format {:?}; this Betaalpod reads {FORMAT:?}", file.format));
    }
    let decode = |what: &str, text: &str| B64.decode(text).map_err(|_| format!("{what} is not base64"));
    if let Some(unknown) = file.spaces.keys().find(|k| Space::ALL.iter().all(|s| s.name() != k.as_str())) {
        return Err(format!("the backup has an unknown space {unknown:?}"));
    }
    let mut entries = Vec::new();
    for space in Space::ALL {
        for (key, value) in file.spaces.get(space.name()).into_iter().flatten() {
            entries.push((space, decode("a key", key)?, decode("a value", value)?));
        }
    }
    Ok(Backup {
        identity_file: decode("the identity", &file.identity)?,
        recovery_file: decode("the recovery file", &file.recovery)?,
        entries,
    })
}

/// Writes the backup format for wrapped identity files and every stored value.
pub fn write(identity_file: &[u8], recovery_file: &[u8], entries: &[(Space, Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut spaces: BTreeMap<String, Vec<(String, String)>> =
        Space::ALL.iter().map(|s| (s.name().to_owned(), Vec::new())).collect();
    for (space, key, value) in entries {
        spaces
            .entry(space.name().to_owned())
            .or_default()
            .push((B64.encode(key), B64.encode(value)));
    }
    let file = BackupFile {
        format: FORMAT.to_owned(),
        identity: B64.encode(identity_file),
        recovery: B64.encode(recovery_file),
        spaces,
    };
    serde_json::to_vec(&file).expect("a backup serialises")
}
