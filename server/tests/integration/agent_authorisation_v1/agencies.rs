//! The Agent Authorisation API 1.0 on HMRC's 1.0 paths (`/agencies/{arn}/invitations...`,
//! `Accept: application/vnd.hmrc.1.0+json`): every documented status and error of its two operations, HMRC's 1.0
//! bodies and answer shape, version negotiation, and requests made through one version read, cancelled and
//! answered through the other.

use crate::support::*;
use chrono::Duration;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

const CREATE: &str = "create_agency_invitation_v1";
const GET: &str = "get_agency_invitation_v1";

// ---- helpers ----

fn v1_invitations_path(arn: &str) -> String {
    format!("/agencies/{arn}/invitations")
}

fn v1_invitation_path(arn: &str, id: &str) -> String {
    format!("/agencies/{arn}/invitations/{id}")
}

/// A 1.0 create body for Income Tax, as HMRC's 1.0 documentation writes it: the service as a string, no clientType
/// (optional in 1.0), no agentType; with the known fact (optional too).
fn v1_itsa(client: &Individual) -> Value {
    json!({
        "service": "HMRC-MTD-IT",
        "clientIdType": "ni",
        "clientId": client.nino,
        "knownFact": client.postcode,
    })
}

/// A 1.0 create body for VAT.
fn v1_vat(client: &Organisation) -> Value {
    json!({
        "service": "HMRC-MTD-VAT",
        "clientIdType": "vrn",
        "clientId": client.vrn,
        "knownFact": client.vat_registration_date,
    })
}

async fn create_v1(app: &TestApp, agent: &Agent, body: &Value) -> Response {
    app.v1(Method::POST, &v1_invitations_path(&agent.arn), &agent.token)
        .json(body)
        .send()
        .await
        .expect("create invitation (1.0)")
}

/// Creates through 1.0, asserts 204 and `Location: /agencies/{arn}/invitations/{id}`, returns the id.
async fn create_v1_ok(app: &TestApp, agent: &Agent, body: &Value) -> String {
    let headers = assert_no_content(create_v1(app, agent, body).await).await;
    let id = id_from_location(&headers);
    assert_eq!(location(&headers), v1_invitation_path(&agent.arn, &id));
    assert!(
        agent_auth_server::domain::invitation_id::InvitationId::parse(&id).is_some(),
        "not a valid invitation id: {id}"
    );
    id
}

async fn get_v1(app: &TestApp, agent: &Agent, id: &str) -> Response {
    app.v1(
        Method::GET,
        &v1_invitation_path(&agent.arn, id),
        &agent.token,
    )
    .send()
    .await
    .expect("get invitation (1.0)")
}

/// GETs through 1.0, asserts 200 and the 1.0 shape, returns the body.
async fn invitation_v1(app: &TestApp, agent: &Agent, id: &str) -> Value {
    let body = assert_json(get_v1(app, agent, id).await, StatusCode::OK).await;
    assert_v1_shape(app, &body, agent, id);
    body
}

/// What every 1.0 invitation has (HMRC's 1.0 fields, `invitationId` added; docs/domain.md §8), `clientActionUrl` only while
/// Pending, and the link the same as 2.0's.
fn assert_v1_shape(app: &TestApp, body: &Value, agent: &Agent, id: &str) {
    let mut expected = vec![
        "_links",
        "invitationId",
        "arn",
        "service",
        "status",
        "created",
        "lastUpdated",
        "expiryDate",
        "clientIdType",
        "clientId",
        "suppliedClientIdType",
        "suppliedClientId",
    ];
    let pending = body["status"] == "Pending";
    if pending {
        expected.push("clientActionUrl");
    }
    assert_eq!(
        keys(body),
        key_set(&expected),
        "keys of a 1.0 invitation: {body}"
    );
    assert_eq!(
        body["_links"],
        json!({"self": {"href": v1_invitation_path(&agent.arn, id)}})
    );
    assert_eq!(body["invitationId"], id);
    assert_eq!(body["arn"], agent.arn.as_str());
    let created = assert_timestamp(body, "created");
    let updated = assert_timestamp(body, "lastUpdated");
    assert!(updated >= created, "lastUpdated before created: {body}");
    let expiry = string_field(body, "expiryDate");
    let expected_expiry = (created.date_naive() + Duration::days(21)).format("%Y-%m-%d");
    assert_eq!(expiry, expected_expiry.to_string(), "expiryDate: {body}");
    if pending {
        let link = string_field(body, "clientActionUrl");
        let prefix = format!(
            "{}/appoint-someone-to-deal-with-HMRC-for-you/",
            app.base_url
        );
        assert!(link.starts_with(&prefix), "{link}");
        let name = normalised_agency_name(&agent.agency_name);
        let journey = if body["service"] == "HMRC-MTD-VAT" {
            "vat"
        } else {
            "income-tax"
        };
        assert!(link.ends_with(&format!("/{name}/{journey}")), "{link}");
    }
}

/// A session on the test's database, to hold the lock a create takes.
async fn database(app: &TestApp) -> AsyncPgConnection {
    AsyncPgConnection::establish(&app.db.url)
        .await
        .expect("a connection to the test database")
}

