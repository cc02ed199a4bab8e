//! The backend's client side (`openapi/agent-client-authorisation.yaml`): listing and reading received invitations,
//! accepting, rejecting, ending the relationship, and the status summary; who may do it; every documented status
//! with its exact `{code, message}`.

use crate::support::backend::*;
use crate::support::*;
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::json;

const LIST: &str = "list_received_invitations";
const GET: &str = "get_received_invitation";
const ACCEPT: &str = "accept_received_invitation";
const REJECT: &str = "reject_received_invitation";
const END: &str = "end_client_relationship";
const STATUS: &str = "client_status";

/// The client calls naming `client` and the invitation `id`: (operation, method, path).
fn client_calls(client: &ServiceClient, id: &str) -> Vec<(&'static str, Method, String)> {
    client_calls_as(client.enrolment, &client.enrolment_id, id)
}

/// The client calls under `{service}/{clientId}` = `enrolment/client_id`, naming the invitation `id`.
fn client_calls_as(
    enrolment: &str,
    client_id: &str,
    id: &str,
) -> Vec<(&'static str, Method, String)> {
    let list = received_path(enrolment, client_id);
    let one = format!("{list}/{id}");
    vec![
        (LIST, Method::GET, list),
        (GET, Method::GET, one.clone()),
        (ACCEPT, Method::PUT, format!("{one}/accept")),
        (REJECT, Method::PUT, format!("{one}/reject")),
        (END, Method::PUT, format!("{one}/deauthorise")),
    ]
}

async fn send(app: &TestApp, method: &Method, path: &str, token: &str) -> reqwest::Response {
    app.backend(method.clone(), path, token)
        .send()
        .await
        .unwrap()
}

/// What the status summary says: (hasPendingInvitations, hasInvitationsHistory, hasExistingRelationships).
async fn status_flags(app: &TestApp, token: &str) -> (bool, bool, bool) {
    let body = assert_json(app.client_status(token).await, StatusCode::OK).await;
    assert_eq!(
        keys(&body),
        key_set(&[
            "hasPendingInvitations",
            "hasInvitationsHistory",
            "hasExistingRelationships"
        ]),
        "{body}"
    );
    let flag = |name: &str| {
        body[name]
            .as_bool()
            .unwrap_or_else(|| panic!("{name} is not a boolean: {body}"))
    };
    (
        flag("hasPendingInvitations"),
        flag("hasInvitationsHistory"),
        flag("hasExistingRelationships"),
    )
}

/// An agent, a VAT client and a pending invitation for it.
async fn vat_fixture(app: &TestApp) -> (Agent, ServiceClient, String) {
    let agent = app.create_agent().await;
    let client = app.backend_client("HMRC-MTD-VAT").await;
    let id = app.sent_create_ok(&agent, &client).await;
    (agent, client, id)
}

// ---- who may call ----

#[test]
fn the_call_table_covers_every_client_operation() {
    let mut ours: Vec<&str> = client_calls_as("VRN", "101747696", "CZTW1KY6RTAAT")
        .iter()
        .map(|c| c.0)
        .collect();
    ours.push(STATUS);
    let mut documented: Vec<String> = backend_operations()
        .into_iter()
        .filter(|op| {
            op.spec["tags"]
                .as_array()
                .is_some_and(|tags| tags.iter().any(|t| t == "Client invitations"))
        })
        .map(|op| op.id)
        .collect();
    ours.sort();
    documented.sort();
    assert_eq!(ours, documented);
}

#[tokio::test]
async fn client_calls_without_a_valid_bearer_token_are_401() {
    let app = TestApp::start().await;
    let (_, client, id) = vat_fixture(&app).await;
    let expired = app
        .create_backend_user(
            "organisations",
            json!({"serviceNames": ["mtd-vat"], "tokenLifetimeSeconds": 0}),
        )
        .await;
    let expired_token = string_field(&expired, "accessToken");
    let expired_vrn = string_field(&expired, "vrn");
    for token in ["", "not-a-token"] {
        for (op, method, path) in client_calls(&client, &id) {
            assert_backend_error(send(&app, &method, &path, token).await, op, "UNAUTHORIZED").await;
        }
        assert_backend_error(app.client_status(token).await, STATUS, "UNAUTHORIZED").await;
    }
    for (op, method, path) in client_calls_as("VRN", &expired_vrn, &id) {
        assert_backend_error(
            send(&app, &method, &path, &expired_token).await,
            op,
            "UNAUTHORIZED",
        )
        .await;
    }
    assert_backend_error(
        app.client_status(&expired_token).await,
        STATUS,
        "UNAUTHORIZED",
    )
    .await;
}

