//! The organisation descriptor: who an organisation is, where to reach it, and its signing keys.
//!
//! The same type is served at `/.well-known/betaalpod-source` (usually without `keys`, which
//! live at `jwks_uri`) and listed in a [`crate::scheme::Scheme`] (with the pinned `keys`).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::document::{InvalidDocument, format_tag};
use crate::ids::OrganisationId;
use crate::jws::Jwk;

format_tag!(
    /// `"betaalpod-organisation/1"`.
    DescriptorFormat = "betaalpod-organisation/1"
);

/// The scopes an organisation may offer.
pub const KNOWN_SCOPES: &[&str] = &["claims:read", "arrangement:submit"];

/// The document versions an organisation may serve, as `fcid/<version>`.
pub const KNOWN_DOCUMENT_VERSIONS: &[&str] = &["fcid/3.0.0", "fcid/4.1.0"];

/// Descriptors larger than this are refused before parsing.
pub const MAX_DESCRIPTOR_BYTES: usize = 64 * 1024;

/// One organisation taking part in Betaalpod.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationDescriptor {
    /// Always `betaalpod-organisation/1`.
    pub format: DescriptorFormat,
    /// The organisation's OIN, or a short id such as `cjib`.
    pub id: OrganisationId,
    /// Display name, such as "Centraal Justitieel Incassobureau".
    pub name: String,
    /// Where the organisation's `source` server lives.
    pub base_url: Url,
    /// OAuth 2.0 authorization endpoint.
    pub authorization_endpoint: Url,
    /// OAuth 2.0 token endpoint.
    pub token_endpoint: Url,
    /// Where authorised fetches of claim documents go.
    pub claims_endpoint: Url,
    /// Where arrangement parts are submitted.
    pub arrangements_endpoint: Url,
    /// The organisation's JWKS.
    pub jwks_uri: Url,
    /// The Ed25519 keys it signs with (pinned in a scheme; may be empty in the well-known copy).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<Jwk>,
    /// Scopes it offers: `claims:read`, `arrangement:submit`.
    pub scopes: Vec<String>,
    /// Versions it serves, such as `fcid/3.0.0`.
    pub document_versions: Vec<String>,
}

impl OrganisationDescriptor {
    /// Reads and checks a descriptor from untrusted bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, InvalidDocument> {
        let descriptor: Self = crate::document::from_json(bytes, MAX_DESCRIPTOR_BYTES)?;
        descriptor.check("$")?;
        Ok(descriptor)
    }

    /// Checks what serde cannot: URL schemes, known scopes and versions, usable and unique keys.
    /// `path` is this descriptor's JSON path, for errors.
    pub fn check(&self, path: &str) -> Result<(), InvalidDocument> {
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            return Err(InvalidDocument::new(
                format!("{path}.name"),
                "the name must be 1-200 characters",
            ));
        }
        for (field, url) in [
            ("base_url", &self.base_url),
            ("authorization_endpoint", &self.authorization_endpoint),
            ("token_endpoint", &self.token_endpoint),
            ("claims_endpoint", &self.claims_endpoint),
            ("arrangements_endpoint", &self.arrangements_endpoint),
            ("jwks_uri", &self.jwks_uri),
        ] {
            if !is_secure_url(url) {
                return Err(InvalidDocument::new(
                    format!("{path}.{field}"),
                    format!("{url} must use https (plain http is allowed only on loopback)"),
                ));
            }
        }
        for (i, scope) in self.scopes.iter().enumerate() {
            if !KNOWN_SCOPES.contains(&scope.as_str()) {
                return Err(InvalidDocument::new(
                    format!("{path}.scopes[{i}]"),
                    format!("unknown scope {scope:?}; known are {KNOWN_SCOPES:?}"),
                ));
            }
        }
        for (i, version) in self.document_versions.iter().enumerate() {
            if !KNOWN_DOCUMENT_VERSIONS.contains(&version.as_str()) {
                return Err(InvalidDocument::new(
                    format!("{path}.document_versions[{i}]"),
                    format!("unknown document version {version:?}; known are {KNOWN_DOCUMENT_VERSIONS:?}"),
                ));
            }
        }
        let mut kids = HashSet::new();
        for (i, key) in self.keys.iter().enumerate() {
            if let Err(e) = key.verifying_key() {
                return Err(InvalidDocument::new(format!("{path}.keys[{i}]"), e.to_string()));
            }
            if !kids.insert(key.kid.as_str()) {
                return Err(InvalidDocument::new(
                    format!("{path}.keys[{i}].kid"),
                    format!("duplicate kid {:?}", key.kid),
                ));
            }
        }
        Ok(())
    }

    /// The keys that may verify a signature at `now`: not revoked, not expired.
    pub fn active_keys(&self, now: DateTime<Utc>) -> Vec<Jwk> {
        self.keys.iter().filter(|k| k.is_active(now)).cloned().collect()
    }
}

/// https anywhere; http only to a loopback address (RFC 8252 style local testing).
fn is_secure_url(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name == "localhost",
            None => false,
        },
        _ => false,
    }
}
