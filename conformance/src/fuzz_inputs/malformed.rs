//! Malformed input (docs/domain.md §9, R-ERROR-MALFORMED): `null` fields, data after the JSON value, NUL bytes
//! and other control characters in the body's strings and in path segments, escapes that are not
//! percent-encoding or do not decode to UTF-8, and bodies declared as another content type. A case carries at
//! most one of these; it is applied to the request as built, and the oracle judges the request as sent (its
//! bytes, its path, its headers), so a mutation that changes nothing (a `null` for a body that is not an
//! object) is judged as what it is.

use proptest::prelude::*;
use serde_json::Value;

use super::Op;
use crate::http::Request;

/// One way a case's request is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    /// `null` for the body's field number N (counted modulo the fields and one more, which adds a field).
    Null(usize),
    /// This text after the body's JSON value (whitespace alone is allowed there).
    Trailing(&'static str),
    /// This character put into the middle of the body's string number N (fields and list items alike), escaped
    /// as JSON escapes it (`\u0000` for NUL).
    InString(usize, char),
    /// This character, unescaped, inside the body's first string: below U+0020 that is not JSON.
    RawInString(char),
    /// This character put into the middle of a path segment (percent-encoded, as `%00` for NUL).
    InSegment(Segment, char),
    /// This text after a path segment's percent-encoding: a malformed escape (`%zz`, `%4`) or one that does not
    /// decode to UTF-8 (`%FF`).
    Escape(Segment, &'static str),
    /// This `Content-Type` instead of `application/json` (some variants of JSON's own name included).
    ContentType(&'static str),
}

/// The path segments a case can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    Arn,
    Id,
}

/// NUL first, so that a failing case shrinks toward it.
const CONTROLS: &[char] = &[
    '\0', '\u{1}', '\t', '\n', '\r', '\u{1b}', '\u{1f}', '\u{7f}', '\u{85}', '\u{9f}',
];
const TRAILING: &[&str] = &[
    "garbage",
    "}",
    " {}",
    "\n{\"a\": 1}",
    ",",
    "\0",
    "null",
    " \n\t",
];
const ESCAPES: &[&str] = &["%zz", "%", "%4", "%G0", "%FF", "%C3%28", "%C3", "%e9"];
const CONTENT_TYPES: &[&str] = &[
    "text/plain",
    "application/xml",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonx",
    "application/json; charset=utf-8",
    "Application/JSON",
];

/// The path segments of an operation that a malformed segment can go in.
fn segments(op: Op) -> &'static [Segment] {
    match op {
        Op::Create | Op::Check | Op::Deauthorise | Op::List => &[Segment::Arn],
        Op::Get | Op::Cancel => &[Segment::Arn, Segment::Id],
        Op::Accept | Op::Reject | Op::Expire => &[Segment::Id],
        Op::CreateTestAgent | Op::CreateTestIndividual | Op::CreateTestOrganisation => &[],
    }
}

/// Whether the operation reads a JSON body. The sandbox's Create Test User documents no answer for a body of
/// another content type, so only the public API's bodies are sent as one.
fn body_mutations(op: Op) -> (bool, bool) {
    match op {
        Op::Create | Op::Check | Op::Deauthorise => (true, true),
        Op::CreateTestAgent | Op::CreateTestIndividual | Op::CreateTestOrganisation => {
            (true, false)
        }
        _ => (false, false),
    }
}

/// The malformations an operation's cases draw from, or `None` (most cases).
pub fn malformed(op: Op) -> BoxedStrategy<Option<Malformed>> {
    let control = proptest::sample::select(CONTROLS);
    let mut choices: Vec<BoxedStrategy<Malformed>> = Vec::new();
    let (body, content_type) = body_mutations(op);
    if body {
        choices.push((0usize..8).prop_map(Malformed::Null).boxed());
        choices.push(
            proptest::sample::select(TRAILING)
                .prop_map(Malformed::Trailing)
                .boxed(),
        );
        choices.push(
            (0usize..8, control.clone())
                .prop_map(|(n, c)| Malformed::InString(n, c))
                .boxed(),
        );
        choices.push(control.clone().prop_map(Malformed::RawInString).boxed());
    }
    if content_type {
        choices.push(
            proptest::sample::select(CONTENT_TYPES)
                .prop_map(Malformed::ContentType)
                .boxed(),
        );
    }
    let segments = segments(op);
    if !segments.is_empty() {
        let segment = proptest::sample::select(segments);
        choices.push(
            (segment.clone(), control)
                .prop_map(|(s, c)| Malformed::InSegment(s, c))
                .boxed(),
        );
        choices.push(
            (segment, proptest::sample::select(ESCAPES))
                .prop_map(|(s, e)| Malformed::Escape(s, e))
                .boxed(),
        );
    }
    if choices.is_empty() {
        return Just(None).boxed();
    }
    proptest::option::weighted(0.2, proptest::strategy::Union::new(choices)).boxed()
}

