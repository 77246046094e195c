//! `source demo-data`: realistic, reproducible sample data for one organisation.
//!
//! Citizen *i* has the same BSN and PIN at every organisation for the same `--seed`, so one
//! citizen can owe several organisations. Citizen 0 has claims everywhere, citizen 1 only at
//! the CJIB, citizen 2 nowhere; the others have claims at a given organisation three times in four.

use chrono::{DateTime, Datelike, Duration, FixedOffset, Months, NaiveDate, TimeZone};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use schemas::fcid::wire::{
    self, Body, ContactOption, EventHeader, Matter, ObligationImposed, OwnedEnvelope, PaymentDemand,
    PaymentDemandWithdrawn, PaymentProcessed, event_type,
};
use schemas::ids::{Bsn, Oin, TypeCode};
use serde_json::value::RawValue;

/// The organisations demo data can be made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoOrg {
    /// Centraal Justitieel Incassobureau: traffic fines with increases.
    Cjib,
    /// Dienst Uitvoering Onderwijs: study-debt instalments.
    Duo,
    /// CAK: health-premium arrears.
    Cak,
    /// Belastingdienst: tax assessments with interest.
    Bd,
    /// UWV: recovery of overpaid benefits.
    Uwv,
    /// Sociale Verzekeringsbank: recovery of child benefit.
    Svb,
}

impl DemoOrg {
    /// The short id, also the type-code prefix.
    pub fn short(self) -> &'static str {
        match self {
            DemoOrg::Cjib => "cjib",
            DemoOrg::Duo => "duo",
            DemoOrg::Cak => "cak",
            DemoOrg::Bd => "bd",
            DemoOrg::Uwv => "uwv",
            DemoOrg::Svb => "svb",
        }
    }

    /// A sample OIN (20 digits; not the organisation's real one).
    pub fn oin(self) -> &'static str {
        match self {
            DemoOrg::Cjib => "00000001001234567000",
            DemoOrg::Duo => "00000001002345678000",
            DemoOrg::Cak => "00000001003456789000",
            DemoOrg::Bd => "00000001004567891000",
            DemoOrg::Uwv => "00000001005678912000",
            DemoOrg::Svb => "00000001006789123000",
        }
    }

    /// The display name.
    pub fn name(self) -> &'static str {
        match self {
            DemoOrg::Cjib => "Centraal Justitieel Incassobureau (CJIB)",
            DemoOrg::Duo => "Dienst Uitvoering Onderwijs (DUO)",
            DemoOrg::Cak => "CAK",
            DemoOrg::Bd => "Belastingdienst",
            DemoOrg::Uwv => "UWV",
            DemoOrg::Svb => "Sociale Verzekeringsbank (SVB)",
        }
    }
}

/// The day [`generate`] describes, fixed so that `--seed` gives the same bytes on any day.
pub const FIXED_DAY: (i32, u32, u32) = (2026, 11, 1);

/// The moment a demo document describes: 09:00 on `day`, Dutch winter time.
fn document_time(day: NaiveDate) -> DateTime<FixedOffset> {
    at(day)
}

fn fixed_day() -> NaiveDate {
    let (y, m, d) = FIXED_DAY;
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid fixed date")
}

fn citizen_rng(seed: u64, index: usize, salt: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt)
}

/// Citizen `index`'s BSN (valid 11-proof) and 5-digit PIN for `seed`, the same at every
/// organisation.
pub fn citizen(seed: u64, index: usize) -> (Bsn, String) {
    let mut rng = citizen_rng(seed, index, 0xB5B5);
    loop {
        let mut digits: Vec<u32> = (0..8).map(|_| rng.gen_range(0..10)).collect();
        digits[0] = rng.gen_range(1..10);
        let sum: u32 = digits.iter().zip((2..=9).rev()).map(|(d, w)| d * w).sum();
        let check = sum % 11;
        if check == 10 {
            continue;
        }
        digits.push(check);
        let text: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap_or('0')).collect();
        if let Ok(bsn) = Bsn::parse(&text) {
            let pin = format!("{:05}", rng.gen_range(0..100_000));
            return (bsn, pin);
        }
    }
}

