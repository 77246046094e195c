//! Errors a citizen can act on: which organisation, what happened, what to do.

use std::fmt;

/// What went wrong with one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The organisation could not be reached.
    Network(String),
    /// It took longer than the timeout.
    Timeout,
    /// The citizen cancelled or the organisation refused the login.
    LoginCancelled(String),
    /// The login answer did not belong to this request (state) or came from another server (iss).
    LoginMixUp(String),
    /// The token request failed.
    Token(String),
    /// The organisation answered with an HTTP error.
    Server(u16, String),
    /// The answer is larger than a claim document may be.
    TooLarge,
    /// Another answer (a key list, a receipt, a status, a token) is larger than it may be.
    Oversized {
        /// What the answer is.
        what: String,
        /// The most bytes it may have.
        limit: usize,
    },
    /// The answer is not encrypted to this pod's key.
    NotForThisPod,
    /// Signed with a key the pod does not trust (unknown, rotated, revoked or expired).
    UntrustedKey(String),
    /// The organisation now serves other keys than the ones pinned in the scheme.
    KeysChanged,
    /// The signature does not match.
    BadSignature,
    /// The signed answer names another organisation as its issuer.
    WrongIssuer(String),
    /// The answer is not bound to this request: wrong nonce, recipient or times.
    Replayed(String),
    /// The FCID document is invalid.
    InvalidDocument {
        /// The JSON path.
        path: String,
        /// What is wrong.
        problem: String,
    },
}

impl Problem {
    /// The problem in a few words, without the organisation's name and advice: why a stored
    /// document failed its check when it was read again ([`crate::answer::verify_stored`]), or
    /// why a read failed.
    pub fn brief(&self) -> String {
        match self {
            Problem::BadSignature => "its signature does not match".to_owned(),
            Problem::UntrustedKey(kid) => format!("it is signed with key {kid:?}, which is not pinned"),
            Problem::WrongIssuer(issuer) => format!("it names {issuer:?} as its issuer"),
            Problem::Replayed(why) => why.clone(),
            Problem::InvalidDocument { path, problem } => format!("it is invalid at {path}: {problem}"),
            Problem::Oversized { what, limit } => format!("{what} is larger than {limit} bytes"),
            Problem::Timeout => "it did not answer in time".to_owned(),
            Problem::Network(detail) => detail.clone(),
            other => format!("{other:?}"),
        }
    }
}

/// One organisation's failure, with its name for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// The organisation's id.
    pub org: String,
    /// Its display name.
    pub name: String,
    /// What happened.
    pub problem: Problem,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = &self.name;
        match &self.problem {
            Problem::Network(detail) => write!(
                f,
                "{name} could not be reached ({detail}). Check your internet connection and try again later."
            ),
            Problem::Timeout => write!(
                f,
                "{name} did not answer in time. Try again later; the other organisations are not affected."
            ),
            Problem::LoginCancelled(detail) => write!(
                f,
                "The login at {name} was cancelled or refused ({detail}). Start the fetch again to log in."
            ),
            Problem::LoginMixUp(detail) => write!(
                f,
                "The login answer for {name} did not match this request ({detail}), so it was ignored. Start the fetch again."
            ),
            Problem::Token(detail) => write!(f, "{name} did not accept the login ({detail}). Start the fetch again."),
            Problem::Server(status, detail) => write!(
                f,
                "{name} answered with an error (HTTP {status}: {detail}). Try again later or contact {name}."
            ),
            Problem::TooLarge => write!(
                f,
                "{name} sent more than 4 MiB, more than any claim document may be; it was refused unread. Contact {name}."
            ),
            Problem::Oversized { what, limit } => write!(
                f,
                "{name} sent more than {} KiB as {what}, far more than it can be; it was refused unread. Contact {name}.",
                limit / 1024
            ),
            Problem::NotForThisPod => write!(
                f,
                "{name} sent a document encrypted to someone else's key; it was refused. Contact {name}."
            ),
            Problem::UntrustedKey(kid) => write!(
                f,
                "{name} signed with key {kid:?}, which your pod does not trust. If {name} changed its key, update your scheme (pod scheme import or pod scheme add)."
            ),
            Problem::KeysChanged => write!(
                f,
                "{name} now publishes other signing keys than the ones your pod trusts, so nothing was fetched. If {name} really changed its key, update your scheme (pod scheme import or pod scheme add)."
            ),
            Problem::BadSignature => write!(
                f,
                "The signature on {name}'s document does not match; it may have been changed on the way. It was refused. Try again later."
            ),
            Problem::WrongIssuer(issuer) => write!(
                f,
                "{name} sent a document signed as coming from {issuer:?}; it was refused. Contact {name}."
            ),
            Problem::Replayed(detail) => write!(
                f,
                "{name} sent an answer that does not belong to this request ({detail}); it was refused. Try again."
            ),
            Problem::InvalidDocument { path, problem } => write!(
                f,
                "{name} sent an invalid claim document (at {path}: {problem}). Contact {name}."
            ),
        }
    }
}

impl std::error::Error for FetchError {}
