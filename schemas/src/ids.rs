//! Validated identifiers: BSN, OIN, FCID type codes and organisation ids.
//!
//! Each is a newtype that can only hold a valid value, so code that receives one never
//! re-checks it. Deserialising an invalid value fails with a message that says what is wrong.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Implements `Display`, `Serialize`, `Deserialize` (through `parse`) and `as_str` for a
/// string newtype, so that every identifier is checked on the way in.
macro_rules! validated_string {
    ($name:ident) => {
        impl $name {
            /// The identifier as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A Dutch citizen service number (burgerservicenummer): nine digits that pass the 11-proof.
///
/// `Debug` hides the number so that it never ends up in logs by accident.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Bsn(String);

impl Bsn {
    /// Checks nine ASCII digits, not all zero, with Σ dᵢ·wᵢ ≡ 0 (mod 11) for weights 9…2, −1.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let digits: Vec<i64> = raw
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| i64::from(b - b'0'))
            .collect();
        if raw.len() != 9 || digits.len() != 9 {
            return Err("a BSN is exactly nine digits".to_owned());
        }
        if digits.iter().all(|d| *d == 0) {
            return Err("a BSN cannot be all zeros".to_owned());
        }
        let weighted: i64 = digits[..8]
            .iter()
            .zip((2..=9).rev())
            .map(|(digit, weight)| digit * weight)
            .sum::<i64>()
            - digits[8];
        if weighted % 11 != 0 {
            return Err("the BSN fails the 11-proof check; check for a typing error".to_owned());
        }
        Ok(Self(raw.to_owned()))
    }
}

impl fmt::Debug for Bsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bsn(***)")
    }
}

validated_string!(Bsn);

/// An organisation identification number (OIN): exactly 20 ASCII digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Oin(String);

impl Oin {
    /// Checks that `raw` is exactly 20 ASCII digits.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() == 20 && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!("an OIN is exactly 20 digits, got {:?}", truncate(raw)))
        }
    }
}

validated_string!(Oin);

/// An FCID type code `<org>_<description>`, such as `cjib_wahv`.
///
/// A validated string rather than a closed enum: organisations join the scheme over time
/// (the NVWA joined in 2024), and a new prefix must not make a valid document unreadable.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeCode(String);

/// The organisation prefixes the FCID standard lists (docs/FCID.md). Other short prefixes are
/// accepted.
pub const KNOWN_TYPE_CODE_ORGS: &[&str] = &["bd", "tsl", "cak", "cjib", "duo", "rvo", "svb", "uwv"];

impl TypeCode {
    /// Checks `org` = 1–5 of `[a-z]`, then `_`, then 1–50 of `[a-z0-9_]`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let problem = || {
            format!(
                "a type code has the form <org>_<description> (org: 1-5 lowercase letters, \
                 description: 1-50 of a-z, 0-9, _), got {:?}",
                truncate(raw)
            )
        };
        let (org, description) = raw.split_once('_').ok_or_else(problem)?;
        let org_ok = (1..=5).contains(&org.len()) && org.bytes().all(|b| b.is_ascii_lowercase());
        let description_ok = (1..=50).contains(&description.len())
            && description
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if org_ok && description_ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(problem())
        }
    }

    /// The organisation prefix, such as `cjib`.
    pub fn org(&self) -> &str {
        self.0.split_once('_').map_or("", |(org, _)| org)
    }
}

validated_string!(TypeCode);

/// How an organisation is named in our own documents: its OIN, or a short id such as `cjib`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrganisationId(String);

impl OrganisationId {
    /// Accepts a 20-digit OIN, or 1–32 of `[a-z0-9_-]` starting with a letter.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let short_ok = (1..=32).contains(&raw.len())
            && raw.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if short_ok || Oin::parse(raw).is_ok() {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "an organisation id is a 20-digit OIN or a short id of a-z, 0-9, '_' and '-' \
                 (at most 32, starting with a letter), got {:?}",
                truncate(raw)
            ))
        }
    }
}

validated_string!(OrganisationId);

/// Keeps error messages short when the offending input is huge.
pub(crate) fn truncate(raw: &str) -> String {
    const MAX: usize = 40;
    match raw.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &raw[..cut]),
        None => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bsn_eleven_proof() {
        assert!(Bsn::parse("999993653").is_ok());
        assert!(Bsn::parse("111222333").is_ok());
        assert!(Bsn::parse("999993654").is_err());
        assert!(Bsn::parse("000000000").is_err());
        assert!(Bsn::parse("99999365").is_err());
        assert!(Bsn::parse("99999365a").is_err());
        assert!(Bsn::parse("９99993653").is_err());
        assert_eq!(format!("{:?}", Bsn::parse("999993653").unwrap()), "Bsn(***)");
    }

    #[test]
    fn oin_is_twenty_digits() {
        assert!(Oin::parse("00000009999999999001").is_ok());
        assert!(Oin::parse("0000000999999999900").is_err());
        assert!(Oin::parse("0000000999999999900x").is_err());
    }

    #[test]
    fn type_codes() {
        assert_eq!(TypeCode::parse("cjib_wahv").unwrap().org(), "cjib");
        assert!(TypeCode::parse("nvwa_boete_2").is_ok());
        for bad in [
            "cjib",
            "CJIB_wahv",
            "toolong_x",
            "cjib_",
            "_x",
            "cjib_Wahv",
            "cjib_wa-hv",
        ] {
            assert!(TypeCode::parse(bad).is_err(), "{bad}");
        }
        assert!(TypeCode::parse(&format!("duo_{}", "a".repeat(50))).is_ok());
        assert!(TypeCode::parse(&format!("duo_{}", "a".repeat(51))).is_err());
    }

    #[test]
    fn organisation_ids() {
        assert!(OrganisationId::parse("cjib").is_ok());
        assert!(OrganisationId::parse("00000009999999999001").is_ok());
        assert!(OrganisationId::parse("CJIB").is_err());
        assert!(OrganisationId::parse("").is_err());
        assert!(OrganisationId::parse("1cjib").is_err());
    }
}
