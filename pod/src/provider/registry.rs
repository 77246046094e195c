//! Where a provider keeps its pods: PostgreSQL for any size and several servers, or one sled
//! database for a small provider with one server. Both hold, per pod, a row with the wrapped
//! identity files and the recipient, and the pod's sealed values under its id.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::tenants::{PodId, TenantError};
use crate::store::backend::{BackendError, Change, Entries, Space, Store};
use crate::store::postgres::{Database, Quota};
use crate::store::PodError;

/// The identity wrapped by the passphrase, and by the recovery code.
pub type WrappedIdentity = (Vec<u8>, Vec<u8>);

/// One stored value of a new pod: space, key, value.
pub type Value = (Space, Vec<u8>, Vec<u8>);

/// The storage operations a provider needs beyond the `Store` of each pod.
pub trait Registry: Send + Sync {
    /// Adds a pod row and its first values, all or nothing.
    fn insert(&self, pod_id: PodId, recipient: String, wrapped: WrappedIdentity, values: Vec<Value>) -> Result<(), TenantError>;
    /// The wrapped identity files, unless the pod was deleted or never existed.
    fn wrapped_identity(&self, pod_id: PodId) -> Result<Option<WrappedIdentity>, TenantError>;
    /// Replaces the passphrase-wrapped identity, and the recovery file when given.
    fn set_identity(&self, pod_id: PodId, wrapped: Vec<u8>, recovery: Option<Vec<u8>>) -> Result<(), TenantError>;
    /// Destroys the wrapped identity, the recovery file and the wrapped data key, together.
    fn shred_keys(&self, pod_id: PodId) -> Result<(), TenantError>;
    /// Deletes every value and the pod row.
    fn delete_values(&self, pod_id: PodId) -> Result<(), TenantError>;
    /// Counts a fetch in the current hour's window; the count, or `None` if there is no pod.
    fn count_fetch(&self, pod_id: PodId) -> Result<Option<i64>, TenantError>;
    /// How many rows and values are left for a pod (for deletion tests).
    fn stored_values(&self, pod_id: PodId) -> Result<i64, TenantError>;
    /// The pod's keyspace.
    fn store(&self, pod_id: PodId, quota: Option<Quota>) -> Box<dyn Store>;
    /// Whether the storage answers.
    fn ready(&self) -> bool;
}

fn space_number(space: Space) -> i16 {
    match space {
        Space::Meta => 0,
        Space::Records => 1,
        Space::Index => 2,
    }
}

fn db_error(e: tokio_postgres::Error) -> TenantError {
    TenantError::Pod(PodError::Io(format!("database: {e}")))
}

fn pool_error(e: deadpool_postgres::PoolError) -> TenantError {
    TenantError::Pod(PodError::Io(format!("database connection: {e}")))
}

/// The PostgreSQL registry (`pod/migrations/postgres/`).
pub struct PgRegistry {
    /// The shared database.
    pub database: Arc<Database>,
}

/// How often a registry statement is retried when the database asks for it.
const RETRIES: u64 = 8;

impl PgRegistry {
    /// Runs `work` on a pooled connection and waits for it, running it again when the database
    /// reports a serialization failure (CockroachDB and YugabyteDB do under contention).
    fn run<T, Fut>(&self, work: impl Fn(deadpool_postgres::Object) -> Fut + Send + 'static) -> Result<T, TenantError>
    where
        T: Send + 'static,
        Fut: std::future::Future<Output = Result<T, tokio_postgres::Error>> + Send,
    {
        let pool = self.database.pool();
        self.database.run(async move {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let client = pool.get().await.map_err(pool_error)?;
                match work(client).await {
                    Ok(value) => return Ok(value),
                    Err(e) if attempt < RETRIES && crate::store::postgres::retryable(&e) => {
                        tokio::time::sleep(std::time::Duration::from_millis(5 * attempt)).await;
                    }
                    Err(e) => return Err(db_error(e)),
                }
            }
        })
    }
}

impl Registry for PgRegistry {
    fn insert(&self, pod_id: PodId, recipient: String, wrapped: WrappedIdentity, values: Vec<Value>) -> Result<(), TenantError> {
        let (recipient, wrapped, values) = (Arc::new(recipient), Arc::new(wrapped), Arc::new(values));
        self.run(move |mut client| {
            let (recipient, wrapped, values) = (recipient.clone(), wrapped.clone(), values.clone());
            async move {
                let transaction = client.transaction().await?;
                transaction
                    .execute(
                        "INSERT INTO betaalpod_pods (pod_id, created_at, recipient, identity, recovery) VALUES ($1, $2, $3, $4, $5)",
                        &[&pod_id.as_slice(), &Utc::now(), recipient.as_ref(), &wrapped.0, &wrapped.1],
                    )
                    .await?;
                for (space, key, value) in values.iter() {
                    transaction
                        .execute(
                            "INSERT INTO betaalpod_values (pod_id, space, key, value) VALUES ($1, $2, $3, $4)",
                            &[&pod_id.as_slice(), &space_number(*space), key, value],
                        )
                        .await?;
                }
                transaction.commit().await
            }
        })
    }

