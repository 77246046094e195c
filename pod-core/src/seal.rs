//! Sealing record values under the pod's data key: XChaCha20-Poly1305 with a random nonce, bound
//! to the value's space and key so that values cannot be swapped between keys unnoticed.
//!
//! A plaintext is compressed (LZ4) when that moves it to a smaller bucket, then padded to a size
//! bucket: powers of two from a floor of at least 256 bytes. A ciphertext's size reveals only its
//! bucket, and the caller picks a floor per kind of record so that the common sizes of that kind
//! all share one bucket (see [`RecordKind::floor`]).
//!
//! ```text
//! format 2  = 0x02 ‖ nonce (24 bytes) ‖ XChaCha20-Poly1305(frame, aad = space ‖ 0x00 ‖ key)
//! frame     = codec (0 stored, 1 LZ4) ‖ body length (u32 LE) ‖ body ‖ zeros up to the bucket
//! LZ4 body  = plaintext length (u32 LE) ‖ one LZ4 block
//! format 1  = 0x01 ‖ nonce ‖ XChaCha20-Poly1305(length (u32 LE) ‖ plaintext ‖ zeros)
//! ```
//!
//! Format 1 (no codec byte, never compressed) is what pods wrote before compression; it still
//! opens, and is never written. LZ4 is pure Rust here, so the browser seals exactly the same way,
//! and it costs about as much as the cipher, so compressing does not slow a write down.
//!
//! [`RecordKind::floor`]: super::RecordKind::floor

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use zeroize::{Zeroize, Zeroizing};

/// The sealing format written now.
const FORMAT: u8 = 2;
/// The format before compression: still opened, never written.
const FORMAT_1: u8 = 1;
const NONCE_LEN: usize = 24;
/// The frame's codec byte and body length.
const FRAME_HEADER: usize = 5;
const CODEC_STORED: u8 = 0;
const CODEC_LZ4: u8 = 1;
/// No record is larger; a damaged or hostile length prefix cannot make an opener allocate more.
pub const MAX_PLAINTEXT: usize = 64 * 1024 * 1024;

/// The pod's 256-bit data key. It exists in plaintext only in memory while a pod is unlocked;
/// at rest it is an age ciphertext to the citizen's recipient.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// A fresh random key from the OS RNG.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        Self(key)
    }

    /// Rebuilds a key from its 32 bytes (after unwrapping).
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(array)))
    }

    /// The raw key, for wrapping only.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Seals `plaintext` for storage at (`space`, `key`), padded to at least `floor` bytes.
    pub fn seal(&self, space: &str, key: &[u8], plaintext: &[u8], floor: usize) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(self.0.as_ref()));
        let mut nonce = [0u8; NONCE_LEN];
        // A CSPRNG seeded from the OS (ChaCha12): a 192-bit random nonce needs no more, and a
        // fetch seals thousands of values, each an OS call with OsRng.
        rand::thread_rng().fill_bytes(&mut nonce);
        let mut padded = frame(plaintext, floor);
        let aad = associated_data(space, key);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &padded,
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        padded.zeroize();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(FORMAT);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a value sealed at (`space`, `key`), in either format. `None` means it was damaged,
    /// moved or sealed under another key.
    pub fn open(&self, space: &str, key: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let (&format, rest) = sealed.split_first()?;
        if !(format == FORMAT || format == FORMAT_1) || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(self.0.as_ref()));
        let aad = associated_data(space, key);
        let padded = Zeroizing::new(
            cipher
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: ciphertext,
                        aad: &aad,
                    },
                )
                .ok()?,
        );
        if format == FORMAT_1 {
            return unpad_format_1(&padded).map(|p| Zeroizing::new(p.to_vec()));
        }
        unframe(&padded)
    }
}

fn associated_data(space: &str, key: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(space.len() + 1 + key.len());
    aad.extend_from_slice(space.as_bytes());
    aad.push(0);
    aad.extend_from_slice(key);
    aad
}

/// The smallest bucket: anything shorter is padded to 256 bytes.
pub const MIN_BUCKET: usize = 256;

