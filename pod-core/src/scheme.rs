//! The citizen's scheme: the organisations the pod talks to, with their pinned keys. It is kept
//! sealed in the pod as a `settings` record tagged [`SCHEME_RECORD`], newest last; the native pod
//! and the browser read and write the same record.

use schemas::descriptor::OrganisationDescriptor;
use serde::{Deserialize, Serialize};

/// The `source` tag of scheme records.
pub const SCHEME_RECORD: &str = "scheme";

/// The pod's pinned organisations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalScheme {
    /// The version of the last imported manager scheme, to refuse going back to an older one.
    pub manager_version: Option<u64>,
    /// The organisations, each with the keys the pod trusts.
    pub organisations: Vec<OrganisationDescriptor>,
}

impl LocalScheme {
    /// Adds or replaces one organisation.
    pub fn pin(&mut self, descriptor: OrganisationDescriptor) {
        self.organisations.retain(|o| o.id != descriptor.id);
        self.organisations.push(descriptor);
        self.organisations.sort_by(|a, b| a.id.cmp(&b.id));
    }
}

/// The well-known path of an organisation's descriptor, relative to its `source` address.
pub const DESCRIPTOR_PATH: &str = "/.well-known/betaalpod-source";

/// Checks an organisation's descriptor together with the JWKS served at its `jwks_uri`, and
/// returns the descriptor with the served keys, ready to pin: every key must parse, and a
/// descriptor that lists keys of its own must list exactly the served ones.
pub fn descriptor_to_pin(descriptor_json: &[u8], jwks_json: &[u8]) -> Result<OrganisationDescriptor, String> {
    #[derive(serde::Deserialize)]
    struct Jwks {
        keys: Vec<schemas::jws::Jwk>,
    }
    let mut descriptor = OrganisationDescriptor::from_json(descriptor_json)
        .map_err(|e| format!("the descriptor is not valid at {e}"))?;
    let jwks: Jwks = serde_json::from_slice(jwks_json)
        .map_err(|e| format!("{} is not a valid key set: {e}", descriptor.jwks_uri))?;
    if jwks.keys.is_empty() {
        return Err(format!("{} lists no keys", descriptor.jwks_uri));
    }
    for key in &jwks.keys {
        key.verifying_key().map_err(|e| format!("{}: {e}", descriptor.jwks_uri))?;
    }
    if !descriptor.keys.is_empty() && descriptor.keys != jwks.keys {
        return Err(format!(
            "the descriptor and {} list different keys; refusing to pin either",
            descriptor.jwks_uri
        ));
    }
    descriptor.keys = jwks.keys;
    Ok(descriptor)
}

/// The fingerprints a citizen compares before pinning, as the settings page shows them.
pub fn fingerprints(descriptor: &OrganisationDescriptor) -> String {
    descriptor
        .keys
        .iter()
        .map(|k| format!("{} {}", k.kid, k.fingerprint()))
        .collect::<Vec<_>>()
        .join(", ")
}
