//! A pod provider at national scale, on a real PostgreSQL server.
//!
//! ```sh
//! BETAALPOD_BENCH_DATABASE_URL=postgres://betaalpod:betaalpod@127.0.0.1:5432/betaalpod_bench \
//! BETAALPOD_BENCH_TENANTS=2000000 cargo bench -p pod --bench provider_scale
//! ```
//!
//! It empties the bench database (its name must contain `bench`), then:
//! 1. makes 20 *probe* pods the real way: sign-up with a wrapped identity, a scheme of five
//!    organisations, and one fetch from five real `source` servers (documents of a few KiB each,
//!    stored padded like every document), and measures the bytes they take;
//! 2. fills up to 1,000 pods and times "unlock one pod and render its overview" on the probes;
//! 3. fills up to `BETAALPOD_BENCH_TENANTS` pods and times the same again;
//! 4. serves the probes from one `pod provider serve` process, then from two, and counts
//!    overview requests per second across them.
//!
//! Filler pods have a pods row and the same 23 stored values as a probe (a data key; a scheme,
//! five documents and five log entries, each with its index entry), but 64-byte values:
//! two million full pods (about 2.6 MiB each, since a document is padded to at least 512 KiB)
//! do not fit on a test machine. The pods table and the values index therefore have their full
//! size; only the out-of-line (TOAST) storage of large values holds just the probes' documents.

use std::sync::Arc;
use std::time::{Duration, Instant};

use age::secrecy::SecretString;
use age::x25519;
use base64::Engine as _;
use fetcher::FetchOptions;
use fetcher::login::DevLogin;
use pod::provider::config::Quotas;
use pod::provider::tenants::{Signup, Tenants};
use pod::store::KdfCost;
use pod::store::postgres::Database;
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

const PASSPHRASE: &str = "bench correct horse battery";
const PROBES: usize = 20;
const SEED: u64 = 21;
const FILLER_BATCH: i64 = 50_000;

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if std::env::args().any(|a| a == "--list") {
        println!("provider_scale: bench");
        return;
    }
    let Ok(url) = std::env::var("BETAALPOD_BENCH_DATABASE_URL") else {
        eprintln!("provider_scale: set BETAALPOD_BENCH_DATABASE_URL to a database whose name contains `bench`; skipped");
        return;
    };
    assert!(url.contains("bench"), "the bench empties its database; use one whose name contains `bench`");
    let target: i64 = std::env::var("BETAALPOD_BENCH_TENANTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run(url, target));
}

fn sql(database: &Database, statement: String) {
    let pool = database.pool();
    database.run(async move {
        let client = pool.get().await.unwrap();
        client.batch_execute(&statement).await.unwrap();
    });
}

fn scalar(database: &Database, query: &'static str) -> i64 {
    let pool = database.pool();
    database.run(async move {
        let client = pool.get().await.unwrap();
        client.query_one(query, &[]).await.unwrap().get(0)
    })
}

fn table_bytes(database: &Database) -> i64 {
    scalar(
        database,
        "SELECT CAST(pg_total_relation_size('betaalpod_values') + pg_total_relation_size('betaalpod_pods') AS BIGINT)",
    )
}

/// Adds filler pods until there are `until` pods in all.
fn fill(database: &Database, until: i64) {
    let mut have = scalar(database, "SELECT count(*) FROM betaalpod_pods");
    let started = Instant::now();
    while have < until {
        let (from, to) = (have, (have + FILLER_BATCH).min(until) - 1);
        sql(
            database,
            format!(
                "INSERT INTO betaalpod_pods (pod_id, created_at, recipient, identity, recovery) \
                 SELECT decode(md5('filler' || g), 'hex'), now(), 'age1filler', decode(repeat('ab', 200), 'hex'), decode(repeat('cd', 200), 'hex') \
                 FROM generate_series({from}, {to}) g; \
                 INSERT INTO betaalpod_values (pod_id, space, key, value) \
                 SELECT decode(md5('filler' || g), 'hex'), s.space, decode(md5('k' || g || '-' || s.n), 'hex'), decode(repeat(md5(g || '-' || s.n), 4), 'hex') \
                 FROM generate_series({from}, {to}) g, \
                 (VALUES (0,0),(1,1),(1,2),(1,3),(1,4),(1,5),(1,6),(1,7),(1,8),(1,9),(1,10),(1,11),(2,1),(2,2),(2,3),(2,4),(2,5),(2,6),(2,7),(2,8),(2,9),(2,10),(2,11)) AS s(space, n);"
            ),
        );
        have = to + 1;
        if have % 500_000 < FILLER_BATCH {
            eprintln!("  {have} pods ({:.0} s)", started.elapsed().as_secs_f64());
        }
    }
    sql(database, "ANALYZE betaalpod_pods; ANALYZE betaalpod_values;".to_owned());
}

