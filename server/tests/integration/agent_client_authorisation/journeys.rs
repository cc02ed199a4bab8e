//! Whole journeys through the backend (`openapi/agent-client-authorisation.yaml`) for every service of docs/domain.md §3:
//! create → accept → check → deauthorise (by the agent and by the client), and the reject, cancel and expiry
//! paths; then the relationship rules of docs/domain.md §7 (one main agent, several supporting agents, switching,
//! partial authorisation and the alternative-ITSA update, a trust's URN replaced by its UTR).

use crate::support::backend::*;
use crate::support::*;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::Value;

const CHECK: &str = "check_agent_relationship";
const END: &str = "end_agent_relationship";
const ACCEPT: &str = "accept_received_invitation";
const REJECT: &str = "reject_received_invitation";
const CLIENT_END: &str = "end_client_relationship";
const CANCEL: &str = "cancel_sent_invitation";
const ALT_ITSA: &str = "update_alt_itsa";
const REPLACE: &str = "replace_urn_with_utr";

/// A valid UTR (docs/domain.md §4: the first digit is the mod-11 check of the other nine) made from `n`.
fn utr(n: u32) -> String {
    let body = format!("{:09}", n % 1_000_000_000);
    let weights = [6, 7, 8, 9, 10, 5, 4, 3, 2];
    let sum: u32 = body
        .bytes()
        .zip(weights)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = "21987654321".as_bytes()[(sum % 11) as usize] as char;
    format!("{check}{body}")
}

#[test]
fn utrs_are_made_with_their_check_digit() {
    assert_eq!(utr(134514321), "2134514321");
    for n in [1, 42, 987654321] {
        let made = utr(n);
        assert!(
            agent_auth_server::domain::identifiers::Utr::parse(&made).is_some(),
            "{made}"
        );
    }
}

/// The stored relationship the agent has with the client for its service, as the database holds it.
fn active(agent: &Agent, client: &ServiceClient, partial: bool) -> ActiveRelationship {
    let (_, client_id) = client.stored_client_id();
    ActiveRelationship {
        arn: agent.arn.clone(),
        service: client.service.to_string(),
        client_id,
        partial,
    }
}

/// The invitation as the client reads it.
async fn received(app: &TestApp, client: &ServiceClient, id: &str) -> Value {
    assert_json(app.received_get(client, id).await, StatusCode::OK).await
}

// ---- the journeys ----

/// Every path an invitation can take, for one service.
async fn journey(service: &'static str) {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.backend_client(service).await;

    accepted_then_deauthorised_by_the_agent(&app, &agent, &client).await;
    accepted_then_ended_by_the_client(&app, &agent, &client).await;
    rejected(&app, &agent, &client).await;
    cancelled(&app, &agent, &client).await;
    expired_through_test_support(&app, &agent, &client).await;
    expired_by_the_clock(&app, &agent, &client).await;

    // Nothing left blocks a new request, and it is answered as before.
    let id = app.sent_create_ok(&agent, &client).await;
    app.received_accept_ok(&client, &id).await;
    assert!(app.is_related(&agent, &client).await);
    let (_, stored_id) = client.stored_client_id();
    assert_eq!(
        app.active_relationships(service, &stored_id).await,
        [active(&agent, &client, false)]
    );
}

/// The client can no longer accept invitation `id`: it is not pending.
async fn assert_cannot_accept(app: &TestApp, client: &ServiceClient, id: &str) {
    assert_backend_error(
        app.received_accept(client, id).await,
        ACCEPT,
        "INVALID_INVITATION_STATUS",
    )
    .await;
}

/// The client can no longer reject invitation `id`: it is not pending.
async fn assert_cannot_reject(app: &TestApp, client: &ServiceClient, id: &str) {
    assert_backend_error(
        app.received_reject(client, id).await,
        REJECT,
        "INVALID_INVITATION_STATUS",
    )
    .await;
}

/// The agent can no longer cancel invitation `id`: it is not pending.
async fn assert_cannot_cancel(app: &TestApp, agent: &Agent, id: &str) {
    assert_backend_error(
        app.sent_cancel(agent, id).await,
        CANCEL,
        "INVALID_INVITATION_STATUS",
    )
    .await;
}

/// The agent has no relationship with the client left to end.
async fn assert_agent_cannot_end(app: &TestApp, agent: &Agent, client: &ServiceClient) {
    assert_backend_error(
        app.relationship_end(agent, client).await,
        END,
        "NO_RELATIONSHIP",
    )
    .await;
}

