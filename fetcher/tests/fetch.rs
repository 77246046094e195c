//! The fetcher against real `source` servers on loopback, three organisations at once, plus a
//! malicious organisation that tries every trick on the answer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use age::x25519;
use axum::extract::State;
use axum::routing::post;
use base64::Engine as _;
use fetcher::login::{Callback, DevLogin, LoginDriver};
use fetcher::{CitizenRequest, FetchOptions, Organisation, Problem, Stage, fetch_all};
use schemas::descriptor::OrganisationDescriptor;
use source::demo_data::{self, DemoOrg};

const SEED: u64 = 1;

struct Org {
    descriptor: Organisation,
    state: Arc<source::server::Source>,
    _dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

async fn start_org(org: DemoOrg) -> Org {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    source::keys::keygen(&dir.path().join("org.key"), &format!("{}-key", org.short())).unwrap();
    let data = demo_data::generate(org, 5, SEED).unwrap();
    std::fs::write(dir.path().join("data.json"), serde_json::to_vec(&data).unwrap()).unwrap();
    std::fs::write(
        dir.path().join("source.toml"),
        format!(
            "listen = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:1\"\nid = \"{}\"\nname = \"{}\"\nsigning_key = \"org.key\"\ndata = \"data.json\"\ndev_login = true\naudit_log = \"audit.jsonl\"\n[[clients]]\nclient_id = \"betaalpod\"\nredirect_uris = [\"http://127.0.0.1/oauth/callback\"]\n",
            org.oin(),
            org.name()
        ),
    )
    .unwrap();
    let mut config = source::config::Config::load(&dir.path().join("source.toml")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    config.public_url = format!("http://{}", listener.local_addr().unwrap()).parse().unwrap();
    let backend = Arc::new(source::backend::JsonFileBackend::load(&config.data).unwrap());
    let state = Arc::new(
        source::server::Source::new(config, backend, Arc::new(chrono::Utc::now))
            .await
            .unwrap(),
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(source::server::serve(state.clone(), listener, async {
        let _ = rx.await;
    }));
    let descriptor = state.descriptor().unwrap();
    Org {
        descriptor,
        state,
        _dir: dir,
        _shutdown: tx,
    }
}

fn citizen0() -> DevLogin {
    let (bsn, pin) = demo_data::citizen(SEED, 0);
    DevLogin::new(bsn.to_string(), pin)
}

fn options() -> FetchOptions {
    let mut options = FetchOptions::new("http://127.0.0.1:49152/oauth/callback".parse().unwrap());
    options.network_timeout = Duration::from_secs(3);
    options
}

fn problem(result: &Result<fetcher::FetchedDocument, fetcher::FetchError>) -> Problem {
    match result {
        Ok(_) => panic!("expected a failure"),
        Err(e) => e.problem.clone(),
    }
}

#[tokio::test]
async fn three_organisations_at_once() {
    let orgs = [
        start_org(DemoOrg::Cjib).await,
        start_org(DemoOrg::Duo).await,
        start_org(DemoOrg::Cak).await,
    ];
    let descriptors: Vec<OrganisationDescriptor> = orgs.iter().map(|o| o.descriptor.clone()).collect();
    let identity = x25519::Identity::generate();
    let request = CitizenRequest::from_unlocked_identity(&identity);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let results = fetch_all(&request, &descriptors, &citizen0(), &options(), Some(tx)).await;
    let (bsn, _) = demo_data::citizen(SEED, 0);
    for (result, org) in results.iter().zip(&orgs) {
        let fetched = result.as_ref().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fetched.org, org.descriptor.id.as_str());
        assert_eq!(fetched.parsed.bsn, bsn);
        assert!(!fetched.parsed.matters.is_empty(), "citizen 0 has claims everywhere");
        let inner = age::decrypt(&identity, &fetched.raw_age_file).expect("the raw file is kept as received");
        assert!(
            std::str::from_utf8(&inner).unwrap().split('.').count() == 3,
            "a compact JWS inside"
        );
        assert_eq!(fetched.sha256.len(), 64);
    }
    let mut stages: std::collections::HashMap<String, Vec<String>> = Default::default();
    while let Ok(progress) = rx.try_recv() {
        let name = match progress.stage {
            Stage::WaitingForLogin(_) => "login",
            Stage::Fetching => "fetching",
            Stage::Verifying => "verifying",
            Stage::Done => "done",
            Stage::Failed(_) => "failed",
        };
        stages.entry(progress.org).or_default().push(name.to_owned());
    }
    for org in &orgs {
        assert_eq!(
            stages[org.descriptor.id.as_str()],
            ["login", "fetching", "verifying", "done"]
        );
    }
}

#[tokio::test]
async fn one_organisation_down_or_slow_does_not_block_the_others() {
    let good = start_org(DemoOrg::Cjib).await;
    let slow = start_org(DemoOrg::Duo).await;
    let down = start_org(DemoOrg::Cak).await;
    let mut down_descriptor = down.descriptor.clone();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    for endpoint in [
        &mut down_descriptor.authorization_endpoint,
        &mut down_descriptor.token_endpoint,
        &mut down_descriptor.claims_endpoint,
    ] {
        endpoint.set_port(Some(closed.port())).unwrap();
    }
    // A claims endpoint that accepts the connection and never answers.
    let hang = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hang_port = hang.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hang.accept().await {
            held.push(socket);
        }
    });
    let mut slow_descriptor = slow.descriptor.clone();
    slow_descriptor.claims_endpoint.set_port(Some(hang_port)).unwrap();

