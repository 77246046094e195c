//! How a claim document is kept in a pod record.
//!
//! An organisation's answer arrives as an age file encrypted to the citizen, holding the signed
//! JWS. At rest the pod's own seal (under a data key wrapped to the same citizen) already does the
//! age layer's job, so a record keeps the JWS itself, with its payload decoded from base64url:
//! JSON that the seal can compress, where an age file cannot be compressed at all. The compact
//! JWS comes back byte for byte, so its signature still verifies.
//!
//! When a later fetch returns the same FCID document ([`same_content`]), the pod stores no new
//! document: that fetch's transparency-log entry names the earlier record and keeps the hash of
//! what arrived.
//!
//! ```text
//! signed   = "betaalpod-document/2\n" ‖ "S" ‖ header ‖ "." ‖ signature ‖ "\n" ‖ payload (JSON)
//! compact  = "betaalpod-document/2\n" ‖ "J" ‖ the compact JWS   (base64url that would not round-trip)
//! age file = what pods wrote before: the organisation's age file, unchanged
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use zeroize::Zeroizing;

const MAGIC: &[u8] = b"betaalpod-document/2\n";
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// A stored document record, decoded.
pub enum DocumentRecord {
    /// The organisation's compact JWS, exactly as it was signed.
    Signed(Zeroizing<Vec<u8>>),
    /// An age file as received (pods written before format 2); the citizen's identity opens it.
    AgeFile(Zeroizing<Vec<u8>>),
}

/// Why a stored document record could not be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DocumentRecordError {
    /// The bytes are no document record.
    #[error("the stored document is damaged")]
    Damaged,
    /// An age file that the citizen's identity does not open.
    #[error("the stored document no longer opens with this pod's key")]
    NotForThisPod,
}

/// The record for a signed compact JWS.
pub fn encode_signed(jws: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(MAGIC.len() + 1 + jws.len()));
    out.extend_from_slice(MAGIC);
    let parts: Vec<&[u8]> = jws.split(|b| *b == b'.').collect();
    if let [header, payload, signature] = parts.as_slice()
        && let Ok(decoded) = B64.decode(payload)
        && B64.encode(&decoded).as_bytes() == *payload
        && !header.contains(&b'\n')
        && !signature.contains(&b'\n')
    {
        let decoded = Zeroizing::new(decoded);
        out.push(b'S');
        out.extend_from_slice(header);
        out.push(b'.');
        out.extend_from_slice(signature);
        out.push(b'\n');
        out.extend_from_slice(&decoded);
    } else {
        out.push(b'J');
        out.extend_from_slice(jws);
    }
    out
}

/// Reads a stored document record.
pub fn decode(payload: &[u8]) -> Result<DocumentRecord, DocumentRecordError> {
    if payload.starts_with(AGE_MAGIC) {
        return Ok(DocumentRecord::AgeFile(Zeroizing::new(payload.to_vec())));
    }
    let rest = payload.strip_prefix(MAGIC).ok_or(DocumentRecordError::Damaged)?;
    let (&tag, body) = rest.split_first().ok_or(DocumentRecordError::Damaged)?;
    match tag {
        b'S' => {
            let newline = body.iter().position(|b| *b == b'\n').ok_or(DocumentRecordError::Damaged)?;
            let (protected, json) = (&body[..newline], &body[newline + 1..]);
            let dot = protected.iter().position(|b| *b == b'.').ok_or(DocumentRecordError::Damaged)?;
            let (header, signature) = (&protected[..dot], &protected[dot + 1..]);
            let mut jws = Zeroizing::new(Vec::with_capacity(protected.len() + json.len() * 4 / 3 + 4));
            jws.extend_from_slice(header);
            jws.push(b'.');
            jws.extend_from_slice(B64.encode(json).as_bytes());
            jws.push(b'.');
            jws.extend_from_slice(signature);
            Ok(DocumentRecord::Signed(jws))
        }
        b'J' => Ok(DocumentRecord::Signed(Zeroizing::new(body.to_vec()))),
        _ => Err(DocumentRecordError::Damaged),
    }
}

