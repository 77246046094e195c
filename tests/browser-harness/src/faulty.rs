//! Servers that answer badly, for the tests of what the pod and `source` do with them: raw TCP on
//! loopback, so nothing between the fault and the code under test smooths it over.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads one HTTP request, headers and a `Content-Length` body, so that an answer is never a reset
/// of an unread request. Returns its path.
pub async fn read_request(stream: &mut TcpStream) -> String {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&buffer);
    text.split_whitespace().nth(1).unwrap_or("/").to_owned()
}

/// A 200 with `body`.
pub async fn ok(stream: &mut TcpStream, content_type: &str, body: &[u8]) {
    let head = format!("HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n", body.len());
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
}

/// A 200 whose chunked body never ends (until the reader hangs up).
pub async fn endless(stream: &mut TcpStream) {
    let _ = stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
        .await;
    let chunk = format!("{:x}\r\n{}\r\n", 16 * 1024, " ".repeat(16 * 1024));
    while stream.write_all(chunk.as_bytes()).await.is_ok() {}
}

/// A 200 that promises `len` bytes and sends them one per second.
pub async fn drip(stream: &mut TcpStream, len: usize) {
    let _ = stream
        .write_all(format!("HTTP/1.1 200 OK\r\ncontent-length: {len}\r\n\r\n").as_bytes())
        .await;
    for _ in 0..len {
        if stream.write_all(b" ").await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// A 200 that promises 10,000 bytes, sends 100 and resets the connection.
pub async fn reset_mid_body(stream: TcpStream) {
    let mut stream = stream;
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10000\r\n\r\n").await;
    let _ = stream.write_all(&[b'a'; 100]).await;
    let _ = stream.flush().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Closing with linger 0 sends a reset instead of a clean end.
    let _ = stream.set_zero_linger();
    drop(stream);
}
