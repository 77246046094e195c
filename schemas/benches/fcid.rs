//! Parsing and viewing a realistic FCID v3.0.0 document: 50 matters with 500 events in total.
//!
//! Run with `cargo bench -p schemas --bench fcid`.

use std::hint::black_box;

use chrono::{Days, NaiveDate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use schemas::fcid::{self, derive::view};
use serde_json::{Value, json};

const BSN: &str = "999993653";
const OIN: &str = "00000009999999999001";
const MATTERS: usize = 50;
const EVENTS_PER_MATTER: usize = 10;

fn day(n: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 1, 2).unwrap() + Days::new(n)
}

fn at(n: u64) -> String {
    format!("{}T08:00:00+01:00", day(n))
}

/// Builds the events of one matter, ten of them, in one of three shapes:
/// - a fine with costs and a surcharge, a demand that is withdrawn and replaced, four payments;
/// - a fine with costs paid in four instalments, four demands;
/// - a fine with costs, a demand, a reminder replacing it, five payments (the last overpays).
struct MatterBuilder {
    case_ref: String,
    events: Vec<Value>,
    start: u64,
}

impl MatterBuilder {
    fn push(&mut self, kind: &str, offset: u64, fields: Value) -> String {
        let kenmerk = format!("{}-{}", self.case_ref, self.events.len());
        let mut event = json!({
            "gebeurtenis_type": kind,
            "gebeurtenis_kenmerk": kenmerk,
            "datumtijd_gebeurtenis": at(self.start + offset),
            "zaakkenmerk": self.case_ref,
        });
        event
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        self.events.push(event);
        kenmerk
    }

    fn obligation(&mut self, offset: u64, primary: bool, type_code: &str, category: &str, cents: i64) {
        let fields = json!({
            "datumtijd_opgelegd": at(self.start + offset),
            "beschikkingsnummer": format!("B-{}", self.case_ref),
            "bsn": BSN,
            "primaire_verplichting": primary,
            "type": type_code,
            "categorie": category,
            "bedrag": cents,
            "omschrijving": category,
            "juridische_grondslag_omschrijving": "Wet administratiefrechtelijke handhaving verkeersvoorschriften",
            "juridische_grondslag_bron": "https://wetten.overheid.nl/BWBR0004581",
            "opgelegd_door": OIN,
            "uitgevoerd_door": OIN,
        });
        self.push("FinancieleVerplichtingOpgelegd", offset, fields);
    }

    fn demand(&mut self, offset: u64, due_after: u64, cents: i64) -> String {
        let fields = json!({
            "datumtijd_opgelegd": at(self.start + offset),
            "bedrag": cents,
            "betaalwijze": "Overboeking",
            "te_betalen_aan": OIN,
            "rekeningnummer": "NL91ABNA0417164300",
            "rekeningnummer_tenaamstelling": "Voorbeeld Incasso",
            "betalingskenmerk": format!("{:016}", self.start * 7919 + offset),
            "vervaldatum": day(self.start + offset + due_after).to_string(),
        });
        self.push("BetalingsverplichtingOpgelegd", offset, fields)
    }

    fn withdraw(&mut self, offset: u64, kenmerk: &str) {
        self.push(
            "BetalingsverplichtingIngetrokken",
            offset,
            json!({ "ingetrokken_gebeurtenis_kenmerk": kenmerk }),
        );
    }

    fn payment(&mut self, offset: u64, cents: i64) {
        let fields = json!({
            "datumtijd_verwerkt": at(self.start + offset),
            "betalingskenmerk": format!("{:016}", self.start * 7919),
            "bedrag": cents,
        });
        self.push("BetalingVerwerkt", offset, fields);
    }
}

