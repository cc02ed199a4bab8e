//! The sandbox API: Create Test User (agents, individuals, organisations) and the test-support calls that
//! answer an authorisation request as its client would.

use crate::support::*;
use agent_auth_server::domain::identifiers::{Arn, Nino, Utr, Vrn};
use chrono::{Duration, NaiveDate};
use reqwest::{Method, StatusCode};
use serde_json::Value;

const ACCEPT_OP: &str = "accept_invitation";
const REJECT_OP: &str = "reject_invitation";

async fn post_user(app: &TestApp, kind: &str, body: &str) -> reqwest::Response {
    app.bare(Method::POST, &format!("/create-test-user/{kind}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

fn assert_user_basics(body: &Value) {
    for field in [
        "userId",
        "password",
        "userFullName",
        "emailAddress",
        "accessToken",
    ] {
        let value = string_field(body, field);
        assert!(!value.is_empty(), "{field} is empty in {body}");
    }
    assert!(string_field(body, "emailAddress").contains('@'), "{body}");
}

fn assert_date(body: &Value, field: &str) {
    let text = string_field(body, field);
    let date = NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .unwrap_or_else(|e| panic!("{field} {text:?}: {e}"));
    assert_eq!(
        date.format("%Y-%m-%d").to_string(),
        text,
        "{field} is yyyy-MM-dd"
    );
}

fn assert_address(address: &Value) {
    assert_eq!(
        keys(address),
        key_set(&["line1", "line2", "postcode"]),
        "{address}"
    );
    let postcode = string_field(address, "postcode");
    assert!(
        agent_auth_server::domain::identifiers::Postcode::parse(&postcode).is_some(),
        "not a valid postcode: {postcode}"
    );
}

// ---- create test users ----

#[tokio::test]
async fn creates_a_subscribed_agent() {
    let app = TestApp::start().await;
    let response = post_user(&app, "agents", r#"{"serviceNames": ["agent-services"]}"#).await;
    let body = assert_json(response, StatusCode::CREATED).await;

    assert_eq!(
        keys(&body),
        key_set(&[
            "userId",
            "password",
            "userFullName",
            "emailAddress",
            "agencyName",
            "agentServicesAccountNumber",
            "accessToken",
        ]),
        "{body}"
    );
    assert_user_basics(&body);
    assert!(!string_field(&body, "agencyName").is_empty());
    let arn = string_field(&body, "agentServicesAccountNumber");
    assert!(Arn::parse(&arn).is_some(), "the ARN {arn} fails its check");

    // The token works on the v2 API for that ARN.
    let token = string_field(&body, "accessToken");
    let response = app
        .v2(Method::GET, &invitations_path(&arn), &token)
        .send()
        .await
        .unwrap();
    assert_no_content(response).await;
}

#[tokio::test]
async fn agents_get_distinct_valid_arns_and_tokens() {
    let app = TestApp::start().await;
    let mut arns = std::collections::BTreeSet::new();
    let mut tokens = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let agent = app.create_agent().await;
        assert!(
            Arn::parse(&agent.arn).is_some(),
            "the ARN {} fails its check",
            agent.arn
        );
        arns.insert(agent.arn);
        tokens.insert(agent.token);
    }
    assert_eq!(arns.len(), 20);
    assert_eq!(tokens.len(), 20);
}

#[tokio::test]
async fn an_agent_without_agent_services_has_no_arn() {
    let app = TestApp::start().await;
    let response = post_user(&app, "agents", r#"{"serviceNames": []}"#).await;
    let body = assert_json(response, StatusCode::CREATED).await;
    assert_user_basics(&body);
    assert!(body.get("agentServicesAccountNumber").is_none(), "{body}");
    assert!(!string_field(&body, "agencyName").is_empty());
}

#[tokio::test]
async fn creates_an_mtd_income_tax_individual() {
    let app = TestApp::start().await;
    let response = post_user(
        &app,
        "individuals",
        r#"{"serviceNames": ["national-insurance", "mtd-income-tax"]}"#,
    )
    .await;
    let body = assert_json(response, StatusCode::CREATED).await;

    assert_eq!(
        keys(&body),
        key_set(&[
            "userId",
            "password",
            "userFullName",
            "emailAddress",
            "individualDetails",
            "nino",
            "mtdItId",
            "accessToken",
        ]),
        "{body}"
    );
    assert_user_basics(&body);
    let details = &body["individualDetails"];
    assert_eq!(
        keys(details),
        key_set(&["firstName", "lastName", "dateOfBirth", "address"]),
        "{details}"
    );
    assert_date(details, "dateOfBirth");
    assert_address(&details["address"]);
    let nino = string_field(&body, "nino");
    assert!(Nino::parse(&nino).is_some(), "not a valid NINO: {nino}");
    assert_eq!(
        Nino::parse(&nino).unwrap().as_str(),
        nino,
        "the NINO is normalised"
    );
    let mtd_it_id = string_field(&body, "mtdItId");
    assert!(
        !mtd_it_id.is_empty()
            && mtd_it_id.len() <= 15
            && mtd_it_id.chars().all(|c| c.is_ascii_alphanumeric()),
        "not a valid MTDITID: {mtd_it_id}"
    );
}

#[tokio::test]
async fn creates_an_individual_with_every_service() {
    let app = TestApp::start().await;
    let response = post_user(
        &app,
        "individuals",
        r#"{"serviceNames": ["national-insurance", "self-assessment", "mtd-income-tax", "mtd-vat"]}"#,
    )
    .await;
    let body = assert_json(response, StatusCode::CREATED).await;

    assert_user_basics(&body);
    assert!(
        Nino::parse(&string_field(&body, "nino")).is_some(),
        "{body}"
    );
    assert!(
        Utr::parse(&string_field(&body, "saUtr")).is_some(),
        "{body}"
    );
    assert!(Vrn::parse(&string_field(&body, "vrn")).is_some(), "{body}");
    assert!(body["mtdItId"].is_string(), "{body}");
    assert_date(&body, "vatRegistrationDate");
}

#[tokio::test]
async fn mtd_income_tax_implies_a_nino() {
    let app = TestApp::start().await;
    let response = post_user(
        &app,
        "individuals",
        r#"{"serviceNames": ["mtd-income-tax"]}"#,
    )
    .await;
    let body = assert_json(response, StatusCode::CREATED).await;
    assert!(
        Nino::parse(&string_field(&body, "nino")).is_some(),
        "{body}"
    );
    assert!(body["mtdItId"].is_string(), "{body}");
}

#[tokio::test]
async fn an_individual_asks_only_for_what_it_gets() {
    let app = TestApp::start().await;
    let response = post_user(
        &app,
        "individuals",
        r#"{"serviceNames": ["national-insurance"]}"#,
    )
    .await;
    let body = assert_json(response, StatusCode::CREATED).await;
    assert!(body.get("nino").is_some(), "{body}");
    for absent in ["mtdItId", "saUtr", "vrn", "vatRegistrationDate"] {
        assert!(body.get(absent).is_none(), "{absent} in {body}");
    }
}

#[tokio::test]
async fn creates_an_mtd_vat_organisation() {
    let app = TestApp::start().await;
    for request in [
        r#"{"serviceNames": ["mtd-vat"]}"#,
        r#"{"serviceNames": ["mtd-vat"], "insolvent": false}"#,
        r#"{"serviceNames": ["mtd-vat"], "insolvent": true}"#,
    ] {
        let response = post_user(&app, "organisations", request).await;
        let body = assert_json(response, StatusCode::CREATED).await;
        assert_eq!(
            keys(&body),
            key_set(&[
                "userId",
                "password",
                "userFullName",
                "emailAddress",
                "organisationDetails",
                "vrn",
                "vatRegistrationDate",
                "accessToken",
            ]),
            "{body}"
        );
        assert_user_basics(&body);
        let details = &body["organisationDetails"];
        assert_eq!(keys(details), key_set(&["name", "address"]), "{details}");
        assert!(!string_field(details, "name").is_empty());
        assert_address(&details["address"]);
        assert!(Vrn::parse(&string_field(&body, "vrn")).is_some(), "{body}");
        assert_date(&body, "vatRegistrationDate");
    }
}

#[tokio::test]
async fn an_unsupported_service_name_is_400() {
    let app = TestApp::start().await;
    let cases = [
        (
            "agents",
            "create_test_agent",
            r#"{"serviceNames": ["mtd-vat"]}"#,
        ),
        (
            "agents",
            "create_test_agent",
            r#"{"serviceNames": ["agent-services", "unknown"]}"#,
        ),
        (
            "individuals",
            "create_test_individual",
            r#"{"serviceNames": ["agent-services"]}"#,
        ),
        (
            "individuals",
            "create_test_individual",
            r#"{"serviceNames": ["national-insurance", "x"]}"#,
        ),
        (
            "organisations",
            "create_test_organisation",
            r#"{"serviceNames": ["mtd-income-tax"]}"#,
        ),
        (
            "organisations",
            "create_test_organisation",
            r#"{"serviceNames": ["agent-services"]}"#,
        ),
    ];
    for (kind, operation, body) in cases {
        let response = post_user(&app, kind, body).await;
        assert_error(response, operation, "SERVICE_NAME_NOT_SUPPORTED").await;
    }
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_is_400() {
    let app = TestApp::start().await;
    let bad = [
        "{",
        "",
        "null",
        "[]",
        r#"{"services": ["mtd-vat"]}"#,
        r#"{"serviceNames": "mtd-vat"}"#,
        r#"{"serviceNames": [1]}"#,
        r#"{"serviceNames": null}"#,
    ];
    for (kind, operation) in [
        ("agents", "create_test_agent"),
        ("individuals", "create_test_individual"),
        ("organisations", "create_test_organisation"),
    ] {
        for body in bad {
            let response = post_user(&app, kind, body).await;
            assert_error(response, operation, "BAD_REQUEST").await;
        }
    }
    let response = post_user(
        &app,
        "organisations",
        r#"{"serviceNames": ["mtd-vat"], "insolvent": "yes"}"#,
    )
    .await;
    assert_error(response, "create_test_organisation", "BAD_REQUEST").await;
}

#[tokio::test]
async fn the_sandbox_needs_no_accept_header_and_test_support_a_token() {
    let app = TestApp::start().await;
    let body = br#"{"serviceNames": ["mtd-vat"]}"#;
    let request = raw::request(
        "POST",
        "/create-test-user/organisations",
        &[("Content-Type", b"application/json")],
        Some(body),
    );
    let response = raw::send(app.addr(), request).await;
    assert_eq!(response.status, 201, "{}", response.body_text());

    let agent = app.create_agent().await;
    let client = app.create_vat_client().await;
    let id = app.create_invitation_ok(&agent, &vat(&client)).await;
    let path = format!("/agent-authorisation-test-support/invitations/{id}");
    let response = raw::send(app.addr(), raw::request("PUT", &path, &[], None)).await;
    assert_eq!(response.status, 401, "{}", response.body_text());
    let bearer = format!("Bearer {}", agent.token);
    let request = raw::request("PUT", &path, &[("Authorization", bearer.as_bytes())], None);
    let response = raw::send(app.addr(), request).await;
    assert_eq!(response.status, 204, "{}", response.body_text());
}

// ---- test support: accept and reject ----

#[tokio::test]
async fn accepting_is_idempotent() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let alt = app.create_alt_itsa_client().await;

    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    assert_no_content(app.accept(&id).await).await;
    let first = app.invitation(&agent, &id).await;
    app.advance(Duration::hours(1));
    assert_no_content(app.accept(&id).await).await;
    assert_eq!(
        app.invitation(&agent, &id).await,
        first,
        "a second accept changes nothing"
    );

    let partial = app.create_invitation_ok(&agent, &itsa_main(&alt)).await;
    assert_no_content(app.accept(&partial).await).await;
    assert_no_content(app.accept(&partial).await).await;
    assert_eq!(app.invitation_status(&agent, &partial).await, "Partialauth");
}

#[tokio::test]
async fn rejecting_is_idempotent() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_vat_client().await;
    let id = app.create_invitation_ok(&agent, &vat(&client)).await;

    assert_no_content(app.reject(&id).await).await;
    let first = app.invitation(&agent, &id).await;
    assert_not_pending(&first, &agent, &id, "MTD-VAT", None, "Rejected");
    app.advance(Duration::hours(1));
    assert_no_content(app.reject(&id).await).await;
    assert_eq!(
        app.invitation(&agent, &id).await,
        first,
        "a second reject changes nothing"
    );
}

#[tokio::test]
async fn a_final_answer_cannot_be_changed() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let rejected_client = app.create_itsa_client().await;
    let accepted_client = app.create_itsa_client().await;
    let cancelled_client = app.create_itsa_client().await;

    let rejected = app
        .create_invitation_ok(&agent, &itsa_main(&rejected_client))
        .await;
    assert_no_content(app.reject(&rejected).await).await;
    assert_error(
        app.accept(&rejected).await,
        ACCEPT_OP,
        "INVALID_INVITATION_STATUS",
    )
    .await;
    assert_eq!(app.invitation_status(&agent, &rejected).await, "Rejected");

    let accepted = app
        .create_invitation_ok(&agent, &itsa_main(&accepted_client))
        .await;
    app.accept_ok(&accepted).await;
    assert_error(
        app.reject(&accepted).await,
        REJECT_OP,
        "INVALID_INVITATION_STATUS",
    )
    .await;
    assert_eq!(app.invitation_status(&agent, &accepted).await, "Accepted");

    let cancelled = app
        .create_invitation_ok(&agent, &itsa_main(&cancelled_client))
        .await;
    assert_no_content(app.cancel_invitation(&agent, &cancelled).await).await;
    assert_error(
        app.accept(&cancelled).await,
        ACCEPT_OP,
        "INVALID_INVITATION_STATUS",
    )
    .await;
    assert_error(
        app.reject(&cancelled).await,
        REJECT_OP,
        "INVALID_INVITATION_STATUS",
    )
    .await;

    // A deauthorised request cannot be accepted again either.
    assert_no_content(
        app.deauthorise(&agent, &deauth_body(&itsa_main(&accepted_client)))
            .await,
    )
    .await;
    assert_error(
        app.accept(&accepted).await,
        ACCEPT_OP,
        "INVALID_INVITATION_STATUS",
    )
    .await;
    assert_eq!(
        app.invitation_status(&agent, &accepted).await,
        "Deauthorised"
    );
}

#[tokio::test]
async fn answering_an_unknown_request_is_404() {
    let app = TestApp::start().await;
    let id = unknown_invitation_id();
    assert_error(app.accept(&id).await, ACCEPT_OP, "INVITATION_NOT_FOUND").await;
    assert_error(app.reject(&id).await, REJECT_OP, "INVITATION_NOT_FOUND").await;
}

#[tokio::test]
async fn answering_a_malformed_id_is_400() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let real = app.create_invitation_ok(&agent, &itsa_main(&client)).await;

    for id in [
        "INVALID".to_string(),
        with_wrong_check(&real),
        real.to_lowercase(),
        format!("{real}X"),
    ] {
        assert_error(app.accept(&id).await, ACCEPT_OP, "BAD_REQUEST").await;
        assert_error(app.reject(&id).await, REJECT_OP, "BAD_REQUEST").await;
    }
    assert_eq!(app.invitation_status(&agent, &real).await, "Pending");
}

#[tokio::test]
async fn accepting_creates_the_relationship_the_invitation_names() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let id = app
        .create_invitation_ok(&agent, &itsa_supporting(&client))
        .await;
    let response = app
        .check_relationship(&agent, &check_body(&itsa_supporting(&client)))
        .await;
    assert_error(response, "check_relationship", "RELATIONSHIP_NOT_FOUND").await;

    app.accept_ok(&id).await;
    let body = app.invitation(&agent, &id).await;
    assert_not_pending(&body, &agent, &id, "MTD-IT", Some("supporting"), "Accepted");
    let response = app
        .check_relationship(&agent, &check_body(&itsa_supporting(&client)))
        .await;
    assert_no_content(response).await;
}

