//! Bad input answered as documented and never read further than needed (docs/domain.md §9): bodies over the limit
//! refused as soon as the limit is passed and the connection closed, a trickling body timed out with 408, data
//! after the JSON value, `null` and NUL characters refused with 400 before any query; the server's memory does not
//! grow with what a client sends.

use std::time::{Duration, Instant};

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The headers of a v2 create, as raw bytes, ending with the blank line; `framing` is `Content-Length: N` or
/// `Transfer-Encoding: chunked`.
fn create_head(agent: &Agent, framing: &str) -> Vec<u8> {
    format!(
        "POST {} HTTP/1.1\r\nHost: localhost\r\nAccept: {V2_ACCEPT}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\n{framing}\r\n\r\n",
        invitations_path(&agent.arn),
        agent.token
    )
    .into_bytes()
}

/// This process's resident memory, in bytes (the server under test runs in it).
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Reads the answer's status line and body until the server closes the connection (or `within` passes).
async fn read_answer(
    stream: &mut tokio::net::tcp::OwnedReadHalf,
    within: Duration,
) -> (u16, String) {
    let mut bytes = Vec::new();
    let _ = tokio::time::timeout(within, stream.read_to_end(&mut bytes)).await;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn a_body_declared_over_the_limit_is_refused_at_once() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let stream = TcpStream::connect(app.addr()).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    write
        .write_all(&create_head(&agent, "Content-Length: 104857600"))
        .await
        .unwrap();
    let started = Instant::now();
    let (status, text) = read_answer(&mut read, Duration::from_secs(5)).await;
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains(r#"{"code":"BAD_REQUEST","message":"Bad Request"}"#),
        "{text}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_endless_chunked_body_is_refused_once_past_the_limit_and_the_connection_closed() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let resident_before = resident_bytes();
    let stream = TcpStream::connect(app.addr()).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    write
        .write_all(&create_head(&agent, "Transfer-Encoding: chunked"))
        .await
        .unwrap();
    let chunk = format!("4000\r\n{}\r\n", "x".repeat(0x4000)).into_bytes();
    // The limit (64 KiB) is passed with the fifth chunk; the writer then goes on for as long as it may.
    let writer = tokio::spawn(async move {
        let mut sent = 0usize;
        let mut past_limit = None;
        while write.write_all(&chunk).await.is_ok() {
            sent += 0x4000;
            if sent > 64 * 1024 && past_limit.is_none() {
                past_limit = Some(Instant::now());
            }
            if sent > 1 << 30 {
                break;
            }
        }
        (sent, past_limit)
    });
    let (status, text) = read_answer(&mut read, Duration::from_secs(10)).await;
    let answered = Instant::now();
    assert_eq!(status, 400, "{text}");
    let (sent, past_limit) = tokio::time::timeout(Duration::from_secs(10), writer)
        .await
        .expect("the server closes the connection, so the writer stops")
        .unwrap();
    let past_limit = past_limit.expect("the limit was passed");
    assert!(
        answered.saturating_duration_since(past_limit) < Duration::from_secs(1),
        "answered {:?} after the limit was passed",
        answered.saturating_duration_since(past_limit)
    );
    assert!(
        sent < 256 << 20,
        "the server read {sent} bytes before closing"
    );
    // Nothing past the limit is kept: memory does not grow with what was sent (other tests share the process,
    // hence the margin).
    let grown = resident_bytes().saturating_sub(resident_before);
    assert!(grown < 48 << 20, "resident memory grew by {grown} bytes");
}

#[tokio::test]
async fn a_trickling_body_is_timed_out_with_408() {
    let app = TestApp::start_with(|settings| {
        settings.request_body_timeout = Duration::from_millis(500);
    })
    .await;
    let agent = app.create_agent().await;
    let stream = TcpStream::connect(app.addr()).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    write
        .write_all(&create_head(&agent, "Content-Length: 100"))
        .await
        .unwrap();
    write.write_all(b"{\"service\":").await.unwrap();
    let started = Instant::now();
    let (status, text) = read_answer(&mut read, Duration::from_secs(5)).await;
    assert_eq!(status, 408, "{text}");
    assert!(
        text.contains(
            r#"{"code":"REQUEST_TIMEOUT","message":"The request was not received in time."}"#
        ),
        "{text}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    drop(write);
}

#[tokio::test]
async fn trailing_data_null_and_nul_are_400_and_change_nothing() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let good = itsa_main(&client);
    let bodies = [
        format!("{good}garbage"),
        format!("{good} {good}"),
        with(good.clone(), "agentType", json!(null)).to_string(),
        with(
            good.clone(),
            "knownFact",
            json!(format!("{}\u{0}", client.postcode)),
        )
        .to_string(),
        with(good.clone(), "clientType", json!("personal\u{0}")).to_string(),
    ];
    for body in bodies {
        let response = app
            .v2(Method::POST, &invitations_path(&agent.arn), &agent.token)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_error(response, "create_invitation", "BAD_REQUEST").await;
    }
    assert_no_content(app.list_invitations(&agent).await).await;
}

#[tokio::test]
async fn a_nul_byte_or_a_malformed_escape_in_a_path_or_query_is_400() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let paths = [
        format!("/agents/{}%00/invitations", agent.arn),
        format!("{}/ABERULMHCKKW%003", invitations_path(&agent.arn)),
        format!(
            "/agent-client-authorisation/agencies/{}/invitations/sent?status=Pending%00",
            agent.arn
        ),
        // The router would read `%zz` as the text it is: the caller's own ARN with `%zz` after it.
        format!("/agents/{}%zz/invitations", agent.arn),
        format!("/agents/{}%4/invitations", agent.arn),
        format!("{}/ABERULMHCKKW%", invitations_path(&agent.arn)),
    ];
    for path in paths {
        let response = app
            .v2(Method::GET, &path, &agent.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({"code": "BAD_REQUEST", "message": "Bad Request"}),
            "{path}"
        );
    }
}

