//! What every v2 operation checks before its payload (docs/domain.md §6, steps 1–3): the Accept header, the body's shape,
//! the bearer token, the caller's affinity group, enrolment and ARN — and in that order.

use crate::support::*;
use chrono::Duration;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// One call of each v2 operation, with a valid body where it has one.
struct Call {
    op: &'static str,
    method: Method,
    path: String,
    body: Option<Value>,
}

fn calls(arn: &str, client: &Individual) -> Vec<Call> {
    let id = unknown_invitation_id();
    let create = itsa_main(client);
    vec![
        Call {
            op: "create_invitation",
            method: Method::POST,
            path: invitations_path(arn),
            body: Some(create.clone()),
        },
        Call {
            op: "list_invitations",
            method: Method::GET,
            path: invitations_path(arn),
            body: None,
        },
        Call {
            op: "get_invitation",
            method: Method::GET,
            path: invitation_path(arn, &id),
            body: None,
        },
        Call {
            op: "cancel_invitation",
            method: Method::DELETE,
            path: invitation_path(arn, &id),
            body: None,
        },
        Call {
            op: "check_relationship",
            method: Method::POST,
            path: format!("/agents/{arn}/relationships"),
            body: Some(check_body(&create)),
        },
        Call {
            op: "deauthorise_client",
            method: Method::PUT,
            path: format!("/agents/{arn}/deauthorise-client"),
            body: Some(deauth_body(&create)),
        },
    ]
}

