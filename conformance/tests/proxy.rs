//! The validating proxy in front of a fake upstream that returns canned answers: each broken rule gives exactly
//! its violation line, its JUnit failure and its JSON entry; a valid exchange gives none; `--strict` refuses;
//! scenarios are answered by the upstream or the proxy; and bad input to the proxy itself (garbage, huge bodies,
//! an upstream down or too slow) gets a `{code, message}` answer, never a crash.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use conformance::http::{Exchange, Http, Request};
use conformance::proxy::{AnswerScenarios, Config, Proxy};
use conformance::report::xml;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const V2: &str = "application/vnd.hmrc.2.0+json";
const ARN: &str = "KARN0762398";
const INVITATION: &str = "ABERULMHCKKW3";

/// A canned answer: status, headers, body.
type Answer = (u16, Vec<(&'static str, String)>, String);

/// A fake upstream: answers every request with `answer(method, path, body)` and counts them.
struct Fake {
    url: String,
    hits: Arc<AtomicUsize>,
}

async fn fake_upstream(
    answer: impl Fn(&str, &str, &[u8]) -> Answer + Send + Sync + 'static,
) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let answer = Arc::new(answer);
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let answer = answer.clone();
            let counter = counter.clone();
            let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let answer = answer.clone();
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let method = request.method().to_string();
                    let path = request.uri().path().to_owned();
                    let body = request.into_body().collect().await?.to_bytes();
                    let (status, headers, text) = answer(&method, &path, &body);
                    let mut response = hyper::Response::new(Full::new(Bytes::from(text)));
                    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                    for (name, value) in headers {
                        response.headers_mut().insert(name, value.parse().unwrap());
                    }
                    Ok::<_, hyper::Error>(response)
                }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    Fake { url, hits }
}

fn error(code: &str, message: &str) -> Answer {
    let body = json!({"code": code, "message": message}).to_string();
    (
        status_of(code),
        vec![("content-type", "application/json".into())],
        body,
    )
}

fn status_of(code: &str) -> u16 {
    match code {
        "ACCEPT_HEADER_INVALID" => 406,
        "UNAUTHORIZED" => 401,
        "BAD_REQUEST" | "INVALID_TEST_SCENARIO" => 400,
        _ => 403,
    }
}

fn invitation() -> Value {
    json!({
        "_links": {"self": {"href": format!("/agents/{ARN}/invitations/{INVITATION}")}},
        "invitationId": INVITATION, "created": "2026-03-02T10:00:00.000Z", "expiresOn": "2026-03-23T00:00:00.000Z",
        "arn": ARN, "service": ["MTD-IT"], "status": "Pending", "agentType": "main",
        "clientActionUrl": "http://127.0.0.1/appoint-someone-to-deal-with-HMRC-for-you/X/agent/income-tax"
    })
}

/// An upstream that behaves like a correct server for the requests these tests send.
fn correct(method: &str, path: &str, body: &[u8]) -> Answer {
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    match (method, path) {
        ("POST", "/create-test-user/agents") => (201, vec![], "{}".into()),
        ("GET", _) => (200, vec![], invitation().to_string()),
        ("POST", _)
            if body.get("clientType").is_some_and(|t| !t.is_string())
                || body.get("knownFact").is_none() =>
        {
            error("BAD_REQUEST", "Bad Request")
        }
        ("POST", _) => (
            204,
            vec![(
                "location",
                format!("/agents/{ARN}/invitations/{INVITATION}"),
            )],
            String::new(),
        ),
        _ => (404, vec![], String::new()),
    }
}

fn report_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    // Under target/ (cargo's directory for integration tests' files), not the system's temporary directory.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "conformance-proxy-test-{}",
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn start_proxy(upstream: &str, configure: impl FnOnce(&mut Config)) -> Proxy {
    let mut config = Config::new(upstream, SocketAddr::from(([127, 0, 0, 1], 0)));
    config.report_dir = report_dir();
    config.echo = false;
    configure(&mut config);
    Proxy::start(config).await.unwrap()
}

fn create_body() -> Value {
    json!({"service": ["MTD-IT"], "clientType": "personal", "clientIdType": "ni", "clientId": "AA999999A",
           "knownFact": "AA11 1AA"})
}

