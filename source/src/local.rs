//! A demo organisation in-process on loopback: keys, generated data and a dev-login server in
//! one call. The `demo` binary runs three of these; tests and benches use them as real peers.

use std::path::Path;
use std::sync::Arc;

use crate::backend::JsonFileBackend;
use crate::config::Config;
use crate::demo_data::{self, DemoOrg};
use crate::server::{self, Source};

/// The client id of a pod provider's browser app at a demo organisation.
pub const WEB_CLIENT_ID: &str = "betaalpod-web";

/// A running demo organisation. Dropping it stops the server.
pub struct LocalOrganisation {
    /// Its base URL, `http://127.0.0.1:{port}`.
    pub url: String,
    /// The server state (config, keys, arrangements).
    pub state: Arc<Source>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl LocalOrganisation {
    /// Starts `org` with `citizens` generated citizens for `seed`, keeping its files in `dir`
    /// (a key and data already there are reused, so a restart keeps the same identity).
    pub async fn start(org: DemoOrg, citizens: usize, seed: u64, dir: &Path) -> anyhow::Result<Self> {
        Self::start_with(org, citizens, seed, dir, |router| router).await
    }

    /// Like [`LocalOrganisation::start`], with `wrap` applied to the server's router, so a test can
    /// put a layer around every request (the privacy harness records each one this way).
    pub async fn start_with(
        org: DemoOrg,
        citizens: usize,
        seed: u64,
        dir: &Path,
        wrap: impl FnOnce(axum::Router) -> axum::Router,
    ) -> anyhow::Result<Self> {
        Self::start_inner(org, citizens, seed, dir, None, wrap).await
    }

    /// Like [`LocalOrganisation::start_with`], with a second client, `betaalpod-web`: a pod
    /// provider's browser app at `app_origin`, whose login answers come back to
    /// `{app_origin}/app/callback.html` and which gets CORS answers.
    pub async fn start_for_web_app(
        org: DemoOrg,
        citizens: usize,
        seed: u64,
        dir: &Path,
        app_origin: &str,
        wrap: impl FnOnce(axum::Router) -> axum::Router,
    ) -> anyhow::Result<Self> {
        Self::start_inner(org, citizens, seed, dir, Some(app_origin), wrap).await
    }

    async fn start_inner(
        org: DemoOrg,
        citizens: usize,
        seed: u64,
        dir: &Path,
        app_origin: Option<&str>,
        wrap: impl FnOnce(axum::Router) -> axum::Router,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let key = dir.join("org.key");
        if !key.exists() {
            crate::keys::keygen(&key, &format!("{}-key-1", org.short()))?;
        }
        let data = dir.join("data.json");
        if !data.exists() {
            std::fs::write(&data, serde_json::to_vec(&demo_data::generate(org, citizens, seed)?)?)?;
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let mut config_text = format!(
            "listen = \"{}\"\npublic_url = \"{url}\"\nid = \"{}\"\nname = \"{}\"\nsigning_key = \"org.key\"\ndata = \"data.json\"\ndev_login = true\naudit_log = \"audit.jsonl\"\n[rate_limits]\nlogin_per_minute = 600\ntoken_per_minute = 600\nclaims_per_minute = 600\narrangements_per_day = 1000\n[[clients]]\nclient_id = \"betaalpod\"\nredirect_uris = [\"http://127.0.0.1/oauth/callback\"]\n",
            listener.local_addr()?,
            org.oin(),
            org.name()
        );
        if let Some(origin) = app_origin {
            config_text += &format!(
                "[[clients]]\nclient_id = \"{WEB_CLIENT_ID}\"\nredirect_uris = [\"{origin}/app/callback.html\"]\nweb_origins = [\"{origin}\"]\n"
            );
        }
        std::fs::write(dir.join("source.toml"), config_text)?;
        let config = Config::load(&dir.join("source.toml"))?;
        let backend = Arc::new(JsonFileBackend::load(&config.data)?);
        let state = Arc::new(Source::new(config, backend, Arc::new(chrono::Utc::now)).await?);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let limits = state.config.connections.server_limits();
        tokio::spawn(server::serve_router(wrap(server::router(state.clone())), listener, limits, async {
            let _ = rx.await;
        }));
        Ok(Self {
            url,
            state,
            shutdown: Some(tx),
        })
    }

    /// Its descriptor, with its keys: what a scheme would pin.
    pub fn descriptor(&self) -> anyhow::Result<schemas::descriptor::OrganisationDescriptor> {
        self.state.descriptor()
    }
}

impl Drop for LocalOrganisation {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