/// Unlock and overview for every probe, `rounds` times; returns the median and the 95th
/// percentile in milliseconds.
fn time_unlock_and_overview(tenants: &Tenants, probes: &[[u8; 16]], rounds: usize) -> (f64, f64) {
    let mut times = Vec::new();
    let passphrase = SecretString::from(PASSPHRASE.to_owned());
    for _ in 0..rounds {
        for probe in probes {
            let started = Instant::now();
            let pod = tenants.unlock(*probe, &passphrase).unwrap();
            let overview = pod.overview(chrono::Utc::now().date_naive(), chrono::Utc::now()).unwrap();
            assert!(!overview.organisations.is_empty());
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() * 95 / 100])
}

async fn run(url: String, target: i64) {
    let database = Database::connect(&url, 8).unwrap();
    sql(
        &database,
        "DROP TABLE IF EXISTS betaalpod_values; DROP TABLE IF EXISTS betaalpod_pods; DROP TABLE IF EXISTS betaalpod_schema;"
            .to_owned(),
    );
    drop(database);
    let database = Database::connect(&url, 8).unwrap();
    let tenants = Arc::new(Tenants::new(database.clone(), &Quotas::default()));

    // Five real organisations, and the probes fetched from them the real way.
    let tmp = tempfile::tempdir().unwrap();
    let mut orgs = Vec::new();
    for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak, DemoOrg::Bd, DemoOrg::Uwv] {
        orgs.push(
            LocalOrganisation::start(org, PROBES, SEED, &tmp.path().join(org.short()))
                .await
                .unwrap(),
        );
    }
    let descriptors: Vec<_> = orgs.iter().map(|o| o.descriptor().unwrap()).collect();
    let before = table_bytes(&database);
    let mut probes = Vec::new();
    let mut documents = 0;
    for index in 0..PROBES {
        let identity = x25519::Identity::generate();
        let wrap = |secret: &str| {
            base64::engine::general_purpose::STANDARD.encode(pod::store::keys::wrap_identity(
                &identity,
                &SecretString::from(secret.to_owned()),
                KdfCost::InsecureForTests,
            ))
        };
        let pod_id = tenants
            .create(&Signup {
                recipient: identity.to_public().to_string(),
                identity: wrap(PASSPHRASE),
                recovery: wrap("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH"),
            })
            .unwrap();
        let pod = tenants.unlock(pod_id, &SecretString::from(PASSPHRASE.to_owned())).unwrap();
        let mut scheme = pod.scheme().unwrap();
        for descriptor in &descriptors {
            scheme.pin(descriptor.clone());
        }
        pod.save_scheme(&scheme).unwrap();
        let (bsn, pin) = demo_data::citizen(SEED, index);
        let options = FetchOptions::new("http://127.0.0.1:49152/oauth/callback".parse().unwrap());
        let fetched = pod::fetching::fetch_and_store(&pod, &descriptors, &DevLogin::new(bsn.to_string(), pin), &options, None)
            .await
            .unwrap();
        documents += fetched.iter().filter(|f| f.result.is_ok()).count();
        probes.push(pod_id);
    }
    sql(&database, "ANALYZE betaalpod_pods; ANALYZE betaalpod_values;".to_owned());
    let probe_bytes = table_bytes(&database) - before;
    let sizes = {
        let pool = database.pool();
        database.run(async move {
            let client = pool.get().await.unwrap();
            let row = client
                .query_one(
                    "SELECT CAST(sum(octet_length(value)) AS BIGINT), count(*) FROM betaalpod_values",
                    &[],
                )
                .await
                .unwrap();
            (row.get::<_, i64>(0), row.get::<_, i64>(1))
        })
    };
    println!("probe pods: {PROBES}, {documents} documents fetched from 5 organisations");
    println!(
        "bytes per pod on disk (tables, indexes and TOAST): {} ({:.2} MiB); sealed values alone: {} in {} values per pod",
        probe_bytes / PROBES as i64,
        probe_bytes as f64 / PROBES as f64 / 1048576.0,
        sizes.0 / PROBES as i64,
        sizes.1 / PROBES as i64
    );

    fill(&database, 1_000);
    let _ = time_unlock_and_overview(&tenants, &probes, 1);
    let small = time_unlock_and_overview(&tenants, &probes, 5);
    println!("1,000 pods: unlock + overview median {:.2} ms, p95 {:.2} ms", small.0, small.1);

    let started = Instant::now();
    fill(&database, target);
    println!("filled to {target} pods in {:.0} s", started.elapsed().as_secs_f64());
    let _ = time_unlock_and_overview(&tenants, &probes, 1);
    let large = time_unlock_and_overview(&tenants, &probes, 5);
    println!(
        "{target} pods: unlock + overview median {:.2} ms, p95 {:.2} ms; ratio to 1,000 pods: {:.2} (median), {:.2} (p95)",
        large.0,
        large.1,
        large.0 / small.0,
        large.1 / small.1
    );
    println!(
        "database size at {target} pods: {:.1} GiB",
        table_bytes(&database) as f64 / 1073741824.0
    );
    let scrypt = {
        let identity = x25519::Identity::generate();
        let wrapped = pod::store::keys::wrap_identity(&identity, &SecretString::from(PASSPHRASE.to_owned()), KdfCost::Standard);
        let started = Instant::now();
        pod::store::keys::unwrap_identity(&wrapped, &SecretString::from(PASSPHRASE.to_owned()), "bench").unwrap();
        started.elapsed()
    };
    println!(
        "(probes use a cheap scrypt so the database's part shows; a real passphrase adds {:.0} ms of scrypt per unlock, the same at any scale)",
        scrypt.as_secs_f64() * 1000.0
    );

    // Overviews per second across the probes, from one provider process and from two.
    let one = overviews_per_second(&url, &probes, 1).await;
    let two = overviews_per_second(&url, &probes, 2).await;
    println!(
        "overview requests per second across {PROBES} pods: 1 process {one:.0}/s, 2 processes {two:.0}/s, ratio {:.2}",
        two / one
    );
}

