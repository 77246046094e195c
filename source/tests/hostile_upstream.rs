//! An upstream OpenID provider that answers badly: an endless token answer, an endless or
//! dripping userinfo, garbage, an endless discovery document. `source` reads each within its
//! byte limit and deadline and refuses the login with a message that says what went wrong,
//! sent back to the pod as a standard authorization error. The provider is a raw TCP server on
//! loopback, so nothing smooths its faults over.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use browser_harness::faulty::{self, endless};
use tokio::io::AsyncWriteExt;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    None,
    EndlessToken,
    EndlessUserinfo,
    DripUserinfo,
    GarbageUserinfo,
    EndlessDiscovery,
}

/// A provider on loopback whose answers follow `fault`.
async fn provider(fault: Arc<Mutex<Fault>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let base = issuer.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (fault, base) = (*fault.lock().unwrap(), base.clone());
            tokio::spawn(async move {
                let path = faulty::read_request(&mut stream).await;
                match (path.as_str(), fault) {
                    ("/.well-known/openid-configuration", Fault::EndlessDiscovery) => endless(&mut stream).await,
                    ("/.well-known/openid-configuration", _) => {
                        let discovery = serde_json::json!({
                            "issuer": base,
                            "authorization_endpoint": format!("{base}/auth"),
                            "token_endpoint": format!("{base}/token"),
                            "userinfo_endpoint": format!("{base}/userinfo"),
                        });
                        faulty::ok(&mut stream, "application/json", discovery.to_string().as_bytes()).await
                    }
                    ("/token", Fault::EndlessToken) => endless(&mut stream).await,
                    ("/token", _) => faulty::ok(&mut stream, "application/json", br#"{"access_token":"t","token_type":"Bearer","expires_in":60}"#).await,
                    ("/userinfo", Fault::EndlessUserinfo) => endless(&mut stream).await,
                    ("/userinfo", Fault::GarbageUserinfo) => {
                        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\n\x00\xff<html").await;
                    }
                    ("/userinfo", Fault::DripUserinfo) => faulty::drip(&mut stream, 100).await,
                    ("/userinfo", _) => {
                        let (bsn, _) = citizen(0);
                        let userinfo = serde_json::json!({ "sub": bsn }).to_string();
                        faulty::ok(&mut stream, "application/json", userinfo.as_bytes()).await
                    }
                    _ => {
                        let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").await;
                    }
                }
            });
        }
    });
    issuer
}

/// Starts a login at `server` and answers its callback as the provider would, with a code.
/// Returns the pod's redirect (its query) and how long the callback took.
async fn login_through(server: &TestServer, issuer: &str) -> (std::collections::HashMap<String, String>, Duration) {
    let pkce = pkce();
    let params = auth_params(&pkce, "pod-state", "claims:read");
    let to_provider = server.http.get(format!("{}/authorize", server.url)).query(&params).send().await.unwrap();
    assert_eq!(to_provider.status(), 303, "sent to the provider");
    let location = url::Url::parse(to_provider.headers()["location"].to_str().unwrap()).unwrap();
    let state = location.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let cookie = to_provider.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let callback = format!("{}/upstream/callback", server.url);
    let query = [("code", "a-code"), ("state", state.as_str()), ("iss", issuer)];
    // The provider's answer in another browser (without the cookie) counts for nothing.
    let elsewhere = server.http.get(&callback).query(&query).send().await.unwrap();
    assert_eq!(elsewhere.status(), 400);
    assert!(elsewhere.text().await.unwrap().contains("started in another browser"));
    let started = Instant::now();
    let back = server.http.get(&callback).query(&query).header("cookie", cookie).send().await.unwrap();
    let took = started.elapsed();
    assert!(back.status().is_redirection(), "{}", back.status());
    let to_pod = url::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    assert!(to_pod.as_str().starts_with(REDIRECT));
    (to_pod.query_pairs().into_owned().collect(), took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_provider_costs_at_most_its_limits_and_the_login_is_refused_clearly() {
    let fault = Arc::new(Mutex::new(Fault::None));
    let issuer = provider(fault.clone()).await;
    let tmp = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_issuer = issuer.clone();
    let server = TestServer::start_on(tmp.path(), "00000001001234567000", "", listener, |config| {
        config.dev_login = false;
        config.upstream_oidc = Some(source::config::UpstreamOidc {
            issuer: upstream_issuer.parse().unwrap(),
            client_id: "betaalpod-source".to_owned(),
            client_secret: None,
            bsn_claim: "sub".to_owned(),
        });
    })
    .await;

    // The well-behaved provider first: the login gives the pod a code.
    let (query, _) = login_through(&server, &issuer).await;
    assert!(query.contains_key("code"), "{query:?}");

    let cases = [
        (Fault::EndlessToken, "the token answer is larger than 16384 bytes"),
        (Fault::EndlessUserinfo, "the userinfo answer is larger than 65536 bytes"),
        (Fault::GarbageUserinfo, "the provider's userinfo is not JSON"),
        (Fault::DripUserinfo, "the provider's userinfo failed: no answer in time"),
    ];
    for (case, expected) in cases {
        *fault.lock().unwrap() = case;
        let (query, took) = login_through(&server, &issuer).await;
        assert_eq!(query.get("error").map(String::as_str), Some("access_denied"), "{case:?}: {query:?}");
        assert_eq!(query["state"], "pod-state");
        assert_eq!(query["iss"], server.url, "{case:?}: a standard error the pod checks");
        assert!(query["error_description"].contains(expected), "{case:?}: {query:?}");
        assert!(!query.contains_key("code"));
        // The provider's deadline is 10 s for each exchange.
        assert!(took < Duration::from_secs(25), "{case:?} took {took:?}");
    }

    // A discovery document that never ends: source does not start, and says why.
    *fault.lock().unwrap() = Fault::EndlessDiscovery;
    let config = source::config::Config::load(&write_config(tmp.path(), "00000001001234567000", "")).unwrap();
    let settings = source::config::UpstreamOidc {
        issuer: issuer.parse().unwrap(),
        client_id: "betaalpod-source".to_owned(),
        client_secret: None,
        bsn_claim: "sub".to_owned(),
    };
    let error = source::upstream::Upstream::discover(&settings, &config).await.err().expect("refused");
    assert!(error.to_string().contains("the discovery document is larger than 65536 bytes"), "{error}");
}
