//! The reference `source` server for organisations.
//!
//! It will hold the OAuth 2.0 authorization server (code + PKCE S256, loopback redirects,
//! single-use codes, audience-bound short-lived tokens), the claims API that signs each claim
//! document and encrypts it to the citizen's age recipient, and the arrangement intake.
//! Today the binary offers `source check-descriptor`.