    fn wrapped_identity(&self, pod_id: PodId) -> Result<Option<WrappedIdentity>, TenantError> {
        self.run(move |client| async move {
            let row = client
                .query_opt(
                    "SELECT identity, recovery FROM betaalpod_pods WHERE pod_id = $1 AND identity IS NOT NULL",
                    &[&pod_id.as_slice()],
                )
                .await?;
            Ok(row.map(|row| (row.get(0), row.get(1))))
        })
    }

    fn set_identity(&self, pod_id: PodId, wrapped: Vec<u8>, recovery: Option<Vec<u8>>) -> Result<(), TenantError> {
        let (wrapped, recovery) = (Arc::new(wrapped), Arc::new(recovery));
        self.run(move |client| {
            let (wrapped, recovery) = (wrapped.clone(), recovery.clone());
            async move {
                client
                    .execute(
                        "UPDATE betaalpod_pods SET identity = $2, recovery = COALESCE($3, recovery) WHERE pod_id = $1 AND identity IS NOT NULL",
                        &[&pod_id.as_slice(), wrapped.as_ref(), recovery.as_ref()],
                    )
                    .await
                    .map(|_| ())
            }
        })
    }

    fn shred_keys(&self, pod_id: PodId) -> Result<(), TenantError> {
        self.run(move |mut client| async move {
            let transaction = client.transaction().await?;
            transaction
                .execute(
                    "UPDATE betaalpod_pods SET identity = NULL, recovery = NULL WHERE pod_id = $1",
                    &[&pod_id.as_slice()],
                )
                .await?;
            transaction
                .execute(
                    "DELETE FROM betaalpod_values WHERE pod_id = $1 AND space = 0",
                    &[&pod_id.as_slice()],
                )
                .await?;
            transaction.commit().await
        })
    }

    fn delete_values(&self, pod_id: PodId) -> Result<(), TenantError> {
        self.run(move |client| async move {
            client
                .execute("DELETE FROM betaalpod_values WHERE pod_id = $1", &[&pod_id.as_slice()])
                .await?;
            client
                .execute("DELETE FROM betaalpod_pods WHERE pod_id = $1", &[&pod_id.as_slice()])
                .await
                .map(|_| ())
        })
    }

    fn count_fetch(&self, pod_id: PodId) -> Result<Option<i64>, TenantError> {
        self.run(move |client| async move {
            let row = client
                .query_opt(
                    "UPDATE betaalpod_pods SET \
                       fetch_window_start = CASE WHEN fetch_window_start IS NULL OR fetch_window_start < $2 THEN $3 ELSE fetch_window_start END, \
                       fetches_in_window = CASE WHEN fetch_window_start IS NULL OR fetch_window_start < $2 THEN 1 ELSE fetches_in_window + 1 END \
                     WHERE pod_id = $1 AND identity IS NOT NULL RETURNING fetches_in_window",
                    &[&pod_id.as_slice(), &(Utc::now() - chrono::Duration::hours(1)), &Utc::now()],
                )
                .await?;
            Ok(row.map(|row| i64::from(row.get::<_, i32>(0))))
        })
    }

    fn stored_values(&self, pod_id: PodId) -> Result<i64, TenantError> {
        self.run(move |client| async move {
            let row = client
                .query_one(
                    "SELECT (SELECT count(*) FROM betaalpod_values WHERE pod_id = $1) + (SELECT count(*) FROM betaalpod_pods WHERE pod_id = $1)",
                    &[&pod_id.as_slice()],
                )
                .await?;
            Ok(row.get(0))
        })
    }

    fn store(&self, pod_id: PodId, quota: Option<Quota>) -> Box<dyn Store> {
        Box::new(self.database.store(pod_id, quota))
    }

    fn ready(&self) -> bool {
        self.run(|client| async move { client.simple_query("SELECT 1").await.map(|_| ()) })
            .is_ok()
    }
}

/// A pod's row in the sled registry.
#[derive(Serialize, Deserialize)]
struct PodRow {
    created_at: DateTime<Utc>,
    recipient: String,
    identity: Option<Vec<u8>>,
    recovery: Option<Vec<u8>>,
    fetch_window_start: Option<DateTime<Utc>>,
    fetches_in_window: i64,
}

