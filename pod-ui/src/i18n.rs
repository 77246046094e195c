//! Every user-facing text of the web UI, in Dutch (the default) and English, in one table
//! ([`schemas::texts!`]: a text missing in either language does not compile).

use schemas::lang::Lang;

schemas::texts! {
    /// Every text of the pages, by name. A name that is not here does not compile.
    pub enum Text {
        Title = "title" => ("Mijn Betaaloverzicht", "My payment overview"),
        UnlockHeading = "unlock_heading" => ("Ontgrendel je pod", "Unlock your pod"),
        UnlockHelp = "unlock_help" => (
            "Je gegevens staan versleuteld op deze computer. Alleen jouw wachtwoordzin opent ze.",
            "Your data is encrypted on this computer. Only your passphrase opens it.",
        ),
        Passphrase = "passphrase" => ("Wachtwoordzin", "Passphrase"),
        Unlock = "unlock" => ("Ontgrendelen", "Unlock"),
        Lock = "lock" => ("Vergrendelen", "Lock"),
        WrongPassphrase = "wrong_passphrase" => (
            "Die wachtwoordzin klopt niet. Probeer het opnieuw.",
            "That passphrase is not right. Try again.",
        ),
        Wait = "wait" => (
            "Te veel pogingen. Wacht even en probeer het opnieuw.",
            "Too many attempts. Wait a moment and try again.",
        ),
        TotalOutstanding = "total_outstanding" => (
            "Totaal nog te betalen",
            "Total still to pay",
        ),
        Overdue = "overdue" => ("Achterstallig", "Overdue"),
        NextDue = "next_due" => ("Volgende betaling", "Next payment"),
        NoneDue = "none_due" => ("Er staat geen betaling gepland.", "No payment is due."),
        Organisation = "organisation" => ("Organisatie", "Organisation"),
        ExplainOverdueQ = "explain_overdue_q" => ("Wat betekent achterstallig?", "What does overdue mean?"),
        ExplainOverdueA = "explain_overdue_a" => (
            "Dit geld had je al moeten betalen: de datum om te betalen is voorbij. Als je langer wacht, komen er vaak kosten bij.",
            "You should have paid this money already: the date to pay has passed. If you wait longer, costs are often added.",
        ),
        ExplainPauseQ = "explain_pause_q" => ("Wat is een pauze?", "What is a pause?"),
        ExplainPauseA = "explain_pause_a" => (
            "Een pauze is een paar maanden waarin je niets betaalt. Bijvoorbeeld als je je werk kwijt bent of ziek bent. Daarna betaal je weer elke maand.",
            "A pause is a few months in which you pay nothing. For example when you lost your job or are ill. After it, you pay every month again.",
        ),
        ExplainFloorQ = "explain_floor_q" => ("Wat is de beslagvrije voet?", "What is the protected income (beslagvrije voet)?"),
        ExplainFloorA = "explain_floor_a" => (
            "Dat is het deel van je inkomen dat je altijd houdt, om van te leven. Een regeling vraagt nooit geld uit dat deel.",
            "That is the part of your income you always keep, to live on. An arrangement never asks for money from that part.",
        ),
        Matters = "matters" => ("Zaken", "Matters"),
        Fetched = "fetched" => ("Opgehaald", "Fetched"),
        Never = "never" => ("nooit", "never"),
        StatusOk = "status_ok" => ("actueel", "up to date"),
        StatusStale = "status_stale" => ("ouder dan 7 dagen", "older than 7 days"),
        StatusFailed = "status_failed" => ("ophalen mislukt", "fetch failed"),
        StatusNever = "status_never" => ("nog niet opgehaald", "not fetched yet"),
        Fetch = "fetch" => ("Gegevens ophalen", "Fetch my data"),
        FetchHelp = "fetch_help" => (
            "Kies de organisaties. Je logt in zoals je gewend bent. Na de eerste keer gaat het meestal vanzelf verder naar de volgende organisatie. Betaalpod haalt niets op zonder jou.",
            "Choose the organisations. You log in as you are used to. After the first time, it usually goes on to the next organisation by itself. Betaalpod fetches nothing without you.",
        ),
        StartFetch = "start_fetch" => ("Ophalen", "Fetch"),
        LoginAt = "login_at" => ("Inloggen bij", "Log in at"),
        NextLogin = "next_login" => ("Je gaat nu verder naar", "Now going on to"),
        FetchInTurnNote = "fetch_in_turn_note" => ("Na je eerste login gaan we vanzelf verder naar de volgende organisatie.", "After your first login we go on to the next organisation by ourselves."),
        Progress = "progress" => ("Voortgang", "Progress"),
        StageLogin = "stage_login" => ("wacht op inloggen", "waiting for login"),
        StageFetching = "stage_fetching" => ("ophalen", "fetching"),
        StageVerifying = "stage_verifying" => ("controleren", "checking"),
        StageDone = "stage_done" => ("klaar", "done"),
        StageFailed = "stage_failed" => ("mislukt", "failed"),
        Back = "back" => ("Terug naar het overzicht", "Back to the overview"),
        Description = "description" => ("Omschrijving", "Description"),
        Outstanding = "outstanding" => ("Nog te betalen", "Still to pay"),
        Timeline = "timeline" => ("Verloop", "Timeline"),
        Contact = "contact" => ("Contact", "Contact"),
        Warnings = "warnings" => ("Let op", "Please note"),
        Settings = "settings" => ("Instellingen", "Settings"),
        Scheme = "scheme" => ("Organisaties en hun sleutels", "Organisations and their keys"),
        Language = "language" => ("English", "Nederlands"),
        NothingFetchedHeading = "nothing_fetched_heading" => ("Je hebt nog niets opgehaald", "You have not fetched anything yet"),
        NothingFetchedHelp = "nothing_fetched_help" => (
            "Betaalpod weet nog niet wat je moet betalen. Haal eerst je gegevens op bij de organisaties. Daarna zie je hier wat je nog moet betalen en wanneer.",
            "Betaalpod does not know yet what you owe. First fetch your data from the organisations. Then you see here what you still have to pay, and when.",
        ),
        LeftOutHeading = "left_out_heading" => ("Niet meegeteld", "Not counted"),
        LeftOutHelp = "left_out_help" => (
            "Deze organisaties tellen niet mee in de bedragen hierboven. Hun gegevens ontbreken of zijn niet actueel:",
            "These organisations are not in the amounts above. Their data is missing or not up to date:",
        ),
        NotCounted = "not_counted" => ("niet meegeteld", "not counted"),
        OwedChartHeading = "owed_chart_heading" => ("Wat je per organisatie nog moet betalen", "What you still owe per organisation"),
        OwedChartLegend = "owed_chart_legend" => (
            "De hele balk is wat je nog moet betalen. Het rode deel is achterstand: dat had je al moeten betalen.",
            "The whole bar is what you still owe. The red part is overdue: it should have been paid already.",
        ),
        PauseBand = "pause_band" => ("pauze", "pause"),
        PausedMonth = "paused_month" => ("pauze: niets", "pause: nothing"),
        StillWorking = "still_working" => ("Je pod is nog bezig.", "Your pod is still busy."),
        LookAgain = "look_again" => ("Kijk opnieuw", "Look again"),
        ComingChartHeading = "coming_chart_heading" => ("Wat je de komende 12 maanden moet betalen", "What you have to pay in the next 12 months"),
        ComingChartLegend = "coming_chart_legend" => (
            "Elke balk is een maand. Geld dat je al had moeten betalen staat hier niet in. Dat staat hierboven bij achterstallig.",
            "Each bar is a month. Money you should have paid already is not in it. That is above, under overdue.",
        ),
        Month = "month" => ("Maand", "Month"),
        Amount = "amount" => ("Bedrag", "Amount"),
        ToWhom = "to_whom" => ("Aan wie", "To whom"),
        DownloadsHeading = "downloads_heading" => ("Voor je schuldhulpverlener of je administratie", "For your debt counsellor or your records"),
        DownloadsHelp = "downloads_help" => (
            "Download je overzicht, druk het af, of deel het versleuteld met iemand die je helpt.",
            "Download your overview, print it, or share it encrypted with someone who helps you.",
        ),
        Spreadsheet = "spreadsheet" => ("Rekenblad (CSV, voor Excel)", "Spreadsheet (CSV, for Excel)"),
        DataFile = "data_file" => ("Gegevensbestand (JSON)", "Data file (JSON)"),
        NothingYet = "nothing_yet" => (
            "Nog geen gegevens. Haal ze op bij de organisaties.",
            "No data yet. Fetch it from the organisations.",
        ),
        Export = "export" => ("Downloaden", "Download"),
        HowToPay = "how_to_pay" => ("Zo betaal je", "How to pay"),
        Print = "print" => (
            "Afdrukbaar overzicht voor je schuldhulpverlener",
            "Printable overview for your debt counsellor",
        ),
        Share = "share" => (
            "Versleuteld delen met je schuldhulpverlener",
            "Share encrypted with your counsellor",
        ),
        ShareHelp = "share_help" => (
            "Plak de age-sleutel (age1…) van je hulpverlener. Alleen die kan het bestand openen.",
            "Paste your counsellor's age key (age1…). Only they can open the file.",
        ),
        Recipient = "recipient" => ("Sleutel van je hulpverlener", "Your counsellor's key"),
        BadRecipient = "bad_recipient" => (
            "Dat is geen age-sleutel (age1…).",
            "That is not an age key (age1…).",
        ),
        ChangePassphrase = "change_passphrase" => (
            "Wachtwoordzin wijzigen",
            "Change passphrase",
        ),
        CurrentPassphrase = "current_passphrase" => (
            "Huidige wachtwoordzin",
            "Current passphrase",
        ),
        NewPassphrase = "new_passphrase" => (
            "Nieuwe wachtwoordzin (minstens 12 tekens)",
            "New passphrase (at least 12 characters)",
        ),
        PassphraseChanged = "passphrase_changed" => (
            "Je wachtwoordzin is gewijzigd.",
            "Your passphrase has been changed.",
        ),
        BackupHelp = "backup_help" => (
            "Maak een reservekopie met het commando pod backup --out BESTAND. De kopie is versleuteld.",
            "Make a backup with pod backup --out FILE; it holds only encrypted data.",
        ),
        Date = "date" => ("Datum", "Date"),
        Arrangement = "arrangement" => ("Betalingsregeling", "Payment arrangement"),
        ArrangementHelp = "arrangement_help" => (
            "Eén regeling voor al je schulden bij de overheid, die je kunt betalen. Vul je inkomen in. Wij rekenen uit wat je per maand kunt missen.",
            "One arrangement for all your government debts, one you can afford. Enter your income; we work out what you can spare each month.",
        ),
        ClaimsInPlan = "claims_in_plan" => (
            "Schulden in de regeling",
            "Claims in the arrangement",
        ),
        Household = "household" => ("Huishouden", "Household"),
        HSingle = "h_single" => ("Alleenstaand", "Single"),
        HSingleParent = "h_single_parent" => ("Alleenstaande ouder", "Single parent"),
        HCouple = "h_couple" => ("Samenwonend of getrouwd", "Couple"),
        HCoupleWithChildren = "h_couple_with_children" => (
            "Stel met kinderen",
            "Couple with children",
        ),
        AowAge = "aow_age" => (
            "Ik (of mijn partner) heb de AOW-leeftijd",
            "I (or my partner) have reached AOW age",
        ),
        Income = "income" => (
            "Netto inkomen per maand, met vakantiegeld (€)",
            "Net monthly income, holiday allowance included (€)",
        ),
        Deductions = "deductions" => (
            "Wat nu al elke maand van je inkomen af gaat, bijvoorbeeld door beslag (€)",
            "What already comes off your income each month, for example by a seizure (€)",
        ),
        PauseMonths = "pause_months" => (
            "Pauze aan het begin (maanden)",
            "Pause at the start (months)",
        ),
        PauseReason = "pause_reason" => ("Reden voor de pauze", "Reason for the pause"),
        Motivation = "motivation" => ("Korte toelichting", "Short explanation"),
        Compute = "compute" => ("Uitrekenen", "Calculate"),
        Schedule = "schedule" => ("Maand voor maand", "Month by month"),
        Paid = "paid" => ("Betaald", "Paid"),
        Remaining = "remaining" => ("Daarna nog", "Remaining after"),
        Explanation = "explanation" => ("Zo is het berekend", "How it was calculated"),
        Save = "save" => ("Bewaren", "Save"),
        Saved = "saved" => (
            "De regeling is versleuteld bewaard in je pod.",
            "The arrangement is saved, encrypted, in your pod.",
        ),
        BadAmount = "bad_amount" => (
            "Vul bedragen in als 1401,50.",
            "Enter amounts like 1401.50.",
        ),
        OPlan = "o_plan" => (
            "Een regeling die je kunt betalen",
            "An arrangement you can afford",
        ),
        OOverTermCap = "o_over_term_cap" => (
            "Dit duurt te lang. Vraag om een oplossing op maat of om schuldhulp",
            "This takes too long. Ask for a solution made for you, or for debt help",
        ),
        OPauseAndReferral = "o_pause_and_referral" => (
            "Je houdt niets over: vraag een pauze en schuldhulp",
            "Nothing is left over: ask for a pause and debt help",
        ),
        OMinShareNotMet = "o_min_share_not_met" => (
            "Te weinig om elke organisatie te betalen",
            "Too little to pay every organisation",
        ),
        NotAnOffer = "not_an_offer" => (
            "Geen aanbod. Bespreek dit met een schuldhulpverlener. Zo zou het eruitzien als de organisaties toch ja zeggen",
            "Not an offer. Discuss this with a debt counsellor. This is what it would look like if the organisations said yes anyway",
        ),
        PerMonth = "per_month" => ("per maand", "a month"),
        Months = "months" => ("maanden", "months"),
        RDebtHelp = "r_debt_help" => ("Start schuldhulp", "Start of debt help"),
        RIncomeLoss = "r_income_loss" => ("Inkomen verloren", "Loss of income"),
        RIllness = "r_illness" => ("Ziekte of crisis", "Illness or crisis"),
        RBereavement = "r_bereavement" => ("Overlijden partner", "Death of a partner"),
        RSeparation = "r_separation" => ("Scheiding", "Separation"),
        RBirth = "r_birth" => ("Geboorte", "Birth"),
        RDetention = "r_detention" => ("In de gevangenis", "Detention"),
        RDisaster = "r_disaster" => ("Ramp of fraude", "Disaster or fraud"),
        ROther = "r_other" => ("Anders", "Other"),
        SavedPlan = "saved_plan" => ("Je bewaarde regeling", "Your saved arrangement"),
        Monthly = "monthly" => ("Per maand", "A month"),
        Receipt = "receipt" => ("Ontvangstbewijs", "Receipt"),
        Status = "status" => ("Status", "Status"),
        NotSubmitted = "not_submitted" => ("nog niet ingediend", "not submitted yet"),
        StReceived = "st_received" => ("ontvangen", "received"),
        StAccepted = "st_accepted" => ("geaccepteerd", "accepted"),
        StRejected = "st_rejected" => ("afgewezen", "rejected"),
        ShareEverything = "share_everything" => (
            "Deel mijn hele regeling en mijn inkomen met elke organisatie. Anders krijgt elke organisatie alleen haar eigen deel.",
            "Share my whole plan and my income with each organisation. Otherwise each organisation gets only its own part.",
        ),
        SubmitPlan = "submit_plan" => (
            "Indienen bij de organisaties",
            "Submit to the organisations",
        ),
        CheckStatus = "check_status" => ("Status opvragen", "Check status"),
        Remove = "remove" => ("Verwijderen", "Remove"),
        AddOrganisation = "add_organisation" => (
            "Organisatie toevoegen",
            "Add an organisation",
        ),
        OrganisationUrl = "organisation_url" => (
            "Adres van de organisatie",
            "The organisation's address",
        ),
        Check = "check" => ("Controleren", "Check"),
        ConfirmKey = "confirm_key" => (
            "Vergelijk deze code (de vingerafdruk van haar sleutel) met de code die de organisatie zelf publiceert. Vertrouw haar alleen als ze gelijk zijn.",
            "Compare this fingerprint with what the organisation itself publishes. Trust it only if they match.",
        ),
        Pin = "pin" => ("Vertrouwen en toevoegen", "Trust and add"),
        Pinned = "pinned" => (
            "De organisatie is toegevoegd.",
            "The organisation has been added.",
        ),
        Removed = "removed" => (
            "De organisatie is verwijderd. Wat je al had opgehaald, blijft bewaard.",
            "The organisation has been removed; stored data is kept.",
        ),
        Unreachable = "unreachable" => (
            "Die organisatie is niet bereikbaar of geeft geen geldige gegevens.",
            "That organisation cannot be reached or gives no valid data.",
        ),
        KeyChanged = "key_changed" => (
            "De sleutel is veranderd sinds je hem controleerde. Er is niets toegevoegd.",
            "The key changed since you checked it; nothing was added.",
        ),
        Reference = "reference" => ("betalingskenmerk", "payment reference"),
        Summary = "summary" => ("Samenvatting", "Summary"),
        NoSuchPage = "no_such_page" => ("Deze pagina bestaat niet.", "There is no such page."),
        NoSuchMatter = "no_such_matter" => (
            "Deze zaak staat niet in je pod.",
            "This matter is not in your pod.",
        ),
        NoSuchPlan = "no_such_plan" => (
            "Deze regeling staat niet in je pod.",
            "This plan is not in your pod.",
        ),
        Audit = "audit" => ("Logboek", "Activity log"),
        AuditHelp = "audit_help" => (
            "Hier staat elke keer dat je pod een organisatie benaderde. Dat gebeurt alleen als jij erom vraagt. Je ziet wanneer, waarvoor en hoe het afliep.",
            "Here is every time your pod contacted an organisation. That only happens when you ask for it. You see when, what for, and how it ended.",
        ),
        AuditEmpty = "audit_empty" => (
            "Je pod heeft nog geen organisatie benaderd.",
            "Your pod has not contacted any organisation yet.",
        ),
        When = "when" => ("Wanneer", "When"),
        Action = "action" => ("Waarvoor", "What for"),
        Outcome = "outcome" => ("Afloop", "Outcome"),
        Received = "received" => ("Wat zij kregen", "What they received"),
        ReceivedFetch = "received_fetch" => (
            "Je vraag om je gegevens, en de openbare sleutel van je pod. Daarmee versleutelt de organisatie haar antwoord voor jou. Inloggen deed je bij de organisatie zelf.",
            "Your request for your data, and your pod's public key. The organisation encrypts its answer for you with it. You logged in at the organisation itself.",
        ),
        ReceivedSubmit = "received_submit" => (
            "Jouw deel van de regeling: je zaken bij deze organisatie en het bedrag per maand. Het hele plan en je inkomen kreeg ze alleen als je koos om alles te delen.",
            "Your part of the arrangement: your matters at this organisation and the amount per month. It got the whole plan and your income only if you chose to share everything.",
        ),
        ReceivedStatus = "received_status" => (
            "Het nummer van je aanvraag, om te vragen hoe het ermee staat.",
            "The number of your request, to ask how it stands.",
        ),
        ActionFetch = "action_fetch" => ("gegevens ophalen", "fetching data"),
        ActionSubmit = "action_submit" => ("regeling aanvragen", "asking for an arrangement"),
        ActionStatus = "action_status" => ("status van regeling", "arrangement status"),
        OutcomeOk = "outcome_ok" => ("gelukt", "done"),
        OutcomeError = "outcome_error" => ("mislukt", "failed"),
        Account = "account" => ("Je pod bij deze aanbieder", "Your pod at this provider"),
        ExportPod = "export_pod" => (
            "Pod downloaden (versleuteld)",
            "Download your pod (encrypted)",
        ),
        DeleteHelp = "delete_help" => (
            "Eerst vernietigen we de sleutels. Daarna kan niemand je gegevens nog openen, ook jij niet.",
            "Deleting destroys the keys first; after that nobody can open your data, not even you.",
        ),
        DeleteConfirm = "delete_confirm" => ("Ja, verwijder mijn pod", "Yes, delete my pod"),
        DeletePod = "delete_pod" => ("Pod verwijderen", "Delete pod"),
        StartHeading = "start_heading" => ("Inloggen bij je pod", "Log in to your pod"),
        StartHelp = "start_help" => (
            "Je pod staat versleuteld bij deze aanbieder. Alleen jouw wachtwoordzin opent hem, in deze browser. De aanbieder krijgt je wachtwoordzin nooit.",
            "Your pod is stored encrypted at this provider. Only your passphrase opens it, in this browser; the provider never receives it.",
        ),
        PodId = "pod_id" => ("Pod-nummer", "Pod number"),
        SignupHeading = "signup_heading" => ("Nieuwe pod", "New pod"),
        SignupHelp = "signup_help" => (
            "Kies een wachtwoordzin van minstens 12 tekens. Je krijgt daarna een herstelcode: bewaar die goed.",
            "Choose a passphrase of at least 12 characters. You then get a recovery code: keep it safe.",
        ),
        RepeatPassphrase = "repeat_passphrase" => (
            "Herhaal je wachtwoordzin",
            "Repeat your passphrase",
        ),
        Signup = "signup" => ("Pod aanmaken", "Create pod"),
        PassphrasesDiffer = "passphrases_differ" => (
            "De twee wachtwoordzinnen zijn niet gelijk.",
            "The two passphrases are not the same.",
        ),
        RecoverHeading = "recover_heading" => (
            "Wachtwoordzin vergeten?",
            "Forgot your passphrase?",
        ),
        RecoveryCode = "recovery_code" => ("Herstelcode", "Recovery code"),
        Recover = "recover" => ("Nieuwe wachtwoordzin instellen", "Set a new passphrase"),
        ImportHeading = "import_heading" => ("Een pod overzetten", "Move a pod here"),
        BackupFile = "backup_file" => ("Back-upbestand", "Backup file"),
        Import = "import" => ("Overzetten", "Move here"),
        WelcomeHeading = "welcome_heading" => (
            "Je pod is aangemaakt",
            "Your pod has been created",
        ),
        WelcomeHelp = "welcome_help" => (
            "Schrijf je pod-nummer en herstelcode op. Met de herstelcode kom je weer in je pod als je je wachtwoordzin vergeet.",
            "Write down your pod number and recovery code. The recovery code gets you back into your pod if you forget your passphrase.",
        ),
        KeepHelp = "keep_help" => (
            "De herstelcode wordt maar één keer getoond. De aanbieder kent hem niet.",
            "The recovery code is shown only once. The provider does not know it.",
        ),
        LoginUnknown = "login_unknown" => ("Deze login is onbekend of verlopen. Begin opnieuw vanuit je pod.", "This login is unknown or has expired. Start again from your pod."),
        LoggedIn = "logged_in" => ("Je bent ingelogd. Je kunt dit tabblad sluiten.", "Logged in; you can close this tab."),
        Continue = "continue" => ("Verder", "Continue"),
    }
}

