//! Forwarding: one pooled HTTP/1.1 client for the proxy's whole life, bodies read as streams against a cap, a
//! timeout on every upstream exchange, and the proxy's own `{code, message}` answers when it cannot forward.
//!
//! Requests are forwarded as received except for what belongs to one connection (hop-by-hop headers) and `Host`,
//! which names the upstream (as reverse proxies do, so that name-based virtual hosts work). A response body up to
//! the cap is read whole, so that it can be checked before the client sees it; a larger one is streamed on
//! unchecked.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::{Result, bail};
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Either, Full};
use hyper::body::{Frame, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

/// The body of every answer the proxy sends: whole, or a checked prefix followed by the rest as it streams.
pub type Body = Either<Full<Bytes>, Streamed>;

/// Why the proxy answers a request itself.
#[derive(Debug)]
pub enum ProxyError {
    /// The request body is larger than `--max-body-bytes`.
    BodyTooLarge { limit: usize },
    /// The request could not be read (bad framing, a connection cut mid-body).
    MalformedRequest(String),
    /// The upstream could not be reached or broke off.
    UpstreamUnavailable(String),
    /// The upstream did not answer within `--upstream-timeout`.
    UpstreamTimeout(Duration),
}

impl ProxyError {
    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ProxyError::MalformedRequest(_) => StatusCode::BAD_REQUEST,
            ProxyError::UpstreamUnavailable(_) => StatusCode::BAD_GATEWAY,
            ProxyError::UpstreamTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ProxyError::BodyTooLarge { .. } => "REQUEST_BODY_TOO_LARGE",
            ProxyError::MalformedRequest(_) => "MALFORMED_REQUEST",
            ProxyError::UpstreamUnavailable(_) => "UPSTREAM_UNAVAILABLE",
            ProxyError::UpstreamTimeout(_) => "UPSTREAM_TIMEOUT",
        }
    }

    pub fn message(&self) -> String {
        match self {
            ProxyError::BodyTooLarge { limit } => {
                format!("The request body is larger than the proxy's limit of {limit} bytes.")
            }
            ProxyError::MalformedRequest(why) => format!("The request could not be read: {why}."),
            ProxyError::UpstreamUnavailable(why) => {
                format!("The upstream server could not be reached: {why}.")
            }
            ProxyError::UpstreamTimeout(after) => format!(
                "The upstream server did not answer within {:.1} s.",
                after.as_secs_f64()
            ),
        }
    }

    /// The proxy's answer: `{code, message}`; the connection is closed after a body too large (its rest unread).
    pub fn response(&self) -> Response<Body> {
        let mut response = json_response(
            self.status(),
            &json!({"code": self.code(), "message": self.message()}),
        );
        if matches!(
            self,
            ProxyError::BodyTooLarge { .. } | ProxyError::MalformedRequest(_)
        ) {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// A JSON answer of the proxy's own.
pub fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    let bytes = Bytes::from(serde_json::to_vec(body).unwrap_or_default());
    let mut response = Response::new(Either::Left(Full::new(bytes)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A body the proxy has read: all of it, or the first `cap` bytes and the rest still to come.
pub struct Read {
    pub bytes: Bytes,
    pub rest: Option<Incoming>,
}

/// Reads a body until its end or past `cap` bytes.
async fn read_capped(mut body: Incoming, cap: usize) -> Result<Read, hyper::Error> {
    let mut bytes = BytesMut::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            bytes.extend_from_slice(&data);
            if bytes.len() > cap {
                return Ok(Read {
                    bytes: bytes.freeze(),
                    rest: Some(body),
                });
            }
        }
    }
    Ok(Read {
        bytes: bytes.freeze(),
        rest: None,
    })
}

/// How much more of a body over the cap is read and dropped before answering 413, so that a client still sending
/// it reads the answer instead of a reset connection.
const DRAIN: usize = 16 << 20;

/// The request body, whole, or the reason the proxy refuses it.
pub async fn request_body(
    body: Incoming,
    headers: &HeaderMap,
    cap: usize,
) -> Result<Bytes, ProxyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = ProxyError::BodyTooLarge { limit: cap };
    if declared.is_some_and(|length| length > cap as u64) {
        // Refused before a byte is read; a client waiting for 100-continue never sends it.
        if !headers.contains_key(header::EXPECT) {
            let _ = tokio::time::timeout(Duration::from_secs(2), read_capped(body, DRAIN)).await;
        }
        return Err(too_large);
    }
    let read = read_capped(body, cap)
        .await
        .map_err(|error| ProxyError::MalformedRequest(error.to_string()))?;
    match read.rest {
        None => Ok(read.bytes),
        Some(rest) => {
            let _ = tokio::time::timeout(Duration::from_secs(2), read_capped(rest, DRAIN)).await;
            Err(too_large)
        }
    }
}

/// The upstream's answer, its body read up to the cap.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Read,
}

