//! The encrypted pod store.
//!
//! - [`keys`]: the citizen's age identity at rest (passphrase and recovery-code files).
//! - [`seal`]: record values sealed under the pod's data key.
//! - [`backend`]: the narrow [`Store`] trait and its sled implementation.
//! - [`postgres`]: the PostgreSQL implementation, many pods in one database (providers).
//! - [`pod`]: the pod folder ([`PodDir`]) and the unlocked session ([`UnlockedPod`]).
//!
//! Layering, from the disk up: the backend sees opaque random keys and ciphertext only; the data
//! key is stored as an age ciphertext to the citizen's recipient; the identity is stored only
//! wrapped by the passphrase (and, separately, by the recovery code).

pub mod backend;
pub mod backup;
pub mod keys;
mod lock;
pub mod pod;
pub mod postgres;
pub mod records;
mod rotate;
pub mod seal;
pub mod throttle;

pub use backend::{SledStore, Space, Store};
pub use keys::KdfCost;
pub use lock::LockError;
pub use pod::{Notice, PodDir, PodError, UnlockedPod};
pub use records::{IndexEntry, RecordId, RecordKind};
pub use rotate::RotationStep;
