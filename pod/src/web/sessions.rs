//! Where `pod serve` keeps its browser sessions: in memory, bounded and pruned. Only a citizen who
//! unlocks gets a session (a locked page's CSRF token is a cookie, see `security`), so there are
//! few; still, expired sessions are dropped whenever one is written, and past [`MAX_SESSIONS`] the
//! one that expires first goes, so no stream of requests can make the store grow.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;

/// More sessions than one citizen's browsers ever need.
pub const MAX_SESSIONS: usize = 64;

/// A session store in memory that never holds more than [`MAX_SESSIONS`] live sessions.
#[derive(Clone, Debug, Default)]
pub struct BoundedStore {
    records: Arc<Mutex<HashMap<Id, Record>>>,
}

impl BoundedStore {
    /// How many sessions are held now.
    pub fn len(&self) -> usize {
        self.records.lock().len()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn keep(&self, record: &Record) {
        let mut records = self.records.lock();
        let now = OffsetDateTime::now_utc();
        records.retain(|_, r| r.expiry_date > now);
        records.insert(record.id, record.clone());
        while records.len() > MAX_SESSIONS {
            let Some(first) = records.values().min_by_key(|r| r.expiry_date).map(|r| r.id) else { break };
            records.remove(&first);
        }
    }
}

#[async_trait::async_trait]
impl session_store::SessionStore for BoundedStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        while self.records.lock().contains_key(&record.id) {
            record.id = Id::default();
        }
        self.keep(record);
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.keep(record);
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let records = self.records.lock();
        Ok(records.get(id).filter(|r| r.expiry_date > OffsetDateTime::now_utc()).cloned())
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.records.lock().remove(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_store::SessionStore;

    fn record(expires_in_minutes: i64) -> Record {
        Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: OffsetDateTime::now_utc() + time::Duration::minutes(expires_in_minutes),
        }
    }

    #[tokio::test]
    async fn expired_sessions_go_and_the_store_stays_bounded() {
        let store = BoundedStore::default();
        let mut expired = record(-1);
        store.create(&mut expired).await.unwrap();
        assert!(store.load(&expired.id).await.unwrap().is_none(), "an expired session does not load");
        let mut live = record(60);
        store.create(&mut live).await.unwrap();
        assert_eq!(store.len(), 1, "writing a session dropped the expired one");
        let mut soonest = record(1);
        store.create(&mut soonest).await.unwrap();
        for _ in 0..1000 {
            store.create(&mut record(30)).await.unwrap();
        }
        assert_eq!(store.len(), MAX_SESSIONS);
        assert!(store.load(&live.id).await.unwrap().is_some(), "the longest-lived sessions stay");
        assert!(store.load(&soonest.id).await.unwrap().is_none(), "the first to expire went first");
    }
}
