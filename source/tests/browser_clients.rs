//! A client that runs in a browser (a pod provider's app): the authorization response in the URL
//! fragment, which never reaches the app's host, and CORS for the client's registered origins
//! only, on every endpoint such an app calls.

mod common;

use common::*;
use reqwest::StatusCode;

const APP: &str = "http://127.0.0.1:9";
const EVIL: &str = "http://127.0.0.1:6666";

/// A server whose `betaalpod` client also runs at [`APP`]; keep the folder while it runs.
async fn start() -> (TestServer, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = TestServer::start_on(tmp.path(), "00000001001234567000", "", listener, |config| {
        config.clients[0].web_origins = vec![APP.to_owned()];
    })
    .await;
    (server, tmp)
}

fn fragment_pairs(location: &str) -> std::collections::HashMap<String, String> {
    let url = url::Url::parse(location).unwrap();
    assert!(url.query().is_none(), "nothing in the query: {location}");
    url::form_urlencoded::parse(url.fragment().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

#[tokio::test]
async fn the_code_comes_back_in_the_fragment_when_asked() {
    let (server, _dir) = start().await;
    let pkce = pkce();
    let mut params = auth_params(&pkce, "tab-state", "claims:read");
    params.push(("response_mode", "fragment"));
    let page = server.http.get(format!("{}/authorize", server.url)).query(&params).send().await.unwrap();
    assert!(page.text().await.unwrap().contains(r#"name="response_mode" value="fragment""#));
    let (bsn, pin) = citizen(0);
    let answer = post_login(&server, &params, &bsn, &pin).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let pairs = fragment_pairs(answer.headers()["location"].to_str().unwrap());
    assert_eq!(pairs["state"], "tab-state");
    assert_eq!(pairs["iss"], server.url);
    let token = exchange(&server, &pairs["code"], &pkce.verifier).await;
    assert_eq!(token.status(), StatusCode::OK);

    // A refusal goes back the same way.
    let mut refused = auth_params(&pkce, "tab-state", "everything");
    refused.push(("response_mode", "fragment"));
    let answer = server.http.get(format!("{}/authorize", server.url)).query(&refused).send().await.unwrap();
    let pairs = fragment_pairs(answer.headers()["location"].to_str().unwrap());
    assert_eq!(pairs["error"], "invalid_scope");
    assert_eq!(pairs["state"], "tab-state");

    // A mode we do not speak is refused in the query.
    let mut unknown = auth_params(&pkce, "tab-state", "claims:read");
    unknown.push(("response_mode", "form_post"));
    let answer = server.http.get(format!("{}/authorize", server.url)).query(&unknown).send().await.unwrap();
    let location = url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    let query: std::collections::HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(query["error"], "invalid_request");
    assert!(query["error_description"].contains("response_mode"));
}

#[tokio::test]
async fn cors_answers_the_registered_origin_and_no_other() {
    let (server, _dir) = start().await;
    for path in ["/token", "/claims", "/arrangements", "/arrangements/abc", "/jwks.json", "/.well-known/betaalpod-source"] {
        let preflight = |origin: &'static str| {
            server
                .http
                .request(reqwest::Method::OPTIONS, format!("{}{path}", server.url))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "authorization, content-type")
                .send()
        };
        let ok = preflight(APP).await.unwrap();
        assert_eq!(ok.status(), StatusCode::NO_CONTENT, "{path}");
        assert_eq!(ok.headers()["access-control-allow-origin"], APP);
        assert!(ok.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
        assert!(ok.headers().get("access-control-allow-credentials").is_none(), "no cookies, ever");
        let refused = preflight(EVIL).await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(refused.headers().get("access-control-allow-origin").is_none());
    }
    let jwks = |origin: &'static str| server.http.get(format!("{}/jwks.json", server.url)).header("origin", origin).send();
    assert_eq!(jwks(APP).await.unwrap().headers()["access-control-allow-origin"], APP);
    assert!(jwks(EVIL).await.unwrap().headers().get("access-control-allow-origin").is_none());
    // The login pages are not for scripts.
    let login = server
        .http
        .request(reqwest::Method::OPTIONS, format!("{}/authorize", server.url))
        .header("origin", APP)
        .send()
        .await
        .unwrap();
    assert!(login.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_code_posted_from_another_origin_is_refused_and_not_spent() {
    let (server, _dir) = start().await;
    let pkce = pkce();
    let code = login(&server, &pkce, 0, "claims:read").await;
    let post = |origin: &'static str| {
        server
            .http
            .post(format!("{}/token", server.url))
            .header("origin", origin)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("client_id", "betaalpod"),
                ("code_verifier", pkce.verifier.as_str()),
            ])
            .send()
    };
    let refused = post(EVIL).await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    let ok = post(APP).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK, "the code was not spent by the refused request");
    assert_eq!(ok.headers()["access-control-allow-origin"], APP);
}

#[test]
fn web_origins_must_be_origins() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_config(tmp.path(), "00000001001234567000", "");
    for (bad, ok) in [("https://pods.example.nl/app", false), ("http://pods.example.nl", false), ("https://pods.example.nl", true), ("http://127.0.0.1:8080", true)] {
        let text = std::fs::read_to_string(&path).unwrap();
        let with = format!("{text}web_origins = [\"{bad}\"]\n");
        let other = tmp.path().join("with.toml");
        std::fs::write(&other, with).unwrap();
        let result = source::config::Config::load(&other);
        assert_eq!(result.is_ok(), ok, "{bad}: {:?}", result.err());
        if !ok {
            assert!(result.unwrap_err().to_string().contains("web_origins"), "{bad}");
        }
    }
}
