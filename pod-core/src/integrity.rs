//! A store bound to the citizen's *secret* key, and the manifest that shows a deleted record or
//! a store rolled back to an older copy.
//!
//! Anyone can encrypt to the citizen's public recipient, so a data key that opens with the
//! identity proves nothing about who made it: whoever can write the pod's folder, a backup or a
//! provider's database could build a whole store of their own. Three things close that.
//!
//! - **The binding.** The wrapped data key carries a tag, HMAC-SHA256 under the *binding key*,
//!   which is derived from the identity's secret. Without the secret there is no valid tag, so
//!   the data key, and with it every sealed record, index entry and the manifest, can only have
//!   been made by the citizen's own pod. Identity files say that their store is bound
//!   ([`crate::identity::UnwrappedIdentity::requires_bound_store`]), so a store without a tag is
//!   refused rather than taken for a pod from before.
//! - **The manifest.** Every commit also rewrites the manifest, sealed under the data key in the
//!   `meta` space: a counter that every commit raises, the time, and the ids of every record. A
//!   record that is missing, or one the manifest does not list, is found when the pod opens.
//! - **The guard.** Outside the store (a file elsewhere on the machine, or the browser's storage)
//!   the pod keeps the highest counter it has seen, tagged with the binding key. A store whose
//!   counter is lower was rolled back.
//!
//! ```text
//! binding key      = HKDF-SHA256(ikm = the identity's secret (its AGE-SECRET-KEY-1… string),
//!                                salt = "betaalpod", info = "betaalpod store binding v1")
//! wrapped data key = age(recipient, "betaalpod-data-key/2\n" ‖ flags (1) ‖ data key (32)
//!                                   ‖ HMAC(binding key, "data key\0" ‖ flags ‖ data key))
//! flags            = 1 when the store keeps a manifest, else 0
//! (before binding) = age(recipient, data key (32))
//! manifest         = sealed at (meta, "manifest"), 1 KiB floor:
//!                    {"counter":…,"written_at":"…","records":"base64(sorted 16-byte ids)"}
//! guard            = {"counter":…,"written_at":"…","tag":"base64(HMAC(binding key,
//!                    "guard\0" ‖ counter (u64 BE) ‖ written_at))"}
//! ```

use std::collections::BTreeSet;

use age::secrecy::ExposeSecret;
use age::x25519;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::records::{RECORD_FLOOR, RecordId};
use crate::seal::DataKey;

/// The `meta` key of the manifest.
pub const MANIFEST_NAME: &[u8] = b"manifest";
const DATA_KEY_MAGIC: &[u8] = b"betaalpod-data-key/2\n";

/// The key that binds a store to the citizen's identity. Derived from the identity's secret, so
/// it exists only where the identity is unlocked.
pub struct BindingKey(Zeroizing<[u8; 32]>);

impl BindingKey {
    /// Derives the binding key of `identity`.
    pub fn derive(identity: &x25519::Identity) -> Self {
        let secret = identity.to_string();
        let hkdf = hkdf::Hkdf::<Sha256>::new(Some(b"betaalpod"), secret.expose_secret().as_bytes());
        let mut key = Zeroizing::new([0u8; 32]);
        hkdf.expand(b"betaalpod store binding v1", key.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self(key)
    }

    fn mac(&self, label: &[u8], parts: &[&[u8]]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref()).expect("HMAC takes any key length");
        mac.update(label);
        mac.update(&[0]);
        for part in parts {
            mac.update(part);
        }
        mac
    }

    fn tag(&self, label: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        self.mac(label, parts).finalize().into_bytes().into()
    }

    /// Constant-time check of a tag.
    fn verify(&self, label: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
        self.mac(label, parts).verify_slice(tag).is_ok()
    }
}

/// How a store's data key is bound to the identity that opened it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    /// The data key carries a valid tag: the store was made by this identity's pod.
    Bound,
    /// A data key from before binding (no tag). Only accepted from an identity file that does not
    /// require a bound store, and bound at once when it is.
    Unbound,
}

/// Why a wrapped data key did not open.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DataKeyError {
    /// It was wrapped to another identity.
    #[error("the store's data key belongs to another identity")]
    OtherIdentity,
    /// It is not a wrapped data key.
    #[error("the store's data key is damaged")]
    Damaged,
    /// It opens with the identity, but was not made with the identity's secret: someone who knows
    /// only the public recipient made this store.
    #[error(
        "this store was not made by your pod: its data key is encrypted to your public key but not signed with your secret key, so someone else built it. Nothing in it is shown; restore your pod from a backup you made yourself"
    )]
    NotBound,
}

