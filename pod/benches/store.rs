//! Store throughput: write and read 1, 100 and 10,000 records of 2 KiB, next to the raw
//! ChaCha20-Poly1305 cost of the same bytes, and the two per-record encryption designs
//! (age per record vs a data key wrapped by age).

use std::hint::black_box;

use age::secrecy::SecretString;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pod::store::seal::{DataKey, MIN_BUCKET};
use pod::store::{KdfCost, PodDir, RecordKind};

const RECORD: usize = 2048;

fn per_record_designs(c: &mut Criterion) {
    let payload = vec![7u8; RECORD];
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public();
    let data_key = DataKey::generate();
    let raw = ChaCha20Poly1305::new(Key::from_slice(&[9u8; 32]));
    let mut group = c.benchmark_group("per_record_2KiB");
    group.throughput(Throughput::Bytes(RECORD as u64));
    group.bench_function("raw_chacha20poly1305_encrypt", |b| {
        b.iter(|| {
            raw.encrypt(Nonce::from_slice(&[0u8; 12]), black_box(payload.as_slice()))
                .unwrap()
        })
    });
    group.bench_function("data_key_seal", |b| {
        b.iter(|| data_key.seal("records", b"0123456789abcdef", black_box(&payload), MIN_BUCKET))
    });
    group.bench_function("age_x25519_encrypt", |b| {
        b.iter(|| age::encrypt(&recipient, black_box(&payload)).unwrap())
    });
    let sealed = data_key.seal("records", b"0123456789abcdef", &payload, MIN_BUCKET);
    let aged = age::encrypt(&recipient, &payload).unwrap();
    let raw_sealed = raw.encrypt(Nonce::from_slice(&[0u8; 12]), payload.as_slice()).unwrap();
    group.bench_function("raw_chacha20poly1305_decrypt", |b| {
        b.iter(|| {
            raw.decrypt(Nonce::from_slice(&[0u8; 12]), black_box(raw_sealed.as_slice()))
                .unwrap()
        })
    });
    group.bench_function("data_key_open", |b| {
        b.iter(|| {
            data_key
                .open("records", b"0123456789abcdef", black_box(&sealed))
                .unwrap()
        })
    });
    group.bench_function("age_x25519_decrypt", |b| {
        b.iter(|| age::decrypt(&identity, black_box(&aged)).unwrap())
    });
    group.finish();
}

fn store(c: &mut Criterion) {
    let secret = SecretString::from("correct horse battery staple".to_owned());
    let payload = vec![7u8; RECORD];
    let raw = ChaCha20Poly1305::new(Key::from_slice(&[9u8; 32]));
    let mut group = c.benchmark_group("store");
    group.sample_size(10);
    for count in [1usize, 100, 10_000] {
        group.throughput(Throughput::Bytes((count * RECORD) as u64));
        group.bench_with_input(BenchmarkId::new("raw_chacha20poly1305", count), &count, |b, &count| {
            b.iter(|| {
                for i in 0..count {
                    let mut nonce = [0u8; 12];
                    nonce[..8].copy_from_slice(&(i as u64).to_le_bytes());
                    black_box(raw.encrypt(Nonce::from_slice(&nonce), payload.as_slice()).unwrap());
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("write", count), &count, |b, &count| {
            b.iter_batched(
                || {
                    let tmp = tempfile::tempdir().unwrap();
                    let dir = PodDir::new(tmp.path().join("pod"));
                    dir.init(&secret, KdfCost::InsecureForTests).unwrap();
                    let pod = dir.unlock(&secret).unwrap();
                    (tmp, pod)
                },
                |(tmp, pod)| {
                    for _ in 0..count {
                        pod.put(RecordKind::FetchLog, Some("cjib"), &payload).unwrap();
                    }
                    (tmp, pod)
                },
                BatchSize::PerIteration,
            )
        });
        let tmp = tempfile::tempdir().unwrap();
        let dir = PodDir::new(tmp.path().join("pod"));
        dir.init(&secret, KdfCost::InsecureForTests).unwrap();
        let pod = dir.unlock(&secret).unwrap();
        let ids: Vec<_> = (0..count)
            .map(|_| pod.put(RecordKind::FetchLog, Some("cjib"), &payload).unwrap())
            .collect();
        group.bench_with_input(BenchmarkId::new("read", count), &ids, |b, ids| {
            b.iter(|| {
                for id in ids {
                    black_box(pod.get(id).unwrap());
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, per_record_designs, store);
criterion_main!(benches);
