//! The citizen's side of an organisation's login (OAuth 2.0 code flow with PKCE S256), as pure
//! steps: the authorization request, the checks on what comes back (state, RFC 9207 `iss`),
//! the token request's form, the claims request, and the comparison of served keys with pinned
//! ones. The native fetcher and the browser both use these, so both check the same things.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use rand::RngCore;
use schemas::descriptor::OrganisationDescriptor;
use sha2::Digest;
use url::Url;
use zeroize::Zeroizing;

use crate::problem::Problem;

/// What the authorization server sent back to the redirect URI (in the query, or the fragment).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Callback {
    /// The authorization code.
    pub code: Option<String>,
    /// The state we sent.
    pub state: Option<String>,
    /// The issuer (RFC 9207).
    pub iss: Option<String>,
    /// An OAuth error code, if the login failed.
    pub error: Option<String>,
    /// Its description.
    pub error_description: Option<String>,
}

impl Callback {
    /// Reads the parameters from a redirect URL's query.
    pub fn from_url(url: &Url) -> Self {
        Self::from_params(url.query().unwrap_or_default())
    }

    /// Reads the parameters from a form-encoded string: a query, or a fragment without its `#`.
    pub fn from_params(params: &str) -> Self {
        let mut callback = Callback::default();
        for (key, value) in url::form_urlencoded::parse(params.as_bytes()) {
            let value = Some(value.into_owned());
            match key.as_ref() {
                "code" => callback.code = value,
                "state" => callback.state = value,
                "iss" => callback.iss = value,
                "error" => callback.error = value,
                "error_description" => callback.error_description = value,
                _ => {}
            }
        }
        callback
    }
}

/// The issuer identifier of an organisation: its base URL without a trailing slash.
pub fn issuer_of(org: &OrganisationDescriptor) -> String {
    org.base_url.as_str().trim_end_matches('/').to_owned()
}

/// Checks a callback against the state we sent and the organisation we sent the citizen to;
/// the code.
///
/// An error answer is checked like a code: only with our state and the organisation's `iss` is
/// it the organisation's error. Anything else is a mix-up, so that no other page or server can
/// end a citizen's login or put its own words on the screen as the organisation's.
pub fn check_callback(callback: &Callback, state: &str, org: &OrganisationDescriptor) -> Result<String, Problem> {
    if callback.state.as_deref() != Some(state) {
        return Err(Problem::LoginMixUp("the state does not match".to_owned()));
    }
    // RFC 9207: the answer must come from the organisation we sent the citizen to.
    if callback.iss.as_deref().map(|i| i.trim_end_matches('/')) != Some(issuer_of(org).as_str()) {
        return Err(Problem::LoginMixUp(format!(
            "the answer names issuer {:?}",
            callback.iss.clone().unwrap_or_default()
        )));
    }
    if let Some(error) = &callback.error {
        return Err(Problem::LoginCancelled(
            callback
                .error_description
                .as_ref()
                .map_or(error.clone(), |d| format!("{error}: {d}")),
        ));
    }
    callback
        .code
        .clone()
        .ok_or_else(|| Problem::LoginCancelled("no code in the answer".to_owned()))
}

/// The answers to `prompt=none` that mean "this login needs the citizen" (OIDC Core §3.1.2.6).
const NEEDS_THE_CITIZEN: [&str; 2] = ["login_required", "interaction_required"];

/// `url` asking the organisation to log the citizen in without a login page (`prompt=none`):
/// for the next organisation in a chain of logins through the same login provider.
pub fn without_login_page(url: &Url) -> Url {
    let mut url = url.clone();
    url.query_pairs_mut().append_pair("prompt", "none");
    url
}

/// Whether `callback` is the organisation's own answer (our state, its `iss`) that it cannot log
/// the citizen in without a login page. Then the chain shows the organisation's login; any
/// other error stays an error, and a forged one a mix-up.
pub fn asks_for_login(callback: &Callback, state: &str, org: &OrganisationDescriptor) -> bool {
    callback
        .error
        .as_deref()
        .is_some_and(|error| NEEDS_THE_CITIZEN.contains(&error))
        && matches!(check_callback(callback, state, org), Err(Problem::LoginCancelled(_)))
}

/// A login under way: the URL to send the citizen to, and what checks and redeems the answer.
/// State and verifier stay in memory (in a browser tab: that tab's memory), which binds the
/// login to the place that started it.
pub struct Authorization {
    /// Where to send the citizen.
    pub url: Url,
    /// The state in the URL.
    pub state: String,
    verifier: Zeroizing<String>,
}

/// 32 random bytes in base64url: a state, a PKCE verifier or a nonce.
pub fn random_token() -> String {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    B64.encode(&bytes[..])
}