/// A data key, opened.
pub struct UnwrappedDataKey {
    /// The key.
    pub key: DataKey,
    /// How it is bound to the identity.
    pub binding: Binding,
    /// Whether its store keeps a [`Manifest`] (a native pod's store does; a pod at a provider,
    /// written by the browser, does not yet). Covered by the tag, so it cannot be turned off.
    pub keeps_manifest: bool,
}

const KEEPS_MANIFEST: u8 = 1;

/// Wraps the data key to the identity's recipient (age X25519), tagged with its binding key.
pub fn wrap_data_key(key: &DataKey, identity: &x25519::Identity, keeps_manifest: bool) -> Vec<u8> {
    let binding = BindingKey::derive(identity);
    let flags = [if keeps_manifest { KEEPS_MANIFEST } else { 0 }];
    let mut plain = Zeroizing::new(Vec::with_capacity(DATA_KEY_MAGIC.len() + 65));
    plain.extend_from_slice(DATA_KEY_MAGIC);
    plain.extend_from_slice(&flags);
    plain.extend_from_slice(key.as_bytes());
    plain.extend_from_slice(&binding.tag(b"data key", &[&flags, key.as_bytes()]));
    age::encrypt(&identity.to_public(), &plain)
        .expect("age encryption to an X25519 recipient of an in-memory buffer cannot fail")
}

/// Unwraps a data key with the citizen's identity and says how it is bound. A tagged key whose
/// tag is wrong is [`DataKeyError::NotBound`]; whether an untagged one may be used is the
/// caller's decision ([`require_binding`]).
pub fn unwrap_data_key(wrapped: &[u8], identity: &x25519::Identity) -> Result<UnwrappedDataKey, DataKeyError> {
    let plain = match age::decrypt(identity, wrapped) {
        Ok(bytes) => Zeroizing::new(bytes),
        Err(age::DecryptError::NoMatchingKeys) => return Err(DataKeyError::OtherIdentity),
        Err(_) => return Err(DataKeyError::Damaged),
    };
    match plain.strip_prefix(DATA_KEY_MAGIC) {
        Some(rest) if rest.len() == 65 => {
            let (flags, rest) = rest.split_at(1);
            let (key, tag) = rest.split_at(32);
            if !BindingKey::derive(identity).verify(b"data key", &[flags, key], tag) {
                return Err(DataKeyError::NotBound);
            }
            if flags[0] & !KEEPS_MANIFEST != 0 {
                return Err(DataKeyError::Damaged);
            }
            Ok(UnwrappedDataKey {
                key: DataKey::from_bytes(key).ok_or(DataKeyError::Damaged)?,
                binding: Binding::Bound,
                keeps_manifest: flags[0] & KEEPS_MANIFEST != 0,
            })
        }
        Some(_) => Err(DataKeyError::Damaged),
        None => Ok(UnwrappedDataKey {
            key: DataKey::from_bytes(&plain).ok_or(DataKeyError::Damaged)?,
            binding: Binding::Unbound,
            keeps_manifest: false,
        }),
    }
}

/// Refuses an unbound store where the identity file says its store is bound.
pub fn require_binding(binding: Binding, requires_bound_store: bool) -> Result<(), DataKeyError> {
    if binding == Binding::Unbound && requires_bound_store {
        return Err(DataKeyError::NotBound);
    }
    Ok(())
}

/// The list of every record, with a counter that every commit raises.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// How many commits made this store; never goes down.
    pub counter: u64,
    /// When it was written.
    pub written_at: DateTime<Utc>,
    /// Every record the store holds.
    pub records: BTreeSet<RecordId>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestJson {
    counter: u64,
    written_at: DateTime<Utc>,
    records: String,
}

