//! The vault on PostgreSQL (`provider/migrations/`). Every query about a pod is bound to its id,
//! and every write to a pod locks its row first, so quotas and versions are checked in the same
//! transaction that commits.

use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, Pool};
use provider_api::wire::{Expect, RecordInfo, Usage};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use super::{
    Account, CredentialUpdate, NewPod, PendingLogin, PodId, SessionRow, StoredRecord, VaultError, Write, over_quota,
    scope_from, scope_number,
};

/// The migrations, in order; each runs once per database, in its own transaction.
const MIGRATIONS: [(i32, &str); 1] = [(1, include_str!("../../migrations/0001_vault.sql"))];

/// How often the schema migration is tried again after losing a race with another server.
const MIGRATION_RETRIES: usize = 8;

/// The vault on a PostgreSQL database.
pub struct PgVault {
    pool: Pool,
}

fn io(what: &str) -> impl Fn(tokio_postgres::Error) -> VaultError + '_ {
    move |e| {
        let detail = match e.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => e.to_string(),
        };
        VaultError::Io(format!("database: {what}: {detail}"))
    }
}

fn pool_error(e: deadpool_postgres::PoolError) -> VaultError {
    VaultError::Io(format!(
        "cannot get a database connection ({e}); check database_url and that the database is up"
    ))
}

fn lost_creation_race(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|code| {
        *code == SqlState::UNIQUE_VIOLATION || *code == SqlState::DUPLICATE_TABLE || *code == SqlState::DUPLICATE_OBJECT
    })
}

async fn migrate(client: &mut deadpool_postgres::Object) -> Result<(), tokio_postgres::Error> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS vault_schema (version INT NOT NULL PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
        )
        .await?;
    for (version, sql) in MIGRATIONS {
        let applied = client
            .query_opt("SELECT version FROM vault_schema WHERE version = $1", &[&version])
            .await?;
        if applied.is_some() {
            continue;
        }
        let transaction = client.transaction().await?;
        transaction.batch_execute(sql).await?;
        transaction
            .execute(
                "INSERT INTO vault_schema (version, applied_at) VALUES ($1, now()) ON CONFLICT (version) DO NOTHING",
                &[&version],
            )
            .await?;
        transaction.commit().await?;
        tracing::info!(version, "vault schema migrated");
    }
    Ok(())
}

fn usage_of(records: i64, bytes: i64) -> Usage {
    Usage {
        records: records.max(0) as u64,
        bytes: bytes.max(0) as u64,
    }
}

/// The session in a row whose first columns are `pod_id, scope, expires_at`; its expiry moves to
/// `now + idle` when less than half of that is left.
async fn live_session(
    client: &deadpool_postgres::Object,
    row: &tokio_postgres::Row,
    token_hash: [u8; 32],
    now: DateTime<Utc>,
    idle: chrono::Duration,
) -> Result<Option<SessionRow>, VaultError> {
    let pod_id: Vec<u8> = row.get(0);
    let Ok(pod_id) = <[u8; 16]>::try_from(pod_id.as_slice()) else {
        return Ok(None);
    };
    let mut session = SessionRow {
        pod_id: PodId(pod_id),
        scope: scope_from(row.get(1)),
        expires_at: row.get(2),
    };
    if session.expires_at - now < idle / 2 {
        session.expires_at = now + idle;
        client
            .execute(
                "UPDATE vault_sessions SET expires_at = $2 WHERE token_hash = $1",
                &[&token_hash.as_slice(), &session.expires_at],
            )
            .await
            .map_err(io("extending a session"))?;
    }
    Ok(Some(session))
}

