//! Sealing record values under the pod's data key: XChaCha20-Poly1305 with a random nonce, bound
//! to the value's space and key so that values cannot be swapped between keys unnoticed.
//!
//! Plaintexts are padded to a size bucket before sealing: powers of two from a floor of at least
//! 1 KiB. A ciphertext's size reveals only its bucket, and the caller picks a floor per kind of
//! record so that the common sizes of that kind all share one bucket (see [`RecordKind::floor`]).
//!
//! [`RecordKind::floor`]: super::RecordKind::floor

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use zeroize::{Zeroize, Zeroizing};

/// Marks the sealing format, so a later format can be told apart.
const FORMAT: u8 = 1;
const NONCE_LEN: usize = 24;

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
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut padded = pad(plaintext, floor);
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

    /// Opens a value sealed at (`space`, `key`). `None` means it was damaged, moved or sealed
    /// under another key.
    pub fn open(&self, space: &str, key: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let (&format, rest) = sealed.split_first()?;
        if format != FORMAT || rest.len() < NONCE_LEN {
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
        unpad(&padded).map(|p| Zeroizing::new(p.to_vec()))
    }
}

fn associated_data(space: &str, key: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(space.len() + 1 + key.len());
    aad.extend_from_slice(space.as_bytes());
    aad.push(0);
    aad.extend_from_slice(key);
    aad
}

/// The smallest bucket: anything shorter is padded to 1 KiB.
pub const MIN_BUCKET: usize = 1024;

/// The padded size for a plaintext of `len` bytes (plus its 4-byte length prefix): the next power
/// of two, and at least `floor` (itself at least [`MIN_BUCKET`]).
pub fn padded_len(len: usize, floor: usize) -> usize {
    (len + 4).next_power_of_two().max(floor.max(MIN_BUCKET))
}

fn pad(plaintext: &[u8], floor: usize) -> Vec<u8> {
    let padded_len = padded_len(plaintext.len(), floor);
    let mut out = Vec::with_capacity(padded_len);
    out.extend_from_slice(&(plaintext.len() as u32).to_le_bytes());
    out.extend_from_slice(plaintext);
    out.resize(padded_len, 0);
    out
}

fn unpad(padded: &[u8]) -> Option<&[u8]> {
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
        let a = key.seal("records", b"k", &[1u8; 10], MIN_BUCKET);
        let b = key.seal("records", b"k", &[1u8; 1000], MIN_BUCKET);
        assert_eq!(a.len(), b.len(), "both in the 1 KiB bucket");
        let c = key.seal("records", b"k", &[1u8; 1021], MIN_BUCKET);
        assert_eq!(c.len() - a.len(), 1024, "the next bucket is 2 KiB");
        let floored = key.seal("records", b"k", &[1u8; 10], 128 * 1024);
        assert_eq!(key.open("records", b"k", &floored).unwrap().as_slice(), &[1u8; 10]);
        assert_eq!(padded_len(5000, MIN_BUCKET), 8192);
        assert_eq!(padded_len(0, 0), MIN_BUCKET, "never below 1 KiB");
        assert_eq!(padded_len(70_000, 128 * 1024), 128 * 1024);
        assert_eq!(padded_len(200_000, 128 * 1024), 256 * 1024);
        for len in [0, 1, 1019, 1020, 1021, 4092, 4093, 70_000] {
            let padded = padded_len(len, MIN_BUCKET);
            assert!(padded >= len + 4 && padded.is_power_of_two(), "{len} -> {padded}");
        }
    }
}
