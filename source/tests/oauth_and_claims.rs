//! The authorization server and the claims API against a real server on loopback.

mod common;

use common::*;
use schemas::descriptor::OrganisationDescriptor;

#[tokio::test]
async fn full_flow_discovery_login_token_claims() {
    let server = TestServer::start().await;
    let metadata: serde_json::Value = server
        .http
        .get(format!("{}/.well-known/oauth-authorization-server", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], server.url.as_str());
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(metadata["authorization_response_iss_parameter_supported"], true);
    let descriptor = server
        .http
        .get(format!("{}/.well-known/betaalpod-source", server.url))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let descriptor = OrganisationDescriptor::from_json(&descriptor).expect("a valid descriptor");
    assert_eq!(descriptor.claims_endpoint.as_str(), format!("{}/claims", server.url));
    assert_eq!(descriptor.document_versions, ["fcid/3.0.0"]);
    assert_eq!(
        server
            .http
            .get(format!("{}/healthz", server.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );

    let token = token_for(&server, 0, "claims:read").await;
    let payload = fetch_claims(&server, &token).await;
    let (bsn, _) = citizen(0);
    assert_eq!(payload["iss"], "00000001001234567000");
    assert_eq!(payload["document"]["body"]["bsn"], bsn.as_str());
    let document = schemas::fcid::parse(&serde_json::to_vec(&payload["document"]).unwrap()).unwrap();
    assert!(!document.matters.is_empty(), "citizen 0 has claims everywhere");
    assert!(payload["exp"].as_i64().unwrap() > payload["iat"].as_i64().unwrap());

    let audit = std::fs::read_to_string(server.dir.join("audit.jsonl")).unwrap();
    assert!(
        audit
            .lines()
            .any(|l| l.contains("\"event\":\"claims\"") && l.contains("\"outcome\":\"ok\"")),
        "{audit}"
    );
    assert!(!audit.contains(&bsn), "the audit log never holds a BSN");
}

#[tokio::test]
async fn a_citizen_without_claims_gets_an_empty_valid_document() {
    let server = TestServer::start().await;
    let token = token_for(&server, 2, "claims:read").await;
    let payload = fetch_claims(&server, &token).await;
    let document = schemas::fcid::parse(&serde_json::to_vec(&payload["document"]).unwrap()).unwrap();
    assert!(document.matters.is_empty());
    assert_eq!(document.bsn.as_str(), citizen(2).0);
}

#[tokio::test]
async fn a_token_of_citizen_a_never_returns_citizen_b_data() {
    let server = TestServer::start().await;
    let token_a = token_for(&server, 0, "claims:read").await;
    let token_b = token_for(&server, 3, "claims:read").await;
    let a = fetch_claims(&server, &token_a).await;
    let b = fetch_claims(&server, &token_b).await;
    assert_eq!(a["document"]["body"]["bsn"], citizen(0).0.as_str());
    assert_eq!(b["document"]["body"]["bsn"], citizen(3).0.as_str());
    assert_ne!(a["sub_hash"], b["sub_hash"]);
    let a_text = a.to_string();
    assert!(!a_text.contains(&citizen(3).0), "A's answer mentions B");
}

/// A backend that hands out what it is told, and says whether it validated it.
struct HandsOut {
    document: serde_json::Value,
    validated: bool,
}

impl source::backend::ClaimsBackend for HandsOut {
    fn check_pin(&self, _bsn: &schemas::ids::Bsn, _pin: &str) -> bool {
        true
    }
    fn document(&self, _bsn: &schemas::ids::Bsn) -> anyhow::Result<Option<std::sync::Arc<serde_json::Value>>> {
        Ok(Some(std::sync::Arc::new(self.document.clone())))
    }
    fn documents_are_validated(&self) -> bool {
        self.validated
    }
}

#[tokio::test]
async fn a_document_is_validated_before_it_leaves_unless_its_backend_validated_it() {
    install_crypto();
    let tmp = tempfile::tempdir().unwrap();
    let generated = source::demo_data::generate(source::demo_data::DemoOrg::Cjib, 5, SEED).unwrap();
    // Citizen 3's document, handed out to citizen 0: a backend bug that must never leak.
    let (other, _) = citizen(3);
    let wrong_citizen = generated[other.as_str()]["document"].clone();
    for (document, validated, expected) in [
        (wrong_citizen.clone(), false, 500),
        (serde_json::json!({"type": "FINANCIAL_CLAIMS_INFORMATION_DOCUMENT", "version": "9"}), false, 500),
        // A backend that validated its documents itself (as JsonFileBackend does at load) is
        // trusted with them: the answer goes out without a second validation.
        (wrong_citizen, true, 200),
    ] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let dir = tmp.path().join(format!("org-{validated}-{expected}-{}", document.to_string().len()));
        std::fs::create_dir_all(&dir).unwrap();
        let server = TestServer::start_with_backend(&dir, "00000001001234567000", "", listener, |_| {}, |_| {
            std::sync::Arc::new(HandsOut { document, validated })
        })
        .await;
        let token = token_for(&server, 0, "claims:read").await;
        let body = serde_json::json!({"recipient": age::x25519::Identity::generate().to_public().to_string(), "nonce": "AAAAAAAAAAAAAAAAAAAAAA"});
        let response = post_claims(&server, &token, body).await;
        assert_eq!(response.status().as_u16(), expected);
        if expected == 500 {
            let (_, error) = error_of(response).await;
            assert_eq!(error, "server_error");
        }
    }
    let data = tmp.path().join("data.json");
    std::fs::write(&data, serde_json::to_vec(&generated).unwrap()).unwrap();
    use source::backend::ClaimsBackend as _;
    assert!(source::backend::JsonFileBackend::load(&data).unwrap().documents_are_validated());
}

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (status, body["error"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn codes_are_single_use_short_lived_and_pkce_bound() {
    let server = TestServer::start().await;
    let pkce = pkce();
    let code = login(&server, &pkce, 0, "claims:read").await;
    assert_eq!(
        error_of(exchange(&server, &code, &common::pkce().verifier).await).await,
        (400, "invalid_grant".into()),
        "wrong verifier"
    );
    assert_eq!(
        error_of(exchange(&server, &code, &pkce.verifier).await).await,
        (400, "invalid_grant".into()),
        "a code tried once is gone"
    );

    let pkce = common::pkce();
    let code = login(&server, &pkce, 0, "claims:read").await;
    assert_eq!(exchange(&server, &code, &pkce.verifier).await.status(), 200);
    assert_eq!(
        error_of(exchange(&server, &code, &pkce.verifier).await).await,
        (400, "invalid_grant".into()),
        "reused code"
    );

    let pkce = common::pkce();
    let code = login(&server, &pkce, 0, "claims:read").await;
    server.advance_clock(61);
    assert_eq!(
        error_of(exchange(&server, &code, &pkce.verifier).await).await,
        (400, "invalid_grant".into()),
        "expired code"
    );

    let pkce = common::pkce();
    let code = login(&server, &pkce, 0, "claims:read").await;
    let other_redirect = server
        .http
        .post(format!("{}/token", server.url))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://127.0.0.1:9/other"),
            ("client_id", "betaalpod"),
            ("code_verifier", pkce.verifier.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(other_redirect).await, (400, "invalid_grant".into()));
    let no_verifier = server
        .http
        .post(format!("{}/token", server.url))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", REDIRECT),
            ("client_id", "betaalpod"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(no_verifier).await, (400, "invalid_request".into()));
    let password_grant = server
        .http
        .post(format!("{}/token", server.url))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(password_grant).await, (400, "unsupported_grant_type".into()));
}

fn location_query(response: &reqwest::Response) -> std::collections::HashMap<String, String> {
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    location.query_pairs().into_owned().collect()
}

#[tokio::test]
async fn authorization_requests_are_checked() {
    let server = TestServer::start().await;
    let pkce = pkce();
    let get = |params: Vec<(&'static str, String)>| {
        let server = &server;
        async move {
            server
                .http
                .get(format!("{}/authorize", server.url))
                .query(&params)
                .send()
                .await
                .unwrap()
        }
    };
    let base = |redirect: &str, state: Option<&str>, method: &str, scope: &str| {
        let mut params = vec![
            ("response_type", "code".to_owned()),
            ("client_id", "betaalpod".to_owned()),
            ("redirect_uri", redirect.to_owned()),
            ("scope", scope.to_owned()),
            ("code_challenge", pkce.challenge.clone()),
            ("code_challenge_method", method.to_owned()),
        ];
        if let Some(state) = state {
            params.push(("state", state.to_owned()));
        }
        params
    };

    // A foreign redirect URI is never redirected to.
    let foreign = get(base("https://evil.example/cb", Some("s"), "S256", "claims:read")).await;
    assert_eq!(foreign.status(), 400);
    assert!(foreign.headers().get("location").is_none());
    let other_path = get(base("http://127.0.0.1:5555/other", Some("s"), "S256", "claims:read")).await;
    assert_eq!(other_path.status(), 400);
    // Loopback: any port matches (RFC 8252).
    assert_eq!(
        get(base(
            "http://127.0.0.1:5555/oauth/callback",
            Some("s"),
            "S256",
            "claims:read"
        ))
        .await
        .status(),
        200
    );

    let no_state = get(base(REDIRECT, None, "S256", "claims:read")).await;
    assert_eq!(no_state.status(), 303);
    let query = location_query(&no_state);
    assert_eq!(query["error"], "invalid_request");
    assert!(query["error_description"].contains("state"));
    assert_eq!(query["iss"], server.url);

    let plain = get(base(REDIRECT, Some("s"), "plain", "claims:read")).await;
    assert_eq!(location_query(&plain)["error"], "invalid_request");
    assert_eq!(location_query(&plain)["state"], "s");
    let bad_scope = get(base(REDIRECT, Some("s"), "S256", "claims:write")).await;
    assert_eq!(location_query(&bad_scope)["error"], "invalid_scope");
    let unknown_client = server
        .http
        .get(format!(
            "{}/authorize?client_id=evil&redirect_uri={REDIRECT}",
            server.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_client.status(), 400);
}

#[tokio::test]
async fn login_form_refuses_wrong_pins_bad_bsns_and_escapes_script() {
    let server = TestServer::start().await;
    let pkce = pkce();
    let params = auth_params(&pkce, "s", "claims:read");
    let (bsn, pin) = citizen(0);
    let wrong = post_login(&server, &params, &bsn, "00000x").await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("BSN of pincode klopt niet"));
    let bad_bsn = post_login(&server, &params, "123456789", &pin).await;
    assert_eq!(bad_bsn.status(), 400);
    assert!(bad_bsn.text().await.unwrap().contains("elfproef"));

    let script = "<script>alert(1)</script>";
    let echoed = post_login(&server, &params, script, &pin).await;
    let csp = echoed.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = echoed.text().await.unwrap();
    assert!(!html.contains(script), "script echoed raw");
    assert!(
        html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"),
        "{html}"
    );

    let sneaky_state = "\"><script>alert(2)</script>";
    let params = auth_params(&pkce, sneaky_state, "claims:read");
    let page = server
        .http
        .get(format!("{}/authorize", server.url))
        .query(&params)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("<script>alert(2)"), "state echoed raw in a hidden field");
}

#[tokio::test]
async fn login_attempts_are_rate_limited_per_ip() {
    let server = TestServer::start_with(
        "00000001001234567000",
        "[rate_limits]\nlogin_per_minute = 3\ntoken_per_minute = 60\nclaims_per_minute = 20\n",
    )
    .await;
    let pkce = pkce();
    let params = auth_params(&pkce, "s", "claims:read");
    let (bsn, _) = citizen(0);
    for _ in 0..3 {
        assert_eq!(post_login(&server, &params, &bsn, "99999").await.status(), 401);
    }
    let limited = post_login(&server, &params, &bsn, "99999").await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn bearer_tokens_are_checked_for_audience_expiry_and_scope() {
    let server = TestServer::start().await;
    let token = token_for(&server, 0, "claims:read").await;

    // Another organisation that (wrongly) shares the signing key still refuses: the audience differs.
    let other_dir = tempfile::tempdir().unwrap();
    let other = TestServer::start_in(other_dir.path(), "00000001002345678000", "").await;
    let body = serde_json::json!({"recipient": age::x25519::Identity::generate().to_public().to_string(), "nonce": "AAAAAAAAAAAAAAAAAAAAAA"});
    let shared_key_dir = tempfile::tempdir().unwrap();
    std::fs::copy(server.dir.join("org.key"), shared_key_dir.path().join("org.key")).unwrap();
    let same_key = TestServer::start_in(shared_key_dir.path(), "00000001002345678000", "").await;
    let refused = post_claims(&same_key, &token, body.clone()).await;
    assert_eq!(refused.status(), 401);
    assert!(
        refused.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    assert_eq!(post_claims(&other, &token, body.clone()).await.status(), 401);

    let arrangement_only = token_for(&server, 0, "arrangement:submit").await;
    let response = post_claims(&server, &arrangement_only, body.clone()).await;
    assert_eq!(response.status(), 403);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );

    assert_eq!(post_claims(&server, "not-a-token", body.clone()).await.status(), 401);
    let no_auth = server
        .http
        .post(format!("{}/claims", server.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_auth.status(), 401);

    server.advance_clock(301);
    let expired = post_claims(&server, &token, body).await;
    assert_eq!(expired.status(), 401);
    assert!(
        expired.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn claims_requests_are_validated() {
    let server = TestServer::start().await;
    let token = token_for(&server, 0, "claims:read").await;
    let recipient = age::x25519::Identity::generate().to_public().to_string();
    let bad_recipient = post_claims(
        &server,
        &token,
        serde_json::json!({"recipient": "age1notarecipient", "nonce": "AAAAAAAAAAAAAAAAAAAAAA"}),
    )
    .await;
    assert_eq!(error_of(bad_recipient).await, (400, "invalid_request".into()));
    let short_nonce = post_claims(
        &server,
        &token,
        serde_json::json!({"recipient": recipient, "nonce": "AAAA"}),
    )
    .await;
    assert_eq!(error_of(short_nonce).await, (400, "invalid_request".into()));
    let extra_field = post_claims(
        &server,
        &token,
        serde_json::json!({"recipient": recipient, "nonce": "AAAAAAAAAAAAAAAAAAAAAA", "bsn": "999993653"}),
    )
    .await;
    assert_eq!(error_of(extra_field).await, (400, "invalid_request".into()));
    let huge = server
        .http
        .post(format!("{}/claims", server.url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(vec![b' '; 65 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
}

/// Posts the dev-login form as if through a proxy that says the client is `client`.
async fn post_login_from(server: &TestServer, client: &str, bsn: &str, pin: &str) -> reqwest::Response {
    let pkce = pkce();
    let mut form: Vec<(&str, &str)> = auth_params(&pkce, "s", "claims:read");
    form.push(("bsn", bsn));
    form.push(("pin", pin));
    server
        .http
        .post(format!("{}/authorize", server.url))
        .header("x-forwarded-for", client)
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_limit() {
    let limits = "[rate_limits]\nlogin_per_minute = 3\ntoken_per_minute = 60\nclaims_per_minute = 20\n";
    let proxied = TestServer::start_with("00000001001234567000", &format!("trusted_proxies = [\"127.0.0.1\"]\n{limits}")).await;
    let wrong = |index: usize| (citizen(index).0, "99999");
    // Each client behind the proxy is counted on its own, not all together as the proxy.
    for (client, index) in [("198.51.100.1", 0), ("198.51.100.2", 1)] {
        let (bsn, pin) = wrong(index);
        for _ in 0..3 {
            assert_eq!(post_login_from(&proxied, client, &bsn, pin).await.status(), 401, "{client}");
        }
    }
    let (bsn, pin) = wrong(2);
    assert_eq!(post_login_from(&proxied, "198.51.100.1", &bsn, pin).await.status(), 429);
    assert_eq!(post_login_from(&proxied, "198.51.100.3", &bsn, pin).await.status(), 401);
    // IPv6 clients are counted per /64: a new address in the same block is the same client.
    let (bsn, pin) = wrong(3);
    for i in 1..=3 {
        assert_eq!(post_login_from(&proxied, &format!("2001:db8:0:7::{i}"), &bsn, pin).await.status(), 401);
    }
    assert_eq!(post_login_from(&proxied, "2001:db8:0:7::ff", &bsn, pin).await.status(), 429, "same /64");
    assert_eq!(post_login_from(&proxied, "2001:db8:0:8::1", &bsn, pin).await.status(), 401, "next /64");

    // Without trusted proxies, X-Forwarded-For is the client's own say-so and changes nothing.
    let direct = TestServer::start_with("00000001001234567000", limits).await;
    for i in 1..=3 {
        assert_eq!(post_login_from(&direct, &format!("203.0.113.{i}"), &citizen(4).0, "99999").await.status(), 401);
    }
    assert_eq!(post_login_from(&direct, "203.0.113.99", &citizen(4).0, "99999").await.status(), 429);
}

#[tokio::test]
async fn wrong_pins_lock_out_the_citizen_from_every_address() {
    let server = TestServer::start_with(
        "00000001001234567000",
        "trusted_proxies = [\"127.0.0.1\"]\n[rate_limits]\nlogin_per_minute = 100\n",
    )
    .await;
    let (bsn, pin) = citizen(0);
    for i in 1..=5 {
        let answer = post_login_from(&server, &format!("198.51.100.{i}"), &bsn, "99999").await;
        assert_eq!(answer.status(), 401, "wrong PIN {i} from its own address");
    }
    // Even the right PIN, from a new address, now waits.
    let locked = post_login_from(&server, "198.51.100.77", &bsn, &pin).await;
    assert_eq!(locked.status(), 429);
    let wait: u64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    assert!(locked.text().await.unwrap().contains("Too many wrong PINs for this BSN"));
    // Another citizen is not affected.
    let (other, other_pin) = citizen(1);
    assert_eq!(post_login_from(&server, "198.51.100.77", &other, &other_pin).await.status(), 303);
    let audit = std::fs::read_to_string(server.dir.join("audit.jsonl")).unwrap();
    assert!(audit.contains("\"locked_out\""), "the lockout is in the audit log");
}
