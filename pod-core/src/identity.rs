//! The citizen's age identity at rest: wrapped by the passphrase and, separately, by the
//! recovery code, each an age scrypt file (age allows one scrypt stanza per file, hence two
//! files). The same code opens them natively and in the browser.

use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use rand::RngCore;
use zeroize::Zeroizing;

/// Passphrases shorter than this are refused.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// The highest scrypt work factor accepted when unwrapping, so a planted file cannot make an
/// unlock take hours.
const MAX_LOG_N: u8 = 22;

/// How expensive the passphrase KDF is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KdfCost {
    /// age's own choice: about one second on this machine. Always used by the CLI.
    Standard,
    /// Cheap (2^10), for tests that unlock many times. Never for real pods.
    InsecureForTests,
}

/// Why a key operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The passphrase or recovery code does not open the file.
    #[error("wrong passphrase")]
    WrongSecret,
    /// The file is not an age file we wrote.
    #[error("{0} is damaged or not a Betaalpod identity file; restore it from a backup")]
    Damaged(String),
    /// Reading or writing failed.
    #[error("{0}")]
    Io(String),
}

/// Refuses passphrases that are too short, counting characters, not bytes.
pub fn check_passphrase(passphrase: &SecretString) -> Result<(), String> {
    let chars = passphrase.expose_secret().chars().count();
    if chars < MIN_PASSPHRASE_CHARS {
        return Err(format!(
            "the passphrase has {chars} characters; use at least {MIN_PASSPHRASE_CHARS} (a few words are easy to remember)"
        ));
    }
    Ok(())
}

/// The first line of every identity file written now: a comment (age identity files allow them)
/// that says the pod's store is bound to this identity ([`crate::integrity`]). It sits inside the
/// passphrase's encryption, so nobody without the passphrase can add or remove it; a store that is
/// not bound is then refused instead of taken for an old pod.
const BOUND_STORE_MARKER: &str = "# betaalpod: the store is bound to this identity (betaalpod-identity/2)";

/// An identity file, opened.
pub struct UnwrappedIdentity {
    /// The citizen's identity.
    pub identity: x25519::Identity,
    /// Whether the file says that its store is bound to the identity (every file written since
    /// stores were bound). A pod whose file says so never accepts a store that is not.
    pub requires_bound_store: bool,
}

/// Encrypts the identity under a passphrase (age scrypt).
pub fn wrap_identity(identity: &x25519::Identity, secret: &SecretString, cost: KdfCost) -> Vec<u8> {
    let mut recipient = age::scrypt::Recipient::new(secret.clone());
    if cost == KdfCost::InsecureForTests {
        recipient.set_work_factor(10);
    }
    let encoded = identity.to_string();
    let text = Zeroizing::new(format!("{BOUND_STORE_MARKER}\n{}\n", encoded.expose_secret()));
    age::encrypt(&recipient, text.as_bytes()).expect("age encryption to a scrypt recipient of an in-memory buffer cannot fail")
}

/// Decrypts an identity file with a passphrase or recovery code.
pub fn unwrap_identity(file: &[u8], secret: &SecretString, name: &str) -> Result<x25519::Identity, KeyError> {
    unwrap_identity_file(file, secret, name).map(|opened| opened.identity)
}

