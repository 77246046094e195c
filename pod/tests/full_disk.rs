//! A disk that fills up: the fetch ends with an error that says the disk is full, nothing stored
//! before is lost, and the pod opens again once there is room (on the full disk it says why it
//! cannot), and takes the fetch. The pod lives on a small filesystem made for the test: a tmpfs with a size limit.
//! Where this machine may not mount one, the test says so and checks nothing, rather than
//! pretend.

use std::path::Path;
use std::process::Command;

use age::secrecy::SecretString;
use fetcher::FetchOptions;
use fetcher::login::DevLogin;
use pod::store::{KdfCost, PodDir, RecordKind};
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

const SEED: u64 = 4;

fn secret() -> SecretString {
    SecretString::from("correct horse battery staple".to_owned())
}

/// A tmpfs of `kib` KiB at `at`, unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(at: &Path, kib: u64) -> Option<Self> {
        std::fs::create_dir_all(at).ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(at)
            .status()
            .ok()?
            .success();
        mounted.then(|| Self(at.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Fills the disk at `dir` until at most `leave` bytes are free.
fn fill(dir: &Path, leave: u64) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 4096];
    loop {
        let free = fs_free(dir);
        if free <= leave {
            break;
        }
        let n = chunk.len().min((free - leave) as usize).max(1);
        if file.write_all(&chunk[..n]).is_err() {
            break;
        }
        let _ = file.flush();
    }
    path
}

fn fs_free(dir: &Path) -> u64 {
    let output = Command::new("df").args(["-B1", "--output=avail"]).arg(dir).output().unwrap();
    String::from_utf8_lossy(&output.stdout).lines().nth(1).unwrap().trim().parse().unwrap()
}

/// Runs `step` of this test in a child process (this test binary again), as a separate run of
/// Betaalpod would: a store whose write failed stays open until its process ends.
fn in_child(step: &str, dir: &Path, extra: &str) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_full_disk_during_a_fetch_is_a_clear_error_and_loses_nothing", "--nocapture"])
        .env("FULL_DISK_STEP", step)
        .env("FULL_DISK_POD", dir)
        .env("FULL_DISK_EXTRA", extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "step {step}: {stdout}{}", String::from_utf8_lossy(&output.stderr));
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("step {step} said nothing: {stdout}"))
        .to_owned()
}

/// The child's side of [`in_child`].
async fn child_step(step: &str) {
    assert_eq!(step, "fill-then-fetch");
    let dir = PodDir::new(std::env::var("FULL_DISK_POD").unwrap());
    let pod = dir.unlock(&secret()).unwrap();
    // Records the citizen keeps, until the disk says no: the room the store set aside is used.
    let mut written = 0;
    let full = loop {
        let noise: Vec<u8> = (0..64 * 1024).map(|_| rand::random::<u8>()).collect();
        match pod.put(RecordKind::Settings, Some("ballast"), &noise) {
            Ok(_) => written += 1,
            Err(e) => break e.to_string(),
        }
        assert!(written < 200, "the store never ran out of room");
    };
    // Then the citizen fetches.
    let (bsn, pin) = demo_data::citizen(SEED, 0);
    let login = DevLogin::new(bsn.to_string(), pin);
    let options = FetchOptions::new("http://127.0.0.1:49152/oauth/callback".parse().unwrap());
    let descriptors: Vec<fetcher::Organisation> = serde_json::from_str(&std::env::var("FULL_DISK_EXTRA").unwrap()).unwrap();
    let fetched = match pod::fetching::fetch_and_store(&pod, &descriptors, &login, &options, None).await {
        Err(e) => e.to_string(),
        Ok(outcomes) => format!("stored {outcomes:?}"),
    };
    println!("RESULT {written}\t{full}\t{fetched}");
    // Ends here, as a process that ran into a full disk would.
    drop(pod);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_during_a_fetch_is_a_clear_error_and_loses_nothing() {
    if let Ok(step) = std::env::var("FULL_DISK_STEP") {
        return child_step(&step).await;
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(&tmp.path().join("disk"), 8 * 1024) else {
        eprintln!("SKIPPED: this machine does not let the test mount a small tmpfs");
        return;
    };
    let mut orgs = Vec::new();
    for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak] {
        orgs.push(LocalOrganisation::start(org, 3, SEED, &tmp.path().join(org.short())).await.unwrap());
    }
    let descriptors: Vec<_> = orgs.iter().map(|o| o.descriptor().unwrap()).collect();
    let dir = PodDir::new(disk.0.join("pod"));
    dir.init(&secret(), KdfCost::InsecureForTests).unwrap();
    let pod = dir.unlock(&secret()).unwrap();
    let mut scheme = pod::scheme::load(&pod).unwrap();
    for descriptor in &descriptors {
        scheme.pin(descriptor.clone());
    }
    pod::scheme::save(&pod, &scheme).unwrap();
    let kept = pod.put(RecordKind::Settings, Some("lang"), b"nl").unwrap();
    drop(pod);

    let before = dir.unlock(&secret()).unwrap().index().unwrap();

    // Fill the disk but for a little room for opening the store; a run of Betaalpod fills the
    // rest with records the citizen keeps, then the citizen fetches.
    let filler = fill(&disk.0, 1024 * 1024);
    let answer = in_child("fill-then-fetch", dir.root(), &serde_json::to_string(&descriptors).unwrap());
    let [written, full, fetched] = answer.splitn(3, '\t').collect::<Vec<_>>()[..] else { panic!("{answer}") };
    let written: usize = written.parse().unwrap();
    assert!(full.starts_with("the disk is full"), "{full}");
    assert!(fetched.starts_with("the disk is full"), "the fetch says so: {fetched}");
    assert!(fetched.contains("everything stored before is kept"), "{fetched}");

    // On the full disk the store cannot even open, and says why.
    let message = dir.unlock(&secret()).unwrap_err().to_string();
    assert!(message.starts_with("the disk is full"), "{message}");

    // With room again, the pod opens with everything stored before: nothing is lost.
    std::fs::remove_file(filler).unwrap();
    let pod = dir.unlock(&secret()).unwrap();
    let after = pod.index().unwrap();
    assert_eq!(after.len(), before.len() + written, "every record stored before the disk was full");
    assert!(before.iter().all(|record| after.contains(record)));
    assert_eq!(pod.get(&kept).unwrap().payload.as_slice(), b"nl");
    assert_eq!(pod::verify::whole_pod(&pod).unwrap(), after.len());
    drop(pod);

    // And the same fetch is stored.
    let pod = dir.unlock(&secret()).unwrap();
    let (bsn, pin) = demo_data::citizen(SEED, 0);
    let login = DevLogin::new(bsn.to_string(), pin);
    let options = FetchOptions::new("http://127.0.0.1:49152/oauth/callback".parse().unwrap());
    let outcomes = pod::fetching::fetch_and_store(&pod, &descriptors, &login, &options, None).await.unwrap();
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    assert_eq!(pod.latest_documents().unwrap().len(), 3);
}
