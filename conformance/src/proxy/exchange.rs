//! One exchange through the proxy: the request read (capped) and checked against the operation it names; then
//! refused (`--strict`), answered from the contract (a `Gov-Test-Scenario`), or forwarded; the answer checked; each
//! violation printed as one line as it is found; the exchange recorded in the client-side ledger; and the answer
//! marked with `x-conformance-violations: N`.

use std::io::Write as _;
use std::sync::Arc;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use serde_json::json;

use crate::proxy::State;
use crate::proxy::client_ledger::Observation;
use crate::proxy::request::{self, Seen};
use crate::proxy::response::{self, Verdict};
use crate::proxy::routes::Route;
use crate::proxy::scenarios::{AnswerScenarios, Scenarios};
use crate::proxy::upstream::{self, Body, ProxyError, Streamed, json_response};
use crate::proxy::violation::{self, Violation};

/// Where the proxy answers with its client-side ledger (and writes the reports).
pub const REPORT_PATH: &str = "/__conformance/report";
/// The header every answer carries: how many violations its exchange had.
pub const VIOLATIONS_HEADER: &str = "x-conformance-violations";

pub async fn handle(state: Arc<State>, request: Request<Incoming>) -> Response<Body> {
    if request.uri().path() == REPORT_PATH && request.method() == Method::GET {
        return report(&state);
    }
    let (parts, body) = request.into_parts();
    let body = match upstream::request_body(body, &parts.headers, state.config.max_body_bytes).await
    {
        Ok(body) => body,
        Err(error) => return refused(&state, &parts, &error, 0),
    };
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let route = state
        .routes
        .find(parts.method.as_str(), parts.uri.path(), accept);
    let exchange = Exchange {
        state: &state,
        parts: &parts,
        body,
        route,
    };
    exchange.run().await
}

/// The proxy's own answer to a request it could not carry through, with its count of request violations.
fn refused(state: &State, parts: &Parts, error: &ProxyError, violations: usize) -> Response<Body> {
    if state.config.echo {
        eprintln!(
            "PROXY {} {} {}: {}",
            error.code(),
            parts.method,
            parts.uri,
            error.message()
        );
    }
    let mut response = error.response();
    response
        .headers_mut()
        .insert(VIOLATIONS_HEADER, HeaderValue::from(violations));
    response
}

/// `GET /__conformance/report`: writes the reports, prints the summary, answers `client-ledger.json`.
fn report(state: &State) -> Response<Body> {
    match state.ledger.write(&state.config.report_dir) {
        Ok(json) => {
            if state.config.echo {
                println!("{}", state.ledger.summary());
            }
            json_response(StatusCode::OK, &json)
        }
        Err(error) => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"code": "REPORT_NOT_WRITTEN", "message": format!("{error:#}")}),
        ),
    }
}

/// Who answers a request.
enum Plan {
    Forward,
    /// The proxy, with the example of this entry.
    Local(usize),
    /// The upstream if it answers the example of this entry, else the proxy.
    Auto(usize),
    /// A scenario the operation does not document.
    InvalidScenario(String),
}

/// The answer the client will get.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    /// The rest of a body over the cap, streamed on unchecked.
    rest: Option<Incoming>,
    by_proxy: bool,
    /// The proxy's own answer about the proxy (not a documented answer of the operation): not checked or counted.
    own: bool,
}

struct Exchange<'a> {
    state: &'a State,
    parts: &'a Parts,
    body: Bytes,
    route: Option<Route<'a>>,
}