impl Authorization {
    /// Starts a login at `org` for `scope` with a fresh state and PKCE S256 verifier. With
    /// `fragment`, the answer comes back in the URL fragment (`response_mode=fragment`), which a
    /// browser never sends to the app's host.
    pub fn begin(org: &OrganisationDescriptor, client_id: &str, redirect_uri: &str, scope: &str, fragment: bool) -> Self {
        let state = random_token();
        let verifier = Zeroizing::new(random_token());
        let challenge = B64.encode(sha2::Sha256::digest(verifier.as_bytes()));
        let mut url = org.authorization_endpoint.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("scope", scope)
                .append_pair("state", &state)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
            if fragment {
                query.append_pair("response_mode", "fragment");
            }
        }
        Self { url, state, verifier }
    }

    /// The token request's form body for the code in `callback`, after every check.
    pub fn token_request(
        &self,
        callback: &Callback,
        org: &OrganisationDescriptor,
        client_id: &str,
        redirect_uri: &str,
    ) -> Result<String, Problem> {
        let code = check_callback(callback, &self.state, org)?;
        Ok(url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", &code)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("client_id", client_id)
            .append_pair("code_verifier", &self.verifier)
            .finish())
    }
}

/// The claims request's JSON body for `recipient`, and the fresh nonce it carries.
pub fn claims_request(recipient: &str) -> (String, String) {
    let nonce = random_token();
    let request = schemas::protocol::ClaimsRequest {
        recipient: recipient.to_owned(),
        nonce: nonce.clone(),
    };
    let body = serde_json::to_string(&request).expect("two strings serialise");
    (body, nonce)
}

/// Whether the keys an organisation serves (its JWKS `keys`) are exactly the pinned keys active
/// at `now`. Checked before any login, so a changed key stops the fetch before the citizen
/// logs in.
pub fn served_keys_match(org: &OrganisationDescriptor, served: &[schemas::jws::Jwk], now: DateTime<Utc>) -> bool {
    let fingerprints = |keys: &mut dyn Iterator<Item = &schemas::jws::Jwk>| {
        let mut prints: Vec<(String, String)> = keys.map(|k| (k.kid.clone(), k.fingerprint())).collect();
        prints.sort();
        prints
    };
    fingerprints(&mut served.iter()) == fingerprints(&mut org.keys.iter().filter(|k| k.is_active(now)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_read_queries_and_fragments_alike() {
        let from_fragment = Callback::from_params("code=abc&state=s%201&iss=http%3A%2F%2Forg");
        let url = Url::parse("http://127.0.0.1/cb?code=abc&state=s+1&iss=http://org").unwrap();
        assert_eq!(from_fragment, Callback::from_url(&url));
        assert_eq!(from_fragment.state.as_deref(), Some("s 1"));
        let error = Callback::from_params("error=access_denied&error_description=nope&state=x");
        assert_eq!(error.error.as_deref(), Some("access_denied"));
    }

    #[test]
    fn an_error_answer_counts_only_with_our_state_and_the_organisations_issuer() {
        let org = OrganisationDescriptor::from_json(include_bytes!(
            "../../schemas/tests/fixtures/documents/descriptor/valid-pinned-keys.json"
        ))
        .unwrap();
        let iss = "https%3A%2F%2Fbetaalpod.duo.example";
        let check = |params: &str| check_callback(&Callback::from_params(params), "s1", &org);
        match check(&format!("error=access_denied&error_description=cancelled&state=s1&iss={iss}")) {
            Err(Problem::LoginCancelled(why)) => assert_eq!(why, "access_denied: cancelled"),
            other => panic!("the organisation's own error: {other:?}"),
        }
        for forged in [
            "error=access_denied&error_description=call%20this%20number".to_owned(),
            format!("error=access_denied&state=other&iss={iss}"),
            "error=access_denied&state=s1".to_owned(),
            "error=access_denied&state=s1&iss=https%3A%2F%2Fevil.example".to_owned(),
        ] {
            assert!(matches!(check(&forged), Err(Problem::LoginMixUp(_))), "{forged}");
        }
        assert_eq!(check(&format!("code=c&state=s1&iss={iss}")).unwrap(), "c");
        assert!(matches!(check(&format!("state=s1&iss={iss}")), Err(Problem::LoginCancelled(_))), "no code");
    }

    #[test]
    fn only_the_organisations_own_login_required_asks_for_its_login() {
        let org = OrganisationDescriptor::from_json(include_bytes!(
            "../../schemas/tests/fixtures/documents/descriptor/valid-pinned-keys.json"
        ))
        .unwrap();
        let iss = "https%3A%2F%2Fbetaalpod.duo.example";
        let asks = |params: &str| asks_for_login(&Callback::from_params(params), "s1", &org);
        assert!(asks(&format!("error=login_required&state=s1&iss={iss}")));
        assert!(asks(&format!("error=interaction_required&state=s1&iss={iss}")));
        assert!(!asks(&format!("error=access_denied&state=s1&iss={iss}")), "a refusal is not a login");
        assert!(!asks(&format!("error=login_required&state=other&iss={iss}")), "another hop's state");
        assert!(!asks("error=login_required&state=s1&iss=https%3A%2F%2Fevil.example"), "another issuer");
        assert!(!asks(&format!("code=c&state=s1&iss={iss}")));

        let url = Url::parse("https://org.example/authorize?state=s1").unwrap();
        assert_eq!(without_login_page(&url).as_str(), "https://org.example/authorize?state=s1&prompt=none");
    }

    #[test]
    fn tokens_are_random_and_url_safe() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(a, random_token());
    }
}