/// Created: pending, the client sees it with its accept and reject links, nobody is authorised. Accepted by the
/// client: the relationship starts with it. Then deauthorised by the agent.
async fn accepted_then_deauthorised_by_the_agent(
    app: &TestApp,
    agent: &Agent,
    client: &ServiceClient,
) {
    let service = client.service;
    let (_, stored_id) = client.stored_client_id();

    let id = app.sent_create_ok(agent, client).await;
    assert_received_invitation(
        &received(app, client, &id).await,
        agent,
        client,
        &id,
        "Pending",
    );
    assert!(!app.is_related(agent, client).await);

    app.advance(Duration::hours(1));
    app.received_accept_ok(client, &id).await;
    let accepted = app.sent_invitation(agent, &id).await;
    assert_sent_invitation(app, &accepted, agent, client, &id, "Accepted");
    assert_eq!(assert_timestamp(&accepted, "lastUpdated"), app.clock_now());
    assert_received_invitation(
        &received(app, client, &id).await,
        agent,
        client,
        &id,
        "Accepted",
    );
    assert_no_content(app.relationship_check(agent, client).await).await;
    assert_eq!(
        app.active_relationships(service, &stored_id).await,
        [active(agent, client, false)]
    );

    app.advance(Duration::hours(1));
    assert_no_content(app.relationship_end(agent, client).await).await;
    assert_backend_error(
        app.relationship_check(agent, client).await,
        CHECK,
        "RELATIONSHIP_NOT_FOUND",
    )
    .await;
    let ended = app.sent_invitation(agent, &id).await;
    assert_sent_invitation(app, &ended, agent, client, &id, "Deauthorised");
    assert_eq!(ended["relationshipEndedBy"], "Agent", "{ended}");
    assert_eq!(assert_timestamp(&ended, "lastUpdated"), app.clock_now());
    assert_eq!(
        received(app, client, &id).await["relationshipEndedBy"],
        "Agent"
    );
    assert_agent_cannot_end(app, agent, client).await;
    assert_backend_error(
        app.received_deauthorise(client, &id).await,
        CLIENT_END,
        "NO_RELATIONSHIP",
    )
    .await;
    assert_cannot_accept(app, client, &id).await;
    assert_eq!(app.active_relationship_count(service, &stored_id).await, 0);
}

/// Again, and this time the client ends it.
async fn accepted_then_ended_by_the_client(app: &TestApp, agent: &Agent, client: &ServiceClient) {
    let id = app.sent_create_ok(agent, client).await;
    app.received_accept_ok(client, &id).await;
    assert!(app.is_related(agent, client).await);
    assert_no_content(app.received_deauthorise(client, &id).await).await;
    assert!(!app.is_related(agent, client).await);
    let ended = app.sent_invitation(agent, &id).await;
    assert_sent_invitation(app, &ended, agent, client, &id, "Deauthorised");
    assert_eq!(ended["relationshipEndedBy"], "Client", "{ended}");
    assert_agent_cannot_end(app, agent, client).await;
    let (_, stored_id) = client.stored_client_id();
    assert_eq!(
        app.active_relationship_count(client.service, &stored_id)
            .await,
        0
    );
}

async fn rejected(app: &TestApp, agent: &Agent, client: &ServiceClient) {
    let id = app.sent_create_ok(agent, client).await;
    assert_no_content(app.received_reject(client, &id).await).await;
    assert_sent_invitation(
        app,
        &app.sent_invitation(agent, &id).await,
        agent,
        client,
        &id,
        "Rejected",
    );
    assert_cannot_accept(app, client, &id).await;
    assert_cannot_cancel(app, agent, &id).await;
    assert!(!app.is_related(agent, client).await);
}

async fn cancelled(app: &TestApp, agent: &Agent, client: &ServiceClient) {
    let id = app.sent_create_ok(agent, client).await;
    assert_no_content(app.sent_cancel(agent, &id).await).await;
    assert_received_invitation(
        &received(app, client, &id).await,
        agent,
        client,
        &id,
        "Cancelled",
    );
    assert_cannot_accept(app, client, &id).await;
    assert_cannot_reject(app, client, &id).await;
    assert!(!app.is_related(agent, client).await);
}

async fn expired_through_test_support(app: &TestApp, agent: &Agent, client: &ServiceClient) {
    let id = app.sent_create_ok(agent, client).await;
    assert_no_content(app.expire(&id).await).await;
    assert_eq!(app.sent_status(agent, &id).await, "Expired");
    assert_eq!(received(app, client, &id).await["status"], "Expired");
    assert_cannot_accept(app, client, &id).await;
    assert_cannot_reject(app, client, &id).await;
    assert_cannot_cancel(app, agent, &id).await;
    assert!(!app.is_related(agent, client).await);
}

/// Expired by the clock, 21 days on.
async fn expired_by_the_clock(app: &TestApp, agent: &Agent, client: &ServiceClient) {
    let id = app.sent_create_ok(agent, client).await;
    app.advance(Duration::days(21));
    let expired = app.sent_invitation(agent, &id).await;
    assert_sent_invitation(app, &expired, agent, client, &id, "Expired");
    assert_received_invitation(
        &received(app, client, &id).await,
        agent,
        client,
        &id,
        "Expired",
    );
    assert_cannot_accept(app, client, &id).await;
    assert_cannot_cancel(app, agent, &id).await;
}

