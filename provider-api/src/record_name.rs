//! Record names. A name is `SPACE.HEX`: the store space (`meta`, `records` or `index`) and the
//! record's key in that space, in lower-case hex. The provider never learns more from a name than
//! the space: keys in `records` and `index` are random, and `meta` holds one wrapped data key.
//! Keeping the space visible lets the provider write an export in the backup format that
//! `pod restore` reads, without opening anything.

use std::fmt;

/// A store space: the same in the citizen's own pod and at a provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Space {
    /// Store-wide values: the format marker and the data key, wrapped to the citizen's recipient.
    Meta,
    /// Sealed record payloads, under random ids.
    Records,
    /// Sealed index entries (kind, source, time), under the same ids as their records.
    Index,
}

impl Space {
    /// Every space, in a fixed order (for backups and rotation).
    pub const ALL: [Space; 3] = [Space::Meta, Space::Records, Space::Index];

    /// A stable name: in record names, in backups, and as associated data when sealing.
    pub fn name(self) -> &'static str {
        match self {
            Space::Meta => "meta",
            Space::Records => "records",
            Space::Index => "index",
        }
    }
}

/// A valid record name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordName {
    space: Space,
    key: Vec<u8>,
}

/// The longest key a record name may carry, in bytes.
pub const MAX_KEY_BYTES: usize = 64;

impl RecordName {
    /// A name for `key` in `space`; `None` when the key is empty or longer than
    /// [`MAX_KEY_BYTES`].
    pub fn new(space: Space, key: &[u8]) -> Option<Self> {
        (!key.is_empty() && key.len() <= MAX_KEY_BYTES).then(|| Self {
            space,
            key: key.to_vec(),
        })
    }

    /// Parses `SPACE.HEX`.
    pub fn parse(text: &str) -> Option<Self> {
        let (space, hex) = text.split_once('.')?;
        let space = Space::ALL.into_iter().find(|s| s.name() == space)?;
        if hex.len() % 2 != 0 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let key: Option<Vec<u8>> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
            .collect();
        Self::new(space, &key?)
    }

    /// The space.
    pub fn space(&self) -> Space {
        self.space
    }

    /// The key within the space.
    pub fn key(&self) -> &[u8] {
        &self.key
    }
}

impl fmt::Display for RecordName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.space.name())?;
        f.write_str(".")?;
        f.write_str(&hex::encode(&self.key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_ones_are_refused() {
        let name = RecordName::new(Space::Records, &[0xab, 0x01]).unwrap();
        assert_eq!(name.to_string(), "records.ab01");
        assert_eq!(RecordName::parse("records.ab01"), Some(name));
        assert_eq!(RecordName::parse("meta.646174615f6b6579").unwrap().key(), b"data_key");
        for bad in [
            "", "records", "records.", "records.abc", "records.AB01", "other.ab01", "records.zz",
            "records.ab01/..", "../records.ab01",
        ] {
            assert!(RecordName::parse(bad).is_none(), "{bad:?} was accepted");
        }
        let too_long = format!("index.{}", "00".repeat(MAX_KEY_BYTES + 1));
        assert!(RecordName::parse(&too_long).is_none());
    }
}
