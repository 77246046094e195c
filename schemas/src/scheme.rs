//! The scheme: the scheme manager's signed, versioned list of participating organisations.
//!
//! The pod pins the scheme manager's key(s). [`Scheme::verify`] checks the manager's signature,
//! the key's validity, and every descriptor in it; a descriptor's own keys are filtered for
//! expiry and revocation by [`crate::descriptor::OrganisationDescriptor::active_keys`].

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::descriptor::OrganisationDescriptor;
use crate::document::{InvalidDocument, format_tag};
use crate::jws::{self, Jwk, JwsError, Signer};

format_tag!(
    /// `"betaalpod-scheme/1"`.
    SchemeFormat = "betaalpod-scheme/1"
);

/// Schemes larger than this are refused before parsing.
pub const MAX_SCHEME_BYTES: usize = 1024 * 1024;

/// How far in the future `issued_at` may lie, for clock skew.
const MAX_CLOCK_SKEW_SECONDS: i64 = 300;

/// A signed list of organisations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    /// Always `betaalpod-scheme/1`.
    pub format: SchemeFormat,
    /// Increases with every publication; a pod refuses to go back to a lower one.
    pub version: u64,
    /// When the manager issued it.
    #[serde(with = "crate::fcid::wire::rfc3339")]
    pub issued_at: DateTime<FixedOffset>,
    /// The organisations, each with its pinned keys.
    pub organisations: Vec<OrganisationDescriptor>,
    /// The manager's detached JWS over the rest (see [`crate::jws`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// Why a scheme was refused.
#[derive(Debug, thiserror::Error)]
pub enum SchemeError {
    /// The JSON is not a valid scheme.
    #[error("invalid scheme at {0}")]
    Invalid(InvalidDocument),
    /// The manager's signature does not check out.
    #[error("the scheme's signature is not valid: {0}")]
    Signature(JwsError),
}

impl Scheme {
    /// Reads a scheme from untrusted bytes and checks its structure (not yet its signature).
    pub fn from_json(bytes: &[u8]) -> Result<Self, SchemeError> {
        let scheme: Self = crate::document::from_json(bytes, MAX_SCHEME_BYTES).map_err(SchemeError::Invalid)?;
        scheme.check().map_err(SchemeError::Invalid)?;
        Ok(scheme)
    }

    /// Reads a scheme from untrusted bytes and verifies it against the pinned manager keys.
    pub fn from_json_verified(bytes: &[u8], manager_keys: &[Jwk], now: DateTime<Utc>) -> Result<Self, SchemeError> {
        let scheme = Self::from_json(bytes)?;
        scheme.verify(manager_keys, now)?;
        Ok(scheme)
    }

    /// Structural checks: a version that canonical JSON writes exactly, every descriptor valid,
/// ids unique, each organisation with a key.
    pub fn check(&self) -> Result<(), InvalidDocument> {
        if self.version > jws::MAX_SAFE_INTEGER {
            return Err(InvalidDocument::new(
                "$.version",
                format!(
                    "version {} is beyond {}, the largest integer a signature covers exactly (RFC 8785)",
                    self.version,
                    jws::MAX_SAFE_INTEGER
                ),
            ));
        }
        let mut ids = HashSet::new();
        for (i, organisation) in self.organisations.iter().enumerate() {
            let path = format!("$.organisations[{i}]");
            organisation.check(&path)?;
            if organisation.keys.is_empty() {
                return Err(InvalidDocument::new(
                    format!("{path}.keys"),
                    "a scheme must pin at least one key per organisation",
                ));
            }
            if !ids.insert(&organisation.id) {
                return Err(InvalidDocument::new(
                    format!("{path}.id"),
                    format!("organisation {} is listed twice", organisation.id),
                ));
            }
        }
        Ok(())
    }

    /// Signs the scheme with the manager's key, replacing any earlier signature.
    pub fn sign(&mut self, manager: &Signer) -> Result<(), JwsError> {
        self.signature = Some(manager.sign_document(self)?);
        Ok(())
    }

    /// Verifies the manager's signature with an active pinned key, and that the scheme was not
    /// issued in the future.
    pub fn verify(&self, manager_keys: &[Jwk], now: DateTime<Utc>) -> Result<(), SchemeError> {
        self.check().map_err(SchemeError::Invalid)?;
        jws::verify_document(self, manager_keys, now).map_err(SchemeError::Signature)?;
        if self.issued_at.to_utc() > now + chrono::Duration::seconds(MAX_CLOCK_SKEW_SECONDS) {
            return Err(SchemeError::Invalid(InvalidDocument::new(
                "$.issued_at",
                format!(
                    "the scheme claims to be issued at {}, which is in the future",
                    self.issued_at
                ),
            )));
        }
        Ok(())
    }
}
