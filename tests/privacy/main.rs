//! The privacy claims of docs/PRIVACY.md, one test each, named after the claim.
//!
//! Most claims are judged on one observed session (see `scenario.rs`): a real `pod serve`
//! process whose traffic goes through a recording proxy to real organisations that record every
//! request, and whose files and logs are read back afterwards. Break a claim in the code and its
//! test here fails; docs/PRIVACY.md says how that was shown.

mod observer;
mod scenario;
mod sizes;

use observer::{BROWSER_AGENT, VIA};
use scenario::{Observation, SCRIPT, observed};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(haystack, needle).is_some()
}

/// The ways `text` could lie in a file: as UTF-8, as UTF-16, and base64 (standard or URL-safe,
/// as inside a JWS) at each of the three alignments. For base64, only the characters that
/// depend on `text` alone are kept.
fn encodings(text: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    let mut forms = vec![
        text.as_bytes().to_vec(),
        text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
    ];
    for shift in 0..3 {
        let mut shifted = vec![0u8; shift];
        shifted.extend_from_slice(text.as_bytes());
        let start = (shift * 4).div_ceil(3);
        let end = shifted.len() * 4 / 3;
        for engine in [&base64::engine::general_purpose::STANDARD_NO_PAD, &base64::engine::general_purpose::URL_SAFE_NO_PAD] {
            let encoded = engine.encode(&shifted);
            if end > start + 8 {
                forms.push(encoded.as_bytes()[start..end].to_vec());
            }
        }
    }
    forms
}

/// Whether `bytes` holds `text` in any of its [`encodings`].
fn holds(bytes: &[u8], text: &str) -> bool {
    encodings(text).iter().any(|form| contains(bytes, form))
}

fn authority(url: &str) -> String {
    url.trim_start_matches("http://").trim_end_matches('/').to_owned()
}

fn pinned(o: &Observation) -> impl Iterator<Item = &scenario::Observed> {
    o.orgs.iter().filter(|org| org.pinned)
}

/// P-1: nothing is fetched unless the citizen starts it.
#[test]
fn p1_no_fetch_without_trigger() {
    let o = observed();
    assert_eq!(o.requests_while_locked_idle, 0, "the locked pod, left alone, sent requests");
    assert_eq!(o.requests_while_unlocked_idle, 0, "the unlocked pod, left alone, sent requests");
    assert_eq!(o.requests_after_fetch_idle, 0, "the pod went on sending after the citizen's fetch ended");
    // The observers do see traffic when the citizen asks, so the silence above means something.
    for org in pinned(o) {
        assert!(org.seen.iter().any(|r| r.path() == "/claims"), "{} saw no fetch", org.short);
    }
    // And every request anywhere happened while a citizen's action was running.
    let requests = o.orgs.iter().flat_map(|org| &org.seen).chain(&o.proxy);
    for request in requests {
        assert!(
            o.windows.iter().any(|w| w.from <= request.at && request.at <= w.to),
            "{} {} arrived while the citizen had started nothing (citizen actions: {:?})",
            request.method,
            request.target,
            o.windows.iter().map(|w| w.what).collect::<Vec<_>>()
        );
    }
}

/// P-2: data travels only between the organisation and the citizen's pod.
#[test]
fn p2_traffic_goes_only_to_scheme_organisations() {
    let o = observed();
    assert!(o.proxy.len() >= 9, "the pod's traffic did not go through the proxy: {}", o.proxy.len());
    let allowed: Vec<String> = pinned(o).map(|org| authority(&org.url)).collect();
    for request in &o.proxy {
        assert_ne!(request.method, "CONNECT", "the pod tried to tunnel to {}", request.target);
        let uri: axum::http::Uri = request.target.parse().unwrap();
        let to = uri.authority().map(|a| a.to_string()).unwrap_or_default();
        assert!(allowed.contains(&to), "the pod sent {} {} outside its scheme", request.method, request.target);
    }
    let unpinned = o.org("bd");
    assert!(unpinned.seen.is_empty(), "an organisation outside the scheme was contacted");
    for org in pinned(o) {
        let proxied: Vec<(String, String)> = o
            .proxy
            .iter()
            .filter(|r| r.target.contains(&authority(&org.url)))
            .map(|r| (r.method.clone(), r.path()))
            .collect();
        for request in &org.seen {
            let via_proxy = request.header("via") == Some(VIA);
            let browser_login = request.header("user-agent") == Some(BROWSER_AGENT) && request.path() == "/authorize";
            assert!(
                via_proxy || browser_login,
                "{} received {} {} from neither the pod (through the proxy) nor the citizen's browser",
                org.short,
                request.method,
                request.target
            );
            if via_proxy {
                assert!(proxied.contains(&(request.method.clone(), request.path())));
            }
        }
    }
}

