//! Arrangement intake: submit a part, read its signed status, an operator decides, and an
//! accepted arrangement shows up in the next claim document.

mod common;

use common::*;
use schemas::arrangement::{ArrangementReceipt, ArrangementState, ArrangementStatus};

fn part(organisation: &str, case_ref: &str) -> serde_json::Value {
    serde_json::json!({
        "format": "betaalpod-arrangement-part/1",
        "arrangement_id": "arr-1",
        "organisation": organisation,
        "start_month": "2026-12",
        "term_months": 6,
        "pause": {"months": 1, "reason": "illness", "motivation": "In het ziekenhuis"},
        "claims": [{"ref": case_ref, "outstanding_cents": 10000, "monthly_cents": 2500}],
        "monthly_cents": 2500,
        "plan_monthly_total_cents": 7000,
        "organisations_in_plan": 3
    })
}

async fn keys(server: &TestServer) -> Vec<schemas::jws::Jwk> {
    let jwks: serde_json::Value = server
        .http
        .get(format!("{}/jwks.json", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    serde_json::from_value(jwks["keys"].clone()).unwrap()
}

#[tokio::test]
async fn submit_status_decide_and_see_it_in_the_next_document() {
    let server = TestServer::start().await;
    let token = token_for(&server, 0, "claims:read arrangement:submit").await;
    let before = fetch_claims(&server, &token).await;
    let case_ref = before["document"]["body"]["financiele_zaken"][0]["zaakkenmerk"]
        .as_str()
        .unwrap()
        .to_owned();
    let document = schemas::fcid::parse(&serde_json::to_vec(&before["document"]).unwrap()).unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
    let outstanding = schemas::fcid::derive::view(&document, today).matters[0].outstanding_cents;
    assert!(outstanding > 0);

    let mut submitted = part("00000001001234567000", &case_ref);
    submitted["claims"][0]["outstanding_cents"] = outstanding.into();
    submitted["claims"][0]["monthly_cents"] = (outstanding / 4 + 1).into();
    let body = serde_json::to_vec(&submitted).unwrap();
    let response = server
        .http
        .post(format!("{}/arrangements", server.url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["content-type"], "application/jwt");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let jws = response.text().await.unwrap();
    let keys = keys(&server).await;
    let (payload, _) = schemas::jws::verify_compact(&jws, "betaalpod-receipt+jwt", &keys, chrono::Utc::now()).unwrap();
    let receipt: ArrangementReceipt = serde_json::from_slice(&payload).unwrap();
    assert_eq!(receipt.state, ArrangementState::Received);
    assert_eq!(receipt.terms.term_months, 6);
    assert_eq!(receipt.terms.claims[0].reference, case_ref);
    let sha: String = <sha2::Sha256 as sha2::Digest>::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(receipt.part_sha256, sha, "the receipt names the exact bytes received");
    assert_eq!(location, format!("{}/arrangements/{}", server.url, receipt.receipt_id));

    let status = |token: String| {
        let server = &server;
        let location = location.clone();
        async move { server.http.get(&location).bearer_auth(token).send().await.unwrap() }
    };
    let response = status(token.clone()).await;
    assert_eq!(response.status(), 200);
    let (payload, _) = schemas::jws::verify_compact(
        &response.text().await.unwrap(),
        "betaalpod-status+jwt",
        &keys,
        chrono::Utc::now(),
    )
    .unwrap();
    let current: ArrangementStatus = serde_json::from_slice(&payload).unwrap();
    assert_eq!(current.state, ArrangementState::Received);

    // Another citizen cannot see it, not even that it exists.
    let other = token_for(&server, 3, "arrangement:submit").await;
    assert_eq!(status(other).await.status(), 404);

    // The operator rejects without a reason: refused; then accepts.
    assert!(
        server
            .state
            .arrangements
            .decide(
                &receipt.receipt_id,
                ArrangementState::Rejected,
                None,
                chrono::Utc::now().fixed_offset()
            )
            .is_err()
    );
    server
        .state
        .arrangements
        .decide(
            &receipt.receipt_id,
            ArrangementState::Accepted,
            None,
            chrono::Utc::now().fixed_offset(),
        )
        .unwrap();
    let (payload, _) = schemas::jws::verify_compact(
        &status(token.clone()).await.text().await.unwrap(),
        "betaalpod-status+jwt",
        &keys,
        chrono::Utc::now(),
    )
    .unwrap();
    assert_eq!(
        serde_json::from_slice::<ArrangementStatus>(&payload).unwrap().state,
        ArrangementState::Accepted
    );

    // The next document withdraws the open demands and shows the monthly terms as new demands.
    let after = fetch_claims(&server, &token).await;
    let document =
        schemas::fcid::parse(&serde_json::to_vec(&after["document"]).unwrap()).expect("still a valid FCID document");
    let matter = document.matters.iter().find(|m| m.case_ref == case_ref).unwrap();
    let instalments: Vec<_> = matter
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            schemas::fcid::EventKind::PaymentDemanded(d)
                if e.kenmerk.starts_with(&receipt.receipt_id) && !e.kenmerk.ends_with("-paid") =>
            {
                Some((d.due_date.to_string(), d.amount_cents))
            }
            _ => None,
        })
        .collect();
    // One month of pause (December), then four monthly instalments pay off what is left.
    let monthly = outstanding / 4 + 1;
    let expected = vec![
        ("2027-01-01".to_owned(), monthly),
        ("2027-02-01".to_owned(), monthly),
        ("2027-03-01".to_owned(), monthly),
        ("2027-04-01".to_owned(), outstanding - 3 * monthly),
    ];
    assert_eq!(instalments, expected);
    let view = schemas::fcid::derive::view(&document, today);
    let matter_view = view.matters.iter().find(|m| m.case_ref == case_ref).unwrap();
    assert_eq!(
        matter_view.overdue_cents, 0,
        "the arrangement replaces the overdue demands"
    );
    assert_eq!(
        matter_view.next_due.map(|n| (n.date.to_string(), n.cents)),
        Some(("2027-01-01".to_owned(), monthly))
    );
}

#[tokio::test]
async fn parts_are_validated() {
    let server = TestServer::start().await;
    let token = token_for(&server, 0, "arrangement:submit").await;
    let post = |body: Vec<u8>| {
        let server = &server;
        let token = token.clone();
        async move {
            server
                .http
                .post(format!("{}/arrangements", server.url))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let foreign = post(serde_json::to_vec(&part("00000001002345678000", "Z-1")).unwrap()).await;
    assert_eq!(foreign.status(), 400);
    assert!(foreign.text().await.unwrap().contains("another organisation"));
    let mut extra = part("00000001001234567000", "Z-1");
    extra["income_cents"] = serde_json::json!(140150);
    let unknown_field = post(serde_json::to_vec(&extra).unwrap()).await;
    assert_eq!(unknown_field.status(), 400);
    assert!(unknown_field.text().await.unwrap().contains("income_cents"));
    assert_eq!(post(b"not json".to_vec()).await.status(), 400);
    let mut bad_month = part("00000001001234567000", "Z-1");
    bad_month["start_month"] = serde_json::json!("2026-13");
    let response = post(serde_json::to_vec(&bad_month).unwrap()).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("$.start_month"));

    let claims_only = token_for(&server, 0, "claims:read").await;
    let response = server
        .http
        .post(format!("{}/arrangements", server.url))
        .bearer_auth(claims_only)
        .json(&part("00000001001234567000", "Z-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let bad_id = server
        .http
        .get(format!("{}/arrangements/..%2F..%2Fetc%2Fpasswd", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_id.status(), 404);
}

async fn submit(server: &TestServer, token: &str, body: &serde_json::Value) -> reqwest::Response {
    server
        .http
        .post(format!("{}/arrangements", server.url))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn each_citizen_has_a_daily_quota_and_a_damaged_part_affects_only_itself() {
    let server = TestServer::start_with("00000001001234567000", "[rate_limits]\narrangements_per_day = 2\n").await;
    let token_a = token_for(&server, 0, "claims:read arrangement:submit").await;
    let token_b = token_for(&server, 1, "claims:read arrangement:submit").await;
    let case_a = fetch_claims(&server, &token_a).await["document"]["body"]["financiele_zaken"][0]["zaakkenmerk"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut receipts = Vec::new();
    for _ in 0..2 {
        let answer = submit(&server, &token_a, &part("00000001001234567000", &case_a)).await;
        assert_eq!(answer.status(), 201);
        let receipt = String::from_utf8(answer.bytes().await.unwrap().to_vec()).unwrap();
        let (payload, _) = schemas::jws::verify_compact(&receipt, "betaalpod-receipt+jwt", &keys(&server).await, chrono::Utc::now()).unwrap();
        let receipt: ArrangementReceipt = serde_json::from_slice(&payload).unwrap();
        receipts.push(receipt.receipt_id);
    }
    let over = submit(&server, &token_a, &part("00000001001234567000", &case_a)).await;
    assert_eq!(over.status(), 429, "a third part on one day");
    let wait: i64 = over.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&wait), "until tomorrow: {wait}");
    assert!(over.text().await.unwrap().contains("at most 2 arrangement requests per day"));
    // Another citizen has a quota of their own.
    let case_b = fetch_claims(&server, &token_b).await["document"]["body"]["financiele_zaken"][0]["zaakkenmerk"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(submit(&server, &token_b, &part("00000001001234567000", &case_b)).await.status(), 201);
    // The next day, the quota starts again.
    server.advance_clock(24 * 3600);
    let token_a = token_for(&server, 0, "claims:read arrangement:submit").await;
    assert_eq!(submit(&server, &token_a, &part("00000001001234567000", &case_a)).await.status(), 201);

    // One of citizen A's parts is damaged on disk: only that part is affected.
    let dir = server.dir.join("arrangements");
    let damaged = browser_harness::files_under(&dir).into_iter().map(|(path, _)| path).collect::<Vec<_>>().into_iter().find(|p| p.ends_with(format!("{}.json", receipts[0]))).unwrap();
    std::fs::write(&damaged, b"{ not json").unwrap();
    let stray_a = damaged.parent().unwrap().join("00000000000000000000000000000000.json");
    std::fs::write(&stray_a, b"\x00\xff").unwrap();
    let status = |token: String, id: String| {
        let server = &server;
        async move {
            server
                .http
                .get(format!("{}/arrangements/{id}", server.url))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(status(token_a.clone(), receipts[0].clone()).await, 500, "the damaged part itself");
    assert_eq!(status(token_a.clone(), receipts[1].clone()).await, 200, "the citizen's other part");
    let document = fetch_claims(&server, &token_a).await;
    assert_eq!(document["document"]["body"]["bsn"], citizen(0).0.as_str(), "the citizen's fetch still works");
    let token_b = token_for(&server, 1, "claims:read arrangement:submit").await;
    assert_eq!(fetch_claims(&server, &token_b).await["document"]["body"]["bsn"], citizen(1).0.as_str());
}

#[tokio::test]
async fn parts_kept_flat_by_an_older_source_are_moved_to_their_citizen() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("arrangements");
    std::fs::create_dir_all(&dir).unwrap();
    let server = TestServer::start_in(tmp.path(), "00000001001234567000", "").await;
    let token = token_for(&server, 0, "claims:read arrangement:submit").await;
    let case = fetch_claims(&server, &token).await["document"]["body"]["financiele_zaken"][0]["zaakkenmerk"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(submit(&server, &token, &part("00000001001234567000", &case)).await.status(), 201);
    // Lay the stored part out flat, as an older source did, next to a damaged flat file.
    let stored = browser_harness::files_under(&dir).into_iter().map(|(path, _)| path).collect::<Vec<_>>().pop().unwrap();
    let id = stored.file_stem().unwrap().to_str().unwrap().to_owned();
    std::fs::rename(&stored, dir.join(format!("{id}.json"))).unwrap();
    std::fs::write(dir.join("ffffffffffffffffffffffffffffffff.json"), b"garbage").unwrap();
    let store = source::arrangements::ArrangementStore::open(&dir).unwrap();
    let moved = store.find(&id).unwrap().expect("moved into its citizen's folder");
    assert_eq!(moved.receipt_id, id);
    assert!(!dir.join(format!("{id}.json")).exists());
    assert!(dir.join("damaged/ffffffffffffffffffffffffffffffff.json").exists(), "the damaged file is set aside");
    assert_eq!(store.list().unwrap().len(), 1);
}