// ---- test support: expire ----

const EXPIRE_OP: &str = "expire_invitation";

#[tokio::test]
async fn expiring_a_pending_request_makes_it_read_expired() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;

    app.advance(Duration::minutes(3));
    assert_no_content(app.expire(&id).await).await;
    let body = app.invitation(&agent, &id).await;
    assert_not_pending(&body, &agent, &id, "MTD-IT", Some("main"), "Expired");
    let list = app.invitation_list(&agent).await;
    assert_eq!(list[0]["status"], "Expired");

    assert_error(
        app.cancel_invitation(&agent, &id).await,
        "cancel_invitation",
        "INVALID_INVITATION_STATUS",
    )
    .await;
    assert_error(
        app.accept(&id).await,
        ACCEPT_OP,
        "INVALID_INVITATION_STATUS",
    )
    .await;
    assert_error(
        app.reject(&id).await,
        REJECT_OP,
        "INVALID_INVITATION_STATUS",
    )
    .await;
    // Expiring it again changes nothing.
    assert_no_content(app.expire(&id).await).await;
    assert_not_pending(
        &app.invitation(&agent, &id).await,
        &agent,
        &id,
        "MTD-IT",
        Some("main"),
        "Expired",
    );
    // It no longer blocks a new request.
    app.create_invitation_ok(&agent, &itsa_main(&client)).await;
}