fn create(body: &Value) -> Request {
    Request::new("POST", format!("/agents/{ARN}/invitations"))
        .header("Accept", V2)
        .bearer("token")
        .json(body)
}

async fn send(proxy: &Proxy, request: Request) -> Exchange {
    Http::new(&proxy.url())
        .unwrap()
        .send(request)
        .await
        .unwrap()
}

/// The report's JSON entry of `id`, after writing the reports.
fn json_entry(proxy: &Proxy, dir: &std::path::Path, id: &str) -> Value {
    proxy.report().unwrap();
    let text = std::fs::read_to_string(dir.join("client-ledger.json")).unwrap();
    let ledger: Value = serde_json::from_str(&text).unwrap();
    ledger["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .cloned()
        .unwrap()
}

/// The exchange broke exactly one rule: that line was printed, the entry's JSON holds it, JUnit fails it.
fn assert_one_violation(
    proxy: &Proxy,
    dir: &std::path::Path,
    exchange: &Exchange,
    entry: &str,
    line: &str,
) {
    assert_eq!(proxy.ledger().lines(), [line]);
    assert_eq!(
        exchange.response.header("x-conformance-violations"),
        Some("1")
    );
    let json = json_entry(proxy, dir, entry);
    assert_eq!(json["outcome"], "failed", "{json}");
    assert_eq!(json["received"], 1, "{json}");
    assert_eq!(json["violations"], json!([line]), "{json}");
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    let operation = entry.split('/').next().unwrap();
    let case = format!(
        "<testcase classname=\"{contract}.{operation}\" name=\"{entry}\"><failure type=\"violation\" \
         message=\"{entry}: 1 violation(s)\">{}</failure></testcase>",
        xml(line),
        contract = json["contract"].as_str().unwrap(),
    );
    assert!(junit.contains(&case), "{case}\nnot in\n{junit}");
}

fn curl(proxy: &Proxy, method: &str, path: &str, headers: &[&str], body: &Value) -> String {
    let mut out = format!("curl -i -X {method} '{}{path}'", proxy.url());
    if !headers.iter().any(|h| h.starts_with("accept:")) {
        out.push_str(" -H 'Accept:'");
    }
    for header in headers {
        out.push_str(&format!(" -H '{header}'"));
    }
    if !body.is_null() {
        out.push_str(&format!(" --data-binary '{body}'"));
    }
    out
}

#[tokio::test]
async fn a_valid_exchange_has_no_violation() {
    let upstream = fake_upstream(correct).await;
    let proxy = start_proxy(&upstream.url, |_| {}).await;
    let exchange = send(&proxy, create(&create_body())).await;
    assert_eq!(exchange.status(), 204);
    assert_eq!(
        exchange.response.header("location"),
        Some(format!("/agents/{ARN}/invitations/{INVITATION}").as_str())
    );
    assert_eq!(
        exchange.response.header("x-conformance-violations"),
        Some("0")
    );
    assert_eq!(proxy.ledger().lines(), Vec::<String>::new());
    let dir = proxy_dir(&proxy);
    let json = json_entry(&proxy, &dir, "create_invitation/204");
    assert_eq!(
        (
            json["outcome"].as_str(),
            json["received"].as_u64(),
            json["valid_requests"].as_u64()
        ),
        (Some("passed"), Some(1), Some(1))
    );
    assert!(
        json["first_request"]
            .as_str()
            .unwrap()
            .contains("-H 'authorization: Bearer <redacted>'"),
        "{json}"
    );
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(
        junit.contains("name=\"create_invitation/204\"><system-out>received 1 time(s)"),
        "{junit}"
    );
    assert!(
        junit.contains(
            "name=\"create_invitation/400/BAD_REQUEST\"><skipped message=\"never received\"/>"
        ),
        "{junit}"
    );
    assert!(!junit.contains("<failure"), "{junit}");
}

/// Where the proxy writes (its config's report directory, read back from a report).
fn proxy_dir(proxy: &Proxy) -> PathBuf {
    proxy.report().unwrap();
    proxy.report_dir().to_path_buf()
}

#[tokio::test]
async fn a_request_without_accept_is_one_violation() {
    let upstream =
        fake_upstream(|_, _, _| error("ACCEPT_HEADER_INVALID", "Missing 'Accept' header.")).await;
    let proxy = start_proxy(&upstream.url, |_| {}).await;
    let body = create_body();
    let request = Request::new("POST", format!("/agents/{ARN}/invitations"))
        .bearer("token")
        .json(&body);
    let exchange = send(&proxy, request).await;
    assert_eq!(exchange.status(), 406);
    let line = format!(
        "VIOLATION create_invitation request header:Accept: missing; the operation documents {V2} | {}",
        curl(
            &proxy,
            "POST",
            &format!("/agents/{ARN}/invitations"),
            &[
                "authorization: Bearer <redacted>",
                "content-type: application/json"
            ],
            &body
        )
    );
    let dir = proxy.report_dir().to_path_buf();
    assert_one_violation(
        &proxy,
        &dir,
        &exchange,
        "create_invitation/406/ACCEPT_HEADER_MISSING",
        &line,
    );
}

#[tokio::test]
async fn a_body_field_of_the_wrong_type_is_one_violation() {
    let upstream = fake_upstream(correct).await;
    let proxy = start_proxy(&upstream.url, |_| {}).await;
    let mut body = create_body();
    body["clientType"] = json!(1);
    let exchange = send(&proxy, create(&body)).await;
    assert_eq!(exchange.status(), 400);
    let line = format!(
        "VIOLATION create_invitation request /clientType: expected string, found number | {}",
        curl(
            &proxy,
            "POST",
            &format!("/agents/{ARN}/invitations"),
            &[
                &format!("accept: {V2}"),
                "authorization: Bearer <redacted>",
                "content-type: application/json"
            ],
            &body
        )
    );
    let dir = proxy.report_dir().to_path_buf();
    assert_one_violation(
        &proxy,
        &dir,
        &exchange,
        "create_invitation/400/BAD_REQUEST",
        &line,
    );
}

#[tokio::test]
async fn a_missing_required_field_is_one_violation() {
    let upstream = fake_upstream(correct).await;
    let proxy = start_proxy(&upstream.url, |_| {}).await;
    let mut body = create_body();
    body.as_object_mut().unwrap().remove("knownFact");
    let exchange = send(&proxy, create(&body)).await;
    let line = format!(
        "VIOLATION create_invitation request /: required property \"knownFact\" is missing | {}",
        curl(
            &proxy,
            "POST",
            &format!("/agents/{ARN}/invitations"),
            &[
                &format!("accept: {V2}"),
                "authorization: Bearer <redacted>",
                "content-type: application/json"
            ],
            &body
        )
    );
    let dir = proxy.report_dir().to_path_buf();
    assert_one_violation(
        &proxy,
        &dir,
        &exchange,
        "create_invitation/400/BAD_REQUEST",
        &line,
    );
}

#[tokio::test]
async fn a_request_without_a_token_is_one_violation() {
    let upstream = fake_upstream(|_, _, _| {
        error("UNAUTHORIZED", "Bearer token is missing or not authorized.")
    })
    .await;
    let proxy = start_proxy(&upstream.url, |_| {}).await;
    let path = format!("/agents/{ARN}/invitations/{INVITATION}");
    let exchange = send(
        &proxy,
        Request::new("GET", path.clone()).header("Accept", V2),
    )
    .await;
    assert_eq!(exchange.status(), 401);
    let line = format!(
        "VIOLATION get_invitation request header:Authorization: missing; the operation needs a bearer token | {}",
        curl(
            &proxy,
            "GET",
            &path,
            &[&format!("accept: {V2}")],
            &Value::Null
        )
    );
    let dir = proxy.report_dir().to_path_buf();
    assert_one_violation(
        &proxy,
        &dir,
        &exchange,
        "get_invitation/401/UNAUTHORIZED",
        &line,
    );
}

#[tokio::test]
async fn a_response_that_breaks_its_schema_is_one_violation() {
    let mut broken = invitation();
    broken["status"] = json!(7);
    let text = broken.to_string();
    let answer = text.clone();
    let upstream = fake_upstream(move |_, _, _| (200, vec![], answer.clone())).await;
    let proxy = start_proxy(&upstream.url, |_| {}).await;
    let path = format!("/agents/{ARN}/invitations/{INVITATION}");
    let exchange = send(
        &proxy,
        Request::new("GET", path)
            .header("Accept", V2)
            .bearer("token"),
    )
    .await;
    assert_eq!(
        (exchange.status(), exchange.response.text()),
        (200, text.clone()),
        "traffic is not altered"
    );
    let line = format!(
        "VIOLATION get_invitation response /status: expected string, found number | 200 {text}"
    );
    let dir = proxy.report_dir().to_path_buf();
    assert_one_violation(&proxy, &dir, &exchange, "get_invitation/200", &line);
}

/// A contract whose request schema forbids unknown fields (none of the project's does).
const CLOSED: &str = r#"
openapi: 3.0.3
info: {title: Things, version: "1.0"}
paths:
  /things:
    post:
      operationId: create_thing
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, additionalProperties: false, required: [name], properties: {name: {type: string}, colour: {type: string, enum: [red, blue]}}}
      responses:
        '201': {description: made}