#[tokio::test]
async fn journey_mtd_it_main() {
    journey("HMRC-MTD-IT").await;
}

#[tokio::test]
async fn journey_mtd_it_supporting() {
    journey("HMRC-MTD-IT-SUPP").await;
}

#[tokio::test]
async fn journey_mtd_vat() {
    journey("HMRC-MTD-VAT").await;
}

#[tokio::test]
async fn journey_personal_income_record() {
    journey("PERSONAL-INCOME-RECORD").await;
}

#[tokio::test]
async fn journey_capital_gains_tax_on_uk_property() {
    journey("HMRC-CGT-PD").await;
}

#[tokio::test]
async fn journey_taxable_trust() {
    journey("HMRC-TERS-ORG").await;
}

#[tokio::test]
async fn journey_non_taxable_trust() {
    journey("HMRC-TERSNT-ORG").await;
}

#[tokio::test]
async fn journey_plastic_packaging_tax() {
    journey("HMRC-PPT-ORG").await;
}

// ---- one main agent, several supporting agents ----

#[tokio::test]
async fn a_new_agent_displaces_the_old_one_for_every_service_but_supporting_mtd_it() {
    let app = TestApp::start().await;
    for service in SERVICES.into_iter().filter(|s| *s != "HMRC-MTD-IT-SUPP") {
        let (old, new) = (app.create_agent().await, app.create_agent().await);
        let client = app.backend_client(service).await;
        let old_id = app.sent_create_ok(&old, &client).await;
        let new_id = app.sent_create_ok(&new, &client).await;
        app.received_accept_ok(&client, &old_id).await;
        app.advance(Duration::minutes(1));
        app.received_accept_ok(&client, &new_id).await;

        assert!(
            !app.is_related(&old, &client).await,
            "{service}: the old agent lost it"
        );
        assert!(app.is_related(&new, &client).await, "{service}");
        let displaced = app.sent_invitation(&old, &old_id).await;
        assert_sent_invitation(&app, &displaced, &old, &client, &old_id, "Deauthorised");
        assert_eq!(displaced["relationshipEndedBy"], "Client", "{displaced}");
        assert_eq!(assert_timestamp(&displaced, "lastUpdated"), app.clock_now());
        assert_eq!(app.sent_status(&new, &new_id).await, "Accepted");
        let (_, stored_id) = client.stored_client_id();
        assert_eq!(
            app.active_relationships(service, &stored_id).await,
            [active(&new, &client, false)],
            "{service}"
        );
    }
}

#[tokio::test]
async fn several_supporting_agents_at_once_beside_one_main_agent() {
    let app = TestApp::start().await;
    let client = app.backend_client("HMRC-MTD-IT-SUPP").await;
    let main = client.for_service("HMRC-MTD-IT");
    let mut supporting = Vec::new();
    for _ in 0..3 {
        let agent = app.create_agent().await;
        let id = app.sent_create_ok(&agent, &client).await;
        app.received_accept_ok(&client, &id).await;
        supporting.push((agent, id));
    }
    let main_agent = app.create_agent().await;
    let main_id = app.sent_create_ok(&main_agent, &main).await;
    app.received_accept_ok(&main, &main_id).await;

    for (agent, id) in &supporting {
        assert!(
            app.is_related(agent, &client).await,
            "every supporting agent stays"
        );
        assert!(
            !app.is_related(agent, &main).await,
            "a supporting agent is not the main agent"
        );
        assert_eq!(app.sent_status(agent, id).await, "Accepted");
    }
    assert!(app.is_related(&main_agent, &main).await);
    assert!(!app.is_related(&main_agent, &client).await);
    assert_eq!(
        app.active_relationship_count("HMRC-MTD-IT-SUPP", &client.enrolment_id)
            .await,
        3
    );
    assert_eq!(
        app.active_relationship_count("HMRC-MTD-IT", &client.enrolment_id)
            .await,
        1
    );

    // A new main agent displaces only the old main agent.
    let new_main = app.create_agent().await;
    let new_id = app.sent_create_ok(&new_main, &main).await;
    app.received_accept_ok(&main, &new_id).await;
    assert!(!app.is_related(&main_agent, &main).await);
    assert_eq!(app.sent_status(&main_agent, &main_id).await, "Deauthorised");
    for (agent, _) in &supporting {
        assert!(app.is_related(agent, &client).await);
    }
    assert_eq!(
        app.active_relationship_count("HMRC-MTD-IT-SUPP", &client.enrolment_id)
            .await,
        3
    );
}

