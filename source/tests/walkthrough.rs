//! The by-hand flow of docs/PROTOCOL.md, run for real: `scripts/source-walkthrough` drives the
//! `source` binary with curl and decrypts the answer with Debian's `age -d`, proving that any
//! standard age implementation can open what the server sends.

use std::process::Command;

#[test]
fn the_documented_walkthrough_works_with_standard_tools() {
    for tool in ["age", "age-keygen", "curl", "openssl", "python3"] {
        assert!(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .unwrap()
                .status
                .success(),
            "{tool} is missing; scripts/test installs it"
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let work = tempfile::tempdir().unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/source-walkthrough");
    let output = Command::new("bash")
        .arg(script)
        .arg(work.path().join("flow"))
        .env("SOURCE_BIN", env!("CARGO_BIN_EXE_source"))
        .env("PORT", port.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("claims: HTTP 200, application/age"), "{stdout}");
    assert!(stdout.contains("\"typ\":\"betaalpod-claims+jwt\""), "{stdout}");
    assert!(stdout.contains("nonce matches | matters: 2"), "{stdout}");
}