"#;

#[tokio::test]
async fn an_unknown_field_where_the_schema_forbids_it_is_one_violation() {
    let contracts = report_dir();
    std::fs::create_dir_all(&contracts).unwrap();
    std::fs::write(contracts.join("things.yaml"), CLOSED).unwrap();
    let upstream = fake_upstream(|_, _, _| (201, vec![], String::new())).await;
    let proxy = start_proxy(&upstream.url, |c| c.contracts_dir = contracts.clone()).await;
    let body = json!({"name": "a", "size": 3});
    let exchange = send(
        &proxy,
        Request::new("POST", "/things")
            .header("accept", "application/json")
            .json(&body),
    )
    .await;
    assert_eq!(exchange.status(), 201);
    let line = format!(
        "VIOLATION create_thing request /: property \"size\" is not allowed | {}",
        curl(
            &proxy,
            "POST",
            "/things",
            &["accept: application/json", "content-type: application/json"],
            &body
        )
    );
    let dir = proxy.report_dir().to_path_buf();
    assert_one_violation(&proxy, &dir, &exchange, "create_thing/201", &line);
    // An enum, too.
    let exchange = send(
        &proxy,
        Request::new("POST", "/things")
            .header("accept", "application/json")
            .json(&json!({"name": "a", "colour": "green"})),
    )
    .await;
    assert_eq!(
        exchange.response.header("x-conformance-violations"),
        Some("1")
    );
    assert!(
        proxy.ledger().lines()[1]
            .contains("create_thing request /colour: \"green\" is not one of [\"red\",\"blue\"] |"),
        "{:?}",
        proxy.ledger().lines()
    );
}

