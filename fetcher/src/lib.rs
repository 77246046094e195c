//! Citizen-triggered fetch of claim documents.
//!
//! This crate will hold the OAuth2 (authorization code + PKCE S256) client that logs in at each
//! organisation on the citizen's explicit request, pulls the signed claim document encrypted to the
//! citizen's age recipient, and verifies it against the pinned keys in the scheme. It never starts
//! on its own: there is no scheduler and no background task (see docs/ARCHITECTURE.md).