/// One sled database for all pods of a small provider with a single server: a `pods` tree of
/// rows, and a `values` tree keyed by pod id, space and key, like the PostgreSQL tables.
pub struct SledRegistry {
    db: sled::Db,
    pods: sled::Tree,
    values: sled::Tree,
    /// Serialises commits, so a quota check and its write are one step.
    writing: Arc<Mutex<()>>,
    /// Serialises fetch counting.
    counting: Mutex<()>,
}

fn sled_error(e: impl std::fmt::Display) -> TenantError {
    TenantError::Pod(PodError::Io(format!("storage: {e}")))
}

fn value_key(pod_id: &PodId, space: Space, key: &[u8]) -> Vec<u8> {
    let mut full = Vec::with_capacity(17 + key.len());
    full.extend_from_slice(pod_id);
    full.push(space_number(space) as u8);
    full.extend_from_slice(key);
    full
}

fn space_prefix(pod_id: &PodId, space: Space) -> Vec<u8> {
    value_key(pod_id, space, &[])
}

impl SledRegistry {
    /// Opens (or creates) the registry in `dir`. Another process using it is an error that
    /// says so: sled is for one server, PostgreSQL for several.
    pub fn open(dir: &Path) -> Result<Self, BackendError> {
        let db = crate::store::backend::open_sled(dir).map_err(|e| {
            BackendError::Io(format!(
                "cannot open the provider's data_dir {} ({e}); is another server using it? A provider on sled runs one server; use database_url for several",
                dir.display()
            ))
        })?;
        let pods = db.open_tree("pods").map_err(|e| BackendError::Io(e.to_string()))?;
        let values = db.open_tree("values").map_err(|e| BackendError::Io(e.to_string()))?;
        Ok(Self {
            db,
            pods,
            values,
            writing: Arc::default(),
            counting: Mutex::default(),
        })
    }

    fn row(&self, pod_id: &PodId) -> Result<Option<PodRow>, TenantError> {
        match self.pods.get(pod_id).map_err(sled_error)? {
            Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(sled_error),
            None => Ok(None),
        }
    }

    fn put_row(&self, pod_id: &PodId, row: &PodRow) -> Result<(), TenantError> {
        let bytes = serde_json::to_vec(row).map_err(sled_error)?;
        self.pods.insert(pod_id, bytes).map_err(sled_error)?;
        self.db.flush().map_err(sled_error)?;
        Ok(())
    }
}

impl Registry for SledRegistry {
    fn insert(&self, pod_id: PodId, recipient: String, wrapped: WrappedIdentity, values: Vec<Value>) -> Result<(), TenantError> {
        use sled::Transactional;
        let row = serde_json::to_vec(&PodRow {
            created_at: Utc::now(),
            recipient,
            identity: Some(wrapped.0),
            recovery: Some(wrapped.1),
            fetch_window_start: None,
            fetches_in_window: 0,
        })
        .map_err(sled_error)?;
        (&self.pods, &self.values)
            .transaction(|(pods, stored)| {
                pods.insert(&pod_id[..], row.as_slice())?;
                for (space, key, value) in &values {
                    stored.insert(value_key(&pod_id, *space, key), value.as_slice())?;
                }
                Ok(())
            })
            .map_err(|e: sled::transaction::TransactionError<()>| sled_error(format!("{e:?}")))?;
        self.db.flush().map_err(sled_error)?;
        Ok(())
    }

    fn wrapped_identity(&self, pod_id: PodId) -> Result<Option<WrappedIdentity>, TenantError> {
        Ok(self.row(&pod_id)?.and_then(|row| row.identity.zip(row.recovery)))
    }

    fn set_identity(&self, pod_id: PodId, wrapped: Vec<u8>, recovery: Option<Vec<u8>>) -> Result<(), TenantError> {
        let _writing = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        let mut row = self.row(&pod_id)?.ok_or(TenantError::NotFound)?;
        if row.identity.is_none() {
            return Err(TenantError::NotFound);
        }
        row.identity = Some(wrapped);
        if let Some(recovery) = recovery {
            row.recovery = Some(recovery);
        }
        self.put_row(&pod_id, &row)
    }

