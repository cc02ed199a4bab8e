//! Raw HTTP: the requests the harness asserts on, exactly as sent and received, and each as a `curl` command.
//!
//! Every response a ledger entry is checked against is read here, raw (status, headers, bytes), never through the
//! typed client: progenitor loses the status when a body does not match its schema. Requests go through reqwest,
//! except one that must carry no `Accept` header at all, which reqwest would add (`*/*`): that one is written to a
//! TCP socket by hand.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A request as the harness means to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path and query, e.g. `/agents/KARN0762398/invitations`.
    pub path: String,
    /// Header names and values, in order. Without an `Accept` header here, none is sent.
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn new(method: &str, path: impl Into<String>) -> Self {
        Self {
            method: method.to_owned(),
            path: path.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sets (replaces) a header.
    pub fn set_header(mut self, name: &str, value: Option<String>) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if let Some(value) = value {
            self.headers.push((name.to_owned(), value));
        }
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.set_header("Authorization", Some(format!("Bearer {token}")))
    }

    /// A JSON body (`Content-Type: application/json`).
    pub fn json(self, body: &Value) -> Self {
        self.bytes(serde_json::to_vec(body).unwrap_or_default())
    }

    /// A body of exactly these bytes, declared as JSON.
    pub fn bytes(mut self, body: Vec<u8>) -> Self {
        self = self.set_header("Content-Type", Some("application/json".into()));
        self.body = Some(body);
        self
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response, raw.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request and its answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub base_url: String,
    pub request: Request,
    pub response: Response,
}

impl Exchange {
    pub fn status(&self) -> u16 {
        self.response.status
    }

    pub fn json(&self) -> Option<Value> {
        self.response.json()
    }

    /// The `code` of a `{code, message}` body, if it has one.
    pub fn code(&self) -> Option<String> {
        self.json()
            .and_then(|body| body.get("code").and_then(Value::as_str).map(str::to_owned))
    }

    pub fn curl(&self) -> String {
        curl(&self.base_url, &self.request)
    }

    /// `POST /path → 403 {"code":...}`, shortened, for messages.
    pub fn summary(&self) -> String {
        let mut body = self.response.text();
        if body.len() > 300 {
            let mut end = 300;
            while !body.is_char_boundary(end) {
                end -= 1;
            }
            body.truncate(end);
            body.push('…');
        }
        format!(
            "{} {} → {} {}",
            self.request.method, self.request.path, self.response.status, body
        )
    }
}

/// The request as a shell command that repeats it.
pub fn curl(base_url: &str, request: &Request) -> String {
    let mut out = format!(
        "curl -i -X {} {}",
        request.method,
        shell_quote(&format!("{base_url}{}", request.path))
    );
    if request.header_value("Accept").is_none() {
        // curl sends `Accept: */*` unless told not to.
        out.push_str(" -H 'Accept:'");
    }
    for (name, value) in &request.headers {
        let _ = write!(out, " -H {}", shell_quote(&format!("{name}: {value}")));
    }
    if let Some(body) = &request.body {
        let text = String::from_utf8_lossy(body);
        let _ = write!(out, " --data-binary {}", shell_quote(&text));
    }
    out
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Sends raw requests to one server.
#[derive(Clone)]
pub struct Http {
    pub base_url: String,
    client: reqwest::Client,
}

const TIMEOUT: Duration = Duration::from_secs(30);

impl Http {
    pub fn new(base_url: &str) -> Result<Self> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .pool_max_idle_per_host(64)
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            client,
        })
    }

    /// The reqwest client (shared with the typed clients).
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }

    pub async fn send(&self, request: Request) -> Result<Exchange> {
        let response = if request.header_value("Accept").is_none() {
            self.send_by_hand(&request).await
        } else {
            self.send_with_reqwest(&request).await
        }
        .with_context(|| {
            format!(
                "{} {}{} failed",
                request.method, self.base_url, request.path
            )
        })?;
        Ok(Exchange {
            base_url: self.base_url.clone(),
            request,
            response,
        })
    }

    async fn send_with_reqwest(&self, request: &Request) -> Result<Response> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())?;
        let mut builder = self
            .client
            .request(method, format!("{}{}", self.base_url, request.path));
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let response = builder.send().await?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response.bytes().await?.to_vec();
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// HTTP/1.1 over a fresh TCP connection, `Connection: close`, so that nothing is added to the request.
    async fn send_by_hand(&self, request: &Request) -> Result<Response> {
        let (address, head) = self.head_by_hand(request, None)?;
        let body = request.body.clone().unwrap_or_default();
        let exchange = async {
            let mut stream = tokio::net::TcpStream::connect(&address).await?;
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body).await?;
            let mut bytes = Vec::new();
            stream.read_to_end(&mut bytes).await?;
            anyhow::Ok(bytes)
        };
        let bytes = tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| anyhow!("timed out"))??;
        parse_response(&bytes)
    }

    /// The address to connect to and the head of `request` written by hand; `Content-Length` is `length` when
    /// given, else the body's.
    fn head_by_hand(&self, request: &Request, length: Option<usize>) -> Result<(String, String)> {
        let authority = self.base_url.strip_prefix("http://").ok_or_else(|| {
            anyhow!("a request written by hand (no Accept header, a body that stalls) needs a plain http:// base URL")
        })?;
        let (authority, prefix) = match authority.find('/') {
            Some(at) => (&authority[..at], &authority[at..]),
            None => (authority, ""),
        };
        let address = if authority.contains(':') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let mut head = format!(
            "{} {prefix}{} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n",
            request.method, request.path
        );
        for (name, value) in &request.headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        let body_length = request.body.as_ref().map_or(0, Vec::len);
        if request.body.is_some() || matches!(request.method.as_str(), "POST" | "PUT" | "PATCH") {
            let _ = write!(
                head,
                "Content-Length: {}\r\n",
                length.unwrap_or(body_length)
            );
        }
        head.push_str("\r\n");
        Ok((address, head))
    }

    /// Sends `request` announcing its whole body but writing only its first `sent` bytes, then waits (at most
    /// `wait`) for the server to answer and close the connection. Answers the response, or `None` when the
    /// connection was still open after `wait`.
    pub async fn send_stalled(
        &self,
        request: &Request,
        sent: usize,
        wait: Duration,
    ) -> Result<Option<Response>> {
        let body = request.body.clone().unwrap_or_default();
        let (address, head) = self.head_by_hand(request, Some(body.len()))?;
        let mut stream = tokio::net::TcpStream::connect(&address).await?;
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body[..sent.min(body.len())]).await?;
        let mut bytes = Vec::new();
        match tokio::time::timeout(wait, stream.read_to_end(&mut bytes)).await {
            Ok(read) => {
                read?;
                parse_response(&bytes).map(Some)
            }
            Err(_) => Ok(None),
        }
    }
}