#[tokio::test]
async fn only_a_pending_request_can_be_expired() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let accepted_client = app.create_vat_client().await;
    let rejected_client = app.create_vat_client().await;
    let cancelled_client = app.create_vat_client().await;

    let accepted = app
        .create_invitation_ok(&agent, &vat(&accepted_client))
        .await;
    app.accept_ok(&accepted).await;
    let rejected = app
        .create_invitation_ok(&agent, &vat(&rejected_client))
        .await;
    assert_no_content(app.reject(&rejected).await).await;
    let cancelled = app
        .create_invitation_ok(&agent, &vat(&cancelled_client))
        .await;
    assert_no_content(app.cancel_invitation(&agent, &cancelled).await).await;

    for (id, status) in [
        (&accepted, "Accepted"),
        (&rejected, "Rejected"),
        (&cancelled, "Cancelled"),
    ] {
        assert_error(app.expire(id).await, EXPIRE_OP, "INVALID_INVITATION_STATUS").await;
        assert_eq!(app.invitation_status(&agent, id).await, status);
    }
    // The relationship the accepted one created is untouched.
    let response = app
        .check_relationship(&agent, &check_body(&vat(&accepted_client)))
        .await;
    assert_no_content(response).await;
}

#[tokio::test]
async fn expiring_an_unknown_or_malformed_id() {
    let app = TestApp::start().await;
    assert_error(
        app.expire(&unknown_invitation_id()).await,
        EXPIRE_OP,
        "INVITATION_NOT_FOUND",
    )
    .await;
    let real = unknown_invitation_id();
    for id in [
        "INVALID".to_string(),
        with_wrong_check(&real),
        real.to_lowercase(),
    ] {
        assert_error(app.expire(&id).await, EXPIRE_OP, "BAD_REQUEST").await;
    }
}

