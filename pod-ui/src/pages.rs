//! The pages every pod has: unlock, overview, matter, fetch and its progress, settings, the
//! printable overview and the audit view. Each takes what it shows and returns HTML.

use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use pod_core::fetch_log::FetchLogEntry;
use pod_core::matter::MatterDetail;
use pod_core::overview::{DataStatus, Overview};
use schemas::descriptor::OrganisationDescriptor;
use schemas::lang::{Lang, format_cents};
use serde::Deserialize;

use crate::Rendered;
use crate::chrome::{Base, Chrome};
use crate::i18n::{Text, code, t};

fn date(day: NaiveDate) -> String {
    day.format("%d-%m-%Y").to_string()
}

/// A moment as the citizen reads it: in the time zone the caller chose, to the minute.
fn moment(at: DateTime<Utc>, offset: chrono::FixedOffset) -> String {
    at.with_timezone(&offset).format("%d-%m-%Y %H:%M").to_string()
}

#[derive(Template)]
#[template(path = "unlock.html")]
struct UnlockPage {
    base: Base,
    heading: String,
    help: String,
    passphrase_label: String,
    unlock_label: String,
    error: Option<String>,
}

/// The unlock page of a pod on this machine, with an error from the last attempt if any.
pub fn unlock(chrome: &Chrome, error: Option<&str>) -> Rendered {
    let lang = chrome.lang;
    UnlockPage {
        base: chrome.base(),
        heading: t(lang, Text::UnlockHeading).to_owned(),
        help: t(lang, Text::UnlockHelp).to_owned(),
        passphrase_label: t(lang, Text::Passphrase).to_owned(),
        unlock_label: t(lang, Text::Unlock).to_owned(),
        error: error.map(str::to_owned),
    }
    .render()
}

struct MatterLine {
    id: String,
    description: String,
    next_due: String,
    outstanding: String,
    overdue: String,
    overdue_cents: i64,
}

struct OrgBlock {
    name: String,
    /// Whether any of its data was ever fetched: without, it shows no amounts at all.
    has_data: bool,
    /// Whether it is in the totals.
    counted: bool,
    outstanding: String,
    overdue: String,
    fetched: String,
    status: String,
    status_class: &'static str,
    matters: Vec<MatterLine>,
}

/// One bar of the chart of what is owed per organisation, in SVG user units.
struct OwedBar {
    name: String,
    y: u32,
    text_y: u32,
    outstanding_width: u32,
    overdue_width: u32,
    outstanding: String,
    overdue: String,
}

/// The widest bar, in SVG user units (the chart is 600 wide; the names take the left 200).
const BAR_WIDTH: i64 = 380;
/// One bar's row height.
const BAR_ROW: u32 = 34;

/// The bars for the counted organisations that have data, scaled to the largest amount.
fn owed_bars(overview: &Overview, money: impl Fn(i64) -> String) -> Vec<OwedBar> {
    let counted: Vec<_> = overview
        .organisations
        .iter()
        .filter(|o| o.status == DataStatus::Ok && o.fetched_at.is_some())
        .collect();
    let largest = counted.iter().map(|o| o.totals.outstanding_cents.max(0)).max().unwrap_or(0).max(1);
    let scale = |cents: i64| u32::try_from(cents.clamp(0, largest) * BAR_WIDTH / largest).unwrap_or(0);
    counted
        .iter()
        .zip(0u32..)
        .map(|(org, row)| {
            let outstanding = org.totals.outstanding_cents.max(0);
            OwedBar {
                name: org.name.clone(),
                y: 8 + row * BAR_ROW,
                text_y: 8 + row * BAR_ROW + 19,
                outstanding_width: scale(outstanding),
                overdue_width: scale(org.totals.overdue_cents.clamp(0, outstanding)),
                outstanding: money(org.totals.outstanding_cents),
                overdue: money(org.totals.overdue_cents),
            }
        })
        .collect()
}