/// What is wrong with a store, found when it is opened.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum IntegrityError {
    /// A bound store without a manifest.
    #[error(
        "your pod's manifest (the list of its records) is missing, so deleted records could not be noticed; restore your pod from a backup"
    )]
    NoManifest,
    /// The manifest does not open under the data key.
    #[error("your pod's manifest (the list of its records) is damaged; restore your pod from a backup")]
    DamagedManifest,
    /// A listed record is gone.
    #[error(
        "record {id} is missing from your pod: {missing} of the {listed} records listed on {written_at} are gone, deleted outside Betaalpod or lost with a damaged disk. Restore your pod from a backup"
    )]
    Missing {
        /// The first missing record.
        id: RecordId,
        /// How many are missing.
        missing: usize,
        /// How many the manifest lists.
        listed: usize,
        /// When the manifest was written.
        written_at: DateTime<Utc>,
    },
    /// A record the manifest does not list (put back from an older copy, or a leftover).
    #[error(
        "your pod holds record {id}, which its manifest does not list: it was put back from an older copy of the store. Restore your pod from a backup"
    )]
    Unlisted {
        /// The first unlisted record.
        id: RecordId,
    },
    /// The store is older than one this device has seen.
    #[error(
        "your pod was rolled back to {to}: this device last saw it on {seen_at}, after {seen} changes, and the store now holds only {counter}. Someone or something put an older copy in place. If you did that yourself, run `pod verify --accept-rollback`; otherwise restore your newest backup"
    )]
    RolledBack {
        /// When the store's manifest was written.
        to: DateTime<Utc>,
        /// The store's counter.
        counter: u64,
        /// The counter this device saw.
        seen: u64,
        /// When this device saw it.
        seen_at: DateTime<Utc>,
    },
    /// A store without a manifest, where this device saw the pod keep one: a pod never loses
    /// its manifest, so a copy from before it kept one was put back.
    #[error(
        "your pod was rolled back: this device last saw it on {seen_at}, after {seen} changes, and it is now a copy from before it kept a list of its records. Restore your newest backup"
    )]
    FromBeforeManifest {
        /// The counter this device saw.
        seen: u64,
        /// When this device saw it.
        seen_at: DateTime<Utc>,
    },
}

/// Checks a store that keeps no manifest against this device's guard: refused
/// ([`IntegrityError::FromBeforeManifest`]) when the guard saw the pod keep one. The native pod
/// and the browser both ask this, each saying it in its own words.
pub fn check_without_manifest(guard: Option<&Guard>) -> Result<(), IntegrityError> {
    match guard {
        Some(guard) if guard.counter > 0 => Err(IntegrityError::FromBeforeManifest {
            seen: guard.counter,
            seen_at: guard.written_at,
        }),
        _ => Ok(()),
    }
}

impl Manifest {
    /// The manifest of a new, empty store.
    pub fn empty(now: DateTime<Utc>) -> Self {
        Self {
            counter: 0,
            written_at: now,
            records: BTreeSet::new(),
        }
    }

    /// The manifest after one more commit that adds and removes these records.
    pub fn next(
        &self,
        added: impl IntoIterator<Item = RecordId>,
        removed: impl IntoIterator<Item = RecordId>,
        now: DateTime<Utc>,
    ) -> Self {
        let mut records = self.records.clone();
        records.extend(added);
        for id in removed {
            records.remove(&id);
        }
        Self {
            counter: self.counter + 1,
            written_at: now.max(self.written_at),
            records,
        }
    }

    /// Seals the manifest for (`meta`, [`MANIFEST_NAME`]).
    pub fn seal(&self, key: &DataKey) -> Vec<u8> {
        let mut ids = Vec::with_capacity(self.records.len() * 16);
        for id in &self.records {
            ids.extend_from_slice(id.as_bytes());
        }
        let json = ManifestJson {
            counter: self.counter,
            written_at: self.written_at,
            records: B64.encode(ids),
        };
        let bytes = serde_json::to_vec(&json).expect("a manifest serialises");
        key.seal(provider_api::Space::Meta.name(), MANIFEST_NAME, &bytes, RECORD_FLOOR)
    }

    /// Opens a sealed manifest.
    pub fn open(key: &DataKey, sealed: &[u8]) -> Result<Self, IntegrityError> {
        let bytes = key
            .open(provider_api::Space::Meta.name(), MANIFEST_NAME, sealed)
            .ok_or(IntegrityError::DamagedManifest)?;
        let json: ManifestJson = serde_json::from_slice(&bytes).map_err(|_| IntegrityError::DamagedManifest)?;
        let ids = B64.decode(json.records).map_err(|_| IntegrityError::DamagedManifest)?;
        if ids.len() % 16 != 0 {
            return Err(IntegrityError::DamagedManifest);
        }
        let records = ids.chunks(16).filter_map(RecordId::from_key).collect();
        Ok(Self {
            counter: json.counter,
            written_at: json.written_at,
            records,
        })
    }

