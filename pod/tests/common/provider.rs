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

pub struct Running {
    pub url: String,
    pub provider: Arc<Provider>,
    pub tenants: Arc<Tenants>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// Starts a provider with extra `quotas` config lines.
pub async fn start_provider(database_url: &str, quotas: &str) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listen = listener.local_addr().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let config_path = tmp.path().join("provider.toml");
    std::fs::write(
        &config_path,
        format!(
            "listen = \"{listen}\"\npublic_url = \"http://{listen}\"\ndatabase_url = \"{database_url}\"\npool_size = 4\n{quotas}"
        ),
    )
    .unwrap();
    let config = ProviderConfig::load(&config_path).unwrap();
    let database = Database::connect(database_url, 4).unwrap();
    let tenants = Arc::new(Tenants::new(database, &config.quotas));
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
    }
}

