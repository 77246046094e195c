//! What the citizen's `pod` binary links. A pod provider's multi-tenant server lives in
//! `provider/`; the citizen's binary carries no database client for it.

#[test]
fn the_pod_links_no_postgresql_client_and_no_provider_server() {
    let output = std::process::Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--locked", "-p", "pod", "-e", "normal,build", "--prefix", "none"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let tree = String::from_utf8(output.stdout).expect("cargo tree prints UTF-8");
    let crates: std::collections::BTreeSet<&str> = tree.lines().filter_map(|l| l.split(' ').next()).collect();
    assert!(crates.contains("sled") && crates.contains("age"), "the tree was read: {crates:?}");
    for forbidden in ["tokio-postgres", "postgres-protocol", "deadpool-postgres", "provider"] {
        assert!(!crates.contains(forbidden), "the pod links {forbidden}");
    }
}