/// A request with exactly these Accept and Authorization headers (none when `None`) and a JSON body.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    accept: Option<&str>,
    token: Option<&str>,
    body: Option<&Value>,
) -> Response {
    let mut request = app.bare(method, path);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    if let Some(token) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.unwrap()
}

/// An app with an agent, an MTD-IT client and an invitation of theirs made through 1.0.
async fn setup() -> (TestApp, Agent, Individual, String) {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let id = create_v1_ok(&app, &agent, &v1_itsa(&client)).await;
    (app, agent, client, id)
}

/// Both 1.0 operations, called as `agent` on the path's ARN (a fresh client's body for the create).
fn calls(
    agent_arn: &str,
    client: &Individual,
    id: &str,
) -> Vec<(&'static str, Method, String, Option<Value>)> {
    vec![
        (
            CREATE,
            Method::POST,
            v1_invitations_path(agent_arn),
            Some(v1_itsa(client)),
        ),
        (GET, Method::GET, v1_invitation_path(agent_arn, id), None),
    ]
}

// ---- every documented error is exercised here ----

/// The errors of the 1.0 contract these tests provoke (500 and 503 cannot be provoked from outside).
const COVERED: &[(&str, &str)] = &[
    (CREATE, "SERVICE_NOT_SUPPORTED"), // 501
    (CREATE, "CLIENT_TYPE_NOT_SUPPORTED"),
    (CREATE, "CLIENT_ID_FORMAT_INVALID"),
    (CREATE, "CLIENT_ID_DOES_NOT_MATCH_SERVICE"),
    (CREATE, "POSTCODE_FORMAT_INVALID"),
    (CREATE, "VAT_REG_DATE_FORMAT_INVALID"),
    (CREATE, "BAD_REQUEST_VERSION"),
    (CREATE, "BAD_REQUEST_CONTENT_TYPE"),
    (CREATE, "BAD_REQUEST"),
    (CREATE, "UNAUTHORIZED"),
    (CREATE, "CLIENT_REGISTRATION_NOT_FOUND"),
    (CREATE, "POSTCODE_DOES_NOT_MATCH"),
    (CREATE, "VAT_REG_DATE_DOES_NOT_MATCH"),
    (CREATE, "NOT_AN_AGENT"),
    (CREATE, "AGENT_NOT_SUBSCRIBED"),
    (CREATE, "NO_PERMISSION_ON_AGENCY"),
    (CREATE, "DUPLICATE_AUTHORISATION_REQUEST"),
    (CREATE, "ALREADY_AUTHORISED"),
    (CREATE, "VAT_CLIENT_INSOLVENT"),
    (CREATE, "ALREADY_BEING_PROCESSED"),
    (CREATE, "ACCEPT_HEADER_MISSING"),
    (CREATE, "ACCEPT_HEADER_INVALID"),
    (GET, "BAD_REQUEST_VERSION"),
    (GET, "BAD_REQUEST_CONTENT_TYPE"),
    (GET, "BAD_REQUEST"),
    (GET, "UNAUTHORIZED"),
    (GET, "NOT_AN_AGENT"),
    (GET, "AGENT_NOT_SUBSCRIBED"),
    (GET, "NO_PERMISSION_ON_AGENCY"),
    (GET, "INVITATION_NOT_FOUND"),
    (GET, "ACCEPT_HEADER_MISSING"),
    (GET, "ACCEPT_HEADER_INVALID"),
];

#[test]
fn the_tests_cover_every_documented_error_of_1_0() {
    let mut documented: Vec<(String, String)> = contract::operations()
        .into_iter()
        .filter(|op| op.file == "agent-authorisation-v1.yaml" && op.path.starts_with("/agencies/"))
        .flat_map(|op| {
            contract::error_examples(op.id)
                .into_iter()
                // INVALID_TEST_SCENARIO answers only the Gov-Test-Scenario header (test_scenarios.rs).
                .filter(|(status, example)| {
                    ![500, 503].contains(status) && example != "INVALID_TEST_SCENARIO"
                })
                .map(move |(_, example)| (op.id.to_string(), example))
        })
        .collect();
    let mut covered: Vec<(String, String)> = COVERED
        .iter()
        .map(|(op, example)| (op.to_string(), example.to_string()))
        .collect();
    documented.sort();
    covered.sort();
    assert_eq!(covered, documented);
    let ids: Vec<&str> = contract::operations()
        .into_iter()
        .filter(|op| op.file == "agent-authorisation-v1.yaml" && op.path.starts_with("/agencies/"))
        .map(|op| op.id)
        .collect();
    assert_eq!(ids, [CREATE, GET]);
}

// ---- 204 and 200: creating and reading back ----

#[tokio::test]
async fn creates_an_mtd_it_request_and_reads_it_in_the_1_0_shape() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    let id = create_v1_ok(&app, &agent, &v1_itsa(&client)).await;
    assert!(
        id.starts_with('A'),
        "an MTD-IT (main agent) id starts with A: {id}"
    );

    let body = invitation_v1(&app, &agent, &id).await;
    assert_eq!(body["service"], "HMRC-MTD-IT");
    assert_eq!(body["status"], "Pending");
    assert_eq!(body["created"], "2026-03-02T10:00:00.000Z");
    assert_eq!(body["lastUpdated"], "2026-03-02T10:00:00.000Z");
    assert_eq!(body["expiryDate"], "2026-03-23");
    // The client as HMRC records it for the service, and as the agent named it.
    assert_eq!(body["clientIdType"], "MTDITID");
    assert_eq!(body["clientId"], client.mtd_it_id.as_deref().unwrap());
    assert_eq!(body["suppliedClientIdType"], "ni");
    assert_eq!(body["suppliedClientId"], client.nino.as_str());
    // The same client action link as 2.0 gives.
    let v2 = app.invitation(&agent, &id).await;
    assert_eq!(body["clientActionUrl"], v2["clientActionUrl"]);
}

