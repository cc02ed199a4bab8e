//! Relationships: checking (POST /agents/{arn}/relationships), deauthorising (PUT /agents/{arn}/deauthorise-client),
//! and the rules of acceptance that create and end them (docs/domain.md §7).

use crate::support::*;
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CHECK: &str = "check_relationship";
const DEAUTH: &str = "deauthorise_client";
const CREATE: &str = "create_invitation";

/// Asserts the agent has an active relationship for the create body's service and client.
async fn assert_related(app: &TestApp, agent: &Agent, create_body: &Value) {
    let response = app
        .check_relationship(agent, &check_body(create_body))
        .await;
    assert_no_content(response).await;
}

/// Asserts the agent has no active relationship for the create body's service and client.
async fn assert_not_related(app: &TestApp, agent: &Agent, create_body: &Value) {
    let response = app
        .check_relationship(agent, &check_body(create_body))
        .await;
    assert_error(response, CHECK, "RELATIONSHIP_NOT_FOUND").await;
}

// ---- check ----

#[tokio::test]
async fn a_relationship_is_active_only_between_acceptance_and_deauthorisation() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let main_client = app.create_itsa_client().await;
    let supported_client = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    for body in [
        itsa_main(&main_client),
        itsa_supporting(&supported_client),
        vat(&vat_client),
    ] {
        assert_not_related(&app, &agent, &body).await;
        let id = app.create_invitation_ok(&agent, &body).await;
        assert_not_related(&app, &agent, &body).await;
        app.accept_ok(&id).await;
        assert_related(&app, &agent, &body).await;
        assert_no_content(app.deauthorise(&agent, &deauth_body(&body)).await).await;
        assert_not_related(&app, &agent, &body).await;
    }
}

#[tokio::test]
async fn a_partial_authorisation_counts_as_a_relationship() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_alt_itsa_client().await;
    let body = itsa_main(&client);

    assert_not_related(&app, &agent, &body).await;
    let id = app.create_invitation_ok(&agent, &body).await;
    app.accept_ok(&id).await;
    assert_eq!(app.invitation_status(&agent, &id).await, "Partialauth");
    assert_related(&app, &agent, &body).await;

    assert_no_content(app.deauthorise(&agent, &deauth_body(&body)).await).await;
    let invitation = app.invitation(&agent, &id).await;
    assert_not_pending(
        &invitation,
        &agent,
        &id,
        "MTD-IT",
        Some("main"),
        "Deauthorised",
    );
    assert_not_related(&app, &agent, &body).await;
}

#[tokio::test]
async fn main_and_supporting_relationships_are_checked_apart() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    app.accept_ok(&id).await;
    assert_related(&app, &agent, &itsa_main(&client)).await;
    assert_related(
        &app,
        &agent,
        &with(itsa_main(&client), "agentType", json!("main")),
    )
    .await;
    assert_not_related(&app, &agent, &itsa_supporting(&client)).await;
}

#[tokio::test]
async fn the_service_may_be_a_plain_string_when_checking() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_vat_client().await;
    let id = app.create_invitation_ok(&agent, &vat(&client)).await;
    app.accept_ok(&id).await;

    let body = with(check_body(&vat(&client)), "service", json!("MTD-VAT"));
    assert_no_content(app.check_relationship(&agent, &body).await).await;
}

