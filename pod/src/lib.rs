//! The citizen's pod: the encrypted store, and (in later parts) the arrangement engine and the
//! local web server. The `pod` binary's CLI lives in `src/cli/`.

pub mod store;