impl Text {
    /// A data status's name (an exhaustive match: a new status needs its text to compile).
    pub fn data_status(status: pod_core::overview::DataStatus) -> Self {
        use pod_core::overview::DataStatus;
        match status {
            DataStatus::Ok => Self::StatusOk,
            DataStatus::Stale => Self::StatusStale,
            DataStatus::Failed => Self::StatusFailed,
            DataStatus::Never => Self::StatusNever,
        }
    }

    /// A household's name.
    pub fn household(household: schemas::arrangement::Household) -> Self {
        use schemas::arrangement::Household;
        match household {
            Household::Single => Self::HSingle,
            Household::SingleParent => Self::HSingleParent,
            Household::Couple => Self::HCouple,
            Household::CoupleWithChildren => Self::HCoupleWithChildren,
        }
    }

    /// A reason for a pause.
    pub fn pause_reason(reason: schemas::arrangement::PauseReason) -> Self {
        use schemas::arrangement::PauseReason;
        match reason {
            PauseReason::DebtHelp => Self::RDebtHelp,
            PauseReason::IncomeLoss => Self::RIncomeLoss,
            PauseReason::Illness => Self::RIllness,
            PauseReason::Bereavement => Self::RBereavement,
            PauseReason::Separation => Self::RSeparation,
            PauseReason::Birth => Self::RBirth,
            PauseReason::Detention => Self::RDetention,
            PauseReason::Disaster => Self::RDisaster,
            PauseReason::Other => Self::ROther,
        }
    }

