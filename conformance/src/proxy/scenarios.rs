//! Every documented answer on demand: a request carrying `Gov-Test-Scenario: <EXAMPLE>` asks for that named example
//! of its operation (any status, the unreachable 500s included, so software can prove it handles them).
//!
//! How the proxy decides who answers (`--answer-scenarios`):
//! - `auto` (the default): the request goes to the upstream first. When the upstream answers the example itself
//!   (same status, same body), that answer is relayed and the upstream keeps answering that operation's scenarios.
//!   When it does not (it ignores the header), the proxy answers the example from the contract and, from then on,
//!   answers that operation's scenarios itself without forwarding them, so a request the upstream would carry out
//!   for real (a create) is carried out at most once.
//! - `local`: the proxy always answers from the contract; scenario requests never reach the upstream.
//! - `upstream`: the header is forwarded like any other and nothing is substituted, unknown names included.
//!
//! A name the operation does not document is 400 `INVALID_TEST_SCENARIO` (in `auto` and `local`), naming the valid
//! ones; `DEFAULT` means no scenario. A local answer carries the example's status and body, and the headers the
//! response documents as required or as coming with that example (the 403's `Location` "Only with
//! DUPLICATE_AUTHORISATION_REQUEST"), their documented example made a path of the caller's own agency: each path
//! parameter the request path shares with the example is the caller's.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use crate::ledger::Ledger;
use crate::proxy::routes::{Operation, Routes};

/// The request header that names a scenario.
pub const HEADER: &str = "gov-test-scenario";

/// Who answers scenario requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AnswerScenarios {
    /// The upstream if it answers the example, else the proxy (remembered per operation).
    #[default]
    Auto,
    /// Always the proxy, from the contract.
    Local,
    /// Always the upstream.
    Upstream,
}

impl std::fmt::Display for AnswerScenarios {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AnswerScenarios::Auto => "auto",
            AnswerScenarios::Local => "local",
            AnswerScenarios::Upstream => "upstream",
        })
    }
}

/// A documented answer the proxy can give itself.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub body: Option<Value>,
    /// Header names and their documented example values.
    headers: Vec<(HeaderName, String)>,
}

/// What the upstream is known to do with an operation's scenarios.
const UNKNOWN: u8 = 0;
const HONOURS: u8 = 1;
const IGNORES: u8 = 2;

/// The canned answers of every named example, and what each operation's upstream does with scenarios.
#[derive(Debug)]
pub struct Scenarios {
    canned: HashMap<usize, Canned>,
    learned: Vec<AtomicU8>,
}

impl Scenarios {
    pub fn new(routes: &Routes, ledger: &Ledger) -> Self {
        let mut canned = HashMap::new();
        for operation in routes.operations() {
            let document = ledger.document(&operation.contract).unwrap_or(&Value::Null);
            for &index in &operation.entries {
                let entry = &ledger.entries()[index];
                let Some(example) = &entry.example else {
                    continue;
                };
                let pointer = format!(
                    "/paths/{}/{}/responses/{}/headers",
                    operation.template.replace('~', "~0").replace('/', "~1"),
                    operation.method.to_ascii_lowercase(),
                    entry.status
                );
                let headers = document
                    .pointer(&pointer)
                    .and_then(Value::as_object)
                    .map(|headers| documented_headers(headers, example))
                    .unwrap_or_default();
                canned.insert(
                    index,
                    Canned {
                        status: entry.status,
                        body: entry.body.clone(),
                        headers,
                    },
                );
            }
        }
        let learned = routes
            .operations()
            .iter()
            .map(|_| AtomicU8::new(UNKNOWN))
            .collect();
        Self { canned, learned }
    }

    /// The scenario a request asks for: none without the header or with `DEFAULT`.
    pub fn requested(headers: &HeaderMap) -> Option<&str> {
        let name = headers.get(HEADER)?.to_str().unwrap_or("(not text)").trim();
        (!name.eq_ignore_ascii_case("DEFAULT")).then_some(name)
    }

    /// The entry of the operation's example `name`, or the message naming the valid ones.
    pub fn lookup(
        &self,
        operation: &Operation,
        ledger: &Ledger,
        name: &str,
    ) -> Result<usize, String> {
        let named = |i: &usize| ledger.entries()[*i].example.as_deref();
        if let Some(&index) = operation.entries.iter().find(|i| named(i) == Some(name)) {
            return Ok(index);
        }
        let valid: Vec<&str> = operation
            .entries
            .iter()
            .filter_map(named)
            .filter(|name| *name != "INVALID_TEST_SCENARIO")
            .collect();
        Err(format!(
            "Gov-Test-Scenario {name:?} is not a documented example of {}; valid: {}, or DEFAULT",
            operation.id,
            valid.join(", ")
        ))
    }

    pub fn canned(&self, entry: usize) -> Option<&Canned> {
        self.canned.get(&entry)
    }

    /// Whether an upstream answer is the example of `entry`.
    pub fn is_example(&self, entry: usize, status: u16, body: &[u8]) -> bool {
        self.canned.get(&entry).is_some_and(|canned| {
            canned.status == status
                && match &canned.body {
                    Some(example) => {
                        serde_json::from_slice::<Value>(body).ok().as_ref() == Some(example)
                    }
                    None => true,
                }
        })
    }

