//! `source serve --config FILE.toml`: the organisation's settings. Relative paths are read
//! relative to the config file's folder.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use schemas::ids::Oin;
use serde::Deserialize;
use url::Url;

/// The whole configuration file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where to listen, such as `127.0.0.1:8441`.
    pub listen: SocketAddr,
    /// The issuer and the base of every endpoint, such as `http://127.0.0.1:8441`.
    pub public_url: Url,
    /// The organisation's OIN.
    pub id: Oin,
    /// Display name, such as `CJIB`.
    pub name: String,
    /// The Ed25519 signing key file (`source keygen --out FILE`).
    pub signing_key: PathBuf,
    /// The JSON data file: `{"<bsn>": {"pin": "12345", "document": <FCID>}, …}`.
    pub data: PathBuf,
    /// Allow the plain BSN + PIN login form. Never in production.
    #[serde(default)]
    pub dev_login: bool,
    /// The append-only audit log (JSON lines).
    pub audit_log: PathBuf,
    /// The OAuth clients (public; the pod is `betaalpod`).
    pub clients: Vec<ClientConfig>,
    /// Where submitted arrangements are kept [default: `arrangements/` beside the config].
    #[serde(default)]
    pub arrangements_dir: Option<PathBuf>,
    /// Requests per minute before `429`.
    #[serde(default)]
    pub rate_limits: RateLimits,
    /// Delegate citizen login to an external OpenID provider.
    #[serde(default)]
    pub upstream_oidc: Option<UpstreamOidc>,
    /// The reverse proxies in front of this server (addresses or blocks, `["10.0.0.0/8"]`). Only
    /// from them is `X-Forwarded-For` believed, to count each citizen's requests separately
    /// [default: none, so the TCP peer is the client].
    #[serde(default)]
    pub trusted_proxies: Vec<crate::client_addr::IpBlock>,
    /// What one client may hold of the server's connections.
    #[serde(default)]
    pub connections: ConnectionLimits,
}

/// Limits on connections, against clients that hold them open (slowloris).
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectionLimits {
    /// Seconds a client has to send a request's headers; then the connection is closed.
    pub header_read_timeout_secs: u64,
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        let defaults = bounded_http::server::ServerLimits::default();
        Self {
            header_read_timeout_secs: defaults.header_read_timeout.as_secs(),
            max_connections: defaults.max_connections,
        }
    }
}

impl ConnectionLimits {
    /// The limits for [`bounded_http::server::serve`].
    pub fn server_limits(&self) -> bounded_http::server::ServerLimits {
        bounded_http::server::ServerLimits {
            header_read_timeout: std::time::Duration::from_secs(self.header_read_timeout_secs.max(1)),
            max_connections: self.max_connections.max(1),
            ..Default::default()
        }
    }
}

/// One registered OAuth client.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The public client id.
    pub client_id: String,
    /// Exact redirect URIs; a loopback `http://127.0.0.1/…` or `http://[::1]/…` matches any port.
    pub redirect_uris: Vec<String>,
    /// Origins where this client runs in a browser (a pod provider's app, `https://pods.example.nl`).
    /// Only they get CORS answers on the token, claims, arrangement, JWKS and descriptor
    /// endpoints, and a token request carrying another `Origin` is refused.
    #[serde(default)]
    pub web_origins: Vec<String>,
}

/// Whether `origin` is an origin only (`scheme://host[:port]`), over https, or http on loopback.
pub fn is_web_origin(origin: &str) -> bool {
    let Ok(url) = Url::parse(origin) else { return false };
    let loopback = matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
        || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
        || url.host_str() == Some("localhost");
    (url.scheme() == "https" || url.scheme() == "http" && loopback)
        && url.origin().ascii_serialization() == origin
}

/// Rate limits, per minute.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimits {
    /// Login attempts per client IP.
    pub login_per_minute: u32,
    /// Token requests per client IP.
    pub token_per_minute: u32,
    /// Claims fetches per citizen.
    pub claims_per_minute: u32,
    /// Arrangement parts one citizen may submit per day (UTC).
    pub arrangements_per_day: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            login_per_minute: 20,
            token_per_minute: 60,
            claims_per_minute: 20,
            arrangements_per_day: 10,
        }
    }
}

/// An upstream OpenID provider that authenticates citizens.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamOidc {
    /// The provider's issuer URL (discovery at `/.well-known/openid-configuration`).
    pub issuer: Url,
    /// Our client id at the provider.
    pub client_id: String,
    /// Our client secret, if the provider wants one.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// The userinfo claim that holds the BSN [default: `sub`].
    #[serde(default = "default_bsn_claim")]
    pub bsn_claim: String,
}

fn default_bsn_claim() -> String {
    "sub".to_owned()
}

impl Config {
    /// Reads a config file and resolves its relative paths.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let mut config: Config =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{} is not a valid config: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.resolve_paths(base);
        config.check()?;
        Ok(config)
    }

    /// Makes relative paths relative to `base`.
    pub fn resolve_paths(&mut self, base: &Path) {
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        resolve(&mut self.signing_key);
        resolve(&mut self.data);
        resolve(&mut self.audit_log);
        let mut arrangements = self
            .arrangements_dir
            .take()
            .unwrap_or_else(|| PathBuf::from("arrangements"));
        resolve(&mut arrangements);
        self.arrangements_dir = Some(arrangements);
    }

    /// Refuses configurations that cannot work.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.clients.is_empty() {
            anyhow::bail!("the config lists no [[clients]]; add one with client_id = \"betaalpod\"");
        }
        if !self.dev_login && self.upstream_oidc.is_none() {
            anyhow::bail!("no login mode: set dev_login = true (testing only) or configure [upstream_oidc]");
        }
        for client in &self.clients {
            if let Some(bad) = client.web_origins.iter().find(|o| !is_web_origin(o)) {
                anyhow::bail!(
                    "client {:?}: web_origins entry {bad:?} must be an origin only, like https://pods.example.nl \
                     (http:// only on loopback)",
                    client.client_id
                );
            }
        }
        Ok(())
    }

    /// The folder for submitted arrangements.
    pub fn arrangements_dir(&self) -> PathBuf {
        self.arrangements_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("arrangements"))
    }

    /// `public_url` joined with `path`, without a doubled slash.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.as_str().trim_end_matches('/'))
    }

    /// Whether any client runs in a browser at `origin`.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.clients.iter().any(|c| c.web_origins.iter().any(|o| o == origin))
    }

    /// The issuer identifier: `public_url` without a trailing slash.
    pub fn issuer(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }
}
