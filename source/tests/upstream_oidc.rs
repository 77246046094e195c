//! `source` delegating citizen login to a real OpenID provider: the npm `oidc-provider`,
//! started on loopback from `tests/support` (installed by `scripts/test` with `npm ci`).

mod common;

use browser_harness::OidcProvider;
use common::*;

/// The first `<form>`'s action and its fields (hidden inputs), from the provider's pages.
fn form_of(html: &str) -> (String, Vec<(String, String)>) {
    let action = html
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form")
        .replace("&amp;", "&");
    let mut fields = Vec::new();
    for input in html.split("<input").skip(1) {
        let attribute = |name: &str| {
            input
                .split(&format!("{name}=\""))
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(str::to_owned)
        };
        if let Some(name) = attribute("name") {
            fields.push((name, attribute("value").unwrap_or_default()));
        }
    }
    (action, fields)
}

/// A browser: no redirects followed, cookies kept (the provider's login session lives in one).
fn new_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Plays the browser from the pod's authorization request until the flow comes back to the
/// pod's redirect URI, typing `login` at the provider's login form. Returns the final URL.
async fn browse_to_pod(server: &TestServer, pkce: &Pkce, state: &str, login: &str) -> url::Url {
    browse(&new_browser(), server, pkce, state, login, &[]).await.0
}

/// The same in `browser`, with `extra` authorization parameters; also returns how many times
/// a login form was filled in.
async fn browse(
    browser: &reqwest::Client,
    server: &TestServer,
    pkce: &Pkce,
    state: &str,
    login: &str,
    extra: &[(&'static str, &'static str)],
) -> (url::Url, usize) {
    let mut typed = 0;
    let mut params = auth_params(pkce, state, "claims:read");
    params.extend_from_slice(extra);
    let mut response = browser
        .get(format!("{}/authorize", server.url))
        .query(&params)
        .send()
        .await
        .unwrap();
    let mut base = server.url.clone();
    for _ in 0..20 {
        if response.status().is_redirection() {
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            let next = url::Url::parse(&base).unwrap().join(&location).unwrap();
            if next.as_str().starts_with(REDIRECT) {
                return (next, typed);
            }
            base = next.as_str().to_owned();
            response = browser.get(next).send().await.unwrap();
        } else {
            assert_eq!(response.status(), 200, "unexpected page at {base}");
            let html = response.text().await.unwrap();
            let (action, mut fields) = form_of(&html);
            if fields.iter().any(|(name, _)| name == "login") {
                typed += 1;
                fields.retain(|(name, _)| name != "login" && name != "password");
                fields.push(("login".to_owned(), login.to_owned()));
                fields.push(("password".to_owned(), "anything".to_owned()));
            }
            let target = url::Url::parse(&base).unwrap().join(&action).unwrap();
            base = target.as_str().to_owned();
            response = browser.post(target).form(&fields).send().await.unwrap();
        }
    }
    panic!("the flow never came back to the pod");
}

/// A source server whose citizen login is delegated to a fresh oidc-provider.
async fn delegating_server(tmp: &std::path::Path) -> (TestServer, OidcProvider) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let source_url = format!("http://{}", listener.local_addr().unwrap());
    let provider = OidcProvider::start(&[format!("{source_url}/upstream/callback")]);
    let issuer = provider.issuer.clone();
    let server = TestServer::start_on(tmp, "00000001001234567000", "", listener, |config| {
        config.dev_login = false;
        config.upstream_oidc = Some(source::config::UpstreamOidc {
            issuer: issuer.parse().unwrap(),
            client_id: "betaalpod-source".to_owned(),
            client_secret: None,
            bsn_claim: "sub".to_owned(),
        });
    })
    .await;
    (server, provider)
}

#[tokio::test]
async fn login_through_a_real_openid_provider() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, _provider) = delegating_server(tmp.path()).await;
    let (bsn, _) = citizen(0);
    let pkce = pkce();
    let back = browse_to_pod(&server, &pkce, "state-up", &bsn).await;
    let query: std::collections::HashMap<String, String> = back.query_pairs().into_owned().collect();
    assert_eq!(query["state"], "state-up");
    assert_eq!(query["iss"], server.url);
    let code = query.get("code").unwrap_or_else(|| panic!("no code: {query:?}"));
    let token = exchange(&server, code, &pkce.verifier).await;
    assert_eq!(token.status(), 200);
    let token: serde_json::Value = token.json().await.unwrap();
    let payload = fetch_claims(&server, token["access_token"].as_str().unwrap()).await;
    assert_eq!(
        payload["document"]["body"]["bsn"],
        bsn.as_str(),
        "the provider's sub became the citizen"
    );

    // A callback with an unknown state is refused without a redirect.
    let stray = reqwest::get(format!("{}/upstream/callback?code=x&state=unknown", server.url))
        .await
        .unwrap();
    assert_eq!(stray.status(), 400);
}