    fn shred_keys(&self, pod_id: PodId) -> Result<(), TenantError> {
        use sled::Transactional;
        let _writing = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        let Some(mut row) = self.row(&pod_id)? else { return Ok(()) };
        row.identity = None;
        row.recovery = None;
        let bytes = serde_json::to_vec(&row).map_err(sled_error)?;
        let meta: Vec<Vec<u8>> = self
            .values
            .scan_prefix(space_prefix(&pod_id, Space::Meta))
            .keys()
            .collect::<Result<Vec<_>, _>>()
            .map_err(sled_error)?
            .into_iter()
            .map(|k| k.to_vec())
            .collect();
        (&self.pods, &self.values)
            .transaction(|(pods, stored)| {
                pods.insert(&pod_id[..], bytes.as_slice())?;
                for key in &meta {
                    stored.remove(key.as_slice())?;
                }
                Ok(())
            })
            .map_err(|e: sled::transaction::TransactionError<()>| sled_error(format!("{e:?}")))?;
        self.db.flush().map_err(sled_error)?;
        Ok(())
    }

    fn delete_values(&self, pod_id: PodId) -> Result<(), TenantError> {
        let _writing = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        for key in self.values.scan_prefix(pod_id).keys() {
            self.values.remove(key.map_err(sled_error)?).map_err(sled_error)?;
        }
        self.pods.remove(pod_id).map_err(sled_error)?;
        self.db.flush().map_err(sled_error)?;
        Ok(())
    }

    fn count_fetch(&self, pod_id: PodId) -> Result<Option<i64>, TenantError> {
        let _counting = self.counting.lock().unwrap_or_else(|p| p.into_inner());
        let Some(mut row) = self.row(&pod_id)? else { return Ok(None) };
        if row.identity.is_none() {
            return Ok(None);
        }
        let now = Utc::now();
        if row.fetch_window_start.is_none_or(|start| start < now - chrono::Duration::hours(1)) {
            row.fetch_window_start = Some(now);
            row.fetches_in_window = 0;
        }
        row.fetches_in_window += 1;
        self.put_row(&pod_id, &row)?;
        Ok(Some(row.fetches_in_window))
    }

    fn stored_values(&self, pod_id: PodId) -> Result<i64, TenantError> {
        let values = self.values.scan_prefix(pod_id).count() as i64;
        let rows = i64::from(self.pods.contains_key(pod_id).map_err(sled_error)?);
        Ok(values + rows)
    }

    fn store(&self, pod_id: PodId, quota: Option<Quota>) -> Box<dyn Store> {
        Box::new(SledPodStore {
            db: self.db.clone(),
            values: self.values.clone(),
            writing: self.writing.clone(),
            pod_id,
            quota,
        })
    }

    fn ready(&self) -> bool {
        self.db.size_on_disk().is_ok()
    }
}

/// One pod's keyspace in the shared sled registry.
struct SledPodStore {
    db: sled::Db,
    values: sled::Tree,
    writing: Arc<Mutex<()>>,
    pod_id: PodId,
    quota: Option<Quota>,
}

fn io(e: impl std::fmt::Display) -> BackendError {
    BackendError::Io(e.to_string())
}

impl Store for SledPodStore {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        Ok(self
            .values
            .get(value_key(&self.pod_id, space, key))
            .map_err(io)?
            .map(|v| v.to_vec()))
    }

    fn scan(&self, space: Space) -> Result<Entries, BackendError> {
        let prefix = space_prefix(&self.pod_id, space);
        self.values
            .scan_prefix(&prefix)
            .map(|entry| {
                entry
                    .map(|(k, v)| (k[prefix.len()..].to_vec(), v.to_vec()))
                    .map_err(io)
            })
            .collect()
    }

    fn commit(&self, changes: Vec<Change>) -> Result<(), BackendError> {
        let _writing = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(quota) = self.quota {
            let prefix = space_prefix(&self.pod_id, Space::Records);
            let mut sizes: HashMap<Vec<u8>, u64> = HashMap::new();
            for entry in self.values.scan_prefix(&prefix) {
                let (k, v) = entry.map_err(io)?;
                sizes.insert(k.to_vec(), v.len() as u64);
            }
            for change in &changes {
                match change {
                    Change::Put(Space::Records, key, value) => {
                        sizes.insert(value_key(&self.pod_id, Space::Records, key), value.len() as u64);
                    }
                    Change::Delete(Space::Records, key) => {
                        sizes.remove(&value_key(&self.pod_id, Space::Records, key));
                    }
                    _ => {}
                }
            }
            let (records, bytes) = (sizes.len() as u64, sizes.values().sum::<u64>());
            if let Some(refusal) = quota.refusal(records, bytes) {
                return Err(refusal);
            }
        }
        let mut batch = sled::Batch::default();
        for change in &changes {
            match change {
                Change::Put(space, key, value) => batch.insert(value_key(&self.pod_id, *space, key), value.as_slice()),
                Change::Delete(space, key) => batch.remove(value_key(&self.pod_id, *space, key)),
            }
        }
        self.values.apply_batch(batch).map_err(io)?;
        self.db.flush().map_err(io)?;
        Ok(())
    }
}
