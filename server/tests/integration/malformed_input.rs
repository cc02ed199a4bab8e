//! A survey of malformed requests against every operation of both contracts: bad and odd bodies, odd headers,
//! odd path values, every method on every path, paths that do not exist.
//!
//! What must hold for every one: never a 5xx; every non-2xx answer is JSON with exactly the keys `code` and
//! `message`, those of routing included: a path no operation has, or a method the path does not have, is 404
//! NOT_FOUND "Resource was not found.".
//!
//! Failures are collected and reported together, one line per probe.

use crate::support::*;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

/// Whose shape a non-2xx answer must have.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Ours: exactly `{code, message}`.
    Ours,
    /// No such path, or no such method on the path: exactly 404 NOT_FOUND.
    NotFound,
}

struct Probe {
    label: String,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    expect: Expect,
}

/// An agent, a client and an invitation whose values fill the operations' path parameters.
struct Fixture {
    app: TestApp,
    agent: Agent,
    client: Individual,
    invitation_id: String,
}

async fn fixture() -> Fixture {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let invitation_id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    Fixture {
        app,
        agent,
        client,
        invitation_id,
    }
}

impl Fixture {
    /// The path parameters and the fixture's values for them.
    fn parameters(&self) -> [(&'static str, &str); 15] {
        [
            ("arn", &self.agent.arn),
            ("invitationId", &self.invitation_id),
            ("nino", &self.client.nino),
            ("clientId", &self.client.nino),
            ("clientIdType", "ni"),
            ("service", "HMRC-MTD-IT"),
            ("clientType", "personal"),
            ("uid", "99ZZ99ZZ"),
            ("normalisedAgencyName", "my-agency"),
            ("urn", "XATRUST00000001"),
            ("utr", "2134514321"),
            ("vrn", "101747696"),
            ("postcode", "DH14EJ"),
            ("dob", "1980-01-01"),
            ("vatRegistrationDate", "2007-04-07"),
        ]
    }

    /// The path with its parameters filled in from the fixture, except `odd`, a (name, value) to use instead.
    fn fill(&self, template: &str, odd: Option<(&str, &str)>) -> String {
        let mut path = template.to_string();
        for (name, value) in self.parameters() {
            let value = match odd {
                Some((odd_name, odd_value)) if odd_name == name => odd_value,
                _ => value,
            };
            path = path.replace(&format!("{{{name}}}"), value);
        }
        assert!(
            !path.contains('{'),
            "a path parameter the survey does not know: {template}"
        );
        path
    }

    /// The headers a well-formed call of `op` has.
    fn good_headers(&self, op: &contract::Operation) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(accept) = op.accept_media_type() {
            headers.insert("accept", HeaderValue::from_static(accept));
            headers.insert(
                "authorization",
                HeaderValue::from_str(&format!("Bearer {}", self.agent.token)).unwrap(),
            );
        }
        if op.has_body() {
            headers.insert("content-type", HeaderValue::from_static("application/json"));
        }
        headers
    }

    /// A well-formed body for `op`.
    fn good_body(&self, op: &contract::Operation) -> Option<Value> {
        let create = itsa_main(&self.client);
        match op.id {
            "create_agency_invitation_v1" => Some(with(
                without(create, "clientType"),
                "service",
                json!("HMRC-MTD-IT"),
            )),
            "create_invitation" | "create_invitation_v1" => Some(create),
            "check_relationship" | "check_relationship_v1" => Some(check_body(&create)),
            "deauthorise_client" => Some(deauth_body(&create)),
            "create_test_agent" => Some(json!({"serviceNames": ["agent-services"]})),
            "create_test_individual" => Some(json!({"serviceNames": ["national-insurance"]})),
            "create_test_organisation" => {
                Some(json!({"serviceNames": ["mtd-vat"], "insolvent": false}))
            }
            _ => None,
        }
    }

    fn probe(&self, op: &contract::Operation, label: impl Into<String>) -> Probe {
        Probe {
            label: format!("{} {}: {}", op.id, op.method, label.into()),
            method: Method::from_bytes(op.method.as_bytes()).unwrap(),
            path: self.fill(op.path, None),
            headers: self.good_headers(op),
            body: self.good_body(op).map(|b| b.to_string().into_bytes()),
            expect: Expect::Ours,
        }
    }

