//! The Agent Authorisation API 1.0 on the 2.0 paths (`/agents/{arn}/...`), chosen by `Accept` as HMRC's service does
//! (docs/domain.md §2): the same checks, codes, messages, `Location` and shapes as 2.0, except deauthorise, which
//! is 2.0 only. Media types are compared case-insensitively.

use crate::support::*;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// `Accept` asking for `version` (`1.0`, `2.0`), in the case given.
fn accept(version: &str, suffix: &str) -> String {
    format!("application/vnd.hmrc.{version}+{suffix}")
}

async fn call(
    app: &TestApp,
    agent: &Agent,
    accept: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Response {
    let mut request = app
        .bare(method, path)
        .header("Accept", accept)
        .header("Authorization", format!("Bearer {}", agent.token));
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.unwrap()
}

/// Status, Location and JSON body (or `null`) of an answer.
async fn answer(response: Response) -> (StatusCode, Option<String>, Value) {
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    (
        status,
        location,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn each_operation_answers_through_1_0_as_through_2_0() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let (one, two) = (
        app.create_itsa_client().await,
        app.create_itsa_client().await,
    );
    let v1 = accept("1.0", "json");
    let v2 = accept("2.0", "json");

    // Create: 204 and a Location on the /agents path, whichever version asks.
    let created_1 = answer(
        call(
            &app,
            &agent,
            &v1,
            Method::POST,
            &invitations_path(&agent.arn),
            Some(&itsa_main(&one)),
        )
        .await,
    )
    .await;
    let created_2 = answer(
        call(
            &app,
            &agent,
            &v2,
            Method::POST,
            &invitations_path(&agent.arn),
            Some(&itsa_main(&two)),
        )
        .await,
    )
    .await;
    assert_eq!(created_1.0, StatusCode::NO_CONTENT);
    assert_eq!(created_2.0, StatusCode::NO_CONTENT);
    let id = created_1
        .1
        .as_deref()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(created_1.1.unwrap(), invitation_path(&agent.arn, &id));

    // The same errors: a duplicate names the existing request; HMRC's 1.0 service names are 2.0's 400 here.
    for version in [&v1, &v2] {
        let duplicate = call(
            &app,
            &agent,
            version,
            Method::POST,
            &invitations_path(&agent.arn),
            Some(&itsa_main(&one)),
        )
        .await;
        let headers = assert_error(
            duplicate,
            "create_invitation_v1",
            "DUPLICATE_AUTHORISATION_REQUEST",
        )
        .await;
        assert_eq!(location(&headers), invitation_path(&agent.arn, &id));
        let hmrc_name = with(itsa_main(&two), "service", json!("HMRC-MTD-IT"));
        let refused = call(
            &app,
            &agent,
            version,
            Method::POST,
            &invitations_path(&agent.arn),
            Some(&hmrc_name),
        )
        .await;
        assert_error(refused, "create_invitation_v1", "SERVICE_NOT_SUPPORTED").await;
    }

    // Read and list: the same bodies.
    for path in [
        invitation_path(&agent.arn, &id),
        invitations_path(&agent.arn),
    ] {
        let through_1 = answer(call(&app, &agent, &v1, Method::GET, &path, None).await).await;
        let through_2 = answer(call(&app, &agent, &v2, Method::GET, &path, None).await).await;
        assert_eq!(through_1.0, StatusCode::OK, "{path}");
        assert_eq!(through_1, through_2, "{path}");
    }

    // Check a relationship: 404 before the client accepts, 204 after, through either version.
    let check = check_body(&itsa_main(&one));
    let relationships = format!("/agents/{}/relationships", agent.arn);
    for version in [&v1, &v2] {
        let before = call(
            &app,
            &agent,
            version,
            Method::POST,
            &relationships,
            Some(&check),
        )
        .await;
        assert_error(before, "check_relationship_v1", "RELATIONSHIP_NOT_FOUND").await;
    }
    app.accept_ok(&id).await;
    for version in [&v1, &v2] {
        let after = call(
            &app,
            &agent,
            version,
            Method::POST,
            &relationships,
            Some(&check),
        )
        .await;
        assert_no_content(after).await;
    }

    // Cancel through 1.0: the other pending request reads Cancelled through 2.0.
    let other = app
        .invitation_list(&agent)
        .await
        .into_iter()
        .find(|i| i["status"] == "Pending")
        .unwrap();
    let other_id = other["invitationId"].as_str().unwrap();
    let cancelled = call(
        &app,
        &agent,
        &v1,
        Method::DELETE,
        &invitation_path(&agent.arn, other_id),
        None,
    )
    .await;
    assert_no_content(cancelled).await;
    assert_eq!(app.invitation_status(&agent, other_id).await, "Cancelled");
}

#[tokio::test]
async fn deauthorise_is_2_0_only_and_1_0_there_changes_nothing() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    app.accept_ok(&id).await;
    let path = format!("/agents/{}/deauthorise-client", agent.arn);
    let body = deauth_body(&itsa_main(&client));

    let refused = call(
        &app,
        &agent,
        &accept("1.0", "json"),
        Method::PUT,
        &path,
        Some(&body),
    )
    .await;
    assert_error(refused, "deauthorise_client", "BAD_REQUEST_VERSION").await;
    assert_eq!(app.invitation_status(&agent, &id).await, "Accepted");

    let ended = call(
        &app,
        &agent,
        &accept("2.0", "json"),
        Method::PUT,
        &path,
        Some(&body),
    )
    .await;
    assert_no_content(ended).await;
    assert_eq!(app.invitation_status(&agent, &id).await, "Deauthorised");
}

#[tokio::test]
async fn media_types_are_compared_case_insensitively() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    let path = invitation_path(&agent.arn, &id);
    for header in [
        "application/vnd.hmrc.2.0+JSON",
        "APPLICATION/VND.HMRC.2.0+JSON",
        "Application/Vnd.Hmrc.1.0+Json",
    ] {
        let read = call(&app, &agent, header, Method::GET, &path, None).await;
        assert_eq!(
            assert_json(read, StatusCode::OK).await["invitationId"],
            id.as_str(),
            "{header}"
        );
    }
    // A type other than JSON, in any case, is still refused.
    let xml = call(
        &app,
        &agent,
        "application/vnd.hmrc.2.0+XML",
        Method::GET,
        &path,
        None,
    )
    .await;
    assert_error(xml, "get_invitation", "BAD_REQUEST_CONTENT_TYPE").await;
}

#[tokio::test]
async fn other_versions_are_400_and_a_missing_accept_header_406_on_every_path() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let path = invitations_path(&agent.arn);
    let unserved = call(
        &app,
        &agent,
        &accept("9.9", "json"),
        Method::GET,
        &path,
        None,
    )
    .await;
    assert_error(unserved, "list_invitations_v1", "BAD_REQUEST_VERSION").await;
    let missing = app
        .bare(Method::GET, &path)
        .header("Authorization", format!("Bearer {}", agent.token))
        .header("Accept", "")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_ACCEPTABLE);
}
