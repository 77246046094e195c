//! The citizen's scheme: the organisations this pod talks to, with their pinned keys. It is
//! kept encrypted in the pod (which organisations a citizen owes is private) as a `settings`
//! record, newest first; older versions stay in the history.

use chrono::Utc;
use schemas::descriptor::OrganisationDescriptor;
use schemas::jws::Jwk;
use schemas::scheme::Scheme;

use crate::store::{PodError, RecordKind, UnlockedPod};

pub use pod_core::scheme::{LocalScheme, SCHEME_RECORD};

/// The current scheme (empty if none was saved yet).
pub fn load(pod: &UnlockedPod) -> Result<LocalScheme, PodError> {
    let latest = pod
        .index()?
        .into_iter()
        .rfind(|(_, e)| e.kind == RecordKind::Settings && e.source.as_deref() == Some(SCHEME_RECORD));
    match latest {
        None => Ok(LocalScheme::default()),
        Some((id, _)) => {
            let record = pod.get(&id)?;
            serde_json::from_slice(&record.payload)
                .map_err(|e| PodError::Damaged(format!("the stored scheme is damaged: {e}")))
        }
    }
}

/// Saves a new version of the scheme.
pub fn save(pod: &UnlockedPod, scheme: &LocalScheme) -> Result<(), PodError> {
    let json = serde_json::to_vec(scheme).map_err(|e| PodError::Io(e.to_string()))?;
    pod.put(RecordKind::Settings, Some(SCHEME_RECORD), &json)?;
    Ok(())
}

/// Verifies a scheme manager's signed scheme with the manager's key and merges it into
/// `current`. Refuses an older scheme than the one imported last.
pub fn import(current: &LocalScheme, bytes: &[u8], manager_key: &Jwk) -> anyhow::Result<LocalScheme> {
    let scheme = Scheme::from_json_verified(bytes, std::slice::from_ref(manager_key), Utc::now())?;
    if let Some(previous) = current.manager_version
        && scheme.version < previous
    {
        anyhow::bail!(
            "this scheme is version {}, older than the version {previous} you imported before; refusing to go back",
            scheme.version
        );
    }
    let now = Utc::now();
    let mut merged = current.clone();
    merged.manager_version = Some(scheme.version);
    for organisation in scheme.organisations {
        if organisation.active_keys(now).is_empty() {
            tracing::warn!(org = %organisation.id, "every key of this organisation is revoked or expired");
        }
        merged.pin(organisation);
    }
    Ok(merged)
}

/// Reads an organisation's descriptor and JWKS from its `source` server, for `pod scheme add`.
/// The keys served at `jwks_uri` are the ones that will be pinned.
pub async fn discover(base: &url::Url) -> anyhow::Result<OrganisationDescriptor> {
    use bounded_http::{Limit, MAX_KEYS_BYTES, exchange};
    let deadline = std::time::Duration::from_secs(15);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(bounded_http::POOL_IDLE_TIMEOUT)
        .build()?;
    let read = |url: url::Url, what: &'static str| {
        let request = http.get(url.clone());
        async move {
            let answer = exchange(request, Limit { what, bytes: MAX_KEYS_BYTES }, deadline)
                .await
                .map_err(|e| anyhow::anyhow!("cannot read {what} at {url}: {e}"))?;
            anyhow::ensure!(answer.status.is_success(), "{url} answered HTTP {}", answer.status);
            Ok(answer.body)
        }
    };
    let url = base.join(pod_core::scheme::DESCRIPTOR_PATH)?;
    let descriptor_json = read(url.clone(), "its descriptor").await?;
    let jwks_uri = OrganisationDescriptor::from_json(&descriptor_json)
        .map_err(|e| anyhow::anyhow!("{url} is not a valid descriptor at {e}"))?
        .jwks_uri;
    let jwks_json = read(jwks_uri, "its key list (JWKS)").await?;
    pod_core::scheme::descriptor_to_pin(&descriptor_json, &jwks_json).map_err(|e| anyhow::anyhow!("{url}: {e}"))
}
