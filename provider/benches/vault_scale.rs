//! Bytes per pod for a provider with 2,000,000 pods on PostgreSQL.
//!
//! ```sh
//! BETAALPOD_BENCH_DATABASE_URL=postgres://betaalpod:betaalpod@127.0.0.1:5432/betaalpod_bench \
//! BETAALPOD_BENCH_PODS=2000000 cargo bench -p provider --bench vault_scale
//! ```
//!
//! It works in a schema of its own (`vault_scale`, dropped first) of a database whose name must
//! contain `bench`, and:
//! 1. makes 20 *probe* pods the real way, through the vault: a sign-up with two real OPAQUE
//!    records and two wrapped identity files, the wrapped data key, a scheme of five
//!    organisations, five claim documents and five log entries (each with its index entry),
//!    sealed and padded by the pod core exactly as the browser writes them; and measures them;
//! 2. adds *filler* pods up to `BETAALPOD_BENCH_PODS`: a pods row of the same sizes and the same
//!    23 records, but with 64-byte values, since 2,000,000 full pods (a claim document is padded
//!    to at least 512 KiB) do not fit on a test machine. Tables and indexes therefore have their
//!    full size; only the out-of-line (TOAST) storage of large values holds just the probes';
//! 3. reports the bytes per pod: the database's share per pod at that size (rows, indexes, free
//!    space), and the sealed payload a real pod adds on top.

use std::time::Instant;

use age::secrecy::SecretString;
use chrono::Utc;
use pod_core::identity::KdfCost;
use pod_core::records::RecordKind;
use pod_core::session::Session;
use provider::opaque::Opaque;
use provider::vault::{NewPod, PgVault, PodId, Vault, Write};
use provider_api::wire::{Credential, Expect, Usage};

const PROBES: usize = 20;
const FILLER_BATCH: i64 = 50_000;

async fn sql(client: &tokio_postgres::Client, statement: &str) {
    client.batch_execute(statement).await.unwrap();
}

async fn scalar(client: &tokio_postgres::Client, query: &str) -> i64 {
    client.query_one(query, &[]).await.unwrap().get(0)
}