    /// Checks that the store holds exactly the listed records: `held` are the ids found in the
    /// store (its payloads and its index entries, each checked).
    pub fn check_records<'a>(&self, held: impl IntoIterator<Item = &'a RecordId> + Clone) -> Result<(), IntegrityError> {
        let held: BTreeSet<RecordId> = held.into_iter().copied().collect();
        if let Some(id) = held.difference(&self.records).next() {
            return Err(IntegrityError::Unlisted { id: *id });
        }
        let mut missing = self.records.difference(&held);
        if let Some(id) = missing.next() {
            return Err(IntegrityError::Missing {
                id: *id,
                missing: 1 + missing.count(),
                listed: self.records.len(),
                written_at: self.written_at,
            });
        }
        Ok(())
    }

    /// Checks the store's counter against the guard this device kept, if any.
    pub fn check_not_rolled_back(&self, guard: Option<&Guard>) -> Result<(), IntegrityError> {
        match guard {
            Some(guard) if guard.counter > self.counter => Err(IntegrityError::RolledBack {
                to: self.written_at,
                counter: self.counter,
                seen: guard.counter,
                seen_at: guard.written_at,
            }),
            _ => Ok(()),
        }
    }

    /// The guard that remembers this manifest.
    pub fn guard(&self) -> Guard {
        Guard {
            counter: self.counter,
            written_at: self.written_at,
        }
    }
}

/// The highest manifest counter a device has seen, kept outside the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guard {
    /// The counter.
    pub counter: u64,
    /// When that manifest was written.
    pub written_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GuardJson {
    counter: u64,
    written_at: DateTime<Utc>,
    tag: String,
}

impl Guard {
    fn tagged_parts(&self) -> ([u8; 8], String) {
        (self.counter.to_be_bytes(), self.written_at.to_rfc3339())
    }

    /// The guard as stored, tagged with the binding key.
    pub fn to_bytes(&self, binding: &BindingKey) -> Vec<u8> {
        let (counter, at) = self.tagged_parts();
        let json = GuardJson {
            counter: self.counter,
            written_at: self.written_at,
            tag: B64.encode(binding.tag(b"guard", &[&counter, at.as_bytes()])),
        };
        serde_json::to_vec(&json).expect("a guard serialises")
    }

    /// Reads a stored guard; `None` when it is damaged or was not made with this binding key.
    pub fn from_bytes(bytes: &[u8], binding: &BindingKey) -> Option<Self> {
        let json: GuardJson = serde_json::from_slice(bytes).ok()?;
        let guard = Guard {
            counter: json.counter,
            written_at: json.written_at,
        };
        let (counter, at) = guard.tagged_parts();
        let tag = B64.decode(json.tag).ok()?;
        binding.verify(b"guard", &[&counter, at.as_bytes()], &tag).then_some(guard)
    }
}

