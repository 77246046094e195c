//! `provider.toml`: how a pod provider runs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The provider's settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Where this server listens (behind the TLS-terminating load balancer).
    pub listen: SocketAddr,
    /// The origin citizens' browsers use, such as `https://pods.example.nl`.
    pub public_url: String,
    /// `postgres://user:password@host:port/database`, shared by every server of the provider.
    /// Either this or `data_dir`.
    pub database_url: Option<String>,
    /// A folder for one sled database, for a small provider with one server. Either this or
    /// `database_url`.
    pub data_dir: Option<PathBuf>,
    /// Database connections per server.
    #[serde(default = "default_pool_size")]
    pub pool_size: usize,
    /// A session ends after this many minutes without a request.
    #[serde(default = "default_session_idle")]
    pub session_idle_minutes: i64,
    /// The request header that carries the client's address, set by the proxy in front of this
    /// server (for example `x-forwarded-for`; its last address is used). Without it, the TCP
    /// peer is the client, which behind a proxy would make every citizen share one limit.
    pub client_address_header: Option<String>,
    /// The folder with the browser app (the pod in the browser): a fixed set of files, served at
    /// `/app/`. Without it the provider serves the storage API only.
    pub app_dir: Option<PathBuf>,
    /// Where the app may connect besides the provider itself: the organisations, in the
    /// Content-Security-Policy's `connect-src` [default: `https:`].
    #[serde(default = "default_connect_src")]
    pub app_connect_src: Vec<String>,
    /// Limits per pod.
    #[serde(default)]
    pub quotas: Quotas,
    /// Limits on attempts.
    #[serde(default)]
    pub limits: Limits,
}

/// What one pod may store.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quotas {
    /// Stored records (each fetch adds a few per organisation).
    pub records: u64,
    /// Bytes of sealed records.
    pub bytes: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            records: 20_000,
            bytes: 2 * 1024 * 1024 * 1024,
        }
    }
}

/// How many attempts are allowed before the provider answers 429.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Login attempts per pod in 15 minutes that did not end in a session. Each attempt lets an
    /// attacker test one guess, so this is the online guessing rate.
    pub logins_per_pod: i64,
    /// Login attempts per client address (per /64 for IPv6) in 15 minutes.
    pub logins_per_address: i64,
    /// Sign-up messages per client address in an hour (a sign-up takes two).
    pub signups_per_address: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            logins_per_pod: 10,
            logins_per_address: 100,
            signups_per_address: 20,
        }
    }
}

fn default_connect_src() -> Vec<String> {
    vec!["https:".to_owned()]
}

fn default_pool_size() -> usize {
    16
}

fn default_session_idle() -> i64 {
    30
}

impl ProviderConfig {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the provider config {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Parses and checks a config's text.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let config: Self = toml::from_str(text).map_err(|e| anyhow::anyhow!("not a valid provider config: {e}"))?;
        let url = url::Url::parse(&config.public_url)
            .map_err(|e| anyhow::anyhow!("public_url {:?} is not a URL: {e}", config.public_url))?;
        let loopback = url.host_str().is_some_and(|h| h == "127.0.0.1" || h == "localhost" || h == "[::1]");
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            anyhow::bail!("public_url must be https:// (http:// only on loopback, for trying it out)");
        }
        if url.path() != "/" || url.query().is_some() {
            anyhow::bail!("public_url must be an origin only, like https://pods.example.nl");
        }
        match (&config.database_url, &config.data_dir) {
            (Some(_), None) | (None, Some(_)) => {}
            _ => anyhow::bail!(
                "set exactly one of database_url (PostgreSQL, any number of servers) and data_dir (sled, one server)"
            ),
        }
        if let Some(bad) = config
            .app_connect_src
            .iter()
            .find(|s| s.is_empty() || s.contains([';', ',', '\'', '"']) || s.chars().any(char::is_whitespace))
        {
            anyhow::bail!("app_connect_src entry {bad:?} is not a CSP source like https: or https://cjib.example.nl");
        }
        if config.session_idle_minutes < 1 {
            anyhow::bail!("session_idle_minutes must be at least 1");
        }
        let limits = config.limits;
        if limits.logins_per_pod < 1 || limits.logins_per_address < 1 || limits.signups_per_address < 1 {
            anyhow::bail!("every limit must be at least 1");
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_needs_one_store_and_a_safe_origin() {
        let ok = ProviderConfig::parse("listen = \"127.0.0.1:0\"\npublic_url = \"https://pods.example.nl\"\ndata_dir = \"/tmp/x\"\n")
            .unwrap();
        assert_eq!(ok.limits.logins_per_pod, 10);
        assert_eq!(ok.session_idle_minutes, 30);
        for (text, needle) in [
            ("listen = \"127.0.0.1:0\"\npublic_url = \"https://a.nl\"\n", "exactly one"),
            (
                "listen = \"127.0.0.1:0\"\npublic_url = \"http://pods.example.nl\"\ndata_dir = \"x\"\n",
                "https://",
            ),
            (
                "listen = \"127.0.0.1:0\"\npublic_url = \"https://a.nl/p\"\ndata_dir = \"x\"\n",
                "origin only",
            ),
            ("listen = \"127.0.0.1:0\"\npublic_url = \"https://a.nl\"\ndata_dir = \"x\"\nsurprise = 1\n", "unknown field"),
        ] {
            let error = ProviderConfig::parse(text).unwrap_err().to_string();
            assert!(error.contains(needle), "{error}");
        }
    }
}