/// A path segment's text with the case's control character in it, when the case puts one there.
pub fn raw_segment(text: &str, which: Segment, malformed: Option<&Malformed>) -> String {
    match malformed {
        Some(Malformed::InSegment(s, c)) if *s == which => insert_middle(text, *c),
        _ => text.to_owned(),
    }
}

/// A path segment as sent: percent-encoded, followed by the case's escape when it names this segment.
pub fn segment(text: &str, which: Segment, malformed: Option<&Malformed>) -> String {
    match malformed {
        Some(Malformed::Escape(s, escape)) if *s == which => {
            format!("{}{escape}", url_segment(text))
        }
        _ => url_segment(text),
    }
}

/// Every byte but the unreserved ones percent-encoded.
pub fn url_segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn insert_middle(text: &str, c: char) -> String {
    let mut at = text.len() / 2;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    format!("{}{c}{}", &text[..at], &text[at..])
}

/// The request with the case's body or header malformation applied (path malformations are made with the path).
pub fn apply(mut request: Request, malformed: Option<&Malformed>) -> Request {
    let Some(body) = request.body.take() else {
        return request;
    };
    let body = match malformed {
        Some(Malformed::Null(n)) => with_json(body, |value| null_field(value, *n)),
        Some(Malformed::InString(n, c)) => with_json(body, |value| {
            if let Some(text) = strings(value).into_iter().nth(*n) {
                *text = insert_middle(text, *c);
            }
        }),
        Some(Malformed::Trailing(text)) => [body, text.as_bytes().to_vec()].concat(),
        Some(Malformed::RawInString(c)) => raw_in_first_string(body, *c),
        Some(Malformed::ContentType(media_type)) => {
            request = request.set_header("Content-Type", Some((*media_type).to_owned()));
            body
        }
        _ => body,
    };
    request.body = Some(body);
    request
}

/// The body changed as JSON, when it is JSON (else as it was).
fn with_json(body: Vec<u8>, change: impl FnOnce(&mut Value)) -> Vec<u8> {
    match serde_json::from_slice::<Value>(&body) {
        Ok(mut value) => {
            change(&mut value);
            serde_json::to_vec(&value).unwrap_or(body)
        }
        Err(_) => body,
    }
}

fn null_field(value: &mut Value, n: usize) {
    match value {
        Value::Object(map) => {
            let index = n % (map.len() + 1);
            match map.values_mut().nth(index) {
                Some(field) => *field = Value::Null,
                None => {
                    map.insert("unexpected".into(), Value::Null);
                }
            }
        }
        Value::Array(items) => items.push(Value::Null),
        _ => {}
    }
}