impl Exchange<'_> {
    async fn run(self) -> Response<Body> {
        let request_violations = self.check_request();
        let mut lines = self.lines(&request_violations, || self.curl());
        let operation = self.operation();
        if self.state.config.strict && !request_violations.is_empty() {
            self.record(None, false, false, lines);
            return contract_violation(operation, &request_violations);
        }
        let reply = match self.reply().await {
            Ok(reply) => reply,
            Err(error) => {
                let count = request_violations.len();
                self.record(None, count == 0, false, lines);
                return refused(self.state, self.parts, &error, count);
            }
        };
        let verdict = self.check_response(&reply);
        let offending = || violation::response_text(reply.status.as_u16(), &reply.body);
        lines.extend(self.lines(&verdict.violations, offending));
        let count = request_violations.len() + verdict.violations.len();
        self.record(
            verdict.entry,
            request_violations.is_empty(),
            reply.by_proxy,
            lines,
        );
        respond(reply, count)
    }

    fn operation(&self) -> &str {
        self.route.as_ref().map_or("-", |r| r.operation.id.as_str())
    }

    fn curl(&self) -> String {
        let target = self.parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let method = self.parts.method.as_str();
        violation::curl(
            &self.state.base_url,
            method,
            target,
            &self.parts.headers,
            &self.body,
        )
    }

    fn check_request(&self) -> Vec<Violation> {
        let Some(route) = &self.route else {
            return vec![Violation::request(
                "route",
                format!(
                    "{} {} is no documented operation",
                    self.parts.method,
                    self.parts.uri.path()
                ),
            )];
        };
        let ledger = self.state.ledger.ledger();
        let document = ledger
            .document(&route.operation.contract)
            .unwrap_or(&serde_json::Value::Null);
        let seen = Seen {
            query: self.parts.uri.query(),
            headers: &self.parts.headers,
            body: &self.body,
        };
        request::check(route, seen, document)
    }

    fn check_response(&self, reply: &Reply) -> Verdict {
        let Some(route) = self.route.as_ref().filter(|_| !reply.own) else {
            return Verdict::default();
        };
        let answer = response::Answer {
            status: reply.status.as_u16(),
            headers: &reply.headers,
            body: &reply.body,
            complete: reply.rest.is_none(),
        };
        response::check(route.operation, self.state.ledger.ledger(), answer)
    }

    /// The violations as lines, printed now (`offending` renders the request or response they are about).
    fn lines(&self, violations: &[Violation], offending: impl Fn() -> String) -> Vec<String> {
        if violations.is_empty() {
            return Vec::new();
        }
        let offending = offending();
        let lines: Vec<String> = violations
            .iter()
            .map(|v| v.line(self.operation(), &offending))
            .collect();
        if self.state.config.echo && !lines.is_empty() {
            let mut out = std::io::stdout().lock();
            for line in &lines {
                let _ = writeln!(out, "{line}");
            }
        }
        lines
    }

    fn record(
        &self,
        entry: Option<usize>,
        request_valid: bool,
        by_proxy: bool,
        lines: Vec<String>,
    ) {
        self.state.ledger.observe(Observation {
            operation: self.operation(),
            entry,
            request_valid,
            answered_by_proxy: by_proxy,
            lines,
            curl: &|| self.curl(),
        });
    }
}

