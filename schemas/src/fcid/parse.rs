//! Reading untrusted bytes into a validated [`Document`].
//!
//! Which refusals follow the standard's rules and which, like the limits, are Betaalpod's own:
//! docs/FCID.md, §3 and §6.

use std::collections::{HashMap, HashSet};

use super::model::{Document, Event, EventKind, Matter, SourceTotals, Version};
use super::wire::{self, event_type};
use crate::document::{InvalidDocument, read_at};

/// Documents larger than this are refused before parsing (4 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;
/// Documents with more events than this are refused before the events are read.
pub const MAX_EVENTS: usize = 10_000;
/// The largest single amount accepted: €1 trillion. With at most [`MAX_EVENTS`] events every sum
/// fits in an `i64`, so the derived view can never overflow.
pub const MAX_AMOUNT_CENTS: i64 = 100_000_000_000_000;

/// Why a claim document was refused. The same type as every other document error.
pub type FcidError = InvalidDocument;

fn error(path: impl Into<String>, problem: impl Into<String>) -> FcidError {
    InvalidDocument::new(path, problem)
}

/// Parses and validates one claim document.
///
/// Size and event-count limits are checked before the events are read. Every rejection rule in
/// the standard, plus BSN, OIN and type-code checks, gives an [`FcidError`] naming the path.
pub fn parse(bytes: &[u8]) -> Result<Document, FcidError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(error(
            "$",
            format!(
                "the document is {} bytes; the limit is {MAX_DOCUMENT_BYTES} bytes (4 MiB)",
                bytes.len()
            ),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| error("$", format!("the document is not UTF-8 text: {e}")))?;
    check_skeleton(text)?;
    let envelope: wire::Envelope = read_at(text, "$")?;
    if envelope.document_type != wire::DOCUMENT_TYPE {
        return Err(error(
            "$.type",
            format!(
                "expected {:?}, got {:?}",
                wire::DOCUMENT_TYPE,
                crate::ids::truncate(&envelope.document_type)
            ),
        ));
    }
    let version = Version::parse(&envelope.version).ok_or_else(|| {
        error(
            "$.version",
            format!(
                "unsupported FCID version {:?}; Betaalpod reads 3.0.0 and 4.1.0",
                crate::ids::truncate(&envelope.version)
            ),
        )
    })?;
    let body: wire::Body = read_at(envelope.body.get(), "$.body")?;

    let event_count: usize = body.matters.iter().map(|m| m.events.len()).sum();
    if event_count > MAX_EVENTS {
        return Err(error(
            "$.body.financiele_zaken",
            format!("the document has {event_count} events; the limit is {MAX_EVENTS}"),
        ));
    }

    let mut seen_case_refs = HashSet::new();
    let mut seen_kenmerken = HashSet::with_capacity(event_count);
    let mut matters = Vec::with_capacity(body.matters.len());
    for (i, wire_matter) in body.matters.into_iter().enumerate() {
        let matter_path = format!("$.body.financiele_zaken[{i}]");
        if !seen_case_refs.insert(wire_matter.case_ref.clone()) {
            return Err(error(
                format!("{matter_path}.zaakkenmerk"),
                format!("zaakkenmerk {:?} appears in more than one matter", wire_matter.case_ref),
            ));
        }
        let matter = read_matter(version, wire_matter, &matter_path, &body.bsn, &mut seen_kenmerken)?;
        matters.push(matter);
    }

    Ok(Document {
        version,
        supplied_by: body.supplied_by,
        created_at: body.created_at,
        bsn: body.bsn,
        matters,
    })
}

/// Refuses positional arrays where the standard has objects, before any typed parsing.
fn check_skeleton(text: &str) -> Result<(), FcidError> {
    use serde::de::DeserializeSeed;
    let mut track = serde_path_to_error::Track::new();
    let mut de = serde_json::Deserializer::from_str(text);
    wire::skeleton::DOCUMENT
        .deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track))
        .and_then(|()| de.end())
        .map_err(|e| {
            error(
                crate::document::join_path("$", &track.path().to_string()),
                e.to_string(),
            )
        })
}

fn read_matter(
    version: Version,
    wire_matter: wire::Matter,
    matter_path: &str,
    document_bsn: &crate::ids::Bsn,
    seen_kenmerken: &mut HashSet<String>,
) -> Result<Matter, FcidError> {
    let source_totals = match version {
        Version::V3_0_0 => SourceTotals {
            imposed_cents: wire_matter.total_imposed_v3,
            settled_cents: wire_matter.total_paid_v3,
            balance_cents: wire_matter.balance,
            balance_at: wire_matter.balance_at,
        },
        Version::V4_1_0 => SourceTotals {
            imposed_cents: wire_matter.total_obligated_v41,
            settled_cents: wire_matter.total_settled_v41,
            balance_cents: wire_matter.balance,
            balance_at: wire_matter.balance_at,
        },
    };

    let mut events = Vec::with_capacity(wire_matter.events.len());
    for (j, raw) in wire_matter.events.into_iter().enumerate() {
        let path = format!("{matter_path}.gebeurtenissen[{j}]");
        let event = read_event(version, raw, &path)?;
        if event.case_ref != wire_matter.case_ref {
            return Err(error(
                format!("{path}.zaakkenmerk"),
                format!(
                    "the event's zaakkenmerk {:?} differs from its matter's {:?}",
                    crate::ids::truncate(&event.case_ref),
                    crate::ids::truncate(&wire_matter.case_ref)
                ),
            ));
        }
        if !seen_kenmerken.insert(event.kenmerk.clone()) {
            return Err(error(
                format!("{path}.gebeurtenis_kenmerk"),
                format!("duplicate event kenmerk {:?}", crate::ids::truncate(&event.kenmerk)),
            ));
        }
        check_event_values(&event, &path, document_bsn)?;
        events.push(event);
    }
    check_references(&events, matter_path)?;

    Ok(Matter {
        case_ref: wire_matter.case_ref,
        description: wire_matter.description,
        source_totals,
        events,
        arrears: wire_matter.arrears,
        contact_options: wire_matter.contact_options,
    })
}