/// Parses an HTTP/1.1 response read to the end of the connection.
fn parse_response(bytes: &[u8]) -> Result<Response> {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| anyhow!("no end of headers in the answer"))?;
    let head = String::from_utf8_lossy(&bytes[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let mut body = bytes[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        body = dechunk(&body)?;
    } else if let Some(length) = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        body.truncate(length);
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = bytes
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| anyhow!("bad chunk"))?;
        let size_text = String::from_utf8_lossy(&bytes[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)?;
        bytes = &bytes[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if bytes.len() < size + 2 {
            bail!("truncated chunk");
        }
        out.extend_from_slice(&bytes[..size]);
        bytes = &bytes[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_repeats_the_request_exactly() {
        let request = Request::new("POST", "/agents/X/invitations")
            .header("Accept", "application/vnd.hmrc.2.0+json")
            .bytes(b"{\"a\":\"it's\"}".to_vec());
        assert_eq!(
            curl("http://127.0.0.1:1", &request),
            "curl -i -X POST 'http://127.0.0.1:1/agents/X/invitations' -H 'Accept: application/vnd.hmrc.2.0+json' \
             -H 'Content-Type: application/json' --data-binary '{\"a\":\"it'\\''s\"}'"
        );
        let bare = Request::new("GET", "/x");
        assert_eq!(
            curl("http://h", &bare),
            "curl -i -X GET 'http://h/x' -H 'Accept:'"
        );
    }

    #[test]
    fn parses_plain_and_chunked_answers() {
        let plain =
            parse_response(b"HTTP/1.1 406 Not Acceptable\r\nContent-Length: 2\r\nX: y\r\n\r\n{}")
                .unwrap();
        assert_eq!(
            (plain.status, plain.body.as_slice(), plain.header("x")),
            (406, &b"{}"[..], Some("y"))
        );
        let chunked = parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n1\r\n \r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(chunked.body, b"{} ");
    }
}
