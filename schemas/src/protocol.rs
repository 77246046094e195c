//! The fetch protocol's vocabulary, defined once for both sides: the organisation's server
//! (`source`, or another implementation) and the pod (native and in the browser). docs/PROTOCOL.md
//! describes the exchanges; these are their bodies and the `typ` of each signed answer.

use serde::{Deserialize, Serialize};

/// The JWS `typ` of a claims answer.
pub const CLAIMS_TYP: &str = "betaalpod-claims+jwt";
/// The JWS `typ` of an arrangement receipt.
pub const RECEIPT_TYP: &str = "betaalpod-receipt+jwt";
/// The JWS `typ` of an arrangement status.
pub const STATUS_TYP: &str = "betaalpod-status+jwt";

/// The body of `POST /claims`: who to encrypt the answer to, and a nonce to bind it to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimsRequest {
    /// The citizen's age recipient (`age1…`).
    pub recipient: String,
    /// A fresh base64url nonce of 16 to 64 bytes, echoed in the signed answer.
    pub nonce: String,
}

/// The signed payload of a claims answer (JWS `typ` [`CLAIMS_TYP`]), which the organisation then
/// encrypts to [`ClaimsPayload::recipient`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimsPayload {
    /// The organisation's id.
    pub iss: String,
    /// base64url SHA-256 of `"<organisation id>:<bsn>"`.
    pub sub_hash: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// The request's nonce.
    pub nonce: String,
    /// The recipient the answer is encrypted to.
    pub recipient: String,
    /// The FCID document.
    pub document: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_strict_and_round_trip() {
        let request = ClaimsRequest {
            recipient: "age1x".to_owned(),
            nonce: "n".to_owned(),
        };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(json, r#"{"recipient":"age1x","nonce":"n"}"#);
        assert_eq!(serde_json::from_str::<ClaimsRequest>(&json).unwrap(), request);
        assert!(serde_json::from_str::<ClaimsRequest>(r#"{"recipient":"a","nonce":"n","extra":1}"#).is_err());
        let payload = r#"{"iss":"o","sub_hash":"h","iat":1,"exp":2,"nonce":"n","recipient":"r","document":{}}"#;
        let parsed: ClaimsPayload = serde_json::from_str(payload).unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), payload, "members in protocol order");
        assert!(serde_json::from_str::<ClaimsPayload>(&payload.replace(r#""sub_hash":"h","#, "")).is_err());
    }
}
