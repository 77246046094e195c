//! One test suite, run against every storage backend: sled (a pod's folder), sled (a small
//! provider's one database for all pods) and PostgreSQL (a real server; `scripts/test` starts one
//! and sets `BETAALPOD_TEST_DATABASE_URL`).

use std::sync::Arc;

use age::x25519;
use pod::store::backend::{BackendError, Change};
use pod::store::postgres::{Database, Quota};
use pod::store::{RecordKind, SledStore, Space, Store, UnlockedPod};

/// The test database, or `None` when the developer explicitly skips PostgreSQL.
fn database() -> Option<Arc<Database>> {
    match std::env::var("BETAALPOD_TEST_DATABASE_URL") {
        Ok(url) => Some(Database::connect(&url, 4).unwrap_or_else(|e| panic!("cannot use the test database: {e}"))),
        Err(_) if std::env::var_os("BETAALPOD_SKIP_POSTGRES").is_some() => None,
        Err(_) => panic!(
            "set BETAALPOD_TEST_DATABASE_URL=postgres://… (scripts/test starts PostgreSQL and sets it), \
             or BETAALPOD_SKIP_POSTGRES=1 to skip the PostgreSQL half of these tests"
        ),
    }
}

fn random_pod_id() -> [u8; 16] {
    *pod::store::RecordId::random().as_bytes()
}

/// A fresh, empty store per backend, with its name.
fn stores(tmp: &std::path::Path) -> Vec<(&'static str, Box<dyn Store>)> {
    let provider = pod::provider::tenants::Tenants::sled(
        &tmp.join(format!("provider-{}", random_hex())),
        &pod::provider::config::Quotas::default(),
    )
    .unwrap();
    let mut stores: Vec<(&'static str, Box<dyn Store>)> = vec![
        ("sled", Box::new(SledStore::open(&tmp.join(format!("sled-{}", random_hex()))).unwrap())),
        ("sled provider", provider.raw_store(random_pod_id())),
    ];
    if let Some(database) = database() {
        stores.push(("postgres", Box::new(database.store(random_pod_id(), None))));
    }
    stores
}

fn random_hex() -> String {
    pod::store::RecordId::random().to_string()
}

fn put(space: Space, key: &[u8], value: &[u8]) -> Change {
    Change::Put(space, key.to_vec(), value.to_vec())
}

#[test]
fn values_round_trip_in_key_order_with_overwrite_and_delete() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, store) in stores(tmp.path()) {
        assert!(store.scan(Space::Records).unwrap().is_empty(), "{name}: a new store is empty");
        store
            .commit(vec![
                put(Space::Records, b"b", b"two"),
                put(Space::Records, b"a", b"one"),
                put(Space::Index, b"a", b"index"),
                put(Space::Meta, b"data_key", b"first"),
            ])
            .unwrap();
        let keys: Vec<Vec<u8>> = store.scan(Space::Records).unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [b"a".to_vec(), b"b".to_vec()], "{name}: key order");
        assert_eq!(store.get(Space::Index, b"a").unwrap().as_deref(), Some(&b"index"[..]), "{name}");
        assert_eq!(store.get(Space::Index, b"b").unwrap(), None, "{name}: spaces are apart");
        store.commit(vec![put(Space::Meta, b"data_key", b"second")]).unwrap();
        assert_eq!(store.get(Space::Meta, b"data_key").unwrap().as_deref(), Some(&b"second"[..]), "{name}");
        store
            .commit(vec![Change::Delete(Space::Records, b"a".to_vec())])
            .unwrap();
        assert_eq!(store.get(Space::Records, b"a").unwrap(), None, "{name}: deleted");
        assert_eq!(store.scan(Space::Records).unwrap().len(), 1, "{name}");
        // Binary keys and an empty value survive unchanged.
        store.commit(vec![put(Space::Records, &[0, 255, 7], b"")]).unwrap();
        assert_eq!(store.get(Space::Records, &[0, 255, 7]).unwrap().as_deref(), Some(&b""[..]), "{name}");
    }
}

#[test]
fn a_whole_pod_works_on_each_backend() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, store) in stores(tmp.path()) {
        let identity = x25519::Identity::generate();
        UnlockedPod::init_hosted_store(store.as_ref(), &identity.to_public()).unwrap();
        assert!(
            UnlockedPod::init_hosted_store(store.as_ref(), &identity.to_public()).is_err(),
            "{name}: a store is never initialised twice"
        );
        let pod = UnlockedPod::open_hosted([1; 16], store, identity).unwrap();
        let first = pod.put(RecordKind::FetchLog, Some("cjib"), b"first entry").unwrap();
        let second = pod.put(RecordKind::FetchLog, Some("duo"), b"second entry").unwrap();
        assert_eq!(pod.get(&first).unwrap().payload.as_slice(), b"first entry", "{name}");
        assert_eq!(pod.index().unwrap().len(), 2, "{name}");
        assert_eq!(pod.forget_source("cjib").unwrap(), 1, "{name}");
        assert!(pod.get(&first).is_err(), "{name}: forgotten");
        assert_eq!(pod.get(&second).unwrap().entry.source.as_deref(), Some("duo"), "{name}");
        assert_eq!(pod.verify().unwrap(), 1, "{name}: index and records agree");
        assert!(pod.dir().is_none() && pod.rotate_key(&"x".to_owned().into(), pod::store::KdfCost::InsecureForTests).is_err());
    }
}

