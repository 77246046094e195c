//! Designed from the citizen, checked in real Chromium: the four tasks a citizen comes for, each
//! within its budget of steps from the overview; the whole journey with the keyboard alone; and
//! every page with no axe-core violation, an outline a screen reader can use, at most one primary
//! action, and no sideways scrolling at phone width or at 200% zoom. The docs' screenshots are
//! saved from here, so they show the product as the last test run saw it.

mod common;

use browser_harness::keyboard::{focus_the_window, move_focus_to, press, tab_to, type_text, wait_for};
use browser_harness::page_checks::{docs_screenshot, page_problems};
use browser_harness::*;
use common::*;
use fantoccini::key::Key;
use schemas::lang::{Lang, format_cents};

/// Counts a mouse user's steps from the overview: each click, each field filled in, each choice.
struct Steps<'a> {
    client: &'a Client,
    taken: usize,
}

impl<'a> Steps<'a> {
    fn from_here(client: &'a Client) -> Self {
        Self { client, taken: 0 }
    }

    async fn click(&mut self, css: &str) {
        click(self.client, Locator::Css(css)).await;
        self.taken += 1;
    }

    async fn fill(&mut self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
        self.taken += 1;
    }

    async fn choose(&mut self, css: &str, value: &str) {
        let select = self.client.find(Locator::Css(css)).await.unwrap();
        select.select_by_value(value).await.unwrap();
        self.taken += 1;
    }
}

/// The text of the overview's block for the organisation `name`.
async fn organisation_block(client: &Client, name: &str) -> String {
    let text = client
        .execute(
            "return [...document.querySelectorAll('section.organisation')].filter(s => s.querySelector('h2').textContent === arguments[0]).map(s => s.innerText).join('\\n');",
            vec![serde_json::Value::String(name.to_owned())],
        )
        .await
        .unwrap();
    text.as_str().unwrap_or_default().to_owned()
}

