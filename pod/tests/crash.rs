//! Crash safety: a writer process is killed with SIGKILL at random moments, again and again.
//! Afterwards the pod must open, every record the writer reported as committed must decrypt,
//! and no half-written record, nor part of a batch, may be visible.
//!
//! The writer is this test binary itself, re-run with `POD_CRASH_WRITER_DIR` set.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use age::secrecy::SecretString;
use pod::store::{KdfCost, PodDir, RecordId, RecordKind};
use rand::Rng;

const PASSPHRASE: &str = "correct horse battery staple";
const ROUNDS: usize = 50;

fn secret() -> SecretString {
    SecretString::from(PASSPHRASE.to_owned())
}

/// The payload the writer stores as record number `n`: recognisable, and 2 KiB or more.
fn payload(n: u64) -> Vec<u8> {
    format!("record {n} ").repeat(200 + (n % 50) as usize).into_bytes()
}

/// Child mode: write records forever, printing each id once its commit has returned.
#[test]
fn crash_writer_child() {
    let Ok(dir) = std::env::var("POD_CRASH_WRITER_DIR") else {
        return; // Only runs as the child of `kill_9_during_writes_never_loses_or_tears_a_record`.
    };
    let start: u64 = std::env::var("POD_CRASH_WRITER_START").unwrap().parse().unwrap();
    let pod = PodDir::new(dir).unlock(&secret()).expect("the child unlocks");
    println!("ready");
    let mut n = start;
    loop {
        if n.is_multiple_of(4) {
            // A batch, as a fetch writes: three records in one commit, all or none.
            let mut batch = pod::store::Batch::default();
            let staged: Vec<(u64, RecordId)> = (n..n + 3)
                .map(|m| (m, pod.stage(&mut batch, RecordKind::FetchLog, Some("cjib"), &payload(m))))
                .collect();
            let listed: Vec<String> = staged.iter().map(|(m, id)| format!("{m} {id}")).collect();
            println!("staged {}", listed.join(" "));
            pod.commit(batch).expect("write");
            for (m, id) in staged {
                println!("committed {m} {id}");
            }
            n += 3;
        } else {
            let kind = if n.is_multiple_of(3) {
                RecordKind::Arrangement
            } else {
                RecordKind::FetchLog
            };
            let id = pod.put(kind, Some("cjib"), &payload(n)).expect("write");
            println!("committed {n} {id}");
            n += 1;
        }
    }
}

#[test]
fn kill_9_during_writes_never_loses_or_tears_a_record() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = PodDir::new(tmp.path().join("pod"));
    dir.init(&secret(), KdfCost::InsecureForTests).unwrap();
    let mut committed: Vec<(u64, RecordId)> = Vec::new();
    let mut staged_batches: Vec<Vec<RecordId>> = Vec::new();
    let mut rng = rand::thread_rng();

    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_writer_child", "--nocapture", "--test-threads=1"])
            .env("POD_CRASH_WRITER_DIR", dir.root())
            .env("POD_CRASH_WRITER_START", (round * 100_000).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut committed = Vec::new();
            let mut batches = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // The harness prints "test crash_writer_child ... " on the same line first.
                if line.ends_with("ready") {
                    let _ = ready_tx.send(());
                } else if let Some(rest) = line.strip_prefix("committed ")
                    && let Some((n, id)) = rest.split_once(' ')
                    && let (Ok(n), Some(id)) = (n.parse::<u64>(), RecordId::parse(id))
                {
                    committed.push((n, id));
                } else if let Some(rest) = line.strip_prefix("staged ") {
                    let words: Vec<&str> = rest.split(' ').collect();
                    let ids: Vec<RecordId> = words.chunks(2).filter_map(|pair| RecordId::parse(pair.get(1)?)).collect();
                    if ids.len() == 3 {
                        batches.push(ids);
                    }
                }
            }
            (committed, batches)
        });
        // A random moment: in every fifth round from the start (often during unlock), else in
        // the middle of writing. Counted from when the child is unlocked, so that a slow, busy
        // machine still kills writers, not processes that are starting.
        if round % 5 != 0 {
            ready.recv_timeout(Duration::from_secs(60)).expect("the child unlocks within a minute");
        }
        std::thread::sleep(Duration::from_millis(rng.gen_range(5..120)));
        child.kill().unwrap(); // SIGKILL on Unix.
        child.wait().unwrap();
        let (committed_now, batches) = reader.join().unwrap();
        committed.extend(committed_now);
        staged_batches.extend(batches);

        let pod = dir.unlock(&secret()).unwrap_or_else(|e| {
            // Keep the damaged pod for whoever investigates (CI keeps target/).
            let evidence = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("crash-evidence-{round}"));
            let _ = Command::new("cp").arg("-r").arg(dir.root()).arg(&evidence).status();
            panic!("round {round}: the pod does not open: {e} (copied to {})", evidence.display())
        });
        let total = pod::verify::whole_pod(&pod).unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert!(
            total >= committed.len(),
            "round {round}: {total} records, {} reported committed",
            committed.len()
        );
        for (n, id) in &committed {
            let record = pod
                .get(id)
                .unwrap_or_else(|e| panic!("round {round}: committed record {n} is lost: {e}"));
            assert_eq!(
                record.payload.as_slice(),
                payload(*n).as_slice(),
                "round {round}: record {n} changed"
            );
        }
        // A batch is all there or not there at all, wherever the kill fell.
        for batch in &staged_batches {
            let present = batch.iter().filter(|id| pod.get(id).is_ok()).count();
            assert!(present == 0 || present == batch.len(), "round {round}: {present} of a batch of 3 survived");
        }
        // Every visible record is whole: it is one of the writer's payloads, exactly.
        for (id, entry) in pod.index().unwrap() {
            let record = pod.get(&id).unwrap();
            let text = String::from_utf8(record.payload.to_vec()).expect("a whole record");
            let n: u64 = text.split(' ').nth(1).unwrap().parse().unwrap();
            assert_eq!(
                record.payload.as_slice(),
                payload(n).as_slice(),
                "round {round}: torn record"
            );
            assert_eq!(entry.len, record.payload.len() as u64);
        }
    }
    assert!(!staged_batches.is_empty(), "the writer should have written batches");
    assert!(
        committed.len() > ROUNDS,
        "the writer should have committed records in most rounds ({})",
        committed.len()
    );
}