    /// What the engine concluded.
    pub fn outcome(outcome: schemas::arrangement::Outcome) -> Self {
        use schemas::arrangement::Outcome;
        match outcome {
            Outcome::Plan => Self::OPlan,
            Outcome::OverTermCap => Self::OOverTermCap,
            Outcome::PauseAndReferral => Self::OPauseAndReferral,
            Outcome::MinShareNotMet => Self::OMinShareNotMet,
        }
    }

    /// Where an organisation's part of an arrangement stands.
    pub fn arrangement_state(state: schemas::arrangement::ArrangementState) -> Self {
        use schemas::arrangement::ArrangementState;
        match state {
            ArrangementState::Received => Self::StReceived,
            ArrangementState::Accepted => Self::StAccepted,
            ArrangementState::Rejected => Self::StRejected,
        }
    }

    /// What an organisation received in a contact of this kind (`fetch`, `submit`, `status`).
    pub fn log_received(action: &str) -> Option<Self> {
        match action {
            "fetch" => Some(Self::ReceivedFetch),
            "submit" => Some(Self::ReceivedSubmit),
            "status" => Some(Self::ReceivedStatus),
            _ => None,
        }
    }

    /// What a transparency-log entry did (`fetch`, `submit`, `status`); `None` for an action
    /// this version does not know (an entry written by a newer one).
    pub fn log_action(action: &str) -> Option<Self> {
        match action {
            "fetch" => Some(Self::ActionFetch),
            "submit" => Some(Self::ActionSubmit),
            "status" => Some(Self::ActionStatus),
            _ => None,
        }
    }
}