#[tokio::test]
async fn a_provider_that_names_no_valid_bsn_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, _provider) = delegating_server(tmp.path()).await;
    let back = browse_to_pod(&server, &pkce(), "s2", "123456789").await;
    let query: std::collections::HashMap<String, String> = back.query_pairs().into_owned().collect();
    assert_eq!(query["error"], "access_denied");
    assert!(query["error_description"].contains("BSN"), "{query:?}");
    assert!(!query.contains_key("code"));
}

/// The query of a URL the flow came back to, as a map.
fn answer(url: &url::Url) -> std::collections::HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

#[tokio::test]
async fn prompt_none_rides_the_providers_session_and_says_login_required_without_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, provider) = delegating_server(tmp.path()).await;
    let (bsn, _) = citizen(0);
    let browser = new_browser();

    // Without a session at the provider, `prompt=none` comes back as `login_required`, with
    // the pod's state and this organisation's issuer, and no login form was shown.
    let (back, typed) = browse(&browser, &server, &pkce(), "s-none", &bsn, &[("prompt", "none")]).await;
    let query = answer(&back);
    assert_eq!(query.get("error").map(String::as_str), Some("login_required"), "{query:?}");
    assert_eq!(query["state"], "s-none");
    assert_eq!(query["iss"], server.url);
    assert_eq!(typed, 0);

    // One typed login...
    let (back, typed) = browse(&browser, &server, &pkce(), "s-first", &bsn, &[]).await;
    assert!(answer(&back).contains_key("code"), "{back}");
    assert_eq!(typed, 1);

    // ...then `prompt=none` gets a code with no form, for this organisation's own PKCE.
    let second = pkce();
    let (back, typed) = browse(&browser, &server, &second, "s-silent", &bsn, &[("prompt", "none")]).await;
    let query = answer(&back);
    assert_eq!(typed, 0, "no login form the second time");
    assert_eq!(query["state"], "s-silent");
    let token = exchange(&server, &query["code"], &second.verifier).await;
    assert_eq!(token.status(), 200);

    // `prompt=login` asks again despite the session, and `max_age=0` does too: both reach the
    // provider.
    let (back, typed) = browse(&browser, &server, &pkce(), "s-login", &bsn, &[("prompt", "login")]).await;
    assert!(answer(&back).contains_key("code"));
    assert_eq!(typed, 1, "prompt=login shows the provider's form");
    let (back, typed) = browse(&browser, &server, &pkce(), "s-age", &bsn, &[("max_age", "0")]).await;
    assert!(answer(&back).contains_key("code"));
    assert_eq!(typed, 1, "max_age=0 shows the provider's form");

    // The provider counted the same typed logins.
    assert_eq!(provider.typed_logins().await, 3);
}

/// Sends an authorization request with one `extra` parameter to a dev-login server, which must
/// answer at once with a redirect to the pod; that answer's query.
async fn redirected_answer(
    server: &TestServer,
    state: &str,
    extra: (&'static str, &'static str),
) -> std::collections::HashMap<String, String> {
    let pkce = pkce();
    let mut params = auth_params(&pkce, state, "claims:read");
    params.push(extra);
    let response = server
        .http
        .get(format!("{}/authorize", server.url))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{extra:?}");
    answer(&url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap())
}

#[tokio::test]
async fn unknown_prompts_and_bad_max_ages_are_refused_back_to_the_pod() {
    let server = TestServer::start().await;
    for (name, value) in [("prompt", "consent"), ("prompt", "none login"), ("max_age", "-1"), ("max_age", "soon")] {
        let query = redirected_answer(&server, "s-bad", (name, value)).await;
        assert_eq!(query["error"], "invalid_request", "{name}={value}");
        assert_eq!(query["state"], "s-bad");
    }
}

#[tokio::test]
async fn the_dev_login_keeps_no_session_so_prompt_none_is_login_required() {
    let server = TestServer::start().await;
    let query = redirected_answer(&server, "s-dev", ("prompt", "none")).await;
    assert_eq!(query["error"], "login_required");
    assert_eq!(query["state"], "s-dev");
    assert_eq!(query["iss"], server.url);
    assert!(!query.contains_key("code"));
}