/// The strings of a value, in order (object keys aside).
fn strings(value: &mut Value) -> Vec<&mut String> {
    match value {
        Value::String(text) => vec![text],
        Value::Array(items) => items.iter_mut().flat_map(strings).collect(),
        Value::Object(map) => map.values_mut().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// The body with `c` written raw after the first quotation mark (the start of the first key or string).
fn raw_in_first_string(body: Vec<u8>, c: char) -> Vec<u8> {
    let Some(at) = body.iter().position(|&b| b == b'"') else {
        return body;
    };
    let mut encoded = [0u8; 4];
    [
        &body[..=at],
        c.encode_utf8(&mut encoded).as_bytes(),
        &body[at + 1..],
    ]
    .concat()
}

// ---- the oracle's side: the request as sent ----

/// What is wrong with a request's path, by the order the server finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathFault {
    /// Decodes to bytes that are not UTF-8: refused before anything else, the `Accept` header included.
    NotUtf8,
    /// Holds a NUL byte or a malformed escape: refused after the `Accept` header, before the caller and body.
    Unstorable,
}

/// The fault of a path (and query) as sent, if it has one.
pub fn path_fault(path: &str) -> Option<PathFault> {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut malformed_escape = false;
    let mut at = 0;
    while at < bytes.len() {
        let escape = bytes
            .get(at + 1..at + 3)
            .filter(|hex| bytes[at] == b'%' && hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escape {
            Some(byte) => {
                decoded.push(byte);
                at += 3;
            }
            None => {
                malformed_escape |= bytes[at] == b'%';
                decoded.push(bytes[at]);
                at += 1;
            }
        }
    }
    if std::str::from_utf8(&decoded).is_err() {
        Some(PathFault::NotUtf8)
    } else if malformed_escape || decoded.contains(&0) {
        Some(PathFault::Unstorable)
    } else {
        None
    }
}

/// Whether a request's `Content-Type` is JSON (a missing one is taken as JSON).
pub fn json_content_type(request: &Request) -> bool {
    request.header_value("Content-Type").is_none_or(|value| {
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case("application/json")
    })
}

/// The body as the server reads it: one JSON value with nothing but whitespace after it, and neither `null`
/// nor a NUL character anywhere (keys included); `None` when it is not.
pub fn readable_body(bytes: &[u8]) -> Option<Value> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    fn clean(value: &Value) -> bool {
        match value {
            Value::Null => false,
            Value::String(text) => !text.contains('\0'),
            Value::Array(items) => items.iter().all(clean),
            Value::Object(map) => map.iter().all(|(k, v)| !k.contains('\0') && clean(v)),
            Value::Bool(_) | Value::Number(_) => true,
        }
    }
    clean(&value).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_faults_are_told_apart() {
        assert_eq!(path_fault("/agents/KARN1/invitations/A%2Fb%C3%A9"), None);
        for path in ["/a/%FF", "/a/%C3%28", "/a/%C3"] {
            assert_eq!(path_fault(path), Some(PathFault::NotUtf8), "{path}");
        }
        for path in ["/a/%00", "/a/b%zz", "/a/%", "/a/%4", "/a/%G0"] {
            assert_eq!(path_fault(path), Some(PathFault::Unstorable), "{path}");
        }
    }

    #[test]
    fn mutations_change_the_body_as_named() {
        let request = || Request::new("POST", "/x").json(&json!({"a": "xy", "b": ["z"]}));
        let body = |m: Malformed| apply(request(), Some(&m)).body.unwrap();
        assert_eq!(body(Malformed::Null(1)), br#"{"a":"xy","b":null}"#);
        assert_eq!(
            body(Malformed::Null(2)),
            br#"{"a":"xy","b":["z"],"unexpected":null}"#
        );
        assert_eq!(
            body(Malformed::InString(0, '\0')),
            br#"{"a":"x\u0000y","b":["z"]}"#
        );
        assert_eq!(
            body(Malformed::RawInString('\n')),
            b"{\"\na\":\"xy\",\"b\":[\"z\"]}"
        );
        assert_eq!(body(Malformed::Trailing("}")), br#"{"a":"xy","b":["z"]}}"#);
        for m in [
            Malformed::Null(0),
            Malformed::InString(1, '\0'),
            Malformed::RawInString('\u{1}'),
            Malformed::Trailing("x"),
        ] {
            assert_eq!(readable_body(&body(m.clone())), None, "{m:?}");
        }
        assert!(readable_body(&body(Malformed::Trailing(" \n"))).is_some());
        assert!(readable_body(&body(Malformed::InString(0, '\t'))).is_some());
    }

    #[test]
    fn cases_draw_every_malformation() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let mut kinds = std::collections::BTreeSet::new();
        for _ in 0..3000 {
            let case = super::super::case()
                .new_tree(&mut runner)
                .unwrap()
                .current();
            if let Some(m) = case.malformed {
                kinds.insert(
                    format!("{m:?}")
                        .split('(')
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
        let expected = [
            "ContentType",
            "Escape",
            "InSegment",
            "InString",
            "Null",
            "RawInString",
            "Trailing",
        ];
        assert_eq!(kinds.into_iter().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn content_types_and_segments() {
        let typed = |t: &'static str| {
            apply(
                Request::new("POST", "/x").json(&json!({})),
                Some(&Malformed::ContentType(t)),
            )
        };
        assert!(!json_content_type(&typed("text/plain")));
        assert!(json_content_type(&typed("Application/JSON")));
        assert!(json_content_type(&Request::new("GET", "/x")));
        let nul = Malformed::InSegment(Segment::Id, '\0');
        assert_eq!(
            segment(
                &raw_segment("ABCD", Segment::Id, Some(&nul)),
                Segment::Id,
                Some(&nul)
            ),
            "AB%00CD"
        );
        assert_eq!(raw_segment("ABCD", Segment::Arn, Some(&nul)), "ABCD");
        assert_eq!(
            segment(
                "A B",
                Segment::Arn,
                Some(&Malformed::Escape(Segment::Arn, "%zz"))
            ),
            "A%20B%zz"
        );
    }
}
