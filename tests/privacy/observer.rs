//! The observers: real organisations that record every request they receive, and a loopback
//! HTTP proxy that records (and can replay) everything the pod sends out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The `Via` value the proxy adds, so an organisation can tell proxied requests from others.
pub const VIA: &str = "1.1 betaalpod-observer";
/// The `User-Agent` of the harness playing the citizen's browser at login pages.
pub const BROWSER_AGENT: &str = "observer-browser";

/// One request as an observer saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// When it arrived.
    pub at: Instant,
    /// The method.
    pub method: String,
    /// The request target: path and query at an organisation, the absolute URI at the proxy.
    pub target: String,
    /// Every header, as sent.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Seen {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path, without the query (for an absolute URI too).
    pub fn path(&self) -> String {
        let uri: axum::http::Uri = self.target.parse().unwrap_or_default();
        uri.path().to_owned()
    }

    /// Headers, target and body as one byte string, for searching.
    pub fn all_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {}\n", self.method, self.target).into_bytes();
        for (k, v) in &self.headers {
            out.extend_from_slice(format!("{k}: {v}\n").as_bytes());
        }
        out.extend_from_slice(&self.body);
        out
    }
}

/// A shared, growing list of what an observer saw.
pub type Recording = Arc<Mutex<Vec<Seen>>>;

async fn capture(request: Request) -> (Seen, axum::http::request::Parts, Bytes) {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    let seen = Seen {
        at: Instant::now(),
        method: parts.method.to_string(),
        target: parts.uri.to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: body.to_vec(),
    };
    (seen, parts, body)
}

async fn record(State(recording): State<Recording>, request: Request, next: Next) -> Response {
    let (seen, parts, body) = capture(request).await;
    recording.lock().unwrap().push(seen);
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// Wraps an organisation's router so that every request is recorded before it is answered.
pub fn recording_layer(recording: Recording) -> impl FnOnce(Router) -> Router {
    move |router| router.layer(axum::middleware::from_fn_with_state(recording, record))
}

/// A stored answer, for replaying.
#[derive(Clone)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct ProxyState {
    recording: Recording,
    client: reqwest::Client,
    /// The latest answer per `authority + path`.
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    /// Answer requests to these `authority + path` keys from `answers` instead of forwarding.
    replaying: Arc<Mutex<Vec<String>>>,
}

/// A plain HTTP forward proxy on loopback that records every request and adds [`VIA`].
pub struct RecordingProxy {
    /// `http://127.0.0.1:{port}`, for `HTTP_PROXY`.
    pub url: String,
    /// Everything that went through it.
    pub recording: Recording,
    state: ProxyState,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl RecordingProxy {
    /// Starts the proxy on a free loopback port.
    pub async fn start() -> Self {
        let state = ProxyState {
            recording: Recording::default(),
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            answers: Arc::default(),
            replaying: Arc::default(),
        };
        let router = Router::new().fallback(forward).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        Self {
            url,
            recording: state.recording.clone(),
            state,
            _shutdown: tx,
        }
    }

    /// From now on, answers requests to `base_url` + `path` with the last answer seen there (a
    /// network attacker replaying an old answer), without forwarding them.
    pub fn replay(&self, base_url: &str, path: &str) {
        let authority = base_url.trim_start_matches("http://").trim_end_matches('/');
        self.state.replaying.lock().unwrap().push(format!("{authority}{path}"));
    }

    /// Stops replaying.
    pub fn stop_replaying(&self) {
        self.state.replaying.lock().unwrap().clear();
    }
}

const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "proxy-connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "host",
    "upgrade",
];

async fn forward(State(proxy): State<ProxyState>, request: Request) -> Response {
    let (seen, parts, body) = capture(request).await;
    proxy.recording.lock().unwrap().push(seen);
    if parts.method == axum::http::Method::CONNECT {
        // Loopback organisations speak plain HTTP; a tunnel would hide what is sent.
        return (StatusCode::BAD_GATEWAY, "the observer proxy does not tunnel").into_response();
    }
    let key = format!(
        "{}{}",
        parts.uri.authority().map(|a| a.as_str()).unwrap_or_default(),
        parts.uri.path()
    );
    if proxy.replaying.lock().unwrap().contains(&key)
        && let Some(answer) = proxy.answers.lock().unwrap().get(&key).cloned()
    {
        let mut response = (answer.status, answer.body).into_response();
        *response.headers_mut() = answer.headers;
        return response;
    }
    let mut outgoing = proxy.client.request(parts.method.clone(), parts.uri.to_string());
    for (name, value) in &parts.headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = match outgoing.header("via", VIA).body(body).send().await {
        Ok(answer) => answer,
        Err(e) => return (StatusCode::BAD_GATEWAY, format!("observer proxy: {e}")).into_response(),
    };
    let status = answer.status();
    let mut headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            headers.append(name, value.clone());
        }
    }
    headers.insert("via", HeaderValue::from_static(VIA));
    let body = answer.bytes().await.unwrap_or_default();
    proxy.answers.lock().unwrap().insert(
        key,
        Answer {
            status,
            headers: headers.clone(),
            body: body.clone(),
        },
    );
    let mut response = (status, body).into_response();
    *response.headers_mut() = headers;
    response
}