/// Whether citizen `index` has claims at `org`.
pub fn has_claims(org: DemoOrg, seed: u64, index: usize) -> bool {
    match index {
        0 => true,
        1 => org == DemoOrg::Cjib,
        2 => false,
        _ => citizen_rng(seed, index, 0xC1A1 ^ org as u64).gen_bool(0.75),
    }
}

/// The whole data file for `org` as of [`FIXED_DAY`]: `{"<bsn>": {"pin": …, "document": …}}` for
/// every citizen (citizens without claims are listed with an empty document, so they can log in).
pub fn generate(org: DemoOrg, citizens: usize, seed: u64) -> anyhow::Result<serde_json::Value> {
    generate_on(org, citizens, seed, fixed_day())
}

/// The same as [`generate`], as an organisation would answer on `day`: what was due before it
/// is history (paid, partly paid or overdue), and DUO's monthly repayments and CAK's current
/// premium fall due after it. The demo uses today, so its first citizen always has a next payment.
pub fn generate_on(org: DemoOrg, citizens: usize, seed: u64, day: NaiveDate) -> anyhow::Result<serde_json::Value> {
    let mut data = serde_json::Map::new();
    for index in 0..citizens {
        let (bsn, pin) = citizen(seed, index);
        let mut rng = citizen_rng(seed, index, 0xD0C ^ (org as u64) << 8);
        let matters = if has_claims(org, seed, index) {
            let count = if index == 0 { 2 } else { rng.gen_range(1..=3) };
            (0..count)
                .map(|n| matter(org, &mut rng, &bsn, index, n, day))
                .collect::<anyhow::Result<Vec<_>>>()?
        } else {
            Vec::new()
        };
        let envelope = OwnedEnvelope {
            document_type: wire::DOCUMENT_TYPE.to_owned(),
            version: "3.0.0".to_owned(),
            body: Body {
                supplied_by: Oin::parse(org.oin()).map_err(anyhow::Error::msg)?,
                created_at: document_time(day),
                bsn: bsn.clone(),
                matters,
            },
        };
        let document = with_source_totals(envelope)?;
        data.insert(bsn.to_string(), serde_json::json!({ "pin": pin, "document": document }));
    }
    Ok(serde_json::Value::Object(data))
}

/// Fills in the organisation's own totals and arrears the way a careful organisation would.
fn with_source_totals(mut envelope: OwnedEnvelope) -> anyhow::Result<serde_json::Value> {
    let parsed = schemas::fcid::parse(&serde_json::to_vec(&envelope)?)
        .map_err(|e| anyhow::anyhow!("generated an invalid document at {e}"))?;
    let date = envelope.body.created_at.date_naive();
    for (wire_matter, matter) in envelope.body.matters.iter_mut().zip(&parsed.matters) {
        let view = schemas::fcid::derive::matter_view(matter, date, &parsed);
        wire_matter.total_imposed_v3 = Some(view.imposed_cents);
        wire_matter.total_paid_v3 = Some(view.settled_cents);
        wire_matter.balance = Some(view.outstanding_cents);
        wire_matter.balance_at = Some(envelope.body.created_at);
        wire_matter.arrears = Some(schemas::fcid::derive::overdue_kenmerken(matter, date));
    }
    Ok(serde_json::to_value(&envelope)?)
}

/// Builds events for one matter with short, readable kenmerken.
struct MatterBuilder {
    case_ref: String,
    bsn: Bsn,
    events: Vec<Box<RawValue>>,
    counter: usize,
}

