//! Feeds arbitrary bytes to everything a pod provider reads from outside: record names, ETags,
//! the shape checks of identity files and recipients, and every JSON body of the storage API.
//! A name that parses must print back as itself; an ETag that parses must be the one `etag`
//! writes; a body that parses must serialise and parse again to the same JSON.

#![no_main]

use libfuzzer_sys::fuzz_target;
use provider_api::wire;

fn round_trips<T: serde::Serialize + serde::de::DeserializeOwned>(data: &[u8]) {
    if let Ok(body) = serde_json::from_slice::<T>(data) {
        let json = serde_json::to_value(&body).expect("a parsed body serialises");
        let again: T = serde_json::from_value(json.clone()).expect("what we write, we read");
        assert_eq!(serde_json::to_value(&again).unwrap(), json);
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = provider_api::looks_like_wrapped_identity(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(name) = provider_api::RecordName::parse(text) {
            assert_eq!(name.to_string(), text);
            assert!(!name.key().is_empty() && name.key().len() <= provider_api::record_name::MAX_KEY_BYTES);
        }
        if let Some(version) = provider_api::parse_etag(text) {
            assert_eq!(provider_api::parse_etag(&provider_api::etag(version)), Some(version));
        }
        let _ = provider_api::looks_like_recipient(text);
    }
    round_trips::<wire::SignupStart>(data);
    round_trips::<wire::SignupFinish>(data);
    round_trips::<wire::LoginStart>(data);
    round_trips::<wire::LoginFinish>(data);
    round_trips::<wire::Batch>(data);
    round_trips::<wire::CredentialStart>(data);
    round_trips::<wire::CredentialsReplace>(data);
});