#[tokio::test]
async fn strict_mode_refuses_an_invalid_request_without_forwarding_it() {
    let upstream = fake_upstream(correct).await;
    let proxy = start_proxy(&upstream.url, |c| c.strict = true).await;
    let mut body = create_body();
    body["clientType"] = json!(1);
    let exchange = send(&proxy, create(&body)).await;
    assert_eq!(exchange.status(), 400);
    assert_eq!(
        exchange.json().unwrap(),
        json!({"code": "CONTRACT_VIOLATION",
               "message": "The request breaks the contract of create_invitation; the proxy did not forward it.",
               "violations": [{"location": "/clientType", "message": "expected string, found number"}]})
    );
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0);
    // A valid request goes through.
    assert_eq!(send(&proxy, create(&create_body())).await.status(), 204);
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 1);
    let ledger: Value = serde_json::from_str(
        &std::fs::read_to_string(proxy_dir(&proxy).join("client-ledger.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        ledger["outside_the_ledger"][0]["operation"],
        "create_invitation"
    );
    assert_eq!(ledger["outside_the_ledger"][0]["violation_count"], 1);
}

#[tokio::test]
async fn scenarios_the_upstream_ignores_are_answered_from_the_contract() {
    let upstream = fake_upstream(correct).await;
    let proxy = start_proxy(&upstream.url, |_| {}).await;
    let duplicate =
        || create(&create_body()).header("Gov-Test-Scenario", "DUPLICATE_AUTHORISATION_REQUEST");
    for _ in 0..2 {
        let exchange = send(&proxy, duplicate()).await;
        assert_eq!(exchange.status(), 403);
        assert_eq!(
            exchange.code().as_deref(),
            Some("DUPLICATE_AUTHORISATION_REQUEST")
        );
        assert_eq!(
            exchange.response.header("location"),
            Some(format!("/agents/{ARN}/invitations/CS5AK7O8FPC43").as_str())
        );
        assert_eq!(
            exchange.response.header("x-conformance-violations"),
            Some("0")
        );
    }
    // Forwarded once, then answered by the proxy alone: the upstream ignores this operation's scenarios.
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 1);
    let dir = proxy.report_dir().to_path_buf();
    let json = json_entry(
        &proxy,
        &dir,
        "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
    );
    assert_eq!(
        (
            json["outcome"].as_str(),
            json["received"].as_u64(),
            json["answered_by_proxy"].as_u64()
        ),
        (Some("passed"), Some(2), Some(2))
    );
    let unknown = send(
        &proxy,
        create(&create_body()).header("Gov-Test-Scenario", "NOPE"),
    )
    .await;
    assert_eq!(unknown.status(), 400);
    assert_eq!(unknown.code().as_deref(), Some("INVALID_TEST_SCENARIO"));
    assert_eq!(
        unknown.response.header("x-conformance-violations"),
        Some("0")
    );
    assert_eq!(
        proxy.ledger().lines(),
        Vec::<String>::new(),
        "the proxy's own answer is not a violation"
    );
    // The operation documents its answer to an unknown name: that example, naming the valid ones.
    assert!(
        unknown.json().unwrap()["message"]
            .as_str()
            .unwrap()
            .starts_with(
                "The Gov-Test-Scenario header must name one of this operation's documented examples: \
                 SERVICE_NOT_SUPPORTED, "
            )
    );
    let default = send(
        &proxy,
        create(&create_body()).header("Gov-Test-Scenario", "DEFAULT"),
    )
    .await;
    assert_eq!(default.status(), 204);
}

