//! The server's half of OPAQUE (RFC 9807, through `opaque-ke`). It sees blinded values and
//! registration records, never a passphrase, a recovery code or anything derived from one that
//! could be tested offline without the OPRF key.

use opaque_ke::rand::rngs::OsRng;
use opaque_ke::{
    CredentialFinalization, CredentialRequest, RegistrationRequest, RegistrationUpload, ServerLogin,
    ServerLoginStartParameters, ServerRegistration, ServerSetup,
};
use provider_api::suite::{Suite, credential_identifier};
use provider_api::wire::Credential;

use crate::vault::PodId;

/// The provider's long-term OPAQUE key material, the same on every server.
pub struct Opaque {
    setup: ServerSetup<Suite>,
}

/// A message that is not a valid OPAQUE message.
#[derive(Debug, thiserror::Error)]
#[error("not a valid OPAQUE {0}")]
pub struct BadMessage(&'static str);

impl Opaque {
    /// A fresh setup, serialized, to offer the vault the first time.
    pub fn fresh_setup() -> Vec<u8> {
        ServerSetup::<Suite>::new(&mut OsRng).serialize().to_vec()
    }

    /// The setup the vault kept.
    pub fn from_stored(bytes: &[u8]) -> Result<Self, BadMessage> {
        ServerSetup::<Suite>::deserialize(bytes)
            .map(|setup| Self { setup })
            .map_err(|_| BadMessage("server setup"))
    }

    /// The server's answer to a registration request for `credential` of `pod_id`.
    pub fn registration_response(
        &self,
        pod_id: PodId,
        credential: Credential,
        request: &[u8],
    ) -> Result<Vec<u8>, BadMessage> {
        let request = RegistrationRequest::<Suite>::deserialize(request).map_err(|_| BadMessage("registration request"))?;
        let identifier = credential_identifier(&pod_id.to_string(), credential);
        let result = ServerRegistration::<Suite>::start(&self.setup, request, &identifier)
            .map_err(|_| BadMessage("registration request"))?;
        Ok(result.message.serialize().to_vec())
    }

    /// The registration record to keep from a client's upload.
    pub fn registration_record(upload: &[u8]) -> Result<Vec<u8>, BadMessage> {
        let upload = RegistrationUpload::<Suite>::deserialize(upload).map_err(|_| BadMessage("registration upload"))?;
        Ok(ServerRegistration::<Suite>::finish(upload).serialize().to_vec())
    }

    /// Starts a login. Without a record (no such pod) the answer is a fake that looks the same,
    /// so a login does not tell whether a pod exists. Returns the state to keep and the answer.
    pub fn login_start(
        &self,
        pod_id: PodId,
        credential: Credential,
        record: Option<&[u8]>,
        request: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>), BadMessage> {
        let record = match record {
            Some(bytes) => {
                Some(ServerRegistration::<Suite>::deserialize(bytes).map_err(|_| BadMessage("registration record"))?)
            }
            None => None,
        };
        let request = CredentialRequest::<Suite>::deserialize(request).map_err(|_| BadMessage("credential request"))?;
        let identifier = credential_identifier(&pod_id.to_string(), credential);
        let result = ServerLogin::start(
            &mut OsRng,
            &self.setup,
            record,
            request,
            &identifier,
            ServerLoginStartParameters::default(),
        )
        .map_err(|_| BadMessage("credential request"))?;
        Ok((result.state.serialize().to_vec(), result.message.serialize().to_vec()))
    }

    /// Finishes a login: the session key, if the client proved it knew the secret.
    pub fn login_finish(state: &[u8], finalization: &[u8]) -> Option<Vec<u8>> {
        let state = ServerLogin::<Suite>::deserialize(state).ok()?;
        let finalization = CredentialFinalization::<Suite>::deserialize(finalization).ok()?;
        state.finish(finalization).ok().map(|done| done.session_key.to_vec())
    }
}
