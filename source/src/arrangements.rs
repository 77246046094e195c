//! Arrangement intake: submitted parts, one JSON file each, decided by an operator with
//! `source arrangements decide`. Accepted arrangements show up in later claim documents.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use schemas::arrangement::{ArrangementPart, ArrangementState};
use schemas::fcid;
use schemas::fcid::wire::{self, EventHeader, OwnedEnvelope, PaymentDemand, PaymentDemandWithdrawn};
use serde::{Deserialize, Serialize};

/// One submitted part and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredArrangement {
    /// The receipt id (32 hex digits), also the file name.
    pub receipt_id: String,
    /// The hashed subject who submitted it; only they can read its status.
    pub subject_hash: String,
    /// The OAuth client it came through.
    pub client_id: String,
    /// When it arrived.
    pub received_at: DateTime<FixedOffset>,
    /// SHA-256 (hex) of the exact bytes received.
    pub part_sha256: String,
    /// The part as received.
    pub part: ArrangementPart,
    /// Received, accepted or rejected.
    pub state: ArrangementState,
    /// The operator's reason.
    pub reason: Option<String>,
    /// When the state last changed.
    pub updated_at: DateTime<FixedOffset>,
}

/// A folder of arrangements. Every write is atomic (write, sync, rename), so the server and
/// the operator's CLI can work on it at the same time.
#[derive(Clone, Debug)]
pub struct ArrangementStore {
    dir: PathBuf,
}

/// Receipt ids are 32 lowercase hex digits; anything else is never used as a file name.
pub fn is_receipt_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl ArrangementStore {
    /// Opens (creating) the folder.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        Ok(Self { dir: dir.to_path_buf() })
    }

    fn path(&self, id: &str) -> Option<PathBuf> {
        is_receipt_id(id).then(|| self.dir.join(format!("{id}.json")))
    }

    /// Saves (or replaces) one arrangement.
    pub fn save(&self, arrangement: &StoredArrangement) -> anyhow::Result<()> {
        let path = self
            .path(&arrangement.receipt_id)
            .ok_or_else(|| anyhow::anyhow!("invalid receipt id"))?;
        let tmp = path.with_extension("json.tmp");
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&serde_json::to_vec_pretty(arrangement)?)?;
            file.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    /// Loads one arrangement, if it exists.
    pub fn load(&self, id: &str) -> anyhow::Result<Option<StoredArrangement>> {
        let Some(path) = self.path(id) else { return Ok(None) };
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(
                serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("{} is damaged: {e}", path.display()))?,
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Every arrangement, oldest first.
    pub fn list(&self) -> anyhow::Result<Vec<StoredArrangement>> {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if let Some(arrangement) = self.load(id)? {
                all.push(arrangement);
            }
        }
        all.sort_by_key(|a| a.received_at);
        Ok(all)
    }

    /// Records the operator's decision.
    pub fn decide(
        &self,
        id: &str,
        state: ArrangementState,
        reason: Option<String>,
        now: DateTime<FixedOffset>,
    ) -> anyhow::Result<StoredArrangement> {
        let mut arrangement = self
            .load(id)?
            .ok_or_else(|| anyhow::anyhow!("there is no arrangement {id}; see `source arrangements list`"))?;
        if state == ArrangementState::Rejected && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            anyhow::bail!("a rejection needs a --reason the citizen can act on");
        }
        arrangement.state = state;
        arrangement.reason = reason;
        arrangement.updated_at = now;
        self.save(&arrangement)?;
        Ok(arrangement)
    }
}

