//! What a pod stores: record kinds, opaque ids and the sealed index entry of each record.

use std::fmt;

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// The kinds of record a pod holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A claim document exactly as received: an age file the organisation encrypted to the citizen.
    Document,
    /// One entry of the transparency log of fetches and submissions.
    FetchLog,
    /// A saved arrangement plan, submission, receipt or status.
    Arrangement,
    /// The citizen's settings.
    Settings,
}

impl RecordKind {
    /// The smallest padding bucket for this kind, applied after compression. A claim document's
    /// size grows with the number of claims, so its floor holds a typical citizen's document at
    /// one organisation: 40 distinct matters of any of the demo organisations compress to 9–31
    /// KiB (the privacy tests show 1 and 40 alike). Everything else starts at 1 KiB, which holds
    /// a log entry with its error message, a plan or the settings.
    pub fn floor(self) -> usize {
        match self {
            RecordKind::Document => DOCUMENT_FLOOR,
            RecordKind::FetchLog | RecordKind::Arrangement | RecordKind::Settings => RECORD_FLOOR,
        }
    }

    /// The name used in listings.
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Document => "document",
            RecordKind::FetchLog => "fetch_log",
            RecordKind::Arrangement => "arrangement",
            RecordKind::Settings => "settings",
        }
    }
}

/// The smallest bucket of a claim document, after compression.
pub const DOCUMENT_FLOOR: usize = 32 * 1024;
/// The smallest bucket of every other record.
pub const RECORD_FLOOR: usize = 1024;
/// The bucket of an index entry: its JSON (kind, source id, time, length) is about 120 bytes, so
/// every entry fills the same bucket.
pub const INDEX_FLOOR: usize = crate::seal::MIN_BUCKET;

/// A record's storage key: 16 random bytes, so keys reveal nothing (no source, date or amount).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId([u8; 16]);

impl RecordId {
    /// A fresh random id (from the thread's OS-seeded CSPRNG).
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The storage key.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Rebuilds an id from a storage key.
    pub fn from_key(key: &[u8]) -> Option<Self> {
        key.try_into().ok().map(Self)
    }

    /// Parses the 32-hex-digit form shown to users.
    pub fn parse(hex: &str) -> Option<Self> {
        if hex.len() != 32 || !hex.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).ok()?;
        }
        Some(Self(bytes))
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({self})")
    }
}

/// What the index says about a record. Sealed like the record itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexEntry {
    /// The record's kind.
    pub kind: RecordKind,
    /// The organisation it came from or is about, if any.
    pub source: Option<String>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
    /// Its payload length in bytes.
    pub len: u64,
}

/// The `meta` key under which a store keeps its data key, wrapped to the citizen's recipient.
pub const DATA_KEY_NAME: &[u8] = b"data_key";

/// A record as stored: its sealed payload (space `records`) and its sealed index entry (space
/// `index`), both under the record's id. The native store and a provider hold exactly these
/// bytes, which is why an export from a provider restores with `pod restore`.
pub struct SealedRecord {
    /// The record's id.
    pub id: RecordId,
    /// The payload, sealed at (`records`, id) and padded to the kind's floor.
    pub payload: Vec<u8>,
    /// The index entry's JSON, sealed at (`index`, id).
    pub entry: Vec<u8>,
}

/// Seals a record's payload and its index entry under `key`.
pub fn seal_record(key: &crate::seal::DataKey, id: RecordId, entry: &IndexEntry, payload: &[u8]) -> SealedRecord {
    use provider_api::Space;
    let entry_json = zeroize::Zeroizing::new(serde_json::to_vec(entry).expect("an index entry always serialises"));
    SealedRecord {
        id,
        payload: key.seal(Space::Records.name(), id.as_bytes(), payload, entry.kind.floor()),
        entry: key.seal(Space::Index.name(), id.as_bytes(), &entry_json, INDEX_FLOOR),
    }
}

/// Opens a sealed index entry; `None` when it is damaged, moved or sealed under another key.
pub fn open_entry(key: &crate::seal::DataKey, id: RecordId, sealed: &[u8]) -> Option<IndexEntry> {
    let json = key.open(provider_api::Space::Index.name(), id.as_bytes(), sealed)?;
    serde_json::from_slice(&json).ok()
}

/// Opens a sealed payload; `None` when it is damaged, moved or sealed under another key.
pub fn open_payload(key: &crate::seal::DataKey, id: RecordId, sealed: &[u8]) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    key.open(provider_api::Space::Records.name(), id.as_bytes(), sealed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::DataKey;

    #[test]
    fn a_sealed_record_opens_only_where_it_was_sealed() {
        let key = DataKey::generate();
        let id = RecordId::random();
        let entry = IndexEntry {
            kind: RecordKind::Settings,
            source: Some("cjib".to_owned()),
            created_at: "2026-12-02T10:00:00Z".parse().unwrap(),
            len: 5,
        };
        let sealed = seal_record(&key, id, &entry, b"hello");
        assert_eq!(open_entry(&key, id, &sealed.entry), Some(entry));
        assert_eq!(open_payload(&key, id, &sealed.payload).unwrap().as_slice(), b"hello");
        let other = RecordId::random();
        assert!(open_entry(&key, other, &sealed.entry).is_none(), "moved to another id");
        assert!(open_entry(&key, id, &sealed.payload).is_none(), "a payload is not an entry");
        assert!(open_payload(&DataKey::generate(), id, &sealed.payload).is_none(), "another key");
    }
}