// ---- token lifetimes ----

#[tokio::test]
async fn a_test_user_may_ask_for_a_token_lifetime() {
    let app = TestApp::start().await;
    let response = post_user(
        &app,
        "agents",
        r#"{"serviceNames": ["agent-services"], "tokenLifetimeSeconds": 3600}"#,
    )
    .await;
    let body = assert_json(response, StatusCode::CREATED).await;
    let agent = Agent {
        arn: string_field(&body, "agentServicesAccountNumber"),
        token: string_field(&body, "accessToken"),
        agency_name: string_field(&body, "agencyName"),
        answer: body,
    };
    assert_no_content(app.list_invitations(&agent).await).await;
    app.advance(Duration::seconds(3601));
    assert_error(
        app.list_invitations(&agent).await,
        "list_invitations",
        "UNAUTHORIZED",
    )
    .await;
}

#[tokio::test]
async fn a_zero_token_lifetime_gives_an_expired_token() {
    let app = TestApp::start().await;
    let response = post_user(
        &app,
        "agents",
        r#"{"serviceNames": ["agent-services"], "tokenLifetimeSeconds": 0}"#,
    )
    .await;
    let body = assert_json(response, StatusCode::CREATED).await;
    let arn = string_field(&body, "agentServicesAccountNumber");
    let token = string_field(&body, "accessToken");
    let response = app
        .v2(Method::GET, &invitations_path(&arn), &token)
        .send()
        .await
        .unwrap();
    assert_error(response, "list_invitations", "UNAUTHORIZED").await;

    // The same for clients: an organisation's expired token is 401, not 403 NOT_AN_AGENT.
    let response = post_user(
        &app,
        "organisations",
        r#"{"serviceNames": ["mtd-vat"], "tokenLifetimeSeconds": 0}"#,
    )
    .await;
    let organisation = assert_json(response, StatusCode::CREATED).await;
    let response = app
        .v2(
            Method::GET,
            &invitations_path(&arn),
            &string_field(&organisation, "accessToken"),
        )
        .send()
        .await
        .unwrap();
    assert_error(response, "list_invitations", "UNAUTHORIZED").await;
}

