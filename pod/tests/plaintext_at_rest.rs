//! No plaintext at rest: seed a pod with documents full of known values, then scan every byte
//! under the pod folder for those values as UTF-8, as UTF-16 (both byte orders) and, for the
//! amounts, as little-endian integers.

use age::secrecy::SecretString;
use pod::store::{KdfCost, PodDir, RecordKind};

const PASSPHRASE: &str = "correct horse battery staple";
const BSN: &str = "999993653";
const TEXT_NEEDLES: &[&str] = &[
    BSN,
    "Centraal Justitieel Incassobureau",
    "Dienst Uitvoering Onderwijs",
    "Z-2024-000123",
    "NL91ABNA0417164300",
    "Verkeersboete kenteken XX-123-X",
    "1234567890123456",
    "00000009999999999001",
];
/// Amounts, chosen distinctive enough that their integer bytes cannot occur by chance in the
/// database's own bookkeeping (a small number like 11300 could be a legitimate file offset).
const AMOUNTS: &[i64] = &[987_654_321, 123_456_789_012, 2_147_483_999];

fn document(amount: i64) -> String {
    format!(
        r#"{{"type":"FINANCIAL_CLAIMS_INFORMATION_DOCUMENT","version":"3.0.0","body":{{"aangeleverd_door":"00000009999999999001",
        "bsn":"{BSN}","naam":"Centraal Justitieel Incassobureau","financiele_zaken":[{{"zaakkenmerk":"Z-2024-000123",
        "omschrijving":"Verkeersboete kenteken XX-123-X","saldo":{amount},"rekeningnummer":"NL91ABNA0417164300",
        "betalingskenmerk":"1234567890123456","bedrag_tekst":"{amount}"}}]}}}}"#
    )
}

fn needles() -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    let texts: Vec<String> = TEXT_NEEDLES
        .iter()
        .map(|s| s.to_string())
        .chain(AMOUNTS.iter().map(|a| a.to_string()))
        .collect();
    for text in texts {
        all.push((format!("{text:?} as UTF-8"), text.as_bytes().to_vec()));
        all.push((
            format!("{text:?} as UTF-16LE"),
            text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        ));
        all.push((
            format!("{text:?} as UTF-16BE"),
            text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        ));
    }
    for amount in AMOUNTS {
        all.push((format!("{amount} as i64 LE"), amount.to_le_bytes().to_vec()));
        if let Ok(small) = i32::try_from(*amount) {
            all.push((format!("{amount} as i32 LE"), small.to_le_bytes().to_vec()));
        }
    }
    all
}

fn scan(root: &std::path::Path) -> Vec<String> {
    let needles = needles();
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for (what, needle) in &needles {
            if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                found.push(format!("{what} in {}", path.display()));
            }
        }
    }
    found
}

#[test]
fn nothing_readable_lies_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = PodDir::new(tmp.path().join("pod"));
    let secret = SecretString::from(PASSPHRASE.to_owned());
    dir.init(&secret, KdfCost::InsecureForTests).unwrap();
    {
        let pod = dir.unlock(&secret).unwrap();
        for amount in AMOUNTS {
            let doc = document(*amount);
            pod.put_document("cjib", &age::encrypt(pod.recipient(), doc.as_bytes()).unwrap())
                .unwrap();
            pod.put(
                RecordKind::FetchLog,
                Some("cjib"),
                format!("fetched from Centraal Justitieel Incassobureau for {BSN}: {amount}").as_bytes(),
            )
            .unwrap();
            pod.put(RecordKind::Arrangement, Some("duo"), &amount.to_le_bytes())
                .unwrap();
        }
        pod.put(
            RecordKind::Settings,
            None,
            "Dienst Uitvoering Onderwijs"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<_>>()
                .as_slice(),
        )
        .unwrap();
        // While unlocked, the files must be just as opaque.
        let found = scan(dir.root());
        assert!(found.is_empty(), "plaintext on disk while unlocked: {found:#?}");
        assert_eq!(pod::verify::whole_pod(&pod).unwrap(), 10);
    }
    let found = scan(dir.root());
    assert!(found.is_empty(), "plaintext on disk: {found:#?}");

    // The scan really finds things: a planted copy of one needle is reported.
    std::fs::write(dir.root().join("planted"), format!("xx{BSN}xx")).unwrap();
    assert_eq!(scan(dir.root()).len(), 1);
}