    /// Whether the upstream is known to ignore the operation's scenarios.
    pub fn upstream_ignores(&self, operation: usize) -> bool {
        self.learned
            .get(operation)
            .is_some_and(|l| l.load(Ordering::Relaxed) == IGNORES)
    }

    /// Remembers whether the upstream answered one of the operation's scenarios.
    pub fn learn(&self, operation: usize, honoured: bool) {
        if let Some(learned) = self.learned.get(operation) {
            learned.store(if honoured { HONOURS } else { IGNORES }, Ordering::Relaxed);
        }
    }
}

impl Canned {
    /// The answer's headers for a request to `path` of `operation`, and its body.
    pub fn answer(&self, operation: &Operation, path: &str) -> (HeaderMap, Bytes) {
        let mut headers = HeaderMap::new();
        let body = match &self.body {
            Some(body) => {
                headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                Bytes::from(serde_json::to_vec(body).unwrap_or_default())
            }
            None => Bytes::new(),
        };
        for (name, example) in &self.headers {
            let value = callers_path(&operation.template, path, example);
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name.clone(), value);
            }
        }
        (headers, body)
    }
}

/// The headers a canned answer of `example` carries: those documented as required, and those whose description
/// names the example.
fn documented_headers(
    headers: &serde_json::Map<String, Value>,
    example: &str,
) -> Vec<(HeaderName, String)> {
    headers
        .iter()
        .filter(|(_, header)| {
            header.get("required") == Some(&Value::Bool(true))
                || header
                    .get("description")
                    .and_then(Value::as_str)
                    .is_some_and(|d| d.contains(example))
        })
        .filter_map(|(name, header)| {
            let value = header
                .get("example")
                .or_else(|| header.pointer("/schema/example"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            Some((
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                value.to_owned(),
            ))
        })
        .collect()
}

/// A documented example path made the caller's: where the request's template has a parameter and the example
/// agrees with the template's literal segments, the request's own value replaces the example's. Without an example
/// the request path itself.
fn callers_path(template: &str, path: &str, example: &str) -> String {
    if !example.starts_with('/') {
        return if example.is_empty() {
            path.to_owned()
        } else {
            example.to_owned()
        };
    }
    let template: Vec<&str> = template.split('/').collect();
    let request: Vec<&str> = path.split('/').collect();
    let mut out: Vec<&str> = example.split('/').collect();
    let agrees = template
        .iter()
        .zip(&out)
        .all(|(t, e)| t.starts_with('{') || t == e);
    if !agrees || template.len() > out.len() {
        return example.to_owned();
    }
    for (i, segment) in template.iter().enumerate() {
        if segment.starts_with('{') && i < request.len() {
            out[i] = request[i];
        }
    }
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::load_all;

    #[test]
    fn the_duplicates_location_names_the_callers_agency() {
        assert_eq!(
            callers_path(
                "/agents/{arn}/invitations",
                "/agents/KARN0762398/invitations",
                "/agents/TARN0000001/invitations/CS5AK7O8FPC43"
            ),
            "/agents/KARN0762398/invitations/CS5AK7O8FPC43"
        );
        assert_eq!(callers_path("/a/{x}", "/a/1", "/b/2/c"), "/b/2/c");
        assert_eq!(callers_path("/a/{x}", "/a/1", ""), "/a/1");
    }

    #[test]
    fn canned_answers_carry_the_example_and_its_headers() {
        let contracts = load_all(std::path::Path::new(crate::CONTRACTS_DIR)).unwrap();
        let ledger = Ledger::from_contracts(&contracts).unwrap();
        let routes = Routes::new(&contracts, &ledger).unwrap();
        let scenarios = Scenarios::new(&routes, &ledger);
        let route = routes
            .find(
                "POST",
                "/agents/KARN0762398/invitations",
                Some("application/vnd.hmrc.2.0+json"),
            )
            .unwrap();
        let entry = scenarios
            .lookup(route.operation, &ledger, "DUPLICATE_AUTHORISATION_REQUEST")
            .unwrap();
        let canned = scenarios.canned(entry).unwrap();
        let (headers, body) = canned.answer(route.operation, "/agents/KARN0762398/invitations");
        assert_eq!(canned.status, 403);
        assert_eq!(
            headers["location"],
            "/agents/KARN0762398/invitations/CS5AK7O8FPC43"
        );
        assert!(scenarios.is_example(entry, 403, &body));
        let not_found = scenarios
            .lookup(route.operation, &ledger, "CLIENT_REGISTRATION_NOT_FOUND")
            .unwrap();
        let (headers, _) = scenarios
            .canned(not_found)
            .unwrap()
            .answer(route.operation, "/");
        assert!(headers.get("location").is_none());
        let unknown = scenarios
            .lookup(route.operation, &ledger, "NOPE")
            .unwrap_err();
        assert!(unknown.starts_with("Gov-Test-Scenario \"NOPE\" is not a documented example of create_invitation; valid: SERVICE_NOT_SUPPORTED, "), "{unknown}");
    }
}