#[tokio::test]
async fn creates_an_mtd_vat_request() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_vat_client().await;

    let id = create_v1_ok(&app, &agent, &v1_vat(&client)).await;
    assert!(id.starts_with('C'), "an MTD-VAT id starts with C: {id}");

    let body = invitation_v1(&app, &agent, &id).await;
    assert_eq!(body["service"], "HMRC-MTD-VAT");
    assert_eq!(body["status"], "Pending");
    for field in ["clientIdType", "suppliedClientIdType"] {
        assert_eq!(body[field], "vrn");
    }
    for field in ["clientId", "suppliedClientId"] {
        assert_eq!(body[field], client.vrn.as_str());
    }
}

#[tokio::test]
async fn a_client_not_signed_up_to_mtd_income_tax_is_named_by_nino() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_alt_itsa_client().await;

    let id = create_v1_ok(&app, &agent, &v1_itsa(&client)).await;
    let body = invitation_v1(&app, &agent, &id).await;
    for field in ["clientIdType", "suppliedClientIdType"] {
        assert_eq!(body[field], "ni");
    }
    for field in ["clientId", "suppliedClientId"] {
        assert_eq!(body[field], client.nino.as_str());
    }
}

#[tokio::test]
async fn the_service_may_be_an_array_or_a_public_name_and_the_client_type_may_be_given() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let business = app.create_vat_client().await;
    let personal = app.create_vat_client().await;
    let short = app.create_vat_client().await;

    let bodies = [
        with(
            with(v1_itsa(&itsa), "service", json!(["HMRC-MTD-IT"])),
            "clientType",
            json!("personal"),
        ),
        with(
            with(v1_vat(&business), "service", json!(["HMRC-MTD-VAT"])),
            "clientType",
            json!("business"),
        ),
        with(v1_vat(&personal), "clientType", json!("personal")),
        with(v1_vat(&short), "service", json!("MTD-VAT")),
    ];
    for body in bodies {
        let id = create_v1_ok(&app, &agent, &body).await;
        let read = invitation_v1(&app, &agent, &id).await;
        // Answers name the service as HMRC's 1.0 documentation does, however the request named it.
        let vat = body.to_string().contains("MTD-VAT");
        assert_eq!(
            read["service"],
            if vat { "HMRC-MTD-VAT" } else { "HMRC-MTD-IT" }
        );
    }
}

#[tokio::test]
async fn the_example_bodies_of_hmrcs_1_0_documentation_work_as_written() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat = app.create_vat_client().await;
    // HMRC's examples, with this sandbox's clients: no clientType, no knownFact.
    let bodies = [
        json!({"service": "HMRC-MTD-IT", "clientIdType": "ni", "clientId": itsa.nino}),
        json!({"service": "HMRC-MTD-VAT", "clientIdType": "vrn", "clientId": vat.vrn}),
    ];
    for body in bodies {
        let id = create_v1_ok(&app, &agent, &body).await;
        let read = invitation_v1(&app, &agent, &id).await;
        assert_eq!(read["service"], body["service"]);
        assert_eq!(read["status"], "Pending");
        assert_eq!(read["suppliedClientId"], body["clientId"]);
    }
    // Without a known fact there is none to check, but the client must still exist.
    let unknown =
        json!({"service": "HMRC-MTD-VAT", "clientIdType": "vrn", "clientId": UNREGISTERED_VRN});
    assert_error(
        create_v1(&app, &agent, &unknown).await,
        CREATE,
        "CLIENT_REGISTRATION_NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn a_nino_with_spaces_and_lower_case_is_normalised() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let n = client.nino.to_lowercase();
    let spaced = format!(
        "{} {} {} {} {}",
        &n[..2],
        &n[2..4],
        &n[4..6],
        &n[6..8],
        &n[8..]
    );

    let id = create_v1_ok(
        &app,
        &agent,
        &with(v1_itsa(&client), "clientId", json!(spaced)),
    )
    .await;
    let body = invitation_v1(&app, &agent, &id).await;
    assert_eq!(body["suppliedClientId"], client.nino.as_str());
}

#[tokio::test]
async fn version_1_0_has_no_agent_type_an_mtd_it_request_is_for_the_main_agent() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    // An agentType field is not part of 1.0 and is ignored, like any other unknown field.
    let body = with(v1_itsa(&client), "agentType", json!("supporting"));
    let id = create_v1_ok(&app, &agent, &body).await;
    assert!(id.starts_with('A'), "{id}");
    assert_eq!(app.invitation(&agent, &id).await["agentType"], "main");
}

// ---- 200: every status reads through 1.0 ----