/// Where a device keeps the guard of a pod: a name made of the pod's recipient and where the pod
/// lives (its folder, or its provider), so two pods never share one, and the name says neither.
pub fn guard_name(recipient: &str, place: &str) -> String {
    use sha2::Digest;
    let digest = Sha256::new()
        .chain_update(b"betaalpod guard\0")
        .chain_update(recipient.as_bytes())
        .chain_update([0])
        .chain_update(place.as_bytes())
        .finalize();
    hex::encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn only_the_identity_makes_a_bound_data_key() {
        let identity = x25519::Identity::generate();
        let key = DataKey::generate();
        let wrapped = wrap_data_key(&key, &identity, true);
        let opened = unwrap_data_key(&wrapped, &identity).unwrap();
        assert_eq!(opened.key.as_bytes(), key.as_bytes());
        assert_eq!(opened.binding, Binding::Bound);
        assert!(opened.keeps_manifest);
        assert!(!unwrap_data_key(&wrap_data_key(&key, &identity, false), &identity).unwrap().keeps_manifest);

        // Someone with only the public recipient: an untagged key, and a key with a made-up tag.
        let forged_plain = age::encrypt(&identity.to_public(), key.as_bytes()).unwrap();
        assert_eq!(unwrap_data_key(&forged_plain, &identity).unwrap().binding, Binding::Unbound);
        assert_eq!(require_binding(Binding::Unbound, true), Err(DataKeyError::NotBound));
        assert_eq!(require_binding(Binding::Unbound, false), Ok(()));
        let stranger = x25519::Identity::generate();
        let mut forged_tag = DATA_KEY_MAGIC.to_vec();
        forged_tag.push(KEEPS_MANIFEST);
        forged_tag.extend_from_slice(key.as_bytes());
        forged_tag.extend_from_slice(&BindingKey::derive(&stranger).tag(b"data key", &[&[KEEPS_MANIFEST], key.as_bytes()]));
        let forged_tag = age::encrypt(&identity.to_public(), &forged_tag).unwrap();
        assert!(matches!(unwrap_data_key(&forged_tag, &identity), Err(DataKeyError::NotBound)));

        // The flag is under the tag: turning the manifest off is a forgery too.
        let age_plain = |flags: u8, tag_flags: u8| {
            let mut plain = DATA_KEY_MAGIC.to_vec();
            plain.push(flags);
            plain.extend_from_slice(key.as_bytes());
            plain.extend_from_slice(&BindingKey::derive(&identity).tag(b"data key", &[&[tag_flags], key.as_bytes()]));
            age::encrypt(&identity.to_public(), &plain).unwrap()
        };
        assert!(unwrap_data_key(&age_plain(1, 1), &identity).is_ok());
        assert!(matches!(unwrap_data_key(&age_plain(0, 1), &identity), Err(DataKeyError::NotBound)));

        assert!(matches!(unwrap_data_key(&wrapped, &stranger), Err(DataKeyError::OtherIdentity)));
        assert!(matches!(unwrap_data_key(b"junk", &identity), Err(DataKeyError::Damaged)));
    }

    #[test]
    fn the_manifest_finds_missing_and_unlisted_records() {
        let key = DataKey::generate();
        let (a, b, c) = (RecordId::random(), RecordId::random(), RecordId::random());
        let first = Manifest::empty(at("2026-12-01T10:00:00Z")).next([a, b], [], at("2026-12-01T10:00:01Z"));
        let second = first.next([c], [a], at("2026-12-02T10:00:00Z"));
        assert_eq!(second.counter, 2);
        let opened = Manifest::open(&key, &second.seal(&key)).unwrap();
        assert_eq!(opened, second);
        assert_eq!(opened.check_records(&[b, c]), Ok(()));
        assert!(matches!(
            opened.check_records(&[b]),
            Err(IntegrityError::Missing { id, missing: 1, listed: 2, .. }) if id == c
        ));
        assert_eq!(opened.check_records(&[a, b, c]), Err(IntegrityError::Unlisted { id: a }));
        assert_eq!(
            Manifest::open(&DataKey::generate(), &second.seal(&key)),
            Err(IntegrityError::DamagedManifest),
            "sealed under another data key"
        );
        let message = opened.check_records(&[b]).unwrap_err().to_string();
        assert!(message.contains("1 of the 2 records listed on 2026-12-02"), "{message}");
    }

    #[test]
    fn the_guard_finds_a_rollback_and_cannot_be_forged() {
        let identity = x25519::Identity::generate();
        let binding = BindingKey::derive(&identity);
        let yesterday = Manifest::empty(at("2026-12-01T10:00:00Z")).next([RecordId::random()], [], at("2026-12-01T10:00:00Z"));
        let today = yesterday.next([RecordId::random()], [], at("2026-12-02T10:00:00Z"));
        let guard = Guard::from_bytes(&today.guard().to_bytes(&binding), &binding).unwrap();
        assert_eq!(today.check_not_rolled_back(Some(&guard)), Ok(()));
        assert_eq!(today.next([], [], at("2026-12-03T10:00:00Z")).check_not_rolled_back(Some(&guard)), Ok(()));
        let rolled = yesterday.check_not_rolled_back(Some(&guard)).unwrap_err();
        assert!(matches!(rolled, IntegrityError::RolledBack { counter: 1, seen: 2, .. }));
        assert!(rolled.to_string().starts_with("your pod was rolled back to 2026-12-01 10:00:00 UTC"), "{rolled}");

        // A guard lowered by someone without the identity does not read.
        let other = BindingKey::derive(&x25519::Identity::generate());
        assert!(Guard::from_bytes(&yesterday.guard().to_bytes(&other), &binding).is_none());
        let mut edited: serde_json::Value = serde_json::from_slice(&today.guard().to_bytes(&binding)).unwrap();
        edited["counter"] = 0.into();
        assert!(Guard::from_bytes(&serde_json::to_vec(&edited).unwrap(), &binding).is_none());
        assert!(Guard::from_bytes(b"", &binding).is_none());
        assert_ne!(guard_name("age1a", "/pods/a"), guard_name("age1a", "/pods/b"));
    }
}
