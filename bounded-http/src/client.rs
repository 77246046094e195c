//! The client half: reading answers from servers Betaalpod does not trust.

use std::time::Duration;

/// How long a client keeps an idle connection for reuse: under the 10 s in which a Betaalpod
/// server closes one that sends no request (`server::ServerLimits::header_read_timeout`), so a
/// client never sends a request down a connection the server is closing at that moment.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an answer could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The server could not be reached, or the answer broke off.
    #[error("{0}")]
    Network(String),
    /// The exchange did not finish before the deadline.
    #[error("no answer in time")]
    Timeout,
    /// The answer is larger than it may be.
    #[error("{what} is larger than {limit} bytes")]
    TooLarge {
        /// What the answer is.
        what: String,
        /// The most bytes it may have.
        limit: usize,
    },
}

/// An error and every error under it, joined by ": ", because the oauth2 crate's own message
/// ("Request failed") hides what happened.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let part = inner.to_string();
        if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = inner.source();
    }
    text
}

/// A key list (JWKS) or a descriptor: a few keys and addresses.
pub const MAX_KEYS_BYTES: usize = 64 * 1024;
/// A signed receipt or status.
pub const MAX_SIGNED_BYTES: usize = 64 * 1024;
/// A token answer.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Of an error answer only this much is read, for the message.
pub const MAX_ERROR_BYTES: usize = 4 * 1024;

/// What was asked, for the message when the answer is too large.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    /// What the answer is, in the words of the error ("the key list (JWKS)").
    pub what: &'static str,
    /// The most bytes it may have.
    pub bytes: usize,
}

/// An answer read within its limits.
pub struct Answer {
    /// The HTTP status.
    pub status: reqwest::StatusCode,
    /// The body: whole for a success, at most [`MAX_ERROR_BYTES`] for an error.
    pub body: Vec<u8>,
}

impl Answer {
    /// The start of an error answer's body, as text for a message.
    pub fn detail(&self) -> String {
        String::from_utf8_lossy(&self.body).chars().take(200).collect()
    }
}

/// Sends `request` and reads its answer, all within `deadline`. A successful answer larger than
/// `limit` is refused as soon as it is known to be (from its `Content-Length`, or while reading);
/// an error answer is cut at [`MAX_ERROR_BYTES`].
pub async fn exchange(request: reqwest::RequestBuilder, limit: Limit, deadline: Duration) -> Result<Answer, ReadError> {
    tokio::time::timeout(deadline, async {
        let response = request.send().await.map_err(|e| match e.is_timeout() {
            true => ReadError::Timeout,
            false => ReadError::Network(error_chain(&e)),
        })?;
        read(response, limit).await
    })
    .await
    .map_err(|_| ReadError::Timeout)?
}

/// Reads a response's body within `limit` (see [`exchange`]); the caller bounds the time.
pub async fn read(mut response: reqwest::Response, limit: Limit) -> Result<Answer, ReadError> {
    let status = response.status();
    let cap = if status.is_success() { limit.bytes } else { MAX_ERROR_BYTES };
    if status.is_success() && response.content_length().is_some_and(|len| len > limit.bytes as u64) {
        return Err(too_large(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(broke_off)? {
        if body.len() + chunk.len() > cap {
            if !status.is_success() {
                body.extend_from_slice(&chunk[..cap - body.len()]);
                break;
            }
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer { status, body })
}

/// A body that stopped before its end: the client's own deadline, or the connection.
fn broke_off(error: reqwest::Error) -> ReadError {
    if error.is_timeout() {
        return ReadError::Timeout;
    }
    ReadError::Network(format!("the answer broke off: {}", error_chain(&error)))
}

fn too_large(limit: Limit) -> ReadError {
    ReadError::TooLarge {
        what: limit.what.to_owned(),
        limit: limit.bytes,
    }
}

/// The oauth2 crate's HTTP client for a token request, with the same limits: an answer of at most
/// [`MAX_TOKEN_BYTES`]. The client's own policy (redirects) holds; the caller bounds the time of
/// the whole exchange.
pub struct TokenHttp<'a>(pub &'a reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for TokenHttp<'_> {
    type Error = oauth2::HttpClientError<reqwest::Error>;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let response = self
                .0
                .execute(request.try_into().map_err(Box::new)?)
                .await
                .map_err(Box::new)?;
            let mut builder = oauth2::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let limit = Limit {
                what: "the token answer",
                bytes: MAX_TOKEN_BYTES,
            };
            let answer = read(response, limit)
                .await
                .map_err(|e| oauth2::HttpClientError::Other(e.to_string()))?;
            builder.body(answer.body).map_err(oauth2::HttpClientError::Http)
        })
    }
}