#[tokio::test]
async fn only_the_holder_of_the_identifier_may_act_on_its_invitations() {
    let app = TestApp::start().await;
    let (agent, client, id) = vat_fixture(&app).await;
    let another_vat_client = app.backend_client("HMRC-MTD-VAT").await;
    let individual = app.backend_client("PERSONAL-INCOME-RECORD").await;
    let unsubscribed = app.create_unsubscribed_agent().await;

    // Another VAT client, another client, an agent and an agent without an agent services account, naming this
    // client's VRN: none of them holds it.
    for token in [
        &another_vat_client.token,
        &individual.token,
        &agent.token,
        &unsubscribed.token,
    ] {
        for (op, method, path) in client_calls(&client, &id) {
            assert_backend_error(
                send(&app, &method, &path, token).await,
                op,
                "NO_PERMISSION_ON_CLIENT",
            )
            .await;
        }
    }
    // The client itself, naming an identifier kind it does not hold, or a value that is not its own.
    for (enrolment, value) in [
        ("NI", individual.client_id.as_str()),
        ("MTDITID", "XAIT00001234567"),
        ("VRN", another_vat_client.client_id.as_str()),
        ("VRN", UNREGISTERED_VRN),
        ("URN", client.client_id.as_str()),
    ] {
        for (op, method, path) in client_calls_as(enrolment, value, &id) {
            assert_backend_error(
                send(&app, &method, &path, &client.token).await,
                op,
                "NO_PERMISSION_ON_CLIENT",
            )
            .await;
        }
    }
    // Nothing changed.
    assert_eq!(app.sent_status(&agent, &id).await, "Pending");
}

#[tokio::test]
async fn an_invitation_for_another_client_is_refused_to_a_client_acting_for_itself() {
    let app = TestApp::start().await;
    let (agent, client, id) = vat_fixture(&app).await;
    let other = app.backend_client("HMRC-MTD-VAT").await;
    // The other client names itself correctly, but the invitation is not for it.
    for (op, method, path) in client_calls(&other, &id).into_iter().skip(1) {
        assert_backend_error(
            send(&app, &method, &path, &other.token).await,
            op,
            "NO_PERMISSION_ON_CLIENT",
        )
        .await;
    }
    assert_eq!(app.sent_status(&agent, &id).await, "Pending");
    app.received_accept_ok(&client, &id).await;
    for (op, method, path) in client_calls(&other, &id).into_iter().skip(1) {
        assert_backend_error(
            send(&app, &method, &path, &other.token).await,
            op,
            "NO_PERMISSION_ON_CLIENT",
        )
        .await;
    }
    assert_eq!(app.sent_status(&agent, &id).await, "Accepted");
    assert!(app.is_related(&agent, &client).await);
}

#[tokio::test]
async fn an_unknown_identifier_name_is_400() {
    let app = TestApp::start().await;
    let (_, client, id) = vat_fixture(&app).await;
    for enrolment in [
        "HMRC-MTD-VAT",
        "vrn",
        "Vrn",
        "MTD-VAT",
        "UTR",
        "NINO",
        "XYZ",
    ] {
        for (op, method, path) in client_calls_as(enrolment, &client.enrolment_id, &id) {
            assert_backend_error(
                send(&app, &method, &path, &client.token).await,
                op,
                "BAD_REQUEST",
            )
            .await;
        }
    }
}

#[tokio::test]
async fn a_malformed_invitation_id_is_400_and_an_unknown_one_404() {
    let app = TestApp::start().await;
    let (_, client, id) = vat_fixture(&app).await;
    for bad in [
        "NOTANID",
        &with_wrong_check(&id),
        &id.to_lowercase(),
        &format!("{id}C"),
    ] {
        for (op, method, path) in client_calls(&client, bad).into_iter().skip(1) {
            assert_backend_error(
                send(&app, &method, &path, &client.token).await,
                op,
                "BAD_REQUEST",
            )
            .await;
        }
    }
    let unknown = unknown_invitation_id();
    for (op, method, path) in client_calls(&client, &unknown).into_iter().skip(1) {
        assert_backend_error(
            send(&app, &method, &path, &client.token).await,
            op,
            "INVITATION_NOT_FOUND",
        )
        .await;
    }
}

// ---- listing and reading ----