/// A month as a chart label and a table row: "dec 2026" / "Dec 2026".
fn month_label(month: NaiveDate, lang: Lang) -> String {
    const NL: [&str; 12] = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"];
    const EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let names = if lang == Lang::Nl { NL } else { EN };
    let index = usize::try_from(chrono::Datelike::month0(&month)).unwrap_or(0);
    format!("{} {}", names[index % 12], chrono::Datelike::year(&month))
}

/// One month of the chart of what falls due, in SVG user units.
struct ComingBar {
    x: u32,
    label_x: u32,
    y: u32,
    height: u32,
    /// The month's short name, under its bar.
    short: String,
    month: String,
    amount: String,
    /// Who asks it, with their part.
    to_whom: String,
}

/// The chart's bar area: 12 columns of 50 in a 600-wide chart, the tallest bar 150 high.
const COMING_COLUMN: u32 = 50;
const COMING_TALLEST: i64 = 150;
const COMING_BASE: u32 = 170;

fn coming_bars(overview: &Overview, lang: Lang, money: impl Fn(i64) -> String) -> Vec<ComingBar> {
    let largest = overview.coming_months.iter().map(|m| m.cents).max().unwrap_or(0).max(1);
    overview
        .coming_months
        .iter()
        .zip(0u32..)
        .map(|(month, column)| {
            let height = u32::try_from(month.cents.clamp(0, largest) * COMING_TALLEST / largest).unwrap_or(0);
            let label = month_label(month.month, lang);
            ComingBar {
                x: column * COMING_COLUMN + 8,
                label_x: column * COMING_COLUMN + COMING_COLUMN / 2,
                y: COMING_BASE - height,
                height,
                short: label.split(' ').next().unwrap_or_default().to_owned(),
                month: label,
                amount: money(month.cents),
                to_whom: month
                    .organisations
                    .iter()
                    .map(|share| format!("{} {}", overview.name_of(&share.organisation), money(share.cents)))
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })
        .collect()
}

/// A line under the totals: an organisation not in them, why, and since when.
struct LeftOutLine {
    name: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    base: Base,
    summary_label: String,
    summary_region: String,
    total_label: String,
    overdue_label: String,
    next_label: String,
    total_outstanding: String,
    total_overdue: String,
    next_due: String,
    fetch_label: String,
    warnings_label: String,
    warnings: Vec<String>,
    nothing_yet: String,
    has_data: bool,
    nothing_fetched_heading: String,
    nothing_fetched_help: String,
    left_out_heading: String,
    left_out_help: String,
    not_counted: String,
    left_out: Vec<LeftOutLine>,
    overdue_question: String,
    overdue_answer: String,
    owed_heading: String,
    owed_legend: String,
    organisation_label: String,
    owed_bars: Vec<OwedBar>,
    owed_height: u32,
    coming_heading: String,
    coming_legend: String,
    month_label: String,
    amount_label: String,
    to_whom_label: String,
    coming_bars: Vec<ComingBar>,
    /// The matter page with the way to pay the next payment, if there is one.
    next_due_link: Option<String>,
    how_to_pay_label: String,
    downloads_heading: String,
    downloads_help: String,
    spreadsheet_label: String,
    data_file_label: String,
    organisations: Vec<OrgBlock>,
    print_label: String,
    arrangement_label: String,
    share_label: String,
    share_help: String,
    recipient_label: String,
}

fn status_name(status: DataStatus) -> &'static str {
    match status {
        DataStatus::Ok => "ok",
        DataStatus::Stale => "stale",
        DataStatus::Failed => "failed",
        DataStatus::Never => "never",
    }
}