fn matter(i: usize) -> Value {
    let mut b = MatterBuilder {
        case_ref: format!("Z-2023-{i:06}"),
        events: Vec::with_capacity(EVENTS_PER_MATTER),
        start: (i as u64) * 7,
    };
    let fine = 2_500 + (i as i64 * 1_379) % 40_000;
    let costs = 900;
    let (imposed, paid) = match i % 3 {
        0 => {
            let surcharge = fine / 2;
            b.obligation(0, true, "cjib_wahv", "Algemeen", fine);
            b.obligation(0, false, "cjib_wahv_administratiekosten", "Administratiekosten", costs);
            b.obligation(60, false, "cjib_wahv_verhoging", "Verhoging", surcharge);
            let first = b.demand(0, 56, fine + costs);
            b.withdraw(60, &first);
            b.demand(60, 56, fine + costs + surcharge);
            let part = (fine + costs) / 4;
            for k in 0..4 {
                b.payment(70 + 30 * k, part);
            }
            (fine + costs + surcharge, 4 * part)
        }
        1 => {
            b.obligation(0, true, "bd_inkomstenbelasting", "Algemeen", fine * 10);
            b.obligation(0, false, "bd_invorderingsrente", "Rente", costs);
            let part = (fine * 10 + costs) / 4;
            for k in 0..4 {
                b.demand(0, 30 * (k + 1), part);
            }
            for k in 0..4 {
                b.payment(28 + 30 * k, part);
            }
            (fine * 10 + costs, 4 * part)
        }
        _ => {
            b.obligation(0, true, "duo_studieschuld", "Algemeen", fine);
            b.obligation(0, false, "duo_administratiekosten", "Administratiekosten", costs);
            let first = b.demand(0, 42, fine + costs);
            b.withdraw(50, &first);
            b.demand(50, 14, fine + costs);
            let part = (fine + costs) / 4;
            for k in 0..5 {
                b.payment(55 + 20 * k, part);
            }
            (fine + costs, 5 * part)
        }
    };
    assert_eq!(b.events.len(), EVENTS_PER_MATTER);
    json!({
        "zaakkenmerk": b.case_ref,
        "omschrijving": format!("Zaak {i}"),
        "totaal_opgelegd": imposed,
        "totaal_reeds_betaald": paid,
        "saldo": imposed - paid,
        "saldo_datumtijd": "2024-03-01T09:30:00+01:00",
        "gebeurtenissen": b.events,
        "achterstanden": [],
        "contactopties": [
            {"contactvorm": "telefoon", "url": "tel:+31000000000", "omschrijving": "Werkdagen 9-17 uur", "prioriteit": 1},
            {"contactvorm": "website", "url": "https://www.example.nl/contact", "prioriteit": 2},
        ],
    })
}

fn document() -> Vec<u8> {
    let document = json!({
        "type": "FINANCIAL_CLAIMS_INFORMATION_DOCUMENT",
        "version": "3.0.0",
        "body": {
            "aangeleverd_door": OIN,
            "document_datumtijd": "2024-03-01T09:30:00+01:00",
            "bsn": BSN,
            "financiele_zaken": (0..MATTERS).map(matter).collect::<Vec<_>>(),
        }
    });
    serde_json::to_vec(&document).unwrap()
}

fn bench(c: &mut Criterion) {
    let bytes = document();
    let as_of = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let parsed = fcid::parse(&bytes).expect("the bench document is valid");
    assert_eq!(parsed.matters.len(), MATTERS);
    assert_eq!(parsed.event_count(), MATTERS * EVENTS_PER_MATTER);

    let mut group = c.benchmark_group("fcid_v3_50_matters_500_events");
    group.throughput(Throughput::Elements((MATTERS * EVENTS_PER_MATTER) as u64));
    group.bench_function("parse", |b| b.iter(|| fcid::parse(black_box(&bytes)).unwrap()));
    group.bench_function("view", |b| b.iter(|| view(black_box(&parsed), black_box(as_of))));
    group.bench_function("parse_and_view", |b| {
        b.iter(|| view(&fcid::parse(black_box(&bytes)).unwrap(), black_box(as_of)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
