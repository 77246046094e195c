//! The `source` binary's commands as an operator runs them.

mod common;

use std::process::{Command, Output};

fn source(args: &[&str], dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_source"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn keygen_never_overwrites_and_demo_data_is_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(source(&["keygen", "--out", "k.key"], dir).status.success());
    let key = std::fs::read(dir.join("k.key")).unwrap();
    let again = source(&["keygen", "--out", "k.key"], dir);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("refusing to overwrite"));
    assert_eq!(std::fs::read(dir.join("k.key")).unwrap(), key);

    for out in ["a.json", "b.json"] {
        let made = source(
            &[
                "demo-data",
                "--org",
                "duo",
                "--citizens",
                "6",
                "--seed",
                "9",
                "--date",
                "2026-11-01",
                "--out",
                out,
            ],
            dir,
        );
        assert!(made.status.success(), "{}", text(&made.stderr));
    }
    assert_eq!(
        std::fs::read(dir.join("a.json")).unwrap(),
        std::fs::read(dir.join("b.json")).unwrap()
    );
    let bad_date = source(&["demo-data", "--org", "duo", "--date", "1-11-2026", "--out", "c.json"], dir);
    assert_eq!(bad_date.status.code(), Some(2), "clap refuses a date that is not YYYY-MM-DD");
    assert!(text(&bad_date.stderr).contains("--date"), "{}", text(&bad_date.stderr));
    let unknown = source(&["demo-data", "--org", "nasa", "--out", "c.json"], dir);
    assert_eq!(unknown.status.code(), Some(2), "clap refuses unknown organisations");
}

#[test]
fn serve_refuses_a_broken_config_with_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("bad.toml"), "listen = \"127.0.0.1:0\"\nfoo = 1\n").unwrap();
    let out = source(&["serve", "--config", "bad.toml"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("bad.toml is not a valid config"),
        "{}",
        text(&out.stderr)
    );

    let config = common::write_config(tmp.path(), "00000001001234567000", "");
    std::fs::write(
        tmp.path().join("data.json"),
        b"{\"123456789\": {\"pin\": \"1\", \"document\": {}}}",
    )
    .unwrap();
    let out = source(&["serve", "--config", config.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("BSN"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn operators_list_and_decide_arrangements() {
    let server = common::TestServer::start().await;
    let token = common::token_for(&server, 0, "arrangement:submit").await;
    let part = serde_json::json!({
        "format": "betaalpod-arrangement-part/1", "arrangement_id": "a1", "organisation": "00000001001234567000",
        "start_month": "2027-01", "term_months": 3, "pause": null,
        "claims": [{"ref": "Z-1", "outstanding_cents": 3000, "monthly_cents": 1000}],
        "monthly_cents": 1000, "plan_monthly_total_cents": 1000, "organisations_in_plan": 1
    });
    let response = server
        .http
        .post(format!("{}/arrangements", server.url))
        .bearer_auth(&token)
        .json(&part)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let config = server.dir.join("source.toml");
    let list = source(
        &["arrangements", "list", "--config", config.to_str().unwrap()],
        &server.dir,
    );
    let listing = text(&list.stdout);
    assert!(
        listing.contains("received") && listing.contains("3 month(s) from 2027-01"),
        "{listing}"
    );
    let id = listing.split_whitespace().next().unwrap().to_owned();

    let no_reason = source(
        &[
            "arrangements",
            "decide",
            &id,
            "--reject",
            "--config",
            config.to_str().unwrap(),
        ],
        &server.dir,
    );
    assert_eq!(no_reason.status.code(), Some(1));
    assert!(text(&no_reason.stderr).contains("--reason"));
    let rejected = source(
        &[
            "arrangements",
            "decide",
            &id,
            "--reject",
            "--reason",
            "Eerst inkomensgegevens sturen",
            "--config",
            config.to_str().unwrap(),
        ],
        &server.dir,
    );
    assert!(rejected.status.success(), "{}", text(&rejected.stderr));
    let stored = server.state.arrangements.find(&id).unwrap().unwrap();
    assert_eq!(stored.state, schemas::arrangement::ArrangementState::Rejected);
    assert_eq!(stored.reason.as_deref(), Some("Eerst inkomensgegevens sturen"));
    let unknown = source(
        &[
            "arrangements",
            "decide",
            "0123456789abcdef0123456789abcdef",
            "--accept",
            "--config",
            config.to_str().unwrap(),
        ],
        &server.dir,
    );
    assert_eq!(unknown.status.code(), Some(1));
}
