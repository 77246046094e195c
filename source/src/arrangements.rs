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

/// A folder of arrangements, one folder per citizen (their hashed subject) with one file per
/// part:
///
/// ```text
/// DIR/<subject hash>/<receipt id>.json
/// DIR/damaged/                          files that could not be read when the store was opened
/// ```
///
/// A claims fetch reads only its own citizen's folder, and a damaged file affects only its own
/// part: it is skipped (and logged) when a citizen's parts are listed. Every write is atomic
/// (write, sync, rename), so the server and the operator's CLI can work on it at the same time.
#[derive(Clone, Debug)]
pub struct ArrangementStore {
    dir: PathBuf,
    /// Held while a citizen's parts are counted and a new one is saved, so the daily quota holds
    /// under concurrent submissions.
    intake: std::sync::Arc<parking_lot::Mutex<()>>,
}

/// Receipt ids are 32 lowercase hex digits; anything else is never used as a file name.
pub fn is_receipt_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A hashed subject (base64url) is used as a folder name; anything else never is.
fn is_subject_folder(subject: &str) -> bool {
    (20..=100).contains(&subject.len()) && subject.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

const DAMAGED: &str = "damaged";

impl ArrangementStore {
    /// Opens (creating) the folder. Parts kept flat in it (before parts were kept per citizen)
    /// are moved into their citizen's folder; one that cannot be read is moved to `damaged/`.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        let store = Self {
            dir: dir.to_path_buf(),
            intake: Default::default(),
        };
        store.move_flat_parts()?;
        Ok(store)
    }

    fn move_flat_parts(&self) -> anyhow::Result<()> {
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            let Some(id) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if !path.is_file() || !is_receipt_id(id) {
                continue;
            }
            match read_part(&path) {
                Ok(part) if is_subject_folder(&part.subject_hash) => {
                    self.save(&part)?;
                    std::fs::remove_file(&path)?;
                }
                Ok(_) | Err(_) => {
                    let damaged = self.dir.join(DAMAGED);
                    std::fs::create_dir_all(&damaged)?;
                    tracing::warn!(file = %path.display(), "an arrangement file cannot be read; moved to damaged/");
                    std::fs::rename(&path, damaged.join(format!("{id}.json")))?;
                }
            }
        }
        Ok(())
    }

    fn path(&self, subject: &str, id: &str) -> Option<PathBuf> {
        (is_subject_folder(subject) && is_receipt_id(id)).then(|| self.dir.join(subject).join(format!("{id}.json")))
    }

    /// Saves (or replaces) one arrangement.
    pub fn save(&self, arrangement: &StoredArrangement) -> anyhow::Result<()> {
        let path = self
            .path(&arrangement.subject_hash, &arrangement.receipt_id)
            .ok_or_else(|| anyhow::anyhow!("invalid receipt id or subject"))?;
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
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

    /// Saves a new part of `arrangement.subject_hash`, unless that citizen already submitted
    /// `per_day` parts on the same (UTC) day. Returns whether it was saved.
    pub fn save_within_quota(&self, arrangement: &StoredArrangement, per_day: u32) -> anyhow::Result<bool> {
        let _intake = self.intake.lock();
        let day = arrangement.received_at.with_timezone(&chrono::Utc).date_naive();
        let today = self
            .list_for(&arrangement.subject_hash)?
            .iter()
            .filter(|a| a.received_at.with_timezone(&chrono::Utc).date_naive() == day)
            .count();
        if today >= per_day as usize {
            return Ok(false);
        }
        self.save(arrangement)?;
        Ok(true)
    }

    /// Loads one arrangement of `subject`, if it exists.
    pub fn load_for(&self, subject: &str, id: &str) -> anyhow::Result<Option<StoredArrangement>> {
        let Some(path) = self.path(subject, id) else { return Ok(None) };
        match read_part(&path) {
            Ok(part) => Ok(Some(part)),
            Err(ReadError::Missing) => Ok(None),
            Err(ReadError::Damaged(why)) => Err(anyhow::anyhow!("{} is damaged: {why}", path.display())),
        }
    }

    /// Finds one arrangement by its receipt id alone, in any citizen's folder (for the operator).
    pub fn find(&self, id: &str) -> anyhow::Result<Option<StoredArrangement>> {
        for subject in self.subjects()? {
            if let Some(found) = self.load_for(&subject, id)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    fn subjects(&self) -> anyhow::Result<Vec<String>> {
        let mut subjects = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            if let Some(name) = entry.file_name().to_str().filter(|n| is_subject_folder(n))
                && entry.file_type()?.is_dir()
            {
                subjects.push(name.to_owned());
            }
        }
        Ok(subjects)
    }

    /// Every readable arrangement of one citizen, oldest first. A damaged file is skipped and
    /// logged: it affects only its own part.
    pub fn list_for(&self, subject: &str) -> anyhow::Result<Vec<StoredArrangement>> {
        if !is_subject_folder(subject) {
            return Ok(Vec::new());
        }
        let folder = self.dir.join(subject);
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut all = Vec::new();
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            match read_part(&path) {
                Ok(part) if part.subject_hash == subject => all.push(part),
                Ok(_) => tracing::warn!(file = %path.display(), "an arrangement file is in another citizen's folder; skipped"),
                Err(ReadError::Missing) => {}
                Err(ReadError::Damaged(why)) => {
                    tracing::warn!(file = %path.display(), %why, "a damaged arrangement file is skipped")
                }
            }
        }
        all.sort_by_key(|a| a.received_at);
        Ok(all)
    }

    /// Every readable arrangement, oldest first (for the operator).
    pub fn list(&self) -> anyhow::Result<Vec<StoredArrangement>> {
        let mut all = Vec::new();
        for subject in self.subjects()? {
            all.extend(self.list_for(&subject)?);
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
            .find(id)?
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

enum ReadError {
    Missing,
    Damaged(String),
}

fn read_part(path: &Path) -> Result<StoredArrangement, ReadError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReadError::Missing),
        Err(e) => return Err(ReadError::Damaged(e.to_string())),
    };
    serde_json::from_slice(&bytes).map_err(|e| ReadError::Damaged(e.to_string()))
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
