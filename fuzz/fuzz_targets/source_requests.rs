//! `source`'s token and claims request bodies, through its real router: the first byte chooses
//! `POST /token` (a form) or `POST /claims` (JSON, with a valid access token), the rest is the
//! body. Any body gets an answer, never a panic and never a server error; a claims request that
//! is answered 200 was a valid one.
#![no_main]

use std::sync::LazyLock;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    token: String,
    _dir: tempfile::TempDir,
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let (router, token, dir) = runtime.block_on(betaalpod_fuzz::source_harness::start());
    Harness {
        runtime,
        router,
        token,
        _dir: dir,
    }
});

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else { return };
    let harness = &*HARNESS;
    let request = if choice % 2 == 0 {
        Request::post("/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_vec()))
    } else {
        Request::post("/claims")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {}", harness.token))
            .body(Body::from(body.to_vec()))
    };
    let mut request = request.expect("a request");
    request
        .extensions_mut()
        .insert(ConnectInfo(std::net::SocketAddr::from(([127, 0, 0, 1], 40000))));
    let status = harness
        .runtime
        .block_on(harness.router.clone().oneshot(request))
        .expect("the router always answers")
        .status();
    assert!(!status.is_server_error(), "{status} for a {} body", if choice % 2 == 0 { "token" } else { "claims" });
    if choice % 2 == 1 && status == StatusCode::OK {
        let parsed: serde_json::Value = serde_json::from_slice(body).expect("an answered claims request was JSON");
        assert!(parsed["recipient"].as_str().is_some_and(|r| r.starts_with("age1")));
    }
});
