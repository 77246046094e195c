//! The encrypted pod store.
//!
//! - [`keys`]: the citizen's age identity at rest (passphrase and recovery-code files).
//! - [`seal`], [`records`]: record values sealed under the pod's data key, and what a record is
//!   (both from [`pod_core`], so the browser seals and opens exactly as the native pod does).
//! - [`backend`]: the narrow [`Store`] trait and its sled implementation.
//! - [`dir`]: the pod folder ([`PodDir`]); `unlock`: opening it with a secret; [`session`]:
//!   the open pod ([`UnlockedPod`]) and its record API; [`PodError`]: why an operation failed,
//!   shared by every store module.
//! - `data_key`: the data key at rest; [`integrity`]: the manifest and the guard; `rotate`: key
//!   rotation, and `settle`: finishing or undoing an interrupted one at unlock.
//! - [`remote`]: a pod at a provider opened from this machine, its storage API as the store.
//!
//! Layering, from the disk up: the backend sees opaque random keys and ciphertext only; the data
//! key is stored as an age ciphertext to the citizen's recipient; the identity is stored only
//! wrapped by the passphrase (and, separately, by the recovery code).

pub use pod_core::{records, seal};

pub mod backend;
pub mod backup;
mod data_key;
pub mod dir;
mod error;
pub mod integrity;
pub mod keys;
mod lock;
pub mod remote;
mod rotate;
pub mod session;
mod settle;
pub mod throttle;
mod unlock;

pub use backend::{SledStore, Space, Store};
pub use keys::KdfCost;
pub use lock::LockError;
pub use dir::{Created, PodConfig, PodDir};
pub use error::PodError;
pub use session::{Batch, Derived, Notice, Record, UnlockedPod};
pub use records::{IndexEntry, RecordId, RecordKind};
pub use rotate::RotationStep;