async fn table_bytes(client: &tokio_postgres::Client) -> i64 {
    scalar(
        client,
        "SELECT CAST(pg_total_relation_size('vault_scale.vault_pods') + pg_total_relation_size('vault_scale.vault_records') AS BIGINT)",
    )
    .await
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if std::env::args().any(|a| a == "--list") {
        println!("vault_scale: bench");
        return;
    }
    let Ok(url) = std::env::var("BETAALPOD_BENCH_DATABASE_URL") else {
        eprintln!("vault_scale: set BETAALPOD_BENCH_DATABASE_URL to a database whose name contains `bench`; skipped");
        return;
    };
    assert!(url.contains("bench"), "the bench drops its schema; use a database whose name contains `bench`");
    let target: i64 = std::env::var("BETAALPOD_BENCH_PODS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run(url, target));
}

async fn run(url: String, target: i64) {
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    sql(&client, "DROP SCHEMA IF EXISTS vault_scale CASCADE; CREATE SCHEMA vault_scale;").await;
    let separator = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{separator}options=-csearch_path%3Dvault_scale");
    let vault = Vault::Postgres(PgVault::connect(&scoped, 8).await.unwrap());
    let opaque = Opaque::from_stored(&vault.server_setup(Opaque::fresh_setup()).await.unwrap()).unwrap();
    let quota = Usage { records: 20_000, bytes: 1 << 33 };

    // The probes.
    let before = table_bytes(&client).await;
    let now = Utc::now();
    let descriptors: Vec<schemas::descriptor::OrganisationDescriptor> = (0..5)
        .map(|n| {
            let mut d = schemas::descriptor::OrganisationDescriptor::from_json(include_bytes!(
                "../../schemas/tests/fixtures/documents/descriptor/valid-pinned-keys.json"
            ))
            .unwrap();
            d.name = format!("Organisatie {n}");
            d
        })
        .collect();
    let mut payload_bytes = 0i64;
    for _ in 0..PROBES {
        let passphrase = SecretString::from("bench correct horse battery".to_owned());
        let code = SecretString::from("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH".to_owned());
        let (mut session, new_pod) = Session::create(&passphrase, &code, KdfCost::InsecureForTests).unwrap();
        let pod_id = PodId::random();
        let record = |credential, secret: &[u8]| {
            let registration = pod_core::provider_login::Registration::start(secret).unwrap();
            let response = opaque.registration_response(pod_id, credential, &registration.request).unwrap();
            Opaque::registration_record(&registration.finish(secret, &response).unwrap()).unwrap()
        };
        vault
            .create_pod(
                NewPod {
                    pod_id,
                    recipient: new_pod.recipient.clone(),
                    identity_file: new_pod.identity_file.clone(),
                    recovery_file: new_pod.recovery_file.clone(),
                    passphrase_record: record(Credential::Passphrase, b"bench correct horse battery"),
                    recovery_record: record(Credential::Recovery, b"AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH"),
                },
                now,
            )
            .await
            .unwrap();
        let mut writes = vec![new_pod.data_key_write.clone()];
        writes.extend(session.pin(descriptors.clone(), now));
        for d in &descriptors {
            // A few KiB of answer, as a real organisation's; padded to 512 KiB like every document.
            writes.extend(session.put(RecordKind::Document, Some(d.id.as_str()), &[9u8; 6000], now));
            writes.extend(session.record_failure(d, "bench", "f", now, now));
        }
        payload_bytes += writes.iter().map(|(_, b)| b.len() as i64).sum::<i64>();
        let writes = writes
            .into_iter()
            .map(|(name, bytes)| Write {
                name: name.to_string(),
                expect: Expect::Absent,
                bytes: Some(bytes),
            })
            .collect();
        vault.write(pod_id, writes, quota).await.unwrap();
    }
    sql(&client, "ANALYZE vault_scale.vault_pods; ANALYZE vault_scale.vault_records;").await;
    let probe_bytes = table_bytes(&client).await - before;
    let records_per_pod = scalar(&client, "SELECT count(*) FROM vault_scale.vault_records").await / PROBES as i64;
    println!(
        "probe pods: {PROBES}, {records_per_pod} records each; sealed payload {:.2} MiB per pod; in the database {:.2} MiB per pod",
        payload_bytes as f64 / PROBES as f64 / 1048576.0,
        probe_bytes as f64 / PROBES as f64 / 1048576.0
    );

    // Filler pods up to the target.
    let started = Instant::now();
    let mut have = PROBES as i64;
    while have < target {
        let (from, to) = (have, (have + FILLER_BATCH).min(target) - 1);
        sql(
            &client,
            &format!(
                "INSERT INTO vault_scale.vault_pods (pod_id, created_at, recipient, identity_file, recovery_file, passphrase_record, recovery_record, record_count, byte_count, next_version) \
                 SELECT decode(md5('filler' || g), 'hex'), now(), 'age1' || repeat('q', 58), decode(repeat('ab', 290), 'hex'), decode(repeat('cd', 290), 'hex'), \
                        decode(repeat('ef', 192), 'hex'), decode(repeat('01', 192), 'hex'), 23, 1472, 24 \
                 FROM generate_series({from}, {to}) g; \
                 INSERT INTO vault_scale.vault_records (pod_id, name, version, bytes) \
                 SELECT decode(md5('filler' || g), 'hex'), \
                        CASE WHEN s.n = 0 THEN 'meta.646174615f6b6579' ELSE (CASE WHEN s.n % 2 = 0 THEN 'index.' ELSE 'records.' END) || md5('k' || g || '-' || (s.n / 2)) END, \
                        s.n + 1, decode(repeat(md5(g || '-' || s.n), 2), 'hex') \
                 FROM generate_series({from}, {to}) g, generate_series(0, 22) AS s(n);"
            ),
        )
        .await;
        have = to + 1;
        if have % 250_000 < FILLER_BATCH {
            eprintln!("  {have} pods ({:.0} s)", started.elapsed().as_secs_f64());
        }
    }
    sql(&client, "VACUUM ANALYZE vault_scale.vault_pods").await;
    sql(&client, "VACUUM ANALYZE vault_scale.vault_records").await;
    let total = table_bytes(&client).await;
    let pods = scalar(&client, "SELECT count(*) FROM vault_scale.vault_pods").await;
    let filler_payload = scalar(&client, "SELECT CAST(COALESCE(sum(octet_length(bytes)), 0) AS BIGINT) FROM vault_scale.vault_records").await;
    let overhead_per_pod = (total - filler_payload) as f64 / pods as f64;
    println!(
        "{pods} pods: tables and indexes {:.2} GiB; per pod {:.0} bytes besides the records' bytes",
        total as f64 / 1073741824.0,
        overhead_per_pod
    );
    println!(
        "bytes per pod at {pods} pods: {:.2} MiB (sealed payload {:.2} MiB + {:.1} KiB database overhead); {:.2} TB for them all",
        (payload_bytes as f64 / PROBES as f64 + overhead_per_pod) / 1048576.0,
        payload_bytes as f64 / PROBES as f64 / 1048576.0,
        overhead_per_pod / 1024.0,
        (payload_bytes as f64 / PROBES as f64 + overhead_per_pod) * pods as f64 / 1e12
    );
    sql(&client, "DROP SCHEMA vault_scale CASCADE;").await;
}