/// Mijn Betaaloverzicht. Times are shown at `offset` (the citizen's local time).
pub fn overview(chrome: &Chrome, overview: &Overview, offset: chrono::FixedOffset) -> Rendered {
    let lang = chrome.lang;
    let money = |cents: i64| format_cents(cents, lang);
    let organisations = overview
        .organisations
        .iter()
        .map(|org| {
            let status = status_name(org.status);
            OrgBlock {
                name: org.name.clone(),
                has_data: org.fetched_at.is_some(),
                counted: org.status == DataStatus::Ok,
                outstanding: money(org.totals.outstanding_cents),
                overdue: money(org.totals.overdue_cents),
                fetched: org.fetched_at.map_or_else(
                    || t(lang, Text::Never).to_owned(),
                    |at| format!("{} {}", t(lang, Text::Fetched), moment(at, offset)),
                ),
                status: t(lang, Text::data_status(org.status)).to_owned(),
                status_class: status,
                matters: org
                    .matters
                    .iter()
                    .enumerate()
                    .map(|(i, m)| MatterLine {
                        id: format!("{}:{i}", org.id),
                        description: m.description.clone(),
                        next_due: m.next_due.map_or_else(String::new, |n| {
                            format!("{} {} · {}", t(lang, Text::NextDue), money(n.cents), date(n.date))
                        }),
                        outstanding: money(m.outstanding_cents),
                        overdue: money(m.overdue_cents),
                        overdue_cents: m.overdue_cents,
                    })
                    .collect(),
            }
        })
        .collect();
    let next_due = overview.next_due.as_ref().map_or_else(
        || t(lang, Text::NoneDue).to_owned(),
        |n| {
            format!("{} · {} · {}", money(n.cents), date(n.date), overview.name_of(&n.organisation))
        },
    );
    let bars = owed_bars(overview, money);
    OverviewPage {
        base: chrome.base(),
        summary_label: t(lang, Text::Title).to_owned(),
        summary_region: t(lang, Text::Summary).to_owned(),
        total_label: t(lang, Text::TotalOutstanding).to_owned(),
        overdue_label: t(lang, Text::Overdue).to_owned(),
        next_label: t(lang, Text::NextDue).to_owned(),
        total_outstanding: money(overview.totals.outstanding_cents),
        total_overdue: money(overview.totals.overdue_cents),
        next_due,
        fetch_label: t(lang, Text::Fetch).to_owned(),
        warnings_label: t(lang, Text::Warnings).to_owned(),
        warnings: overview.warnings.iter().map(|w| w.text(lang)).collect(),
        nothing_yet: t(lang, Text::NothingYet).to_owned(),
        has_data: overview.has_data(),
        nothing_fetched_heading: t(lang, Text::NothingFetchedHeading).to_owned(),
        nothing_fetched_help: t(lang, Text::NothingFetchedHelp).to_owned(),
        left_out_heading: t(lang, Text::LeftOutHeading).to_owned(),
        left_out_help: t(lang, Text::LeftOutHelp).to_owned(),
        not_counted: t(lang, Text::NotCounted).to_owned(),
        left_out: overview
            .left_out
            .iter()
            .map(|o| LeftOutLine {
                name: o.name.clone(),
                reason: match o.fetched_at {
                    Some(at) => format!(
                        "{} ({} {})",
                        t(lang, Text::data_status(o.status)),
                        t(lang, Text::Fetched).to_lowercase(),
                        moment(at, offset)
                    ),
                    None => t(lang, Text::data_status(o.status)).to_owned(),
                },
            })
            .collect(),
        overdue_question: t(lang, Text::ExplainOverdueQ).to_owned(),
        overdue_answer: t(lang, Text::ExplainOverdueA).to_owned(),
        owed_heading: t(lang, Text::OwedChartHeading).to_owned(),
        owed_legend: t(lang, Text::OwedChartLegend).to_owned(),
        organisation_label: t(lang, Text::Organisation).to_owned(),
        owed_height: 16 + BAR_ROW * u32::try_from(bars.len()).unwrap_or(0),
        owed_bars: bars,
        coming_heading: t(lang, Text::ComingChartHeading).to_owned(),
        coming_legend: t(lang, Text::ComingChartLegend).to_owned(),
        month_label: t(lang, Text::Month).to_owned(),
        amount_label: t(lang, Text::Amount).to_owned(),
        to_whom_label: t(lang, Text::ToWhom).to_owned(),
        coming_bars: coming_bars(overview, lang, money),
        next_due_link: overview
            .next_due
            .as_ref()
            .map(|n| format!("{}/matters/{}:{}", chrome.base().root, n.organisation, n.matter)),
        how_to_pay_label: t(lang, Text::HowToPay).to_owned(),
        downloads_heading: t(lang, Text::DownloadsHeading).to_owned(),
        downloads_help: t(lang, Text::DownloadsHelp).to_owned(),
        spreadsheet_label: t(lang, Text::Spreadsheet).to_owned(),
        data_file_label: t(lang, Text::DataFile).to_owned(),
        organisations,
        print_label: t(lang, Text::Print).to_owned(),
        arrangement_label: t(lang, Text::Arrangement).to_owned(),
        share_label: t(lang, Text::Share).to_owned(),
        share_help: t(lang, Text::ShareHelp).to_owned(),
        recipient_label: t(lang, Text::Recipient).to_owned(),
    }
    .render()
}

