//! What every handler may use: the server's state, built once from the configuration.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use schemas::descriptor::{DescriptorFormat, OrganisationDescriptor};
use schemas::ids::{Bsn, OrganisationId};
use schemas::jws::{Jwk, Signer};
use sha2::{Digest, Sha256};

use crate::arrangements::ArrangementStore;
use crate::audit::AuditLog;
use crate::backend::ClaimsBackend;
use crate::config::Config;
use crate::oauth::grants::{CodeStore, SCOPES};
use crate::ratelimit::RateLimiter;
use crate::upstream::Upstream;

/// Request bodies above this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The clock, replaceable in tests to expire codes and tokens without waiting.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Everything a request handler may use.
pub struct Source {
    /// The configuration.
    pub config: Config,
    /// The organisation's signing key.
    pub signer: Signer,
    /// Its public JWK.
    pub jwk: Jwk,
    /// Where claims come from.
    pub backend: Arc<dyn ClaimsBackend>,
    /// Submitted arrangements.
    pub arrangements: ArrangementStore,
    /// The audit log.
    pub audit: AuditLog,
    /// Rate limits.
    pub limiter: RateLimiter,
    /// Wrong logins per citizen, with back-off.
    pub lockout: crate::ratelimit::SubjectLockout,
    /// Authorization codes not yet redeemed.
    pub codes: CodeStore,
    /// The upstream OpenID provider, when login is delegated.
    pub upstream: Option<Upstream>,
    /// The clock.
    pub clock: Clock,
    /// Requests served since start, for operations and for the privacy tests.
    pub requests: std::sync::atomic::AtomicU64,
}

/// Shared state.
pub type AppState = Arc<Source>;

impl Source {
    /// Builds the server state from a loaded config and backend. Discovers the upstream
    /// provider, if one is configured.
    pub async fn new(config: Config, backend: Arc<dyn ClaimsBackend>, clock: Clock) -> anyhow::Result<Self> {
        let signer = crate::keys::load(&config.signing_key)?;
        let jwk = signer.public_jwk(None);
        let arrangements = ArrangementStore::open(&config.arrangements_dir())?;
        let audit = AuditLog::open(&config.audit_log)?;
        let upstream = match &config.upstream_oidc {
            Some(upstream) => Some(Upstream::discover(upstream, &config).await?),
            None => None,
        };
        Ok(Self {
            config,
            signer,
            jwk,
            backend,
            arrangements,
            audit,
            limiter: RateLimiter::default(),
            lockout: Default::default(),
            codes: parking_lot::Mutex::new(HashMap::new()),
            upstream,
            clock,
            requests: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Now, by this server's clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// The citizen as the audit log and the claims payload name them: base64url SHA-256 over
    /// `"<organisation id>:<bsn>"`, so hashes differ per organisation and can't be joined.
    pub fn subject_hash(&self, bsn: &Bsn) -> String {
        B64.encode(Sha256::digest(
            format!("{}:{}", self.config.id, bsn.as_str()).as_bytes(),
        ))
    }

    /// The key the rate limits count a request from `peer` under (see [`crate::client_addr`]).
    pub fn client_key(&self, peer: std::net::SocketAddr, headers: &axum::http::HeaderMap) -> String {
        let ip = crate::client_addr::client_ip(peer.ip(), headers, &self.config.trusted_proxies);
        crate::client_addr::limit_key(ip)
    }

    /// Our organisation descriptor (`/.well-known/betaalpod-source`).
    pub fn descriptor(&self) -> anyhow::Result<OrganisationDescriptor> {
        let url = |path: &str| url::Url::parse(&self.config.endpoint(path));
        Ok(OrganisationDescriptor {
            format: DescriptorFormat,
            id: OrganisationId::parse(self.config.id.as_str()).map_err(anyhow::Error::msg)?,
            name: self.config.name.clone(),
            base_url: self.config.public_url.clone(),
            authorization_endpoint: url("/authorize")?,
            token_endpoint: url("/token")?,
            claims_endpoint: url("/claims")?,
            arrangements_endpoint: url("/arrangements")?,
            jwks_uri: url("/jwks.json")?,
            keys: vec![self.jwk.clone()],
            scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
            document_versions: vec!["fcid/3.0.0".to_owned()],
        })
    }
}
