//! Organisations whose citizens log in through a real OpenID provider (the npm `oidc-provider`,
//! DigiD's stand-in), for the chain of logins: one login at the provider, every organisation.

use std::path::{Path, PathBuf};

use browser_harness::OidcProvider;
use source::demo_data::DemoOrg;
use source::local::{LocalOrganisation, Start};

/// The kinds of organisation, in the order a chain meets them; copies follow past the sixth.
const KINDS: [DemoOrg; 6] = [DemoOrg::Cjib, DemoOrg::Duo, DemoOrg::Cak, DemoOrg::Bd, DemoOrg::Uwv, DemoOrg::Svb];

/// Organisations in `tmp` that delegate their logins, and the providers they delegate to.
pub struct Delegating {
    /// The organisations, in chain order.
    pub orgs: Vec<LocalOrganisation>,
    /// Each organisation's folder (its `data.json` and `audit.jsonl`).
    pub dirs: Vec<PathBuf>,
    /// The providers.
    pub providers: Vec<OidcProvider>,
}

/// `count` organisations in `tmp`; organisation `i` logs its citizens in at provider
/// `provider_of(i)`, one of `providers` fresh ones, and serves its router through `wrap(i, _)`.
pub async fn delegating_organisations(
    tmp: &Path,
    count: usize,
    providers: usize,
    provider_of: impl Fn(usize) -> usize,
    wrap: impl Fn(usize, axum::Router) -> axum::Router,
) -> Delegating {
    let mut listeners = Vec::new();
    for _ in 0..count {
        listeners.push(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap());
    }
    let started: Vec<OidcProvider> = (0..providers)
        .map(|p| {
            let uris: Vec<String> = listeners
                .iter()
                .enumerate()
                .filter(|(i, _)| provider_of(*i) == p)
                .map(|(_, l)| format!("http://{}/upstream/callback", l.local_addr().unwrap()))
                .collect();
            OidcProvider::start_on(&format!("127.0.0.{}", p + 1), &uris)
        })
        .collect();
    let mut orgs = Vec::new();
    let mut dirs = Vec::new();
    for (i, listener) in listeners.into_iter().enumerate() {
        let kind = KINDS[i % KINDS.len()];
        let dir = tmp.join(format!("org-{i}"));
        let start = Start {
            upstream_issuer: Some(&started[provider_of(i)].issuer),
            listener: Some(listener),
            copy: u16::try_from(i / KINDS.len()).unwrap(),
            ..Start::default()
        };
        orgs.push(
            LocalOrganisation::start_as(kind, 5, super::SEED, &dir, start, |router| wrap(i, router))
                .await
                .unwrap(),
        );
        dirs.push(dir);
    }
    Delegating {
        orgs,
        dirs,
        providers: started,
    }
}

/// The lines of an organisation's audit log in `dir` with this `event` and `outcome`.
pub fn audited(dir: &Path, event: &str, outcome: &str) -> usize {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["event"] == event && line["outcome"] == outcome)
        .count()
}
