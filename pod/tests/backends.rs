//! The `Store` contract, tested on the pod's sled backend: key order, overwrite, delete, a whole
//! pod on top, and two writers at once. (A provider's storage is not a `Store`: it holds sealed
//! records only, and is tested in `provider/tests/`.)

use std::sync::Arc;

use pod::store::backend::Change;
use pod::store::{SledStore, Space, Store};

/// A fresh, empty store per backend, with its name.
fn stores(tmp: &std::path::Path) -> Vec<(&'static str, Box<dyn Store>)> {
    let stores: Vec<(&'static str, Box<dyn Store>)> = vec![
        ("sled", Box::new(SledStore::open(&tmp.join(format!("sled-{}", random_hex()))).unwrap())),
    ];
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
fn two_writers_at_once_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // One store shared by two threads, as `pod serve` and a CLI command sharing a pod would.
    let sled: Arc<dyn Store> = Arc::new(SledStore::open(&tmp.path().join("shared")).unwrap());
    type Writers = (&'static str, Arc<dyn Store>, Arc<dyn Store>);
    let cases: Vec<Writers> = vec![("sled", sled.clone(), sled)];
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
