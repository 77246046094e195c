//! The pages only a pod at a provider has, shown by the browser app before a pod is open: log
//! in, sign up, recover with the recovery code, move a pod here; and the one-time page with the
//! new pod's number and recovery code.

use askama::Template;

use crate::Rendered;
use crate::chrome::{Base, Chrome};
use crate::i18n::{Text, t};

#[derive(Template)]
#[template(path = "start.html")]
struct StartPage {
    base: Base,
    heading: String,
    help: String,
    error: Option<String>,
    pod_id: String,
    pod_id_label: String,
    passphrase_label: String,
    unlock_label: String,
    signup_heading: String,
    signup_help: String,
    repeat_label: String,
    signup_label: String,
    recover_heading: String,
    recovery_code_label: String,
    new_passphrase_label: String,
    recover_label: String,
    import_heading: String,
    backup_file_label: String,
    import_label: String,
}

/// Log in (with the pod number this browser remembers, if any), sign up, recover or import.
pub fn start(chrome: &Chrome, pod_id: &str, error: Option<&str>) -> Rendered {
    let lang = chrome.lang;
    StartPage {
        base: chrome.base(),
        heading: t(lang, Text::StartHeading).to_owned(),
        help: t(lang, Text::StartHelp).to_owned(),
        error: error.map(str::to_owned),
        pod_id: pod_id.to_owned(),
        pod_id_label: t(lang, Text::PodId).to_owned(),
        passphrase_label: t(lang, Text::Passphrase).to_owned(),
        unlock_label: t(lang, Text::Unlock).to_owned(),
        signup_heading: t(lang, Text::SignupHeading).to_owned(),
        signup_help: t(lang, Text::SignupHelp).to_owned(),
        repeat_label: t(lang, Text::RepeatPassphrase).to_owned(),
        signup_label: t(lang, Text::Signup).to_owned(),
        recover_heading: t(lang, Text::RecoverHeading).to_owned(),
        recovery_code_label: t(lang, Text::RecoveryCode).to_owned(),
        new_passphrase_label: t(lang, Text::NewPassphrase).to_owned(),
        recover_label: t(lang, Text::Recover).to_owned(),
        import_heading: t(lang, Text::ImportHeading).to_owned(),
        backup_file_label: t(lang, Text::BackupFile).to_owned(),
        import_label: t(lang, Text::Import).to_owned(),
    }
    .render()
}

#[derive(Template)]
#[template(path = "welcome.html")]
struct WelcomePage {
    base: Base,
    heading: String,
    help: String,
    pod_id_label: String,
    pod_id: String,
    recovery_code_label: String,
    recovery_code: String,
    keep_help: String,
    continue_label: String,
}

/// Shown once after sign-up, import or recovery: the pod number and the new recovery code.
pub fn welcome(chrome: &Chrome, pod_id: &str, recovery_code: &str) -> Rendered {
    let lang = chrome.lang;
    WelcomePage {
        base: chrome.base(),
        heading: t(lang, Text::WelcomeHeading).to_owned(),
        help: t(lang, Text::WelcomeHelp).to_owned(),
        pod_id_label: t(lang, Text::PodId).to_owned(),
        pod_id: pod_id.to_owned(),
        recovery_code_label: t(lang, Text::RecoveryCode).to_owned(),
        recovery_code: recovery_code.to_owned(),
        keep_help: t(lang, Text::KeepHelp).to_owned(),
        continue_label: t(lang, Text::Continue).to_owned(),
    }
    .render()
}
