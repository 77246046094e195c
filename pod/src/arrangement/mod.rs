//! Betalingsregeling Rijk in the pod: the engine itself lives in [`pod_core::arrangement`]
//! (re-exported here); this module stores plans and submits their parts.

pub use pod_core::arrangement::*;

pub mod stored;
pub mod submission;
