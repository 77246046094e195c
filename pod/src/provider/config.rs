//! `provider.toml`: how a pod provider runs.

use std::net::SocketAddr;
use std::path::Path;

use serde::Deserialize;

/// The provider's settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Where this server listens (behind the TLS-terminating load balancer).
    pub listen: SocketAddr,
    /// The origin citizens' browsers use, `https://pods.example.nl`. Pods live at
    /// `{public_url}/p/{pod-id}/`; organisations send browsers back to
    /// `{public_url}/oauth/callback`, which must be registered with them.
    pub public_url: String,
    /// `postgres://user:password@host:port/database`, shared by every server of the provider.
    /// Either this or `data_dir`.
    pub database_url: Option<String>,
    /// A folder for one sled database holding every pod, for a small provider with one server.
    /// Either this or `database_url`.
    pub data_dir: Option<std::path::PathBuf>,
    /// Database connections per server.
    #[serde(default = "default_pool_size")]
    pub pool_size: usize,
    /// Lock a pod after this many idle minutes.
    #[serde(default = "default_auto_lock")]
    pub auto_lock_minutes: u64,
    /// Limits per pod.
    #[serde(default)]
    pub quotas: Quotas,
}

/// Limits per pod.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quotas {
    /// Stored records (every fetch adds one document and one log entry per organisation).
    pub records: u64,
    /// Bytes of sealed records. A claim document takes at least 512 KiB (padding, P-10).
    pub bytes: u64,
    /// Fetches a citizen may start per hour.
    pub fetches_per_hour: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            records: 20_000,
            bytes: 2 * 1024 * 1024 * 1024,
            fetches_per_hour: 20,
        }
    }
}

fn default_pool_size() -> usize {
    16
}

fn default_auto_lock() -> u64 {
    10
}

impl ProviderConfig {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the provider config {}: {e}", path.display()))?;
        let config: Self = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{} is not a valid provider config: {e}", path.display()))?;
        let url = url::Url::parse(&config.public_url)
            .map_err(|e| anyhow::anyhow!("public_url {:?} is not a URL: {e}", config.public_url))?;
        let loopback = url.host_str().is_some_and(|h| h == "127.0.0.1" || h == "localhost" || h == "[::1]");
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            anyhow::bail!("public_url must be https:// (http:// only on loopback, for trying it out)");
        }
        if url.path() != "/" || url.query().is_some() {
            anyhow::bail!("public_url must be an origin only, like https://pods.example.nl");
        }
        if config.database_url.is_some() == config.data_dir.is_some() {
            anyhow::bail!(
                "set exactly one of database_url (PostgreSQL, any number of servers) and data_dir (sled, one server)"
            );
        }
        if config.quotas.fetches_per_hour == 0 || config.quotas.records == 0 {
            anyhow::bail!("quotas must allow at least one fetch per hour and one record");
        }
        Ok(config)
    }

    /// The public origin without a trailing slash.
    pub fn origin(&self) -> String {
        self.public_url.trim_end_matches('/').to_owned()
    }
}