#[derive(Template)]
#[template(path = "matter.html")]
struct MatterPage {
    base: Base,
    back_label: String,
    description: String,
    organisation: String,
    case_ref: String,
    outstanding_label: String,
    overdue_label: String,
    next_label: String,
    outstanding: String,
    overdue: String,
    next_due: String,
    warnings: Vec<String>,
    timeline_label: String,
    timeline: Vec<(String, String)>,
    contact_label: String,
    contacts: Vec<String>,
    pay_label: String,
    payments: Vec<String>,
    claim_types: String,
}

/// One matter: its amounts, how to pay, its timeline and whom to contact.
pub fn matter(chrome: &Chrome, detail: &MatterDetail) -> Rendered {
    let lang = chrome.lang;
    let money = |cents: i64| format_cents(cents, lang);
    let view = &detail.matter;
    MatterPage {
        base: chrome.base(),
        back_label: t(lang, Text::Back).to_owned(),
        description: view.description.clone(),
        organisation: detail.organisation.clone(),
        case_ref: view.case_ref.clone(),
        outstanding_label: t(lang, Text::Outstanding).to_owned(),
        overdue_label: t(lang, Text::Overdue).to_owned(),
        next_label: t(lang, Text::NextDue).to_owned(),
        outstanding: money(view.outstanding_cents),
        overdue: money(view.overdue_cents),
        next_due: view.next_due.map_or_else(
            || t(lang, Text::NoneDue).to_owned(),
            |n| format!("{} · {}", money(n.cents), date(n.date)),
        ),
        warnings: view.warnings.iter().map(|w| w.text(lang)).collect(),
        timeline_label: t(lang, Text::Timeline).to_owned(),
        timeline: detail
            .timeline
            .iter()
            .map(|l| {
                let label = if lang == Lang::Nl { &l.label_nl } else { &l.label_en };
                (l.at.chars().take(10).collect(), label.clone())
            })
            .collect(),
        contact_label: t(lang, Text::Contact).to_owned(),
        contacts: detail
            .contact_options
            .iter()
            .map(|c| format!("{}: {}", c.channel, c.url))
            .collect(),
        pay_label: t(lang, Text::HowToPay).to_owned(),
        payments: detail
            .payment_demands
            .iter()
            .map(|d| {
                let mut line = format!("{} · {}", date(d.due_date), money(d.cents));
                if let Some(iban) = &d.iban {
                    line += &format!(" · IBAN {iban}");
                }
                if let Some(reference) = &d.payment_reference {
                    line += &format!(" · {} {reference}", t(lang, Text::Reference));
                }
                line
            })
            .collect(),
        claim_types: detail.claim_types.join(", "),
    }
    .render()
}

#[derive(Template)]
#[template(path = "fetch.html")]
struct FetchPage {
    base: Base,
    heading: String,
    help: String,
    start_label: String,
    organisations: Vec<(String, String)>,
}

