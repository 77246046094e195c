//! Every recipient a pod has had. A key rotation gives the citizen a new identity, but the
//! documents fetched before it were signed for the old recipient, and they stay genuine. The pod
//! keeps its former recipients in the `meta` space, sealed under the data key: only the citizen's
//! own pod can add to the list, because the data key is bound to the identity
//! ([`crate::integrity`]).
//!
//! ```text
//! former recipients = sealed at (meta, "former_recipients"), 1 KiB floor:
//!                     {"former":["age1…", …]}   (oldest first)
//! ```

use serde::{Deserialize, Serialize};

use crate::records::RECORD_FLOOR;
use crate::seal::DataKey;

/// The `meta` key of the former recipients.
pub const FORMER_RECIPIENTS_NAME: &[u8] = b"former_recipients";

/// The recipients a stored document may have been made for: the current one and every former one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipients {
    current: String,
    former: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormerJson {
    former: Vec<String>,
}

/// The sealed list of former recipients does not open under the data key, or is malformed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("your pod's list of former keys is damaged; restore your pod from a backup")]
pub struct DamagedRecipients;

impl Recipients {
    /// A pod that never rotated its key: only `current`.
    pub fn only(current: impl Into<String>) -> Self {
        Self {
            current: current.into(),
            former: Vec::new(),
        }
    }

    /// `current`, and the former recipients sealed at (meta, [`FORMER_RECIPIENTS_NAME`]), if the
    /// store holds any.
    pub fn open(current: impl Into<String>, key: &DataKey, sealed: Option<&[u8]>) -> Result<Self, DamagedRecipients> {
        let former = match sealed {
            None => Vec::new(),
            Some(sealed) => {
                let bytes = key
                    .open(provider_api::Space::Meta.name(), FORMER_RECIPIENTS_NAME, sealed)
                    .ok_or(DamagedRecipients)?;
                let json: FormerJson = serde_json::from_slice(&bytes).map_err(|_| DamagedRecipients)?;
                json.former
            }
        };
        Ok(Self {
            current: current.into(),
            former,
        })
    }

    /// Whether a document made for `recipient` was made for this pod.
    pub fn contains(&self, recipient: &str) -> bool {
        self.current == recipient || self.former.iter().any(|former| former == recipient)
    }

    /// The current recipient.
    pub fn current(&self) -> &str {
        &self.current
    }

    /// The list after a rotation to `new_current`, sealed under the new store's `key`: every
    /// former recipient and the one being replaced.
    pub fn seal_after_rotation(&self, key: &DataKey) -> Vec<u8> {
        let mut former = self.former.clone();
        former.push(self.current.clone());
        let bytes = serde_json::to_vec(&FormerJson { former }).expect("a list of strings serialises");
        key.seal(provider_api::Space::Meta.name(), FORMER_RECIPIENTS_NAME, &bytes, RECORD_FLOOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_keeps_every_former_recipient() {
        let (first, second) = (DataKey::generate(), DataKey::generate());
        let start = Recipients::only("age1one");
        assert!(start.contains("age1one"));
        assert!(!start.contains("age1two"));
        let sealed = start.seal_after_rotation(&first);
        let after_one = Recipients::open("age1two", &first, Some(&sealed)).unwrap();
        assert!(after_one.contains("age1one") && after_one.contains("age1two"));
        let sealed = after_one.seal_after_rotation(&second);
        let after_two = Recipients::open("age1three", &second, Some(&sealed)).unwrap();
        assert!(["age1one", "age1two", "age1three"].iter().all(|r| after_two.contains(r)));
        assert!(!after_two.contains("age1four"));
    }

    #[test]
    fn a_list_under_another_key_or_place_is_refused() {
        let (ours, theirs) = (DataKey::generate(), DataKey::generate());
        let forged = Recipients::only("age1attacker").seal_after_rotation(&theirs);
        assert_eq!(Recipients::open("age1me", &ours, Some(&forged)), Err(DamagedRecipients));
        // A value sealed under our key for another place (here: the manifest's) does not open.
        let elsewhere = ours.seal(provider_api::Space::Meta.name(), b"manifest", br#"{"former":["age1x"]}"#, RECORD_FLOOR);
        assert_eq!(Recipients::open("age1me", &ours, Some(&elsewhere)), Err(DamagedRecipients));
    }
}
