//! A pod provider on the test PostgreSQL server, in-process on loopback.

use std::sync::Arc;

use pod::provider::tenants::Tenants;
use pod::provider::{Provider, ProviderConfig};
use pod::store::postgres::Database;

/// The test database URL, or `None` when the developer explicitly skips PostgreSQL.
pub fn database_url() -> Option<String> {
    match std::env::var("BETAALPOD_TEST_DATABASE_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("BETAALPOD_SKIP_POSTGRES").is_some() => None,
        Err(_) => panic!(
            "set BETAALPOD_TEST_DATABASE_URL=postgres://… (scripts/test starts PostgreSQL and sets it), \
             or BETAALPOD_SKIP_POSTGRES=1 to skip the provider tests"
        ),
    }
}

/// Where a provider keeps its pods in a test.
pub enum Backend {
    /// The test PostgreSQL database.
    Postgres(String),
    /// A sled database in a temporary folder.
    Sled,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Postgres(_) => "postgres",
            Backend::Sled => "sled",
        })
    }
}

/// Every backend there is to test: sled always, PostgreSQL unless explicitly skipped.
pub fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sled];
    if let Some(url) = database_url() {
        backends.push(Backend::Postgres(url));
    }
    backends
}

pub struct Running {
    pub url: String,
    pub provider: Arc<Provider>,
    pub tenants: Arc<Tenants>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    _data: tempfile::TempDir,
}

/// Starts a provider on `backend` with extra `quotas` config lines.
pub async fn start_provider(backend: &Backend, quotas: &str) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listen = listener.local_addr().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let config_path = tmp.path().join("provider.toml");
    let storage = match backend {
        Backend::Postgres(url) => format!("database_url = \"{url}\""),
        Backend::Sled => format!("data_dir = \"{}\"", tmp.path().join("pods").display()),
    };
    std::fs::write(
        &config_path,
        format!(
            "listen = \"{listen}\"\npublic_url = \"http://{listen}\"\n{storage}\npool_size = 4\n{quotas}"
        ),
    )
    .unwrap();
    let config = ProviderConfig::load(&config_path).unwrap();
    let tenants = Arc::new(match backend {
        Backend::Postgres(url) => Tenants::new(Database::connect(url, 4).unwrap(), &config.quotas),
        Backend::Sled => Tenants::sled(config.data_dir.as_ref().unwrap(), &config.quotas).unwrap(),
    });
    let provider = Arc::new(Provider::new(config, tenants.clone()));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(pod::provider::serve(provider.clone(), listener, async {
        let _ = rx.await;
    }));
    Running {
        url: format!("http://{listen}"),
        provider,
        tenants,
        _shutdown: tx,
        _data: tmp,
    }
}