impl Exchange<'_> {
    fn plan(&self) -> Plan {
        let mode = self.state.config.answer_scenarios;
        let (Some(route), Some(name)) = (&self.route, Scenarios::requested(&self.parts.headers))
        else {
            return Plan::Forward;
        };
        if mode == AnswerScenarios::Upstream {
            return Plan::Forward;
        }
        let scenarios = &self.state.scenarios;
        match scenarios.lookup(route.operation, self.state.ledger.ledger(), name) {
            // The operation's own documented answer to an unknown name, when it has one.
            Err(message) => {
                match scenarios.lookup(route.operation, self.state.ledger.ledger(), INVALID) {
                    Ok(entry) => Plan::Local(entry),
                    Err(_) => Plan::InvalidScenario(message),
                }
            }
            Ok(entry)
                if mode == AnswerScenarios::Local || scenarios.upstream_ignores(route.index) =>
            {
                Plan::Local(entry)
            }
            Ok(entry) => Plan::Auto(entry),
        }
    }

    async fn reply(&self) -> Result<Reply, ProxyError> {
        match self.plan() {
            Plan::Forward => self.forward().await,
            Plan::Local(entry) => Ok(self.local(entry)),
            Plan::InvalidScenario(message) => Ok(invalid_scenario(&message)),
            Plan::Auto(entry) => {
                let reply = self.forward().await?;
                let scenarios = &self.state.scenarios;
                let honoured = reply.rest.is_none()
                    && scenarios.is_example(entry, reply.status.as_u16(), &reply.body);
                // An upstream that answers scenarios but not this name (the unreachable 5xx examples) still
                // answers the operation's others.
                let name_refused = !honoured && refuses_name(&reply);
                if let Some(route) = self.route.as_ref().filter(|_| !name_refused) {
                    scenarios.learn(route.index, honoured);
                    if !honoured && self.state.config.echo {
                        eprintln!(
                            "SCENARIO {} {}: the upstream answered {}, not the example; the proxy answers this \
                             operation's scenarios from the contract from now on",
                            route.operation.id,
                            self.state.ledger.ledger().entries()[entry].id,
                            reply.status.as_u16()
                        );
                    }
                }
                Ok(if honoured { reply } else { self.local(entry) })
            }
        }
    }

    async fn forward(&self) -> Result<Reply, ProxyError> {
        let answer = self
            .state
            .upstream
            .send(self.parts, self.body.clone())
            .await?;
        Ok(Reply {
            status: answer.status,
            headers: answer.headers,
            body: answer.body.bytes,
            rest: answer.body.rest,
            by_proxy: false,
            own: false,
        })
    }

    fn local(&self, entry: usize) -> Reply {
        let (status, (headers, body)) = match (&self.route, self.state.scenarios.canned(entry)) {
            (Some(route), Some(canned)) => (
                canned.status,
                canned.answer(route.operation, self.parts.uri.path()),
            ),
            _ => (500, (HeaderMap::new(), Bytes::new())),
        };
        Reply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers,
            body,
            rest: None,
            by_proxy: true,
            own: false,
        }
    }
}

/// The documented example naming a `Gov-Test-Scenario` the operation does not know.
const INVALID: &str = "INVALID_TEST_SCENARIO";

/// Whether the upstream refused the scenario's name (it answers the header, but not with this example).
fn refuses_name(reply: &Reply) -> bool {
    reply.status == StatusCode::BAD_REQUEST
        && serde_json::from_slice::<serde_json::Value>(&reply.body)
            .is_ok_and(|body| body["code"] == INVALID)
}

fn invalid_scenario(message: &str) -> Reply {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Reply {
        status: StatusCode::BAD_REQUEST,
        headers,
        body: Bytes::from(json!({"code": INVALID, "message": message}).to_string()),
        rest: None,
        by_proxy: true,
        own: true,
    }
}

/// `--strict`: the proxy's 400 for a request that breaks the contract (it is not forwarded).
fn contract_violation(operation: &str, violations: &[Violation]) -> Response<Body> {
    let listed: Vec<serde_json::Value> = violations
        .iter()
        .map(|v| json!({"location": v.location, "message": v.message}))
        .collect();
    let message = if operation == "-" {
        "The request names no documented operation; the proxy did not forward it.".to_owned()
    } else {
        format!("The request breaks the contract of {operation}; the proxy did not forward it.")
    };
    let mut response = json_response(
        StatusCode::BAD_REQUEST,
        &json!({"code": "CONTRACT_VIOLATION", "message": message, "violations": listed}),
    );
    response
        .headers_mut()
        .insert(VIOLATIONS_HEADER, HeaderValue::from(violations.len()));
    response
}

fn respond(reply: Reply, violations: usize) -> Response<Body> {
    let body = match reply.rest {
        None => Either::Left(Full::new(reply.body)),
        Some(rest) => Either::Right(Streamed::new(reply.body, rest)),
    };
    let mut response = Response::new(body);
    *response.status_mut() = reply.status;
    *response.headers_mut() = reply.headers;
    response
        .headers_mut()
        .insert(VIOLATIONS_HEADER, HeaderValue::from(violations));
    response
}
