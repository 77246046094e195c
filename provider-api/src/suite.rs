//! The OPAQUE cipher suite: ristretto255 for the OPRF and the key exchange (3DH), and Argon2id
//! with the parameters OWASP recommends (19 MiB, 2 passes) as the key stretching function. The
//! stretching runs in the citizen's browser only; it is what an attacker who copies the
//! provider's database pays per guess.

use opaque_ke::CipherSuite;

/// Betaalpod's OPAQUE cipher suite.
pub struct Suite;

impl CipherSuite for Suite {
    type OprfCs = opaque_ke::Ristretto255;
    type KeGroup = opaque_ke::Ristretto255;
    type KeyExchange = opaque_ke::key_exchange::tripledh::TripleDh;
    type Ksf = argon2::Argon2<'static>;
}

/// The OPAQUE credential identifier of one of a pod's two credentials.
pub fn credential_identifier(pod_id: &str, credential: crate::wire::Credential) -> Vec<u8> {
    format!("betaalpod-provider/1:{pod_id}:{}", credential.name()).into_bytes()
}
