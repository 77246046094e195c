//! The PostgreSQL backend: many pods in one database, for pod providers.
//!
//! Each pod's values live under its own 16-byte pod id, which leads every primary key and every
//! query, so a [`PgStore`] can only ever see one pod. The schema is in `pod/migrations/postgres/`
//! and uses only SQL that CockroachDB and YugabyteDB run too (see docs/PROVIDER.md).
//!
//! The [`Store`] trait is synchronous (sled is), so the database client runs on a small runtime
//! of its own: callers, async or not, hand it a query and wait for the answer, as they would
//! wait for a disk.

use std::future::Future;
use std::sync::Arc;

use deadpool_postgres::{Manager, Pool};
use tokio_postgres::NoTls;

use super::backend::{BackendError, Change, Entries, Space, Store};

/// The migrations, in order. Each runs once per database, in its own transaction.
const MIGRATIONS: [(i32, &str); 1] = [(1, include_str!("../../migrations/postgres/0001_pods.sql"))];

/// How often a transaction is retried when the database asks for it (serialization failures,
/// which CockroachDB reports under contention).
const RETRIES: usize = 8;

/// Limits for one pod, checked inside the transaction that would exceed them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// At most this many records.
    pub records: u64,
    /// At most this many bytes of sealed records.
    pub bytes: u64,
}

impl Quota {
    /// The error for a pod that would hold `records` records of `bytes` bytes, if that is over.
    pub fn refusal(&self, records: u64, bytes: u64) -> Option<BackendError> {
        (records > self.records || bytes > self.bytes).then(|| {
            BackendError::Quota(format!(
                "this pod is full ({records} records, {bytes} bytes; the provider allows {} records and {} bytes); \
                 forget old snapshots with `forget` or ask your provider for more",
                self.records, self.bytes
            ))
        })
    }
}

/// A connection pool to one database, with the runtime its clients run on.
pub struct Database {
    pool: Pool,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Database {
    fn drop(&mut self) {
        // Dropping a runtime may block, which is not allowed inside another runtime.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn database_error(what: &str) -> impl Fn(tokio_postgres::Error) -> BackendError + '_ {
    move |e| {
        let detail = match e.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => e.to_string(),
        };
        BackendError::Io(format!("database: {what}: {detail}"))
    }
}

fn pool_error(e: deadpool_postgres::PoolError) -> BackendError {
    BackendError::Io(format!(
        "cannot get a database connection ({e}); check database_url and that the database is up"
    ))
}

/// Whether the database asked for the transaction to be retried.
pub(crate) fn retryable(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|code| {
        *code == tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
            || *code == tokio_postgres::error::SqlState::T_R_DEADLOCK_DETECTED
    })
}

/// Another server created the same table or type a moment earlier.
fn lost_creation_race(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|code| {
        *code == tokio_postgres::error::SqlState::UNIQUE_VIOLATION
            || *code == tokio_postgres::error::SqlState::DUPLICATE_TABLE
            || *code == tokio_postgres::error::SqlState::DUPLICATE_OBJECT
    })
}

async fn migrate_once(client: &mut deadpool_postgres::Object) -> Result<(), tokio_postgres::Error> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS betaalpod_schema (version INT NOT NULL PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
        )
        .await?;
    for (version, sql) in MIGRATIONS {
        let applied = client
            .query_opt("SELECT version FROM betaalpod_schema WHERE version = $1", &[&version])
            .await?;
        if applied.is_some() {
            continue;
        }
        let transaction = client.transaction().await?;
        transaction.batch_execute(sql).await?;
        // Two servers migrating at once: the second one's insert does nothing.
        transaction
            .execute(
                "INSERT INTO betaalpod_schema (version, applied_at) VALUES ($1, now()) ON CONFLICT (version) DO NOTHING",
                &[&version],
            )
            .await?;
        transaction.commit().await?;
        tracing::info!(version, "database schema migrated");
    }
    Ok(())
}

impl Database {
    /// Connects to `url` (`postgres://user:password@host:port/database`) with up to `pool_size`
    /// connections, and brings the schema up to date.
    pub fn connect(url: &str, pool_size: usize) -> Result<Arc<Self>, BackendError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| BackendError::Io(format!("database_url is not a PostgreSQL URL: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("betaalpod-db")
            .enable_all()
            .build()
            .map_err(|e| BackendError::Io(format!("cannot start the database runtime: {e}")))?;
        let manager = Manager::new(config, NoTls);
        let pool = {
            let _entered = runtime.enter();
            Pool::builder(manager)
                .max_size(pool_size.max(1))
                .build()
                .map_err(|e| BackendError::Io(format!("cannot build the database pool: {e}")))?
        };
        let database = Arc::new(Self {
            pool,
            runtime: Some(runtime),
        });
        database.migrate()?;
        Ok(database)
    }

    /// Runs `work` on the database runtime and waits for it, from any thread or runtime.
    pub fn run<T: Send + 'static>(&self, work: impl Future<Output = T> + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime
            .as_ref()
            .expect("the runtime lives as long as the database")
            .spawn(async move {
                let _ = tx.send(work.await);
            });
        rx.recv().expect("the database runtime finished a task without answering")
    }

