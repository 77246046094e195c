//! The web UI and JSON API over real HTTP, against three real `source` organisations.

use std::time::Duration;

use chrono::Datelike;

use source::demo_data;

mod common;

use common::*;


#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlock_fetch_overview_matter_export_lock() {
    let s = setup().await;
    let home = s.client.get(&s.url).send().await.unwrap();
    assert_eq!(home.headers()["cache-control"], "no-store");
    assert!(
        home.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    assert!(home.text().await.unwrap().contains("Ontgrendel je pod"));
    assert_eq!(
        error_code(s.client.get(format!("{}/api/overview", s.url)).send().await.unwrap()).await,
        (401, "locked".into())
    );

    unlock(&s).await;
    let progress = fetch_everything(&s).await;
    assert!(
        progress["organisations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["stage"] == "done"),
        "{progress}"
    );

    let overview = get_json(&s, "/api/overview?as_of=2026-11-15").await;
    let (bsn, _) = demo_data::citizen(SEED, 0);
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 15).unwrap();
    let mut expected = 0;
    for org in &s.orgs {
        let document = org.state.backend.document(&bsn).unwrap().unwrap();
        let parsed = schemas::fcid::parse(&serde_json::to_vec(&*document).unwrap()).unwrap();
        expected += schemas::fcid::derive::view(&parsed, as_of).totals.outstanding_cents;
    }
    assert_eq!(overview["totals"]["outstanding_cents"], expected);
    assert_eq!(overview["organisations"].as_array().unwrap().len(), 3);

    // The overview page shows the figures, and organisation text literally.
    let html = s.client.get(&s.url).send().await.unwrap().text().await.unwrap();
    let total = format!(
        "<strong id=\"total-outstanding\">{}</strong>",
        schemas::lang::format_cents(expected, schemas::lang::Lang::Nl)
    );
    assert!(html.contains(&total), "the total is shown: {total}");
    assert!(
        !html.contains("<script>document.title"),
        "organisation script reached the page raw"
    );
    assert!(
        html.contains("&lt;script&gt;document.title") || html.contains("&#60;script&#62;"),
        "the text is shown escaped"
    );

    let cjib = s.orgs[0].state.config.id.to_string();
    let matter: serde_json::Value = s
        .client
        .get(format!("{}/api/matters/{cjib}:0", s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(matter["matter"]["omschrijving"], SCRIPT);
    assert!(!matter["timeline"].as_array().unwrap().is_empty());
    assert!(
        matter["claim_types"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "cjib_wahv")
    );
    let iban = matter["payment_demands"][0]["iban"]
        .as_str()
        .expect("the demand's IBAN")
        .to_owned();
    let page = s
        .client
        .get(format!("{}/matters/{cjib}:0", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Verloop") && !page.contains("<img src=x"), "{page}");
    assert!(page.contains(&format!("IBAN {iban}")), "the page shows how to pay");
    assert_eq!(
        error_code(
            s.client
                .get(format!("{}/api/matters/{cjib}:99", s.url))
                .send()
                .await
                .unwrap()
        )
        .await,
        (404, "not_found".into())
    );

    let csv = s
        .client
        .get(format!("{}/api/export?format=csv", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + overview["organisations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["matters"].as_array().unwrap().len())
            .sum::<usize>()
    );
    assert_eq!(
        error_code(
            s.client
                .get(format!("{}/api/export?format=xml", s.url))
                .send()
                .await
                .unwrap()
        )
        .await,
        (422, "invalid".into())
    );
    let log: serde_json::Value = s
        .client
        .get(format!("{}/api/fetch-log", s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log.as_array().unwrap().len(), 3);

    // English, then lock: the overview is gone.
    s.client.get(format!("{}/lang/en", s.url)).send().await.unwrap();
    let english = s.client.get(&s.url).send().await.unwrap().text().await.unwrap();
    assert!(english.contains("Total still to pay"), "{english}");
    let token = csrf(&s).await;
    assert_eq!(
        s.client
            .post(format!("{}/api/lock", s.url))
            .header("x-csrf-token", &token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        error_code(s.client.get(format!("{}/api/overview", s.url)).send().await.unwrap()).await,
        (401, "locked".into())
    );
    let after = s.client.get(&s.url).send().await.unwrap().text().await.unwrap();
    assert!(after.contains("Unlock your pod") && !after.contains("Total still to pay"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_origin_host_and_passphrase_errors() {
    let s = setup().await;
    let no_token = s
        .client
        .post(format!("{}/api/unlock", s.url))
        .json(&serde_json::json!({"passphrase": PASSPHRASE}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(no_token).await, (403, "csrf".into()));
    let token = csrf(&s).await;
    let cross_site = s
        .client
        .post(format!("{}/unlock", s.url))
        .header("origin", "http://evil.example")
        .form(&[("csrf", token.as_str()), ("passphrase", PASSPHRASE)])
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(cross_site).await, (403, "csrf".into()));
    let rebinding = s
        .client
        .get(format!("{}/api/csrf", s.url))
        .header("host", "evil.example:7878")
        .send()
        .await
        .unwrap();
    assert_eq!(rebinding.status(), 421);

    let wrong = s
        .client
        .post(format!("{}/api/unlock", s.url))
        .header("x-csrf-token", &token)
        .json(&serde_json::json!({"passphrase": "wrong wrong wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(wrong).await, (401, "wrong_passphrase".into()));
    let again = s
        .client
        .post(format!("{}/api/unlock", s.url))
        .header("x-csrf-token", &token)
        .json(&serde_json::json!({"passphrase": PASSPHRASE}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(again).await, (429, "too_many_attempts".into()));
    let malformed = s
        .client
        .post(format!("{}/api/unlock", s.url))
        .header("x-csrf-token", &token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(
        matches!(malformed.status().as_u16(), 422 | 400),
        "{}",
        malformed.status()
    );

    // The form path: a wrong passphrase shows the unlock page again with a message.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let page = s
        .client
        .post(format!("{}/unlock", s.url))
        .form(&[("csrf", token.as_str()), ("passphrase", "still wrong!!")])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 401);
    assert!(page.text().await.unwrap().contains("Die wachtwoordzin klopt niet"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locked_pages_settings_print_share_and_errors() {
    let s = setup().await;
    for path in ["/settings", "/fetch", "/matters/x:0", "/export/print", "/fetch/unknown"] {
        let response = s.client.get(format!("{}{path}", s.url)).send().await.unwrap();
        assert_eq!(response.status(), 303, "{path} while locked");
        assert_eq!(response.headers()["location"], "/", "{path} while locked");
    }
    for path in [
        "/api/fetch/unknown",
        "/api/fetch-log",
        "/api/export?format=csv",
        "/api/matters/x:0",
    ] {
        assert_eq!(
            error_code(s.client.get(format!("{}{path}", s.url)).send().await.unwrap()).await,
            (401, "locked".into()),
            "{path}"
        );
    }

    unlock(&s).await;
    let token = csrf(&s).await;
    assert_eq!(
        error_code(
            s.client
                .get(format!("{}/api/fetch/unknown", s.url))
                .send()
                .await
                .unwrap()
        )
        .await,
        (404, "not_found".into())
    );
    let nothing = s
        .client
        .post(format!("{}/api/fetch", s.url))
        .header("x-csrf-token", &token)
        .json(&serde_json::json!({"sources": ["nope"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(nothing).await, (422, "no_organisations".into()));
    let print = s
        .client
        .get(format!("{}/export/print", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(print.contains("Afdrukbaar overzicht"), "{print}");

    let bad = s
        .client
        .post(format!("{}/export/share", s.url))
        .form(&[("csrf", token.as_str()), ("recipient", "not-a-key")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(bad).await, (422, "invalid".into()));
    let counsellor = age::x25519::Identity::generate();
    let shared = s
        .client
        .post(format!("{}/export/share", s.url))
        .form(&[
            ("csrf", token.as_str()),
            ("recipient", &counsellor.to_public().to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(shared.headers()["content-type"], "application/age");
    let opened: serde_json::Value =
        serde_json::from_slice(&age::decrypt(&counsellor, &shared.bytes().await.unwrap()).unwrap()).unwrap();
    assert_eq!(
        opened["organisations"].as_array().unwrap().len(),
        3,
        "only the counsellor's key opens it"
    );

    let wrong = s
        .client
        .post(format!("{}/settings/passphrase", s.url))
        .form(&[
            ("csrf", token.as_str()),
            ("current", "not the passphrase"),
            ("new", "a brand new passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("Die wachtwoordzin klopt niet"));
    let short = s
        .client
        .post(format!("{}/settings/passphrase", s.url))
        .form(&[("csrf", token.as_str()), ("current", PASSPHRASE), ("new", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 422);
    let changed = s
        .client
        .post(format!("{}/settings/passphrase", s.url))
        .form(&[
            ("csrf", token.as_str()),
            ("current", PASSPHRASE),
            ("new", "a brand new passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert!(changed.text().await.unwrap().contains("Je wachtwoordzin is gewijzigd"));
    assert_eq!(
        s.client
            .post(format!("{}/api/lock", s.url))
            .header("x-csrf-token", &token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let token = csrf(&s).await;
    let old = s
        .client
        .post(format!("{}/api/unlock", s.url))
        .header("x-csrf-token", &token)
        .json(&serde_json::json!({"passphrase": PASSPHRASE}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(old).await, (401, "wrong_passphrase".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pod_locks_itself_when_idle() {
    let s = setup_with(Duration::from_millis(500)).await;
    unlock(&s).await;
    assert_eq!(
        s.client
            .get(format!("{}/api/overview", s.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        error_code(s.client.get(format!("{}/api/overview", s.url)).send().await.unwrap()).await,
        (401, "locked".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_citizen_manages_the_scheme_in_settings() {
    let s = setup().await;
    unlock(&s).await;
    let token = csrf(&s).await;
    let duo = &s.orgs[1];
    let duo_id = duo.state.config.id.to_string();
    let removed = s
        .client
        .post(format!("{}/settings/scheme/remove", s.url))
        .form(&[("csrf", token.as_str()), ("id", duo_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 200);
    let page = removed.text().await.unwrap();
    assert!(
        page.contains("De organisatie is verwijderd") && !page.contains("Dienst Uitvoering Onderwijs"),
        "{page}"
    );

    let unreachable = s
        .client
        .post(format!("{}/settings/scheme/check", s.url))
        .form(&[("csrf", token.as_str()), ("url", "http://127.0.0.1:9/")])
        .send()
        .await
        .unwrap();
    assert_eq!(unreachable.status(), 422);

    let checked = s
        .client
        .post(format!("{}/settings/scheme/check", s.url))
        .form(&[("csrf", token.as_str()), ("url", duo.url.as_str())])
        .send()
        .await
        .unwrap();
    let page = checked.text().await.unwrap();
    let fingerprint = duo.descriptor().unwrap().keys[0].fingerprint();
    assert!(
        page.contains(&fingerprint),
        "the citizen sees the fingerprint before trusting: {page}"
    );
    let listed = format!("duo-key-1 {fingerprint}");
    let tampered = s
        .client
        .post(format!("{}/settings/scheme/pin", s.url))
        .form(&[
            ("csrf", token.as_str()),
            ("url", duo.url.as_str()),
            ("fingerprints", "other-key xyz"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 409);
    let pinned = s
        .client
        .post(format!("{}/settings/scheme/pin", s.url))
        .form(&[
            ("csrf", token.as_str()),
            ("url", duo.url.as_str()),
            ("fingerprints", listed.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(pinned.status(), 200);
    let page = pinned.text().await.unwrap();
    assert!(
        page.contains("De organisatie is toegevoegd") && page.contains("Dienst Uitvoering Onderwijs"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_in_english() {
    let s = setup().await;
    s.client.get(format!("{}/lang/en", s.url)).send().await.unwrap();
    let page = |path: &str| {
        let url = format!("{}{path}", s.url);
        let client = &s.client;
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let unlock_page = page("/").await;
    assert!(
        unlock_page.contains("Unlock your pod") && unlock_page.contains("lang=\"en\""),
        "{unlock_page}"
    );
    unlock(&s).await;
    let progress = fetch_everything(&s).await;
    let fetch_id = progress["id"].as_str().unwrap().to_owned();
    let cjib = s.orgs[0].state.config.id.to_string();
    for (path, expected) in [
        ("/".to_owned(), "Total still to pay"),
        ("/fetch".to_owned(), "Fetch my data"),
        (format!("/fetch/{fetch_id}"), "Progress"),
        (format!("/matters/{cjib}:1"), "Timeline"),
        ("/settings".to_owned(), "Organisations and their keys"),
        ("/audit".to_owned(), "Activity log"),
        (
            "/export/print".to_owned(),
            "Printable overview for your debt counsellor",
        ),
    ] {
        let html = page(&path).await;
        assert!(html.contains(expected), "{path} in English should show {expected:?}");
        assert!(
            !html.contains("Totaal nog te betalen") && !html.contains("Ontgrendel"),
            "{path} shows Dutch text"
        );
    }
    // The audit view lists each organisation's fetch, as the browser app's does.
    let audit = page("/audit").await;
    assert_eq!(audit.matches("fetching data").count(), s.orgs.len(), "{audit}");
    s.client.get(format!("{}/lang/nl", s.url)).send().await.unwrap();
    assert!(page("/").await.contains("Totaal nog te betalen"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_an_arrangement_in_the_page_and_the_api() {
    let s = setup().await;
    unlock(&s).await;
    fetch_everything(&s).await;
    let token = csrf(&s).await;
    let form_page = s
        .client
        .get(format!("{}/arrangement", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let claims: Vec<String> = form_page
        .split("name=\"claim\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect();
    assert!(claims.len() >= 3, "every open matter is offered: {claims:?}");
    let mut form: Vec<(&str, String)> = vec![
        ("csrf", token.clone()),
        ("household", "single".into()),
        ("income", "1.401,50".into()),
        ("deductions", "".into()),
        ("pause", "2".into()),
        ("reason", "illness".into()),
        ("motivation", "ziek".into()),
    ];
    // One claim: a plan within the term cap, so there is a schedule to draw.
    form.push(("claim", claims[0].clone()));
    let planned = s
        .client
        .post(format!("{}/arrangement", s.url))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(planned.status(), 200);
    let html = planned.text().await.unwrap();
    assert!(
        html.contains("€ 70,07 per maand"),
        "the capacity of worked case 1: {html}"
    );
    assert!(html.contains("<svg class=\"chart\""), "a chart");
    // The two months of pause are in the picture, and in words beside it.
    let months = html.matches("<tr><td>").count();
    assert!(
        html.contains(&format!("<rect class=\"pause-band\" x=\"0\" y=\"0\" width=\"{}\"", 2 * 600 / months)),
        "a pause band over 2 of {months} months: {html}"
    );
    assert!(
        html.contains("Maand 1 tot en met 2: pauze, je betaalt niets. Daarna betaal je € 70,07 per maand"),
        "{html}"
    );
    assert_eq!(html.matches("<td>pauze: niets</td>").count(), 2, "{html}");
    // Each share is named as the citizen knows it, not by the organisation's OIN.
    let first = claims[0].split(':').next().unwrap();
    let named = s.orgs.iter().find(|o| o.state.config.id.as_str() == first).unwrap();
    assert!(html.contains(&format!("<li>{}: ", named.state.config.name)), "{html}");
    assert!(!html.contains(&format!("<li>{first}")), "{html}");
    assert!(html.contains("Zo is het berekend") && html.contains("beslagvrije voet"));
    let bad = s
        .client
        .post(format!("{}/arrangement", s.url))
        .form(&[("csrf", token.as_str()), ("household", "single"), ("income", "veel")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);

    let input = serde_json::json!({"date": "2026-02-01", "household": "single", "net_income_cents": 140150,
        "claims": [{"org": "cjib", "ref": "A", "outstanding_cents": 60000}, {"org": "duo", "ref": "B", "outstanding_cents": 120000}, {"org": "cak", "ref": "C", "outstanding_cents": 40000}]});
    let plan: serde_json::Value = s
        .client
        .post(format!("{}/api/arrangements/plan", s.url))
        .header("x-csrf-token", &token)
        .json(&input)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plan["monthly_total_cents"], 7007);
    let saved = s
        .client
        .post(format!("{}/api/arrangements", s.url))
        .header("x-csrf-token", &token)
        .json(&input)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 201);
    let id = saved.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let list: serde_json::Value = s
        .client
        .get(format!("{}/api/arrangements", s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let one: serde_json::Value = s
        .client
        .get(format!("{}/api/arrangements/{id}", s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["plan"]["term_months"], 32);
    let mut early = input.clone();
    early["date"] = "2020-01-01".into();
    let refused = s
        .client
        .post(format!("{}/api/arrangements/plan", s.url))
        .header("x-csrf-token", &token)
        .json(&early)
        .send()
        .await
        .unwrap();
    let (status, code) = error_code(refused).await;
    assert_eq!((status, code.as_str()), (422, "invalid"));
    assert_eq!(
        error_code(
            s.client
                .get(format!("{}/api/arrangements/00000000000000000000000000000000", s.url))
                .send()
                .await
                .unwrap()
        )
        .await,
        (404, "not_found".into())
    );
}

/// Issue 19: the overview never shows a figure it does not have. Before any fetch it shows no
/// amount, only the way to fetch; with one organisation fetched, the totals are that
/// organisation's, and a line names the others as not counted, and why. In Dutch and English.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_and_partial_overviews_say_what_they_do_not_count() {
    let s = setup().await;
    unlock(&s).await;
    let page = |path: &'static str| {
        let client = &s.client;
        let url = format!("{}{path}", s.url);
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let empty = page("/").await;
    assert!(empty.contains("Je hebt nog niets opgehaald"), "{empty}");
    assert!(!empty.contains('€') && !empty.contains("total-outstanding"), "no amount before any fetch: {empty}");
    assert!(empty.contains("href=\"/fetch\""), "the one next step: {empty}");
    s.client.get(format!("{}/lang/en", s.url)).send().await.unwrap();
    let empty = page("/").await;
    assert!(empty.contains("You have not fetched anything yet") && !empty.contains('€'), "{empty}");

    let first = s.orgs[0].state.config.id.to_string();
    fetch_from(&s, Some(vec![first.clone()])).await;
    let overview = get_json(&s, "/api/overview").await;
    let counted = overview["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == first.as_str())
        .unwrap()["totals"]["outstanding_cents"]
        .clone();
    assert_eq!(overview["totals"]["outstanding_cents"], counted, "only the fetched organisation counts");
    let left_out: Vec<&str> = overview["left_out"].as_array().unwrap().iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(left_out, ["never", "never"], "{overview}");

    let partial = page("/").await;
    assert!(partial.contains("Not counted") && partial.contains("not fetched yet"), "{partial}");
    // The picture of what is owed has its figures beside it as text: the counted organisation.
    let cents = counted.as_i64().unwrap();
    let figures = partial.split("class=\"chart-figures\"").nth(1).expect("a table of the chart's figures");
    let figures = figures.split("</table>").next().unwrap();
    assert!(
        figures.contains(&s.orgs[0].state.config.name) && figures.contains(&schemas::lang::format_cents(cents, schemas::lang::Lang::En)),
        "{figures}"
    );
    assert!(!figures.contains(&s.orgs[1].state.config.name), "a left-out organisation is not pictured: {figures}");
    assert!(partial.contains("<svg class=\"chart\""), "{partial}");
    // Words that need it come with a one-line explanation.
    assert!(partial.contains("What does overdue mean?"), "{partial}");
    let arrangement = page("/arrangement").await;
    assert!(
        arrangement.contains("What is a pause?") && arrangement.contains("What is the protected income (beslagvrije voet)?"),
        "{arrangement}"
    );
    for org in &s.orgs[1..] {
        assert!(partial.contains(&org.state.config.name), "{partial}");
    }
    s.client.get(format!("{}/lang/nl", s.url)).send().await.unwrap();
    let partial = page("/").await;
    assert!(partial.contains("Niet meegeteld") && partial.contains("nog niet opgehaald"), "{partial}");
    assert!(partial.contains("Totaal nog te betalen"), "{partial}");
    assert!(partial.contains("Wat betekent achterstallig?"), "{partial}");
    let arrangement = page("/arrangement").await;
    assert!(
        arrangement.contains("Wat is een pauze?") && arrangement.contains("Wat is de beslagvrije voet?"),
        "{arrangement}"
    );
}

/// With data as an organisation has it today (the demo's), the overview pictures the next 12
/// months with their figures beside the picture, and the next payment leads in one step to the
/// way to pay it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_shows_the_coming_year_and_the_way_to_pay_the_next_payment() {
    let s = setup_today().await;
    unlock(&s).await;
    fetch_everything(&s).await;

    let today = chrono::Local::now().date_naive();
    let overview = get_json(&s, "/api/overview").await;
    let upcoming: Vec<_> = views_at(&s, today)
        .into_iter()
        .flat_map(|(_, view)| view.matters)
        .flat_map(|m| m.upcoming)
        .map(|u| (u.date, u.cents))
        .collect();
    let year_on = today.with_day(1).unwrap() + chrono::Months::new(12);
    let within_year: i64 = upcoming.iter().filter(|(date, _)| *date < year_on).map(|(_, cents)| cents).sum();
    let months = overview["coming_months"].as_array().unwrap();
    assert_eq!(months.len(), 12, "{overview}");
    assert_eq!(months.iter().map(|m| m["cents"].as_i64().unwrap()).sum::<i64>(), within_year);
    assert!(months.iter().filter(|m| m["cents"].as_i64().unwrap() > 0).count() >= 11, "monthly repayments: {months:?}");
    let next = &overview["next_due"];
    let earliest = upcoming.iter().map(|(date, _)| *date).min().unwrap();
    assert_eq!(next["date"], earliest.to_string(), "{overview}");

    let html = s.client.get(&s.url).send().await.unwrap().text().await.unwrap();
    let figures = html.split("id=\"coming-figures\"").nth(1).expect("the coming months as a table");
    let figures = figures.split("</table>").next().unwrap();
    assert_eq!(figures.matches("<th scope=\"row\">").count(), 12, "{figures}");
    let first_month = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"][today.month0() as usize];
    assert!(figures.contains(&format!("<th scope=\"row\">{first_month} {}</th>", today.year())), "{figures}");
    let first_cents = months[0]["cents"].as_i64().unwrap();
    assert!(figures.contains(&schemas::lang::format_cents(first_cents, schemas::lang::Lang::Nl)), "{figures}");

    // One step from the overview: the next payment's own page, with how to pay it.
    let link = format!("href=\"/matters/{}:{}\"", next["organisation"].as_str().unwrap(), next["matter"]);
    let anchor = html.split("id=\"next-due-pay\"").nth(1).expect("a link to pay the next payment");
    assert!(anchor.trim_start().starts_with(&link), "{anchor:.200}");
    let matter = s
        .client
        .get(format!("{}/matters/{}:{}", s.url, next["organisation"].as_str().unwrap(), next["matter"]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let pay = matter.split("Zo betaal je").nth(1).expect("how to pay");
    assert!(pay.contains(&earliest.format("%d-%m-%Y").to_string()), "the date to pay by: {pay}");
    assert!(pay.contains("IBAN NL") && pay.contains("betalingskenmerk"), "{pay}");
}

/// The login's way back comes from the organisation's site, so the browser sends no
/// `SameSite=Strict` cookie with it, the language cookie included: the page it shows speaks the
/// language the citizen started the fetch in, not the default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_after_a_login_speaks_the_citizens_language_without_cookies() {
    let s = setup().await;
    unlock(&s).await;
    s.client.get(format!("{}/lang/en", s.url)).send().await.unwrap();
    let job = start_api_fetch(&s, Some(vec![s.orgs[0].state.config.id.to_string()])).await;
    let (bsn, pin) = demo_data::citizen(SEED, 0);
    let callback = fetcher::login::DevLogin::new(bsn.to_string(), pin)
        .follow(job["organisations"][0]["login_url"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap();
    // A browser arriving from another site: no cookies at all.
    let page = reqwest::get(callback).await.unwrap().text().await.unwrap();
    assert!(page.contains("<html lang=\"en\">") && page.contains("Progress"), "{page}");
    assert!(!page.contains("Voortgang"), "{page}");
}
