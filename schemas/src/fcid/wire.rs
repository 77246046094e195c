//! The FCID wire format: every JSON name Betaalpod reads or writes, in one place.
//!
//! The published field tables were only partly available when this was written.
//! Names seen in the standard's own text are marked `verified`; the rest are `likely`
//! reconstructions. When the full table turns up, a correction is a one-line change to a
//! `rename` or an added `alias` here, and nothing else in the workspace names these fields.
//! The evidence for each name is in docs/FCID.md, §4 and §5; the open questions in §9.
//!
//! These structs ignore unknown fields on purpose: a newer minor version may add fields, and a
//! reader must not break on them.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::ids::{Bsn, Oin, TypeCode};

/// The value of the envelope's `type` field.
pub const DOCUMENT_TYPE: &str = "FINANCIAL_CLAIMS_INFORMATION_DOCUMENT";

/// Event type names, as they appear in `gebeurtenis_type`.
pub mod event_type {
    /// An obligation was imposed (verified).
    pub const OBLIGATION_IMPOSED: &str = "FinancieleVerplichtingOpgelegd";
    /// A demand to pay by a date (verified).
    pub const PAYMENT_DEMANDED: &str = "BetalingsverplichtingOpgelegd";
    /// A demand was withdrawn (from secondary sources).
    pub const PAYMENT_DEMAND_WITHDRAWN: &str = "BetalingsverplichtingIngetrokken";
    /// A payment was processed (from secondary sources).
    pub const PAYMENT_PROCESSED: &str = "BetalingVerwerkt";
    /// (Partial) remission, v4.1 only (verified).
    pub const OBLIGATION_REMITTED: &str = "FinancieleVerplichtingKwijtgescholden";
}

/// The skeleton every document must have: objects (never positional arrays) for the envelope,
/// body, matters, events and contact options.
pub(crate) mod skeleton {
    use super::super::shape::Shape;

    const OBJECT: Shape = Shape::Object(&[]);
    const MATTER: Shape = Shape::Object(&[
        ("gebeurtenissen", Shape::ArrayOf(&OBJECT)),
        ("contactopties", Shape::ArrayOf(&OBJECT)),
    ]);
    const BODY: Shape = Shape::Object(&[("financiele_zaken", Shape::ArrayOf(&MATTER))]);
    /// The whole document.
    pub(crate) const DOCUMENT: Shape = Shape::Object(&[("body", BODY)]);
}

/// The outer envelope. `body` is kept raw so that the version can be read first.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<'a> {
    #[serde(rename = "type")] // likely
    pub document_type: String,
    #[serde(rename = "version")] // likely
    pub version: String,
    #[serde(rename = "body", borrow)] // likely
    pub body: &'a RawValue,
}

/// A whole document, owned, for code that writes or amends documents (the reference server,
/// demo data). Readers use [`crate::fcid::parse`] instead.
#[derive(Debug, Serialize, Deserialize)]
pub struct OwnedEnvelope {
    /// Always [`DOCUMENT_TYPE`].
    #[serde(rename = "type")]
    pub document_type: String,
    /// `3.0.0` or `4.1.0`.
    #[serde(rename = "version")]
    pub version: String,
    /// The body.
    #[serde(rename = "body")]
    pub body: Body,
}

impl OwnedEnvelope {
    /// An empty v3.0.0 document: what an organisation sends a citizen it has no claims for.
    pub fn empty(supplied_by: Oin, bsn: Bsn, created_at: DateTime<FixedOffset>) -> Self {
        Self {
            document_type: DOCUMENT_TYPE.to_owned(),
            version: "3.0.0".to_owned(),
            body: Body {
                supplied_by,
                created_at,
                bsn,
                matters: Vec::new(),
            },
        }
    }
}