#[tokio::test]
async fn checking_validates_the_payload() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;
    let itsa_check = check_body(&itsa_main(&itsa));
    let vat_check = check_body(&vat(&vat_client));

    let cases = [
        (
            with(itsa_check.clone(), "service", json!(["MTD-CGT"])),
            "SERVICE_NOT_SUPPORTED",
        ),
        (
            with(itsa_check.clone(), "clientId", json!("AB12345")),
            "CLIENT_ID_FORMAT_INVALID",
        ),
        (
            with(vat_check.clone(), "clientId", json!("12345678")),
            "CLIENT_ID_FORMAT_INVALID",
        ),
        (
            with(itsa_check.clone(), "clientId", json!(vat_client.vrn)),
            "CLIENT_ID_DOES_NOT_MATCH_SERVICE",
        ),
        (
            with(itsa_check.clone(), "clientIdType", json!("vrn")),
            "CLIENT_ID_DOES_NOT_MATCH_SERVICE",
        ),
        (
            with(vat_check.clone(), "clientId", json!(itsa.nino)),
            "CLIENT_ID_DOES_NOT_MATCH_SERVICE",
        ),
        (
            with(itsa_check.clone(), "knownFact", json!("NOT A POSTCODE")),
            "POSTCODE_FORMAT_INVALID",
        ),
        (
            with(vat_check.clone(), "knownFact", json!("2007-13-01")),
            "VAT_REG_DATE_FORMAT_INVALID",
        ),
        (
            with(vat_check.clone(), "knownFact", json!("18/05/2007")),
            "VAT_REG_DATE_FORMAT_INVALID",
        ),
        (
            with(itsa_check.clone(), "agentType", json!("other")),
            "AGENT_TYPE_NOT_SUPPORTED",
        ),
        (
            with(vat_check.clone(), "agentType", json!("main")),
            "AGENT_TYPE_NOT_SUPPORTED",
        ),
    ];
    for (body, example) in cases {
        let response = app.check_relationship(&agent, &body).await;
        assert_error(response, CHECK, example).await;
    }
}

#[tokio::test]
async fn checking_with_a_body_of_the_wrong_shape_is_400() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let good = check_body(&itsa_main(&client));

    let mut bodies = vec![
        "{".to_string(),
        String::new(),
        "[]".to_string(),
        with(good.clone(), "service", json!(["MTD-IT", "MTD-VAT"])).to_string(),
        with(good.clone(), "clientId", json!(42)).to_string(),
    ];
    for field in ["service", "clientIdType", "clientId", "knownFact"] {
        bodies.push(without(good.clone(), field).to_string());
    }
    for body in bodies {
        let response = app
            .v2(
                Method::POST,
                &format!("/agents/{}/relationships", agent.arn),
                &agent.token,
            )
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_error(response, CHECK, "BAD_REQUEST").await;
    }
}

#[tokio::test]
async fn checking_verifies_the_clients_record() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;
    let insolvent = app.create_insolvent_vat_client().await;
    let itsa_check = check_body(&itsa_main(&itsa));
    let vat_check = check_body(&vat(&vat_client));

    let cases = [
        (
            with(itsa_check.clone(), "clientId", json!(UNREGISTERED_NINO)),
            "CLIENT_REGISTRATION_NOT_FOUND",
        ),
        (
            with(vat_check.clone(), "clientId", json!(UNREGISTERED_VRN)),
            "CLIENT_REGISTRATION_NOT_FOUND",
        ),
        (
            with(
                itsa_check.clone(),
                "knownFact",
                json!(other_postcode(&itsa.postcode)),
            ),
            "POSTCODE_DOES_NOT_MATCH",
        ),
        (
            with(
                vat_check.clone(),
                "knownFact",
                json!(day_after(&vat_client.vat_registration_date)),
            ),
            "VAT_REG_DATE_DOES_NOT_MATCH",
        ),
        (check_body(&vat(&insolvent)), "VAT_CLIENT_INSOLVENT"),
    ];
    for (body, example) in cases {
        let response = app.check_relationship(&agent, &body).await;
        assert_error(response, CHECK, example).await;
    }
}

#[tokio::test]
async fn an_active_relationship_is_not_confirmed_without_the_right_known_fact() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    app.accept_ok(&id).await;

    let body = with(
        check_body(&itsa_main(&client)),
        "knownFact",
        json!(other_postcode(&client.postcode)),
    );
    assert_error(
        app.check_relationship(&agent, &body).await,
        CHECK,
        "POSTCODE_DOES_NOT_MATCH",
    )
    .await;
}