#[tokio::test]
async fn a_huge_token_lifetime_counts_as_a_century() {
    let app = TestApp::start().await;
    let mut agents = Vec::new();
    for lifetime in ["4000000000", "9223372036854775807"] {
        let request = format!(
            r#"{{"serviceNames": ["agent-services"], "tokenLifetimeSeconds": {lifetime}}}"#
        );
        let response = post_user(&app, "agents", &request).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "tokenLifetimeSeconds {lifetime}"
        );
        let body = assert_json(response, StatusCode::CREATED).await;
        agents.push((
            string_field(&body, "agentServicesAccountNumber"),
            string_field(&body, "accessToken"),
        ));
    }
    // 99 years on, the tokens still work.
    app.advance(Duration::days(365 * 99));
    for (arn, token) in &agents {
        let response = app
            .v2(Method::GET, &invitations_path(arn), token)
            .send()
            .await
            .unwrap();
        assert_no_content(response).await;
    }
}

#[tokio::test]
async fn a_bad_token_lifetime_is_400() {
    let app = TestApp::start().await;
    for (kind, operation, services) in [
        ("agents", "create_test_agent", r#"["agent-services"]"#),
        (
            "individuals",
            "create_test_individual",
            r#"["national-insurance"]"#,
        ),
        (
            "organisations",
            "create_test_organisation",
            r#"["mtd-vat"]"#,
        ),
    ] {
        for lifetime in ["-1", "1.5", r#""3600""#, "true"] {
            let request =
                format!(r#"{{"serviceNames": {services}, "tokenLifetimeSeconds": {lifetime}}}"#);
            let response = post_user(&app, kind, &request).await;
            assert_error(response, operation, "BAD_REQUEST").await;
        }
    }
}

// ---- test support: signing up to MTD Income Tax ----

const SIGN_UP_OP: &str = "sign_up_mtd_income_tax";

fn assert_mtd_it_id(body: &Value) -> String {
    assert_eq!(keys(body), key_set(&["mtdItId"]), "{body}");
    let id = string_field(body, "mtdItId");
    assert!(
        !id.is_empty() && id.len() <= 15 && id.chars().all(|c| c.is_ascii_alphanumeric()),
        "not a valid MTDITID: {id}"
    );
    id
}

#[tokio::test]
async fn signing_up_gives_an_mtd_income_tax_id_once() {
    let app = TestApp::start().await;
    let alt = app.create_alt_itsa_client().await;
    let signed_up = app.create_itsa_client().await;

    let first = assert_mtd_it_id(
        &assert_json(app.sign_up_mtd_income_tax(&alt.nino).await, StatusCode::OK).await,
    );
    let again = assert_mtd_it_id(
        &assert_json(app.sign_up_mtd_income_tax(&alt.nino).await, StatusCode::OK).await,
    );
    assert_eq!(first, again, "signing up twice gives the same id");

    // Someone already signed up gets their id.
    let existing = assert_mtd_it_id(
        &assert_json(
            app.sign_up_mtd_income_tax(&signed_up.nino).await,
            StatusCode::OK,
        )
        .await,
    );
    assert_eq!(Some(existing), signed_up.mtd_it_id);
}

#[tokio::test]
async fn after_signing_up_acceptance_is_full() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_alt_itsa_client().await;
    assert_json(
        app.sign_up_mtd_income_tax(&client.nino).await,
        StatusCode::OK,
    )
    .await;

    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    app.accept_ok(&id).await;
    assert_eq!(app.invitation_status(&agent, &id).await, "Accepted");
    assert_no_content(
        app.check_relationship(&agent, &check_body(&itsa_main(&client)))
            .await,
    )
    .await;
}

#[tokio::test]
async fn signing_up_keeps_a_partial_authorisation() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_alt_itsa_client().await;
    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    app.accept_ok(&id).await;

    assert_json(
        app.sign_up_mtd_income_tax(&client.nino).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(app.invitation_status(&agent, &id).await, "Partialauth");
    assert_no_content(
        app.check_relationship(&agent, &check_body(&itsa_main(&client)))
            .await,
    )
    .await;
    let response = app.create_invitation(&agent, &itsa_main(&client)).await;
    assert_error(response, "create_invitation", "ALREADY_AUTHORISED").await;
}

#[tokio::test]
async fn signing_up_an_unknown_or_malformed_nino() {
    let app = TestApp::start().await;
    assert_error(
        app.sign_up_mtd_income_tax(UNREGISTERED_NINO).await,
        SIGN_UP_OP,
        "CLIENT_REGISTRATION_NOT_FOUND",
    )
    .await;
    for nino in ["AB12345", "123456789", "DA123456A"] {
        assert_error(
            app.sign_up_mtd_income_tax(nino).await,
            SIGN_UP_OP,
            "CLIENT_ID_FORMAT_INVALID",
        )
        .await;
    }
    // An organisation's VRN is not a NINO either.
    let organisation = app.create_vat_client().await;
    assert_error(
        app.sign_up_mtd_income_tax(&organisation.vrn).await,
        SIGN_UP_OP,
        "CLIENT_ID_FORMAT_INVALID",
    )
    .await;
}

// ---- test support: time control (making a request older) ----

const AGE_OP: &str = "set_invitation_created";

/// PUT /agent-authorisation-test-support/invitations/{id}/created as `token`, with `ageSeconds`.
async fn set_age(
    app: &TestApp,
    token: Option<&str>,
    id: &str,
    age_seconds: i64,
) -> reqwest::Response {
    let path = format!("/agent-authorisation-test-support/invitations/{id}/created");
    let mut request = app
        .bare(Method::PUT, &path)
        .json(&serde_json::json!({ "ageSeconds": age_seconds }));
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    request.send().await.unwrap()
}

const DAY: i64 = 24 * 60 * 60;

#[tokio::test]
async fn an_older_request_expires_at_the_start_of_its_21st_day() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let other = app.create_itsa_client().await;
    // Made 20 days ago (2026-02-10): it expires at the start of tomorrow, 2026-03-03.
    let tomorrow = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    assert_no_content(set_age(&app, Some(&agent.token), &tomorrow, 20 * DAY).await).await;
    let body = app.invitation(&agent, &tomorrow).await;
    assert_pending(&app, &body, &agent, &tomorrow, "MTD-IT", Some("main"));
    assert_eq!(body["created"], "2026-02-10T10:00:00.000Z");
    assert_eq!(body["expiresOn"], "2026-03-03T00:00:00.000Z");
    // Made 21 days ago (2026-02-09): it expired at the start of today, and reads so, updated then.
    let today = app.create_invitation_ok(&agent, &itsa_main(&other)).await;
    assert_no_content(set_age(&app, Some(&agent.token), &today, 21 * DAY).await).await;
    let body = app.invitation(&agent, &today).await;
    assert_not_pending(&body, &agent, &today, "MTD-IT", Some("main"), "Expired");
    assert_eq!(body["updated"], "2026-03-02T00:00:00.000Z");
    // An expired request no longer blocks a new one, and stays Expired when made younger again.
    app.create_invitation_ok(&agent, &itsa_main(&other)).await;
    assert_no_content(set_age(&app, Some(&agent.token), &today, DAY).await).await;
    assert_eq!(app.invitation_status(&agent, &today).await, "Expired");
}

