//! What every page shows around its content: the header with language, settings, audit and
//! lock, in the citizen's language, with links that lead to the right place on each side.

use schemas::lang::Lang;

use crate::i18n::{Text, code, t};

/// Where a page is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// `pod serve` on the citizen's machine: links are server paths (`/matters/…`), forms post
    /// to the server with a CSRF token.
    Local,
    /// The browser app at a provider: links are fragments (`#/matters/…`), which never reach the
    /// provider's server; the app's own script handles each form.
    Browser,
}

/// What the pages need to know about the request they answer.
#[derive(Clone, Debug)]
pub struct Chrome {
    /// The citizen's language.
    pub lang: Lang,
    /// Whether the pod is unlocked (the header then offers settings, audit and lock).
    pub unlocked: bool,
    /// The CSRF token forms carry (`pod serve`); empty in the browser.
    pub csrf: String,
    /// Where the page is shown.
    pub place: Place,
}

impl Chrome {
    /// The header values a template reads as `base`.
    pub(crate) fn base(&self) -> Base {
        let lang = self.lang;
        Base {
            lang_code: code(lang),
            title: t(lang, Text::Title).to_owned(),
            other_lang: if lang == Lang::Nl { "en" } else { "nl" },
            language_link: t(lang, Text::Language).to_owned(),
            unlocked: self.unlocked,
            settings_link: t(lang, Text::Settings).to_owned(),
            audit_link: t(lang, Text::Audit).to_owned(),
            lock_label: t(lang, Text::Lock).to_owned(),
            csrf: self.csrf.clone(),
            root: match self.place {
                Place::Local => "",
                Place::Browser => "#",
            },
            local: self.place == Place::Local,
        }
    }
}

/// What every page shows in its header (built by [`Chrome`]).
pub struct Base {
    pub(crate) lang_code: &'static str,
    pub(crate) title: String,
    pub(crate) other_lang: &'static str,
    pub(crate) language_link: String,
    pub(crate) unlocked: bool,
    pub(crate) settings_link: String,
    pub(crate) audit_link: String,
    pub(crate) lock_label: String,
    pub(crate) csrf: String,
    /// Put before every link and form action: `""` locally, `"#"` in the browser.
    pub(crate) root: &'static str,
    /// Whether the page comes from `pod serve` (which links its own stylesheet).
    pub(crate) local: bool,
}