#[tokio::test]
async fn answered_requests_read_with_their_last_update_and_no_link() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let accepted_client = app.create_itsa_client().await;
    let partial_client = app.create_alt_itsa_client().await;
    let rejected_client = app.create_vat_client().await;

    let accepted = create_v1_ok(&app, &agent, &v1_itsa(&accepted_client)).await;
    let partial = create_v1_ok(&app, &agent, &v1_itsa(&partial_client)).await;
    let rejected = create_v1_ok(&app, &agent, &v1_vat(&rejected_client)).await;
    app.advance(Duration::hours(2));
    app.accept_ok(&accepted).await;
    app.accept_ok(&partial).await;
    assert_no_content(app.reject(&rejected).await).await;

    for (id, status) in [
        (&accepted, "Accepted"),
        (&partial, "Partialauth"),
        (&rejected, "Rejected"),
    ] {
        let body = invitation_v1(&app, &agent, id).await;
        assert_eq!(body["status"], status);
        assert_eq!(body["created"], "2026-03-02T10:00:00.000Z");
        assert_eq!(body["lastUpdated"], "2026-03-02T12:00:00.000Z");
        assert_eq!(body["expiryDate"], "2026-03-23");
    }
}

#[tokio::test]
async fn a_pending_request_reads_expired_from_the_start_of_its_expiry_day() {
    let (app, agent, client, id) = setup().await;

    app.advance(Duration::days(20));
    assert_eq!(invitation_v1(&app, &agent, &id).await["status"], "Pending");

    app.advance(Duration::days(1));
    let body = invitation_v1(&app, &agent, &id).await;
    assert_eq!(body["status"], "Expired");
    assert_eq!(body["expiryDate"], "2026-03-23");
    assert_eq!(body["lastUpdated"], "2026-03-23T00:00:00.000Z");

    // An expired request does not block a new one.
    let again = create_v1_ok(&app, &agent, &v1_itsa(&client)).await;
    assert_eq!(
        invitation_v1(&app, &agent, &again).await["expiryDate"],
        "2026-04-13"
    );
}

#[tokio::test]
async fn cancelled_and_deauthorised_requests_read_so_through_1_0() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let cancelled_client = app.create_itsa_client().await;
    let ended_client = app.create_vat_client().await;

    let cancelled = create_v1_ok(&app, &agent, &v1_itsa(&cancelled_client)).await;
    let ended = create_v1_ok(&app, &agent, &v1_vat(&ended_client)).await;
    app.advance(Duration::minutes(5));
    // 1.0 cannot cancel or deauthorise: 2.0 does, on the same requests.
    assert_no_content(app.cancel_invitation(&agent, &cancelled).await).await;
    app.accept_ok(&ended).await;
    app.advance(Duration::minutes(5));
    assert_no_content(
        app.deauthorise(&agent, &deauth_body(&vat(&ended_client)))
            .await,
    )
    .await;

    let body = invitation_v1(&app, &agent, &cancelled).await;
    assert_eq!(body["status"], "Cancelled");
    assert_eq!(body["lastUpdated"], "2026-03-02T10:05:00.000Z");
    let body = invitation_v1(&app, &agent, &ended).await;
    assert_eq!(body["status"], "Deauthorised");
    assert_eq!(body["lastUpdated"], "2026-03-02T10:10:00.000Z");
}

// ---- across versions ----

#[tokio::test]
async fn created_through_1_0_read_and_cancelled_through_2_0() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    let itsa_id = create_v1_ok(&app, &agent, &v1_itsa(&itsa)).await;
    let vat_id = create_v1_ok(&app, &agent, &v1_vat(&vat_client)).await;

    // 2.0 reads them as its own, at its own path.
    let body = app.invitation(&agent, &itsa_id).await;
    assert_pending(&app, &body, &agent, &itsa_id, "MTD-IT", Some("main"));
    assert_eq!(body["created"], "2026-03-02T10:00:00.000Z");
    let body = app.invitation(&agent, &vat_id).await;
    assert_pending(&app, &body, &agent, &vat_id, "MTD-VAT", None);
    let listed: Vec<Value> = app.invitation_list(&agent).await;
    assert_eq!(listed.len(), 2);

    // 2.0 cancels one; both versions read it Cancelled.
    app.advance(Duration::minutes(1));
    assert_no_content(app.cancel_invitation(&agent, &itsa_id).await).await;
    let body = app.invitation(&agent, &itsa_id).await;
    assert_not_pending(&body, &agent, &itsa_id, "MTD-IT", Some("main"), "Cancelled");
    assert_eq!(
        invitation_v1(&app, &agent, &itsa_id).await["status"],
        "Cancelled"
    );

    // The client accepts the other; 2.0 sees the relationship.
    app.accept_ok(&vat_id).await;
    assert_no_content(
        app.check_relationship(&agent, &check_body(&vat(&vat_client)))
            .await,
    )
    .await;
    assert_eq!(
        invitation_v1(&app, &agent, &vat_id).await["status"],
        "Accepted"
    );
}