/// The bucket for a frame body of `len` bytes (plus the frame header): the next power of two,
/// and at least `floor` (itself at least [`MIN_BUCKET`]).
pub fn padded_len(len: usize, floor: usize) -> usize {
    (len + FRAME_HEADER).next_power_of_two().max(floor.max(MIN_BUCKET))
}

/// Frames and pads `plaintext`, compressed when that gives a smaller bucket. Compressing a value
/// that fits its floor anyway would cost time and change nothing on disk, so it is not tried.
fn frame(plaintext: &[u8], floor: usize) -> Vec<u8> {
    let stored_len = padded_len(plaintext.len(), floor);
    let mut compressed = None;
    if stored_len > floor.max(MIN_BUCKET) {
        let mut body = Zeroizing::new(Vec::with_capacity(4 + plaintext.len() / 2));
        body.extend_from_slice(&(plaintext.len() as u32).to_le_bytes());
        body.extend_from_slice(&lz4_flex::block::compress(plaintext));
        if padded_len(body.len(), floor) < stored_len {
            compressed = Some(body);
        }
    }
    let (codec, body): (u8, &[u8]) = match &compressed {
        Some(body) => (CODEC_LZ4, body),
        None => (CODEC_STORED, plaintext),
    };
    let mut out = Vec::with_capacity(padded_len(body.len(), floor));
    out.push(codec);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    out.resize(padded_len(body.len(), floor), 0);
    out
}

fn unframe(padded: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let (&codec, rest) = padded.split_first()?;
    let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let body = rest.get(4..4 + len)?;
    match codec {
        CODEC_STORED => Some(Zeroizing::new(body.to_vec())),
        CODEC_LZ4 => {
            let plain_len = u32::from_le_bytes(body.get(..4)?.try_into().ok()?) as usize;
            if plain_len > MAX_PLAINTEXT {
                return None;
            }
            let plain = Zeroizing::new(lz4_flex::block::decompress(&body[4..], plain_len).ok()?);
            (plain.len() == plain_len).then_some(plain)
        }
        _ => None,
    }
}