    /// The connection pool, for the provider's own queries.
    pub fn pool(&self) -> Pool {
        self.pool.clone()
    }

    /// Brings the schema up to date. Servers starting together race on `CREATE TABLE IF NOT
    /// EXISTS` (PostgreSQL checks it before it locks), so a lost race is retried.
    fn migrate(&self) -> Result<(), BackendError> {
        let pool = self.pool.clone();
        self.run(async move {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let mut client = pool.get().await.map_err(pool_error)?;
                match migrate_once(&mut client).await {
                    Ok(()) => return Ok(()),
                    Err(e) if attempt < RETRIES && (retryable(&e) || lost_creation_race(&e)) => {
                        tokio::time::sleep(std::time::Duration::from_millis(20 * attempt as u64)).await;
                    }
                    Err(e) => return Err(database_error("migrating the schema")(e)),
                }
            }
        })
    }

    /// The store of one pod.
    pub fn store(self: &Arc<Self>, pod_id: [u8; 16], quota: Option<Quota>) -> PgStore {
        PgStore {
            database: self.clone(),
            pod_id,
            quota,
        }
    }
}

fn space_number(space: Space) -> i16 {
    match space {
        Space::Meta => 0,
        Space::Records => 1,
        Space::Index => 2,
    }
}

/// One pod's keyspace in the database.
pub struct PgStore {
    database: Arc<Database>,
    pod_id: [u8; 16],
    quota: Option<Quota>,
}

impl PgStore {
    /// The pod this store belongs to.
    pub fn pod_id(&self) -> [u8; 16] {
        self.pod_id
    }
}

impl Store for PgStore {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        let (pool, pod, key) = (self.database.pool(), self.pod_id.to_vec(), key.to_vec());
        self.database.run(async move {
            let client = pool.get().await.map_err(pool_error)?;
            let row = client
                .query_opt(
                    "SELECT value FROM betaalpod_values WHERE pod_id = $1 AND space = $2 AND key = $3",
                    &[&pod, &space_number(space), &key],
                )
                .await
                .map_err(database_error("reading a value"))?;
            Ok(row.map(|row| row.get::<_, Vec<u8>>(0)))
        })
    }

    fn scan(&self, space: Space) -> Result<Entries, BackendError> {
        let (pool, pod) = (self.database.pool(), self.pod_id.to_vec());
        self.database.run(async move {
            let client = pool.get().await.map_err(pool_error)?;
            let rows = client
                .query(
                    "SELECT key, value FROM betaalpod_values WHERE pod_id = $1 AND space = $2 ORDER BY key",
                    &[&pod, &space_number(space)],
                )
                .await
                .map_err(database_error("listing values"))?;
            Ok(rows.into_iter().map(|row| (row.get(0), row.get(1))).collect())
        })
    }

    fn commit(&self, changes: Vec<Change>) -> Result<(), BackendError> {
        let (pool, pod, quota) = (self.database.pool(), self.pod_id.to_vec(), self.quota);
        self.database.run(async move {
            let mut client = pool.get().await.map_err(pool_error)?;
            let mut attempt = 0;
            loop {
                attempt += 1;
                match commit_once(&mut client, &pod, &changes, quota).await {
                    Ok(result) => return result,
                    Err(raw) if attempt < RETRIES && retryable(&raw) => {
                        tokio::time::sleep(std::time::Duration::from_millis(5 * attempt as u64)).await;
                    }
                    Err(raw) => return Err(database_error("writing")(raw)),
                }
            }
        })
    }
}

/// One attempt at a commit. The outer `Err` is a database error (perhaps worth a retry); the
/// inner one is a refusal, such as a quota.
async fn commit_once(
    client: &mut deadpool_postgres::Object,
    pod: &[u8],
    changes: &[Change],
    quota: Option<Quota>,
) -> Result<Result<(), BackendError>, tokio_postgres::Error> {
    let transaction = client.transaction().await?;
    for change in changes {
        match change {
            Change::Put(space, key, value) => {
                transaction
                    .execute(
                        "INSERT INTO betaalpod_values (pod_id, space, key, value) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (pod_id, space, key) DO UPDATE SET value = excluded.value",
                        &[&pod, &space_number(*space), key, value],
                    )
                    .await?;
            }
            Change::Delete(space, key) => {
                transaction
                    .execute(
                        "DELETE FROM betaalpod_values WHERE pod_id = $1 AND space = $2 AND key = $3",
                        &[&pod, &space_number(*space), key],
                    )
                    .await?;
            }
        }
    }
    if let Some(quota) = quota {
        let row = transaction
            .query_one(
                "SELECT count(*), CAST(COALESCE(sum(octet_length(value)), 0) AS BIGINT) \
                 FROM betaalpod_values WHERE pod_id = $1 AND space = $2",
                &[&pod, &space_number(Space::Records)],
            )
            .await?;
        let (records, bytes): (i64, i64) = (row.get(0), row.get(1));
        if let Some(refusal) = quota.refusal(records as u64, bytes as u64) {
            transaction.rollback().await?;
            return Ok(Err(refusal));
        }
    }
    transaction.commit().await?;
    Ok(Ok(()))
}