struct Server {
    child: std::process::Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `count` provider processes behind one public address and measures overview requests
/// per second over 10 s, each probe pod unlocked on one of them.
async fn overviews_per_second(url: &str, probes: &[[u8; 16]], count: usize) -> f64 {
    use std::io::BufRead;
    let public = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = public.local_addr().unwrap().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("provider.toml");
    std::fs::write(
        &config,
        format!("listen = \"127.0.0.1:0\"\npublic_url = \"http://{host}\"\ndatabase_url = \"{url}\"\npool_size = 8\n"),
    )
    .unwrap();
    let servers: Vec<Server> = (0..count)
        .map(|_| {
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pod"))
                .args(["provider", "serve", "--config"])
                .arg(&config)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let mut line = String::new();
            std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
            let addr = line.split("listening on ").nth(1).unwrap().split(' ').next().unwrap().to_owned();
            Server { child, addr }
        })
        .collect();
    let mut sessions = Vec::new();
    for (n, probe) in probes.iter().enumerate() {
        let server = &servers[n % count];
        let id: String = probe.iter().map(|b| format!("{b:02x}")).collect();
        let base = format!("http://{}/p/{id}", server.addr);
        let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let csrf: serde_json::Value = client
            .get(format!("{base}/api/csrf"))
            .header("host", &host)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let unlocked = client
            .post(format!("{base}/api/unlock"))
            .header("host", &host)
            .header("x-csrf-token", csrf["csrf"].as_str().unwrap())
            .json(&serde_json::json!({"passphrase": PASSPHRASE}))
            .send()
            .await
            .unwrap();
        assert_eq!(unlocked.status(), 200);
        sessions.push((client, base));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let workers: Vec<_> = (0..16)
        .map(|w| {
            let sessions = sessions.clone();
            let host = host.clone();
            tokio::spawn(async move {
                let mut done = 0u64;
                let mut n = w;
                while Instant::now() < deadline {
                    let (client, base) = &sessions[n % sessions.len()];
                    let answer = client.get(format!("{base}/api/overview")).header("host", &host).send().await.unwrap();
                    assert_eq!(answer.status(), 200);
                    answer.bytes().await.unwrap();
                    done += 1;
                    n += 1;
                }
                done
            })
        })
        .collect();
    let mut total = 0;
    for worker in workers {
        total += worker.await.unwrap();
    }
    drop(servers);
    drop(public);
    total as f64 / 10.0
}
