//! `pod audit`: what a pod holds and whom it has told what, for a researcher or a worried citizen.
//!
//! Two views, kept apart on purpose:
//! - [`AtRest`] is what anyone holding the pod's files learns: file names, sizes and times, and the
//!   number and padded sizes of the sealed values. It is built without any key, so it shows the
//!   disk thief's view, not a summary of it.
//! - [`Disclosures`] needs the unlocked pod: every contact from the transparency log, what each
//!   organisation received in submissions, and the keys the pod trusts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::store::{PodDir, PodError, UnlockedPod};

/// What anyone with the pod's files learns, without any key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AtRest {
    /// The pod folder.
    pub dir: PathBuf,
    /// Every file under it, by path relative to the folder.
    pub files: Vec<FileFacts>,
    /// The sealed values in each key space of the store.
    pub spaces: Vec<SpaceFacts>,
    /// The public age recipient in `pod.toml` (public by design: organisations encrypt to it).
    pub recipient: Option<String>,
}

/// One file of the pod folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileFacts {
    /// Its path relative to the pod folder, with `/` separators.
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// When it last changed.
    pub modified: Option<DateTime<Utc>>,
}

/// One key space of the store, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpaceFacts {
    /// The space's name (`meta`, `records`, `index`).
    pub space: String,
    /// How many values it holds.
    pub values: usize,
    /// How many values have each stored size (bytes, including nonce and tag).
    pub sizes: BTreeMap<usize, usize>,
}

impl AtRest {
    /// The size profile: every space's value count, and the sizes of records and index entries.
    /// None of it may depend on what the records say. The `meta` space holds one age-wrapped data
    /// key whose size age varies at random (it adds "grease" stanzas), so only its count is kept.
    pub fn size_profile(&self) -> Vec<SpaceFacts> {
        self.spaces
            .iter()
            .map(|space| SpaceFacts {
                sizes: if space.space == "meta" { BTreeMap::new() } else { space.sizes.clone() },
                ..space.clone()
            })
            .collect()
    }
}

/// Reads the at-rest view of the pod in `dir`. Nothing is decrypted.
pub fn at_rest(dir: &PodDir) -> Result<AtRest, PodError> {
    if !dir.exists() {
        return Err(PodError::NotAPod(dir.root().display().to_string()));
    }
    let spaces = dir
        .sealed_sizes()?
        .into_iter()
        .map(|(space, sizes)| {
            let mut histogram = BTreeMap::new();
            for size in &sizes {
                *histogram.entry(*size).or_insert(0) += 1;
            }
            SpaceFacts {
                space: space.name().to_owned(),
                values: sizes.len(),
                sizes: histogram,
            }
        })
        .collect();
    let mut files = Vec::new();
    walk(dir.root(), dir.root(), &mut files).map_err(|e| {
        PodError::Damaged(format!("cannot list the pod folder {}: {e}", dir.root().display()))
    })?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let recipient = dir.config().ok().map(|config| config.recipient);
    Ok(AtRest {
        dir: dir.root().to_path_buf(),
        files,
        spaces,
        recipient,
    })
}

fn walk(root: &Path, folder: &Path, files: &mut Vec<FileFacts>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let metadata = entry.metadata()?;
        if metadata.is_dir() {
            walk(root, &entry.path(), files)?;
        } else {
            let relative = entry.path().strip_prefix(root).unwrap_or(&entry.path()).to_path_buf();
            files.push(FileFacts {
                path: relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/"),
                bytes: metadata.len(),
                modified: metadata.modified().ok().map(DateTime::<Utc>::from),
            });
        }
    }
    Ok(())
}

/// What the pod has told whom, from the unlocked pod's own records.
#[derive(Clone, Debug, Serialize)]
pub struct Disclosures {
    /// Every organisation the transparency log names, in id order.
    pub contacts: Vec<Contact>,
    /// Every part that reached an organisation (it holds a signed receipt for it).
    pub submissions: Vec<Submitted>,
    /// The organisations and keys the pod trusts.
    pub pinned: Vec<Pinned>,
    /// The scheme manager's version last imported, if any.
    pub manager_version: Option<u64>,
}