#[tokio::test]
async fn the_30_day_list_follows_the_creation_time_not_the_last_change() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let (a, b, c) = (
        app.create_vat_client().await,
        app.create_vat_client().await,
        app.create_vat_client().await,
    );
    let recent = app.create_invitation_ok(&agent, &vat(&a)).await;
    let old = app.create_invitation_ok(&agent, &vat(&b)).await;
    let too_old = app.create_invitation_ok(&agent, &vat(&c)).await;
    // Accepted now, so changed now: only its creation time counts.
    app.accept_ok(&too_old).await;
    assert_no_content(set_age(&app, Some(&agent.token), &old, 30 * DAY - 60).await).await;
    assert_no_content(set_age(&app, Some(&agent.token), &too_old, 30 * DAY + 60).await).await;
    let listed: Vec<String> = app
        .invitation_list(&agent)
        .await
        .iter()
        .map(|i| string_field(i, "invitationId"))
        .collect();
    assert_eq!(listed, [recent, old]);
    // Still Accepted, changed when it was accepted.
    let body = app.invitation(&agent, &too_old).await;
    assert_not_pending(&body, &agent, &too_old, "MTD-VAT", None, "Accepted");
    assert_eq!(body["updated"], "2026-03-02T10:00:00.000Z");
}

#[tokio::test]
async fn time_control_answers_as_the_other_test_support_calls() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let other_agent = app.create_agent().await;
    let client = app.create_vat_client().await;
    let id = app.create_invitation_ok(&agent, &vat(&client)).await;
    let malformed = with_wrong_check(&id);
    assert_error(
        set_age(&app, Some(&agent.token), &malformed, DAY).await,
        AGE_OP,
        "BAD_REQUEST",
    )
    .await;
    assert_error(
        set_age(&app, Some(&agent.token), &id, -1).await,
        AGE_OP,
        "BAD_REQUEST",
    )
    .await;
    assert_error(set_age(&app, None, &id, DAY).await, AGE_OP, "UNAUTHORIZED").await;
    let unknown = unknown_invitation_id();
    assert_error(
        set_age(&app, Some(&agent.token), &unknown, DAY).await,
        AGE_OP,
        "INVITATION_NOT_FOUND",
    )
    .await;
    assert_error(
        set_age(&app, Some(&other_agent.token), &id, DAY).await,
        AGE_OP,
        "NO_PERMISSION",
    )
    .await;
    assert_eq!(
        app.invitation(&agent, &id).await["created"],
        "2026-03-02T10:00:00.000Z"
    );
    // The client, HMRC staff, and a century at most.
    assert_no_content(set_age(&app, Some(&client.token), &id, DAY).await).await;
    let staff = app.hmrc_staff_token().await;
    assert_no_content(set_age(&app, Some(&staff), &id, i64::MAX).await).await;
    let created = assert_timestamp(&app.invitation(&agent, &id).await, "created");
    assert_eq!(
        created,
        start_instant() - Duration::seconds(100 * 366 * DAY)
    );
}