/// Decrypts an identity file with a passphrase or recovery code, and says whether it requires a
/// bound store.
pub fn unwrap_identity_file(file: &[u8], secret: &SecretString, name: &str) -> Result<UnwrappedIdentity, KeyError> {
    let mut identity = age::scrypt::Identity::new(secret.clone());
    identity.set_max_work_factor(MAX_LOG_N);
    let plaintext = match age::decrypt(&identity, file) {
        Ok(plaintext) => Zeroizing::new(plaintext),
        Err(
            age::DecryptError::DecryptionFailed
            | age::DecryptError::NoMatchingKeys
            | age::DecryptError::KeyDecryptionFailed,
        ) => {
            return Err(KeyError::WrongSecret);
        }
        Err(age::DecryptError::ExcessiveWork { required, .. }) => {
            return Err(KeyError::Damaged(format!(
                "{name} (it asks for scrypt work factor 2^{required})"
            )));
        }
        Err(_) => return Err(KeyError::Damaged(name.to_owned())),
    };
    let text = std::str::from_utf8(&plaintext).map_err(|_| KeyError::Damaged(name.to_owned()))?;
    let (requires_bound_store, key) = match text.strip_prefix(BOUND_STORE_MARKER) {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let identity = key
        .trim()
        .parse::<x25519::Identity>()
        .map_err(|_| KeyError::Damaged(name.to_owned()))?;
    Ok(UnwrappedIdentity {
        identity,
        requires_bound_store,
    })
}

/// A fresh recovery code: 160 bits from the OS RNG in base32, as eight groups of four.
pub fn generate_recovery_code() -> SecretString {
    let mut bytes = Zeroizing::new([0u8; 20]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    let encoded = Zeroizing::new(base32(bytes.as_ref()));
    let grouped: Vec<&str> = encoded
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    SecretString::from(grouped.join("-"))
}

/// Normalises a typed recovery code: case, spaces and dashes don't matter.
pub fn normalise_recovery_code(typed: &SecretString) -> Result<SecretString, String> {
    let cleaned: String = typed
        .expose_secret()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if cleaned.len() != 32 || !cleaned.bytes().all(|b| BASE32.contains(&b)) {
        return Err(
            "a recovery code is 32 letters and digits (2-7), usually written in eight groups of four".to_owned(),
        );
    }
    let grouped: Vec<&str> = cleaned
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    Ok(SecretString::from(grouped.join("-")))
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buffer = [0u8; 5];
        buffer[..chunk.len()].copy_from_slice(chunk);
        let bits = buffer.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let symbols = (chunk.len() * 8).div_ceil(5);
        for i in 0..symbols {
            out.push(BASE32[((bits >> (35 - i * 5)) & 31) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_round_trip_and_wrong_secret() {
        let identity = x25519::Identity::generate();
        let secret = SecretString::from("correct horse battery".to_owned());
        let file = wrap_identity(&identity, &secret, KdfCost::InsecureForTests);
        let back = unwrap_identity_file(&file, &secret, "identity.age").unwrap();
        assert_eq!(back.identity.to_public().to_string(), identity.to_public().to_string());
        assert!(back.requires_bound_store, "every file written now marks its store as bound");
        // A file from before bound stores: the bare identity.
        let mut cheap = age::scrypt::Recipient::new(secret.clone());
        cheap.set_work_factor(10);
        let old = age::encrypt(
            &cheap,
            identity.to_string().expose_secret().as_bytes(),
        )
        .unwrap();
        let back = unwrap_identity_file(&old, &secret, "identity.age").unwrap();
        assert_eq!(back.identity.to_public().to_string(), identity.to_public().to_string());
        assert!(!back.requires_bound_store);
        let wrong = SecretString::from("wrong horse battery".to_owned());
        assert!(matches!(
            unwrap_identity(&file, &wrong, "identity.age"),
            Err(KeyError::WrongSecret)
        ));
        assert!(matches!(
            unwrap_identity(&file[..40], &secret, "identity.age"),
            Err(KeyError::Damaged(_))
        ));
        assert!(matches!(
            unwrap_identity(b"garbage", &secret, "identity.age"),
            Err(KeyError::Damaged(_))
        ));
    }

    #[test]
    fn passphrase_length_counts_characters() {
        assert!(check_passphrase(&SecretString::from("elf tekens!".to_owned())).is_err());
        assert!(check_passphrase(&SecretString::from("twaalf tekens".to_owned())).is_ok());
        assert!(
            check_passphrase(&SecretString::from("ééééééééééé".to_owned())).is_err(),
            "11 chars, 22 bytes"
        );
    }

    #[test]
    fn recovery_codes() {
        let code = generate_recovery_code();
        assert_eq!(code.expose_secret().len(), 39);
        assert_ne!(code.expose_secret(), generate_recovery_code().expose_secret());
        let typed = SecretString::from(code.expose_secret().to_lowercase().replace('-', " "));
        assert_eq!(
            normalise_recovery_code(&typed).unwrap().expose_secret(),
            code.expose_secret()
        );
        assert!(normalise_recovery_code(&SecretString::from("ABCD".to_owned())).is_err());
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }
}
