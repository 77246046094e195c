//! The citizen's half of logging in to a pod provider with OPAQUE (RFC 9807): registration at
//! sign-up or when a secret changes, and login. The passphrase or recovery code never leaves
//! this code; the provider gets blinded values and, at registration, a record it cannot test
//! guesses against without also paying Argon2id per guess. The browser runs this through wasm.

use opaque_ke::rand::rngs::OsRng;
use opaque_ke::{
    ClientLogin, ClientLoginFinishParameters, ClientRegistration, ClientRegistrationFinishParameters,
    CredentialResponse, RegistrationResponse,
};
use provider_api::suite::Suite;
use provider_api::wire::session_token;
use zeroize::Zeroizing;

/// Why a step of OPAQUE failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LoginError {
    /// The provider's message is malformed.
    #[error("the provider's answer is not a valid OPAQUE message")]
    Malformed,
    /// The secret is wrong (or the provider is not the one the pod registered with).
    #[error("wrong passphrase")]
    WrongSecret,
}

/// A registration between its two messages.
pub struct Registration {
    state: ClientRegistration<Suite>,
    /// The `RegistrationRequest` to send.
    pub request: Vec<u8>,
}

impl Registration {
    /// Starts registering `secret`.
    pub fn start(secret: &[u8]) -> Result<Self, LoginError> {
        let started = ClientRegistration::<Suite>::start(&mut OsRng, secret).map_err(|_| LoginError::Malformed)?;
        Ok(Self {
            request: started.message.serialize().to_vec(),
            state: started.state,
        })
    }

    /// Finishes with the provider's `RegistrationResponse`; returns the `RegistrationUpload`.
    pub fn finish(self, secret: &[u8], response: &[u8]) -> Result<Vec<u8>, LoginError> {
        let response = RegistrationResponse::<Suite>::deserialize(response).map_err(|_| LoginError::Malformed)?;
        let finished = self
            .state
            .finish(&mut OsRng, secret, response, ClientRegistrationFinishParameters::default())
            .map_err(|_| LoginError::Malformed)?;
        Ok(finished.message.serialize().to_vec())
    }
}

/// A login between its two messages.
pub struct Login {
    state: ClientLogin<Suite>,
    /// The `CredentialRequest` to send.
    pub request: Vec<u8>,
}

/// A finished login.
pub struct LoggedIn {
    /// The `CredentialFinalization` to send.
    pub finalization: Vec<u8>,
    /// The session's bearer token, derived from the OPAQUE session key; it is never sent before
    /// the provider has proved it holds the same key.
    pub token: Zeroizing<String>,
}

impl Login {
    /// Starts a login with `secret`.
    pub fn start(secret: &[u8]) -> Result<Self, LoginError> {
        let started = ClientLogin::<Suite>::start(&mut OsRng, secret).map_err(|_| LoginError::Malformed)?;
        Ok(Self {
            request: started.message.serialize().to_vec(),
            state: started.state,
        })
    }

    /// Finishes with the provider's `CredentialResponse`. A wrong secret is found here, in the
    /// browser, without another message to the provider.
    pub fn finish(self, secret: &[u8], response: &[u8]) -> Result<LoggedIn, LoginError> {
        let response = CredentialResponse::<Suite>::deserialize(response).map_err(|_| LoginError::Malformed)?;
        let finished = self
            .state
            .finish(secret, response, ClientLoginFinishParameters::default())
            .map_err(|_| LoginError::WrongSecret)?;
        Ok(LoggedIn {
            finalization: finished.message.serialize().to_vec(),
            token: Zeroizing::new(session_token(&finished.session_key)),
        })
    }
}
