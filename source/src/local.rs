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

/// The client id of a demo organisation at its upstream OpenID provider.
pub const UPSTREAM_CLIENT_ID: &str = "betaalpod-source";

/// How a demo organisation starts, beyond its data.
#[derive(Debug, Default)]
pub struct Start<'a> {
    /// A pod provider's browser app at this origin gets a client, `betaalpod-web` (see
    /// [`LocalOrganisation::start_for_web_app`]).
    pub app_origin: Option<&'a str>,
    /// Citizens log in through this OpenID provider (as client [`UPSTREAM_CLIENT_ID`]) instead of
    /// the dev login.
    pub upstream_issuer: Option<&'a str>,
    /// Listen here: bound beforehand, so that the provider can know the address first.
    pub listener: Option<tokio::net::TcpListener>,
    /// 0 for the organisation itself; n > 0 for its n-th copy, another organisation with the
    /// same kind of data (its OIN ends in n, its name says n), so a bench can run many.
    pub copy: u16,
}

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
        Self::start_as(org, citizens, seed, dir, Start::default(), wrap).await
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
        let start = Start {
            app_origin: Some(app_origin),
            ..Start::default()
        };
        Self::start_as(org, citizens, seed, dir, start, wrap).await
    }

    /// Starts `org` as `start` says, with `wrap` applied to the server's router.
    pub async fn start_as(
        org: DemoOrg,
        citizens: usize,
        seed: u64,
        dir: &Path,
        start: Start<'_>,
        wrap: impl FnOnce(axum::Router) -> axum::Router,
    ) -> anyhow::Result<Self> {
        let Start {
            app_origin,
            upstream_issuer,
            listener,
            copy,
        } = start;
        anyhow::ensure!(copy < 1000, "an organisation has at most 999 copies, not {copy}");
        let (oin, name) = if copy == 0 {
            (org.oin().to_owned(), org.name().to_owned())
        } else {
            (format!("{}{copy:03}", &org.oin()[..17]), format!("{} ({copy})", org.name()))
        };
        std::fs::create_dir_all(dir)?;
        let key = dir.join("org.key");
        if !key.exists() {
            crate::keys::keygen(&key, &format!("{}-key-1", org.short()))?;
        }
        let data = dir.join("data.json");
        if !data.exists() {
            // As of today, so the demo's citizen has a next payment whenever it runs.
            let today = chrono::Local::now().date_naive();
            let generated = serde_json::to_string(&demo_data::generate_on(org, citizens, seed, today)?)?;
            std::fs::write(&data, generated.replace(org.oin(), &oin))?;
        }
        let listener = match listener {
            Some(listener) => listener,
            None => tokio::net::TcpListener::bind("127.0.0.1:0").await?,
        };
        let url = format!("http://{}", listener.local_addr()?);
        let mut config_text = format!(
            "listen = \"{}\"\npublic_url = \"{url}\"\nid = \"{}\"\nname = \"{}\"\nsigning_key = \"org.key\"\ndata = \"data.json\"\ndev_login = {}\naudit_log = \"audit.jsonl\"\n[rate_limits]\nlogin_per_minute = 600\ntoken_per_minute = 600\nclaims_per_minute = 600\narrangements_per_day = 1000\n[[clients]]\nclient_id = \"betaalpod\"\nredirect_uris = [\"http://127.0.0.1/oauth/callback\"]\n",
            listener.local_addr()?,
            oin,
            name,
            upstream_issuer.is_none(),
        );
        if let Some(issuer) = upstream_issuer {
            config_text += &format!("[upstream_oidc]\nissuer = \"{issuer}\"\nclient_id = \"{UPSTREAM_CLIENT_ID}\"\n");
        }
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