impl PgVault {
    /// Connects with up to `pool_size` connections and brings the schema up to date. Servers
    /// starting at once may race on the migration; the loser tries again.
    pub async fn connect(url: &str, pool_size: usize) -> Result<Self, VaultError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| VaultError::Io(format!("database_url is not a PostgreSQL URL: {e}")))?;
        let pool = Pool::builder(Manager::new(config, NoTls))
            .max_size(pool_size.max(1))
            .build()
            .map_err(|e| VaultError::Io(format!("cannot build the connection pool: {e}")))?;
        let mut client = pool.get().await.map_err(pool_error)?;
        let mut attempt = 0;
        loop {
            match migrate(&mut client).await {
                Ok(()) => break,
                Err(e) if lost_creation_race(&e) && attempt < MIGRATION_RETRIES => attempt += 1,
                Err(e) => return Err(io("migrating the schema")(e)),
            }
        }
        Ok(Self { pool })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, VaultError> {
        self.pool.get().await.map_err(pool_error)
    }

    pub(super) async fn server_setup(&self, fresh: Vec<u8>) -> Result<Vec<u8>, VaultError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO vault_setup (id, server_setup) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                &[&fresh],
            )
            .await
            .map_err(io("storing the server setup"))?;
        let row = client
            .query_one("SELECT server_setup FROM vault_setup WHERE id = 1", &[])
            .await
            .map_err(io("reading the server setup"))?;
        Ok(row.get(0))
    }

    pub(super) async fn create_pod(&self, pod: NewPod, now: DateTime<Utc>) -> Result<(), VaultError> {
        let client = self.client().await?;
        let inserted = client
            .execute(
                "INSERT INTO vault_pods (pod_id, created_at, recipient, identity_file, recovery_file, passphrase_record, recovery_record)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (pod_id) DO NOTHING",
                &[
                    &pod.pod_id.0.as_slice(),
                    &now,
                    &pod.recipient,
                    &pod.identity_file,
                    &pod.recovery_file,
                    &pod.passphrase_record,
                    &pod.recovery_record,
                ],
            )
            .await
            .map_err(io("adding a pod"))?;
        if inserted == 0 {
            return Err(VaultError::Exists);
        }
        Ok(())
    }

    pub(super) async fn account(&self, pod_id: PodId) -> Result<Option<Account>, VaultError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT recipient, identity_file, recovery_file, passphrase_record, recovery_record, record_count, byte_count
                 FROM vault_pods WHERE pod_id = $1",
                &[&pod_id.0.as_slice()],
            )
            .await
            .map_err(io("reading a pod"))?;
        let Some(row) = row else { return Ok(None) };
        let file = |column: usize| row.get::<_, Option<Vec<u8>>>(column);
        // A pod whose keys were shredded is gone, even while its records are being deleted.
        let (Some(identity_file), Some(recovery_file), Some(passphrase_record), Some(recovery_record)) =
            (file(1), file(2), file(3), file(4))
        else {
            return Ok(None);
        };
        Ok(Some(Account {
            recipient: row.get(0),
            identity_file,
            recovery_file,
            passphrase_record,
            recovery_record,
            usage: usage_of(row.get(5), row.get(6)),
        }))
    }

    pub(super) async fn replace_credentials(
        &self,
        pod_id: PodId,
        passphrase: Option<CredentialUpdate>,
        recovery: Option<CredentialUpdate>,
        keep: [u8; 32],
    ) -> Result<(), VaultError> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await.map_err(io("starting a transaction"))?;
        let id = pod_id.0.as_slice();
        let exists = transaction
            .query_opt("SELECT 1 FROM vault_pods WHERE pod_id = $1 AND identity_file IS NOT NULL FOR UPDATE", &[&id])
            .await
            .map_err(io("locking a pod"))?;
        if exists.is_none() {
            return Err(VaultError::NoPod);
        }
        if let Some(update) = &passphrase {
            transaction
                .execute(
                    "UPDATE vault_pods SET passphrase_record = $2, identity_file = $3 WHERE pod_id = $1",
                    &[&id, &update.record, &update.file],
                )
                .await
                .map_err(io("replacing the passphrase"))?;
        }
        if let Some(update) = &recovery {
            transaction
                .execute(
                    "UPDATE vault_pods SET recovery_record = $2, recovery_file = $3 WHERE pod_id = $1",
                    &[&id, &update.record, &update.file],
                )
                .await
                .map_err(io("replacing the recovery code"))?;
        }
        transaction
            .execute(
                "DELETE FROM vault_sessions WHERE pod_id = $1 AND token_hash <> $2",
                &[&id, &keep.as_slice()],
            )
            .await
            .map_err(io("ending other sessions"))?;
        transaction.commit().await.map_err(io("committing new credentials"))
    }

    pub(super) async fn shred_keys(&self, pod_id: PodId) -> Result<(), VaultError> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await.map_err(io("starting a transaction"))?;
        let id = pod_id.0.as_slice();
        let changed = transaction
            .execute(
                "UPDATE vault_pods SET identity_file = NULL, recovery_file = NULL, passphrase_record = NULL, recovery_record = NULL
                 WHERE pod_id = $1",
                &[&id],
            )
            .await
            .map_err(io("shredding the keys"))?;
        if changed == 0 {
            return Err(VaultError::NoPod);
        }
        transaction
            .execute("DELETE FROM vault_records WHERE pod_id = $1 AND name LIKE 'meta.%'", &[&id])
            .await
            .map_err(io("shredding the wrapped data key"))?;
        transaction
            .execute("DELETE FROM vault_sessions WHERE pod_id = $1", &[&id])
            .await
            .map_err(io("ending the sessions"))?;
        transaction.commit().await.map_err(io("committing the shredding"))
    }

    pub(super) async fn delete_rest(&self, pod_id: PodId) -> Result<(), VaultError> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await.map_err(io("starting a transaction"))?;
        let id = pod_id.0.as_slice();
        transaction
            .execute("DELETE FROM vault_records WHERE pod_id = $1", &[&id])
            .await
            .map_err(io("deleting records"))?;
        transaction
            .execute("DELETE FROM vault_pods WHERE pod_id = $1", &[&id])
            .await
            .map_err(io("deleting the pod"))?;
        transaction.commit().await.map_err(io("committing the deletion"))
    }

    pub(super) async fn list(&self, pod_id: PodId) -> Result<Vec<RecordInfo>, VaultError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT name, octet_length(bytes), version FROM vault_records WHERE pod_id = $1 ORDER BY name",
                &[&pod_id.0.as_slice()],
            )
            .await
            .map_err(io("listing records"))?;
        Ok(rows
            .iter()
            .map(|row| RecordInfo {
                name: row.get(0),
                size: row.get::<_, i32>(1).max(0) as u64,
                version: row.get::<_, i64>(2).max(0) as u64,
            })
            .collect())
    }

    pub(super) async fn get(&self, pod_id: PodId, name: &str) -> Result<Option<StoredRecord>, VaultError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT version, bytes FROM vault_records WHERE pod_id = $1 AND name = $2",
                &[&pod_id.0.as_slice(), &name],
            )
            .await
            .map_err(io("reading a record"))?;
        Ok(row.map(|row| StoredRecord {
            version: row.get::<_, i64>(0).max(0) as u64,
            bytes: row.get(1),
        }))
    }

    pub(super) async fn all_records(&self, pod_id: PodId) -> Result<Vec<(String, Vec<u8>)>, VaultError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT name, bytes FROM vault_records WHERE pod_id = $1 ORDER BY name",
                &[&pod_id.0.as_slice()],
            )
            .await
            .map_err(io("reading records"))?;
        Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
    }

    pub(super) async fn write(&self, pod_id: PodId, writes: Vec<Write>, quota: Usage) -> Result<Vec<RecordInfo>, VaultError> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await.map_err(io("starting a transaction"))?;
        let id = pod_id.0.as_slice();
        // The pod's row is the lock every write to the pod takes first: writes to one pod run one
        // after the other, and the counts they check are the ones they commit.
        let row = transaction
            .query_opt(
                "SELECT record_count, byte_count, next_version FROM vault_pods
                 WHERE pod_id = $1 AND identity_file IS NOT NULL FOR UPDATE",
                &[&id],
            )
            .await
            .map_err(io("locking a pod"))?;
        let Some(row) = row else { return Err(VaultError::NoPod) };
        let (mut records, mut bytes, mut next_version): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        let mut written = Vec::new();
        for write in writes {
            let current = transaction
                .query_opt(
                    "SELECT version, octet_length(bytes) FROM vault_records WHERE pod_id = $1 AND name = $2",
                    &[&id, &write.name],
                )
                .await
                .map_err(io("reading a record"))?;
            let current: Option<(i64, i32)> = current.map(|row| (row.get(0), row.get(1)));
            let holds = match (write.expect, current) {
                (Expect::Absent, None) => true,
                (Expect::Version(expected), Some((version, _))) => version.max(0) as u64 == expected,
                _ => false,
            };
            if !holds {
                return Err(VaultError::Conflict(write.name));
            }
            if let Some((_, size)) = current {
                records -= 1;
                bytes -= i64::from(size);
            }
            match write.bytes {
                Some(new) => {
                    let version = next_version;
                    next_version += 1;
                    records += 1;
                    bytes += new.len() as i64;
                    transaction
                        .execute(
                            "INSERT INTO vault_records (pod_id, name, version, bytes) VALUES ($1, $2, $3, $4)
                             ON CONFLICT (pod_id, name) DO UPDATE SET version = EXCLUDED.version, bytes = EXCLUDED.bytes",
                            &[&id, &write.name, &version, &new],
                        )
                        .await
                        .map_err(io("writing a record"))?;
                    written.push(RecordInfo {
                        name: write.name,
                        size: new.len() as u64,
                        version: version as u64,
                    });
                }
                None => {
                    transaction
                        .execute("DELETE FROM vault_records WHERE pod_id = $1 AND name = $2", &[&id, &write.name])
                        .await
                        .map_err(io("deleting a record"))?;
                }
            }
        }
        if let Some(refusal) = over_quota(usage_of(records, bytes), quota) {
            return Err(refusal);
        }
        transaction
            .execute(
                "UPDATE vault_pods SET record_count = $2, byte_count = $3, next_version = $4 WHERE pod_id = $1",
                &[&id, &records, &bytes, &next_version],
            )
            .await
            .map_err(io("counting usage"))?;
        transaction.commit().await.map_err(io("committing records"))?;
        Ok(written)
    }

    pub(super) async fn create_session(&self, token_hash: [u8; 32], session: SessionRow) -> Result<(), VaultError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO vault_sessions (token_hash, pod_id, scope, expires_at) VALUES ($1, $2, $3, $4)",
                &[
                    &token_hash.as_slice(),
                    &session.pod_id.0.as_slice(),
                    &scope_number(session.scope),
                    &session.expires_at,
                ],
            )
            .await
            .map_err(io("storing a session"))?;
        Ok(())
    }

    pub(super) async fn session(
        &self,
        token_hash: [u8; 32],
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> Result<Option<SessionRow>, VaultError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT pod_id, scope, expires_at FROM vault_sessions WHERE token_hash = $1 AND expires_at > $2",
                &[&token_hash.as_slice(), &now],
            )
            .await
            .map_err(io("reading a session"))?;
        let Some(row) = row else { return Ok(None) };
        live_session(&client, &row, token_hash, now, idle).await
    }

    pub(super) async fn session_and_record(
        &self,
        token_hash: [u8; 32],
        now: DateTime<Utc>,
        idle: chrono::Duration,
        name: &str,
    ) -> Result<Option<(SessionRow, Option<StoredRecord>)>, VaultError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT s.pod_id, s.scope, s.expires_at, r.version, r.bytes FROM vault_sessions s
                 LEFT JOIN vault_records r ON r.pod_id = s.pod_id AND r.name = $3
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
                &[&token_hash.as_slice(), &now, &name],
            )
            .await
            .map_err(io("reading a session and a record"))?;
        let Some(row) = row else { return Ok(None) };
        let Some(session) = live_session(&client, &row, token_hash, now, idle).await? else {
            return Ok(None);
        };
        let record = row.get::<_, Option<i64>>(3).map(|version| StoredRecord {
            version: version.max(0) as u64,
            bytes: row.get(4),
        });
        Ok(Some((session, record)))
    }

    pub(super) async fn end_session(&self, token_hash: [u8; 32]) -> Result<(), VaultError> {
        let client = self.client().await?;
        client
            .execute("DELETE FROM vault_sessions WHERE token_hash = $1", &[&token_hash.as_slice()])
            .await
            .map_err(io("ending a session"))?;
        Ok(())
    }

    pub(super) async fn put_login(&self, login_id: [u8; 16], login: PendingLogin) -> Result<(), VaultError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO vault_logins (login_id, pod_id, scope, state, expires_at) VALUES ($1, $2, $3, $4, $5)",
                &[
                    &login_id.as_slice(),
                    &login.pod_id.0.as_slice(),
                    &scope_number(login.scope),
                    &login.state,
                    &login.expires_at,
                ],
            )
            .await
            .map_err(io("storing a login"))?;
        Ok(())
    }

    pub(super) async fn take_login(&self, login_id: [u8; 16], now: DateTime<Utc>) -> Result<Option<PendingLogin>, VaultError> {
        let client = self.client().await?;
        // DELETE … RETURNING: of two servers finishing the same login, only one gets it.
        let row = client
            .query_opt(
                "DELETE FROM vault_logins WHERE login_id = $1 RETURNING pod_id, scope, state, expires_at",
                &[&login_id.as_slice()],
            )
            .await
            .map_err(io("taking a login"))?;
        let Some(row) = row else { return Ok(None) };
        let expires_at: DateTime<Utc> = row.get(3);
        let pod_id: Vec<u8> = row.get(0);
        let Ok(pod_id) = <[u8; 16]>::try_from(pod_id.as_slice()) else {
            return Ok(None);
        };
        Ok((expires_at > now).then(|| PendingLogin {
            pod_id: PodId(pod_id),
            scope: scope_from(row.get(1)),
            state: row.get(2),
            expires_at,
        }))
    }

    pub(super) async fn count(
        &self,
        key: &str,
        delta: i64,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Result<i64, VaultError> {
        let client = self.client().await?;
        let window_start = now - window;
        let row = client
            .query_one(
                "INSERT INTO vault_counters (key, window_start, count) VALUES ($1, $2, GREATEST($3::BIGINT, 0))
                 ON CONFLICT (key) DO UPDATE SET
                   count = CASE WHEN vault_counters.window_start <= $4 THEN GREATEST($3::BIGINT, 0)
                                ELSE GREATEST(vault_counters.count + $3::BIGINT, 0) END,
                   window_start = CASE WHEN vault_counters.window_start <= $4 THEN $2
                                       ELSE vault_counters.window_start END
                 RETURNING count",
                &[&key, &now, &delta, &window_start],
            )
            .await
            .map_err(io("counting"))?;
        Ok(row.get(0))
    }

    pub(super) async fn prune(&self, now: DateTime<Utc>) -> Result<u64, VaultError> {
        let client = self.client().await?;
        let mut removed = 0;
        for sql in [
            "DELETE FROM vault_sessions WHERE expires_at <= $1",
            "DELETE FROM vault_logins WHERE expires_at <= $1",
            "DELETE FROM vault_counters WHERE window_start <= $1 - INTERVAL '1 day'",
        ] {
            removed += client.execute(sql, &[&now]).await.map_err(io("pruning"))?;
        }
        Ok(removed)
    }

    pub(super) async fn ready(&self) -> bool {
        match self.pool.get().await {
            Ok(client) => client.query_one("SELECT 1", &[]).await.is_ok(),
            Err(_) => false,
        }
    }
}
