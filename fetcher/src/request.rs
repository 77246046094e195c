//! The citizen's request: the only key to [`crate::fetch_all`].

use age::x25519;

/// Proof that the citizen started this fetch: it borrows the unlocked identity (to decrypt the
/// answers) for exactly as long as the fetch runs. Only a session that holds the identity, an
/// unlocked pod, can make one, so nothing can fetch in the background or on a timer.
pub struct CitizenRequest<'a> {
    identity: &'a x25519::Identity,
    recipient: x25519::Recipient,
}

impl<'a> CitizenRequest<'a> {
    /// Made by the unlocked pod when the citizen presses "fetch".
    pub fn from_unlocked_identity(identity: &'a x25519::Identity) -> Self {
        Self {
            identity,
            recipient: identity.to_public(),
        }
    }

    /// The recipient organisations encrypt to.
    pub fn recipient(&self) -> &x25519::Recipient {
        &self.recipient
    }

    pub(crate) fn identity(&self) -> &x25519::Identity {
        self.identity
    }
}
