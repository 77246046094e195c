//! What every handler can reach: the vault, the OPAQUE setup, the settings, the clock and the
//! app's files.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::app::AppFiles;
use crate::config::ProviderConfig;
use crate::opaque::Opaque;
use crate::vault::{PgVault, SledVault, Vault};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Where pods are kept.
    pub vault: Arc<Vault>,
    /// The OPAQUE server setup.
    pub opaque: Arc<Opaque>,
    /// The settings.
    pub config: Arc<ProviderConfig>,
    /// The clock (tests move it).
    pub clock: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>,
    /// The browser app's files (none: the storage API only).
    pub app: AppFiles,
}

impl AppState {
    /// Opens the vault the config names and loads (or makes) the OPAQUE setup.
    pub async fn open(config: ProviderConfig) -> anyhow::Result<Self> {
        let vault = match (&config.database_url, &config.data_dir) {
            (Some(url), _) => Vault::Postgres(PgVault::connect(url, config.pool_size).await?),
            (None, Some(dir)) => Vault::Sled(SledVault::open(dir)?),
            (None, None) => anyhow::bail!("set database_url or data_dir"),
        };
        Self::with_vault(config, vault).await
    }

    /// The state over an opened vault.
    pub async fn with_vault(config: ProviderConfig, vault: Vault) -> anyhow::Result<Self> {
        let setup = vault.server_setup(Opaque::fresh_setup()).await?;
        let opaque = Opaque::from_stored(&setup)
            .map_err(|e| anyhow::anyhow!("the stored OPAQUE setup is damaged ({e}); every login depends on it"))?;
        let app = match &config.app_dir {
            Some(dir) => AppFiles::load(dir)?,
            None => AppFiles::default(),
        };
        Ok(Self {
            vault: Arc::new(vault),
            opaque: Arc::new(opaque),
            config: Arc::new(config),
            clock: Arc::new(Utc::now),
            app,
        })
    }

    /// Now, by the state's clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// How long a session lives without requests.
    pub fn session_idle(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.config.session_idle_minutes)
    }
}

/// The app's handlers need only its files.
impl axum::extract::FromRef<AppState> for AppFiles {
    fn from_ref(state: &AppState) -> Self {
        state.app.clone()
    }
}
