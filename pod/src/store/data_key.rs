//! The data key at rest: sealed to the citizen's identity in the store's `meta` space.

use age::x25519;

use super::backend::{Space, Store};
use super::error::PodError;
use super::seal::DataKey;
use pod_core::integrity::UnwrappedDataKey;

/// The Meta key under which the data key is stored, age-encrypted to the citizen's recipient.
pub(crate) const DATA_KEY: &[u8] = pod_core::records::DATA_KEY_NAME;

/// Wraps a native store's data key: bound to `identity`, and keeping a manifest.
pub(crate) fn wrap_data_key(data_key: &DataKey, identity: &x25519::Identity) -> Vec<u8> {
    pod_core::integrity::wrap_data_key(data_key, identity, true)
}

/// Unwraps the data key of `store` with `identity`, or `None` if it belongs to another identity.
pub(crate) fn unwrap_data_key(store: &dyn Store, identity: &x25519::Identity) -> Result<Option<UnwrappedDataKey>, PodError> {
    use pod_core::integrity::DataKeyError;
    let wrapped = store.get(Space::Meta, DATA_KEY)?.ok_or_else(|| {
        PodError::Damaged("the store has no data key; it is damaged or not a Betaalpod store".to_owned())
    })?;
    match pod_core::integrity::unwrap_data_key(&wrapped, identity) {
        Ok(key) => Ok(Some(key)),
        Err(DataKeyError::OtherIdentity) => Ok(None),
        Err(e @ DataKeyError::Damaged) => Err(PodError::Damaged(e.to_string())),
        Err(e @ DataKeyError::NotBound) => Err(PodError::Tampered(e.to_string())),
    }
}

