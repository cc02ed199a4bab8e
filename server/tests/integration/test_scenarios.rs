//! `Gov-Test-Scenario` (sandbox only): a documented error example on demand, after the request's shape and caller
//! are checked, changing nothing.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn a_named_example_is_the_answer_and_nothing_changes() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let latest = app
        .create_invitation_ok(&agent, &itsa_main(&app.create_itsa_client().await))
        .await;
    let create = |scenario: &'static str| {
        app.v2(Method::POST, &invitations_path(&agent.arn), &agent.token)
            .header("Gov-Test-Scenario", scenario)
            .json(&itsa_main(&client))
    };
    let found = create("CLIENT_REGISTRATION_NOT_FOUND")
        .send()
        .await
        .unwrap();
    assert_error(found, "create_invitation", "CLIENT_REGISTRATION_NOT_FOUND").await;
    // DUPLICATE names the agency's latest request.
    let duplicate = create("DUPLICATE_AUTHORISATION_REQUEST")
        .send()
        .await
        .unwrap();
    let headers = assert_error(
        duplicate,
        "create_invitation",
        "DUPLICATE_AUTHORISATION_REQUEST",
    )
    .await;
    assert_eq!(location(&headers), invitation_path(&agent.arn, &latest));
    // Nothing was created for the client named.
    assert_eq!(app.invitation_list(&agent).await.len(), 1);
}

#[tokio::test]
async fn the_request_and_the_caller_are_checked_first() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let other = app.create_agent().await;
    let path = invitations_path(&agent.arn);
    let no_token = app
        .bare(Method::GET, &path)
        .header("Accept", V2_ACCEPT)
        .header("Gov-Test-Scenario", "NO_PERMISSION_ON_AGENCY")
        .send()
        .await
        .unwrap();
    assert_error(no_token, "list_invitations", "UNAUTHORIZED").await;
    let not_theirs = app
        .v2(Method::GET, &path, &other.token)
        .header("Gov-Test-Scenario", "UNAUTHORIZED")
        .send()
        .await
        .unwrap();
    assert_error(not_theirs, "list_invitations", "NO_PERMISSION_ON_AGENCY").await;
    let no_accept = app
        .bare(Method::GET, &path)
        .header("Authorization", format!("Bearer {}", agent.token))
        .header("Gov-Test-Scenario", "UNAUTHORIZED")
        .send()
        .await
        .unwrap();
    assert_eq!(no_accept.status(), StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn an_unknown_name_is_400_naming_the_valid_ones() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let response = app
        .v2(Method::GET, &invitations_path(&agent.arn), &agent.token)
        .header("Gov-Test-Scenario", "TEAPOT")
        .send()
        .await
        .unwrap();
    // The contract's message for it names every scenario of the operation.
    assert_error(response, "list_invitations", "INVALID_TEST_SCENARIO").await;
}

/// Every operation documenting scenarios refuses a name it does not document, whoever asks: the name is part of
/// the request's shape.
#[tokio::test]
async fn every_operation_with_scenarios_refuses_an_unknown_name() {
    let app = TestApp::start().await;
    let operations = contract::operations().into_iter().filter(|op| {
        contract::error_examples(op.id)
            .iter()
            .any(|(_, example)| example == "INVALID_TEST_SCENARIO")
    });
    let mut files = std::collections::BTreeSet::new();
    for op in operations {
        let path = PATH_VALUES
            .iter()
            .fold(op.path.to_string(), |path, (name, value)| {
                path.replace(&format!("{{{name}}}"), value)
            });
        let method = Method::from_bytes(op.method.as_bytes()).unwrap();
        let mut request = app
            .bare(method, &path)
            .header("Gov-Test-Scenario", "TEAPOT");
        if let Some(accept) = op.accept_media_type() {
            request = request.header("Accept", accept);
        }
        let response = request.send().await.unwrap();
        assert_error(response, op.id, "INVALID_TEST_SCENARIO").await;
        files.insert(op.file);
    }
    let expected = [
        "agent-authorisation-v1.yaml",
        "agent-authorisation-v2.yaml",
        "agent-client-authorisation.yaml",
    ];
    assert_eq!(files.into_iter().collect::<Vec<_>>(), expected);
}

/// A well-formed value for each path parameter of the contracts.
const PATH_VALUES: &[(&str, &str)] = &[
    ("arn", "TARN0000001"),
    ("clientIdType", "MTDITID"),
    ("clientId", "XAIT00000000001"),
    ("clientType", "personal"),
    ("dob", "1980-01-01"),
    ("invitationId", "ABERULMHCKKW3"),
    ("nino", "AB123456C"),
    ("normalisedAgencyName", "my-agency"),
    ("postcode", "DH14EJ"),
    ("service", "HMRC-MTD-IT"),
    ("uid", "99ZZ99ZZ"),
    ("urn", "XATRUST00000001"),
    ("utr", "2134514321"),
    ("vatRegistrationDate", "2007-04-07"),
    ("vrn", "101747696"),
];

#[tokio::test]
async fn in_production_mode_the_header_is_ignored() {
    let app = TestApp::start_with(|settings| settings.sandbox = false).await;
    let response = app
        .bare(Method::GET, "/agents/KARN0762398/invitations")
        .header("Accept", V2_ACCEPT)
        .header("Gov-Test-Scenario", "NOT_AN_AGENT")
        .send()
        .await
        .unwrap();
    // No token: the real answer, not the scenario's.
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], json!("UNAUTHORIZED"));
}