// ---- deauthorise ----

#[tokio::test]
async fn deauthorising_ends_the_relationship_once() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let supported = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    for (body, agent_type) in [
        (itsa_main(&itsa), Some("main")),
        (itsa_supporting(&supported), Some("supporting")),
        (vat(&vat_client), None),
    ] {
        let service = if agent_type.is_some() {
            "MTD-IT"
        } else {
            "MTD-VAT"
        };
        let id = app.create_invitation_ok(&agent, &body).await;
        app.accept_ok(&id).await;
        app.advance(Duration::hours(1));

        assert_no_content(app.deauthorise(&agent, &deauth_body(&body)).await).await;
        let invitation = app.invitation(&agent, &id).await;
        assert_not_pending(
            &invitation,
            &agent,
            &id,
            service,
            agent_type,
            "Deauthorised",
        );
        assert_eq!(invitation["updated"], app_time(&app));

        let response = app.deauthorise(&agent, &deauth_body(&body)).await;
        assert_error(response, DEAUTH, "NO_RELATIONSHIP").await;
        // A new request may be made now.
        app.create_invitation_ok(&agent, &body).await;
    }
}

/// The clock's time as the API writes it.
fn app_time(app: &TestApp) -> String {
    use agent_auth_server::domain::clock::Clock;
    app.clock.now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[tokio::test]
async fn deauthorising_without_a_relationship_is_403() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    // never asked, only asked (pending), and a client nobody registered: no known fact is checked here
    let pending = app.create_invitation_ok(&agent, &vat(&vat_client)).await;
    for body in [
        deauth_body(&itsa_main(&client)),
        deauth_body(&vat(&vat_client)),
        with(
            deauth_body(&itsa_main(&client)),
            "clientId",
            json!(UNREGISTERED_NINO),
        ),
    ] {
        let response = app.deauthorise(&agent, &body).await;
        assert_error(response, DEAUTH, "NO_RELATIONSHIP").await;
    }
    assert_eq!(app.invitation_status(&agent, &pending).await, "Pending");
}

#[tokio::test]
async fn deauthorising_selects_main_or_supporting_by_agent_type() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    app.accept_ok(&id).await;

    // The agent is main, not supporting.
    let response = app
        .deauthorise(&agent, &deauth_body(&itsa_supporting(&client)))
        .await;
    assert_error(response, DEAUTH, "NO_RELATIONSHIP").await;
    assert_related(&app, &agent, &itsa_main(&client)).await;

    // Without agentType, whichever MTD-IT relationship the agent holds ends.
    assert_no_content(
        app.deauthorise(&agent, &deauth_body(&itsa_main(&client)))
            .await,
    )
    .await;
    assert_not_related(&app, &agent, &itsa_main(&client)).await;

    // The same for a supporting agent, named explicitly.
    let other_client = app.create_itsa_client().await;
    let id = app
        .create_invitation_ok(&agent, &itsa_supporting(&other_client))
        .await;
    app.accept_ok(&id).await;
    let main_body = with(
        deauth_body(&itsa_main(&other_client)),
        "agentType",
        json!("main"),
    );
    assert_error(
        app.deauthorise(&agent, &main_body).await,
        DEAUTH,
        "NO_RELATIONSHIP",
    )
    .await;
    assert_no_content(
        app.deauthorise(&agent, &deauth_body(&itsa_main(&other_client)))
            .await,
    )
    .await;
    assert_eq!(app.invitation_status(&agent, &id).await, "Deauthorised");
}