/// Shows accepted arrangements in a claim document, the way FCID allows: events are immutable,
/// so for every matter in an accepted arrangement the open payment demands are withdrawn
/// (`BetalingsverplichtingIngetrokken`) and one new demand per paying month is imposed
/// (`BetalingsverplichtingOpgelegd`, due on the first of the month), following the terms.
pub fn apply_accepted(
    document: serde_json::Value,
    accepted: &[StoredArrangement],
) -> anyhow::Result<serde_json::Value> {
    if accepted.is_empty() {
        return Ok(document);
    }
    let parsed = fcid::parse(&serde_json::to_vec(&document)?)
        .map_err(|e| anyhow::anyhow!("the stored document is invalid at {e}"))?;
    let mut envelope: OwnedEnvelope = serde_json::from_value(document)?;
    for arrangement in accepted.iter().filter(|a| a.state == ArrangementState::Accepted) {
        let start = NaiveDate::parse_from_str(&format!("{}-01", arrangement.part.start_month), "%Y-%m-%d")
            .map_err(|_| anyhow::anyhow!("arrangement {} has an invalid start month", arrangement.receipt_id))?;
        let pause_months = arrangement.part.pause.as_ref().map_or(0, |p| p.months);
        for claim in &arrangement.part.claims {
            let Some(index) = parsed.matters.iter().position(|m| m.case_ref == claim.reference) else {
                continue;
            };
            let matter = &parsed.matters[index];
            let kind = (parsed.version == fcid::Version::V4_1_0).then_some(wire::DemandKind::Aanschrijving);
            let header = |kenmerk: String, event_type: &str| EventHeader {
                event_type: event_type.to_owned(),
                kenmerk,
                occurred_at: arrangement.updated_at,
                case_ref: claim.reference.clone(),
            };
            let mut new_events = Vec::new();
            let mut earliest_due: Option<NaiveDate> = None;
            for (event, demand) in matter.live_demands() {
                earliest_due = Some(earliest_due.map_or(demand.due_date, |d| d.min(demand.due_date)));
                new_events.push(wire::event_json(
                    &header(
                        format!("{}-withdraw-{}", arrangement.receipt_id, event.kenmerk),
                        wire::event_type::PAYMENT_DEMAND_WITHDRAWN,
                    ),
                    &PaymentDemandWithdrawn {
                        withdrawn_kenmerk: event.kenmerk.clone(),
                    },
                )?);
            }
            // What was already paid stays demanded at its original date, so that the demands
            // still add up to what was imposed and the new terms start from what is left.
            let settled = fcid::derive::matter_view(matter, start, &parsed).settled_cents;
            if let Some(due) = earliest_due.filter(|_| settled > 0) {
                let paid_header = header(
                    format!("{}-paid", arrangement.receipt_id),
                    wire::event_type::PAYMENT_DEMANDED,
                );
                new_events.push(demand_event(
                    &paid_header,
                    arrangement,
                    settled,
                    due,
                    kind,
                    "Reeds betaald deel".to_owned(),
                )?);
            }
            let mut remaining = claim.outstanding_cents;
            for month in pause_months..arrangement.part.term_months {
                let cents = claim.monthly_cents.min(remaining);
                if cents <= 0 {
                    break;
                }
                remaining -= cents;
                let due = add_months(start, month)
                    .ok_or_else(|| anyhow::anyhow!("the arrangement runs past the calendar"))?;
                let description = format!("Betalingsregeling Rijk, termijn {}", month + 1 - pause_months);
                let month_header = header(
                    format!("{}-{}", arrangement.receipt_id, month + 1),
                    wire::event_type::PAYMENT_DEMANDED,
                );
                new_events.push(demand_event(&month_header, arrangement, cents, due, kind, description)?);
            }
            envelope.body.matters[index].events.extend(new_events);
        }
    }
    Ok(serde_json::to_value(&envelope)?)
}

fn demand_event(
    header: &EventHeader,
    arrangement: &StoredArrangement,
    cents: i64,
    due: NaiveDate,
    kind: Option<wire::DemandKind>,
    description: String,
) -> anyhow::Result<Box<serde_json::value::RawValue>> {
    Ok(wire::event_json(
        header,
        &PaymentDemand {
            imposed_at: Some(arrangement.updated_at),
            amount_cents: cents,
            payment_method: Some("Overboeking".to_owned()),
            payee: None,
            iban: None,
            account_holder: None,
            payment_reference: None,
            due_date: due,
            kind,
            description: Some(description),
        },
    )?)
}

fn add_months(date: NaiveDate, months: u32) -> Option<NaiveDate> {
    let total = date.year() * 12 + date.month0() as i32 + months as i32;
    NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
}
