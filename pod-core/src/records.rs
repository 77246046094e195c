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
    /// The smallest padding bucket for this kind. A claim document's size grows with the number
    /// of claims, so its floor is high enough that a typical citizen's document at one
    /// organisation (tens of claims; the privacy tests show 1 and 40 alike) always fills the
    /// same bucket; everything else starts at 1 KiB.
    pub fn floor(self) -> usize {
        match self {
            RecordKind::Document => 512 * 1024,
            RecordKind::FetchLog | RecordKind::Arrangement | RecordKind::Settings => crate::seal::MIN_BUCKET,
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

/// A record's storage key: 16 random bytes, so keys reveal nothing (no source, date or amount).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId([u8; 16]);

impl RecordId {
    /// A fresh random id.
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
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
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
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