/// `text` in both languages, Dutch first: for a page that cannot know the citizen's language
/// (an organisation's login sending the browser back).
pub fn both(text: Text) -> String {
    format!("{} / {}", text.in_lang(Lang::Nl), text.in_lang(Lang::En))
}

/// `text` in `lang`.
pub fn t(lang: Lang, text: Text) -> &'static str {
    text.in_lang(lang)
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

    /// B1, the level of the Dutch government's texts for citizens: short sentences, the
    /// citizen addressed as "je" (never "u"), and no official word unless a one-line "what does
    /// this mean?" beside it explains it.
    #[test]
    fn every_dutch_text_is_plain_dutch() {
        const LONGEST_SENTENCE: usize = 16;
        // Official words a citizen should not need to know; each has a plainer word we use.
        const JARGON: [&str; 12] = [
            "vordering", "vereffen", "preferent", "maatwerk", "detentie", "saldo", "schuldeiser",
            "inhouding", "looptijd", "termijn", "incasso", "gebeurtenis",
        ];
        // The words we keep, because each has its explanation in the table.
        let explained = [
            ("beslagvrije voet", Text::ExplainFloorQ),
            ("achterstallig", Text::ExplainOverdueQ),
            ("pauze", Text::ExplainPauseQ),
        ];
        let mut problems = Vec::new();
        for text in Text::ALL {
            let dutch = text.in_lang(Lang::Nl);
            let lower = dutch.to_lowercase();
            for sentence in dutch.split_inclusive(['.', '?', '!', ':']) {
                let words = sentence.split_whitespace().count();
                if words > LONGEST_SENTENCE {
                    problems.push(format!("{}: {words} words in {sentence:?}", text.key()));
                }
            }
            if lower.split(|c: char| !c.is_alphabetic()).any(|word| word == "u" || word == "uw") {
                problems.push(format!("{}: says \"u\" to the citizen: {dutch:?}", text.key()));
            }
            for word in JARGON.iter().filter(|word| lower.contains(*word)) {
                problems.push(format!("{}: the official word {word:?} in {dutch:?}", text.key()));
            }
        }
        for (word, explanation) in explained {
            assert!(t(Lang::Nl, explanation).to_lowercase().contains(word), "{word} is explained");
        }
        assert_eq!(problems, Vec::<String>::new());
    }

    #[test]
    fn every_key_is_unique_and_translated() {
        // Words that are the same in both languages; anything else identical is a missed translation.
        let rows = Text::ALL.iter().map(|text| (text.key(), text.in_lang(Lang::Nl), text.in_lang(Lang::En)));
        assert_eq!(schemas::text::table_problems(rows, &["Contact", "Status"]), Vec::<String>::new());
        assert_eq!(t(Lang::En, Text::Unlock), "Unlock");
        assert!("missing-key".parse::<Text>().is_err());
    }

    /// The browser app's script names texts by key (`text('…')`), the one place a key is a
    /// string: each one it names must be in the table, or the app would show an error.
    #[test]
    fn every_text_the_app_script_names_is_in_the_table() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../pod-web");
        let mut named = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "js") {
                let script = std::fs::read_to_string(&path).unwrap();
                for call in script.split("text('").skip(1) {
                    let key = call.split('\'').next().unwrap();
                    named.push((path.display().to_string(), key.to_owned()));
                }
            }
        }
        assert!(named.len() >= 10, "the app's script names its texts: {named:?}");
        let unknown: Vec<_> = named.iter().filter(|(_, key)| key.parse::<Text>().is_err()).collect();
        assert!(unknown.is_empty(), "texts the app's script names that are not in the table: {unknown:?}");
    }
}