#[tokio::test]
async fn a_client_of_every_service_reads_the_invitations_sent_to_it() {
    let app = TestApp::start().await;
    let first = app.create_agent().await;
    let second = app.create_agent().await;
    for service in SERVICES {
        let client = app.backend_client(service).await;
        let created = app.clock_now();
        let older = app.sent_create_ok(&first, &client).await;
        app.advance(Duration::minutes(1));
        let newer = app.sent_create_ok(&second, &client).await;

        let list = assert_json(app.received_list(&client, "").await, StatusCode::OK).await;
        assert_eq!(keys(&list), key_set(&["_links", "_embedded"]), "{list}");
        let hrefs = [
            client.received_invitation_path(&newer),
            client.received_invitation_path(&older),
        ];
        assert_eq!(
            list["_links"],
            json!({"self": {"href": client.received_path()}, "invitations": [{"href": hrefs[0]}, {"href": hrefs[1]}]}),
            "{service}"
        );
        let embedded = list["_embedded"]["invitations"].as_array().unwrap();
        assert_eq!(keys(&list["_embedded"]), key_set(&["invitations"]));
        assert_eq!(embedded.len(), 2, "{list}");
        assert_received_invitation(&embedded[0], &second, &client, &newer, "Pending");
        assert_received_invitation(&embedded[1], &first, &client, &older, "Pending");
        assert_eq!(assert_timestamp(&embedded[1], "created"), created);

        for (agent, id, item) in [
            (&second, &newer, &embedded[0]),
            (&first, &older, &embedded[1]),
        ] {
            let one = assert_json(app.received_get(&client, id).await, StatusCode::OK).await;
            assert_eq!(&one, item, "one invitation reads as in the list");
            let sent = app.sent_invitation(agent, id).await;
            for field in [
                "invitationId",
                "clientType",
                "service",
                "clientIdType",
                "clientId",
                "created",
                "expiryDate",
                "clientActionUrl",
            ] {
                assert_eq!(one[field], sent[field], "{field} as the agent sees it");
            }
        }
    }
}

#[tokio::test]
async fn a_client_with_no_invitations_gets_empty_lists() {
    let app = TestApp::start().await;
    let client = app.backend_client("HMRC-CGT-PD").await;
    let list = assert_json(app.received_list(&client, "").await, StatusCode::OK).await;
    assert_eq!(
        list,
        json!({"_links": {"self": {"href": client.received_path()}, "invitations": []}, "_embedded": {"invitations": []}})
    );
}