fn read_event(version: Version, raw: Box<serde_json::value::RawValue>, path: &str) -> Result<Event, FcidError> {
    let header: wire::EventHeader = read_at(raw.get(), path)?;
    let kind = match header.event_type.as_str() {
        event_type::OBLIGATION_IMPOSED => EventKind::ObligationImposed(read_at(raw.get(), path)?),
        event_type::PAYMENT_DEMANDED => {
            let demand: wire::PaymentDemand = read_at(raw.get(), path)?;
            if version == Version::V4_1_0 && demand.kind.is_none() {
                return Err(error(
                    format!("{path}.type"),
                    "a payment demand needs a type (Aanschrijving, Herinnering or Aanmaning) in FCID 4.1.0",
                ));
            }
            EventKind::PaymentDemanded(demand)
        }
        event_type::PAYMENT_DEMAND_WITHDRAWN => EventKind::PaymentDemandWithdrawn(read_at(raw.get(), path)?),
        event_type::PAYMENT_PROCESSED => EventKind::PaymentProcessed(read_at(raw.get(), path)?),
        event_type::OBLIGATION_REMITTED if version == Version::V4_1_0 => {
            EventKind::ObligationRemitted(read_at(raw.get(), path)?)
        }
        // Includes remission in a v3.0.0 document: that version has no such event.
        _ => EventKind::Unknown {
            event_type: header.event_type,
            raw,
        },
    };
    Ok(Event {
        kenmerk: header.kenmerk,
        occurred_at: header.occurred_at,
        case_ref: header.case_ref,
        kind,
    })
}

fn check_event_values(event: &Event, path: &str, document_bsn: &crate::ids::Bsn) -> Result<(), FcidError> {
    let amount = match &event.kind {
        EventKind::ObligationImposed(imposed) => {
            if imposed.bsn.as_ref().is_some_and(|bsn| bsn != document_bsn) {
                return Err(error(
                    format!("{path}.bsn"),
                    "the event is about a different citizen than the document",
                ));
            }
            Some(imposed.amount_cents)
        }
        EventKind::PaymentDemanded(demand) => Some(demand.amount_cents),
        EventKind::PaymentProcessed(payment) => Some(payment.amount_cents),
        EventKind::ObligationRemitted(remission) => Some(remission.amount_cents),
        EventKind::PaymentDemandWithdrawn(_) | EventKind::Unknown { .. } => None,
    };
    match amount {
        Some(cents) if cents < 0 => Err(error(
            format!("{path}.bedrag"),
            format!("amounts on events are positive; got {cents} (a correction is a new event)"),
        )),
        Some(cents) if cents > MAX_AMOUNT_CENTS => Err(error(
            format!("{path}.bedrag"),
            format!("amount {cents} cents is above the limit of {MAX_AMOUNT_CENTS} cents"),
        )),
        _ => Ok(()),
    }
}

/// Withdrawals must name a payment demand, and remissions an imposed obligation, in the same
/// matter: a reference to nothing would silently change the totals.
fn check_references(events: &[Event], matter_path: &str) -> Result<(), FcidError> {
    let kinds: HashMap<&str, &EventKind> = events.iter().map(|e| (e.kenmerk.as_str(), &e.kind)).collect();
    for (j, event) in events.iter().enumerate() {
        let (target, wanted, field) = match &event.kind {
            EventKind::PaymentDemandWithdrawn(w) => (
                &w.withdrawn_kenmerk,
                "a payment demand (BetalingsverplichtingOpgelegd)",
                "ingetrokken_gebeurtenis_kenmerk",
            ),
            EventKind::ObligationRemitted(r) => (
                &r.remitted_kenmerk,
                "an imposed obligation (FinancieleVerplichtingOpgelegd)",
                "kwijtgescholden_gebeurtenis_kenmerk",
            ),
            _ => continue,
        };
        let path = format!("{matter_path}.gebeurtenissen[{j}].{field}");
        let fits = match kinds.get(target.as_str()) {
            None => {
                return Err(error(
                    path,
                    format!(
                        "refers to event {:?}, which does not exist in this matter",
                        crate::ids::truncate(target)
                    ),
                ));
            }
            Some(EventKind::PaymentDemanded(_)) => matches!(event.kind, EventKind::PaymentDemandWithdrawn(_)),
            Some(EventKind::ObligationImposed(_)) => matches!(event.kind, EventKind::ObligationRemitted(_)),
            Some(_) => false,
        };
        if !fits {
            return Err(error(
                path,
                format!(
                    "refers to event {:?}, which is not {wanted}",
                    crate::ids::truncate(target)
                ),
            ));
        }
    }
    Ok(())
}