/// Builds one event's JSON from its common fields and its type's own fields.
pub fn event_json<T: Serialize>(header: &EventHeader, detail: &T) -> serde_json::Result<Box<RawValue>> {
    let mut object = match serde_json::to_value(header)? {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("a struct serialises to an object"),
    };
    if let serde_json::Value::Object(fields) = serde_json::to_value(detail)? {
        object.extend(fields);
    }
    serde_json::value::to_raw_value(&object)
}

/// The document body, shared by v3.0.0 and v4.1.0.
#[derive(Debug, Serialize, Deserialize)]
pub struct Body {
    /// OIN of the organisation that supplied the document.
    #[serde(rename = "aangeleverd_door")] // likely
    pub supplied_by: Oin,
    /// When the organisation produced the document.
    #[serde(rename = "document_datumtijd", with = "rfc3339")] // likely
    pub created_at: DateTime<FixedOffset>,
    /// The citizen the document is about.
    #[serde(rename = "bsn")] // likely: the BSN is the glossary's, this field name is not seen
    pub bsn: Bsn,
    /// The matters (financiële zaken).
    #[serde(rename = "financiele_zaken")] // verified
    pub matters: Vec<Matter>,
}

/// One matter (financiële zaak) as written on the wire.
///
/// It holds the totals fields of both versions; the reader uses the pair that belongs to the
/// document's version and ignores the other, as it ignores any unknown field.
#[derive(Debug, Serialize, Deserialize)]
pub struct Matter {
    /// Groups the matter's events (verified).
    #[serde(rename = "zaakkenmerk")]
    pub case_ref: String,
    /// Human description of the matter.
    #[serde(rename = "omschrijving")]
    pub description: String,
    /// v3.0.0: the organisation's total imposed (verified).
    #[serde(rename = "totaal_opgelegd", default, skip_serializing_if = "Option::is_none")]
    pub total_imposed_v3: Option<i64>,
    /// v3.0.0: the organisation's total already paid (likely).
    #[serde(rename = "totaal_reeds_betaald", default, skip_serializing_if = "Option::is_none")]
    pub total_paid_v3: Option<i64>,
    /// v4.1.0: the organisation's total obligated (verified).
    #[serde(
        rename = "totaal_financieel_verplicht",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub total_obligated_v41: Option<i64>,
    /// v4.1.0: the organisation's total settled (verified).
    #[serde(
        rename = "totaal_financieel_vereffend",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub total_settled_v41: Option<i64>,
    /// The organisation's own balance (likely).
    #[serde(rename = "saldo", default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<i64>,
    /// When the balance was computed (verified).
    #[serde(
        rename = "saldo_datumtijd",
        default,
        with = "rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub balance_at: Option<DateTime<FixedOffset>>,
    /// The events, kept raw so each can be read according to its own type (likely).
    #[serde(rename = "gebeurtenissen", default)]
    pub events: Vec<Box<RawValue>>,
    /// Kenmerken of the payment demands the organisation considers overdue (likely). When it is
    /// missing, there is nothing to check against, as with missing totals.
    #[serde(rename = "achterstanden", default, skip_serializing_if = "Option::is_none")]
    pub arrears: Option<Vec<String>>,
    /// How to reach the organisation about this matter (verified).
    #[serde(rename = "contactopties", default)]
    pub contact_options: Vec<ContactOption>,
}

/// A way to contact the organisation about a matter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactOption {
    /// The channel: `telefoon`, `email`, `website`, … (likely).
    #[serde(rename = "contactvorm")]
    pub channel: String,
    /// A `tel:`, `mailto:` or `https:` address (likely).
    #[serde(rename = "url")]
    pub url: String,
    /// Optional from v4.1 (verified: the 4.1.0 changelog names it).
    #[serde(rename = "omschrijving", default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Lower is preferred (likely).
    #[serde(rename = "prioriteit", default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
}