#[tokio::test]
async fn created_through_2_0_read_through_1_0() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    let itsa_id = app.create_invitation_ok(&agent, &itsa_main(&itsa)).await;
    let vat_id = app.create_invitation_ok(&agent, &vat(&vat_client)).await;

    let body = invitation_v1(&app, &agent, &itsa_id).await;
    assert_eq!(body["service"], "HMRC-MTD-IT");
    assert_eq!(body["status"], "Pending");
    assert_eq!(body["clientIdType"], "MTDITID");
    assert_eq!(body["suppliedClientId"], itsa.nino.as_str());
    let v2 = app.invitation(&agent, &itsa_id).await;
    assert_eq!(body["clientActionUrl"], v2["clientActionUrl"]);
    assert_eq!(body["created"], v2["created"]);

    let body = invitation_v1(&app, &agent, &vat_id).await;
    assert_eq!(body["service"], "HMRC-MTD-VAT");

    // 2.0 cancels; 1.0 reads it Cancelled.
    assert_no_content(app.cancel_invitation(&agent, &vat_id).await).await;
    assert_eq!(
        invitation_v1(&app, &agent, &vat_id).await["status"],
        "Cancelled"
    );
}

#[tokio::test]
async fn a_pending_request_from_either_version_blocks_the_other() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let first = app.create_itsa_client().await;
    let second = app.create_vat_client().await;

    // Made through 1.0, duplicated through 2.0: 2.0 names it at its 2.0 location.
    let id = create_v1_ok(&app, &agent, &v1_itsa(&first)).await;
    let response = app.create_invitation(&agent, &itsa_main(&first)).await;
    let headers = assert_error(
        response,
        "create_invitation",
        "DUPLICATE_AUTHORISATION_REQUEST",
    )
    .await;
    assert_eq!(location(&headers), invitation_path(&agent.arn, &id));

    // Made through 2.0, duplicated through 1.0: 1.0 names it at its 1.0 location, which it serves.
    let id = app.create_invitation_ok(&agent, &vat(&second)).await;
    let response = create_v1(&app, &agent, &v1_vat(&second)).await;
    let headers = assert_error(response, CREATE, "DUPLICATE_AUTHORISATION_REQUEST").await;
    assert_eq!(location(&headers), v1_invitation_path(&agent.arn, &id));
    let followed = app
        .v1(Method::GET, &location(&headers), &agent.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        assert_json(followed, StatusCode::OK).await["invitationId"],
        id.as_str()
    );
}

#[tokio::test]
async fn a_supporting_agent_request_is_not_found_through_1_0_but_still_blocks_it() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    let supporting = app
        .create_invitation_ok(&agent, &itsa_supporting(&client))
        .await;
    assert!(supporting.starts_with('L'), "{supporting}");
    // 1.0 has no agent type, so it cannot show a supporting agent's request.
    assert_error(
        get_v1(&app, &agent, &supporting).await,
        GET,
        "INVITATION_NOT_FOUND",
    )
    .await;
    // A main-agent request for the same client is blocked while it is pending (docs/domain.md §6, step 6).
    let response = create_v1(&app, &agent, &v1_itsa(&client)).await;
    let headers = assert_error(response, CREATE, "DUPLICATE_AUTHORISATION_REQUEST").await;
    assert_eq!(
        location(&headers),
        v1_invitation_path(&agent.arn, &supporting)
    );
}

// ---- version negotiation, both ways ----

#[tokio::test]
async fn a_2_0_accept_header_on_1_0_paths_is_400_unsupported_version() {
    let (app, agent, client, id) = setup().await;
    let other = app.create_itsa_client().await;
    for (op, method, path, body) in calls(&agent.arn, &other, &id) {
        for accept in [
            V2_ACCEPT,
            "application/vnd.hmrc.9.9+json",
            "application/vnd.hmrc.1.1+json",
            "application/vnd.hmrc.0.1+json",
        ] {
            let response = send(
                &app,
                method.clone(),
                &path,
                Some(accept),
                Some(&agent.token),
                body.as_ref(),
            )
            .await;
            assert_error(response, op, "BAD_REQUEST_VERSION").await;
        }
    }
    // Nothing was created for the other client.
    let listed = app.invitation_list(&agent).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        invitation_v1(&app, &agent, &id).await["suppliedClientId"],
        client.nino.as_str()
    );
}

#[tokio::test]
async fn a_content_type_other_than_json_is_400() {
    let (app, agent, client, id) = setup().await;
    for (op, method, path, body) in calls(&agent.arn, &client, &id) {
        let accept = Some("application/vnd.hmrc.1.0+xml");
        let response = send(
            &app,
            method,
            &path,
            accept,
            Some(&agent.token),
            body.as_ref(),
        )
        .await;
        assert_error(response, op, "BAD_REQUEST_CONTENT_TYPE").await;
    }
}

#[tokio::test]
async fn a_missing_accept_header_is_406() {
    // reqwest always sends `Accept: */*`, so these requests are raw.
    let (app, agent, client, id) = setup().await;
    let authorization = format!("Bearer {}", agent.token);
    for (op, method, path, body) in calls(&agent.arn, &client, &id) {
        let body = body.map(|b| b.to_string().into_bytes());
        let mut headers: Vec<(&str, &[u8])> = vec![("Authorization", authorization.as_bytes())];
        if body.is_some() {
            headers.push(("Content-Type", b"application/json"));
        }
        let request = raw::request(method.as_str(), &path, &headers, body.as_deref());
        let response = raw::send(app.addr(), request).await;
        assert_raw_error(&response, op, "ACCEPT_HEADER_MISSING");
    }
}