/// Choose the organisations to fetch from (all pinned ones ticked).
pub fn fetch(chrome: &Chrome, organisations: &[OrganisationDescriptor]) -> Rendered {
    let lang = chrome.lang;
    FetchPage {
        base: chrome.base(),
        heading: t(lang, Text::Fetch).to_owned(),
        help: t(lang, Text::FetchHelp).to_owned(),
        start_label: t(lang, Text::StartFetch).to_owned(),
        organisations: organisations
            .iter()
            .map(|o| (o.id.to_string(), o.name.clone()))
            .collect(),
    }
    .render()
}

/// Where one organisation's part of a fetch, submission or status check stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Waiting for the citizen to log in at the organisation.
    Login,
    /// Talking to the organisation.
    Fetching,
    /// Checking the signed answer.
    Verifying,
    /// Stored.
    Done,
    /// Failed; the message says why.
    Failed,
}

/// One organisation on the progress page.
#[derive(Clone, Debug, Deserialize)]
pub struct Progress {
    /// The organisation's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Where it stands.
    pub stage: Stage,
    /// The login to open, while it waits for one.
    pub login_url: Option<String>,
    /// What went wrong, in words.
    pub message: Option<String>,
}

struct OrgProgress {
    id: String,
    name: String,
    stage: String,
    login_url: Option<String>,
    message: Option<String>,
}

#[derive(Template)]
#[template(path = "fetch_job.html")]
struct FetchJobPage {
    base: Base,
    heading: String,
    next: Next,
    next_label: String,
    continue_label: String,
    still_working: String,
    look_again_label: String,
    note: Option<String>,
    login_label: String,
    back_label: String,
    organisations: Vec<OrgProgress>,
}

/// Where the progress page goes next, by itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Nowhere: the browser app renders it again on every step, and a finished job stays.
    Stay,
    /// The pod is still busy: a link to look again. Never a timed reload, which would take the
    /// reader's place and focus away (WCAG 2.2.1).
    Reload,
    /// Goes on at once to this organisation's login: a chain of logins in one tab.
    Login {
        /// The organisation's name.
        organisation: String,
        /// Its authorization request.
        url: String,
    },
    /// Goes on at once to this page of the pod (the job's own page, after a login's answer:
    /// the pod's cookies are `SameSite=Strict`, so only a navigation that starts on the pod's
    /// own page carries them).
    Page(String),
}

/// The progress of a fetch (or a submission or status check), one line per organisation with
/// its login link while it waits, and where the page goes next.
pub fn progress(chrome: &Chrome, organisations: &[Progress], next: Next) -> Rendered {
    let lang = chrome.lang;
    let in_turn = matches!(next, Next::Login { .. });
    FetchJobPage {
        base: chrome.base(),
        heading: t(lang, Text::Progress).to_owned(),
        next,
        next_label: t(lang, Text::NextLogin).to_owned(),
        continue_label: t(lang, Text::Continue).to_owned(),
        still_working: t(lang, Text::StillWorking).to_owned(),
        look_again_label: t(lang, Text::LookAgain).to_owned(),
        note: in_turn.then(|| t(lang, Text::FetchInTurnNote).to_owned()),
        login_label: t(lang, Text::LoginAt).to_owned(),
        back_label: t(lang, Text::Back).to_owned(),
        organisations: organisations
            .iter()
            .map(|o| OrgProgress {
                id: o.id.clone(),
                name: o.name.clone(),
                stage: t(
                    lang,
                    match o.stage {
                        Stage::Login if o.login_url.is_some() => Text::StageLogin,
                        Stage::Login | Stage::Fetching => Text::StageFetching,
                        Stage::Verifying => Text::StageVerifying,
                        Stage::Done => Text::StageDone,
                        Stage::Failed => Text::StageFailed,
                    },
                )
                .to_owned(),
                login_url: o.login_url.clone(),
                message: o.message.clone(),
            })
            .collect(),
    }
    .render()
}