#[tokio::test]
async fn an_agent_switching_between_main_and_supporting_loses_its_other_relationship() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let supporter = app.create_agent().await;
    let main = app.backend_client("HMRC-MTD-IT").await;
    let supp = main.for_service("HMRC-MTD-IT-SUPP");
    let supporter_id = app.sent_create_ok(&supporter, &supp).await;
    app.received_accept_ok(&supp, &supporter_id).await;

    // Main first...
    let main_id = app.sent_create_ok(&agent, &main).await;
    app.received_accept_ok(&main, &main_id).await;
    assert!(app.is_related(&agent, &main).await);
    // ...then supporting: the main relationship ends, as the client's doing.
    let supp_id = app.sent_create_ok(&agent, &supp).await;
    app.received_accept_ok(&supp, &supp_id).await;
    assert!(app.is_related(&agent, &supp).await);
    assert!(!app.is_related(&agent, &main).await);
    let ended = app.sent_invitation(&agent, &main_id).await;
    assert_eq!(
        (
            ended["status"].as_str(),
            ended["relationshipEndedBy"].as_str()
        ),
        (Some("Deauthorised"), Some("Client"))
    );
    // ...and back to main: the supporting relationship ends.
    let back_id = app.sent_create_ok(&agent, &main).await;
    app.received_accept_ok(&main, &back_id).await;
    assert!(app.is_related(&agent, &main).await);
    assert!(!app.is_related(&agent, &supp).await);
    let ended = app.sent_invitation(&agent, &supp_id).await;
    assert_eq!(
        (
            ended["status"].as_str(),
            ended["relationshipEndedBy"].as_str()
        ),
        (Some("Deauthorised"), Some("Client"))
    );

    // The other supporting agent was never touched.
    assert!(app.is_related(&supporter, &supp).await);
    assert_eq!(app.sent_status(&supporter, &supporter_id).await, "Accepted");
    assert_eq!(
        app.active_relationships("HMRC-MTD-IT-SUPP", &main.enrolment_id)
            .await,
        [active(&supporter, &supp, false)]
    );
    assert_eq!(
        app.active_relationships("HMRC-MTD-IT", &main.enrolment_id)
            .await,
        [active(&agent, &main, false)]
    );
}

// ---- partial authorisation and the alternative-ITSA update ----

#[tokio::test]
async fn an_alt_itsa_client_gives_partialauth_which_becomes_full_after_sign_up() {
    let app = TestApp::start().await;
    for service in ["HMRC-MTD-IT", "HMRC-MTD-IT-SUPP"] {
        let agent = app.create_agent().await;
        let client = app.backend_alt_itsa_client(service).await;
        let id = accepted_into_a_partial_authorisation(&app, &agent, &client).await;
        signing_up_makes_it_a_full_relationship(&app, &agent, &client, &id).await;
    }
}

/// The alternative-ITSA client accepts a new invitation: a partial authorisation by NINO. Answers its id.
async fn accepted_into_a_partial_authorisation(
    app: &TestApp,
    agent: &Agent,
    client: &ServiceClient,
) -> String {
    let service = client.service;
    let nino = client.client_id.clone();
    let id = app.sent_create_ok(agent, client).await;
    app.received_accept_ok(client, &id).await;
    let partial = app.sent_invitation(agent, &id).await;
    assert_sent_invitation(app, &partial, agent, client, &id, "Partialauth");
    assert_received_invitation(
        &received(app, client, &id).await,
        agent,
        client,
        &id,
        "Partialauth",
    );
    assert!(
        app.is_related(agent, client).await,
        "a partial authorisation answers the check by NINO"
    );
    assert_eq!(
        app.active_relationships(service, &nino).await,
        [active(agent, client, true)]
    );
    // Accepting again changes nothing.
    app.received_accept_ok(client, &id).await;
    assert_eq!(app.sent_status(agent, &id).await, "Partialauth");

    // Not signed up yet: nothing to update.
    assert_backend_error(
        app.alt_itsa_update(service, &nino).await,
        ALT_ITSA,
        "ALT_ITSA_NOT_FOUND",
    )
    .await;

    id
}