/// The client's received list filtered by `status`, spelt as given, in lower case and in upper case, holds just
/// the invitations `wanted`; its self link keeps the filter.
async fn assert_received_with_status(
    app: &TestApp,
    client: &ServiceClient,
    status: &str,
    wanted: &[&String],
) {
    for query_status in [
        status.to_string(),
        status.to_lowercase(),
        status.to_uppercase(),
    ] {
        let list = assert_json(
            app.received_list(client, &format!("?status={query_status}"))
                .await,
            StatusCode::OK,
        )
        .await;
        let got: Vec<&str> = list["_embedded"]["invitations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["invitationId"].as_str().unwrap())
            .collect();
        let wanted: Vec<&str> = wanted.iter().map(|s| s.as_str()).collect();
        assert_eq!(got, wanted, "?status={query_status}");
        assert_eq!(
            list["_links"]["invitations"].as_array().unwrap().len(),
            wanted.len()
        );
    }
    let list = assert_json(
        app.received_list(client, &format!("?status={status}"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        list["_links"]["self"]["href"],
        format!("{}?status={status}", client.received_path())
    );
}

#[tokio::test]
async fn the_received_list_filters_by_status() {
    let app = TestApp::start().await;
    let client = app.backend_client("HMRC-MTD-VAT").await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let agent = app.create_agent().await;
        ids.push((agent.clone(), app.sent_create_ok(&agent, &client).await));
        app.advance(Duration::minutes(1));
    }
    // Accepted, then displaced by a newer main agent: Deauthorised.
    app.received_accept_ok(&client, &ids[0].1).await;
    app.received_accept_ok(&client, &ids[1].1).await;
    assert_no_content(app.received_reject(&client, &ids[2].1).await).await;
    assert_no_content(app.sent_cancel(&ids[3].0, &ids[3].1).await).await;
    // ids[4] stays pending.
    let expected = [
        ("Pending", vec![&ids[4].1]),
        ("Accepted", vec![&ids[1].1]),
        ("Deauthorised", vec![&ids[0].1]),
        ("Rejected", vec![&ids[2].1]),
        ("Cancelled", vec![&ids[3].1]),
        ("Expired", vec![]),
        ("Partialauth", vec![]),
    ];
    for (status, wanted) in &expected {
        assert_received_with_status(&app, &client, status, wanted).await;
    }
    let deauthorised =
        assert_json(app.received_get(&client, &ids[0].1).await, StatusCode::OK).await;
    assert_received_invitation(&deauthorised, &ids[0].0, &client, &ids[0].1, "Deauthorised");
    assert_eq!(deauthorised["relationshipEndedBy"], "Client");

    // An unanswered invitation past its expiry reads Expired.
    app.advance(Duration::days(21));
    let list = assert_json(
        app.received_list(&client, "?status=Expired").await,
        StatusCode::OK,
    )
    .await;
    let expired = &list["_embedded"]["invitations"][0];
    assert_received_invitation(expired, &ids[4].0, &client, &ids[4].1, "Expired");
    let list = assert_json(
        app.received_list(&client, "?status=Pending").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["_embedded"]["invitations"], json!([]));

    for bad in ["Done", "", "Pending,Accepted"] {
        assert_backend_error(
            app.received_list(&client, &format!("?status={bad}")).await,
            LIST,
            "BAD_REQUEST",
        )
        .await;
    }
}

#[tokio::test]
async fn a_client_sees_under_each_identifier_only_the_invitations_naming_it() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    // One individual with a NINO (HMRC-NI) and an MTDITID (HMRC-MTD-IT).
    let itsa = app.backend_client("HMRC-MTD-IT").await;
    let irv = ServiceClient {
        service: "PERSONAL-INCOME-RECORD",
        enrolment: "NI",
        enrolment_id: itsa.client_id.clone(),
        ..itsa.clone()
    };
    let itsa_id = app.sent_create_ok(&agent, &itsa).await;
    let supp_id = app
        .sent_create_ok(
            &app.create_agent().await,
            &itsa.for_service("HMRC-MTD-IT-SUPP"),
        )
        .await;
    let irv_id = app.sent_create_ok(&agent, &irv).await;

    let ids = async |client: &ServiceClient| -> Vec<String> {
        let list = assert_json(app.received_list(client, "").await, StatusCode::OK).await;
        list["_embedded"]["invitations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| string_field(i, "invitationId"))
            .collect()
    };
    let mut under_mtditid = ids(&itsa).await;
    under_mtditid.sort();
    let mut expected = vec![itsa_id.clone(), supp_id.clone()];
    expected.sort();
    assert_eq!(under_mtditid, expected);
    assert_eq!(ids(&irv).await, vec![irv_id.clone()]);

    // Through the wrong identifier, an invitation is another client's.
    assert_backend_error(
        app.received_get(&itsa, &irv_id).await,
        GET,
        "NO_PERMISSION_ON_CLIENT",
    )
    .await;
    assert_backend_error(
        app.received_accept(&irv, &itsa_id).await,
        ACCEPT,
        "NO_PERMISSION_ON_CLIENT",
    )
    .await;
    // Through the right one, each is answered.
    app.received_accept_ok(&itsa, &itsa_id).await;
    app.received_accept_ok(&itsa.for_service("HMRC-MTD-IT-SUPP"), &supp_id)
        .await;
    app.received_accept_ok(&irv, &irv_id).await;
    assert!(app.is_related(&agent, &itsa).await);
    assert!(app.is_related(&agent, &irv).await);
}

#[tokio::test]
async fn a_nino_in_the_path_may_be_lower_case() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.backend_client("PERSONAL-INCOME-RECORD").await;
    let id = app.sent_create_ok(&agent, &client).await;
    let lower = ServiceClient {
        enrolment_id: client.enrolment_id.to_lowercase(),
        ..client.clone()
    };
    assert_eq!(
        assert_json(app.received_get(&lower, &id).await, StatusCode::OK).await["invitationId"],
        id.as_str()
    );
    app.received_accept_ok(&lower, &id).await;
    assert_eq!(app.sent_status(&agent, &id).await, "Accepted");
}

// ---- accepting ----

#[tokio::test]
async fn accepting_makes_the_agent_authorised_and_is_idempotent() {
    let app = TestApp::start().await;
    let (agent, client, id) = vat_fixture(&app).await;
    app.advance(Duration::hours(2));
    app.received_accept_ok(&client, &id).await;
    let accepted = app.sent_invitation(&agent, &id).await;
    assert_sent_invitation(&app, &accepted, &agent, &client, &id, "Accepted");
    assert_eq!(accepted["lastUpdated"], "2026-03-02T12:00:00.000Z");
    let received = assert_json(app.received_get(&client, &id).await, StatusCode::OK).await;
    assert_received_invitation(&received, &agent, &client, &id, "Accepted");
    assert!(app.is_related(&agent, &client).await);

    // Again: 204, nothing changes.
    app.advance(Duration::hours(1));
    app.received_accept_ok(&client, &id).await;
    assert_eq!(app.sent_invitation(&agent, &id).await, accepted);
    assert_eq!(
        app.active_relationship_count("HMRC-MTD-VAT", &client.client_id)
            .await,
        1
    );
}

#[tokio::test]
async fn an_invitation_that_is_not_pending_cannot_be_accepted() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let mut cases = Vec::new();

    let client = app.backend_client("HMRC-MTD-VAT").await;
    let rejected = app.sent_create_ok(&agent, &client).await;
    assert_no_content(app.received_reject(&client, &rejected).await).await;
    cases.push((client, rejected, "Rejected"));

    let client = app.backend_client("HMRC-MTD-VAT").await;
    let cancelled = app.sent_create_ok(&agent, &client).await;
    assert_no_content(app.sent_cancel(&agent, &cancelled).await).await;
    cases.push((client, cancelled, "Cancelled"));

    let client = app.backend_client("HMRC-MTD-VAT").await;
    let expired = app.sent_create_ok(&agent, &client).await;
    assert_no_content(app.expire(&expired).await).await;
    cases.push((client, expired, "Expired"));

    let client = app.backend_client("HMRC-MTD-VAT").await;
    let deauthorised = app.sent_create_ok(&agent, &client).await;
    app.received_accept_ok(&client, &deauthorised).await;
    assert_no_content(app.received_deauthorise(&client, &deauthorised).await).await;
    cases.push((client, deauthorised, "Deauthorised"));

    for (client, id, status) in &cases {
        assert_eq!(&app.sent_status(&agent, id).await, status);
        assert_backend_error(
            app.received_accept(client, id).await,
            ACCEPT,
            "INVALID_INVITATION_STATUS",
        )
        .await;
        assert_eq!(&app.sent_status(&agent, id).await, status, "unchanged");
        assert!(!app.is_related(&agent, client).await);
    }

    // Expired by the clock: not answerable from the start of its expiry day.
    let client = app.backend_client("HMRC-MTD-VAT").await;
    let id = app.sent_create_ok(&agent, &client).await;
    app.advance(Duration::days(21) - Duration::hours(10) - Duration::milliseconds(1));
    let still = app.backend_client("HMRC-MTD-VAT").await;
    let still_id = app.sent_create_ok(&agent, &still).await;
    app.advance(Duration::milliseconds(1));
    assert_backend_error(
        app.received_accept(&client, &id).await,
        ACCEPT,
        "INVALID_INVITATION_STATUS",
    )
    .await;
    assert_eq!(app.sent_status(&agent, &id).await, "Expired");
    app.received_accept_ok(&still, &still_id).await;
}