/// One organisation's contacts, from the transparency log.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Contact {
    /// The organisation's id.
    pub org: String,
    /// Its name.
    pub name: String,
    /// Log entries per action (`fetch`, `submit`, `status`).
    pub actions: BTreeMap<String, usize>,
    /// How many of them failed.
    pub failed: usize,
    /// The first contact.
    pub first: Option<DateTime<Utc>>,
    /// The latest contact.
    pub last: Option<DateTime<Utc>>,
}

/// One part as the organisation received it.
#[derive(Clone, Debug, Serialize)]
pub struct Submitted {
    /// The organisation.
    pub org: String,
    /// The receipt the organisation signed.
    pub receipt_id: String,
    /// The references of the organisation's own claims in the part.
    pub claim_references: Vec<String>,
    /// The monthly amount asked of this organisation, in cents.
    pub monthly_cents: i64,
    /// The plan's monthly total across all organisations, in cents (the part carries it so the
    /// organisation can see its share is fair).
    pub plan_monthly_total_cents: i64,
    /// How many organisations the plan covers.
    pub organisations_in_plan: u32,
    /// Whether the citizen chose to share the full plan and income with this organisation.
    pub full_disclosure: bool,
}

/// One pinned organisation and its keys.
#[derive(Clone, Debug, Serialize)]
pub struct Pinned {
    /// The organisation's id.
    pub org: String,
    /// Its name.
    pub name: String,
    /// Where the pod talks to it.
    pub base_url: String,
    /// Its keys: id, SHA-256 JWK thumbprint, and whether revoked.
    pub keys: Vec<PinnedKey>,
}

/// One trusted key.
#[derive(Clone, Debug, Serialize)]
pub struct PinnedKey {
    /// The key id.
    pub kid: String,
    /// Its fingerprint (RFC 7638 thumbprint).
    pub fingerprint: String,
    /// Whether the organisation revoked it.
    pub revoked: bool,
}

/// Reads what the unlocked pod has disclosed and whom it trusts.
pub fn disclosures(pod: &UnlockedPod) -> Result<Disclosures, PodError> {
    let mut contacts: BTreeMap<String, Contact> = BTreeMap::new();
    for entry in crate::fetching::log(pod)? {
        let contact = contacts.entry(entry.org.clone()).or_insert_with(|| Contact {
            org: entry.org.clone(),
            name: entry.name.clone(),
            ..Contact::default()
        });
        *contact.actions.entry(entry.action.clone()).or_insert(0) += 1;
        if entry.outcome != "ok" {
            contact.failed += 1;
        }
        contact.first = Some(contact.first.map_or(entry.started_at, |t| t.min(entry.started_at)));
        contact.last = Some(contact.last.map_or(entry.finished_at, |t| t.max(entry.finished_at)));
    }
    let submissions = crate::arrangement::submission::all(pod)?
        .into_iter()
        .map(|s| Submitted {
            org: s.org,
            receipt_id: s.receipt_id,
            claim_references: s.part.claims.iter().map(|c| c.reference.clone()).collect(),
            monthly_cents: s.part.monthly_cents,
            plan_monthly_total_cents: s.part.plan_monthly_total_cents,
            organisations_in_plan: s.part.organisations_in_plan,
            full_disclosure: s.part.full_disclosure.is_some(),
        })
        .collect();
    let scheme = crate::scheme::load(pod)?;
    let pinned = scheme
        .organisations
        .iter()
        .map(|o| Pinned {
            org: o.id.to_string(),
            name: o.name.clone(),
            base_url: o.base_url.to_string(),
            keys: o
                .keys
                .iter()
                .map(|k| PinnedKey {
                    kid: k.kid.clone(),
                    fingerprint: k.fingerprint(),
                    revoked: k.revoked,
                })
                .collect(),
        })
        .collect();
    Ok(Disclosures {
        contacts: contacts.into_values().collect(),
        submissions,
        pinned,
        manager_version: scheme.manager_version,
    })
}