#[tokio::test]
async fn deauthorising_validates_the_payload() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;
    let itsa_deauth = deauth_body(&itsa_main(&itsa));
    let vat_deauth = deauth_body(&vat(&vat_client));

    let cases = [
        (
            with(itsa_deauth.clone(), "service", json!("MTD-CGT")),
            "SERVICE_NOT_SUPPORTED",
        ),
        (
            with(itsa_deauth.clone(), "clientType", json!("trust")),
            "CLIENT_TYPE_NOT_SUPPORTED",
        ),
        (
            with(itsa_deauth.clone(), "clientType", json!("business")),
            "CLIENT_TYPE_NOT_SUPPORTED",
        ),
        (
            with(itsa_deauth.clone(), "clientId", json!("AB12345")),
            "CLIENT_ID_FORMAT_INVALID",
        ),
        (
            with(vat_deauth.clone(), "clientId", json!("1234")),
            "CLIENT_ID_FORMAT_INVALID",
        ),
        (
            with(itsa_deauth.clone(), "clientId", json!(vat_client.vrn)),
            "CLIENT_ID_DOES_NOT_MATCH_SERVICE",
        ),
        (
            with(vat_deauth.clone(), "clientIdType", json!("ni")),
            "CLIENT_ID_DOES_NOT_MATCH_SERVICE",
        ),
        (
            with(itsa_deauth.clone(), "agentType", json!("other")),
            "AGENT_TYPE_NOT_SUPPORTED",
        ),
        (
            with(vat_deauth.clone(), "agentType", json!("supporting")),
            "AGENT_TYPE_NOT_SUPPORTED",
        ),
    ];
    for (body, example) in cases {
        let response = app.deauthorise(&agent, &body).await;
        assert_error(response, DEAUTH, example).await;
    }

    let mut bad_shapes = vec![
        "not json".to_string(),
        String::new(),
        "null".to_string(),
        with(itsa_deauth.clone(), "service", json!(["MTD-IT", "MTD-IT"])).to_string(),
        with(itsa_deauth.clone(), "clientIdType", json!(["ni"])).to_string(),
    ];
    for field in ["service", "clientType", "clientIdType", "clientId"] {
        bad_shapes.push(without(itsa_deauth.clone(), field).to_string());
    }
    for body in bad_shapes {
        let response = app
            .v2(
                Method::PUT,
                &format!("/agents/{}/deauthorise-client", agent.arn),
                &agent.token,
            )
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_error(response, DEAUTH, "BAD_REQUEST").await;
    }
}

// ---- acceptance rules (through test support) ----

#[tokio::test]
async fn a_new_main_agent_replaces_the_old_one() {
    let app = TestApp::start().await;
    let first = app.create_agent().await;
    let second = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let body = itsa_main(&client);

    let first_id = app.create_invitation_ok(&first, &body).await;
    let second_id = app.create_invitation_ok(&second, &body).await;
    app.accept_ok(&first_id).await;
    assert_related(&app, &first, &body).await;

    app.advance(Duration::hours(1));
    app.accept_ok(&second_id).await;
    assert_related(&app, &second, &body).await;
    assert_not_related(&app, &first, &body).await;
    let old = app.invitation(&first, &first_id).await;
    assert_not_pending(
        &old,
        &first,
        &first_id,
        "MTD-IT",
        Some("main"),
        "Deauthorised",
    );
    assert_eq!(app.invitation_status(&second, &second_id).await, "Accepted");
    // The first agent has nothing left to deauthorise.
    let response = app.deauthorise(&first, &deauth_body(&body)).await;
    assert_error(response, DEAUTH, "NO_RELATIONSHIP").await;
}

#[tokio::test]
async fn a_new_vat_agent_replaces_the_old_one() {
    let app = TestApp::start().await;
    let first = app.create_agent().await;
    let second = app.create_agent().await;
    let client = app.create_vat_client().await;
    let body = vat(&client);

    let first_id = app.create_invitation_ok(&first, &body).await;
    let second_id = app.create_invitation_ok(&second, &body).await;
    app.accept_ok(&first_id).await;
    app.accept_ok(&second_id).await;

    assert_not_related(&app, &first, &body).await;
    assert_related(&app, &second, &body).await;
    assert_eq!(
        app.invitation_status(&first, &first_id).await,
        "Deauthorised"
    );
}