// ---- rejecting ----

#[tokio::test]
async fn rejecting_creates_no_relationship_and_is_idempotent() {
    let app = TestApp::start().await;
    for service in SERVICES {
        let agent = app.create_agent().await;
        let client = app.backend_client(service).await;
        let id = app.sent_create_ok(&agent, &client).await;
        app.advance(Duration::minutes(5));
        assert_no_content(app.received_reject(&client, &id).await).await;
        let rejected = app.sent_invitation(&agent, &id).await;
        assert_sent_invitation(&app, &rejected, &agent, &client, &id, "Rejected");
        assert_eq!(assert_timestamp(&rejected, "lastUpdated"), app.clock_now());
        let received = assert_json(app.received_get(&client, &id).await, StatusCode::OK).await;
        assert_received_invitation(&received, &agent, &client, &id, "Rejected");
        assert!(!app.is_related(&agent, &client).await);
        app.advance(Duration::minutes(5));
        assert_no_content(app.received_reject(&client, &id).await).await;
        assert_eq!(
            app.sent_invitation(&agent, &id).await,
            rejected,
            "nothing changes"
        );
        assert_backend_error(
            app.received_accept(&client, &id).await,
            ACCEPT,
            "INVALID_INVITATION_STATUS",
        )
        .await;
    }
}