impl MatterBuilder {
    fn push<T: serde::Serialize>(
        &mut self,
        kind: &str,
        at: DateTime<FixedOffset>,
        detail: &T,
    ) -> anyhow::Result<String> {
        self.counter += 1;
        let kenmerk = format!("{}-{}", self.case_ref, self.counter);
        let header = EventHeader {
            event_type: kind.to_owned(),
            kenmerk: kenmerk.clone(),
            occurred_at: at,
            case_ref: self.case_ref.clone(),
        };
        self.events.push(wire::event_json(&header, detail)?);
        Ok(kenmerk)
    }

    fn impose(
        &mut self,
        at: DateTime<FixedOffset>,
        code: &str,
        category: &str,
        cents: i64,
        description: &str,
        primary: bool,
    ) -> anyhow::Result<String> {
        self.push(
            event_type::OBLIGATION_IMPOSED,
            at,
            &ObligationImposed {
                imposed_at: at,
                decision_number: Some(format!("B-{}", self.case_ref)),
                bsn: Some(self.bsn.clone()),
                primary,
                type_code: TypeCode::parse(code).map_err(anyhow::Error::msg)?,
                category: Some(category.to_owned()),
                amount_cents: cents,
                description: Some(description.to_owned()),
                legal_basis: None,
                legal_basis_source: None,
                imposed_by: None,
                executed_by: None,
            },
        )
    }

    fn demand(
        &mut self,
        org: DemoOrg,
        at: DateTime<FixedOffset>,
        cents: i64,
        due: NaiveDate,
        reference: &str,
    ) -> anyhow::Result<String> {
        self.push(
            event_type::PAYMENT_DEMANDED,
            at,
            &PaymentDemand {
                imposed_at: Some(at),
                amount_cents: cents,
                payment_method: Some("Overboeking".to_owned()),
                payee: Oin::parse(org.oin()).ok(),
                iban: Some(demo_iban(org).to_owned()),
                account_holder: Some(org.name().to_owned()),
                payment_reference: Some(reference.to_owned()),
                due_date: due,
                kind: None,
                description: None,
            },
        )
    }

    fn withdraw(&mut self, at: DateTime<FixedOffset>, kenmerk: &str) -> anyhow::Result<String> {
        self.push(
            event_type::PAYMENT_DEMAND_WITHDRAWN,
            at,
            &PaymentDemandWithdrawn {
                withdrawn_kenmerk: kenmerk.to_owned(),
            },
        )
    }

    fn pay(&mut self, at: DateTime<FixedOffset>, cents: i64, reference: &str) -> anyhow::Result<String> {
        self.push(
            event_type::PAYMENT_PROCESSED,
            at,
            &PaymentProcessed {
                processed_at: Some(at),
                payment_reference: Some(reference.to_owned()),
                amount_cents: cents,
            },
        )
    }
}

fn demo_iban(org: DemoOrg) -> &'static str {
    match org {
        DemoOrg::Cjib => "NL22INGB0000009876",
        DemoOrg::Duo => "NL86INGB0002445588",
        DemoOrg::Cak => "NL55INGB0000000700",
        DemoOrg::Bd => "NL86INGB0002445588",
        DemoOrg::Uwv => "NL94INGB0000000400",
        DemoOrg::Svb => "NL39INGB0000000500",
    }
}

fn at(date: NaiveDate) -> DateTime<FixedOffset> {
    let tz = FixedOffset::east_opt(3600).expect("a valid offset");
    date.and_hms_opt(9, 0, 0)
        .and_then(|t| tz.from_local_datetime(&t).single())
        .expect("a valid local time")
}