fn unpad_format_1(padded: &[u8]) -> Option<&[u8]> {
    let len = u32::from_le_bytes(padded.get(..4)?.try_into().ok()?) as usize;
    padded.get(4..4 + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let key = DataKey::generate();
        let sealed = key.seal("records", b"id-1", b"hello", MIN_BUCKET);
        assert_eq!(key.open("records", b"id-1", &sealed).unwrap().as_slice(), b"hello");
        assert!(key.open("records", b"id-2", &sealed).is_none(), "moved to another key");
        assert!(key.open("index", b"id-1", &sealed).is_none(), "moved to another space");
        assert!(
            DataKey::generate().open("records", b"id-1", &sealed).is_none(),
            "another data key"
        );
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(key.open("records", b"id-1", &flipped).is_none(), "tampered");
        assert!(key.open("records", b"id-1", &sealed[..10]).is_none(), "truncated");
    }

    #[test]
    fn sizes_reveal_only_the_bucket() {
        let key = DataKey::generate();
        let a = key.seal("records", b"k", &[1u8; 10], 1024);
        let b = key.seal("records", b"k", &[1u8; 1000], 1024);
        assert_eq!(a.len(), b.len(), "both in the 1 KiB bucket");
        assert_eq!(key.seal("records", b"k", &[1u8; 10], MIN_BUCKET).len(), 1 + NONCE_LEN + 256 + 16);
        let mut incompressible = vec![0u8; 1020];
        rand::rngs::OsRng.fill_bytes(&mut incompressible);
        let c = key.seal("records", b"k", &incompressible, 1024);
        assert_eq!(c.len() - a.len(), 1024, "the next bucket is 2 KiB");
        assert_eq!(key.open("records", b"k", &c).unwrap().as_slice(), incompressible.as_slice());
        let floored = key.seal("records", b"k", &[1u8; 10], 128 * 1024);
        assert_eq!(key.open("records", b"k", &floored).unwrap().as_slice(), &[1u8; 10]);
        assert_eq!(padded_len(5000, MIN_BUCKET), 8192);
        assert_eq!(padded_len(0, 0), MIN_BUCKET, "never below 256 bytes");
        assert_eq!(padded_len(70_000, 128 * 1024), 128 * 1024);
        assert_eq!(padded_len(200_000, 128 * 1024), 256 * 1024);
        for len in [0, 1, 1018, 1019, 1020, 4091, 4092, 70_000] {
            let padded = padded_len(len, MIN_BUCKET);
            assert!(padded >= len + FRAME_HEADER && padded.is_power_of_two(), "{len} -> {padded}");
        }
    }

    #[test]
    fn compression_only_where_it_gives_a_smaller_bucket() {
        let key = DataKey::generate();
        let json = br#"{"zaakkenmerk":"CJIB-2026-000123","bedrag_cent":12345,"omschrijving":"Verkeersboete"}"#.repeat(200);
        assert!(json.len() > 16 * 1024);
        let sealed = key.seal("records", b"k", &json, MIN_BUCKET);
        assert!(sealed.len() < 4 * 1024, "{} bytes: repetitive JSON compresses into a small bucket", sealed.len());
        assert_eq!(key.open("records", b"k", &sealed).unwrap().as_slice(), json.as_slice());
        let floored = key.seal("records", b"k", &json, 64 * 1024);
        assert_eq!(floored.len(), 1 + NONCE_LEN + 64 * 1024 + 16, "never below the floor");
        assert_eq!(key.open("records", b"k", &floored).unwrap().as_slice(), json.as_slice());
        // The frame says which codec was used; a value that fits its floor is stored as it is.
        let small = frame(b"short", MIN_BUCKET);
        assert_eq!(small[0], CODEC_STORED);
        assert_eq!(frame(&json, MIN_BUCKET)[0], CODEC_LZ4);
    }

    #[test]
    fn a_hostile_frame_does_not_open() {
        // Frames that only a holder of the data key could seal; they still must not panic or
        // make the opener allocate what the length prefix claims.
        let mut huge = vec![CODEC_LZ4];
        huge.extend_from_slice(&8u32.to_le_bytes());
        huge.extend_from_slice(&(u32::MAX).to_le_bytes());
        huge.extend_from_slice(&[0u8; 4]);
        assert!(unframe(&huge).is_none(), "a length beyond MAX_PLAINTEXT");
        let mut lying = frame(&br#"{"a":1}"#.repeat(400), MIN_BUCKET);
        assert_eq!(lying[0], CODEC_LZ4);
        lying[5] ^= 1; // The declared plaintext length no longer matches the block.
        assert!(unframe(&lying).is_none());
        let mut unknown = frame(b"x", MIN_BUCKET);
        unknown[0] = 9;
        assert!(unframe(&unknown).is_none(), "an unknown codec");
        let mut too_long = frame(b"x", MIN_BUCKET);
        too_long[1..5].copy_from_slice(&5000u32.to_le_bytes());
        assert!(unframe(&too_long).is_none(), "a body longer than the frame");
    }

    #[test]
    fn values_sealed_in_format_1_still_open() {
        // Sealed by the format-1 code (before compression) with the key [7; 32].
        let hex = include_str!("../tests/fixtures/seal-format-1.hex").trim();
        let sealed: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(sealed[0], FORMAT_1);
        assert_eq!(sealed.len(), 1 + NONCE_LEN + 1024 + 16);
        let key = DataKey::from_bytes(&[7u8; 32]).unwrap();
        assert_eq!(
            key.open("records", b"fixture-record-1", &sealed).unwrap().as_slice(),
            br#"{"sealed_by":"format 1"}"#
        );
        assert!(key.open("records", b"fixture-record-2", &sealed).is_none(), "still bound to its key");
        let rewritten = key.seal("records", b"fixture-record-1", br#"{"sealed_by":"format 1"}"#, 1024);
        assert_eq!(rewritten[0], FORMAT, "only the new format is written");
        assert_eq!(rewritten.len(), sealed.len(), "a small value keeps its 1 KiB bucket");
    }
}
