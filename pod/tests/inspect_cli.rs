//! `pod inspect` as a user runs it: the real binary, real files.

use std::process::{Command, Output};

const REFERENCE_EXAMPLE: &str = r#"{"type":"FINANCIAL_CLAIMS_INFORMATION_DOCUMENT","version":"3.0.0","body":{
 "aangeleverd_door":"00000009999999999001","document_datumtijd":"2024-03-01T09:30:00+01:00","bsn":"999993653",
 "financiele_zaken":[{"zaakkenmerk":"Z-2024-000123","omschrijving":"Verkeersboete kenteken XX-123-X",
  "totaal_opgelegd":11300,"totaal_reeds_betaald":5000,"saldo":6300,"saldo_datumtijd":"2024-03-01T09:30:00+01:00",
  "gebeurtenissen":[
   {"gebeurtenis_type":"FinancieleVerplichtingOpgelegd","gebeurtenis_kenmerk":"fvo-1","datumtijd_gebeurtenis":"2024-01-10T08:00:00+01:00",
    "datumtijd_opgelegd":"2024-01-10T00:00:00+01:00","zaakkenmerk":"Z-2024-000123","beschikkingsnummer":"B-77881","bsn":"999993653",
    "primaire_verplichting":true,"type":"cjib_wahv","categorie":"Algemeen","bedrag":10400,"omschrijving":"Snelheidsovertreding"},
   {"gebeurtenis_type":"FinancieleVerplichtingOpgelegd","gebeurtenis_kenmerk":"fvo-2","datumtijd_gebeurtenis":"2024-01-10T08:00:00+01:00",
    "datumtijd_opgelegd":"2024-01-10T00:00:00+01:00","zaakkenmerk":"Z-2024-000123","beschikkingsnummer":"B-77881","bsn":"999993653",
    "primaire_verplichting":false,"type":"cjib_wahv_administratiekosten","categorie":"Administratiekosten","bedrag":900,"omschrijving":"Administratiekosten"},
   {"gebeurtenis_type":"BetalingsverplichtingOpgelegd","gebeurtenis_kenmerk":"bvo-1","datumtijd_gebeurtenis":"2024-01-10T08:00:05+01:00",
    "datumtijd_opgelegd":"2024-01-10T00:00:00+01:00","zaakkenmerk":"Z-2024-000123","bedrag":11300,"betaalwijze":"Overboeking",
    "te_betalen_aan":"00000009999999999001","rekeningnummer":"NL91ABNA0417164300","rekeningnummer_tenaamstelling":"Voorbeeld Incasso",
    "betalingskenmerk":"1234567890123456","vervaldatum":"2024-02-21"},
   {"gebeurtenis_type":"BetalingVerwerkt","gebeurtenis_kenmerk":"bv-1","datumtijd_gebeurtenis":"2024-02-16T06:10:00+01:00",
    "datumtijd_verwerkt":"2024-02-15T00:00:00+01:00","zaakkenmerk":"Z-2024-000123","betalingskenmerk":"1234567890123456","bedrag":5000}],
  "achterstanden":["bvo-1"],
  "contactopties":[{"contactvorm":"telefoon","url":"tel:+31000000000","omschrijving":"Werkdagen 9-17 uur","prioriteit":1}]}]}}"#;

fn pod(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pod"))
        .args(args)
        .output()
        .expect("the pod binary runs")
}

fn write_temp(contents: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), contents).expect("write temp file");
    file
}

#[test]
fn json_output_is_exactly_the_documented_shape() {
    let file = write_temp(REFERENCE_EXAMPLE);
    let out = pod(&[
        "inspect",
        file.path().to_str().unwrap(),
        "--as-of",
        "2024-03-01",
        "--json",
    ]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let expected = serde_json::json!({
        "version": "3.0.0", "organisation": "00000009999999999001", "as_of": "2024-03-01",
        "matters": [{
            "zaakkenmerk": "Z-2024-000123", "omschrijving": "Verkeersboete kenteken XX-123-X",
            "imposed_cents": 11300, "settled_cents": 5000, "outstanding_cents": 6300, "overdue_cents": 6300,
            "next_due": null, "consistent": true, "warnings": []
        }],
        "totals": {"imposed_cents": 11300, "settled_cents": 5000, "outstanding_cents": 6300, "overdue_cents": 6300}
    });
    assert_eq!(printed, expected);
}

#[test]
fn before_the_due_date_nothing_is_overdue_and_the_rest_is_next_due() {
    let file = write_temp(REFERENCE_EXAMPLE);
    let out = pod(&[
        "inspect",
        file.path().to_str().unwrap(),
        "--as-of",
        "2024-02-01",
        "--json",
    ]);
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(printed["matters"][0]["overdue_cents"], 0);
    assert_eq!(
        printed["matters"][0]["next_due"],
        serde_json::json!({"date": "2024-02-21", "cents": 6300})
    );
}

#[test]
fn table_output_is_readable() {
    let file = write_temp(REFERENCE_EXAMPLE);
    let out = pod(&["inspect", file.path().to_str().unwrap(), "--as-of", "2024-03-01"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Z-2024-000123"), "{text}");
    let outstanding = text
        .lines()
        .find(|l| l.trim_start().starts_with("outstanding"))
        .expect("an outstanding line");
    assert_eq!(
        outstanding.split_whitespace().collect::<Vec<_>>(),
        ["outstanding", "€63.00"]
    );
    assert!(
        text.contains("Total: imposed €113.00, settled €50.00, outstanding €63.00, overdue €63.00"),
        "{text}"
    );
}

#[test]
fn as_of_defaults_to_today() {
    let file = write_temp(REFERENCE_EXAMPLE);
    let out = pod(&["inspect", file.path().to_str().unwrap(), "--json"]);
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let today = chrono::Local::now().date_naive().to_string();
    assert_eq!(printed["as_of"], serde_json::Value::String(today));
}

#[test]
fn invalid_document_exits_2_with_one_line_naming_the_path() {
    let negative = REFERENCE_EXAMPLE.replace(r#""bedrag":900"#, r#""bedrag":-900"#);
    let file = write_temp(&negative);
    let out = pod(&["inspect", file.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("$.body.financiele_zaken[0].gebeurtenissen[1].bedrag"),
        "{stderr}"
    );
    assert!(stderr.contains("positive"), "{stderr}");
}

#[test]
fn control_characters_in_a_problem_stay_on_one_line() {
    let bad_type = REFERENCE_EXAMPLE.replace(r#""type":"cjib_wahv","#, r#""type":"cjib\nWAHV","#);
    let file = write_temp(&bad_type);
    let out = pod(&["inspect", file.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8(out.stderr).unwrap().lines().count(), 1);
}

#[test]
fn oversized_file_is_refused_without_reading_it_all() {
    let file = tempfile::NamedTempFile::new().unwrap();
    file.as_file().set_len(64 * 1024 * 1024).unwrap();
    let out = pod(&["inspect", file.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("4 MiB"));
}

#[test]
fn missing_file_is_an_operational_error() {
    let out = pod(&["inspect", "/nonexistent/betaalpod/claims.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("cannot open /nonexistent/betaalpod/claims.json")
    );
}