fn matter(
    org: DemoOrg,
    rng: &mut ChaCha8Rng,
    bsn: &Bsn,
    index: usize,
    n: usize,
    day: NaiveDate,
) -> anyhow::Result<Matter> {
    // The demo's first citizen shows every kind of history on their first matter.
    let showcase = index == 0 && n == 0;
    let case_ref = format!(
        "{}-{}-{:05}-{}",
        org.short().to_uppercase(),
        2025 + (n % 2),
        index,
        n + 1
    );
    let reference: String = (0..16).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect();
    let mut m = MatterBuilder {
        case_ref: case_ref.clone(),
        bsn: bsn.clone(),
        events: Vec::new(),
        counter: 0,
    };
    let mut start = day - Duration::days(rng.gen_range(120..660));
    if showcase {
        // Old enough for a fine to have passed both reminders and its last deadline.
        start = start.min(day - Duration::days(240));
    }
    let end = day;
    let (description, contact) = match org {
        DemoOrg::Cjib => {
            let plate = format!(
                "{}-{:03}-{}",
                ["GX", "KL", "TZ", "HB"][rng.gen_range(0..4)],
                rng.gen_range(1..999),
                ["D", "P", "R"][rng.gen_range(0..3)]
            );
            let (what, fine) = [
                ("Snelheidsovertreding 14 km/u", 15_900),
                ("Rood licht genegeerd", 28_000),
                ("Handheld telefoon", 43_000),
                ("Parkeren op gehandicaptenplaats", 43_000),
            ][rng.gen_range(0..4)];
            m.impose(at(start), "cjib_wahv", "Algemeen", fine, what, true)?;
            m.impose(
                at(start),
                "cjib_wahv_administratiekosten",
                "Administratiekosten",
                900,
                "Administratiekosten",
                false,
            )?;
            let mut total = fine + 900;
            let mut demand = m.demand(org, at(start), total, start + Duration::weeks(8), &reference)?;
            let mut due = start + Duration::weeks(8);
            for (step, percent) in [(1, 50), (2, 100)] {
                let paid_in_time = rng.gen_bool(0.35) && !showcase;
                if due + Duration::weeks(2) >= end || paid_in_time {
                    break;
                }
                let when = due + Duration::weeks(2);
                m.impose(
                    at(when),
                    "cjib_wahv_verhoging",
                    "Verhoging",
                    fine * percent / 100,
                    &format!("{}e aanmaning: verhoging", step),
                    false,
                )?;
                total += fine * percent / 100;
                m.withdraw(at(when), &demand)?;
                due = when + Duration::weeks(8);
                demand = m.demand(org, at(when), total, due, &reference)?;
            }
            if rng.gen_bool(0.4) || showcase {
                m.pay(at(start + Duration::weeks(3)), (total / 4 / 100) * 100, &reference)?;
            }
            (
                format!("Verkeersboete kenteken {plate}"),
                ("telefoon", "tel:+31889001000"),
            )
        }
        DemoOrg::Duo => {
            let debt = rng.gen_range(800_000..3_000_000);
            m.impose(
                at(start),
                "duo_studieschuld",
                "Algemeen",
                debt,
                "Studieschuld na einde studie",
                true,
            )?;
            let monthly = rng.gen_range(8_000..25_000);
            // Repaid on the 28th. What fell due before `end` was paid, or not; the repayments of
            // the coming year are announced, so they are demanded now with their own dates.
            let mut due = NaiveDate::from_ymd_opt(start.year(), start.month(), 28).unwrap_or(start);
            let mut past = 0;
            while due < end && past < 18 {
                m.demand(org, at(due - Duration::days(28)), monthly, due, &reference)?;
                if showcase && past == 1 {
                    m.pay(at(due - Duration::days(2)), monthly / 2, &reference)?;
                } else if rng.gen_bool(0.7) {
                    m.pay(at(due - Duration::days(2)), monthly, &reference)?;
                }
                due = due.checked_add_months(Months::new(1)).unwrap_or(due);
                past += 1;
            }
            while due < end {
                due = due.checked_add_months(Months::new(1)).unwrap_or(end);
            }
            for _ in 0..12 {
                m.demand(org, at(end), monthly, due, &reference)?;
                due = due.checked_add_months(Months::new(1)).unwrap_or(due);
            }
            (
                "Studieschuld, maandelijkse aflossing".to_owned(),
                ("website", "https://duo.nl/contact"),
            )
        }
        DemoOrg::Cak => {
            let premium = rng.gen_range(15_500..17_500);
            let months = rng.gen_range(3..10);
            // A premium is imposed for each month and due a month later. The latest ones are
            // recent, so the month now running has a premium that is not due yet.
            let first = end - Duration::days(30 * (months - 1) + rng.gen_range(0..20));
            for k in 0..months {
                let month = first + Duration::days(30 * k);
                m.impose(
                    at(month),
                    "cak_bestuursrechtelijke_premie",
                    "Algemeen",
                    premium,
                    &format!("Bestuursrechtelijke premie Zvw, maand {}", k + 1),
                    true,
                )?;
                m.demand(org, at(month), premium, month + Duration::days(30), &reference)?;
                if rng.gen_bool(0.3) {
                    m.pay(at(month + Duration::days(20)), premium, &reference)?;
                }
            }
            (
                "Bestuursrechtelijke premie zorgverzekering".to_owned(),
                ("telefoon", "tel:+31800022545"),
            )
        }
        DemoOrg::Bd => {
            let tax = rng.gen_range(50_000..300_000);
            m.impose(
                at(start),
                "bd_inkomstenbelasting",
                "Algemeen",
                tax,
                "Aanslag inkomstenbelasting 2024",
                true,
            )?;
            m.impose(
                at(start),
                "bd_belastingrente",
                "Rente",
                tax / 20,
                "Belastingrente",
                false,
            )?;
            m.demand(org, at(start), tax + tax / 20, start + Duration::weeks(6), &reference)?;
            if rng.gen_bool(0.5) {
                m.pay(at(start + Duration::weeks(4)), tax / 3, &reference)?;
            }
            (
                "Aanslag inkomstenbelasting 2024".to_owned(),
                ("telefoon", "tel:+31800054365"),
            )
        }
        DemoOrg::Uwv | DemoOrg::Svb => {
            let (code, what) = if org == DemoOrg::Uwv {
                ("uwv_terugvordering_ww", "Terugvordering te veel ontvangen WW-uitkering")
            } else {
                ("svb_terugvordering_kinderbijslag", "Terugvordering kinderbijslag")
            };
            let amount = rng.gen_range(30_000..600_000);
            m.impose(at(start), code, "Algemeen", amount, what, true)?;
            let monthly = (amount / 12 / 100).max(25) * 100;
            for k in 0..6 {
                let due = start + Duration::days(30 * (k + 1));
                if due >= end {
                    break;
                }
                m.demand(
                    org,
                    at(start + Duration::days(30 * k)),
                    monthly.min(amount),
                    due,
                    &reference,
                )?;
                if rng.gen_bool(0.5) {
                    m.pay(at(due), monthly.min(amount), &reference)?;
                }
            }
            (what.to_owned(), ("telefoon", "tel:+31881898989"))
        }
    };
    Ok(Matter {
        case_ref,
        description,
        total_imposed_v3: None,
        total_paid_v3: None,
        total_obligated_v41: None,
        total_settled_v41: None,
        balance: None,
        balance_at: None,
        events: m.events,
        arrears: None,
        contact_options: vec![ContactOption {
            channel: contact.0.to_owned(),
            url: contact.1.to_owned(),
            description: Some("Werkdagen 8-17 uur".to_owned()),
            priority: Some(1),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_citizens_everywhere_and_reproducible() {
        for org in [
            DemoOrg::Cjib,
            DemoOrg::Duo,
            DemoOrg::Cak,
            DemoOrg::Bd,
            DemoOrg::Uwv,
            DemoOrg::Svb,
        ] {
            let a = generate(org, 12, 7).unwrap();
            assert_eq!(a, generate(org, 12, 7).unwrap(), "{org:?}: reproducible");
            assert_ne!(a, generate(org, 12, 8).unwrap(), "{org:?}: the seed matters");
            let keys: Vec<&String> = a.as_object().unwrap().keys().collect();
            assert_eq!(keys.len(), 12);
            for (index, bsn) in (0..12).map(|i| (i, citizen(7, i).0)) {
                let entry = &a[bsn.as_str()];
                let document = serde_json::to_vec(&entry["document"]).unwrap();
                let parsed = schemas::fcid::parse(&document).unwrap_or_else(|e| panic!("{org:?}: {e}"));
                assert_eq!(parsed.matters.is_empty(), !has_claims(org, 7, index));
                let view = schemas::fcid::derive::view(&parsed, fixed_day());
                assert!(
                    view.matters.iter().all(|m| m.consistent),
                    "{org:?}: the generator's totals agree with its events"
                );
            }
        }
        assert!(has_claims(DemoOrg::Duo, 1, 0) && has_claims(DemoOrg::Cak, 1, 0));
        assert!(has_claims(DemoOrg::Cjib, 1, 1) && !has_claims(DemoOrg::Duo, 1, 1) && !has_claims(DemoOrg::Cak, 1, 1));
        assert!(!has_claims(DemoOrg::Cjib, 1, 2));
    }

    fn first_citizens_document(org: DemoOrg, day: NaiveDate) -> schemas::fcid::Document {
        let data = generate_on(org, 3, 1, day).unwrap();
        let bsn = citizen(1, 0).0;
        let bytes = serde_json::to_vec(&data[bsn.as_str()]["document"]).unwrap();
        schemas::fcid::parse(&bytes).unwrap()
    }

    /// On any day, the demo's first citizen has what a reader needs: a next payment at DUO and
    /// CAK, and at the CJIB a fine with a surcharge after a missed deadline, the earlier demand
    /// withdrawn, a partial payment and an overdue part.
    #[test]
    fn the_first_citizen_has_a_next_payment_an_overdue_part_and_a_history_on_any_day() {
        use schemas::fcid::EventKind;
        for day in ["2026-11-01", "2026-12-03", "2027-06-15", "2028-02-29"] {
            let day: NaiveDate = day.parse().unwrap();
            for org in [DemoOrg::Duo, DemoOrg::Cak] {
                let document = first_citizens_document(org, day);
                let view = schemas::fcid::derive::view(&document, day);
                assert!(view.matters.iter().all(|m| m.consistent), "{org:?} {day}");
                for m in &view.matters {
                    let next = m.next_due.unwrap_or_else(|| panic!("{org:?} {day}: {} has a next payment", m.case_ref));
                    assert!(next.date >= day && next.date <= day + Duration::days(62), "{org:?} {day}: {next:?}");
                }
            }
            let duo = schemas::fcid::derive::view(&first_citizens_document(DemoOrg::Duo, day), day);
            assert!(duo.matters[0].upcoming.len() >= 12, "{day}: a year of monthly repayments ahead");

            let cjib = first_citizens_document(DemoOrg::Cjib, day);
            let fine = &cjib.matters[0];
            let kinds: Vec<&EventKind> = fine.events.iter().map(|e| &e.kind).collect();
            let surcharge = kinds.iter().any(|k| matches!(k, EventKind::ObligationImposed(o) if o.type_code.as_str() == "cjib_wahv_verhoging"));
            let withdrawn = kinds.iter().any(|k| matches!(k, EventKind::PaymentDemandWithdrawn(_)));
            let paid: i64 = kinds.iter().filter_map(|k| match k { EventKind::PaymentProcessed(p) => Some(p.amount_cents), _ => None }).sum();
            let view = schemas::fcid::derive::matter_view(fine, day, &cjib);
            assert!(surcharge && withdrawn, "{day}: a surcharge, and the demand it replaced withdrawn");
            assert!(paid > 0 && paid < view.imposed_cents, "{day}: a partial payment");
            assert!(view.overdue_cents > 0, "{day}: an overdue part");
        }
    }
}