/// An organisation checked but not yet trusted: the citizen compares its fingerprints first.
#[derive(Clone, Debug)]
pub struct PendingOrganisation {
    /// Where it was found.
    pub url: String,
    /// Its name.
    pub name: String,
    /// Its id.
    pub id: String,
    /// Its keys' fingerprints ([`pod_core::scheme::fingerprints`]).
    pub fingerprints: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    base: Base,
    heading: String,
    back_label: String,
    organisations: Vec<(String, String, String)>,
    message: Option<String>,
    passphrase_heading: String,
    current_label: String,
    new_label: String,
    backup_help: String,
    remove_label: String,
    add_label: String,
    url_label: String,
    check_label: String,
    confirm_help: String,
    pin_label: String,
    pending: Option<PendingOrganisation>,
    account_heading: String,
    export_label: String,
    delete_help: String,
    delete_confirm: String,
    delete_label: String,
}

/// The pinned organisations with their key fingerprints, adding one, the passphrase, and
/// (at a provider) export and delete. `message` reports the last action.
pub fn settings(
    chrome: &Chrome,
    organisations: &[OrganisationDescriptor],
    message: Option<&str>,
    pending: Option<PendingOrganisation>,
) -> Rendered {
    let lang = chrome.lang;
    SettingsPage {
        base: chrome.base(),
        heading: t(lang, Text::Scheme).to_owned(),
        back_label: t(lang, Text::Back).to_owned(),
        organisations: organisations
            .iter()
            .map(|o| (o.name.clone(), o.id.to_string(), pod_core::scheme::fingerprints(o)))
            .collect(),
        message: message.map(str::to_owned),
        passphrase_heading: t(lang, Text::ChangePassphrase).to_owned(),
        current_label: t(lang, Text::CurrentPassphrase).to_owned(),
        new_label: t(lang, Text::NewPassphrase).to_owned(),
        backup_help: t(lang, Text::BackupHelp).to_owned(),
        remove_label: t(lang, Text::Remove).to_owned(),
        add_label: t(lang, Text::AddOrganisation).to_owned(),
        url_label: t(lang, Text::OrganisationUrl).to_owned(),
        check_label: t(lang, Text::Check).to_owned(),
        confirm_help: t(lang, Text::ConfirmKey).to_owned(),
        pin_label: t(lang, Text::Pin).to_owned(),
        pending,
        account_heading: t(lang, Text::Account).to_owned(),
        export_label: t(lang, Text::ExportPod).to_owned(),
        delete_help: t(lang, Text::DeleteHelp).to_owned(),
        delete_confirm: t(lang, Text::DeleteConfirm).to_owned(),
        delete_label: t(lang, Text::DeletePod).to_owned(),
    }
    .render()
}

#[derive(Template)]
#[template(path = "print.html")]
struct PrintPage {
    lang_code: &'static str,
    local: bool,
    title: String,
    date_label: String,
    as_of: String,
    total_label: String,
    total: String,
    overdue_label: String,
    overdue: String,
    organisation_label: String,
    description_label: String,
    outstanding_label: String,
    rows: Vec<(String, String, String, String)>,
}

/// A plain, printable overview for a debt counsellor.
pub fn print(chrome: &Chrome, overview: &Overview) -> Rendered {
    let lang = chrome.lang;
    let money = |cents: i64| format_cents(cents, lang);
    PrintPage {
        lang_code: code(lang),
        local: chrome.place == crate::Place::Local,
        title: t(lang, Text::Print).to_owned(),
        date_label: t(lang, Text::Date).to_owned(),
        as_of: date(overview.as_of),
        total_label: t(lang, Text::TotalOutstanding).to_owned(),
        total: money(overview.totals.outstanding_cents),
        overdue_label: t(lang, Text::Overdue).to_owned(),
        overdue: money(overview.totals.overdue_cents),
        organisation_label: t(lang, Text::Organisation).to_owned(),
        description_label: t(lang, Text::Description).to_owned(),
        outstanding_label: t(lang, Text::Outstanding).to_owned(),
        rows: overview
            .organisations
            .iter()
            .flat_map(|o| {
                o.matters.iter().map(move |m| {
                    (
                        o.name.clone(),
                        m.description.clone(),
                        money(m.outstanding_cents),
                        money(m.overdue_cents),
                    )
                })
            })
            .collect(),
    }
    .render()
}