#[tokio::test]
async fn an_invitation_that_is_not_pending_cannot_be_rejected() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let mut cases = Vec::new();

    let client = app.backend_client("HMRC-MTD-VAT").await;
    let accepted = app.sent_create_ok(&agent, &client).await;
    app.received_accept_ok(&client, &accepted).await;
    cases.push((client, accepted, "Accepted"));

    let alt = app.backend_alt_itsa_client("HMRC-MTD-IT").await;
    let partial = app.sent_create_ok(&agent, &alt).await;
    app.received_accept_ok(&alt, &partial).await;
    cases.push((alt, partial, "Partialauth"));

    let client = app.backend_client("HMRC-MTD-VAT").await;
    let cancelled = app.sent_create_ok(&agent, &client).await;
    assert_no_content(app.sent_cancel(&agent, &cancelled).await).await;
    cases.push((client, cancelled, "Cancelled"));

    let client = app.backend_client("HMRC-MTD-VAT").await;
    let expired = app.sent_create_ok(&agent, &client).await;
    assert_no_content(app.expire(&expired).await).await;
    cases.push((client, expired, "Expired"));

    let client = app.backend_client("HMRC-MTD-VAT").await;
    let deauthorised = app.sent_create_ok(&agent, &client).await;
    app.received_accept_ok(&client, &deauthorised).await;
    assert_no_content(app.relationship_end(&agent, &client).await).await;
    cases.push((client, deauthorised, "Deauthorised"));

    for (client, id, status) in &cases {
        assert_eq!(&app.sent_status(&agent, id).await, status);
        assert_backend_error(
            app.received_reject(client, id).await,
            REJECT,
            "INVALID_INVITATION_STATUS",
        )
        .await;
        assert_eq!(&app.sent_status(&agent, id).await, status, "unchanged");
    }
    // The accepted and partial ones still authorise the agent.
    assert!(app.is_related(&agent, &cases[0].0).await);
    assert!(app.is_related(&agent, &cases[1].0).await);
}

// ---- ending the relationship ----

#[tokio::test]
async fn the_client_ends_the_relationship_an_invitation_created() {
    let app = TestApp::start().await;
    for service in SERVICES {
        let agent = app.create_agent().await;
        let client = app.backend_client(service).await;
        let id = app.sent_create_ok(&agent, &client).await;
        app.received_accept_ok(&client, &id).await;
        app.advance(Duration::minutes(5));
        assert_no_content(app.received_deauthorise(&client, &id).await).await;

        let ended = app.sent_invitation(&agent, &id).await;
        assert_sent_invitation(&app, &ended, &agent, &client, &id, "Deauthorised");
        assert_eq!(ended["relationshipEndedBy"], "Client", "{ended}");
        assert_eq!(assert_timestamp(&ended, "lastUpdated"), app.clock_now());
        let received = assert_json(app.received_get(&client, &id).await, StatusCode::OK).await;
        assert_received_invitation(&received, &agent, &client, &id, "Deauthorised");
        assert_eq!(received["relationshipEndedBy"], "Client");
        assert!(!app.is_related(&agent, &client).await, "{service}");
        let (_, stored_id) = client.stored_client_id();
        assert_eq!(app.active_relationship_count(service, &stored_id).await, 0);

        // Nothing left to end.
        assert_backend_error(
            app.received_deauthorise(&client, &id).await,
            END,
            "NO_RELATIONSHIP",
        )
        .await;
        assert_backend_error(
            app.relationship_end(&agent, &client).await,
            "end_agent_relationship",
            "NO_RELATIONSHIP",
        )
        .await;
    }
}

#[tokio::test]
async fn the_client_ends_a_partial_authorisation() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.backend_alt_itsa_client("HMRC-MTD-IT").await;
    let id = app.sent_create_ok(&agent, &client).await;
    app.received_accept_ok(&client, &id).await;
    assert_eq!(app.sent_status(&agent, &id).await, "Partialauth");
    assert!(app.is_related(&agent, &client).await);
    assert_no_content(app.received_deauthorise(&client, &id).await).await;
    let ended = app.sent_invitation(&agent, &id).await;
    assert_sent_invitation(&app, &ended, &agent, &client, &id, "Deauthorised");
    assert_eq!(ended["relationshipEndedBy"], "Client");
    assert!(!app.is_related(&agent, &client).await);
}

