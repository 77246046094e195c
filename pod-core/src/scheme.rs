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
