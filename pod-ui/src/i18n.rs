//! Every user-facing text of the web UI, in Dutch (the default) and English, in one table.

use schemas::lang::Lang;

/// (key, Dutch, English).
const TEXTS: &[(&str, &str, &str)] = &[
    ("title", "Mijn Betaaloverzicht", "My payment overview"),
    ("unlock_heading", "Ontgrendel je pod", "Unlock your pod"),
    (
        "unlock_help",
        "Je gegevens staan versleuteld op deze computer. Alleen jouw wachtwoordzin opent ze.",
        "Your data is encrypted on this computer. Only your passphrase opens it.",
    ),
    ("passphrase", "Wachtwoordzin", "Passphrase"),
    ("unlock", "Ontgrendelen", "Unlock"),
    ("lock", "Vergrendelen", "Lock"),
    (
        "wrong_passphrase",
        "Die wachtwoordzin klopt niet. Probeer het opnieuw.",
        "That passphrase is not right. Try again.",
    ),
    (
        "wait",
        "Te veel pogingen. Wacht even en probeer het opnieuw.",
        "Too many attempts. Wait a moment and try again.",
    ),
    ("total_outstanding", "Totaal nog te betalen", "Total still to pay"),
    ("overdue", "Achterstallig", "Overdue"),
    ("next_due", "Volgende betaling", "Next payment"),
    ("none_due", "Er staat geen betaling gepland.", "No payment is due."),
    ("organisation", "Organisatie", "Organisation"),
    ("matters", "Zaken", "Matters"),
    ("fetched", "Opgehaald", "Fetched"),
    ("never", "nooit", "never"),
    ("status_ok", "actueel", "up to date"),
    ("status_stale", "ouder dan 7 dagen", "older than 7 days"),
    ("status_failed", "ophalen mislukt", "fetch failed"),
    ("status_never", "nog niet opgehaald", "not fetched yet"),
    ("fetch", "Gegevens ophalen", "Fetch my data"),
    (
        "fetch_help",
        "Kies de organisaties. Je logt bij elke organisatie zelf in; Betaalpod haalt niets op zonder jou.",
        "Choose the organisations. You log in at each one yourself; Betaalpod fetches nothing without you.",
    ),
    ("start_fetch", "Ophalen", "Fetch"),
    ("login_at", "Inloggen bij", "Log in at"),
    ("progress", "Voortgang", "Progress"),
    ("stage_login", "wacht op inloggen", "waiting for login"),
    ("stage_fetching", "ophalen", "fetching"),
    ("stage_verifying", "controleren", "checking"),
    ("stage_done", "klaar", "done"),
    ("stage_failed", "mislukt", "failed"),
    ("back", "Terug naar het overzicht", "Back to the overview"),
    ("description", "Omschrijving", "Description"),
    ("outstanding", "Nog te betalen", "Still to pay"),
    ("timeline", "Verloop", "Timeline"),
    ("contact", "Contact", "Contact"),
    ("warnings", "Let op", "Please note"),
    ("settings", "Instellingen", "Settings"),
    ("scheme", "Organisaties en hun sleutels", "Organisations and their keys"),
    ("language", "English", "Nederlands"),
    (
        "nothing_yet",
        "Nog geen gegevens. Haal ze op bij de organisaties.",
        "No data yet. Fetch it from the organisations.",
    ),
    ("export", "Downloaden", "Download"),
    ("how_to_pay", "Betalen", "How to pay"),
    (
        "print",
        "Afdrukbaar overzicht voor je schuldhulpverlener",
        "Printable overview for your debt counsellor",
    ),
    (
        "share",
        "Versleuteld delen met je schuldhulpverlener",
        "Share encrypted with your counsellor",
    ),
    (
        "share_help",
        "Plak de age-sleutel (age1…) van je hulpverlener. Alleen die kan het bestand openen.",
        "Paste your counsellor's age key (age1…). Only they can open the file.",
    ),
    ("recipient", "Sleutel van je hulpverlener", "Your counsellor's key"),
    (
        "bad_recipient",
        "Dat is geen age-sleutel (age1…).",
        "That is not an age key (age1…).",
    ),
    ("change_passphrase", "Wachtwoordzin wijzigen", "Change passphrase"),
    ("current_passphrase", "Huidige wachtwoordzin", "Current passphrase"),
    (
        "new_passphrase",
        "Nieuwe wachtwoordzin (minstens 12 tekens)",
        "New passphrase (at least 12 characters)",
    ),
    (
        "passphrase_changed",
        "Je wachtwoordzin is gewijzigd.",
        "Your passphrase has been changed.",
    ),
    (
        "backup_help",
        "Een reservekopie maak je met pod backup --out BESTAND; die bevat alleen versleutelde gegevens.",
        "Make a backup with pod backup --out FILE; it holds only encrypted data.",
    ),
    ("date", "Datum", "Date"),
    ("arrangement", "Betalingsregeling", "Payment arrangement"),
    (
        "arrangement_help",
        "Eén regeling voor al je schulden bij de overheid, die je kunt betalen. Vul je inkomen in; we rekenen uit wat je per maand kunt missen.",
        "One arrangement for all your government debts, one you can afford. Enter your income; we work out what you can spare each month.",
    ),
    (
        "claims_in_plan",
        "Vorderingen in de regeling",
        "Claims in the arrangement",
    ),
    ("household", "Huishouden", "Household"),
    ("h_single", "Alleenstaand", "Single"),
    ("h_single_parent", "Alleenstaande ouder", "Single parent"),
    ("h_couple", "Samenwonend of getrouwd", "Couple"),
    ("h_couple_with_children", "Stel met kinderen", "Couple with children"),
    (
        "aow_age",
        "Ik (of mijn partner) heb de AOW-leeftijd",
        "I (or my partner) have reached AOW age",
    ),
    (
        "income",
        "Netto inkomen per maand, met vakantiegeld (€)",
        "Net monthly income, holiday allowance included (€)",
    ),
    (
        "deductions",
        "Lopende inhoudingen of beslag per maand (€)",
        "Running deductions or seizures per month (€)",
    ),
    (
        "pause_months",
        "Pauze aan het begin (maanden)",
        "Pause at the start (months)",
    ),
    ("pause_reason", "Reden voor de pauze", "Reason for the pause"),
    ("motivation", "Korte toelichting", "Short explanation"),
    ("compute", "Uitrekenen", "Calculate"),
    ("schedule", "Maand voor maand", "Month by month"),
    ("paid", "Betaald", "Paid"),
    ("remaining", "Daarna nog", "Remaining after"),
    ("explanation", "Zo is het berekend", "How it was calculated"),
    ("save", "Bewaren", "Save"),
    (
        "saved",
        "De regeling is versleuteld bewaard in je pod.",
        "The arrangement is saved, encrypted, in your pod.",
    ),
    (
        "bad_amount",
        "Vul bedragen in als 1401,50.",
        "Enter amounts like 1401.50.",
    ),
    (
        "o_plan",
        "Een regeling die je kunt betalen",
        "An arrangement you can afford",
    ),
    (
        "o_over_term_cap",
        "Dit duurt te lang: vraag om maatwerk of schuldhulp",
        "This takes too long: ask for custom handling or debt help",
    ),
    (
        "o_pause_and_referral",
        "Je houdt niets over: vraag een pauze en schuldhulp",
        "Nothing is left over: ask for a pause and debt help",
    ),
    (
        "o_min_share_not_met",
        "Te weinig om elke organisatie te betalen",
        "Too little to pay every organisation",
    ),
    (
        "not_an_offer",
        "Geen aanbod. Alleen om met een schuldhulpverlener te bespreken: zo zou het eruitzien als de organisaties toch instemmen",
        "Not an offer. Only to discuss with a debt counsellor: what it would look like if the organisations agreed anyway",
    ),
    ("per_month", "per maand", "a month"),
    ("months", "maanden", "months"),
    ("r_debt_help", "Start schuldhulp", "Start of debt help"),
    ("r_income_loss", "Inkomen verloren", "Loss of income"),
    ("r_illness", "Ziekte of crisis", "Illness or crisis"),
    ("r_bereavement", "Overlijden partner", "Death of a partner"),
    ("r_separation", "Scheiding", "Separation"),
    ("r_birth", "Geboorte", "Birth"),
    ("r_detention", "Detentie", "Detention"),
    ("r_disaster", "Ramp of fraude", "Disaster or fraud"),
    ("r_other", "Anders", "Other"),
    ("saved_plan", "Je bewaarde regeling", "Your saved arrangement"),
    ("monthly", "Per maand", "A month"),
    ("receipt", "Ontvangstbewijs", "Receipt"),
    ("status", "Status", "Status"),
    ("not_submitted", "nog niet ingediend", "not submitted yet"),
    ("st_received", "ontvangen", "received"),
    ("st_accepted", "geaccepteerd", "accepted"),
    ("st_rejected", "afgewezen", "rejected"),
    (
        "share_everything",
        "Deel mijn hele regeling en inkomen met elke organisatie (anders krijgt elke organisatie alleen haar eigen deel)",
        "Share my full plan and income with each organisation (otherwise each gets only its own part)",
    ),
    (
        "submit_plan",
        "Indienen bij de organisaties",
        "Submit to the organisations",
    ),
    ("check_status", "Status opvragen", "Check status"),
    ("remove", "Verwijderen", "Remove"),
    ("add_organisation", "Organisatie toevoegen", "Add an organisation"),
    (
        "organisation_url",
        "Adres van de organisatie",
        "The organisation's address",
    ),
    ("check", "Controleren", "Check"),
    (
        "confirm_key",
        "Vergelijk deze vingerafdruk met wat de organisatie zelf publiceert. Vertrouw haar alleen als ze gelijk zijn.",
        "Compare this fingerprint with what the organisation itself publishes. Trust it only if they match.",
    ),
    ("pin", "Vertrouwen en toevoegen", "Trust and add"),
    (
        "pinned",
        "De organisatie is toegevoegd.",
        "The organisation has been added.",
    ),
    (
        "removed",
        "De organisatie is verwijderd; opgeslagen gegevens blijven bewaard.",
        "The organisation has been removed; stored data is kept.",
    ),
    (
        "unreachable",
        "Die organisatie is niet bereikbaar of geeft geen geldige gegevens.",
        "That organisation cannot be reached or gives no valid data.",
    ),
    (
        "key_changed",
        "De sleutel is veranderd sinds je hem controleerde; er is niets toegevoegd.",
        "The key changed since you checked it; nothing was added.",
    ),
    ("reference", "betalingskenmerk", "payment reference"),
    ("summary", "Samenvatting", "Summary"),
    ("no_such_page", "Deze pagina bestaat niet.", "There is no such page."),
    ("no_such_matter", "Deze zaak staat niet in je pod.", "This matter is not in your pod."),
    ("no_such_plan", "Deze regeling staat niet in je pod.", "This plan is not in your pod."),
    ("audit", "Logboek", "Activity log"),
    (
        "audit_help",
        "Elke keer dat je pod een organisatie benaderde, omdat jij dat vroeg: wanneer, waarvoor en hoe het afliep.",
        "Every time your pod contacted an organisation because you asked it to: when, what for, and how it ended.",
    ),
    ("audit_empty", "Je pod heeft nog geen organisatie benaderd.", "Your pod has not contacted any organisation yet."),
    ("when", "Wanneer", "When"),
    ("action", "Waarvoor", "What for"),
    ("outcome", "Afloop", "Outcome"),
    ("action_fetch", "gegevens ophalen", "fetching data"),
    ("action_submit", "regeling aanvragen", "asking for an arrangement"),
    ("action_status", "status van regeling", "arrangement status"),
    ("outcome_ok", "gelukt", "done"),
    ("outcome_error", "mislukt", "failed"),
    ("account", "Je pod bij deze aanbieder", "Your pod at this provider"),
    ("export_pod", "Pod downloaden (versleuteld)", "Download your pod (encrypted)"),
    (
        "delete_help",
        "Verwijderen vernietigt eerst de sleutels; daarna kan niemand je gegevens nog openen, ook jij niet.",
        "Deleting destroys the keys first; after that nobody can open your data, not even you.",
    ),
    ("delete_confirm", "Ja, verwijder mijn pod", "Yes, delete my pod"),
    ("delete_pod", "Pod verwijderen", "Delete pod"),
    ("start_heading", "Inloggen bij je pod", "Log in to your pod"),
    (
        "start_help",
        "Je pod staat versleuteld bij deze aanbieder. Alleen jouw wachtwoordzin opent hem, in deze browser; de aanbieder krijgt hem nooit.",
        "Your pod is stored encrypted at this provider. Only your passphrase opens it, in this browser; the provider never receives it.",
    ),
    ("pod_id", "Pod-nummer", "Pod number"),
    ("signup_heading", "Nieuwe pod", "New pod"),
    (
        "signup_help",
        "Kies een wachtwoordzin van minstens 12 tekens. Je krijgt daarna een herstelcode: bewaar die goed.",
        "Choose a passphrase of at least 12 characters. You then get a recovery code: keep it safe.",
    ),
    ("repeat_passphrase", "Herhaal je wachtwoordzin", "Repeat your passphrase"),
    ("signup", "Pod aanmaken", "Create pod"),
    ("passphrases_differ", "De twee wachtwoordzinnen zijn niet gelijk.", "The two passphrases are not the same."),
    ("recover_heading", "Wachtwoordzin vergeten?", "Forgot your passphrase?"),
    ("recovery_code", "Herstelcode", "Recovery code"),
    ("recover", "Nieuwe wachtwoordzin instellen", "Set a new passphrase"),
    ("import_heading", "Een pod overzetten", "Move a pod here"),
    ("backup_file", "Back-upbestand", "Backup file"),
    ("import", "Overzetten", "Move here"),
    ("welcome_heading", "Je pod is aangemaakt", "Your pod has been created"),
    (
        "welcome_help",
        "Schrijf je pod-nummer en herstelcode op. Met de herstelcode kom je weer in je pod als je je wachtwoordzin vergeet.",
        "Write down your pod number and recovery code. The recovery code gets you back into your pod if you forget your passphrase.",
    ),
    (
        "keep_help",
        "De herstelcode wordt maar één keer getoond. De aanbieder kent hem niet.",
        "The recovery code is shown only once. The provider does not know it.",
    ),
    ("continue", "Verder", "Continue"),
];

/// The text for `key` in `lang`; the key itself if it is missing (visible, never a panic).
pub fn t(lang: Lang, key: &str) -> &str {
    TEXTS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or(key, |(_, nl, en)| match lang {
            Lang::Nl => nl,
            Lang::En => en,
        })
}

/// The language code for `<html lang>`.
pub fn code(lang: Lang) -> &'static str {
    match lang {
        Lang::Nl => "nl",
        Lang::En => "en",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_translated() {
        let mut keys: Vec<&str> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), before, "duplicate keys");
        // Words that are the same in both languages; anything else identical is a missed translation.
        const SAME_IN_BOTH: &[&str] = &["Contact", "Status"];
        for (key, nl, en) in TEXTS {
            assert!(!nl.is_empty() && !en.is_empty(), "{key} is empty");
            assert!(nl != en || SAME_IN_BOTH.contains(nl), "{key} is not translated");
        }
        assert_eq!(t(Lang::En, "unlock"), "Unlock");
        assert_eq!(t(Lang::Nl, "missing-key"), "missing-key");
    }
}