/// P-3: at rest, only the citizen's key opens the data.
#[test]
fn p3_at_rest_only_the_citizens_key_opens_the_data() {
    let o = observed();
    let store_files = o
        .files
        .iter()
        .filter(|(path, _)| path.to_string_lossy().contains("store"))
        .count();
    assert!(store_files > 0, "the scan found no store files");
    let records = o.audit["at_rest"]["spaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["space"] == "records")
        .unwrap()["values"]
        .as_u64()
        .unwrap();
    assert!(records >= 10, "the pod stored too little for the scan to mean anything: {records}");
    assert!(o.plaintext.len() >= 8, "too few plaintext markers: {:?}", o.plaintext);
    for (path, bytes) in &o.files {
        for (what, value) in &o.plaintext {
            assert!(!holds(bytes, value), "{} holds the {what} in plaintext", path.display());
        }
    }
    // The at-rest part of the audit is made without the key, and holds no claim content either.
    let at_rest = o.audit["at_rest"].to_string();
    for (what, value) in &o.plaintext {
        assert!(!at_rest.contains(value.as_str()), "the at-rest audit shows the {what}");
    }
}

/// P-4: each organisation learns only its own part of an arrangement.
#[test]
fn p4_each_organisation_learns_only_its_own_part() {
    let o = observed();
    for org in pinned(o) {
        let parts: Vec<_> = org
            .seen
            .iter()
            .filter(|r| r.method == "POST" && r.path() == "/arrangements")
            .collect();
        assert_eq!(parts.len(), 1, "{} received {} parts", org.short, parts.len());
        let part: serde_json::Value = serde_json::from_slice(&parts[0].body).unwrap();
        assert_eq!(part["organisation"], org.id.as_str());
        let references: Vec<&str> = part["claims"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["ref"].as_str().unwrap())
            .collect();
        assert!(!references.is_empty());
        for reference in references {
            assert!(org.case_refs.iter().any(|r| r == reference), "{} received claim {reference} of another", org.short);
        }
        assert!(part.get("full_disclosure").is_none_or(|v| v.is_null()), "{} received the full plan", org.short);
        for other in o.orgs.iter().filter(|other| other.short != org.short) {
            for value in other.case_refs.iter().chain([&other.id, &other.name]) {
                assert!(
                    !contains(&parts[0].body, value.as_bytes()),
                    "{}'s part names {value} of {}",
                    org.short,
                    other.short
                );
            }
        }
    }
}

/// P-5: tokens and keys are never written to disk or logs.
#[test]
fn p5_no_tokens_or_keys_on_disk_or_in_logs() {
    let o = observed();
    let tokens = o.secrets.iter().filter(|(what, _)| what.ends_with("access token")).count();
    let verifiers = o.secrets.iter().filter(|(what, _)| what.ends_with("code_verifier")).count();
    assert!(tokens >= 9 && verifiers >= 9, "too few secrets seen to check: {:?}", o.secrets.len());
    assert!(
        o.secrets.iter().any(|(what, _)| what == "pod session cookie"),
        "no session cookie was captured"
    );
    assert!(o.log.lines().count() > 50, "the pod's trace log is nearly empty, so the scan means little");
    for (path, bytes) in &o.files {
        assert!(!contains(bytes, b"AGE-SECRET-KEY-"), "{} holds an age secret key", path.display());
        for (what, value) in &o.secrets {
            assert!(!holds(bytes, value), "{} holds the {what}", path.display());
        }
    }
}

/// P-6: the transparency log records every fetch, submission and status check.
#[test]
fn p6_transparency_log_records_every_contact() {
    let o = observed();
    let contacts = o.audit["disclosures"]["contacts"].as_array().unwrap();
    for org in &o.orgs {
        let logged = contacts.iter().find(|c| c["org"] == org.id.as_str());
        let count = |method: &str, path: &dyn Fn(&str) -> bool| {
            org.seen
                .iter()
                .filter(|r| r.method == method && path(&r.path()))
                .count() as u64
        };
        let tokens = count("POST", &|p| p == "/token");
        if !org.pinned {
            assert!(logged.is_none() && tokens == 0);
            continue;
        }
        let logged = logged.unwrap_or_else(|| panic!("{} is missing from the log", org.short));
        let actions = &logged["actions"];
        let action = |name: &str| actions[name].as_u64().unwrap_or(0);
        let entries: u64 = actions.as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        // Every login the organisation saw is one logged contact, and the other way round.
        assert_eq!(entries, tokens, "{}: {entries} log entries, {tokens} logins", org.short);
        let failed = logged["failed"].as_u64().unwrap();
        assert_eq!(count("POST", &|p| p == "/claims"), action("fetch") - failed, "{}", org.short);
        assert_eq!(count("POST", &|p| p == "/arrangements"), action("submit"), "{}", org.short);
        assert_eq!(
            count("GET", &|p| p.starts_with("/arrangements/")),
            action("status"),
            "{}",
            org.short
        );
    }
    assert_eq!(o.audit["disclosures"]["submissions"].as_array().unwrap().len(), 3);
}

/// P-7: an organisation's answer is bound to this request (nonce) and this citizen (recipient).
#[test]
fn p7_answer_bound_to_nonce_and_recipient() {
    let o = observed();
    let cjib = o.org("cjib");
    let job = &o.replayed_job["organisations"][0];
    assert_eq!(job["stage"], "failed", "the replayed answer was accepted: {}", o.replayed_job);
    assert!(job["message"].as_str().unwrap().contains("nonce"), "{job}");
    let fetched_at = |overview: &serde_json::Value| {
        overview["organisations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|org| org["id"] == cjib.id.as_str())
            .unwrap()["fetched_at"]
            .clone()
    };
    assert_eq!(
        fetched_at(&o.overview_before_replay),
        fetched_at(&o.overview_after_replay),
        "the replayed answer replaced the stored document"
    );
    let logged = o.audit["disclosures"]["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["org"] == cjib.id.as_str())
        .unwrap();
    assert_eq!(logged["failed"], 1, "the rejected answer is in the transparency log");
}

/// P-8: a malicious organisation cannot read another organisation's data or inject script.
#[test]
fn p8_malicious_organisation_cannot_read_others_or_inject_script() {
    let o = observed();
    let malicious = o.org("cjib");
    assert!(!malicious.seen.is_empty());
    for request in &malicious.seen {
        let bytes = request.all_bytes();
        for other in o.orgs.iter().filter(|other| other.short != "cjib") {
            for value in other.case_refs.iter().chain([&other.id, &other.name]) {
                assert!(!contains(&bytes, value.as_bytes()), "the CJIB received {value} of {}", other.short);
            }
        }
    }
    let (_, _, matter) = o.pages.iter().find(|(path, _, _)| path.starts_with("/matters/")).unwrap();
    // Shown as text (askama escapes `<` as `&#60;`), never as markup.
    assert!(matter.contains("document.title="), "the organisation's text is not shown: {matter}");
    assert!(!matter.contains(SCRIPT) && !matter.contains("<script"), "script reached the page");
    for (path, csp, body) in &o.pages {
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(!body.contains("onerror=\""), "{path} carries an event handler");
    }
}

/// P-9: the pod's web server answers only its own address and refuses cross-site requests.
#[test]
fn p9_pod_server_refuses_other_hosts_and_cross_site_requests() {
    let o = observed();
    for (what, status) in &o.probes {
        if what.starts_with("control:") {
            assert!((200..300).contains(status), "{what} was answered with {status}");
        } else {
            assert!((400..500).contains(status), "{what} was answered with {status}");
        }
    }
    assert_eq!(o.probes.len(), 6);
}