#[tokio::test]
async fn several_supporting_agents_can_be_active_at_once() {
    let app = TestApp::start().await;
    let first = app.create_agent().await;
    let second = app.create_agent().await;
    let main_agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let body = itsa_supporting(&client);

    let first_id = app.create_invitation_ok(&first, &body).await;
    let second_id = app.create_invitation_ok(&second, &body).await;
    app.accept_ok(&first_id).await;
    app.accept_ok(&second_id).await;
    assert_related(&app, &first, &body).await;
    assert_related(&app, &second, &body).await;

    // A main agent arriving does not end the supporting ones.
    let main_id = app
        .create_invitation_ok(&main_agent, &itsa_main(&client))
        .await;
    app.accept_ok(&main_id).await;
    assert_related(&app, &main_agent, &itsa_main(&client)).await;
    assert_related(&app, &first, &body).await;
    assert_related(&app, &second, &body).await;
    assert_eq!(app.invitation_status(&first, &first_id).await, "Accepted");
    assert_eq!(app.invitation_status(&second, &second_id).await, "Accepted");
}

#[tokio::test]
async fn an_agent_switching_from_supporting_to_main_loses_supporting() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    let supporting = app
        .create_invitation_ok(&agent, &itsa_supporting(&client))
        .await;
    app.accept_ok(&supporting).await;
    assert_related(&app, &agent, &itsa_supporting(&client)).await;

    // Already supporting, the agent may still ask to be main.
    let main = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    app.accept_ok(&main).await;
    assert_related(&app, &agent, &itsa_main(&client)).await;
    assert_not_related(&app, &agent, &itsa_supporting(&client)).await;
    assert_eq!(
        app.invitation_status(&agent, &supporting).await,
        "Deauthorised"
    );
    assert_eq!(app.invitation_status(&agent, &main).await, "Accepted");
}

#[tokio::test]
async fn an_agent_switching_from_main_to_supporting_loses_main() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    let main = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    app.accept_ok(&main).await;
    let supporting = app
        .create_invitation_ok(&agent, &itsa_supporting(&client))
        .await;
    app.accept_ok(&supporting).await;

    assert_related(&app, &agent, &itsa_supporting(&client)).await;
    assert_not_related(&app, &agent, &itsa_main(&client)).await;
    assert_eq!(app.invitation_status(&agent, &main).await, "Deauthorised");
}

#[tokio::test]
async fn a_pending_request_is_not_blocked_by_an_active_relationship_of_another_agent() {
    let app = TestApp::start().await;
    let first = app.create_agent().await;
    let second = app.create_agent().await;
    let client = app.create_vat_client().await;
    let id = app.create_invitation_ok(&first, &vat(&client)).await;
    app.accept_ok(&id).await;

    app.create_invitation_ok(&second, &vat(&client)).await;
    // ... while the first agent is ALREADY_AUTHORISED.
    let response = app.create_invitation(&first, &vat(&client)).await;
    assert_error(response, CREATE, "ALREADY_AUTHORISED").await;
}

#[tokio::test]
async fn the_relationship_check_is_per_agent() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let other = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    app.accept_ok(&id).await;

    assert_related(&app, &agent, &itsa_main(&client)).await;
    assert_not_related(&app, &other, &itsa_main(&client)).await;
    let response = app
        .deauthorise(&other, &deauth_body(&itsa_main(&client)))
        .await;
    assert_error(response, DEAUTH, "NO_RELATIONSHIP").await;
    let response = app
        .v2(Method::GET, &invitation_path(&agent.arn, &id), &other.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_error(response, "get_invitation", "NO_PERMISSION_ON_AGENCY").await;
}

