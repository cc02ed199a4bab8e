//! Requests as raw bytes over TCP, for what reqwest will not send: no `Accept` header at all (reqwest adds
//! `Accept: */*`), non-UTF-8 header values, odd paths.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Builds an HTTP/1.1 request: the request line, `Host`, `Connection: close`, the headers given, a
/// `Content-Length` when there is a body, and the body.
pub fn request(
    method: &str,
    path: &str,
    headers: &[(&str, &[u8])],
    body: Option<&[u8]>,
) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n").as_bytes(),
    );
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    if let Some(body) = body {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    if let Some(body) = body {
        out.extend_from_slice(body);
    }
    out
}

/// Sends the bytes and reads the whole answer (the request says `Connection: close`).
pub async fn send(addr: SocketAddr, request: Vec<u8>) -> RawResponse {
    let (response, bytes) = exchange(addr, request).await;
    response.unwrap_or_else(|| {
        panic!(
            "not an HTTP response from {addr}: {:?}",
            String::from_utf8_lossy(&bytes)
        )
    })
}

/// Like [`send`], but the server may also close the connection without a (parseable) answer: `None`.
pub async fn try_send(addr: SocketAddr, request: Vec<u8>) -> Option<RawResponse> {
    exchange(addr, request).await.0
}

async fn exchange(addr: SocketAddr, request: Vec<u8>) -> (Option<RawResponse>, Vec<u8>) {
    tokio::task::spawn_blocking(move || {
        let bytes = exchange_blocking(addr, &request);
        (parse(&bytes), bytes)
    })
    .await
    .expect("the raw request thread panicked")
}

fn exchange_blocking(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream =
        TcpStream::connect(addr).unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("set a read timeout");
    // The server may answer (and close) before reading everything, e.g. a body over the limit: write what it takes.
    let _ = stream.write_all(request);
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
            Err(_) => break,
        }
    }
    bytes
}

fn parse(bytes: &[u8]) -> Option<RawResponse> {
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let rest = &bytes[head_end + 4..];
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Some(RawResponse { status, body })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}