struct AuditRow {
    when: String,
    organisation: String,
    action: String,
    received: String,
    outcome: String,
    message: Option<String>,
    document_sha256: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    base: Base,
    heading: String,
    help: String,
    empty: String,
    when_label: String,
    organisation_label: String,
    action_label: String,
    received_label: String,
    outcome_label: String,
    back_label: String,
    rows: Vec<AuditRow>,
}

/// The audit view: the transparency log, newest first. Every contact with an organisation the
/// citizen started, what it was for, and how it ended.
pub fn audit(chrome: &Chrome, log: &[FetchLogEntry], offset: chrono::FixedOffset) -> Rendered {
    let lang = chrome.lang;
    let mut rows: Vec<&FetchLogEntry> = log.iter().collect();
    rows.sort_by_key(|e| std::cmp::Reverse(e.finished_at));
    AuditPage {
        base: chrome.base(),
        heading: t(lang, Text::Audit).to_owned(),
        help: t(lang, Text::AuditHelp).to_owned(),
        empty: t(lang, Text::AuditEmpty).to_owned(),
        when_label: t(lang, Text::When).to_owned(),
        organisation_label: t(lang, Text::Organisation).to_owned(),
        action_label: t(lang, Text::Action).to_owned(),
        received_label: t(lang, Text::Received).to_owned(),
        outcome_label: t(lang, Text::Outcome).to_owned(),
        back_label: t(lang, Text::Back).to_owned(),
        rows: rows
            .into_iter()
            .map(|e| AuditRow {
                when: moment(e.finished_at, offset),
                organisation: e.name.clone(),
                action: Text::log_action(&e.action).map_or_else(|| e.action.clone(), |action| t(lang, action).to_owned()),
                received: Text::log_received(&e.action).map_or_else(String::new, |received| t(lang, received).to_owned()),
                outcome: t(lang, if e.outcome == "ok" { Text::OutcomeOk } else { Text::OutcomeError }).to_owned(),
                message: e.message.clone(),
                document_sha256: e.document_sha256.clone(),
            })
            .collect(),
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Place;

    const SCRIPT: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";

    fn chrome(place: Place) -> Chrome {
        Chrome {
            lang: Lang::En,
            unlocked: true,
            csrf: "token".to_owned(),
            place,
        }
    }

    #[test]
    fn organisation_text_is_shown_never_run_in_either_place() {
        let line = Progress {
            id: "nl.cjib".to_owned(),
            name: SCRIPT.to_owned(),
            stage: Stage::Failed,
            login_url: None,
            message: Some(SCRIPT.to_owned()),
        };
        for place in [Place::Local, Place::Browser] {
            let html = progress(&chrome(place), std::slice::from_ref(&line), Next::Stay).unwrap();
            assert!(!html.contains("<script>alert") && !html.contains("<img src=x"), "{html}");
            assert!(html.contains("&#60;script&#62;alert(1)"), "{html}");
        }
    }

    #[test]
    fn links_lead_to_the_server_locally_and_stay_in_the_tab_in_the_browser() {
        let local = audit(&chrome(Place::Local), &[], chrono::FixedOffset::east_opt(0).unwrap()).unwrap();
        let browser = audit(&chrome(Place::Browser), &[], chrono::FixedOffset::east_opt(0).unwrap()).unwrap();
        assert!(local.contains("href=\"/settings\"") && local.contains("/static/app.css"), "{local}");
        assert!(local.contains("value=\"token\""), "locally, forms carry the CSRF token");
        assert!(browser.contains("href=\"#/settings\"") && !browser.contains("href=\"/"), "{browser}");
        assert!(!browser.contains("/static/app.css"), "the browser app links its own pinned stylesheet");
    }
}