/// The fields every event carries.
#[derive(Debug, Serialize, Deserialize)]
pub struct EventHeader {
    /// The discriminator (likely).
    #[serde(rename = "gebeurtenis_type")]
    pub event_type: String,
    /// The event's unique, stable id (likely).
    #[serde(rename = "gebeurtenis_kenmerk")]
    pub kenmerk: String,
    /// When the event happened (likely).
    #[serde(rename = "datumtijd_gebeurtenis", with = "rfc3339")]
    pub occurred_at: DateTime<FixedOffset>,
    /// The matter the event belongs to (verified).
    #[serde(rename = "zaakkenmerk")]
    pub case_ref: String,
}

/// `FinancieleVerplichtingOpgelegd`: an obligation was imposed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObligationImposed {
    /// When it was imposed (likely).
    #[serde(rename = "datumtijd_opgelegd", with = "rfc3339")]
    pub imposed_at: DateTime<FixedOffset>,
    /// The decision number (likely).
    #[serde(rename = "beschikkingsnummer", default, skip_serializing_if = "Option::is_none")]
    pub decision_number: Option<String>,
    /// The citizen (likely).
    #[serde(rename = "bsn", default, skip_serializing_if = "Option::is_none")]
    pub bsn: Option<Bsn>,
    /// Whether this is the main obligation rather than costs or interest (likely).
    #[serde(rename = "primaire_verplichting", default)]
    pub primary: bool,
    /// The type code, such as `cjib_wahv` (likely).
    #[serde(rename = "type")]
    pub type_code: TypeCode,
    /// Algemeen, Administratiekosten, Verhoging, Rente, … (likely).
    #[serde(rename = "categorie", default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Amount in euro cents (verified name).
    #[serde(rename = "bedrag")]
    pub amount_cents: i64,
    /// Description (likely).
    #[serde(rename = "omschrijving", default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Legal basis, in words (likely).
    #[serde(
        rename = "juridische_grondslag_omschrijving",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub legal_basis: Option<String>,
    /// Legal basis, as a source reference (likely).
    #[serde(
        rename = "juridische_grondslag_bron",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub legal_basis_source: Option<String>,
    /// OIN of the organisation that imposed it (likely).
    #[serde(rename = "opgelegd_door", default, skip_serializing_if = "Option::is_none")]
    pub imposed_by: Option<Oin>,
    /// OIN of the organisation that collects it (likely).
    #[serde(rename = "uitgevoerd_door", default, skip_serializing_if = "Option::is_none")]
    pub executed_by: Option<Oin>,
}

/// The kind of a v4.1 payment demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DemandKind {
    /// The first demand.
    Aanschrijving,
    /// A reminder.
    Herinnering,
    /// A formal notice.
    Aanmaning,
}

/// `BetalingsverplichtingOpgelegd`: a demand to pay (part of) the matter by a date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentDemand {
    /// When it was demanded (likely).
    #[serde(
        rename = "datumtijd_opgelegd",
        default,
        with = "rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub imposed_at: Option<DateTime<FixedOffset>>,
    /// Amount in euro cents.
    #[serde(rename = "bedrag")]
    pub amount_cents: i64,
    /// How to pay, such as `Overboeking` (likely).
    #[serde(rename = "betaalwijze", default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    /// OIN of the payee (likely).
    #[serde(rename = "te_betalen_aan", default, skip_serializing_if = "Option::is_none")]
    pub payee: Option<Oin>,
    /// IBAN (likely).
    #[serde(rename = "rekeningnummer", default, skip_serializing_if = "Option::is_none")]
    pub iban: Option<String>,
    /// Account holder name (likely).
    #[serde(
        rename = "rekeningnummer_tenaamstelling",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub account_holder: Option<String>,
    /// The payment reference (verified as a functional identifier).
    #[serde(rename = "betalingskenmerk", default, skip_serializing_if = "Option::is_none")]
    pub payment_reference: Option<String>,
    /// Due date (likely).
    #[serde(rename = "vervaldatum", with = "date")]
    pub due_date: NaiveDate,
    /// v4.1: required kind of demand (verified: the 4.1.0 changelog names it).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<DemandKind>,
    /// v4.1: optional description (verified: the 4.1.0 changelog names it).
    #[serde(rename = "omschrijving", default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `BetalingsverplichtingIngetrokken`: a demand was withdrawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentDemandWithdrawn {
    /// Kenmerk of the withdrawn demand (likely).
    #[serde(rename = "ingetrokken_gebeurtenis_kenmerk")]
    pub withdrawn_kenmerk: String,
}