async fn text_of(client: &Client, css: &str) -> String {
    client.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_tasks_fit_their_step_budgets_and_every_page_is_usable_by_all() {
    let s = setup_today().await;
    let (_driver, client) = start_browser().await;
    let mut problems = Vec::new();
    let (bsn, pin) = source::demo_data::citizen(SEED, 0);

    client.goto(&s.url).await.unwrap();
    wait_for_text(&client, "Ontgrendel je pod").await;
    problems.extend(page_problems(&client, "unlock").await);
    unlock_pod(&client, &s.url, PASSPHRASE).await;
    wait_for_text(&client, "Je hebt nog niets opgehaald").await;
    problems.extend(page_problems(&client, "overview before any fetch").await);
    click(&client, Locator::Css("#nothing-fetched a")).await;
    wait_for(&client, "form[action='/fetch']").await;
    problems.extend(page_problems(&client, "fetch").await);
    click(&client, Locator::Css("main button[type=submit]")).await;
    log_in_as(&client, &s.url, 3, &bsn.to_string(), &pin).await;
    wait_for_text(&client, "Totaal nog te betalen").await;
    problems.extend(page_problems(&client, "overview").await);
    docs_screenshot(&client, 1280, 900, "overview.png").await;
    docs_screenshot(&client, 390, 844, "overview-phone.png").await;
    let views = views_at(&s, chrono::Local::now().date_naive());

    // 1. "How much do I owe the CJIB, and what is overdue?" On the overview itself: 0 steps of
    // the 1 allowed, so there is nothing to count.
    let (cjib, cjib_view) = &views[0];
    let block = organisation_block(&client, cjib).await;
    let owed = format_cents(cjib_view.totals.outstanding_cents, Lang::Nl);
    let overdue = format_cents(cjib_view.totals.overdue_cents, Lang::Nl);
    assert!(cjib_view.totals.overdue_cents > 0, "the demo's CJIB fine is overdue");
    assert!(block.contains(&owed) && block.contains(&format!("Achterstallig {overdue}")), "{block}");

    // 2. "When is my next payment, to whom, and how do I pay?" Read, then one click: ≤ 2 steps.
    let mut steps = Steps::from_here(&client);
    let (next_name, next) = views
        .iter()
        .flat_map(|(name, view)| view.matters.iter().filter_map(move |m| m.next_due.map(|n| (name, n))))
        .min_by_key(|(_, n)| n.date)
        .expect("the demo's citizen has a next payment");
    let next_due = text_of(&client, "#next-due").await;
    let date = next.date.format("%d-%m-%Y").to_string();
    assert!(
        next_due.contains(&date) && next_due.contains(next_name.as_str()) && next_due.contains(&format_cents(next.cents, Lang::Nl)),
        "{next_due}"
    );
    steps.click("#next-due-pay").await;
    let page = wait_for_text(&client, "Zo betaal je").await;
    let how = page.split("Zo betaal je").nth(1).unwrap();
    assert!(how.contains(&date) && how.contains("IBAN NL") && how.contains("betalingskenmerk"), "{how}");
    assert!(steps.taken <= 2, "task 2 took {} steps", steps.taken);
    problems.extend(page_problems(&client, "matter").await);

    // 3. "Ask for one arrangement for everything, with a 3-month pause": ≤ 6 steps, the form
    // included. The organisations' own logins that send it are theirs, not counted here: they
    // run as one chain, which with a login provider's session is one typed login.
    client.goto(&s.url).await.unwrap();
    wait_for_text(&client, "Totaal nog te betalen").await;
    let mut steps = Steps::from_here(&client);
    steps.click("main a.button[href='/arrangement']").await;
    wait_for(&client, "#income").await;
    problems.extend(page_problems(&client, "arrangement").await);
    let unchecked = client
        .execute("return document.querySelectorAll('input[name=claim]:not(:checked)').length", vec![])
        .await
        .unwrap();
    assert_eq!(unchecked, serde_json::json!(0), "every matter is in it from the start");
    steps.fill("#income", "10000").await;
    steps.choose("#pause", "3").await;
    steps.click("form[action='/arrangement'] button[type=submit]").await;
    wait_for_text(&client, "Maand 1 tot en met 3: pauze").await;
    problems.extend(page_problems(&client, "arrangement with its plan").await);
    client
        .execute("document.querySelector('.plan').scrollIntoView()", vec![])
        .await
        .unwrap();
    docs_screenshot(&client, 1280, 900, "arrangement.png").await;
    steps.click("form[action='/arrangement/save'] button").await;
    wait_for_text(&client, "nog niet ingediend").await;
    problems.extend(page_problems(&client, "saved arrangement").await);
    let plan_url = client.current_url().await.unwrap().to_string();
    steps.click("#submit-plan").await;
    assert!(steps.taken <= 6, "task 3 took {} steps", steps.taken);
    log_in_in_turn(&client, &plan_url, 3, &bsn.to_string(), &pin).await;
    for org in &s.orgs {
        let parts = org.state.arrangements.list().unwrap();
        assert_eq!(parts.len(), 1, "{} received the request", org.state.config.name);
    }
    wait_for_text(&client, "ontvangen").await;

    // 4. "What did the CJIB receive from me?" One click to the log: ≤ 3 steps.
    client.goto(&s.url).await.unwrap();
    wait_for_text(&client, "Totaal nog te betalen").await;
    let mut steps = Steps::from_here(&client);
    steps.click("header a[href='/audit']").await;
    wait_for_text(&client, "Wat zij kregen").await;
    let cjib_rows = client
        .execute(
            "return [...document.querySelectorAll('table.audit tbody tr')].filter(r => r.cells[1].textContent === arguments[0]).map(r => r.cells[3].textContent);",
            vec![serde_json::Value::String(cjib.clone())],
        )
        .await
        .unwrap();
    let received: Vec<String> = serde_json::from_value(cjib_rows).unwrap();
    assert!(
        received.iter().any(|r| r.starts_with("Je vraag om je gegevens, en de openbare sleutel van je pod"))
            && received.iter().any(|r| r.starts_with("Jouw deel van de regeling")),
        "{received:?}"
    );
    assert!(steps.taken <= 3, "task 4 took {} steps", steps.taken);
    problems.extend(page_problems(&client, "activity log").await);

    // A progress page that waits for the citizen: a fetch through the API offers every login
    // at once, so its page stays.
    let job = client
        .execute_async(
            "const done = arguments[0]; fetch('/api/csrf').then(r => r.json()).then(c => fetch('/api/fetch', {method: 'POST', headers: {'x-csrf-token': c.csrf}})).then(r => r.json()).then(done);",
            vec![],
        )
        .await
        .unwrap();
    client.goto(&format!("{}/fetch/{}", s.url, job["id"].as_str().unwrap())).await.unwrap();
    wait_for(&client, "a.login-link").await;
    problems.extend(page_problems(&client, "progress").await);

    for (page, path) in [("settings", "/settings"), ("printable overview", "/export/print")] {
        client.goto(&format!("{}{path}", s.url)).await.unwrap();
        wait_for(&client, "main h1").await;
        problems.extend(page_problems(&client, page).await);
    }
    client.goto(&format!("{}/lang/en", s.url)).await.unwrap();
    wait_for_text(&client, "Total still to pay").await;
    problems.extend(page_problems(&client, "overview in English").await);

    assert_eq!(problems, Vec::<String>::new());
    client.close().await.unwrap();
}

/// Logs in on an organisation's login page with the keyboard alone.
async fn log_in_by_keyboard(client: &Client, bsn: &str, pin: &str) {
    wait_for(client, "#bsn").await;
    let login_page = client.current_url().await.unwrap().to_string();
    tab_to(client, "#bsn").await;
    type_text(client, bsn).await;
    tab_to(client, "#pin").await;
    type_text(client, pin).await;
    press(client, Key::Enter).await;
    wait_until_away_from(client, &login_page).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_journey_works_with_the_keyboard_alone() {
    let s = setup_today().await;
    let (_driver, client) = start_browser().await;
    let (bsn, pin) = source::demo_data::citizen(SEED, 0);
    let (bsn, pin) = (bsn.to_string(), pin);
    focus_the_window(&client).await;

    // Unlock.
    client.goto(&s.url).await.unwrap();
    wait_for(&client, "#passphrase").await;
    tab_to(&client, "#passphrase").await;
    type_text(&client, PASSPHRASE).await;
    press(&client, Key::Enter).await;
    wait_for_text(&client, "Je hebt nog niets opgehaald").await;

    // Fetch: the chain of logins at three organisations, each by keyboard.
    tab_to(&client, "#nothing-fetched a").await;
    press(&client, Key::Enter).await;
    wait_for(&client, "form[action='/fetch']").await;
    tab_to(&client, "form[action='/fetch'] button[type=submit]").await;
    press(&client, Key::Space).await;
    for _ in 0..3 {
        log_in_by_keyboard(&client, &bsn, &pin).await;
    }
    wait_until_url(&client, &format!("{}/", s.url)).await;
    wait_for_text(&client, "Totaal nog te betalen").await;

    // A matter, and back.
    tab_to(&client, ".matters a").await;
    press(&client, Key::Enter).await;
    wait_for_text(&client, "Verloop").await;
    tab_to(&client, "main a[href='/']").await;
    press(&client, Key::Enter).await;
    wait_for(&client, "#total-outstanding").await;

    // An arrangement with a 3-month pause: typing goes only into the field that has focus.
    tab_to(&client, "main a.button[href='/arrangement']").await;
    press(&client, Key::Enter).await;
    wait_for(&client, "#income").await;
    tab_to(&client, "#income").await;
    type_text(&client, "10000").await;
    tab_to(&client, "#pause").await;
    type_text(&client, "3").await;
    let pause = client.find(Locator::Id("pause")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(pause.as_deref(), Some("3"));
    tab_to(&client, "form[action='/arrangement'] button[type=submit]").await;
    press(&client, Key::Enter).await;
    wait_for_text(&client, "Maand 1 tot en met 3: pauze").await;
    tab_to(&client, "form[action='/arrangement/save'] button").await;
    press(&client, Key::Enter).await;
    wait_for_text(&client, "nog niet ingediend").await;

    // Submit: the chain of logins at the three organisations, each by keyboard, back to the plan.
    let plan_url = client.current_url().await.unwrap().to_string();
    tab_to(&client, "#submit-plan").await;
    press(&client, Key::Space).await;
    for _ in 0..3 {
        log_in_by_keyboard(&client, &bsn, &pin).await;
    }
    wait_until_url(&client, &plan_url).await;
    for org in &s.orgs {
        let parts = org.state.arrangements.list().unwrap();
        assert_eq!(parts.len(), 1, "{} received the request", org.state.config.name);
        assert_eq!(parts[0].part.pause.as_ref().map(|p| p.months), Some(3), "with the pause");
    }

    // Lock: Shift-Tab back up to the header's lock button.
    tab_to(&client, "main a[href='/']").await;
    move_focus_to(&client, "header form button", true).await;
    press(&client, Key::Enter).await;
    wait_for_text(&client, "Ontgrendel je pod").await;
    client.close().await.unwrap();
}