/// The client signs up to MTD income tax and the alternative-ITSA update turns its partial authorisation `id`
/// into a full relationship under the MTDITID.
async fn signing_up_makes_it_a_full_relationship(
    app: &TestApp,
    agent: &Agent,
    client: &ServiceClient,
    id: &str,
) {
    let service = client.service;
    let nino = client.client_id.clone();
    let response = app.sign_up_mtd_income_tax(&nino).await;
    let mtditid = string_field(&assert_json(response, StatusCode::OK).await, "mtdItId");
    app.advance(Duration::minutes(1));
    let (_, text) = assert_status(
        app.alt_itsa_update(service, &nino).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(text.is_empty(), "no body: {text}");

    // The partial authorisation became a full relationship under the MTDITID.
    let signed_up = ServiceClient {
        enrolment: "MTDITID",
        enrolment_id: mtditid.clone(),
        ..client.clone()
    };
    let full = app.sent_invitation(agent, id).await;
    assert_sent_invitation(app, &full, agent, &signed_up, id, "Accepted");
    assert_eq!(
        (full["clientIdType"].as_str(), full["clientId"].as_str()),
        (Some("MTDITID"), Some(mtditid.as_str()))
    );
    assert_eq!(
        (
            full["suppliedClientIdType"].as_str(),
            full["suppliedClientId"].as_str()
        ),
        (Some("ni"), Some(nino.as_str()))
    );
    assert_eq!(assert_timestamp(&full, "lastUpdated"), app.clock_now());
    assert!(
        app.is_related(agent, client).await,
        "the check by NINO still answers 204"
    );
    assert_eq!(
        app.active_relationships(service, &mtditid).await,
        [active(agent, &signed_up, false)]
    );
    assert_eq!(app.active_relationship_count(service, &nino).await, 0);
    // The client now finds it under its MTDITID.
    assert_received_invitation(
        &received(app, &signed_up, id).await,
        agent,
        &signed_up,
        id,
        "Accepted",
    );

    // Done: nothing is left to update.
    assert_backend_error(
        app.alt_itsa_update(service, &nino).await,
        ALT_ITSA,
        "ALT_ITSA_NOT_FOUND",
    )
    .await;
    // The agent can end the full relationship by NINO.
    assert_no_content(app.relationship_end(agent, client).await).await;
    assert!(!app.is_related(agent, client).await);
}

#[tokio::test]
async fn the_alt_itsa_update_moves_pending_invitations_to_the_mtditid() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.backend_alt_itsa_client("HMRC-MTD-IT").await;
    let nino = client.client_id.clone();
    let id = app.sent_create_ok(&agent, &client).await;
    let response = app.sign_up_mtd_income_tax(&nino).await;
    let mtditid = string_field(&assert_json(response, StatusCode::OK).await, "mtdItId");

    assert_no_content(app.alt_itsa_update("HMRC-MTD-IT", &nino).await).await;
    let signed_up = ServiceClient {
        enrolment: "MTDITID",
        enrolment_id: mtditid.clone(),
        ..client.clone()
    };
    let moved = app.sent_invitation(&agent, &id).await;
    assert_sent_invitation(&app, &moved, &agent, &signed_up, &id, "Pending");
    assert!(!app.is_related(&agent, &client).await);

    // Accepted now, it gives a full relationship at once.
    app.received_accept_ok(&signed_up, &id).await;
    assert_eq!(app.sent_status(&agent, &id).await, "Accepted");
    assert!(app.is_related(&agent, &client).await);
    assert_eq!(
        app.active_relationships("HMRC-MTD-IT", &mtditid).await,
        [active(&agent, &signed_up, false)]
    );

    // Only the service named is updated.
    let supp = app.backend_alt_itsa_client("HMRC-MTD-IT-SUPP").await;
    app.sent_create_ok(&agent, &supp).await;
    assert_json(
        app.sign_up_mtd_income_tax(&supp.client_id).await,
        StatusCode::OK,
    )
    .await;
    assert_backend_error(
        app.alt_itsa_update("HMRC-MTD-IT", &supp.client_id).await,
        ALT_ITSA,
        "ALT_ITSA_NOT_FOUND",
    )
    .await;
    assert_no_content(
        app.alt_itsa_update("HMRC-MTD-IT-SUPP", &supp.client_id)
            .await,
    )
    .await;
}

#[tokio::test]
async fn the_alt_itsa_update_with_nothing_to_update_is_404() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    // No MTDITID yet, with a pending invitation.
    let alt = app.backend_alt_itsa_client("HMRC-MTD-IT").await;
    app.sent_create_ok(&agent, &alt).await;
    assert_backend_error(
        app.alt_itsa_update("HMRC-MTD-IT", &alt.client_id).await,
        ALT_ITSA,
        "ALT_ITSA_NOT_FOUND",
    )
    .await;
    // An MTDITID, but no invitation names the client by NINO (it was invited by MTDITID).
    let itsa = app.backend_client("HMRC-MTD-IT").await;
    let id = app.sent_create_ok(&agent, &itsa).await;
    app.received_accept_ok(&itsa, &id).await;
    assert_backend_error(
        app.alt_itsa_update("HMRC-MTD-IT", &itsa.client_id).await,
        ALT_ITSA,
        "ALT_ITSA_NOT_FOUND",
    )
    .await;
    // Nobody at all.
    assert_backend_error(
        app.alt_itsa_update("HMRC-MTD-IT", UNREGISTERED_NINO).await,
        ALT_ITSA,
        "ALT_ITSA_NOT_FOUND",
    )
    .await;
    // A partial authorisation the client ended is not updated.
    let ended = app.backend_alt_itsa_client("HMRC-MTD-IT").await;
    let id = app.sent_create_ok(&agent, &ended).await;
    app.received_accept_ok(&ended, &id).await;
    assert_no_content(app.received_deauthorise(&ended, &id).await).await;
    assert_json(
        app.sign_up_mtd_income_tax(&ended.client_id).await,
        StatusCode::OK,
    )
    .await;
    assert_backend_error(
        app.alt_itsa_update("HMRC-MTD-IT", &ended.client_id).await,
        ALT_ITSA,
        "ALT_ITSA_NOT_FOUND",
    )
    .await;
    assert_eq!(app.sent_status(&agent, &id).await, "Deauthorised");
}

