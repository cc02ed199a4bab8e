//! A broken rule of the contract the proxy saw in one exchange, and the one line it prints for it.
//!
//! The line format (one line per violation, printed as it happens):
//!
//! ```text
//! VIOLATION <operation> <request|response> <location>: <what is wrong> | <offending request or response>
//! ```
//!
//! - `<operation>`: the operationId, or `-` when the request names no documented operation;
//! - `<location>`: a JSON pointer into the body (`/clientId`; `/` for the body as a whole), or `header:<Name>`,
//!   `query:<name>`, `path:<name>`, `status`, or `route`;
//! - the offending request is a `curl` command through the proxy, the offending response `<status> <body>`;
//!   `Authorization` values are redacted, bodies are cut at 2,000 characters, and line breaks are written `\n`.

use std::fmt::Write as _;

use http::HeaderMap;
use serde::Serialize;

/// Which half of the exchange breaks the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Request,
    Response,
}

impl Side {
    fn as_str(self) -> &'static str {
        match self {
            Side::Request => "request",
            Side::Response => "response",
        }
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub side: Side,
    /// Where: a JSON pointer into the body, or `header:Name`, `query:name`, `path:name`, `status`, `route`.
    pub location: String,
    pub message: String,
}

impl Violation {
    pub fn request(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            side: Side::Request,
            location: location.into(),
            message: message.into(),
        }
    }

    pub fn response(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            side: Side::Response,
            location: location.into(),
            message: message.into(),
        }
    }

    /// The schema validator's `"<pointer>: <message>"`, as a violation at that pointer.
    pub fn from_schema(side: Side, error: &str) -> Self {
        let (location, message) = error.split_once(": ").unwrap_or(("/", error));
        Self {
            side,
            location: location.to_owned(),
            message: message.to_owned(),
        }
    }

    /// The printed line; `offending` is the request's curl command or the response's status and body.
    pub fn line(&self, operation: &str, offending: &str) -> String {
        let line = format!(
            "VIOLATION {operation} {} {}: {} | {offending}",
            self.side.as_str(),
            self.location,
            self.message
        );
        line.replace('\r', "\\r").replace('\n', "\\n")
    }
}

/// The most of a body a line or a report shows.
const SHOWN: usize = 2_000;

/// `text` cut at [`SHOWN`] characters (at a character boundary), marked when cut.
pub fn shortened(text: &str) -> String {
    if text.len() <= SHOWN {
        return text.to_owned();
    }
    let mut end = SHOWN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}

/// The request as a `curl` command against `base_url` (the proxy), `Authorization` redacted.
pub fn curl(
    base_url: &str,
    method: &str,
    target: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> String {
    let mut request = crate::http::Request::new(method, target);
    // curl sets these itself.
    let framing = [
        "host",
        "content-length",
        "connection",
        "transfer-encoding",
        "keep-alive",
    ];
    for (name, value) in headers
        .iter()
        .filter(|(n, _)| !framing.contains(&n.as_str()))
    {
        let value = String::from_utf8_lossy(value.as_bytes());
        let value = if name == http::header::AUTHORIZATION {
            redact(&value)
        } else {
            value.into_owned()
        };
        request = request.header(name.as_str(), value);
    }
    if !body.is_empty() {
        request.body = Some(shortened(&String::from_utf8_lossy(body)).into_bytes());
    }
    crate::http::curl(base_url, &request)
}

/// An `Authorization` value with its credentials hidden: the scheme stays (`Bearer <redacted>`).
pub fn redact(value: &str) -> String {
    match value.trim().split_once(' ') {
        Some((scheme, _)) => format!("{scheme} <redacted>"),
        None => "<redacted>".to_owned(),
    }
}

/// A response as a line shows it: `<status> <body>`.
pub fn response_text(status: u16, body: &[u8]) -> String {
    let mut out = status.to_string();
    if !body.is_empty() {
        let _ = write!(out, " {}", shortened(&String::from_utf8_lossy(body)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_the_operation_the_place_and_the_exchange_on_one_line() {
        let violation =
            Violation::from_schema(Side::Request, "/clientType: expected string, found number");
        assert_eq!(
            violation.line("create_invitation", "curl -X POST 'x' --data-binary '{\n}'"),
            "VIOLATION create_invitation request /clientType: expected string, found number | curl -X POST 'x' \
             --data-binary '{\\n}'"
        );
    }

    #[test]
    fn curl_hides_the_token_but_keeps_the_scheme() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer secret-token".parse().unwrap());
        headers.insert("accept", "application/vnd.hmrc.2.0+json".parse().unwrap());
        headers.insert("host", "127.0.0.1:1".parse().unwrap());
        let curl = curl(
            "http://127.0.0.1:1",
            "GET",
            "/agents/A/invitations",
            &headers,
            b"",
        );
        assert_eq!(
            curl,
            "curl -i -X GET 'http://127.0.0.1:1/agents/A/invitations' -H 'authorization: Bearer <redacted>' \
             -H 'accept: application/vnd.hmrc.2.0+json'"
        );
        assert!(!curl.contains("secret"));
        assert_eq!(redact("secret"), "<redacted>");
    }

    #[test]
    fn long_bodies_are_cut() {
        let body = "x".repeat(5_000);
        let text = response_text(200, body.as_bytes());
        assert!(
            text.starts_with("200 xxx") && text.ends_with("… (5000 bytes)"),
            "{text}"
        );
    }
}