#[tokio::test]
async fn production_mode_has_no_time_control() {
    let app = TestApp::start_with(|settings| settings.sandbox = false).await;
    let response = set_age(&app, None, "ABERULMHCKKW3", DAY).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        serde_json::json!({"code": "NOT_FOUND", "message": "Resource was not found."})
    );
}

// ---- the hold (Gov-Test-Hold-Ms) ----

#[tokio::test]
async fn a_held_create_meets_an_identical_one_in_flight_every_time() {
    let app = TestApp::start().await;
    for _ in 0..3 {
        let agent = app.create_agent().await;
        let client = app.create_itsa_client().await;
        let create = || {
            app.v2(Method::POST, &invitations_path(&agent.arn), &agent.token)
                .header("Gov-Test-Hold-Ms", "400")
                .json(&itsa_main(&client))
        };
        let answers = backend::all_at_once(vec![create(), create()]).await;
        let mut statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
        statuses.sort();
        assert_eq!(statuses, [204, 403], "{answers:?}");
        assert!(
            answers
                .iter()
                .any(|a| a.body.contains("ALREADY_BEING_PROCESSED")),
            "{answers:?}"
        );
    }
}

#[tokio::test]
async fn a_cancel_waits_for_a_held_accept() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_vat_client().await;
    let id = app.create_invitation_ok(&agent, &vat(&client)).await;
    let path = format!("/agent-authorisation-test-support/invitations/{id}");
    let accept = app
        .bare(Method::PUT, &path)
        .header("Authorization", format!("Bearer {}", agent.token))
        .header("Gov-Test-Hold-Ms", "600")
        .send();
    let cancel = async {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        app.cancel_invitation(&agent, &id).await
    };
    let (accepted, cancelled) = tokio::join!(accept, cancel);
    assert_eq!(accepted.unwrap().status(), StatusCode::NO_CONTENT);
    assert_error(cancelled, "cancel_invitation", "INVALID_INVITATION_STATUS").await;
    assert_eq!(app.invitation_status(&agent, &id).await, "Accepted");
}

