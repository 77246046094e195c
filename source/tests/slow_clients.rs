//! Clients that hold connections open without finishing a request (slowloris): some say nothing
//! after connecting, some drip their request headers a byte at a time. `source` closes each once
//! its header deadline has passed, serves everyone else meanwhile, and is whole afterwards. A
//! broken or half-sent request never reaches a handler.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the server did with a slow connection: the bytes it answered before closing, how many
/// request bytes the client had sent by then, and how long the connection lasted.
struct Closed {
    answer: Vec<u8>,
    sent: usize,
    lasted: Duration,
}

/// Connects, then sends `request` one byte every `gap` (or nothing, for an empty request), until
/// the server closes the connection.
async fn slow_client(addr: std::net::SocketAddr, request: &'static [u8], gap: Duration) -> Closed {
    let started = Instant::now();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = stream.split();
    let mut answer = Vec::new();
    let mut sent = 0;
    let dripping = async {
        for byte in request {
            if write.write_all(std::slice::from_ref(byte)).await.is_err() {
                break;
            }
            sent += 1;
            tokio::time::sleep(gap).await;
        }
        std::future::pending::<()>().await
    };
    let reading = async {
        let mut buffer = [0u8; 1024];
        loop {
            match read.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    };
    tokio::select! {
        () = dripping => unreachable!("dripping never ends by itself"),
        () = reading => {}
    }
    Closed {
        answer,
        sent,
        lasted: started.elapsed(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_and_others_are_served() {
    let server = TestServer::start_with(
        "00000001001234567000",
        "[connections]\nheader_read_timeout_secs = 1\nmax_connections = 64\n",
    )
    .await;
    let addr: std::net::SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    const REQUEST: &[u8] = b"GET /.well-known/oauth-authorization-server HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n";

    // 40 slow clients (of 64 connections): 20 silent, 20 dripping a byte every 200 ms, which
    // would take 15 s to send the whole request.
    let mut slow = Vec::new();
    for n in 0..40 {
        let request: &'static [u8] = if n % 2 == 0 { b"" } else { REQUEST };
        slow.push(tokio::spawn(slow_client(addr, request, Duration::from_millis(200))));
    }
    // Meanwhile everyone else is served.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..20 {
        let answer = server.http.get(format!("{}/jwks.json", server.url)).send().await.unwrap();
        assert_eq!(answer.status(), 200);
    }

    for (n, client) in slow.into_iter().enumerate() {
        let closed = tokio::time::timeout(Duration::from_secs(60), client)
            .await
            .unwrap_or_else(|_| panic!("slow client {n} was never cut off"))
            .unwrap();
        let answer = String::from_utf8_lossy(&closed.answer);
        assert!(!answer.starts_with("HTTP/1.1 200"), "slow client {n} got an answer: {answer}");
        assert!(closed.lasted >= Duration::from_secs(1), "client {n} was cut off before its deadline: {:?}", closed.lasted);
        if n % 2 == 1 {
            assert!(closed.sent < REQUEST.len(), "client {n} sent its whole request ({} bytes)", closed.sent);
        }
    }

    // And afterwards every connection slot is free again: 64 clients at once are all served.
    let mut many = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let request = reqwest::Client::new().get(format!("{}/.well-known/oauth-authorization-server", server.url));
        many.spawn(async move { request.send().await.map(|answer| answer.status()) });
    }
    while let Some(status) = many.join_next().await {
        assert_eq!(status.unwrap().unwrap(), 200);
    }
}
