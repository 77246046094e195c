//! Store throughput: 1,000 and 10,000 records of 2 KiB of JSON written in one commit (as a fetch
//! writes them) and read back, next to raw XChaCha20-Poly1305 over the same bytes; and the two
//! per-record encryption designs (age per record vs a data key wrapped by age).

use std::hint::black_box;

use age::secrecy::SecretString;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, XChaCha20Poly1305, XNonce};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pod::store::seal::{DataKey, MIN_BUCKET};
use pod::store::{Batch, KdfCost, PodDir, RecordKind};

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

/// 2 KiB of JSON like the records a fetch writes (varied, so that it compresses as real
/// records do, not as a run of one byte).
fn record_json(n: usize) -> Vec<u8> {
    let mut text = format!(r#"{{"fetch_id":"{n:016x}","org":"{:020}","matters":["#, 10_000_000 + n % 7);
    let mut m = 0;
    while text.len() < RECORD - 120 {
        text.push_str(&format!(
            r#"{{"zaakkenmerk":"Z-{n}-{m}","saldo":{},"vervaldatum":"2026-{:02}-{:02}"}},"#,
            (n * 7919 + m * 104_729) % 1_000_000,
            1 + (n + m) % 12,
            1 + (n * 3 + m) % 28
        ));
        m += 1;
    }
    text.push_str(r#"{}]}"#);
    let mut bytes = text.into_bytes();
    bytes.resize(RECORD, b' ');
    bytes
}

fn store(c: &mut Criterion) {
    let secret = SecretString::from("correct horse battery staple".to_owned());
    let raw = XChaCha20Poly1305::new(Key::from_slice(&[9u8; 32]));
    let mut group = c.benchmark_group("store");
    group.sample_size(10);
    for count in [1_000usize, 10_000] {
        let payloads: Vec<Vec<u8>> = (0..count).map(record_json).collect();
        group.throughput(Throughput::Bytes((count * RECORD) as u64));
        group.bench_with_input(BenchmarkId::new("raw_xchacha20poly1305_encrypt", count), &payloads, |b, payloads| {
            b.iter(|| {
                for payload in payloads {
                    let nonce: [u8; 24] = rand::random();
                    black_box(raw.encrypt(XNonce::from_slice(&nonce), payload.as_slice()).unwrap());
                }
            })
        });
        // One fetch's worth of records, committed together: sealed, one transaction, one flush.
        group.bench_with_input(BenchmarkId::new("write_one_commit", count), &payloads, |b, payloads| {
            b.iter_batched(
                || {
                    let tmp = tempfile::tempdir().unwrap();
                    let dir = PodDir::new(tmp.path().join("pod"));
                    dir.init(&secret, KdfCost::InsecureForTests).unwrap();
                    let pod = dir.unlock(&secret).unwrap();
                    (tmp, pod)
                },
                |(tmp, pod)| {
                    let mut batch = Batch::default();
                    for payload in payloads {
                        pod.stage(&mut batch, RecordKind::FetchLog, Some("cjib"), payload);
                    }
                    pod.commit(batch).unwrap();
                    (tmp, pod)
                },
                BatchSize::PerIteration,
            )
        });
        let sealed: Vec<(Vec<u8>, [u8; 24])> = payloads
            .iter()
            .map(|payload| {
                let nonce: [u8; 24] = rand::random();
                (raw.encrypt(XNonce::from_slice(&nonce), payload.as_slice()).unwrap(), nonce)
            })
            .collect();
        group.bench_with_input(BenchmarkId::new("raw_xchacha20poly1305_decrypt", count), &sealed, |b, sealed| {
            b.iter(|| {
                for (ciphertext, nonce) in sealed {
                    black_box(raw.decrypt(XNonce::from_slice(nonce), ciphertext.as_slice()).unwrap());
                }
            })
        });
        let tmp = tempfile::tempdir().unwrap();
        let dir = PodDir::new(tmp.path().join("pod"));
        dir.init(&secret, KdfCost::InsecureForTests).unwrap();
        let pod = dir.unlock(&secret).unwrap();
        let mut batch = Batch::default();
        let ids: Vec<_> = payloads
            .iter()
            .map(|payload| pod.stage(&mut batch, RecordKind::FetchLog, Some("cjib"), payload))
            .collect();
        pod.commit(batch).unwrap();
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
