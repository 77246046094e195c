//! Sealing record values under the pod's data key: XChaCha20-Poly1305 with a random nonce, bound
//! to the value's space and key so that values cannot be swapped between keys unnoticed.
//!
//! Plaintexts are padded to a size bucket before sealing, so that ciphertext sizes reveal only
//! the bucket, not the exact length of a document.

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

    /// Seals `plaintext` for storage at (`space`, `key`).
    pub fn seal(&self, space: &str, key: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(self.0.as_ref()));
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut padded = pad(plaintext);
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

/// The padded size for a plaintext of `len` bytes (plus its 4-byte length prefix): 256-byte steps
/// up to 4 KiB, then steps of a sixteenth of the next power of two (under 12.5 % overhead).
pub fn padded_len(len: usize) -> usize {
    let framed = len + 4;
    if framed <= 4096 {
        return framed.div_ceil(256) * 256;
    }
    // next_power_of_two < 2 × framed, so the step (and the overhead) stays under framed / 8.
    let step = framed.next_power_of_two() / 16;
    framed.div_ceil(step) * step
}

fn pad(plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(padded_len(plaintext.len()));
    out.extend_from_slice(&(plaintext.len() as u32).to_le_bytes());
    out.extend_from_slice(plaintext);
    out.resize(padded_len(plaintext.len()), 0);
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
        let sealed = key.seal("records", b"id-1", b"hello");
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
        let a = key.seal("records", b"k", &[1u8; 10]);
        let b = key.seal("records", b"k", &[1u8; 200]);
        assert_eq!(a.len(), b.len());
        assert_eq!(padded_len(5000), 5120);
        assert!(padded_len(100_000) <= 100_004 + 100_004 / 8);
        for len in [0, 1, 251, 252, 253, 4092, 4093, 70_000] {
            assert!(padded_len(len) >= len + 4);
        }
    }
}