async fn send(
    app: &TestApp,
    call: &Call,
    accept: Option<&str>,
    authorization: Option<&str>,
) -> Response {
    let mut request = app.bare(call.method.clone(), &call.path);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    if let Some(authorization) = authorization {
        request = request.header(AUTHORIZATION, authorization);
    }
    if let Some(body) = &call.body {
        request = request.json(body);
    }
    request.send().await.unwrap()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// An app with a subscribed agent and an MTD-IT client.
async fn setup() -> (TestApp, Agent, Individual) {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    (app, agent, client)
}

#[test]
fn the_table_covers_every_v2_operation() {
    let client = Individual {
        nino: "AB123456C".into(),
        mtd_it_id: None,
        postcode: "AA1 1AA".into(),
        token: String::new(),
        answer: Value::Null,
    };
    let mut ours: Vec<&str> = calls("TARN0000001", &client).iter().map(|c| c.op).collect();
    let mut documented: Vec<&str> = contract::operations()
        .into_iter()
        .filter(|op| op.file == "agent-authorisation-v2.yaml")
        .map(|op| op.id)
        .collect();
    ours.sort();
    documented.sort();
    assert_eq!(ours, documented);
}

// ---- Accept ----

#[tokio::test]
async fn a_missing_accept_header_is_406() {
    // reqwest always sends `Accept: */*`, so these requests are raw.
    let (app, agent, client) = setup().await;
    let authorization = bearer(&agent.token);
    for call in calls(&agent.arn, &client) {
        let body = call.body.as_ref().map(|b| b.to_string().into_bytes());
        let mut headers: Vec<(&str, &[u8])> = vec![("Authorization", authorization.as_bytes())];
        if body.is_some() {
            headers.push(("Content-Type", b"application/json"));
        }
        let request = raw::request(call.method.as_str(), &call.path, &headers, body.as_deref());
        let response = raw::send(app.addr(), request).await;
        assert_raw_error(&response, call.op, "ACCEPT_HEADER_MISSING");
    }
}

#[tokio::test]
async fn a_malformed_accept_header_is_406() {
    let (app, agent, client) = setup().await;
    let headers = [
        "*/*",
        "application/json",
        "text/html",
        "application/vnd.hmrc.2.0",
        "application/vnd.hmrc.2+json",
        "application/vnd.hmrc.two.zero+json",
        "",
    ];
    for call in calls(&agent.arn, &client) {
        for accept in headers {
            let response = send(&app, &call, Some(accept), Some(&bearer(&agent.token))).await;
            assert_error(response, call.op, "ACCEPT_HEADER_INVALID").await;
        }
    }
}

#[tokio::test]
async fn an_unserved_version_is_400() {
    let (app, agent, client) = setup().await;
    for call in calls(&agent.arn, &client) {
        // 1.0 is served on these paths too (but deauthorise): see the 1.0 tests.
        for accept in [
            "application/vnd.hmrc.9.9+json",
            "application/vnd.hmrc.2.1+json",
            "application/vnd.hmrc.0.9+json",
        ] {
            let response = send(&app, &call, Some(accept), Some(&bearer(&agent.token))).await;
            assert_error(response, call.op, "BAD_REQUEST_VERSION").await;
        }
    }
}

#[tokio::test]
async fn a_content_type_other_than_json_is_400() {
    let (app, agent, client) = setup().await;
    for call in calls(&agent.arn, &client) {
        let response = send(
            &app,
            &call,
            Some("application/vnd.hmrc.2.0+xml"),
            Some(&bearer(&agent.token)),
        )
        .await;
        assert_error(response, call.op, "BAD_REQUEST_CONTENT_TYPE").await;
    }
}

// ---- 401 ----

#[tokio::test]
async fn no_valid_token_is_401() {
    let (app, agent, client) = setup().await;
    let authorizations = [
        None,
        Some("Bearer".to_string()),
        Some("Bearer ".to_string()),
        Some("Basic x".to_string()),
        Some(format!("Basic {}", agent.token)),
        Some(agent.token.clone()),
        Some("Bearer unknown-token".to_string()),
        Some(format!("Bearer {}x", agent.token)),
    ];
    for call in calls(&agent.arn, &client) {
        for authorization in &authorizations {
            let response = send(&app, &call, Some(V2_ACCEPT), authorization.as_deref()).await;
            assert_error(response, call.op, "UNAUTHORIZED").await;
        }
    }
}

#[tokio::test]
async fn an_expired_token_is_401() {
    let (app, agent, client) = setup().await;

    // 29 days on, the 30-day token still works ...
    app.advance(Duration::days(29));
    assert_no_content(app.list_invitations(&agent).await).await;

    // ... 31 days on, it does not.
    app.advance(Duration::days(2));
    for call in calls(&agent.arn, &client) {
        let response = send(&app, &call, Some(V2_ACCEPT), Some(&bearer(&agent.token))).await;
        assert_error(response, call.op, "UNAUTHORIZED").await;
    }
    // A new agent created now has a fresh token.
    let fresh = app.create_agent().await;
    assert_no_content(app.list_invitations(&fresh).await).await;
}

#[tokio::test]
async fn the_token_lifetime_is_configurable() {
    let app = TestApp::start_with(|settings| settings.token_lifetime = Duration::hours(1)).await;
    let agent = app.create_agent().await;
    assert_no_content(app.list_invitations(&agent).await).await;
    app.advance(Duration::minutes(61));
    assert_error(
        app.list_invitations(&agent).await,
        "list_invitations",
        "UNAUTHORIZED",
    )
    .await;
}

// ---- 403: who the caller is ----

#[tokio::test]
async fn a_client_is_403_not_an_agent() {
    let (app, agent, client) = setup().await;
    let organisation = app.create_vat_client().await;
    for token in [&client.token, &organisation.token] {
        for call in calls(&agent.arn, &client) {
            let response = send(&app, &call, Some(V2_ACCEPT), Some(&bearer(token))).await;
            assert_error(response, call.op, "NOT_AN_AGENT").await;
        }
    }
}

#[tokio::test]
async fn an_agent_without_agent_services_is_403_not_subscribed() {
    let (app, agent, client) = setup().await;
    let unsubscribed = app.create_unsubscribed_agent().await;
    for arn in [&agent.arn, &unsubscribed.arn] {
        for call in calls(arn, &client) {
            let response = send(
                &app,
                &call,
                Some(V2_ACCEPT),
                Some(&bearer(&unsubscribed.token)),
            )
            .await;
            assert_error(response, call.op, "AGENT_NOT_SUBSCRIBED").await;
        }
    }
}

#[tokio::test]
async fn another_agents_arn_is_403_no_permission() {
    let (app, agent, client) = setup().await;
    let other = app.create_agent().await;
    // The ARN in the path is compared, not format-checked.
    for arn in [
        other.arn.as_str(),
        "TARN0000001",
        "not-an-arn",
        &agent.arn.to_lowercase(),
    ] {
        for call in calls(arn, &client) {
            let response = send(&app, &call, Some(V2_ACCEPT), Some(&bearer(&agent.token))).await;
            assert_error(response, call.op, "NO_PERMISSION_ON_AGENCY").await;
        }
    }
}

// ---- the order of the checks ----

#[tokio::test]
async fn the_accept_header_is_checked_before_the_body() {
    let (app, agent, client) = setup().await;
    for call in calls(&agent.arn, &client)
        .into_iter()
        .filter(|c| c.body.is_some())
    {
        for (accept, example) in [
            ("application/json", "ACCEPT_HEADER_INVALID"),
            ("application/vnd.hmrc.9.9+json", "BAD_REQUEST_VERSION"),
            ("application/vnd.hmrc.2.0+xml", "BAD_REQUEST_CONTENT_TYPE"),
        ] {
            let response = app
                .bare(call.method.clone(), &call.path)
                .header(ACCEPT, accept)
                .header(CONTENT_TYPE, "application/json")
                .body("{not json")
                .send()
                .await
                .unwrap();
            assert_error(response, call.op, example).await;
        }
    }
}

#[tokio::test]
async fn the_body_is_checked_before_the_token() {
    let (app, agent, client) = setup().await;
    for call in calls(&agent.arn, &client)
        .into_iter()
        .filter(|c| c.body.is_some())
    {
        for authorization in [None, Some("Bearer unknown-token")] {
            let mut request = app
                .bare(call.method.clone(), &call.path)
                .header(ACCEPT, V2_ACCEPT)
                .header(CONTENT_TYPE, "application/json")
                .body("{not json");
            if let Some(authorization) = authorization {
                request = request.header(AUTHORIZATION, authorization);
            }
            assert_error(request.send().await.unwrap(), call.op, "BAD_REQUEST").await;
        }
    }
}

#[tokio::test]
async fn the_caller_is_checked_before_the_payload() {
    let (app, agent, client) = setup().await;
    let other = app.create_agent().await;
    let unsubscribed = app.create_unsubscribed_agent().await;
    let bad_service = |call: &Call| -> Call {
        Call {
            op: call.op,
            method: call.method.clone(),
            path: call.path.clone(),
            body: call
                .body
                .clone()
                .map(|b| with(b, "service", json!("MTD-CGT"))),
        }
    };
    for call in calls(&agent.arn, &client)
        .iter()
        .filter(|c| c.body.is_some())
    {
        let call = bad_service(call);
        let cases = [
            (bearer("unknown-token"), "UNAUTHORIZED"),
            (bearer(&client.token), "NOT_AN_AGENT"),
            (bearer(&unsubscribed.token), "AGENT_NOT_SUBSCRIBED"),
            (bearer(&other.token), "NO_PERMISSION_ON_AGENCY"),
        ];
        for (authorization, example) in cases {
            let response = send(&app, &call, Some(V2_ACCEPT), Some(&authorization)).await;
            assert_error(response, call.op, example).await;
        }
        // Without a token at all, too.
        let response = send(&app, &call, Some(V2_ACCEPT), None).await;
        assert_error(response, call.op, "UNAUTHORIZED").await;
    }
}