#[tokio::test]
async fn production_mode_ignores_the_hold() {
    use agent_auth_server::domain::identifiers::{Arn, Postcode};
    use agent_auth_server::domain::provisioning::Provision;
    let app = TestApp::start_with(|settings| settings.sandbox = false).await;
    let arn = Arn::parse("KARN0762398").unwrap();
    let agency = Provision::Agent {
        arn: arn.clone(),
        agency_name: "Evans & Partners".into(),
    };
    let token = crate::bad_input::provision(&app, agency).await;
    let individual = Provision::Individual {
        nino: Nino::parse("AB123456C").unwrap(),
        postcode: Postcode::parse("TS1 1PA").unwrap(),
        date_of_birth: NaiveDate::from_ymd_opt(1980, 2, 3).unwrap(),
        mtditid: None,
    };
    crate::bad_input::provision(&app, individual).await;
    let body = serde_json::json!({"service": ["MTD-IT"], "clientType": "personal", "clientIdType": "ni",
        "clientId": "AB123456C", "knownFact": "TS1 1PA"});
    let started = std::time::Instant::now();
    let created = app
        .v2(Method::POST, &invitations_path(arn.as_str()), &token)
        .header("Gov-Test-Hold-Ms", "5000")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_no_content(created).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "the hold was honoured"
    );
}