/// The compact JWS of a stored document; an age file (from an older pod) opens with `identity`.
pub fn open(payload: &[u8], identity: &age::x25519::Identity) -> Result<Zeroizing<Vec<u8>>, DocumentRecordError> {
    match decode(payload)? {
        DocumentRecord::Signed(jws) => Ok(jws),
        DocumentRecord::AgeFile(file) => age::decrypt(identity, &file)
            .map(Zeroizing::new)
            .map_err(|_| DocumentRecordError::NotForThisPod),
    }
}

/// Whether two compact JWSs carry the same FCID document (the `document` member of the signed
/// claims payload), whatever their nonce, times or signature.
pub fn same_content(a: &[u8], b: &[u8]) -> bool {
    match (signed_document(a), signed_document(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn signed_document(jws: &[u8]) -> Option<serde_json::Value> {
    let payload = jws.split(|b| *b == b'.').nth(1)?;
    let decoded = Zeroizing::new(B64.decode(payload).ok()?);
    let mut claims: serde_json::Value = serde_json::from_slice(&decoded).ok()?;
    Some(claims.get_mut("document")?.take())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jws(document: &str, nonce: &str) -> Vec<u8> {
        let payload = format!(r#"{{"iss":"cjib","nonce":"{nonce}","document":{document}}}"#);
        format!("eyJhbGciOiJFZERTQSJ9.{}.c2lnbmF0dXJl", B64.encode(payload)).into_bytes()
    }

    fn signed(record: &[u8]) -> Vec<u8> {
        match decode(record).unwrap() {
            DocumentRecord::Signed(jws) => jws.to_vec(),
            _ => panic!("not a full record"),
        }
    }

    #[test]
    fn a_jws_comes_back_byte_for_byte() {
        let original = jws(r#"{"zaken":[1,2,3]}"#, "n1");
        let record = encode_signed(&original);
        assert!(record.starts_with(b"betaalpod-document/2\nS"));
        assert!(
            record.windows(7).any(|w| w == br#""zaken""#),
            "the payload is kept as JSON, so it compresses"
        );
        assert_eq!(signed(&record), original);
        // base64url with stray bits does not re-encode the same, so it is kept as it came.
        let odd = b"eyJhbGciOiJFZERTQSJ9.eyJhIjoxfR.c2ln".to_vec();
        let record = encode_signed(&odd);
        assert!(record.starts_with(b"betaalpod-document/2\nJ"));
        assert_eq!(signed(&record), odd);
        assert_eq!(signed(&encode_signed(b"not a jws")), b"not a jws");
    }

    #[test]
    fn the_same_document_is_recognised_whatever_its_signature() {
        let first = jws(r#"{"zaken":[1]}"#, "n1");
        let again = jws(r#"{"zaken":[1]}"#, "n2");
        let changed = jws(r#"{"zaken":[2]}"#, "n3");
        assert!(same_content(&first, &again));
        assert!(!same_content(&first, &changed));
        assert!(!same_content(&first, b"junk"));
        assert!(!same_content(b"a.b.c", b"a.b.c"), "no document, nothing to compare");
    }

    #[test]
    fn age_files_from_older_pods_still_open() {
        let identity = age::x25519::Identity::generate();
        let original = jws(r#"{"zaken":[]}"#, "n1");
        let file = age::encrypt(&identity.to_public(), &original).unwrap();
        assert_eq!(open(&file, &identity).unwrap().as_slice(), original.as_slice());
        assert_eq!(open(&encode_signed(&original), &identity).unwrap().as_slice(), original.as_slice());
        let stranger = age::x25519::Identity::generate();
        assert_eq!(open(&file, &stranger).err(), Some(DocumentRecordError::NotForThisPod));
    }

    #[test]
    fn damaged_records_are_refused() {
        for bad in [
            &b""[..],
            b"garbage",
            b"betaalpod-document/2\n",
            b"betaalpod-document/2\nX",
            b"betaalpod-document/2\nSno-newline",
            b"betaalpod-document/2\nSnodot\n{}",
            b"betaalpod-document/2\nPaaaaaaaaaaaaaaaa",
        ] {
            assert!(decode(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