/// In production mode principals come from `agent-auth-server principals add` (the same function).
pub(crate) async fn provision(
    app: &TestApp,
    provision: agent_auth_server::domain::provisioning::Provision,
) -> String {
    use agent_auth_server::domain::{Authorisations, Lifetimes, clock::SystemClock};
    let store = agent_auth_server::store::Store::new(&app.db.url, 1).unwrap();
    let lifetimes = Lifetimes {
        invitation_days: 21,
        token: chrono::Duration::days(1),
    };
    let authorisations = Authorisations::new(store, std::sync::Arc::new(SystemClock), lifetimes);
    let user = authorisations
        .provision(provision, None, chrono::Duration::days(1))
        .await
        .unwrap();
    user.access_token
}

#[tokio::test]
async fn production_mode_serves_principals_provisioned_from_the_command_line() {
    use agent_auth_server::domain::identifiers::{Arn, Nino, Postcode};
    use agent_auth_server::domain::provisioning::Provision;
    let app = TestApp::start_with(|settings| settings.sandbox = false).await;
    let arn = Arn::parse("KARN0762398").unwrap();
    let agent_token = provision(
        &app,
        Provision::Agent {
            arn: arn.clone(),
            agency_name: "Evans & Partners".into(),
        },
    )
    .await;
    let nino = Nino::parse("AB123456C").unwrap();
    provision(
        &app,
        Provision::Individual {
            nino,
            postcode: Postcode::parse("TS1 1PA").unwrap(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1980, 2, 3).unwrap(),
            mtditid: None,
        },
    )
    .await;
    let body = json!({"service": ["MTD-IT"], "clientType": "personal", "clientIdType": "ni",
        "clientId": "AB123456C", "knownFact": "TS1 1PA"});
    let created = app
        .v2(Method::POST, &invitations_path(arn.as_str()), &agent_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_no_content(created).await;
}

#[tokio::test]
async fn production_mode_has_no_sandbox() {
    let app = TestApp::start_with(|settings| settings.sandbox = false).await;
    let not_found = json!({"code": "NOT_FOUND", "message": "Resource was not found."});
    for (method, path, body) in [
        (
            Method::POST,
            "/create-test-user/agents",
            Some(r#"{"serviceNames":["agent-services"]}"#),
        ),
        (
            Method::POST,
            "/create-test-user/individuals",
            Some("not json"),
        ),
        (
            Method::PUT,
            "/agent-authorisation-test-support/invitations/ABERULMHCKKW3",
            None,
        ),
        (
            Method::DELETE,
            "/agent-authorisation-test-support/invitations/not-an-id",
            None,
        ),
        (
            Method::PUT,
            "/agent-authorisation-test-support/individuals/AB123456C/mtd-income-tax",
            None,
        ),
    ] {
        let mut request = app.bare(method.clone(), path);
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(
            response.json::<serde_json::Value>().await.unwrap(),
            not_found,
            "{method} {path}"
        );
    }
}