#[tokio::test]
async fn the_alt_itsa_update_validates_the_service_and_the_nino() {
    let app = TestApp::start().await;
    let alt = app.backend_alt_itsa_client("HMRC-MTD-IT").await;
    for service in [
        "HMRC-MTD-VAT",
        "PERSONAL-INCOME-RECORD",
        "MTD-IT",
        "hmrc-mtd-it",
        "HMRC-XYZ",
    ] {
        assert_backend_error(
            app.alt_itsa_update(service, &alt.client_id).await,
            ALT_ITSA,
            "BAD_REQUEST",
        )
        .await;
    }
    for nino in ["AB12345", "101747696", "DA123456C"] {
        assert_backend_error(
            app.alt_itsa_update("HMRC-MTD-IT", nino).await,
            ALT_ITSA,
            "CLIENT_ID_FORMAT_INVALID",
        )
        .await;
    }
}

#[tokio::test]
async fn a_partial_main_agent_is_displaced_by_a_new_main_agent() {
    let app = TestApp::start().await;
    let (old, new) = (app.create_agent().await, app.create_agent().await);
    let client = app.backend_alt_itsa_client("HMRC-MTD-IT").await;
    let old_id = app.sent_create_ok(&old, &client).await;
    app.received_accept_ok(&client, &old_id).await;
    assert_eq!(app.sent_status(&old, &old_id).await, "Partialauth");

    // Still without an MTDITID: the new main agent's acceptance ends the partial authorisation.
    let new_id = app.sent_create_ok(&new, &client).await;
    app.received_accept_ok(&client, &new_id).await;
    assert!(!app.is_related(&old, &client).await);
    assert!(app.is_related(&new, &client).await);
    let displaced = app.sent_invitation(&old, &old_id).await;
    assert_eq!(
        (
            displaced["status"].as_str(),
            displaced["relationshipEndedBy"].as_str()
        ),
        (Some("Deauthorised"), Some("Client"))
    );
}

#[tokio::test]
async fn a_partial_main_agent_is_displaced_by_a_main_agent_invited_after_sign_up() {
    let app = TestApp::start().await;
    let (old, new) = (app.create_agent().await, app.create_agent().await);
    let client = app.backend_alt_itsa_client("HMRC-MTD-IT").await;
    let nino = client.client_id.clone();
    let old_id = app.sent_create_ok(&old, &client).await;
    app.received_accept_ok(&client, &old_id).await;

    // The client signs up (HMRC has not yet run the alternative-ITSA update) and a new main agent, invited
    // now by MTDITID, is accepted: one main agent at a time (docs/domain.md §7).
    let mtditid = string_field(
        &assert_json(app.sign_up_mtd_income_tax(&nino).await, StatusCode::OK).await,
        "mtdItId",
    );
    let signed_up = ServiceClient {
        enrolment: "MTDITID",
        enrolment_id: mtditid.clone(),
        ..client.clone()
    };
    let new_id = app.sent_create_ok(&new, &signed_up).await;
    app.received_accept_ok(&signed_up, &new_id).await;
    assert!(app.is_related(&new, &client).await);
    assert!(
        !app.is_related(&old, &client).await,
        "two main agents: the partial authorisation survived"
    );
    assert_eq!(app.sent_status(&old, &old_id).await, "Deauthorised");
}

// ---- a trust's URN replaced by its UTR ----

#[tokio::test]
async fn replacing_a_urn_moves_a_pending_invitation_to_the_utr() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let trust = app.backend_client("HMRC-TERSNT-ORG").await;
    let id = app.sent_create_ok(&agent, &trust).await;
    let new_utr = utr(111_222_333);

    let (_, text) = assert_status(
        app.replace_urn_with_utr(&trust.client_id, &new_utr).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(text.is_empty(), "no body: {text}");
    let moved = app.sent_invitation(&agent, &id).await;
    assert_eq!(moved["service"], "HMRC-TERS-ORG", "{moved}");
    assert_eq!(moved["clientIdType"], "utr", "{moved}");
    assert_eq!(moved["clientId"], new_utr.as_str(), "{moved}");
    assert_eq!(moved["status"], "Pending", "{moved}");
    assert_eq!(
        app.sent_ids(&agent, ALL).await,
        vec![id.clone()],
        "moved, not copied"
    );
    let taxable = ServiceClient {
        service: "HMRC-TERS-ORG",
        client_id_type: "utr",
        client_id: new_utr.clone(),
        ..trust.clone()
    };
    assert!(
        !app.is_related(&agent, &taxable).await,
        "nothing was accepted"
    );
    assert_eq!(
        app.sent_ids(&agent, &format!("{ALL}&service=HMRC-TERS-ORG"))
            .await,
        [id]
    );
}