#[tokio::test]
async fn only_an_active_relationship_can_be_ended() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.backend_client("HMRC-MTD-VAT").await;

    let pending = app.sent_create_ok(&agent, &client).await;
    assert_backend_error(
        app.received_deauthorise(&client, &pending).await,
        END,
        "NO_RELATIONSHIP",
    )
    .await;
    assert_no_content(app.received_reject(&client, &pending).await).await;
    assert_backend_error(
        app.received_deauthorise(&client, &pending).await,
        END,
        "NO_RELATIONSHIP",
    )
    .await;

    let cancelled = app.sent_create_ok(&agent, &client).await;
    assert_no_content(app.sent_cancel(&agent, &cancelled).await).await;
    assert_backend_error(
        app.received_deauthorise(&client, &cancelled).await,
        END,
        "NO_RELATIONSHIP",
    )
    .await;

    let expired = app.sent_create_ok(&agent, &client).await;
    assert_no_content(app.expire(&expired).await).await;
    assert_backend_error(
        app.received_deauthorise(&client, &expired).await,
        END,
        "NO_RELATIONSHIP",
    )
    .await;

    // Ended by the agent: nothing left for the client to end.
    let accepted = app.sent_create_ok(&agent, &client).await;
    app.received_accept_ok(&client, &accepted).await;
    assert_no_content(app.relationship_end(&agent, &client).await).await;
    assert_backend_error(
        app.received_deauthorise(&client, &accepted).await,
        END,
        "NO_RELATIONSHIP",
    )
    .await;
    let ended = app.sent_invitation(&agent, &accepted).await;
    assert_eq!(ended["relationshipEndedBy"], "Agent", "{ended}");

    // Displaced by another main agent: the old invitation's relationship is over.
    let first = app.sent_create_ok(&agent, &client).await;
    app.received_accept_ok(&client, &first).await;
    let other = app.create_agent().await;
    let second = app.sent_create_ok(&other, &client).await;
    app.received_accept_ok(&client, &second).await;
    assert_backend_error(
        app.received_deauthorise(&client, &first).await,
        END,
        "NO_RELATIONSHIP",
    )
    .await;
    assert!(
        app.is_related(&other, &client).await,
        "the other agent's relationship is untouched"
    );
}

// ---- the status summary ----

#[tokio::test]
async fn a_client_with_nothing_has_nothing_to_report() {
    let app = TestApp::start().await;
    for service in SERVICES {
        let client = app.backend_client(service).await;
        assert_eq!(
            status_flags(&app, &client.token).await,
            (false, false, false),
            "{service}"
        );
    }
}

#[tokio::test]
async fn a_pending_invitation_is_no_history() {
    let app = TestApp::start().await;
    let (_, client, _) = vat_fixture(&app).await;
    assert_eq!(
        status_flags(&app, &client.token).await,
        (true, false, false)
    );
}

#[tokio::test]
async fn the_status_follows_the_invitations_and_relationships() {
    let app = TestApp::start().await;
    let (agent, client, id) = vat_fixture(&app).await;
    app.received_accept_ok(&client, &id).await;
    assert_eq!(
        status_flags(&app, &client.token).await,
        (false, true, true),
        "accepted"
    );
    let again = app.sent_create_ok(&app.create_agent().await, &client).await;
    assert_eq!(
        status_flags(&app, &client.token).await,
        (true, true, true),
        "a new invitation pending"
    );
    assert_no_content(app.expire(&again).await).await;
    assert_eq!(
        status_flags(&app, &client.token).await,
        (false, true, true),
        "it expired"
    );
    assert_no_content(app.relationship_end(&agent, &client).await).await;
    assert_eq!(
        status_flags(&app, &client.token).await,
        (false, true, false),
        "deauthorised"
    );

    // A pending invitation past its expiry date is not pending.
    let (_, other, _) = vat_fixture(&app).await;
    app.advance(Duration::days(21));
    assert_eq!(
        status_flags(&app, &other.token).await,
        (false, true, false),
        "expired by the clock"
    );
}

#[tokio::test]
async fn a_partial_authorisation_is_an_existing_relationship() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.backend_alt_itsa_client("HMRC-MTD-IT").await;
    let id = app.sent_create_ok(&agent, &client).await;
    app.received_accept_ok(&client, &id).await;
    assert_eq!(status_flags(&app, &client.token).await, (false, true, true));
}

#[tokio::test]
async fn the_status_covers_every_client_enrolment() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.backend_client("HMRC-MTD-IT").await;
    let irv = ServiceClient {
        service: "PERSONAL-INCOME-RECORD",
        enrolment: "NI",
        enrolment_id: itsa.client_id.clone(),
        ..itsa.clone()
    };
    // A relationship under the MTDITID and a pending invitation under the NINO.
    let id = app.sent_create_ok(&agent, &itsa).await;
    app.received_accept_ok(&itsa, &id).await;
    app.sent_create_ok(&agent, &irv).await;
    assert_eq!(status_flags(&app, &itsa.token).await, (true, true, true));
}

#[tokio::test]
async fn a_caller_with_no_client_enrolment_is_403_not_a_client() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let unsubscribed = app.create_unsubscribed_agent().await;
    let nobody = app
        .create_backend_user("individuals", json!({"serviceNames": []}))
        .await;
    let nobody_token = string_field(&nobody, "accessToken");
    for token in [&agent.token, &unsubscribed.token, &nobody_token] {
        assert_backend_error(app.client_status(token).await, STATUS, "NOT_A_CLIENT").await;
    }
}

// ---- HMRC staff (docs/domain.md §10) ----

