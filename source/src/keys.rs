//! The organisation's Ed25519 signing key, stored as a private OKP JWK (RFC 8037).

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::SigningKey;
use schemas::jws::Signer;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrivateJwk {
    kty: String,
    crv: String,
    kid: String,
    x: String,
    d: String,
}

/// Creates a new key file at `out` (refusing to overwrite) and returns its public JWK.
pub fn keygen(out: &Path, kid: &str) -> anyhow::Result<schemas::jws::Jwk> {
    if out.exists() {
        anyhow::bail!("{} already exists; refusing to overwrite a signing key", out.display());
    }
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let jwk = PrivateJwk {
        kty: "OKP".into(),
        crv: "Ed25519".into(),
        kid: kid.into(),
        x: B64.encode(key.verifying_key().as_bytes()),
        d: B64.encode(key.to_bytes()),
    };
    let text = serde_json::to_string_pretty(&jwk)?;
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(out)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", out.display()))?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    Ok(Signer::new(kid, key).public_jwk(None))
}

/// Reads a key file written by [`keygen`].
pub fn load(path: &Path) -> anyhow::Result<Signer> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read the signing key {}: {e}", path.display()))?;
    let jwk: PrivateJwk = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a signing key written by `source keygen`: {e}",
            path.display()
        )
    })?;
    let seed: [u8; 32] = B64
        .decode(&jwk.d)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow::anyhow!("{}: d is not 32 bytes of base64url", path.display()))?;
    let key = SigningKey::from_bytes(&seed);
    if B64.encode(key.verifying_key().as_bytes()) != jwk.x {
        anyhow::bail!("{}: the public key x does not match the private key d", path.display());
    }
    Ok(Signer::new(jwk.kid, key))
}