#[tokio::test]
async fn replacing_a_urn_moves_an_active_relationship_to_the_utr() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let trust = app.backend_client("HMRC-TERSNT-ORG").await;
    let id = app.sent_create_ok(&agent, &trust).await;
    app.received_accept_ok(&trust, &id).await;
    let new_utr = utr(222_333_444);

    assert_status(
        app.replace_urn_with_utr(&trust.client_id, &new_utr).await,
        StatusCode::CREATED,
    )
    .await;
    let taxable = ServiceClient {
        service: "HMRC-TERS-ORG",
        client_id_type: "utr",
        client_id: new_utr.clone(),
        ..trust.clone()
    };
    assert!(
        app.is_related(&agent, &taxable).await,
        "an HMRC-TERS-ORG relationship for the UTR"
    );
    assert!(!app.is_related(&agent, &trust).await, "the URN one ended");
    assert_eq!(
        app.active_relationships("HMRC-TERS-ORG", &new_utr).await,
        [ActiveRelationship {
            arn: agent.arn.clone(),
            service: "HMRC-TERS-ORG".into(),
            client_id: new_utr.clone(),
            partial: false
        }]
    );
    assert_eq!(
        app.active_relationship_count("HMRC-TERSNT-ORG", &trust.client_id)
            .await,
        0
    );
}

#[tokio::test]
async fn replacing_a_urn_moves_the_accepted_invitation_itself() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let trust = app.backend_client("HMRC-TERSNT-ORG").await;
    let id = app.sent_create_ok(&agent, &trust).await;
    app.received_accept_ok(&trust, &id).await;
    let new_utr = utr(333_444_555);

    assert_status(
        app.replace_urn_with_utr(&trust.client_id, &new_utr).await,
        StatusCode::CREATED,
    )
    .await;
    // The contract: the latest invitation "is moved to the UTR (service HMRC-TERS-ORG, client id type utr, client id
    // the UTR)", and its relationship with it.
    let moved = app.sent_invitation(&agent, &id).await;
    assert_eq!(
        (
            moved["service"].as_str(),
            moved["clientIdType"].as_str(),
            moved["clientId"].as_str(),
            moved["status"].as_str()
        ),
        (
            Some("HMRC-TERS-ORG"),
            Some("utr"),
            Some(new_utr.as_str()),
            Some("Accepted")
        ),
        "{moved}"
    );
}

#[tokio::test]
async fn replacing_a_urn_whose_latest_invitation_is_neither_pending_nor_active_is_204() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let mut n = 444_555_000;
    for outcome in ["Rejected", "Cancelled", "Expired", "Deauthorised"] {
        let trust = app.backend_client("HMRC-TERSNT-ORG").await;
        let id = app.sent_create_ok(&agent, &trust).await;
        match outcome {
            "Rejected" => assert_no_content(app.received_reject(&trust, &id).await).await,
            "Cancelled" => assert_no_content(app.sent_cancel(&agent, &id).await).await,
            "Expired" => assert_no_content(app.expire(&id).await).await,
            _ => {
                app.received_accept_ok(&trust, &id).await;
                assert_no_content(app.received_deauthorise(&trust, &id).await).await
            }
        };
        let before = app.sent_invitation(&agent, &id).await;
        n += 1;
        let (_, text) = assert_status(
            app.replace_urn_with_utr(&trust.client_id, &utr(n)).await,
            StatusCode::NO_CONTENT,
        )
        .await;
        assert!(text.is_empty());
        assert_eq!(
            app.sent_invitation(&agent, &id).await,
            before,
            "{outcome}: nothing changes"
        );
        assert_eq!(
            app.active_relationship_count("HMRC-TERS-ORG", &utr(n))
                .await,
            0
        );
    }
}

#[tokio::test]
async fn replacing_looks_at_the_latest_invitation_only() {
    let app = TestApp::start().await;
    let (first, second) = (app.create_agent().await, app.create_agent().await);
    let trust = app.backend_client("HMRC-TERSNT-ORG").await;
    let older = app.sent_create_ok(&first, &trust).await;
    assert_no_content(app.received_reject(&trust, &older).await).await;
    app.advance(Duration::minutes(1));
    let newer = app.sent_create_ok(&second, &trust).await;
    let new_utr = utr(555_666_777);
    assert_status(
        app.replace_urn_with_utr(&trust.client_id, &new_utr).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        app.sent_invitation(&second, &newer).await["clientId"],
        new_utr.as_str()
    );
    let untouched = app.sent_invitation(&first, &older).await;
    assert_eq!(
        (untouched["service"].as_str(), untouched["status"].as_str()),
        (Some("HMRC-TERSNT-ORG"), Some("Rejected"))
    );
}