#[tokio::test]
async fn an_alternative_itsa_supporting_agent_gets_partial_authorisation() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_alt_itsa_client().await;
    let body = itsa_supporting(&client);

    let id = app.create_invitation_ok(&agent, &body).await;
    app.accept_ok(&id).await;
    let invitation = app.invitation(&agent, &id).await;
    assert_not_pending(
        &invitation,
        &agent,
        &id,
        "MTD-IT",
        Some("supporting"),
        "Partialauth",
    );
    assert_related(&app, &agent, &body).await;
    assert_not_related(&app, &agent, &itsa_main(&client)).await;
    assert_error(
        app.create_invitation(&agent, &body).await,
        CREATE,
        "ALREADY_AUTHORISED",
    )
    .await;
}

#[tokio::test]
async fn a_new_main_agent_replaces_a_partially_authorised_one() {
    let app = TestApp::start().await;
    let first = app.create_agent().await;
    let second = app.create_agent().await;
    let client = app.create_alt_itsa_client().await;
    let body = itsa_main(&client);

    let first_id = app.create_invitation_ok(&first, &body).await;
    app.accept_ok(&first_id).await;
    let second_id = app.create_invitation_ok(&second, &body).await;
    app.accept_ok(&second_id).await;

    assert_eq!(
        app.invitation_status(&second, &second_id).await,
        "Partialauth"
    );
    assert_related(&app, &second, &body).await;
    assert_not_related(&app, &first, &body).await;
    assert_eq!(
        app.invitation_status(&first, &first_id).await,
        "Deauthorised"
    );
}

#[tokio::test]
async fn a_replaced_agent_may_ask_again() {
    let app = TestApp::start().await;
    let first = app.create_agent().await;
    let second = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let body = itsa_main(&client);

    let first_id = app.create_invitation_ok(&first, &body).await;
    app.accept_ok(&first_id).await;
    let second_id = app.create_invitation_ok(&second, &body).await;
    app.accept_ok(&second_id).await;

    app.advance(Duration::minutes(1));
    let again = app.create_invitation_ok(&first, &body).await;
    assert_ne!(again, first_id);
}

// ---- checking: the known fact before insolvency; a partial authorisation completed (docs/domain.md §6, §7) ----

#[tokio::test]
async fn checking_an_insolvent_vat_client_needs_the_right_date_before_it_says_so() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_insolvent_vat_client().await;
    let wrong_date = with(
        check_body(&vat(&client)),
        "knownFact",
        json!(day_after(&client.vat_registration_date)),
    );
    assert_error(
        app.check_relationship(&agent, &wrong_date).await,
        "check_relationship",
        "VAT_REG_DATE_DOES_NOT_MATCH",
    )
    .await;
    assert_error(
        app.check_relationship(&agent, &check_body(&vat(&client)))
            .await,
        "check_relationship",
        "VAT_CLIENT_INSOLVENT",
    )
    .await;
}

#[tokio::test]
async fn checking_a_partial_authorisation_after_sign_up_makes_it_full() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_alt_itsa_client().await;
    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    app.accept_ok(&id).await;
    assert_eq!(app.invitation_status(&agent, &id).await, "Partialauth");

    // Still partial: the check answers 204 and changes nothing.
    assert_no_content(
        app.check_relationship(&agent, &check_body(&itsa_main(&client)))
            .await,
    )
    .await;
    assert_eq!(app.invitation_status(&agent, &id).await, "Partialauth");

    // Signed up since: the check answers 204 and the request now reads Accepted.
    assert_json(
        app.sign_up_mtd_income_tax(&client.nino).await,
        StatusCode::OK,
    )
    .await;
    assert_no_content(
        app.check_relationship(&agent, &check_body(&itsa_main(&client)))
            .await,
    )
    .await;
    assert_eq!(app.invitation_status(&agent, &id).await, "Accepted");
    assert_no_content(
        app.check_relationship(&agent, &check_body(&itsa_main(&client)))
            .await,
    )
    .await;
}
