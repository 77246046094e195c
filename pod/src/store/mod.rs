//! The encrypted pod store.
//!
//! - [`keys`]: the citizen's age identity at rest (passphrase and recovery-code files).
//! - [`seal`], [`records`]: record values sealed under the pod's data key, and what a record is
//!   (both from [`pod_core`], so the browser seals and opens exactly as the native pod does).
//! - [`backend`]: the narrow [`Store`] trait and its sled implementation.
//! - [`pod`]: the pod folder ([`PodDir`]), unlocking it, and the unlocked session
//!   ([`UnlockedPod`]); [`PodError`]: why an operation failed, shared by every store module.
//! - [`integrity`]: the manifest and the guard; `rotate`: key rotation.
//! - [`remote`]: a pod at a provider opened from this machine, its storage API as the store.
//!
//! Layering, from the disk up: the backend sees opaque random keys and ciphertext only; the data
//! key is stored as an age ciphertext to the citizen's recipient; the identity is stored only
//! wrapped by the passphrase (and, separately, by the recovery code).

pub use pod_core::{records, seal};

pub mod backend;
pub mod backup;
mod error;
pub mod integrity;
pub mod keys;
mod lock;
pub mod pod;
pub mod remote;
mod rotate;
pub mod throttle;

pub use backend::{SledStore, Space, Store};
pub use keys::KdfCost;
pub use lock::LockError;
pub use pod::{Batch, Notice, PodDir, PodError, UnlockedPod};
pub use records::{IndexEntry, RecordId, RecordKind};
pub use rotate::RotationStep;
