//! Where claims come from. A real organisation implements [`ClaimsBackend`] over its own
//! systems; [`JsonFileBackend`] is the built-in one for demos and tests.

use subtle::ConstantTimeEq as _;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use schemas::ids::Bsn;
use serde::Deserialize;
use serde_json::Value;

/// The organisation's systems, as `source` needs them.
pub trait ClaimsBackend: Send + Sync {
    /// Whether `pin` is the dev-login PIN of `bsn`. Only used when `dev_login` is on.
    fn check_pin(&self, bsn: &Bsn, pin: &str) -> bool;
    /// The citizen's FCID document, or `None` if the organisation has no claims for them. Shared,
    /// so that a backend that keeps documents in memory hands them out without copying.
    fn document(&self, bsn: &Bsn) -> anyhow::Result<Option<Arc<Value>>>;
    /// Whether every document this backend returns was already validated as an FCID document
    /// about its citizen (for example when it was loaded). Then an answer that adds nothing to it
    /// is not validated again; otherwise every answer is validated before it leaves.
    fn documents_are_validated(&self) -> bool {
        false
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Citizen {
    pin: String,
    document: Value,
}

/// A citizen as kept in memory.
struct Kept {
    pin: String,
    document: Arc<Value>,
}

/// Claims from a JSON file: `{"<bsn>": {"pin": "12345", "document": <FCID>}, …}`.
pub struct JsonFileBackend {
    citizens: HashMap<Bsn, Kept>,
}

impl JsonFileBackend {
    /// Loads and validates the file: every BSN must pass the 11-proof, and every document must
    /// be a valid FCID document about that BSN. A bad file stops the server at start.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let bytes =
            std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read the data file {}: {e}", path.display()))?;
        let raw: HashMap<String, Citizen> = serde_json::from_slice(&bytes)
            .map_err(|e| anyhow::anyhow!("{} is not a valid data file: {e}", path.display()))?;
        let mut citizens = HashMap::with_capacity(raw.len());
        for (bsn, citizen) in raw {
            let bsn = Bsn::parse(&bsn).map_err(|e| anyhow::anyhow!("{}: a BSN key is invalid: {e}", path.display()))?;
            let bytes = serde_json::to_vec(&citizen.document)?;
            let document = schemas::fcid::parse(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: the document of one citizen is invalid at {e}", path.display()))?;
            if document.bsn != bsn {
                anyhow::bail!("{}: a document is filed under another citizen's BSN", path.display());
            }
            citizens.insert(
                bsn,
                Kept {
                    pin: citizen.pin,
                    document: Arc::new(citizen.document),
                },
            );
        }
        Ok(Self { citizens })
    }
}

impl ClaimsBackend for JsonFileBackend {
    fn check_pin(&self, bsn: &Bsn, pin: &str) -> bool {
        self.citizens
            .get(bsn)
            .is_some_and(|c| bool::from(c.pin.as_bytes().ct_eq(pin.as_bytes())))
    }

    fn document(&self, bsn: &Bsn) -> anyhow::Result<Option<Arc<Value>>> {
        Ok(self.citizens.get(bsn).map(|c| c.document.clone()))
    }

    /// [`JsonFileBackend::load`] validates every document, and the file is not read again.
    fn documents_are_validated(&self) -> bool {
        true
    }
}