#[tokio::test]
async fn scenarios_the_upstream_honours_are_relayed() {
    let upstream = fake_upstream(|_, _, _| {
        error("UNAUTHORIZED", "Bearer token is missing or not authorized.")
    })
    .await;
    let proxy = start_proxy(&upstream.url, |_| {}).await;
    for _ in 0..2 {
        let request = Request::new("GET", format!("/agents/{ARN}/invitations"))
            .header("Accept", V2)
            .bearer("t");
        let exchange = send(&proxy, request.header("Gov-Test-Scenario", "UNAUTHORIZED")).await;
        assert_eq!(exchange.status(), 401);
    }
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 2);
    let dir = proxy.report_dir().to_path_buf();
    let json = json_entry(&proxy, &dir, "list_invitations/401/UNAUTHORIZED");
    assert_eq!(
        (
            json["received"].as_u64(),
            json["answered_by_proxy"].as_u64()
        ),
        (Some(2), Some(0))
    );
}

#[tokio::test]
async fn a_name_the_upstream_refuses_is_answered_locally_and_the_upstream_keeps_the_others() {
    let upstream = fake_upstream(|_, _, _| {
        error(
            "INVALID_TEST_SCENARIO",
            "Not one of this operation's scenarios.",
        )
    })
    .await;
    let proxy = start_proxy(&upstream.url, |_| {}).await;
    for _ in 0..2 {
        let request = create(&create_body()).header("Gov-Test-Scenario", "INTERNAL_SERVER_ERROR");
        let exchange = send(&proxy, request).await;
        assert_eq!(
            (exchange.status(), exchange.code().as_deref()),
            (500, Some("INTERNAL_SERVER_ERROR"))
        );
    }
    // Both went upstream first: a refused name does not mark the operation's scenarios as ignored.
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn local_scenarios_never_reach_the_upstream_and_upstream_ones_always_do() {
    let upstream = fake_upstream(correct).await;
    let local = start_proxy(&upstream.url, |c| {
        c.answer_scenarios = AnswerScenarios::Local
    })
    .await;
    let request = || create(&create_body()).header("Gov-Test-Scenario", "INTERNAL_SERVER_ERROR");
    let exchange = send(&local, request()).await;
    assert_eq!(
        (exchange.status(), exchange.code().as_deref()),
        (500, Some("INTERNAL_SERVER_ERROR"))
    );
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0);
    let relay = start_proxy(&upstream.url, |c| {
        c.answer_scenarios = AnswerScenarios::Upstream
    })
    .await;
    assert_eq!(send(&relay, request()).await.status(), 204);
    assert_eq!(
        send(
            &relay,
            create(&create_body()).header("Gov-Test-Scenario", "NOPE")
        )
        .await
        .status(),
        204
    );
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_report_endpoint_writes_and_answers_the_client_ledger() {
    let upstream = fake_upstream(correct).await;
    let proxy = start_proxy(&upstream.url, |_| {}).await;
    send(&proxy, create(&create_body())).await;
    let exchange = send(
        &proxy,
        Request::new("GET", "/__conformance/report").header("Accept", "application/json"),
    )
    .await;
    assert_eq!(exchange.status(), 200);
    let ledger = exchange.json().unwrap();
    assert_eq!(ledger["totals"]["passed"], 1);
    assert!(proxy.report_dir().join("client-ledger.json").exists());
    assert!(proxy.report_dir().join("junit.xml").exists());
}

// ---- bad input to the proxy itself ----

async fn raw(proxy: &Proxy, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(proxy.local_addr()).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn garbage_gets_a_400_in_code_and_message() {
    let upstream = fake_upstream(correct).await;
    let proxy = start_proxy(&upstream.url, |_| {}).await;
    for garbage in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"[..],
        b"HELLO THERE\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
    ] {
        let answer = raw(&proxy, garbage).await;
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{answer:?}"
        );
        assert!(answer.ends_with(r#"{"code":"MALFORMED_REQUEST","message":"The request could not be read: it is not an HTTP/1.1 request."}"#), "{answer:?}");
    }
    let huge_head = format!("GET / HTTP/1.1\r\nX: {}\r\n", "a".repeat(70_000));
    assert!(
        raw(&proxy, huge_head.as_bytes())
            .await
            .contains("REQUEST_HEADERS_TOO_LARGE")
    );
    // Still serving.
    assert_eq!(send(&proxy, create(&create_body())).await.status(), 204);
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_body_over_the_cap_gets_a_413() {
    let upstream = fake_upstream(correct).await;
    let proxy = start_proxy(&upstream.url, |c| c.max_body_bytes = 1_000).await;
    let big = json!({"name": "x".repeat(5_000)});
    let exchange = send(&proxy, create(&big)).await;
    assert_eq!(exchange.status(), 413);
    assert_eq!(exchange.code().as_deref(), Some("REQUEST_BODY_TOO_LARGE"));
    // Chunked, without a length: refused once the cap is passed.
    let chunk = "x".repeat(600);
    let head = format!(
        "POST /agents/{ARN}/invitations HTTP/1.1\r\nHost: x\r\nAccept: {V2}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let chunks = format!("258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n");
    let answer = raw(&proxy, format!("{head}{chunks}").as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(answer.contains("REQUEST_BODY_TOO_LARGE"), "{answer}");
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_upstream_that_is_down_gets_a_502() {
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let proxy = start_proxy(&format!("http://127.0.0.1:{port}"), |_| {}).await;
    let exchange = send(&proxy, create(&create_body())).await;
    assert_eq!(exchange.status(), 502);
    assert_eq!(exchange.code().as_deref(), Some("UPSTREAM_UNAVAILABLE"));
    assert!(
        exchange.json().unwrap()["message"]
            .as_str()
            .unwrap()
            .starts_with("The upstream server could not be reached: ")
    );
}

#[tokio::test]
async fn an_upstream_that_does_not_answer_gets_a_504() {
    // Accepts connections and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let proxy = start_proxy(&url, |c| c.upstream_timeout = Duration::from_millis(300)).await;
    let exchange = send(&proxy, create(&create_body())).await;
    assert_eq!(exchange.status(), 504);
    assert_eq!(
        exchange.json().unwrap(),
        json!({"code": "UPSTREAM_TIMEOUT", "message": "The upstream server did not answer within 0.3 s."})
    );
}