#[tokio::test]
async fn a_malformed_accept_header_is_406() {
    let (app, agent, client, id) = setup().await;
    let headers = [
        "*/*",
        "application/json",
        "application/vnd.hmrc.1.0",
        "application/vnd.hmrc.1+json",
        "application/vnd.hmrc.one.zero+json",
        "",
    ];
    for (op, method, path, body) in calls(&agent.arn, &client, &id) {
        for accept in headers {
            let response = send(
                &app,
                method.clone(),
                &path,
                Some(accept),
                Some(&agent.token),
                body.as_ref(),
            )
            .await;
            assert_error(response, op, "ACCEPT_HEADER_INVALID").await;
        }
    }
}

// ---- 401 and 403: who the caller is ----

#[tokio::test]
async fn no_valid_token_is_401() {
    let (app, agent, client, id) = setup().await;
    for (op, method, path, body) in calls(&agent.arn, &client, &id) {
        for token in [
            None,
            Some("unknown-token"),
            Some(&format!("{}x", agent.token)[..]),
        ] {
            let response = send(
                &app,
                method.clone(),
                &path,
                Some(V1_ACCEPT),
                token,
                body.as_ref(),
            )
            .await;
            assert_error(response, op, "UNAUTHORIZED").await;
        }
    }
    // An expired token, too (30 days by default).
    app.advance(Duration::days(31));
    for (op, method, path, body) in calls(&agent.arn, &client, &id) {
        let response = send(
            &app,
            method,
            &path,
            Some(V1_ACCEPT),
            Some(&agent.token),
            body.as_ref(),
        )
        .await;
        assert_error(response, op, "UNAUTHORIZED").await;
    }
}

#[tokio::test]
async fn a_client_is_403_not_an_agent() {
    let (app, agent, client, id) = setup().await;
    let organisation = app.create_vat_client().await;
    for token in [&client.token, &organisation.token] {
        for (op, method, path, body) in calls(&agent.arn, &client, &id) {
            let response = send(
                &app,
                method,
                &path,
                Some(V1_ACCEPT),
                Some(token),
                body.as_ref(),
            )
            .await;
            assert_error(response, op, "NOT_AN_AGENT").await;
        }
    }
}

#[tokio::test]
async fn an_agent_without_agent_services_is_403_not_subscribed() {
    let (app, agent, client, id) = setup().await;
    let unsubscribed = app.create_unsubscribed_agent().await;
    for arn in [&agent.arn, &unsubscribed.arn] {
        for (op, method, path, body) in calls(arn, &client, &id) {
            let token = Some(unsubscribed.token.as_str());
            let response = send(&app, method, &path, Some(V1_ACCEPT), token, body.as_ref()).await;
            assert_error(response, op, "AGENT_NOT_SUBSCRIBED").await;
        }
    }
}

#[tokio::test]
async fn another_agents_arn_or_request_is_403_no_permission() {
    let (app, agent, client, id) = setup().await;
    let other = app.create_agent().await;
    // The ARN in the path is compared with the caller's, not format-checked.
    for arn in [
        other.arn.as_str(),
        "TARN0000001",
        "not-an-arn",
        &agent.arn.to_lowercase(),
    ] {
        for (op, method, path, body) in calls(arn, &client, &id) {
            let response = send(
                &app,
                method,
                &path,
                Some(V1_ACCEPT),
                Some(&agent.token),
                body.as_ref(),
            )
            .await;
            assert_error(response, op, "NO_PERMISSION_ON_AGENCY").await;
        }
    }
    // The other agent, on its own ARN, asking for this agent's request.
    assert_error(
        get_v1(&app, &other, &id).await,
        GET,
        "NO_PERMISSION_ON_AGENCY",
    )
    .await;
}

// ---- the order of the checks ----

#[tokio::test]
async fn the_accept_header_then_the_body_then_the_caller_then_the_payload() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let path = v1_invitations_path(&agent.arn);
    let not_json = |accept: &str, token: Option<&str>| {
        let mut request = app
            .bare(Method::POST, &path)
            .header(ACCEPT, accept)
            .header(CONTENT_TYPE, "application/json")
            .body("{not json");
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        request
    };
    // The Accept header before the body.
    for (accept, example) in [
        ("application/json", "ACCEPT_HEADER_INVALID"),
        (V2_ACCEPT, "BAD_REQUEST_VERSION"),
        ("application/vnd.hmrc.1.0+xml", "BAD_REQUEST_CONTENT_TYPE"),
    ] {
        let response = not_json(accept, None).send().await.unwrap();
        assert_error(response, CREATE, example).await;
    }
    // The body before the token.
    for token in [None, Some("unknown-token")] {
        let response = not_json(V1_ACCEPT, token).send().await.unwrap();
        assert_error(response, CREATE, "BAD_REQUEST").await;
    }
    // The caller before the payload.
    let other = app.create_agent().await;
    let unsubscribed = app.create_unsubscribed_agent().await;
    let bad_service = with(v1_itsa(&client), "service", json!("MTD-CGT"));
    for (token, example) in [
        (None, "UNAUTHORIZED"),
        (Some("unknown-token"), "UNAUTHORIZED"),
        (Some(client.token.as_str()), "NOT_AN_AGENT"),
        (Some(unsubscribed.token.as_str()), "AGENT_NOT_SUBSCRIBED"),
        (Some(other.token.as_str()), "NO_PERMISSION_ON_AGENCY"),
    ] {
        let response = send(
            &app,
            Method::POST,
            &path,
            Some(V1_ACCEPT),
            token,
            Some(&bad_service),
        )
        .await;
        assert_error(response, CREATE, example).await;
    }
}