#[tokio::test]
async fn replacing_an_unknown_urn_is_404_and_malformed_identifiers_400() {
    let app = TestApp::start().await;
    // A trust with no invitation at all.
    let trust = app.backend_client("HMRC-TERSNT-ORG").await;
    assert_backend_error(
        app.replace_urn_with_utr(&trust.client_id, &utr(7)).await,
        REPLACE,
        "INVITATION_NOT_FOUND",
    )
    .await;
    assert_backend_error(
        app.replace_urn_with_utr("XZTRUST99999999", &utr(8)).await,
        REPLACE,
        "INVITATION_NOT_FOUND",
    )
    .await;
    for (urn, new_utr) in [
        ("XA-TRUST", utr(9)),
        ("XATRUST1234567890", utr(9)),
        (trust.client_id.as_str(), "1134514321".to_string()),
        (trust.client_id.as_str(), "12345".to_string()),
        (trust.client_id.as_str(), "ABCDEFGHIJ".to_string()),
    ] {
        assert_backend_error(
            app.replace_urn_with_utr(urn, &new_utr).await,
            REPLACE,
            "CLIENT_ID_FORMAT_INVALID",
        )
        .await;
    }
}

#[tokio::test]
async fn only_hmrc_staff_make_the_maintenance_calls_and_a_refusal_changes_nothing() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let alt = app.backend_alt_itsa_client("HMRC-MTD-IT").await;
    let id = app.sent_create_ok(&agent, &alt).await;
    assert_json(
        app.sign_up_mtd_income_tax(&alt.client_id).await,
        StatusCode::OK,
    )
    .await;
    let trust = app.backend_client("HMRC-TERSNT-ORG").await;
    let trust_id = app.sent_create_ok(&agent, &trust).await;
    for (token, example) in [
        ("", "UNAUTHORIZED"),
        ("not-a-token", "UNAUTHORIZED"),
        (agent.token.as_str(), "NO_PERMISSION"),
        (alt.token.as_str(), "NO_PERMISSION"),
    ] {
        let update = app
            .alt_itsa_update_as(token, "HMRC-MTD-IT", &alt.client_id)
            .await;
        assert_backend_error(update, "update_alt_itsa", example).await;
        let moved = app
            .replace_urn_with_utr_as(token, &trust.client_id, &utr(10))
            .await;
        assert_backend_error(moved, "replace_urn_with_utr", example).await;
    }
    // Nothing moved: the requests still name the client by NINO and the trust by URN.
    assert_eq!(app.sent_invitation(&agent, &id).await["clientIdType"], "ni");
    assert_eq!(
        app.sent_invitation(&agent, &trust_id).await["clientIdType"],
        "urn"
    );
    // HMRC staff may.
    assert_no_content(app.alt_itsa_update("HMRC-MTD-IT", &alt.client_id).await).await;
    let moved = app.replace_urn_with_utr(&trust.client_id, &utr(10)).await;
    assert_status(moved, StatusCode::CREATED).await;
}

#[tokio::test]
async fn replacing_a_urn_with_a_utr_another_trust_holds_moves_nothing() {
    // A taxable trust already holds the UTR: the non-taxable trust's request must not move onto it
    // (that would authorise the agent for another trust), and nothing answers 500.
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let taxable = app.backend_client("HMRC-TERS-ORG").await;
    let trust = app.backend_client("HMRC-TERSNT-ORG").await;
    let id = app.sent_create_ok(&agent, &trust).await;
    let before = app.sent_invitation(&agent, &id).await;

    let (_, text) = assert_status(
        app.replace_urn_with_utr(&trust.client_id, &taxable.client_id)
            .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert!(text.is_empty(), "no body: {text}");
    assert_eq!(
        app.sent_invitation(&agent, &id).await,
        before,
        "nothing moved"
    );
}

#[tokio::test]
async fn an_alternative_itsa_request_made_before_sign_up_still_blocks_a_duplicate_after_it() {
    // The pending request names the client by NINO; after sign-up a new one would name the MTDITID.
    // Both are the same client: the second is a duplicate, and accepting the first gives a full
    // relationship, not a partial one.
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.backend_alt_itsa_client("HMRC-MTD-IT").await;
    let id = app.sent_create_ok(&agent, &client).await;
    let signed_up = app.sign_up_mtd_income_tax(&client.client_id).await;
    assert_eq!(signed_up.status(), StatusCode::OK);

    let again = app.sent_create(&agent, &client.create_body()).await;
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["code"], "DUPLICATE_AUTHORISATION_REQUEST", "{body}");

    app.received_accept_ok(&client, &id).await;
    let accepted = app.sent_invitation(&agent, &id).await;
    assert_eq!(accepted["status"], "Accepted", "{accepted}");
    assert_eq!(accepted["clientIdType"], "MTDITID", "{accepted}");
}