/// The upstream server.
#[derive(Clone)]
pub struct Upstream {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    timeout: Duration,
    cap: usize,
}

/// Headers that belong to one connection, never forwarded.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
];

impl Upstream {
    /// `url`: `http://host:port`, optionally with a base path.
    pub fn new(url: &str, timeout: Duration, cap: usize) -> Result<Self> {
        let base = url.trim().trim_end_matches('/').to_owned();
        if !base.starts_with("http://") {
            bail!("the upstream must be an http:// URL (got {url:?})");
        }
        base.parse::<http::Uri>()
            .map_err(|error| anyhow::anyhow!("the upstream {url:?} is not a URL: {error}"))?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(64)
            .build(connector);
        Ok(Self {
            client,
            base,
            timeout,
            cap,
        })
    }

    /// Sends the request on and reads the answer (its body up to the cap), within the timeout.
    pub async fn send(
        &self,
        parts: &http::request::Parts,
        body: Bytes,
    ) -> Result<Answer, ProxyError> {
        let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let uri: http::Uri = format!("{}{target}", self.base)
            .parse()
            .map_err(|error| ProxyError::MalformedRequest(format!("{error}")))?;
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = parts.method.clone();
        *request.uri_mut() = uri;
        *request.headers_mut() = end_to_end(&parts.headers);
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|error| ProxyError::UpstreamUnavailable(describe(&error)))?;
            let (parts, body) = response.into_parts();
            let body = read_capped(body, self.cap)
                .await
                .map_err(|error| ProxyError::UpstreamUnavailable(error.to_string()))?;
            Ok(Answer {
                status: parts.status,
                headers: end_to_end(&parts.headers),
                body,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| ProxyError::UpstreamTimeout(self.timeout))?
    }
}

/// The error and its causes, on one line.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `headers` without the hop-by-hop ones (and those the `Connection` header names).
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    let mut out = headers.clone();
    for name in HOP_BY_HOP
        .iter()
        .copied()
        .chain(named.iter().map(String::as_str))
    {
        out.remove(name);
    }
    out
}

/// A body already partly read: the bytes read first, then the rest as it arrives.
pub struct Streamed {
    prefix: Option<Bytes>,
    rest: Incoming,
}

impl Streamed {
    pub fn new(prefix: Bytes, rest: Incoming) -> Self {
        Self {
            prefix: Some(prefix),
            rest,
        }
    }
}

impl hyper::body::Body for Streamed {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        if let Some(prefix) = this.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        Pin::new(&mut this.rest).poll_frame(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_stay_behind() {
        let mut headers = HeaderMap::new();
        headers.insert("connection", "keep-alive, x-private".parse().unwrap());
        headers.insert("x-private", "1".parse().unwrap());
        headers.insert("transfer-encoding", "chunked".parse().unwrap());
        headers.insert("host", "proxy:1".parse().unwrap());
        headers.insert("authorization", "Bearer t".parse().unwrap());
        let kept = end_to_end(&headers);
        let names: Vec<&str> = kept.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["authorization"]);
    }

    #[test]
    fn only_plain_http_upstreams_are_taken() {
        assert!(Upstream::new("https://example.com", Duration::from_secs(1), 1).is_err());
        assert!(Upstream::new("http://127.0.0.1:1/", Duration::from_secs(1), 1).is_ok());
    }

    #[test]
    fn the_proxys_own_answers_are_code_and_message() {
        let error = ProxyError::UpstreamTimeout(Duration::from_millis(1500));
        assert_eq!(
            (error.status().as_u16(), error.code()),
            (504, "UPSTREAM_TIMEOUT")
        );
        assert_eq!(
            error.message(),
            "The upstream server did not answer within 1.5 s."
        );
    }
}
