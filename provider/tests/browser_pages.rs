//! Every journey of a hosted pod through the app's own pages, in real Chromium, against the
//! real `provider` process and three real `source` organisations: sign up, pin the
//! organisations, lock and unlock, fetch from all three with a login at each, the overview, a
//! matter's timeline, the audit view, an arrangement with a pause (plan, save, submit, status),
//! exports, English, 390 px, and delete. The pages are `pod_ui`'s, rendered by the pod core in
//! wasm; axe finds no violation of any impact on any of them.

mod browser_app;

use std::time::Duration;

use browser_app::*;
use browser_harness::page_checks::page_problems;
use browser_harness::{Client, Locator, body_text, start_browser};
use serde_json::json;
use source::demo_data::DemoOrg;
use source::local::LocalOrganisation;

/// Waits until the page shows `needle` (pages that run scrypt or talk to organisations take a
/// while in a debug build).
async fn wait_for(client: &Client, needle: &str) -> String {
    let mut text = String::new();
    for _ in 0..600 {
        text = body_text(client).await;
        if text.contains(needle) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed {needle:?}; it shows:\n{text}");
}

/// Types into the field `id` once the page shows it (pages render after each step, a moment
/// later on a busy machine).
async fn type_into(client: &Client, id: &str, text: &str) {
    let field = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no field #{id}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Clicks what `locator` finds once the page shows it.
async fn press(client: &Client, locator: Locator<'_>) {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(locator)
        .await
        .unwrap_or_else(|e| panic!("nothing to click at {locator:?}: {e}"))
        .click()
        .await
        .unwrap();
}

/// No axe violation of any impact, a sensible outline, one primary action at most, and no
/// sideways scrolling at 390 px or at 200% zoom.
async fn axe_clean(client: &Client, page: &str) {
    assert_eq!(page_problems(client, page).await, Vec::<String>::new());
}

/// The page fits `width` pixels: nothing scrolls sideways.
async fn fits(client: &Client, page: &str) {
    let wide = client
        .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth", vec![])
        .await
        .unwrap();
    assert!(wide.as_i64().unwrap_or(1) <= 0, "{page} scrolls sideways by {wide}px");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_goes_through_every_journey_in_the_apps_pages() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    let provider = start_provider(tmp.path());
    let origin = provider.url.clone();
    let mut orgs = Vec::new();
    let mut dirs = Vec::new();
    for org in [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak] {
        let dir = tmp.path().join(org.short());
        orgs.push(
            LocalOrganisation::start_for_web_app(org, 3, SEED, &dir, &origin, |router| router)
                .await
                .unwrap(),
        );
        dirs.push(dir);
    }
    let (bsn, pin) = source::demo_data::citizen(SEED, 0);
    let bsn = bsn.to_string();
    let as_of = chrono::Local::now().date_naive();
    let expected = expected_outstanding(&dirs, &bsn, as_of);

    let (_driver, client) = start_browser().await;
    client.set_window_size(1024, 900).await.unwrap();
    open_app(&client, &origin).await;
    let main = client.window().await.unwrap();

    // The first page: log in, sign up, recover, move a pod here.
    wait_for(&client, "Inloggen bij je pod").await;
    axe_clean(&client, "the start page").await;

    // Sign up; the pod number and recovery code are shown once.
    type_into(&client, "new-passphrase", PASSPHRASE).await;
    type_into(&client, "repeat", "something else entirely").await;
    press(&client, Locator::Css("#signup button[type=submit]")).await;
    wait_for(&client, "De twee wachtwoordzinnen zijn niet gelijk").await;
    type_into(&client, "new-passphrase", PASSPHRASE).await;
    type_into(&client, "repeat", PASSPHRASE).await;
    press(&client, Locator::Css("#signup button[type=submit]")).await;
    wait_for(&client, "Je pod is aangemaakt").await;
    let pod_id = client.find(Locator::Id("new-pod-id")).await.unwrap().text().await.unwrap();
    let code = client.find(Locator::Id("new-recovery-code")).await.unwrap().text().await.unwrap();
    assert_eq!(pod_id.len(), 32, "{pod_id}");
    assert!(code.len() > 20, "{code}");
    axe_clean(&client, "the welcome page").await;
    press(&client, Locator::LinkText("Verder")).await;
    wait_for(&client, "Je hebt nog niets opgehaald").await;
    // Shown once: going back to it shows the overview, and the code is no longer in the page.
    client.execute("window.location.hash = '#/welcome'", vec![]).await.unwrap();
    let again = wait_for(&client, "Deze pagina bestaat niet").await;
    assert!(!again.contains(&code) && !again.contains("Je pod is aangemaakt"), "{again}");

    // Pin the three organisations in the settings, comparing fingerprints first.
    press(&client, Locator::LinkText("Instellingen")).await;
    wait_for(&client, "Organisatie toevoegen").await;
    for org in &orgs {
        type_into(&client, "url", &org.url).await;
        press(&client, Locator::Css("form[action='#/settings/scheme/check'] button")).await;
        wait_for(&client, "Vertrouwen en toevoegen").await;
        press(&client, Locator::Css("form[action='#/settings/scheme/pin'] button")).await;
        wait_for(&client, "De organisatie is toegevoegd").await;
    }
    axe_clean(&client, "settings").await;

    // Lock, then unlock with the remembered pod number.
    press(&client, Locator::Css("header button[type=submit]")).await;
    wait_for(&client, "Inloggen bij je pod").await;
    let remembered = client.find(Locator::Id("pod-id")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(remembered.as_deref(), Some(pod_id.as_str()));
    type_into(&client, "passphrase", "een verkeerde geheime zin").await;
    press(&client, Locator::Css("#login button[type=submit]")).await;
    wait_for(&client, "Die wachtwoordzin klopt niet").await;
    type_into(&client, "passphrase", PASSPHRASE).await;
    press(&client, Locator::Css("#login button[type=submit]")).await;
    // Nothing fetched yet: no amounts, only the way to fetch.
    let empty = wait_for(&client, "Je hebt nog niets opgehaald").await;
    assert!(!empty.contains("€"), "no amount before anything was fetched: {empty}");

    // Fetch from all three: one login window, opened from the progress page.
    press(&client, Locator::LinkText("Gegevens ophalen")).await;
    wait_for(&client, "Na de eerste keer gaat het meestal vanzelf verder").await;
    axe_clean(&client, "the fetch page").await;
    press(&client, Locator::Css("main form button[type=submit]")).await;
    wait_for(&client, "Inloggen bij").await;
    axe_clean(&client, "the progress page").await;
    // The citizen opens the login window once; the chain runs in it.
    client
        .wait()
        .for_element(Locator::Css("a.login-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    log_in_in_chain(&client, &main, 3, &bsn, &pin).await;
    let overview = wait_for(&client, "Totaal nog te betalen").await;
    for _ in 0..300 {
        if client.find(Locator::Css("a.login-link")).await.is_err() && body_text(&client).await.contains("actueel") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let total = client.find(Locator::Id("total-outstanding")).await.unwrap().text().await.unwrap();
    assert_eq!(
        total,
        schemas::lang::format_cents(expected, schemas::lang::Lang::Nl),
        "the overview total equals the organisations' data: {overview}"
    );
    axe_clean(&client, "the overview").await;

    // A matter's timeline.
    press(&client, Locator::Css("ul.matters a")).await;
    wait_for(&client, "Verloop").await;
    assert!(client.find(Locator::Css("ol.timeline li")).await.is_ok(), "the timeline has events");
    axe_clean(&client, "a matter").await;
    client.back().await.unwrap();
    wait_for(&client, "Totaal nog te betalen").await;

    // The audit view: three fetches, each ended well.
    press(&client, Locator::LinkText("Logboek")).await;
    let audit = wait_for(&client, "gegevens ophalen").await;
    assert_eq!(audit.matches("gelukt").count(), 3, "{audit}");
    axe_clean(&client, "the audit view").await;

    // A new passphrase from the settings: the current one is checked first.
    let new_passphrase = "een nieuwe lange geheime zin";
    press(&client, Locator::LinkText("Instellingen")).await;
    wait_for(&client, "Wachtwoordzin wijzigen").await;
    type_into(&client, "current", "niet de goede zin hoor").await;
    type_into(&client, "new", new_passphrase).await;
    press(&client, Locator::Css("form[action='#/settings/passphrase'] button")).await;
    wait_for(&client, "Die wachtwoordzin klopt niet").await;
    type_into(&client, "current", PASSPHRASE).await;
    type_into(&client, "new", new_passphrase).await;
    press(&client, Locator::Css("form[action='#/settings/passphrase'] button")).await;
    wait_for(&client, "Je wachtwoordzin is gewijzigd").await;

    // Forgotten: the recovery code shown at sign-up sets another, and a new code is shown once.
    press(&client, Locator::Css("header button[type=submit]")).await;
    wait_for(&client, "Wachtwoordzin vergeten?").await;
    press(&client, Locator::Css("details summary")).await;
    type_into(&client, "recover-pod-id", &pod_id).await;
    type_into(&client, "recovery-code", &code.to_lowercase().replace('-', " ")).await;
    type_into(&client, "recover-passphrase", PASSPHRASE).await;
    press(&client, Locator::Css("#recover button[type=submit]")).await;
    wait_for(&client, "Je pod is aangemaakt").await;
    let new_code = client.find(Locator::Id("new-recovery-code")).await.unwrap().text().await.unwrap();
    assert_ne!(new_code, code, "a used recovery code is replaced");
    press(&client, Locator::LinkText("Verder")).await;
    wait_for(&client, "Totaal nog te betalen").await;
    let reopened = client.find(Locator::Id("total-outstanding")).await.unwrap().text().await.unwrap();
    assert_eq!(reopened, total, "the recovered pod shows the same overview");

    // Exports: CSV and JSON of the overview, made here from the same data.
    let exports = run(
        &client,
        "const { app } = window.betaalpod; const offset = -new Date().getTimezoneOffset(); const now = new Date().toISOString();
         return { csv: app.pod.exportOverview('csv', now, offset), json: JSON.parse(app.pod.exportOverview('json', now, offset)) };",
        vec![],
    )
    .await;
    assert_eq!(exports["json"]["totals"]["outstanding_cents"], json!(expected), "{exports}");
    assert!(exports["csv"].as_str().unwrap_or_default().lines().count() > 3, "{exports}");
    press(&client, Locator::LinkText("Mijn Betaaloverzicht")).await;
    press(&client, Locator::LinkText("Afdrukbaar overzicht voor je schuldhulpverlener")).await;
    wait_for(&client, "Datum").await;
    client.back().await.unwrap();

    // An arrangement for everything, with a three-month pause: plan, save, submit, status.
    wait_for(&client, "Totaal nog te betalen").await;
    press(&client, Locator::LinkText("Betalingsregeling")).await;
    wait_for(&client, "Netto inkomen").await;
    type_into(&client, "income", "4.000,00").await;
    client
        .find(Locator::Css("#pause option[value='3']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("#reason option[value='income_loss']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    press(&client, Locator::Css("form[action='#/arrangement'] button[type=submit]")).await;
    let plan = wait_for(&client, "Een regeling die je kunt betalen").await;
    assert!(client.find(Locator::Css("svg.chart")).await.is_ok(), "the plan is drawn: {plan}");
    axe_clean(&client, "the arrangement page").await;
    press(&client, Locator::Css("form[action='#/arrangement/save'] button")).await;
    wait_for(&client, "niet ingediend").await;
    axe_clean(&client, "a saved plan").await;
    press(&client, Locator::Id("submit-plan")).await;
    log_in_from_progress_page(&client, &main, 3, &bsn, &pin).await;
    saved_page_again(&client).await;
    let submitted = wait_for(&client, "ontvangen").await;
    assert!(!submitted.contains("niet ingediend"), "every part arrived: {submitted}");
    press(&client, Locator::Id("check-status")).await;
    log_in_from_progress_page(&client, &main, 3, &bsn, &pin).await;
    saved_page_again(&client).await;
    let checked = body_text(&client).await;
    assert_eq!(checked.matches("ontvangen").count(), 3, "{checked}");

    // English, and 390 px wide.
    press(&client, Locator::LinkText("English")).await;
    wait_for(&client, "Your saved arrangement").await;
    press(&client, Locator::Css("a.brand")).await;
    wait_for(&client, "Total still to pay").await;
    client.set_window_size(390, 844).await.unwrap();
    fits(&client, "the overview").await;
    axe_clean(&client, "the overview in English at 390 px").await;
    press(&client, Locator::LinkText("Payment arrangement")).await;
    wait_for(&client, "Net monthly income").await;
    fits(&client, "the arrangement page").await;
    press(&client, Locator::LinkText("Settings")).await;
    wait_for(&client, "Delete pod").await;
    fits(&client, "settings").await;
    axe_clean(&client, "settings in English at 390 px").await;

    // An export the citizen keeps, then delete: the keys go first, and the pod is gone.
    let export = run(
        &client,
        "const { app } = window.betaalpod; return provider.b64.encode(await provider.exportPod(app.session));",
        vec![],
    )
    .await;
    let export = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, export.as_str().unwrap()).unwrap();
    let export_file = tmp.path().join("betaalpod-backup.age");
    std::fs::write(&export_file, &export).unwrap();
    press(&client, Locator::Css("input[name=confirm]")).await;
    press(&client, Locator::Id("delete-pod")).await;
    wait_for(&client, "Log in to your pod").await;
    type_into(&client, "pod-id", &pod_id).await;
    type_into(&client, "passphrase", PASSPHRASE).await;
    press(&client, Locator::Css("#login button[type=submit]")).await;
    let refused = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("[role=alert]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!refused.is_empty());
    wait_for(&client, "Log in to your pod").await;

    // The export moves the pod here again, as a new pod: checked in the browser with the
    // passphrase before anything is sent.
    press(&client, Locator::Css("details:last-of-type summary")).await;
    client
        .find(Locator::Id("backup-file"))
        .await
        .unwrap()
        .send_keys(export_file.to_str().unwrap())
        .await
        .unwrap();
    type_into(&client, "import-passphrase", PASSPHRASE).await;
    press(&client, Locator::Css("#import button[type=submit]")).await;
    wait_for(&client, "Your pod has been created").await;
    let imported_id = client.find(Locator::Id("new-pod-id")).await.unwrap().text().await.unwrap();
    assert_ne!(imported_id, pod_id);
    press(&client, Locator::LinkText("Continue")).await;
    wait_for(&client, "Total still to pay").await;
    let imported_total = client.find(Locator::Id("total-outstanding")).await.unwrap().text().await.unwrap();
    assert_eq!(imported_total, schemas::lang::format_cents(expected, schemas::lang::Lang::En));
}

/// Waits until a submission or status check is over and the saved plan shows again.
async fn saved_page_again(client: &Client) {
    client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Id("check-status"))
        .await
        .expect("the saved plan shows again");
}