#[tokio::test]
async fn payload_checks_come_in_the_documented_order() {
    // docs/domain.md §6, step 4 (no agent type in 1.0): service → clientType → client id → known fact → (403) client record.
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let all_bad = json!({
        "service": "MTD-CGT",
        "clientType": "trust",
        "clientIdType": "ni",
        "clientId": "AB12345",
        "knownFact": "NOT A POSTCODE",
    });
    let it = with(all_bad.clone(), "service", json!("MTD-IT"));
    let cases = [
        (all_bad.clone(), "SERVICE_NOT_SUPPORTED"),
        (it.clone(), "CLIENT_TYPE_NOT_SUPPORTED"),
        (
            without(it.clone(), "clientType"),
            "CLIENT_ID_FORMAT_INVALID",
        ),
        (
            with(
                without(it.clone(), "clientType"),
                "clientId",
                json!(UNREGISTERED_NINO),
            ),
            "POSTCODE_FORMAT_INVALID",
        ),
        (
            json!({"service": "MTD-IT", "clientIdType": "ni", "clientId": UNREGISTERED_NINO,
                   "knownFact": client.postcode}),
            "CLIENT_REGISTRATION_NOT_FOUND",
        ),
    ];
    for (body, example) in cases {
        assert_error(create_v1(&app, &agent, &body).await, CREATE, example).await;
    }
}

// ---- 400: the payload ----

#[tokio::test]
async fn an_unsupported_service_is_501() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    // HMRC's 1.0 answer for a service it does not offer (docs/domain.md §8), whatever else the body says.
    for service in [
        json!(["PERSONAL-INCOME-RECORD"]),
        json!("HMRC-CGT-PD"),
        json!("MTD-CGT"),
        json!("hmrc-mtd-it"),
        json!(""),
    ] {
        let body = with(v1_itsa(&client), "service", service);
        assert_error(
            create_v1(&app, &agent, &body).await,
            CREATE,
            "SERVICE_NOT_SUPPORTED",
        )
        .await;
    }
}

#[tokio::test]
async fn an_unsupported_client_type_is_400() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    let cases = [
        with(v1_itsa(&itsa), "clientType", json!("business")),
        with(v1_itsa(&itsa), "clientType", json!("trust")),
        with(v1_vat(&vat_client), "clientType", json!("trust")),
        with(v1_vat(&vat_client), "clientType", json!("")),
    ];
    for body in cases {
        assert_error(
            create_v1(&app, &agent, &body).await,
            CREATE,
            "CLIENT_TYPE_NOT_SUPPORTED",
        )
        .await;
    }
}

#[tokio::test]
async fn a_malformed_client_id_is_400() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    let cases = [
        with(v1_itsa(&itsa), "clientId", json!("AB12345")),
        with(v1_itsa(&itsa), "clientId", json!("AB123456E")),
        with(v1_itsa(&itsa), "clientId", json!("")),
        with(v1_vat(&vat_client), "clientId", json!("12345678")),
        with(v1_vat(&vat_client), "clientId", json!("ABCDEFGHI")),
    ];
    for body in cases {
        assert_error(
            create_v1(&app, &agent, &body).await,
            CREATE,
            "CLIENT_ID_FORMAT_INVALID",
        )
        .await;
    }
}

#[tokio::test]
async fn a_client_id_of_the_wrong_kind_is_400() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    let cases = [
        with(v1_itsa(&itsa), "clientId", json!(vat_client.vrn)),
        with(v1_itsa(&itsa), "clientIdType", json!("vrn")),
        with(v1_vat(&vat_client), "clientId", json!(itsa.nino)),
        with(v1_vat(&vat_client), "clientIdType", json!("ni")),
    ];
    for body in cases {
        let response = create_v1(&app, &agent, &body).await;
        assert_error(response, CREATE, "CLIENT_ID_DOES_NOT_MATCH_SERVICE").await;
    }
}

#[tokio::test]
async fn a_malformed_known_fact_is_400() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    for postcode in ["NOT A POSTCODE", "12345", ""] {
        let body = with(v1_itsa(&itsa), "knownFact", json!(postcode));
        assert_error(
            create_v1(&app, &agent, &body).await,
            CREATE,
            "POSTCODE_FORMAT_INVALID",
        )
        .await;
    }
    for date in ["18/05/2007", "2007-02-30", ""] {
        let body = with(v1_vat(&vat_client), "knownFact", json!(date));
        let response = create_v1(&app, &agent, &body).await;
        assert_error(response, CREATE, "VAT_REG_DATE_FORMAT_INVALID").await;
    }
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_is_400_bad_request() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let good = v1_itsa(&client);

    let mut bodies: Vec<(String, String)> = vec![
        ("invalid JSON".into(), "{\"service\": \"MTD-IT\",".into()),
        ("empty body".into(), String::new()),
        ("null".into(), "null".into()),
        ("an array".into(), format!("[{good}]")),
        (
            "two services".into(),
            with(good.clone(), "service", json!(["MTD-IT", "MTD-VAT"])).to_string(),
        ),
        (
            "no service".into(),
            with(good.clone(), "service", json!([])).to_string(),
        ),
        (
            "service a number".into(),
            with(good.clone(), "service", json!(1)).to_string(),
        ),
        (
            "clientId a number".into(),
            with(good.clone(), "clientId", json!(123456789)).to_string(),
        ),
        (
            "clientType a number".into(),
            with(good.clone(), "clientType", json!(1)).to_string(),
        ),
    ];
    // knownFact and clientType are optional in 1.0.
    for field in ["service", "clientIdType", "clientId"] {
        bodies.push((
            format!("no {field}"),
            without(good.clone(), field).to_string(),
        ));
    }
    for (label, body) in bodies {
        let response = app
            .v1(Method::POST, &v1_invitations_path(&agent.arn), &agent.token)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{label}");
        assert_error(response, CREATE, "BAD_REQUEST").await;
    }
    // Nothing was created.
    assert_no_content(app.list_invitations(&agent).await).await;
}