    let identity = x25519::Identity::generate();
    let request = CitizenRequest::from_unlocked_identity(&identity);
    let mut options = options();
    options.network_timeout = Duration::from_secs(1);
    let results = fetch_all(
        &request,
        &[good.descriptor.clone(), slow_descriptor, down_descriptor],
        &citizen0(),
        &options,
        None,
    )
    .await;
    assert!(results[0].is_ok(), "{:?}", results[0].as_ref().err());
    assert_eq!(problem(&results[1]), Problem::Timeout);
    assert!(
        matches!(problem(&results[2]), Problem::Network(_)),
        "{:?}",
        problem(&results[2])
    );
    assert!(
        results[2]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("Check your internet connection")
    );
    let message = results[1].as_ref().unwrap_err().to_string();
    assert!(
        message.starts_with("Dienst Uitvoering Onderwijs (DUO) did not answer in time"),
        "{message}"
    );
}

#[tokio::test]
async fn login_failures_and_mix_ups_are_refused() {
    let org = start_org(DemoOrg::Cjib).await;
    let identity = x25519::Identity::generate();
    let request = CitizenRequest::from_unlocked_identity(&identity);
    let (bsn, _) = demo_data::citizen(SEED, 0);
    let wrong_pin = DevLogin::new(bsn.to_string(), "00000");
    let results = fetch_all(
        &request,
        std::slice::from_ref(&org.descriptor),
        &wrong_pin,
        &options(),
        None,
    )
    .await;
    assert!(matches!(problem(&results[0]), Problem::LoginCancelled(_)));

    struct Tampered<F: Fn(&mut Callback) + Send + Sync>(DevLogin, F);
    impl<F: Fn(&mut Callback) + Send + Sync> LoginDriver for Tampered<F> {
        async fn login(
            &self,
            org: &OrganisationDescriptor,
            url: url::Url,
        ) -> Result<Callback, fetcher::login::LoginError> {
            let mut callback = self.0.login(org, url).await?;
            (self.1)(&mut callback);
            Ok(callback)
        }
    }
    let other_issuer = Tampered(citizen0(), |c: &mut Callback| {
        c.iss = Some("http://127.0.0.1:1".to_owned())
    });
    let results = fetch_all(
        &request,
        std::slice::from_ref(&org.descriptor),
        &other_issuer,
        &options(),
        None,
    )
    .await;
    assert!(matches!(problem(&results[0]), Problem::LoginMixUp(ref d) if d.contains("issuer")));
    let other_state = Tampered(citizen0(), |c: &mut Callback| c.state = Some("forged".to_owned()));
    let results = fetch_all(
        &request,
        std::slice::from_ref(&org.descriptor),
        &other_state,
        &options(),
        None,
    )
    .await;
    assert!(matches!(problem(&results[0]), Problem::LoginMixUp(ref d) if d.contains("state")));
    let no_iss = Tampered(citizen0(), |c: &mut Callback| c.iss = None);
    let results = fetch_all(
        &request,
        std::slice::from_ref(&org.descriptor),
        &no_iss,
        &options(),
        None,
    )
    .await;
    assert!(matches!(problem(&results[0]), Problem::LoginMixUp(_)));
}