/// The same client's calls, made with HMRC staff's token.
async fn as_hmrc_staff(app: &TestApp, client: &ServiceClient) -> ServiceClient {
    ServiceClient {
        token: app.hmrc_staff_token().await,
        ..client.clone()
    }
}

#[tokio::test]
async fn hmrc_staff_read_a_clients_requests_across_agents_but_do_not_answer_them() {
    let app = TestApp::start().await;
    let (one, two) = (app.create_agent().await, app.create_agent().await);
    let client = app.backend_client("HMRC-MTD-VAT").await;
    let first = app.sent_create_ok(&one, &client).await;
    let second = app.sent_create_ok(&two, &client).await;
    let staff = as_hmrc_staff(&app, &client).await;

    let list = assert_json(app.received_list(&staff, "").await, StatusCode::OK).await;
    let ids: Vec<&str> = list["_embedded"]["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["invitationId"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&first.as_str()) && ids.contains(&second.as_str()),
        "{list}"
    );
    assert_json(app.received_get(&staff, &first).await, StatusCode::OK).await;
    for answer in [
        app.received_accept(&staff, &first).await,
        app.received_reject(&staff, &first).await,
    ] {
        assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(app.sent_invitation(&one, &first).await["status"], "Pending");
}

#[tokio::test]
async fn hmrc_staff_end_any_relationship_which_then_reads_ended_by_hmrc() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let (vat, other) = (
        app.backend_client("HMRC-MTD-VAT").await,
        app.backend_client("HMRC-MTD-VAT").await,
    );
    let through_client_call = app.sent_create_ok(&agent, &vat).await;
    app.received_accept_ok(&vat, &through_client_call).await;
    let through_agent_call = app.sent_create_ok(&agent, &other).await;
    app.received_accept_ok(&other, &through_agent_call).await;

    // Through the client's call, as HMRC staff.
    let staff = as_hmrc_staff(&app, &vat).await;
    assert_no_content(app.received_deauthorise(&staff, &through_client_call).await).await;
    // Through the agent's call, as HMRC staff.
    let token = app.hmrc_staff_token().await;
    let ended = app
        .backend(Method::DELETE, &other.relationship_path(&agent.arn), &token)
        .send()
        .await
        .unwrap();
    assert_no_content(ended).await;

    for id in [&through_client_call, &through_agent_call] {
        let read = app.sent_invitation(&agent, id).await;
        assert_eq!(read["status"], "Deauthorised", "{read}");
        assert_eq!(read["relationshipEndedBy"], "HMRC", "{read}");
    }
    assert!(!app.is_related(&agent, &vat).await);
    assert!(!app.is_related(&agent, &other).await);
}

#[tokio::test]
async fn vat_names_the_vrn_in_a_clients_calls_too() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.backend_client("HMRC-MTD-VAT").await;
    let id = app.sent_create_ok(&agent, &client).await;
    let path = format!(
        "{BACKEND}/clients/VAT/{}/invitations/received/{id}",
        client.client_id
    );
    let read = app
        .backend(Method::GET, &path, &client.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        assert_json(read, StatusCode::OK).await["invitationId"],
        id.as_str()
    );
}

/// `origin` says where a request was made: `agent-authorisation-api` through 1.0 or 2.0; through the backend, its
/// `Origin` header when that is short visible text, and nothing otherwise.
#[tokio::test]
async fn a_received_invitation_says_where_it_was_made() {
    let app = TestApp::start().await;
    let client = app.backend_client("HMRC-MTD-VAT").await;
    let public = app.create_agent().await;
    let public_body = json!({
        "service": ["MTD-VAT"],
        "clientType": "business",
        "clientIdType": "vrn",
        "clientId": client.client_id,
        "knownFact": client.answer["vatRegistrationDate"],
    });
    let through_public_api = app.create_invitation_ok(&public, &public_body).await;
    let mut origins = vec![(through_public_api, Some("agent-authorisation-api"))];
    for header in ["agent-invitations-frontend", "not visible text"] {
        let agent = app.create_agent().await;
        let response = app
            .backend(Method::POST, &sent_path(&agent.arn), &agent.token)
            .header("Origin", header)
            .json(&client.create_body())
            .send()
            .await
            .unwrap();
        let (headers, _) = assert_status(response, StatusCode::CREATED).await;
        let id = location(&headers).rsplit('/').next().unwrap().to_owned();
        let recorded = (header == "agent-invitations-frontend").then_some(header);
        origins.push((id, recorded));
    }
    for (id, expected) in origins {
        let read = assert_json(app.received_get(&client, &id).await, StatusCode::OK).await;
        assert_eq!(read["origin"].as_str(), expected, "{read}");
    }
}
