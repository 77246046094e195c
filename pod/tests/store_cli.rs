//! The store commands as a user runs them: the real `pod` binary, real scrypt cost.

use std::path::Path;
use std::process::{Command, Output};

const PASSPHRASE: &str = "correct horse battery staple";

fn pod(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pod"));
    command
        .args(args)
        .env_remove("BETAALPOD_DIR")
        .env_remove("POD_PASSPHRASE")
        .env_remove("POD_NEW_PASSPHRASE");
    for (key, value) in envs {
        command.env(key, value);
    }
    command
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the pod binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn init(dir: &Path) -> Output {
    pod(
        &["init", "--dir", dir.to_str().unwrap()],
        &[("POD_PASSPHRASE", PASSPHRASE)],
    )
}

#[test]
fn init_prints_the_recipient_last_and_refuses_bad_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pod");

    let short = pod(
        &["init", "--dir", dir.to_str().unwrap()],
        &[("POD_PASSPHRASE", "too short")],
    );
    assert_eq!(short.status.code(), Some(1));
    assert!(
        text(&short.stderr).contains("use at least 12"),
        "{}",
        text(&short.stderr)
    );
    assert!(!dir.join("identity.age").exists());

    let out = init(&dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let last = stdout.lines().last().unwrap();
    assert!(
        last.starts_with("age1") && !last.contains(' '),
        "last line is the recipient: {last:?}"
    );
    assert!(stdout.contains("Nobody but you can recover this pod"), "{stdout}");
    let code_line = stdout
        .lines()
        .find(|l| l.trim().len() == 39 && l.trim().matches('-').count() == 7);
    assert!(code_line.is_some(), "a recovery code is shown: {stdout}");
    assert!(
        dir.join("identity.age").exists()
            && dir.join("identity.recovery.age").exists()
            && dir.join("pod.toml").exists()
    );

    let again = init(&dir);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("never overwrites"),
        "{}",
        text(&again.stderr)
    );

    // Wrong passphrase, then the env-var form of --dir.
    let wrong = pod(
        &["history", "--dir", dir.to_str().unwrap()],
        &[("POD_PASSPHRASE", "wrong wrong wrong")],
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert_eq!(text(&wrong.stderr).trim(), "error: wrong passphrase");
    let history = pod(
        &["history"],
        &[("POD_PASSPHRASE", PASSPHRASE), ("BETAALPOD_DIR", dir.to_str().unwrap())],
    );
    assert!(history.status.success(), "{}", text(&history.stderr));
    assert_eq!(text(&history.stdout).trim(), "No documents stored yet.");

    // No passphrase and no terminal: a clear error, not a hang.
    let no_secret = pod(&["history", "--dir", dir.to_str().unwrap()], &[]);
    assert_eq!(no_secret.status.code(), Some(1));
    assert!(
        text(&no_secret.stderr).contains("POD_PASSPHRASE"),
        "{}",
        text(&no_secret.stderr)
    );

    // A pod in use by another process.
    let held = pod::store::PodDir::new(&dir)
        .unlock(&age::secrecy::SecretString::from(PASSPHRASE.to_owned()))
        .unwrap();
    let busy = pod(
        &["history", "--dir", dir.to_str().unwrap()],
        &[("POD_PASSPHRASE", PASSPHRASE)],
    );
    assert_eq!(busy.status.code(), Some(1));
    assert!(
        text(&busy.stderr).contains(&format!("in use by pid {}", std::process::id())),
        "{}",
        text(&busy.stderr)
    );
    drop(held);

    // Backup needs no passphrase; restore checks it.
    let backup = tmp.path().join("pod.backup");
    let made = pod(
        &[
            "backup",
            "--dir",
            dir.to_str().unwrap(),
            "--out",
            backup.to_str().unwrap(),
        ],
        &[],
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
    let restored_dir = tmp.path().join("restored");
    let restored = pod(
        &[
            "restore",
            "--dir",
            restored_dir.to_str().unwrap(),
            "--from",
            backup.to_str().unwrap(),
        ],
        &[("POD_PASSPHRASE", PASSPHRASE)],
    );
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    assert!(text(&restored.stdout).contains("checked that every one decrypts"));

    // Forgetting needs confirmation.
    let unconfirmed = pod(&["forget", "--all", "--dir", dir.to_str().unwrap()], &[]);
    assert_eq!(unconfirmed.status.code(), Some(1));
    assert!(
        text(&unconfirmed.stderr).contains("--yes"),
        "{}",
        text(&unconfirmed.stderr)
    );
    assert!(
        dir.join("identity.age").exists(),
        "nothing was deleted without confirmation"
    );
    let forgotten = pod(&["forget", "--all", "--yes", "--dir", dir.to_str().unwrap()], &[]);
    assert!(forgotten.status.success(), "{}", text(&forgotten.stderr));
    assert!(!dir.join("identity.age").exists() && !dir.join("store").exists());
}

#[test]
fn passphrase_recover_and_rotate_key_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pod");
    let dir_arg = dir.to_str().unwrap();
    let out = init(&dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let code = text(&out.stdout)
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 39 && l.matches('-').count() == 7)
        .unwrap()
        .to_owned();

    let changed = pod(
        &["passphrase", "--dir", dir_arg],
        &[
            ("POD_PASSPHRASE", PASSPHRASE),
            ("POD_NEW_PASSPHRASE", "second long passphrase"),
        ],
    );
    assert!(changed.status.success(), "{}", text(&changed.stderr));
    let old = pod(&["history", "--dir", dir_arg], &[("POD_PASSPHRASE", PASSPHRASE)]);
    assert!(text(&old.stderr).contains("wrong passphrase"));

    let recovered = pod(
        &["recover", "--dir", dir_arg],
        &[
            ("POD_RECOVERY_CODE", code.as_str()),
            ("POD_NEW_PASSPHRASE", "third long passphrase"),
        ],
    );
    assert!(recovered.status.success(), "{}", text(&recovered.stderr));
    assert!(text(&recovered.stdout).contains("NEW recovery code"));
    let reused = pod(
        &["recover", "--dir", dir_arg],
        &[
            ("POD_RECOVERY_CODE", code.as_str()),
            ("POD_NEW_PASSPHRASE", "fourth long passphrase"),
        ],
    );
    assert_eq!(reused.status.code(), Some(1));
    assert!(
        text(&reused.stderr).contains("wrong recovery code"),
        "{}",
        text(&reused.stderr)
    );

    let before = std::fs::read_to_string(dir.join("pod.toml")).unwrap();
    let rotated = pod(
        &["rotate-key", "--dir", dir_arg],
        &[("POD_PASSPHRASE", "third long passphrase")],
    );
    assert!(rotated.status.success(), "{}", text(&rotated.stderr));
    let new_recipient = text(&rotated.stdout).lines().last().unwrap().to_owned();
    assert!(new_recipient.starts_with("age1"));
    assert!(!before.contains(&new_recipient));
    assert!(
        std::fs::read_to_string(dir.join("pod.toml"))
            .unwrap()
            .contains(&new_recipient)
    );
    let history = pod(
        &["history", "--dir", dir_arg],
        &[("POD_PASSPHRASE", "third long passphrase")],
    );
    assert!(history.status.success(), "{}", text(&history.stderr));
}