// ---- 403: the client's record, duplicates, relationships ----

#[tokio::test]
async fn an_unknown_client_is_403_client_registration_not_found() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    for body in [
        with(v1_itsa(&itsa), "clientId", json!(UNREGISTERED_NINO)),
        with(v1_vat(&vat_client), "clientId", json!(UNREGISTERED_VRN)),
    ] {
        let response = create_v1(&app, &agent, &body).await;
        assert_error(response, CREATE, "CLIENT_REGISTRATION_NOT_FOUND").await;
    }
}

#[tokio::test]
async fn a_known_fact_that_differs_from_the_record_is_403() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    let body = with(
        v1_itsa(&itsa),
        "knownFact",
        json!(other_postcode(&itsa.postcode)),
    );
    assert_error(
        create_v1(&app, &agent, &body).await,
        CREATE,
        "POSTCODE_DOES_NOT_MATCH",
    )
    .await;
    let later = day_after(&vat_client.vat_registration_date);
    let body = with(v1_vat(&vat_client), "knownFact", json!(later));
    let response = create_v1(&app, &agent, &body).await;
    assert_error(response, CREATE, "VAT_REG_DATE_DOES_NOT_MATCH").await;
}

#[tokio::test]
async fn an_insolvent_vat_client_is_403() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_insolvent_vat_client().await;

    let response = create_v1(&app, &agent, &v1_vat(&client)).await;
    assert_error(response, CREATE, "VAT_CLIENT_INSOLVENT").await;
    assert_no_content(app.list_invitations(&agent).await).await;
}

#[tokio::test]
async fn a_second_pending_request_is_a_duplicate_naming_the_first() {
    let (app, agent, client, id) = setup().await;

    app.advance(Duration::minutes(1));
    let response = create_v1(&app, &agent, &v1_itsa(&client)).await;
    let headers = assert_error(response, CREATE, "DUPLICATE_AUTHORISATION_REQUEST").await;
    assert_eq!(location(&headers), v1_invitation_path(&agent.arn, &id));
}

#[tokio::test]
async fn a_request_after_acceptance_is_403_already_authorised() {
    let (app, agent, client, id) = setup().await;
    app.accept_ok(&id).await;

    app.advance(Duration::minutes(1));
    let response = create_v1(&app, &agent, &v1_itsa(&client)).await;
    assert_error(response, CREATE, "ALREADY_AUTHORISED").await;
    // 2.0 agrees.
    let response = app.create_invitation(&agent, &itsa_main(&client)).await;
    assert_error(response, "create_invitation", "ALREADY_AUTHORISED").await;
}

#[tokio::test]
async fn an_identical_create_in_flight_is_403_already_being_processed() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    // Hold the lock an identical create takes (domain::invitations: arn, service group, the person the client
    // id names: a NINO's first eight characters), as another server process in the middle of the same create
    // would.
    let key = format!(
        "create-invitation|{}|HMRC-MTD-IT|{}",
        agent.arn,
        &client.nino[..8]
    );
    let mut conn = database(&app).await;
    diesel::sql_query("SELECT pg_advisory_lock(hashtextextended($1, 0))")
        .bind::<Text, _>(&key)
        .execute(&mut conn)
        .await
        .unwrap();
    let response = create_v1(&app, &agent, &v1_itsa(&client)).await;
    assert_error(response, CREATE, "ALREADY_BEING_PROCESSED").await;

    diesel::sql_query("SELECT pg_advisory_unlock(hashtextextended($1, 0))")
        .bind::<Text, _>(&key)
        .execute(&mut conn)
        .await
        .unwrap();
    create_v1_ok(&app, &agent, &v1_itsa(&client)).await;
}

// ---- GET: 400 and 404 ----

#[tokio::test]
async fn a_malformed_invitation_id_is_400() {
    let (app, agent, _, id) = setup().await;
    for malformed in [
        "INVALID".to_string(),
        with_wrong_check(&id),
        id.to_lowercase(),
        id[..12].to_string(),
        format!("{id}A"),
        format!("Z{}", &id[1..]),
    ] {
        assert_error(get_v1(&app, &agent, &malformed).await, GET, "BAD_REQUEST").await;
    }
}

#[tokio::test]
async fn an_unknown_request_is_404() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let response = get_v1(&app, &agent, &unknown_invitation_id()).await;
    assert_error(response, GET, "INVITATION_NOT_FOUND").await;
}
