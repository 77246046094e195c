//! Submitting a plan to three real organisations: each receives exactly its own part, byte for
//! byte; receipts are verified and stored; an operator decides; "check status" shows it; one
//! organisation down leaves the others submitted and can be retried alone.

use age::secrecy::SecretString;
use fetcher::FetchOptions;
use fetcher::login::DevLogin;
use pod::arrangement::submission::{Contact, Selection, prepare_parts, submit};
use pod::store::{KdfCost, PodDir};
use schemas::arrangement::{ArrangementInput, ArrangementState, ClaimInput};
use sha2::Digest;
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

const PASSPHRASE: &str = "correct horse battery staple";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_organisation_receives_exactly_its_own_part() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    let mut orgs = Vec::new();
    for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak] {
        orgs.push(
            LocalOrganisation::start(org, 5, 1, &tmp.path().join(org.short()))
                .await
                .unwrap(),
        );
    }
    let dir = PodDir::new(tmp.path().join("pod"));
    dir.init(&SecretString::from(PASSPHRASE.to_owned()), KdfCost::InsecureForTests)
        .unwrap();
    let pod = dir.unlock(&SecretString::from(PASSPHRASE.to_owned())).unwrap();
    let descriptors: Vec<_> = orgs.iter().map(|o| o.descriptor().unwrap()).collect();
    let (bsn, pin) = demo_data::citizen(1, 0);
    let login = DevLogin::new(bsn.to_string(), pin);
    let options = FetchOptions::new("http://127.0.0.1:49152/oauth/callback".parse().unwrap());

    // The claims come from the citizen's own fetched documents.
    let fetched = pod::fetching::fetch_and_store(&pod, &descriptors, &login, &options, None)
        .await
        .unwrap();
    assert!(fetched.iter().all(|f| f.result.is_ok()));
    let overview = pod::overview::of(
        &pod,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 15).unwrap(),
        chrono::Utc::now(),
    )
    .unwrap();
    let claims: Vec<ClaimInput> = overview
        .organisations
        .iter()
        .flat_map(|o| {
            o.matters
                .iter()
                .filter(|m| m.outstanding_cents > 0)
                .map(move |m| ClaimInput {
                    org: schemas::ids::OrganisationId::parse(&o.id).unwrap(),
                    reference: m.case_ref.clone(),
                    outstanding_cents: m.outstanding_cents,
                    preferent: false,
                })
        })
        .collect();
    let input: ArrangementInput = serde_json::from_value(serde_json::json!({
        "date": "2026-11-15", "household": "single", "net_income_cents": 300000, "term_cap_months": 600,
        "claims": claims, "pause": {"months": 2, "reason": "income_loss", "motivation": "Baan kwijt"}
    }))
    .unwrap();
    let plan = pod::arrangement::plan(&input).unwrap();
    let plan_record = pod::arrangement::stored::save(&pod, &input, &plan).unwrap();

    // One organisation down: the others are submitted, it fails clearly.
    let mut with_one_down = descriptors.clone();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    with_one_down[2].jwks_uri.set_port(Some(closed)).unwrap();
    let outcomes = submit(
        &pod,
        &plan_record,
        &with_one_down,
        Selection::default(),
        // As one chain of logins: the organisation that is down does not stop the others.
        Contact {
            driver: &login,
            options: &options,
            progress: None,
            in_turn: true,
        },
    )
    .await
    .unwrap();
    let failed: Vec<_> = outcomes
        .iter()
        .filter(|o| o.result.is_err())
        .map(|o| o.org.clone())
        .collect();
    assert_eq!(failed, [orgs[2].state.config.id.to_string()], "{outcomes:?}");
    // Retry just that one.
    let retried = submit(
        &pod,
        &plan_record,
        &descriptors,
        Selection {
            only: Some(&failed),
            share_everything: false,
        },
        Contact {
            driver: &login,
            options: &options,
            progress: None,
            in_turn: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(retried.len(), 1);
    assert!(retried[0].result.is_ok(), "{retried:?}");

    // What each organisation received: exactly its own part, and nothing of the others.
    let submissions = pod::arrangement::submission::all(&pod).unwrap();
    assert_eq!(submissions.len(), 3);
    for (index, org) in orgs.iter().enumerate() {
        let id = org.state.config.id.to_string();
        let received = org.state.arrangements.list().unwrap();
        assert_eq!(received.len(), 1, "{id} received one part");
        let stored = submissions.iter().find(|s| s.org == id).unwrap();
        assert_eq!(received[0].part, stored.part, "{id} received the part the pod sent");
        let sent_bytes = serde_json::to_vec(&stored.part).unwrap();
        let sent_hash: String = sha2::Sha256::digest(&sent_bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(received[0].part_sha256, sent_hash, "byte for byte");
        let text = String::from_utf8(sent_bytes).unwrap();
        for (other_index, other) in orgs.iter().enumerate() {
            if other_index != index {
                let other_id = other.state.config.id.to_string();
                assert!(!text.contains(&other_id), "{id}'s part names {other_id}");
                for claim in input.claims.iter().filter(|c| c.org.as_str() == other_id) {
                    assert!(
                        !text.contains(&claim.reference),
                        "{id}'s part holds another organisation's claim"
                    );
                }
            }
        }
        assert!(
            !text.contains("300000") && !text.contains("net_income"),
            "no income details"
        );
        assert_eq!(received[0].part.organisations_in_plan, 3);
    }
    // The parts the pod prepares match what was sent, for the same plan.
    let parts = prepare_parts(&pod::arrangement::stored::one(&pod, &plan_record).unwrap(), "x", false);
    assert_eq!(parts.len(), 3);
    assert!(parts.iter().all(|p| p.part.full_disclosure.is_none()));

    // An operator accepts at the CJIB; the citizen checks the status everywhere.
    let cjib_receipt = submissions
        .iter()
        .find(|s| s.org == orgs[0].state.config.id.as_str())
        .unwrap()
        .receipt_id
        .clone();
    orgs[0]
        .state
        .arrangements
        .decide(
            &cjib_receipt,
            ArrangementState::Accepted,
            None,
            chrono::Utc::now().fixed_offset(),
        )
        .unwrap();
    let receipts: Vec<_> = descriptors
        .iter()
        .map(|d| {
            (
                d.clone(),
                submissions
                    .iter()
                    .find(|s| s.org == d.id.as_str())
                    .unwrap()
                    .receipt_id
                    .clone(),
            )
        })
        .collect();
    let statuses = fetcher::submit::check_status(&receipts, &login, &options, None, true).await;
    let states: Vec<_> = statuses.iter().map(|s| s.as_ref().unwrap().status.state).collect();
    assert_eq!(
        states,
        [
            ArrangementState::Accepted,
            ArrangementState::Received,
            ArrangementState::Received
        ]
    );

    // The transparency log has every submission, the failed one included.
    let log = pod::fetching::log(&pod).unwrap();
    let submits: Vec<_> = log.iter().filter(|e| e.action == "submit").collect();
    assert_eq!(submits.len(), 4);
    assert_eq!(submits.iter().filter(|e| e.outcome == "error").count(), 1);
}