#[test]
fn another_key_cannot_open_a_hosted_pod() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, store) in stores(tmp.path()) {
        UnlockedPod::init_hosted_store(store.as_ref(), &x25519::Identity::generate().to_public()).unwrap();
        let opened = UnlockedPod::open_hosted([2; 16], store, x25519::Identity::generate());
        assert!(opened.is_err(), "{name}: a stranger's identity opened the pod");
    }
}

#[test]
fn two_writers_at_once_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // sled: one store shared by two threads. PostgreSQL: two separate databases connections
    // (as two provider servers would have) writing for the same pod.
    let sled: Arc<dyn Store> = Arc::new(SledStore::open(&tmp.path().join("shared")).unwrap());
    type Writers = (&'static str, Arc<dyn Store>, Arc<dyn Store>);
    let mut cases: Vec<Writers> = vec![("sled", sled.clone(), sled)];
    if let (Some(one), Some(two)) = (database(), database()) {
        let pod_id = random_pod_id();
        cases.push(("postgres", Arc::new(one.store(pod_id, None)), Arc::new(two.store(pod_id, None))));
    }
    for (name, first, second) in cases {
        let writers: Vec<_> = [(first, 0u8), (second, 1u8)]
            .into_iter()
            .map(|(store, writer)| {
                std::thread::spawn(move || {
                    for n in 0..150u32 {
                        let mut key = vec![writer];
                        key.extend_from_slice(&n.to_be_bytes());
                        store
                            .commit(vec![put(Space::Records, &key, &n.to_le_bytes()), put(Space::Index, &key, b"i")])
                            .unwrap();
                    }
                    store
                })
            })
            .collect();
        let stores: Vec<Arc<dyn Store>> = writers.into_iter().map(|w| w.join().unwrap()).collect();
        assert_eq!(stores[0].scan(Space::Records).unwrap().len(), 300, "{name}: a write was lost");
        assert_eq!(stores[1].scan(Space::Index).unwrap().len(), 300, "{name}");
    }
}

#[test]
fn postgres_pods_are_separate_keyspaces() {
    let Some(database) = database() else { return };
    let a = database.store(random_pod_id(), None);
    let b = database.store(random_pod_id(), None);
    a.commit(vec![put(Space::Records, b"secret", b"of a"), put(Space::Meta, b"data_key", b"a's")])
        .unwrap();
    for space in Space::ALL {
        assert!(b.scan(space).unwrap().is_empty(), "b sees a's {space:?} values");
    }
    assert_eq!(b.get(Space::Records, b"secret").unwrap(), None);
    b.commit(vec![Change::Delete(Space::Records, b"secret".to_vec())]).unwrap();
    assert_eq!(a.get(Space::Records, b"secret").unwrap().as_deref(), Some(&b"of a"[..]), "b deleted a's value");
}

#[test]
fn postgres_quota_refuses_the_whole_batch() {
    let Some(database) = database() else { return };
    let store = database.store(
        random_pod_id(),
        Some(Quota {
            records: 3,
            bytes: 1000,
        }),
    );
    store
        .commit(vec![put(Space::Records, b"1", &[0; 100]), put(Space::Records, b"2", &[0; 100])])
        .unwrap();
    let refused = store
        .commit(vec![put(Space::Records, b"3", &[0; 10]), put(Space::Records, b"4", &[0; 10])])
        .unwrap_err();
    assert!(matches!(refused, BackendError::Quota(_)), "{refused}");
    assert!(refused.to_string().contains("this pod is full"), "{refused}");
    assert_eq!(store.get(Space::Records, b"3").unwrap(), None, "half a batch was written");
    let too_big = store.commit(vec![put(Space::Records, b"5", &[0; 900])]).unwrap_err();
    assert!(matches!(too_big, BackendError::Quota(_)), "bytes are counted too");
    store.commit(vec![put(Space::Records, b"3", &[0; 10])]).unwrap();
    assert_eq!(store.scan(Space::Records).unwrap().len(), 3);
}

#[test]
fn postgres_errors_are_clear() {
    let refused = Database::connect("not a url", 1).err().unwrap();
    assert!(refused.to_string().contains("database_url"), "{refused}");
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let unreachable = Database::connect(&format!("postgres://nobody@127.0.0.1:{port}/nothing"), 1)
        .err()
        .unwrap();
    assert!(unreachable.to_string().contains("check database_url"), "{unreachable}");
}