/// `BetalingVerwerkt`: a payment was processed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentProcessed {
    /// When it was processed (likely).
    #[serde(
        rename = "datumtijd_verwerkt",
        default,
        with = "rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub processed_at: Option<DateTime<FixedOffset>>,
    /// The payment reference used (likely).
    #[serde(rename = "betalingskenmerk", default, skip_serializing_if = "Option::is_none")]
    pub payment_reference: Option<String>,
    /// Amount in euro cents.
    #[serde(rename = "bedrag")]
    pub amount_cents: i64,
}

/// `FinancieleVerplichtingKwijtgescholden`: (partial) remission, v4.1 only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObligationRemitted {
    /// Kenmerk of the remitted obligation (likely).
    #[serde(rename = "kwijtgescholden_gebeurtenis_kenmerk")]
    pub remitted_kenmerk: String,
    /// Amount remitted in euro cents.
    #[serde(rename = "bedrag")]
    pub amount_cents: i64,
}

/// Dates written exactly as `YYYY-MM-DD` (chrono's own parser also takes `2024-2-1`).
pub mod date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Parses `YYYY-MM-DD` strictly.
    pub fn parse(raw: &str) -> Result<NaiveDate, String> {
        let shape_ok = raw.len() == 10
            && raw.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !shape_ok {
            return Err(format!(
                "expected a date written as YYYY-MM-DD, got {:?}",
                crate::ids::truncate(raw)
            ));
        }
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| format!("{raw} is not a date in the calendar"))
    }

    /// Serde deserialiser.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse(&raw).map_err(serde::de::Error::custom)
    }

    /// Serde serialiser.
    pub fn serialize<S: Serializer>(value: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&value.format("%Y-%m-%d"))
    }
}

/// RFC 3339 date-times that must carry a zone offset; a bare local time is refused.
pub mod rfc3339 {
    use chrono::{DateTime, FixedOffset, SecondsFormat};
    use serde::{Deserialize, Deserializer, Serializer};

    const EXPECTED: &str = "expected an RFC 3339 date-time with a zone offset, \
                            such as 2024-01-10T08:00:00+01:00";

    /// Parses one RFC 3339 date-time with an offset.
    pub fn parse(raw: &str) -> Result<DateTime<FixedOffset>, String> {
        DateTime::parse_from_rfc3339(raw).map_err(|_| format!("{EXPECTED}, got {:?}", crate::ids::truncate(raw)))
    }

    /// Serde deserialiser for a required date-time.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse(&raw).map_err(serde::de::Error::custom)
    }

    /// Serde serialiser that keeps the original offset.
    pub fn serialize<S: Serializer>(value: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_rfc3339_opts(SecondsFormat::AutoSi, false))
    }

    /// The same, for optional fields.
    pub mod option {
        use super::*;

        /// Serde deserialiser for an optional date-time.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
            match Option::<std::borrow::Cow<'de, str>>::deserialize(d)? {
                Some(raw) => parse(&raw).map(Some).map_err(serde::de::Error::custom),
                None => Ok(None),
            }
        }

        /// Serde serialiser for an optional date-time.
        pub fn serialize<S: Serializer>(value: &Option<DateTime<FixedOffset>>, s: S) -> Result<S::Ok, S::Error> {
            match value {
                Some(v) => super::serialize(v, s),
                None => s.serialize_none(),
            }
        }
    }
}