#[tokio::test]
async fn served_keys_must_match_the_pinned_ones() {
    let org = start_org(DemoOrg::Cjib).await;
    let identity = x25519::Identity::generate();
    let request = CitizenRequest::from_unlocked_identity(&identity);
    let stranger = schemas::jws::Signer::new("cjib-key", ed25519_dalek::SigningKey::from_bytes(&[3u8; 32]));
    for (what, keys) in [
        ("same kid, another key", vec![stranger.public_jwk(None)]),
        (
            "a rotated kid",
            vec![schemas::jws::Jwk {
                kid: "old-key".to_owned(),
                ..org.descriptor.keys[0].clone()
            }],
        ),
        (
            "the key revoked in the scheme",
            vec![schemas::jws::Jwk {
                revoked: true,
                ..org.descriptor.keys[0].clone()
            }],
        ),
    ] {
        let pinned = OrganisationDescriptor {
            keys,
            ..org.descriptor.clone()
        };
        let results = fetch_all(&request, &[pinned], &citizen0(), &options(), None).await;
        assert_eq!(problem(&results[0]), Problem::KeysChanged, "{what}");
        assert!(
            results[0]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("update your scheme"),
            "{what}"
        );
    }
    assert_eq!(org.state.codes.lock().len(), 0, "no login was even started");
}

/// What the malicious claims endpoint does with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trick {
    OtherIssuer,
    Replay,
    OtherRecipient,
    Huge,
    FlippedSignature,
    InvalidDocument,
}

struct Malicious {
    trick: Mutex<Trick>,
    signer: schemas::jws::Signer,
    id: String,
    document: serde_json::Value,
    captured: Mutex<Option<Vec<u8>>>,
    swapped: Mutex<bool>,
}

async fn malicious_claims(State(state): State<Arc<Malicious>>, body: axum::body::Bytes) -> axum::response::Response {
    use axum::response::IntoResponse;
    let request: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let recipient: x25519::Recipient = request["recipient"].as_str().unwrap().parse().unwrap();
    let trick = *state.trick.lock().unwrap();
    let now = chrono::Utc::now().timestamp();
    let mut payload = serde_json::json!({"iss": state.id, "sub_hash": "x", "iat": now, "exp": now + 300, "nonce": request["nonce"], "recipient": recipient.to_string(), "document": state.document});
    match trick {
        Trick::OtherIssuer => payload["iss"] = serde_json::json!("00000001002345678000"),
        Trick::InvalidDocument => {
            payload["document"]["body"]["financiele_zaken"][0]["gebeurtenissen"][0]["bedrag"] = serde_json::json!(-5)
        }
        _ => {}
    }
    let other_org = schemas::jws::Signer::new("cjib-key", ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]));
    let signer = if *state.swapped.lock().unwrap() {
        &other_org
    } else {
        &state.signer
    };
    let mut jws = signer.sign_compact("betaalpod-claims+jwt", &serde_json::to_vec(&payload).unwrap());
    if trick == Trick::FlippedSignature {
        let mut parts: Vec<String> = jws.split('.').map(str::to_owned).collect();
        let mut sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&parts[2])
            .unwrap();
        sig[0] ^= 1;
        parts[2] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig);
        jws = parts.join(".");
    }
    let answer = match trick {
        Trick::OtherRecipient => age::encrypt(&x25519::Identity::generate().to_public(), jws.as_bytes()).unwrap(),
        Trick::Replay => {
            let mut captured = state.captured.lock().unwrap();
            let fresh = age::encrypt(&recipient, jws.as_bytes()).unwrap();
            captured.get_or_insert(fresh).clone()
        }
        Trick::Huge => {
            // 100 MiB, streamed: the fetcher must stop reading long before the end.
            let chunk = bytes::Bytes::from(vec![b'x'; 1024 * 1024]);
            let stream = futures_util::stream::iter((0..100).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
            return (axum::http::StatusCode::OK, axum::body::Body::from_stream(stream)).into_response();
        }
        _ => age::encrypt(&recipient, jws.as_bytes()).unwrap(),
    };
    (
        axum::http::StatusCode::OK,
        [("content-type", "application/age")],
        answer,
    )
        .into_response()
}

