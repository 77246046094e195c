//! Pod management: init, history, forget, passphrase, rotate-key, recover, backup, restore.

use std::path::PathBuf;

use age::secrecy::ExposeSecret;
use pod::store::{KdfCost, Notice, PodDir, UnlockedPod};

use super::secrets;

/// Which pod: `--dir DIR`, or `BETAALPOD_DIR`, or the default data folder.
#[derive(Debug, clap::Args)]
pub struct DirArgs {
    /// The pod folder [default: $XDG_DATA_HOME/betaalpod or the platform's data folder]
    #[arg(long, env = "BETAALPOD_DIR", value_name = "DIR")]
    dir: Option<PathBuf>,
}

impl DirArgs {
    /// The pod this command works on.
    pub fn pod(&self) -> PodDir {
        PodDir::new(self.dir.clone().unwrap_or_else(PodDir::default_location))
    }
}

/// Unlocks with `POD_PASSPHRASE` or a prompt, and prints any notices from unlocking.
pub fn unlock(dir: &DirArgs) -> anyhow::Result<UnlockedPod> {
    let pod_dir = dir.pod();
    if !pod_dir.exists() {
        anyhow::bail!(
            "there is no pod in {0}; create one with `pod init --dir {0}`",
            pod_dir.root().display()
        );
    }
    let mut pod = pod_dir.unlock(&secrets::passphrase()?)?;
    print_notices(&mut pod);
    Ok(pod)
}

fn print_notices(pod: &mut UnlockedPod) {
    for notice in pod.take_notices() {
        match notice {
            Notice::RotationRolledBack => {
                eprintln!("note: an interrupted key rotation was undone; your old key is still in use.")
            }
            Notice::RotationCompleted { recovery_code } => {
                eprintln!(
                    "note: an interrupted key rotation was completed. Your NEW recovery code (write it down, shown once):"
                );
                eprintln!("    {}", recovery_code.expose_secret());
            }
            Notice::StoreBound => eprintln!(
                "note: your pod's store is now bound to your key and keeps a list of its records, so a store made by someone else, a deleted record or an older copy is noticed from now on."
            ),
        }
    }
}

/// Arguments of `pod verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// Accept a store older than the one this machine saw last, because you put that older copy
    /// in place yourself (from your own backup). Without it, an older copy is refused.
    #[arg(long)]
    accept_rollback: bool,
}

/// `pod verify`: opens every record and checks the store against its manifest.
pub fn verify(args: &VerifyArgs) -> anyhow::Result<()> {
    let pod_dir = args.dir.pod();
    let passphrase = secrets::passphrase()?;
    let mut pod = if args.accept_rollback {
        pod_dir.unlock_accepting_rollback(&passphrase)?
    } else {
        pod_dir.unlock(&passphrase)?
    };
    print_notices(&mut pod);
    let records = pod::verify::whole_pod(&pod)?;
    println!(
        "Checked {records} record(s): the store is bound to your key, holds exactly the records its manifest lists, is not older than this machine saw it, and every record decrypts."
    );
    Ok(())
}

/// `pod init`.
pub fn init(dir: &DirArgs) -> anyhow::Result<()> {
    let pod_dir = dir.pod();
    if pod_dir.exists() {
        anyhow::bail!(
            "{} already holds a pod; Betaalpod never overwrites one (choose another --dir)",
            pod_dir.root().display()
        );
    }
    let passphrase = secrets::new_passphrase("POD_PASSPHRASE")?;
    let created = pod_dir.init(&passphrase, KdfCost::Standard)?;
    println!("Created a pod in {}.", pod_dir.root().display());
    println!();
    println!("Your recovery code. Write it down now and keep it somewhere safe; it is shown only this once:");
    println!();
    println!("    {}", created.recovery_code.expose_secret());
    println!();
    println!("Nobody but you can recover this pod: there is no operator, no reset link and no back door.");
    println!("If you lose both your passphrase and this code, nobody can open your data, not even us.");
    println!();
    println!("Your public key (organisations encrypt your data to it):");
    println!("{}", created.recipient);
    Ok(())
}

/// Arguments of `pod history`.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// Only snapshots from this organisation.
    #[arg(long, value_name = "ID")]
    source: Option<String>,
}