    async fn run(&self, probes: Vec<Probe>) {
        let mut failures = Vec::new();
        let count = probes.len();
        for probe in probes {
            let mut request = self
                .app
                .client
                .request(probe.method.clone(), self.app.url(&probe.path))
                .headers(probe.headers.clone());
            if let Some(body) = &probe.body {
                request = request.body(body.clone());
            }
            match request.send().await {
                Err(e) => failures.push(format!("{}: no answer: {e}", probe.label)),
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.bytes().await.unwrap_or_default();
                    if let Err(problem) = judge(&probe, status, &body) {
                        failures.push(format!(
                            "{} ({} {}): {problem}: {status} {}",
                            probe.label,
                            probe.method,
                            shorten(&probe.path),
                            shorten(&String::from_utf8_lossy(&body))
                        ));
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {count} probes failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() > 160 {
        format!("{}…", text.chars().take(160).collect::<String>())
    } else {
        text.to_string()
    }
}

fn judge(probe: &Probe, status: u16, body: &[u8]) -> Result<(), String> {
    // 501 SERVICE_NOT_SUPPORTED is HMRC's 1.0 answer for a service it does not offer: documented, not a fault.
    let documented_501 = status == 501 && probe.label.starts_with("create_agency_invitation_v1");
    if status >= 500 && !documented_501 {
        return Err("a server error".into());
    }
    if status < 300 {
        return Ok(());
    }
    match probe.expect {
        Expect::Ours => our_shape(body),
        Expect::NotFound => not_found(&probe.method, status, body),
    }
}

/// Exactly `{code, message}`, both non-empty strings.
fn our_shape(body: &[u8]) -> Result<(), String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| "the body is not JSON".to_string())?;
    let object = value.as_object().ok_or("the body is not a JSON object")?;
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    if keys.len() != 2 || !object.contains_key("code") || !object.contains_key("message") {
        return Err(format!("keys {keys:?}, not exactly code and message"));
    }
    for key in ["code", "message"] {
        if object[key].as_str().is_none_or(str::is_empty) {
            return Err(format!("{key} is not a non-empty string"));
        }
    }
    Ok(())
}

/// Dropshot's router: 404 (no such path) or 405 (no such method on the path), or 400 for a path it cannot decode,
/// as `{request_id, message, error_code?}`. Its answer to HEAD has no body.
/// Exactly 404 NOT_FOUND "Resource was not found." (HEAD answers carry no body).
fn not_found(method: &Method, status: u16, body: &[u8]) -> Result<(), String> {
    if status != 404 {
        return Err(format!("expected 404 NOT_FOUND, got {status}"));
    }
    if method == Method::HEAD {
        return Ok(());
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|_| "the 404 body is not JSON".to_string())?;
    if value != serde_json::json!({"code": "NOT_FOUND", "message": "Resource was not found."}) {
        return Err(format!("not the NOT_FOUND body: {value}"));
    }
    Ok(())
}

fn bytes(text: &str) -> Option<Vec<u8>> {
    Some(text.as_bytes().to_vec())
}

// ---- bodies ----

#[tokio::test]
async fn malformed_bodies_never_cause_a_server_error() {
    let f = fixture().await;
    let long = "A".repeat(60 * 1024);
    let over_limit = format!(
        r#"{{"service": "MTD-IT", "clientId": "{}"}}"#,
        "A".repeat(80 * 1024)
    );
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let odd_unicode = json!({
        "service": "\u{202e}TI-DTM",
        "clientType": "per\u{200b}sonal",
        "clientIdType": "ｎｉ",
        "clientId": "ＡＢ１２３４５６Ｃ",
        "knownFact": "AA1 1AA\u{0000}😀",
        "agentType": "mai\u{0301}n",
        "serviceNames": ["agent-services\u{feff}", "😀"],
        "insolvent": false,
    });
    let bodies: Vec<(&str, Option<Vec<u8>>)> = vec![
        ("no body", None),
        ("empty", bytes("")),
        ("whitespace", bytes(" \n\t ")),
        ("truncated JSON", bytes(r#"{"service": ["MTD-IT"], "clientId": "#)),
        ("null", bytes("null")),
        ("true", bytes("true")),
        ("a number", bytes("123")),
        ("a string", bytes(r#""MTD-IT""#)),
        ("an empty array", bytes("[]")),
        ("an array of objects", bytes("[{}]")),
        ("an empty object", bytes("{}")),
        (
            "every field null",
            bytes(
                r#"{"service": null, "clientType": null, "clientIdType": null, "clientId": null, "knownFact": null,
                    "agentType": null, "serviceNames": null, "insolvent": null}"#,
            ),
        ),
        (
            "duplicated keys",
            bytes(
                r#"{"service": "MTD-IT", "service": "MTD-VAT", "clientType": "personal", "clientIdType": "ni",
                    "clientId": "AB123456C", "clientId": "101747696", "knownFact": "AA1 1AA",
                    "serviceNames": ["mtd-vat"], "serviceNames": ["agent-services"]}"#,
            ),
        ),
        ("odd unicode", Some(odd_unicode.to_string().into_bytes())),
        ("a lone surrogate escape", bytes(r#"{"service": "\ud800", "serviceNames": ["\udfff"]}"#)),
        ("invalid UTF-8", Some(b"{\"service\": \"\xff\xfe\", \"serviceNames\": [\"\xc3\x28\"]}".to_vec())),
        ("a byte order mark", Some([&b"\xef\xbb\xbf"[..], b"{\"serviceNames\": []}"].concat())),
        ("trailing garbage", bytes(r#"{"serviceNames": []} trailing"#)),
        ("a huge number", bytes(r#"{"service": 1e999999, "serviceNames": [1e999999]}"#)),
        ("deep nesting", Some(deep.into_bytes())),
        (
            "a long string under the limit",
            Some(format!(r#"{{"service": "MTD-IT", "clientType": "personal", "clientIdType": "ni", "clientId": "{long}", "knownFact": "{long}"}}"#).into_bytes()),
        ),
        ("over the body limit", Some(over_limit.into_bytes())),
        (
            "many service names",
            Some(json!({"serviceNames": vec!["mtd-vat"; 2000]}).to_string().into_bytes()),
        ),
        ("nested wrong types", bytes(r#"{"service": [["MTD-IT"]], "serviceNames": [["mtd-vat"]], "insolvent": "no"}"#)),
    ];
    let mut probes = Vec::new();
    for op in contract::operations() {
        for (label, body) in &bodies {
            let mut probe = f.probe(&op, *label);
            probe.body = body.clone();
            probes.push(probe);
        }
        // the well-formed call too, as a baseline
        probes.push(f.probe(&op, "well formed"));
    }
    f.run(probes).await;
}

// ---- headers ----

/// A label, the headers to set, and the headers to remove.
type HeaderVariant = (
    &'static str,
    Vec<(&'static str, Vec<u8>)>,
    Vec<&'static str>,
);

/// Odd and missing `content-type` headers.
fn content_type_variants() -> Vec<HeaderVariant> {
    vec![
        (
            "content-type text/plain",
            vec![("content-type", b"text/plain".to_vec())],
            vec![],
        ),
        ("no content-type", vec![], vec!["content-type"]),
        (
            "a form content-type",
            vec![(
                "content-type",
                b"application/x-www-form-urlencoded".to_vec(),
            )],
            vec![],
        ),
        (
            "content-type with a charset",
            vec![("content-type", b"application/json; charset=utf-8".to_vec())],
            vec![],
        ),
        (
            "content-type garbage",
            vec![("content-type", b";;;/".to_vec())],
            vec![],
        ),
    ]
}

/// Odd and missing `accept` headers.
fn accept_variants() -> Vec<HeaderVariant> {
    let long_accept = format!(
        "application/vnd.hmrc.2.0+json{}",
        ", text/plain".repeat(700)
    );
    vec![
        (
            "accept with non-ASCII bytes",
            vec![(
                "accept",
                b"application/vnd.hmrc.2.0+json\xe2\x80\x8b".to_vec(),
            )],
            vec![],
        ),
        (
            "accept Latin-1",
            vec![("accept", b"application/vnd.hmrc.\xb2.0+json".to_vec())],
            vec![],
        ),
        (
            "a very long accept",
            vec![("accept", long_accept.into_bytes())],
            vec![],
        ),
        (
            "accept with parameters",
            vec![("accept", b"application/vnd.hmrc.2.0+json; q=0.9".to_vec())],
            vec![],
        ),
        (
            "accept with two types",
            vec![(
                "accept",
                b"application/vnd.hmrc.2.0+json, text/html".to_vec(),
            )],
            vec![],
        ),
        (
            "accept with a huge version",
            vec![(
                "accept",
                b"application/vnd.hmrc.99999999999999999999.0+json".to_vec(),
            )],
            vec![],
        ),
        (
            "accept upper case",
            vec![("accept", b"APPLICATION/VND.HMRC.2.0+JSON".to_vec())],
            vec![],
        ),
        ("no accept", vec![], vec!["accept"]),
    ]
}

/// Odd and missing `authorization` headers; `token` is the agent's own.
fn authorization_variants(token: &str) -> Vec<HeaderVariant> {
    let bearer = format!("Bearer {token}");
    vec![
        (
            "authorization non-ASCII",
            vec![("authorization", b"Bearer \xc3\xa9t\xc3\xa9".to_vec())],
            vec![],
        ),
        (
            "a very long token",
            vec![(
                "authorization",
                format!("Bearer {}", "x".repeat(8000)).into_bytes(),
            )],
            vec![],
        ),
        (
            "a token with extra words",
            vec![("authorization", format!("{bearer} extra").into_bytes())],
            vec![],
        ),
        (
            "lower-case bearer",
            vec![("authorization", format!("bearer {token}").into_bytes())],
            vec![],
        ),
        (
            "a token with SQL",
            vec![("authorization", b"Bearer ' OR '1'='1".to_vec())],
            vec![],
        ),
        ("no authorization", vec![], vec!["authorization"]),
    ]
}

#[tokio::test]
async fn odd_headers_never_cause_a_server_error() {
    let f = fixture().await;
    let variants = [
        content_type_variants(),
        accept_variants(),
        authorization_variants(&f.agent.token),
    ]
    .concat();
    let mut probes = Vec::new();
    for op in contract::operations() {
        for (label, set, remove) in &variants {
            let mut probe = f.probe(&op, *label);
            for name in remove {
                probe.headers.remove(*name);
            }
            for (name, value) in set {
                probe.headers.insert(
                    HeaderName::from_static(name),
                    HeaderValue::from_bytes(value).expect("a header value"),
                );
            }
            probes.push(probe);
        }
        // Repeated headers: two Accept values, two tokens.
        let mut probe = f.probe(&op, "two accept headers");
        probe.headers.append(
            "accept",
            HeaderValue::from_static("application/vnd.hmrc.1.0+json"),
        );
        probes.push(probe);
        let mut probe = f.probe(&op, "two authorization headers");
        probe
            .headers
            .append("authorization", HeaderValue::from_static("Bearer other"));
        probes.push(probe);
    }
    f.run(probes).await;
}

// ---- path values ----

#[tokio::test]
async fn odd_path_values_never_cause_a_server_error() {
    let f = fixture().await;
    let long = "A".repeat(5000);
    let values: Vec<(&str, String, Expect)> = vec![
        ("very long", long.clone(), Expect::Ours),
        ("an emoji", "%F0%9F%98%80".into(), Expect::Ours),
        ("a NUL", "%00".into(), Expect::Ours),
        ("a space", "%20".into(), Expect::Ours),
        (
            "right-to-left override",
            "%E2%80%AETARN0000001".into(),
            Expect::Ours,
        ),
        (
            "SQL",
            "'%3B%20DROP%20TABLE%20invitations%3B--".into(),
            Expect::Ours,
        ),
        ("13 accented letters", "%C3%80".repeat(13), Expect::Ours),
        ("percent", "%25".into(), Expect::Ours),
        ("lower case", "tarn0000001".into(), Expect::Ours),
        ("an encoded slash", "a%2Fb".into(), Expect::Ours),
        ("bytes that are not UTF-8", "%FF%FE".into(), Expect::Ours),
    ];
    let mut probes = Vec::new();
    for op in contract::operations() {
        for (label, value, expect) in &values {
            for (name, _) in f.parameters() {
                if op.path.contains(&format!("{{{name}}}")) {
                    let mut probe = f.probe(&op, format!("{name} {label}"));
                    probe.path = f.fill(op.path, Some((name, value)));
                    probe.expect = *expect;
                    probes.push(probe);
                }
            }
        }
        let mut probe = f.probe(&op, "an odd query string");
        probe.path = format!("{}?a=%FF&b&c=%00&&=", probe.path);
        probes.push(probe);
    }
    f.run(probes).await;
}

// ---- methods and routes ----

#[tokio::test]
async fn every_method_on_every_path() {
    let f = fixture().await;
    let operations = contract::operations();
    let mut templates: Vec<&str> = operations.iter().map(|op| op.path).collect();
    templates.sort();
    templates.dedup();
    let methods = [
        "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FOO",
    ];

    let mut probes = Vec::new();
    for template in templates {
        for method in methods {
            let documented = operations
                .iter()
                .find(|op| op.path == template && op.method == method);
            let probe = match documented {
                Some(op) => f.probe(op, "documented"),
                None => Probe {
                    label: format!("{method} {template}: not documented"),
                    method: Method::from_bytes(method.as_bytes()).unwrap(),
                    path: f.fill(template, None),
                    headers: f.good_headers(&operations[0]),
                    body: Some(b"{}".to_vec()),
                    expect: Expect::NotFound,
                },
            };
            probes.push(probe);
        }
    }
    f.run(probes).await;
}

#[tokio::test]
async fn unknown_paths_are_routing_404s() {
    let f = fixture().await;
    let arn = &f.agent.arn;
    let id = &f.invitation_id;
    let paths = [
        "/".to_string(),
        "/agents".to_string(),
        format!("/agents/{arn}"),
        format!("/agents/{arn}/invitations/{id}/extra"),
        format!("/agents/{arn}/relationships/extra"),
        "/agents//invitations".to_string(),
        format!("/agencies/{arn}"),
        "/create-test-user".to_string(),
        "/create-test-user/trusts".to_string(),
        "/agent-authorisation-test-support/invitations".to_string(),
        format!("/agent-authorisation-test-support/invitations/{id}/accept"),
        format!("/AGENTS/{arn}/invitations"),
    ];
    let mut probes = Vec::new();
    for path in paths {
        for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
            let mut headers = HeaderMap::new();
            headers.insert("accept", HeaderValue::from_static(V2_ACCEPT));
            probes.push(Probe {
                label: format!("{method} {path}"),
                method,
                path: path.clone(),
                headers,
                body: None,
                expect: Expect::NotFound,
            });
        }
    }
    f.run(probes).await;

    // Without an Accept header too: routing comes first.
    for (method, path) in [
        (Method::GET, "/no-such-path".to_string()),
        (Method::PATCH, invitations_path(&f.agent.arn)),
    ] {
        let response = f.app.bare(method, &path).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({"code": "NOT_FOUND", "message": "Resource was not found."}),
            "{path}"
        );
    }
}

// ---- raw bytes ----

#[tokio::test]
async fn raw_oddities_never_cause_a_server_error() {
    // Bytes reqwest will not send. hyper may refuse some before any of our code (an unparseable request line
    // or header), answering with no body at all; only "never a 5xx" is asserted for those.
    let f = fixture().await;
    let token = format!("Bearer {}", f.agent.token);
    let arn = f.agent.arn.clone();
    let path = invitations_path(&arn);
    let body = itsa_main(&f.client).to_string();
    let requests: Vec<(&str, Vec<u8>)> = vec![
        (
            "a chunked body",
            format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept: {V2_ACCEPT}\r\nAuthorization: {token}\r\n\
                 Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
                body.len()
            )
            .into_bytes(),
        ),
        (
            "a broken chunked body",
            format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept: {V2_ACCEPT}\r\nAuthorization: {token}\r\n\
                 Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"
            )
            .into_bytes(),
        ),
        (
            "HTTP/1.0",
            format!("GET {path} HTTP/1.0\r\nAccept: {V2_ACCEPT}\r\nAuthorization: {token}\r\n\r\n").into_bytes(),
        ),
        (
            "non-UTF-8 bytes in the path",
            [&b"GET /agents/\xff\xfe/invitations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"[..]].concat(),
        ),
        (
            "a header with no colon",
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nNoColonHere\r\n\r\n").into_bytes(),
        ),
        ("garbage", b"\x00\x01\x02 not http at all\r\n\r\n".to_vec()),
    ];
    let mut failures = Vec::new();
    for (label, request) in requests {
        if let Some(response) = raw::try_send(f.app.addr(), request).await
            && response.status >= 500
        {
            failures.push(format!(
                "{label}: {} {}",
                response.status,
                response.body_text()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The server still answers afterwards.
    assert_no_content(f.app.list_invitations(&f.app.create_agent().await).await).await;
}