fn malicious_signer_swap(malicious: &Arc<Malicious>) {
    *malicious.captured.lock().unwrap() = None;
    *malicious.swapped.lock().unwrap() = true;
}

#[tokio::test]
async fn a_malicious_organisation_cannot_slip_anything_past() {
    let org = start_org(DemoOrg::Cjib).await;
    let (bsn, _) = demo_data::citizen(SEED, 0);
    let document = (*org.state.backend.document(&bsn).unwrap().unwrap()).clone();
    let signer = source::keys::load(&org.state.config.signing_key).unwrap();
    let malicious = Arc::new(Malicious {
        trick: Mutex::new(Trick::Replay),
        signer,
        id: org.descriptor.id.to_string(),
        document,
        captured: Mutex::new(None),
        swapped: Mutex::new(false),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route("/claims", post(malicious_claims))
        .with_state(malicious.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut descriptor = org.descriptor.clone();
    descriptor.claims_endpoint = format!("http://{address}/claims").parse().unwrap();

    let identity = x25519::Identity::generate();
    let request = CitizenRequest::from_unlocked_identity(&identity);
    let run = |trick: Trick| {
        *malicious.trick.lock().unwrap() = trick;
        let descriptor = descriptor.clone();
        let request = &request;
        async move {
            fetch_all(request, &[descriptor], &citizen0(), &options(), None)
                .await
                .remove(0)
        }
    };
    // The first replay-mode answer is fresh and accepted; the second is the same file again.
    assert!(run(Trick::Replay).await.is_ok());
    assert!(matches!(problem(&run(Trick::Replay).await), Problem::Replayed(ref d) if d.contains("nonce")));
    assert_eq!(
        problem(&run(Trick::OtherIssuer).await),
        Problem::WrongIssuer("00000001002345678000".to_owned())
    );
    assert_eq!(problem(&run(Trick::OtherRecipient).await), Problem::NotForThisPod);
    assert_eq!(problem(&run(Trick::Huge).await), Problem::TooLarge);
    assert_eq!(problem(&run(Trick::FlippedSignature).await), Problem::BadSignature);
    match problem(&run(Trick::InvalidDocument).await) {
        Problem::InvalidDocument { path, problem } => {
            assert_eq!(path, "$.body.financiele_zaken[0].gebeurtenissen[0].bedrag");
            assert!(problem.contains("positive"));
        }
        other => panic!("expected InvalidDocument, got {other:?}"),
    }
    // Signed with a key that is not the pinned one (another organisation's), though the JWKS matches.
    malicious_signer_swap(&malicious);
    assert_eq!(problem(&run(Trick::Replay).await), Problem::BadSignature);
}

/// A login page that never ends is refused at its size limit, with a message that says so; the
/// test driver never holds more of it than the limit.
#[tokio::test]
async fn an_endless_login_page_is_refused_at_its_limit() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url: url::Url = format!("http://{}/oauth/authorize?state=x", listener.local_addr().unwrap()).parse().unwrap();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 4096];
        let _ = socket.read(&mut request).await;
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<form action=\"/x\">")
            .await
            .unwrap();
        let chunk = vec![b'a'; 64 * 1024];
        let mut sent = 0usize;
        while socket.write_all(&chunk).await.is_ok() {
            sent += chunk.len();
        }
        sent
    });
    let error = DevLogin::new("123456782", "12345").follow(url).await.unwrap_err();
    assert_eq!(
        error,
        fetcher::login::LoginError::Unreachable(format!(
            "the login page could not be read: the login page is larger than {} bytes",
            fetcher::login::MAX_LOGIN_PAGE_BYTES
        ))
    );
    let sent = server.await.unwrap();
    assert!(sent >= fetcher::login::MAX_LOGIN_PAGE_BYTES, "the server kept sending: {sent}");
}