/// `pod history`: every stored snapshot, oldest first; the latest per source is marked.
pub fn history(args: &HistoryArgs) -> anyhow::Result<()> {
    let pod = unlock(&args.dir)?;
    let latest: Vec<_> = pod.latest_documents()?.into_values().map(|(id, _)| id).collect();
    let snapshots = pod.history(args.source.as_deref())?;
    if snapshots.is_empty() {
        println!("No documents stored yet.");
        return Ok(());
    }
    println!(
        "{:<24} {:<26} {:<32} {:>8}  latest",
        "source", "stored at", "record", "bytes"
    );
    for (id, entry) in snapshots {
        println!(
            "{:<24} {:<26} {:<32} {:>8}  {}",
            entry.source.as_deref().unwrap_or("-"),
            entry.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            id,
            entry.len,
            if latest.contains(&id) { "yes" } else { "" }
        );
    }
    Ok(())
}

/// Arguments of `pod forget`.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false, id = "what")]
pub struct ForgetArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// Delete every record from this organisation.
    #[arg(long, value_name = "ID", group = "what")]
    source: Option<String>,
    /// Destroy the whole pod: keys first, then all data.
    #[arg(long, group = "what")]
    all: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    yes: bool,
}

/// `pod forget --source ID | --all`.
pub fn forget(args: &ForgetArgs) -> anyhow::Result<()> {
    if args.all {
        let pod_dir = args.dir.pod();
        secrets::confirm(
            &format!(
                "This destroys the pod in {} for good, keys and all data.",
                pod_dir.root().display()
            ),
            "forget",
            args.yes,
        )?;
        pod_dir.forget_all()?;
        println!("The pod in {} is destroyed.", pod_dir.root().display());
        return Ok(());
    }
    let source = args.source.as_deref().unwrap_or_default();
    let pod = unlock(&args.dir)?;
    secrets::confirm(
        &format!("This deletes every stored record from {source:?}, history included."),
        "forget",
        args.yes,
    )?;
    let removed = pod.forget_source(source)?;
    println!("Deleted {removed} record(s) from {source:?}.");
    Ok(())
}

/// `pod passphrase`: `POD_PASSPHRASE` is the current one, `POD_NEW_PASSPHRASE` the new one.
pub fn passphrase(dir: &DirArgs) -> anyhow::Result<()> {
    let pod_dir = dir.pod();
    let old = secrets::passphrase()?;
    let new = secrets::new_passphrase("POD_NEW_PASSPHRASE")?;
    pod_dir.change_passphrase(&old, &new, KdfCost::Standard)?;
    println!("Passphrase changed. Your recovery code still works.");
    Ok(())
}

/// `pod rotate-key`.
pub fn rotate_key(dir: &DirArgs) -> anyhow::Result<()> {
    let passphrase = secrets::passphrase()?;
    let pod = dir.pod().unlock(&passphrase)?;
    let rotated = pod.rotate_key(&passphrase, KdfCost::Standard)?;
    println!("Your key is replaced; the old one is destroyed. Your passphrase stays the same.");
    println!("Your NEW recovery code (the old one no longer works; shown only this once):");
    println!();
    println!("    {}", rotated.recovery_code.expose_secret());
    println!();
    println!("Your new public key:");
    println!("{}", rotated.recipient);
    Ok(())
}

/// `pod recover`: `POD_RECOVERY_CODE`, then `POD_NEW_PASSPHRASE`.
pub fn recover(dir: &DirArgs) -> anyhow::Result<()> {
    let pod_dir = dir.pod();
    let code = secrets::recovery_code()?;
    let new = secrets::new_passphrase("POD_NEW_PASSPHRASE")?;
    let new_code = pod_dir.recover(&code, &new, KdfCost::Standard)?;
    println!("Your new passphrase is set.");
    println!("Your NEW recovery code (the old one no longer works; shown only this once):");
    println!();
    println!("    {}", new_code.expose_secret());
    Ok(())
}

/// Arguments of `pod backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// Where to write the backup (must not exist).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// `pod backup --out FILE`: needs no passphrase; the file holds only ciphertext.
pub fn backup(args: &BackupArgs) -> anyhow::Result<()> {
    let records = args.dir.pod().backup(&args.out)?;
    println!(
        "Wrote {} with {records} record(s). It holds only ciphertext; you need your passphrase to restore it.",
        args.out.display()
    );
    Ok(())
}

/// Arguments of `pod restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// The backup file.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
}

/// `pod restore --from FILE`: verified with the passphrase before anything is written.
pub fn restore(args: &RestoreArgs) -> anyhow::Result<()> {
    let pod_dir = args.dir.pod();
    let passphrase = secrets::passphrase()?;
    let records = pod_dir.restore(&args.from, &passphrase)?;
    println!(
        "Restored {records} record(s) into {} and checked that every one decrypts.",
        pod_dir.root().display()
    );
    Ok(())
}
