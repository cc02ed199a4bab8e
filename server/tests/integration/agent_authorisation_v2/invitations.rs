//! Authorisation requests (invitations) through the Agent Authorisation API v2.0: create, read, list, cancel,
//! validation of the payload, duplicates, expiry.

use crate::support::*;
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CREATE: &str = "create_invitation";
const GET: &str = "get_invitation";
const CANCEL: &str = "cancel_invitation";

// ---- creating and reading back ----

#[tokio::test]
async fn creates_an_mtd_it_main_request_and_reads_it_back() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    let response = app.create_invitation(&agent, &itsa_main(&client)).await;
    let headers = assert_no_content(response).await;
    let location = location(&headers);
    let id = id_from_location(&headers);
    assert_eq!(location, format!("/agents/{}/invitations/{id}", agent.arn));
    assert!(id.starts_with('A'), "an MTD-IT main id starts with A: {id}");

    let body = app.invitation(&agent, &id).await;
    assert_pending(&app, &body, &agent, &id, "MTD-IT", Some("main"));
    assert_eq!(body["_links"]["self"]["href"], location.as_str());
    assert_eq!(body["created"], "2026-03-02T10:00:00.000Z");
    assert_eq!(body["expiresOn"], "2026-03-23T00:00:00.000Z");
}

#[tokio::test]
async fn an_explicit_main_agent_type_is_the_default() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let body = with(itsa_main(&client), "agentType", json!("main"));

    let id = app.create_invitation_ok(&agent, &body).await;
    assert!(id.starts_with('A'), "{id}");
    let body = app.invitation(&agent, &id).await;
    assert_pending(&app, &body, &agent, &id, "MTD-IT", Some("main"));
}

#[tokio::test]
async fn creates_an_mtd_it_supporting_request() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    let id = app
        .create_invitation_ok(&agent, &itsa_supporting(&client))
        .await;
    assert!(
        id.starts_with('L'),
        "an MTD-IT supporting id starts with L: {id}"
    );
    let body = app.invitation(&agent, &id).await;
    assert_pending(&app, &body, &agent, &id, "MTD-IT", Some("supporting"));
}

#[tokio::test]
async fn creates_mtd_vat_requests_for_business_and_personal_clients() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let business = app.create_vat_client().await;
    let personal = app.create_vat_client().await;

    let business_id = app.create_invitation_ok(&agent, &vat(&business)).await;
    let personal_body = with(vat(&personal), "clientType", json!("personal"));
    let personal_id = app.create_invitation_ok(&agent, &personal_body).await;

    for id in [&business_id, &personal_id] {
        assert!(id.starts_with('C'), "an MTD-VAT id starts with C: {id}");
        let body = app.invitation(&agent, id).await;
        let link = assert_pending(&app, &body, &agent, id, "MTD-VAT", None);
        assert!(link.ends_with("/vat"), "{link}");
    }
}

#[tokio::test]
async fn the_service_may_be_a_plain_string() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    let itsa_id = app
        .create_invitation_ok(&agent, &with(itsa_main(&itsa), "service", json!("MTD-IT")))
        .await;
    let vat_id = app
        .create_invitation_ok(&agent, &with(vat(&vat_client), "service", json!("MTD-VAT")))
        .await;

    let body = app.invitation(&agent, &itsa_id).await;
    assert_pending(&app, &body, &agent, &itsa_id, "MTD-IT", Some("main"));
    let body = app.invitation(&agent, &vat_id).await;
    assert_pending(&app, &body, &agent, &vat_id, "MTD-VAT", None);
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

    let id = app
        .create_invitation_ok(&agent, &with(itsa_main(&client), "clientId", json!(spaced)))
        .await;

    // The same client written plainly is the same client: a duplicate of the first.
    let response = app.create_invitation(&agent, &itsa_main(&client)).await;
    let headers = assert_error(response, CREATE, "DUPLICATE_AUTHORISATION_REQUEST").await;
    assert_eq!(location(&headers), invitation_path(&agent.arn, &id));
}

#[tokio::test]
async fn the_postcode_is_compared_without_spaces_or_case() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let squashed = client.postcode.replace(' ', "").to_lowercase();

    app.create_invitation_ok(
        &agent,
        &with(itsa_main(&client), "knownFact", json!(squashed)),
    )
    .await;
}

#[tokio::test]
async fn one_agent_has_one_client_action_link_uid() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    let itsa_id = app.create_invitation_ok(&agent, &itsa_main(&itsa)).await;
    let vat_id = app.create_invitation_ok(&agent, &vat(&vat_client)).await;
    let itsa_link = assert_pending(
        &app,
        &app.invitation(&agent, &itsa_id).await,
        &agent,
        &itsa_id,
        "MTD-IT",
        Some("main"),
    );
    let vat_link = assert_pending(
        &app,
        &app.invitation(&agent, &vat_id).await,
        &agent,
        &vat_id,
        "MTD-VAT",
        None,
    );

    let uid = |link: &str| link.rsplit('/').nth(2).unwrap().to_string();
    assert_eq!(uid(&itsa_link), uid(&vat_link), "{itsa_link} vs {vat_link}");
    assert!(itsa_link.ends_with("/income-tax"), "{itsa_link}");
}

#[tokio::test]
async fn recreating_in_the_same_millisecond_gets_a_new_id() {
    // The id is a hash of (arn, client, service, time): the same inputs at the same instant collide, and a
    // collision must not surface as an error (docs/domain.md §5). The clock does not move here.
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    let first = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    assert_no_content(app.cancel_invitation(&agent, &first).await).await;
    let second = app.create_invitation_ok(&agent, &itsa_main(&client)).await;

    assert_ne!(first, second);
    assert_eq!(app.invitation_status(&agent, &first).await, "Cancelled");
    assert_eq!(app.invitation_status(&agent, &second).await, "Pending");
}

// ---- 400: the payload ----

#[tokio::test]
async fn an_unsupported_service_is_400() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    for service in [
        json!("MTD-CGT"),
        json!(["PERSONAL-INCOME-RECORD"]),
        json!("HMRC-MTD-IT"),
        json!(""),
    ] {
        let response = app
            .create_invitation(
                &agent,
                &with(itsa_main(&client), "service", service.clone()),
            )
            .await;
        assert_error(response, CREATE, "SERVICE_NOT_SUPPORTED").await;
    }
}

#[tokio::test]
async fn an_unsupported_client_type_is_400() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    let cases = [
        with(itsa_main(&itsa), "clientType", json!("trust")),
        // business is for MTD-VAT only
        with(itsa_main(&itsa), "clientType", json!("business")),
        with(vat(&vat_client), "clientType", json!("trust")),
        with(vat(&vat_client), "clientType", json!("")),
    ];
    for body in cases {
        let response = app.create_invitation(&agent, &body).await;
        assert_error(response, CREATE, "CLIENT_TYPE_NOT_SUPPORTED").await;
    }
}

#[tokio::test]
async fn a_malformed_client_id_is_400() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    let cases = [
        with(itsa_main(&itsa), "clientId", json!("AB12345")),
        with(itsa_main(&itsa), "clientId", json!("DA123456A")),
        with(itsa_main(&itsa), "clientId", json!("AB123456E")),
        with(itsa_main(&itsa), "clientId", json!("")),
        with(vat(&vat_client), "clientId", json!("12345678")),
        with(vat(&vat_client), "clientId", json!("1234567890")),
        with(vat(&vat_client), "clientId", json!("ABCDEFGHI")),
    ];
    for body in cases {
        let response = app.create_invitation(&agent, &body).await;
        assert_error(response, CREATE, "CLIENT_ID_FORMAT_INVALID").await;
    }
}

#[tokio::test]
async fn a_client_id_of_the_wrong_kind_is_400() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    let cases = [
        // a valid VRN given as a NINO for MTD-IT
        with(itsa_main(&itsa), "clientId", json!(vat_client.vrn)),
        // the vrn id type for MTD-IT
        with(itsa_main(&itsa), "clientIdType", json!("vrn")),
        with(
            with(itsa_main(&itsa), "clientIdType", json!("vrn")),
            "clientId",
            json!(vat_client.vrn),
        ),
        // the ni id type, or a NINO, for MTD-VAT
        with(
            with(vat(&vat_client), "clientIdType", json!("ni")),
            "clientId",
            json!(itsa.nino),
        ),
        with(vat(&vat_client), "clientId", json!(itsa.nino)),
    ];
    for body in cases {
        let response = app.create_invitation(&agent, &body).await;
        assert_error(response, CREATE, "CLIENT_ID_DOES_NOT_MATCH_SERVICE").await;
    }
}

#[tokio::test]
async fn a_malformed_postcode_is_400() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    for postcode in ["NOT A POSTCODE", "12345", "", "AA1 1AAA", "1AA 1AA"] {
        let response = app
            .create_invitation(
                &agent,
                &with(itsa_main(&client), "knownFact", json!(postcode)),
            )
            .await;
        assert_error(response, CREATE, "POSTCODE_FORMAT_INVALID").await;
    }
}

#[tokio::test]
async fn a_malformed_vat_registration_date_is_400() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_vat_client().await;

    for date in [
        "2007-13-01",
        "18/05/2007",
        "2007-5-18",
        "2007-02-30",
        "",
        "20070518",
    ] {
        let response = app
            .create_invitation(&agent, &with(vat(&client), "knownFact", json!(date)))
            .await;
        assert_error(response, CREATE, "VAT_REG_DATE_FORMAT_INVALID").await;
    }
}

#[tokio::test]
async fn an_unsupported_agent_type_is_400() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    let cases = [
        with(itsa_main(&itsa), "agentType", json!("other")),
        with(itsa_main(&itsa), "agentType", json!("")),
        // agentType is for MTD-IT only
        with(vat(&vat_client), "agentType", json!("main")),
        with(vat(&vat_client), "agentType", json!("supporting")),
    ];
    for body in cases {
        let response = app.create_invitation(&agent, &body).await;
        assert_error(response, CREATE, "AGENT_TYPE_NOT_SUPPORTED").await;
    }
}

#[tokio::test]
async fn payload_checks_come_in_the_documented_order() {
    // docs/domain.md §6, step 4: service → agentType → clientType → client id → known fact format → (403) client record.
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let all_bad = json!({
        "service": ["MTD-CGT"],
        "agentType": "other",
        "clientType": "trust",
        "clientIdType": "ni",
        "clientId": "AB12345",
        "knownFact": "NOT A POSTCODE",
    });
    let cases = [
        (all_bad.clone(), "SERVICE_NOT_SUPPORTED"),
        (
            with(all_bad.clone(), "service", json!(["MTD-IT"])),
            "AGENT_TYPE_NOT_SUPPORTED",
        ),
        (
            without(
                with(all_bad.clone(), "service", json!(["MTD-IT"])),
                "agentType",
            ),
            "CLIENT_TYPE_NOT_SUPPORTED",
        ),
        (
            json!({"service": ["MTD-IT"], "clientType": "personal", "clientIdType": "ni", "clientId": "AB12345",
                   "knownFact": "NOT A POSTCODE"}),
            "CLIENT_ID_FORMAT_INVALID",
        ),
        (
            json!({"service": ["MTD-IT"], "clientType": "personal", "clientIdType": "ni",
                   "clientId": UNREGISTERED_NINO, "knownFact": "NOT A POSTCODE"}),
            "POSTCODE_FORMAT_INVALID",
        ),
        (
            json!({"service": ["MTD-IT"], "clientType": "personal", "clientIdType": "ni",
                   "clientId": UNREGISTERED_NINO, "knownFact": client.postcode}),
            "CLIENT_REGISTRATION_NOT_FOUND",
        ),
    ];
    for (body, example) in cases {
        let response = app.create_invitation(&agent, &body).await;
        assert_error(response, CREATE, example).await;
    }
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_is_400_bad_request() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let good = itsa_main(&client);

    let mut bodies: Vec<(String, String)> = vec![
        ("invalid JSON".into(), "{\"service\": [\"MTD-IT\"],".into()),
        ("empty body".into(), String::new()),
        ("null".into(), "null".into()),
        ("an array".into(), format!("[{good}]")),
        ("a string".into(), "\"MTD-IT\"".into()),
        (
            "two services".into(),
            with(good.clone(), "service", json!(["MTD-IT", "MTD-VAT"])).to_string(),
        ),
        (
            "no service".into(),
            with(good.clone(), "service", json!([])).to_string(),
        ),
        (
            "service null".into(),
            with(good.clone(), "service", Value::Null).to_string(),
        ),
        (
            "service a number".into(),
            with(good.clone(), "service", json!(1)).to_string(),
        ),
        (
            "service an object".into(),
            with(good.clone(), "service", json!({"MTD-IT": true})).to_string(),
        ),
        (
            "clientId a number".into(),
            with(good.clone(), "clientId", json!(123456789)).to_string(),
        ),
        (
            "knownFact a number".into(),
            with(good.clone(), "knownFact", json!(11)).to_string(),
        ),
        (
            "agentType a boolean".into(),
            with(good.clone(), "agentType", json!(true)).to_string(),
        ),
        (
            "clientType null".into(),
            with(good.clone(), "clientType", Value::Null).to_string(),
        ),
    ];
    for field in [
        "service",
        "clientType",
        "clientIdType",
        "clientId",
        "knownFact",
    ] {
        bodies.push((
            format!("no {field}"),
            without(good.clone(), field).to_string(),
        ));
    }
    for (label, body) in bodies {
        let response = app
            .v2(Method::POST, &invitations_path(&agent.arn), &agent.token)
            .header("content-type", "application/json")
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

// ---- 403: the client's record ----

#[tokio::test]
async fn an_unknown_client_is_403_client_registration_not_found() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    let cases = [
        with(itsa_main(&itsa), "clientId", json!(UNREGISTERED_NINO)),
        with(itsa_supporting(&itsa), "clientId", json!(UNREGISTERED_NINO)),
        with(vat(&vat_client), "clientId", json!(UNREGISTERED_VRN)),
    ];
    for body in cases {
        let response = app.create_invitation(&agent, &body).await;
        assert_error(response, CREATE, "CLIENT_REGISTRATION_NOT_FOUND").await;
    }
}

#[tokio::test]
async fn a_different_postcode_is_403() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let alt = app.create_alt_itsa_client().await;

    for body in [
        itsa_main(&client),
        itsa_supporting(&client),
        itsa_main(&alt),
    ] {
        let postcode = body["knownFact"].as_str().unwrap().to_string();
        let body = with(body, "knownFact", json!(other_postcode(&postcode)));
        let response = app.create_invitation(&agent, &body).await;
        assert_error(response, CREATE, "POSTCODE_DOES_NOT_MATCH").await;
    }
}

#[tokio::test]
async fn a_different_vat_registration_date_is_403() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_vat_client().await;

    let body = with(
        vat(&client),
        "knownFact",
        json!(day_after(&client.vat_registration_date)),
    );
    let response = app.create_invitation(&agent, &body).await;
    assert_error(response, CREATE, "VAT_REG_DATE_DOES_NOT_MATCH").await;
}

#[tokio::test]
async fn an_insolvent_vat_client_is_403() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_insolvent_vat_client().await;

    let response = app.create_invitation(&agent, &vat(&client)).await;
    assert_error(response, CREATE, "VAT_CLIENT_INSOLVENT").await;
    assert_no_content(app.list_invitations(&agent).await).await;
}

// ---- 403: duplicates and existing relationships ----

#[tokio::test]
async fn a_second_pending_request_is_a_duplicate_naming_the_first() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    for body in [itsa_main(&itsa), vat(&vat_client)] {
        let id = app.create_invitation_ok(&agent, &body).await;
        app.advance(Duration::minutes(1));
        let response = app.create_invitation(&agent, &body).await;
        let headers = assert_error(response, CREATE, "DUPLICATE_AUTHORISATION_REQUEST").await;
        assert_eq!(location(&headers), invitation_path(&agent.arn, &id));
    }
    assert_eq!(app.invitation_list(&agent).await.len(), 2);
}

#[tokio::test]
async fn main_and_supporting_requests_block_each_other_while_pending() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    // main first, then supporting
    let main = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    let response = app
        .create_invitation(&agent, &itsa_supporting(&client))
        .await;
    let headers = assert_error(response, CREATE, "DUPLICATE_AUTHORISATION_REQUEST").await;
    assert_eq!(location(&headers), invitation_path(&agent.arn, &main));

    // once main is cancelled, supporting can be created; then it blocks main
    assert_no_content(app.cancel_invitation(&agent, &main).await).await;
    let supporting = app
        .create_invitation_ok(&agent, &itsa_supporting(&client))
        .await;
    let response = app.create_invitation(&agent, &itsa_main(&client)).await;
    let headers = assert_error(response, CREATE, "DUPLICATE_AUTHORISATION_REQUEST").await;
    assert_eq!(location(&headers), invitation_path(&agent.arn, &supporting));

    assert_no_content(app.cancel_invitation(&agent, &supporting).await).await;
    app.create_invitation_ok(&agent, &itsa_main(&client)).await;
}

#[tokio::test]
async fn different_agents_may_each_ask_the_same_client() {
    let app = TestApp::start().await;
    let first = app.create_agent().await;
    let second = app.create_agent().await;
    let client = app.create_itsa_client().await;

    app.create_invitation_ok(&first, &itsa_main(&client)).await;
    app.create_invitation_ok(&second, &itsa_main(&client)).await;
}

#[tokio::test]
async fn a_request_after_acceptance_is_403_already_authorised() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let supported = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    for body in [
        itsa_main(&itsa),
        itsa_supporting(&supported),
        vat(&vat_client),
    ] {
        let id = app.create_invitation_ok(&agent, &body).await;
        app.accept_ok(&id).await;
        app.advance(Duration::minutes(1));
        let response = app.create_invitation(&agent, &body).await;
        assert_error(response, CREATE, "ALREADY_AUTHORISED").await;
    }
}

#[tokio::test]
async fn a_request_after_partial_authorisation_is_403_already_authorised() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_alt_itsa_client().await;

    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    app.accept_ok(&id).await;
    let body = app.invitation(&agent, &id).await;
    assert_not_pending(&body, &agent, &id, "MTD-IT", Some("main"), "Partialauth");

    app.advance(Duration::minutes(1));
    let response = app.create_invitation(&agent, &itsa_main(&client)).await;
    assert_error(response, CREATE, "ALREADY_AUTHORISED").await;
}

#[tokio::test]
async fn a_rejected_request_can_be_asked_again() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    let first = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    assert_no_content(app.reject(&first).await).await;
    app.advance(Duration::minutes(1));
    let second = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    assert_ne!(first, second);
}

// ---- the client answers ----

#[tokio::test]
async fn an_accepted_request_has_updated_and_no_link() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    let main = app.create_invitation_ok(&agent, &itsa_main(&itsa)).await;
    let vat_id = app.create_invitation_ok(&agent, &vat(&vat_client)).await;
    app.advance(Duration::hours(2));
    app.accept_ok(&main).await;
    app.accept_ok(&vat_id).await;

    let body = app.invitation(&agent, &main).await;
    assert_not_pending(&body, &agent, &main, "MTD-IT", Some("main"), "Accepted");
    assert_eq!(body["created"], "2026-03-02T10:00:00.000Z");
    assert_eq!(body["updated"], "2026-03-02T12:00:00.000Z");
    let body = app.invitation(&agent, &vat_id).await;
    assert_not_pending(&body, &agent, &vat_id, "MTD-VAT", None, "Accepted");
}

#[tokio::test]
async fn a_rejected_request_reads_rejected() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    let id = app
        .create_invitation_ok(&agent, &itsa_supporting(&client))
        .await;
    assert_no_content(app.reject(&id).await).await;
    let body = app.invitation(&agent, &id).await;
    assert_not_pending(&body, &agent, &id, "MTD-IT", Some("supporting"), "Rejected");
}

// ---- expiry ----

#[tokio::test]
async fn a_pending_request_expires_after_21_days() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;

    app.advance(Duration::days(20));
    let body = app.invitation(&agent, &id).await;
    assert_pending(&app, &body, &agent, &id, "MTD-IT", Some("main"));

    app.advance(Duration::days(1));
    let body = app.invitation(&agent, &id).await;
    assert_not_pending(&body, &agent, &id, "MTD-IT", Some("main"), "Expired");
    let list = app.invitation_list(&agent).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["status"], "Expired");
    assert_eq!(list[0]["invitationId"], id.as_str());

    let response = app.cancel_invitation(&agent, &id).await;
    assert_error(response, CANCEL, "INVALID_INVITATION_STATUS").await;

    // An expired request does not block a new one.
    let again = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    assert_ne!(again, id);
    let body = app.invitation(&agent, &again).await;
    assert_pending(&app, &body, &agent, &again, "MTD-IT", Some("main"));
    assert_eq!(body["created"], "2026-03-23T10:00:00.000Z");
    assert_eq!(body["expiresOn"], "2026-04-13T00:00:00.000Z");
}

#[tokio::test]
async fn an_expired_request_cannot_be_answered() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_vat_client().await;
    let id = app.create_invitation_ok(&agent, &vat(&client)).await;

    app.advance(Duration::days(22));
    assert_error(
        app.accept(&id).await,
        "accept_invitation",
        "INVALID_INVITATION_STATUS",
    )
    .await;
    assert_error(
        app.reject(&id).await,
        "reject_invitation",
        "INVALID_INVITATION_STATUS",
    )
    .await;
    assert_eq!(app.invitation_status(&agent, &id).await, "Expired");
}

// ---- list ----

#[tokio::test]
async fn an_empty_list_is_204_with_no_body() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    assert_no_content(app.list_invitations(&agent).await).await;
}

#[tokio::test]
async fn the_list_is_newest_first_with_every_status() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let other_agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let supported = app.create_itsa_client().await;
    let vat_client = app.create_vat_client().await;

    let main = app.create_invitation_ok(&agent, &itsa_main(&itsa)).await;
    app.advance(Duration::minutes(1));
    let supporting = app
        .create_invitation_ok(&agent, &itsa_supporting(&supported))
        .await;
    app.advance(Duration::minutes(1));
    let vat_id = app.create_invitation_ok(&agent, &vat(&vat_client)).await;
    app.advance(Duration::minutes(1));
    // another agent's request is not in this agent's list
    app.create_invitation_ok(&other_agent, &vat(&vat_client))
        .await;
    app.accept_ok(&main).await;
    assert_no_content(app.cancel_invitation(&agent, &supporting).await).await;

    let list = app.invitation_list(&agent).await;
    let ids: Vec<&str> = list
        .iter()
        .map(|i| i["invitationId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [vat_id.as_str(), supporting.as_str(), main.as_str()]);
    assert_pending(&app, &list[0], &agent, &vat_id, "MTD-VAT", None);
    assert_not_pending(
        &list[1],
        &agent,
        &supporting,
        "MTD-IT",
        Some("supporting"),
        "Cancelled",
    );
    assert_not_pending(&list[2], &agent, &main, "MTD-IT", Some("main"), "Accepted");
    // each element is what GET answers
    for item in &list {
        let id = item["invitationId"].as_str().unwrap();
        assert_eq!(&app.invitation(&agent, id).await, item);
    }
}

#[tokio::test]
async fn requests_older_than_30_days_are_not_listed() {
    // The agent's token must outlive the 31 days this test moves through.
    let app = TestApp::start_with(|settings| settings.token_lifetime = Duration::days(365)).await;
    let agent = app.create_agent().await;
    let old_client = app.create_itsa_client().await;
    let new_client = app.create_itsa_client().await;

    let old = app
        .create_invitation_ok(&agent, &itsa_main(&old_client))
        .await;
    app.advance(Duration::days(29));
    let recent = app
        .create_invitation_ok(&agent, &itsa_main(&new_client))
        .await;
    let ids = |list: Vec<Value>| -> Vec<String> {
        list.iter()
            .map(|i| i["invitationId"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(app.invitation_list(&agent).await),
        [recent.clone(), old.clone()]
    );

    app.advance(Duration::days(2));
    assert_eq!(ids(app.invitation_list(&agent).await), [recent]);
    // Nothing is deleted: the old request can still be read.
    assert_eq!(app.invitation_status(&agent, &old).await, "Expired");

    app.advance(Duration::days(29));
    assert_no_content(app.list_invitations(&agent).await).await;
}

// ---- get ----

#[tokio::test]
async fn getting_an_unknown_request_is_404() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let response = app.get_invitation(&agent, &unknown_invitation_id()).await;
    assert_error(response, GET, "INVITATION_NOT_FOUND").await;
}

#[tokio::test]
async fn a_malformed_invitation_id_is_400() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let real = app.create_invitation_ok(&agent, &itsa_main(&client)).await;

    let malformed = [
        "INVALID".to_string(),
        with_wrong_check(&real),
        real.to_lowercase(),
        real[..12].to_string(),
        format!("{real}A"),
        // a prefix letter no service has
        format!("Z{}", &real[1..]),
        "A".repeat(13),
    ];
    for id in malformed {
        assert_error(app.get_invitation(&agent, &id).await, GET, "BAD_REQUEST").await;
        assert_error(
            app.cancel_invitation(&agent, &id).await,
            CANCEL,
            "BAD_REQUEST",
        )
        .await;
    }
    assert_eq!(app.invitation_status(&agent, &real).await, "Pending");
}

#[tokio::test]
async fn another_agents_request_is_403_no_permission() {
    let app = TestApp::start().await;
    let owner = app.create_agent().await;
    let other = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let id = app.create_invitation_ok(&owner, &itsa_main(&client)).await;

    // The path names the caller's own ARN; the request belongs to another agent.
    assert_error(
        app.get_invitation(&other, &id).await,
        GET,
        "NO_PERMISSION_ON_AGENCY",
    )
    .await;
    assert_error(
        app.cancel_invitation(&other, &id).await,
        CANCEL,
        "NO_PERMISSION_ON_AGENCY",
    )
    .await;
    // ... even once it is no longer pending: ownership is checked before status.
    app.accept_ok(&id).await;
    assert_error(
        app.cancel_invitation(&other, &id).await,
        CANCEL,
        "NO_PERMISSION_ON_AGENCY",
    )
    .await;
    assert_eq!(app.invitation_status(&owner, &id).await, "Accepted");
}

// ---- cancel ----

#[tokio::test]
async fn cancelling_a_pending_request() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;

    app.advance(Duration::minutes(5));
    assert_no_content(app.cancel_invitation(&agent, &id).await).await;
    let body = app.invitation(&agent, &id).await;
    assert_not_pending(&body, &agent, &id, "MTD-IT", Some("main"), "Cancelled");
    assert_eq!(body["updated"], "2026-03-02T10:05:00.000Z");

    let response = app.cancel_invitation(&agent, &id).await;
    assert_error(response, CANCEL, "INVALID_INVITATION_STATUS").await;
    // the client can no longer answer it
    assert_error(
        app.accept(&id).await,
        "accept_invitation",
        "INVALID_INVITATION_STATUS",
    )
    .await;
}

#[tokio::test]
async fn an_answered_request_cannot_be_cancelled() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let accepted_client = app.create_itsa_client().await;
    let rejected_client = app.create_vat_client().await;

    let accepted = app
        .create_invitation_ok(&agent, &itsa_main(&accepted_client))
        .await;
    let rejected = app
        .create_invitation_ok(&agent, &vat(&rejected_client))
        .await;
    app.accept_ok(&accepted).await;
    assert_no_content(app.reject(&rejected).await).await;

    for id in [&accepted, &rejected] {
        let response = app.cancel_invitation(&agent, id).await;
        assert_error(response, CANCEL, "INVALID_INVITATION_STATUS").await;
    }
    assert_eq!(app.invitation_status(&agent, &accepted).await, "Accepted");
    assert_eq!(app.invitation_status(&agent, &rejected).await, "Rejected");
}

#[tokio::test]
async fn cancelling_an_unknown_request_is_404() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let response = app
        .cancel_invitation(&agent, &unknown_invitation_id())
        .await;
    assert_error(response, CANCEL, "INVITATION_NOT_FOUND").await;
}

// ---- settings ----

#[tokio::test]
async fn the_lifetime_and_public_base_url_are_configurable() {
    let app = TestApp::start_with(|settings| {
        settings.invitation_lifetime_days = 7;
        settings.public_base_url = Some("https://agents.example.com".to_string());
    })
    .await;
    let agent = app.create_agent().await;
    let client = app.create_vat_client().await;
    let id = app.create_invitation_ok(&agent, &vat(&client)).await;

    let body = app.invitation(&agent, &id).await;
    assert_eq!(body["expiresOn"], "2026-03-09T00:00:00.000Z");
    let link = string_field(&body, "clientActionUrl");
    let prefix = "https://agents.example.com/appoint-someone-to-deal-with-HMRC-for-you/";
    assert!(link.starts_with(prefix), "{link}");
    assert!(
        link.ends_with(&format!(
            "/{}/vat",
            normalised_agency_name(&agent.agency_name)
        )),
        "{link}"
    );

    app.advance(Duration::days(7));
    assert_eq!(app.invitation_status(&agent, &id).await, "Expired");
}

#[tokio::test]
async fn a_body_over_the_limit_is_400_bad_request() {
    let app = TestApp::start_with(|settings| settings.request_body_limit = 1024).await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;

    // The contract's only answer for an unreadable body is 400 BAD_REQUEST.
    let padded = with(itsa_main(&client), "padding", json!("x".repeat(2048)));
    let response = app.create_invitation(&agent, &padded).await;
    assert_error(response, CREATE, "BAD_REQUEST").await;
    // Under the limit, unknown fields are ignored.
    let small = with(itsa_main(&client), "padding", json!("x".repeat(100)));
    app.create_invitation_ok(&agent, &small).await;
}

#[tokio::test]
async fn expiry_happens_at_midnight_starting_the_expiry_date() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    let body = app.invitation(&agent, &id).await;
    assert_eq!(body["expiresOn"], "2026-03-23T00:00:00.000Z");

    // 2026-03-22T23:59:59.999Z: still pending
    app.advance(Duration::days(20) + Duration::hours(14) - Duration::milliseconds(1));
    assert_eq!(app.invitation_status(&agent, &id).await, "Pending");
    // 2026-03-23T00:00:00.001Z: expired
    app.advance(Duration::milliseconds(2));
    assert_eq!(app.invitation_status(&agent, &id).await, "Expired");
}

#[tokio::test]
async fn a_failed_create_does_not_block_the_next_one() {
    // The in-flight marker of a create (ALREADY_BEING_PROCESSED) must be released whatever the answer.
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let wrong_postcode = with(
        itsa_main(&client),
        "knownFact",
        json!(other_postcode(&client.postcode)),
    );

    let response = app.create_invitation(&agent, &wrong_postcode).await;
    assert_error(response, CREATE, "POSTCODE_DOES_NOT_MATCH").await;
    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
    let response = app.create_invitation(&agent, &itsa_main(&client)).await;
    let headers = assert_error(response, CREATE, "DUPLICATE_AUTHORISATION_REQUEST").await;
    assert_eq!(location(&headers), invitation_path(&agent.arn, &id));
    app.accept_ok(&id).await;
    let response = app.create_invitation(&agent, &itsa_main(&client)).await;
    assert_error(response, CREATE, "ALREADY_AUTHORISED").await;
    assert_no_content(
        app.deauthorise(&agent, &deauth_body(&itsa_main(&client)))
            .await,
    )
    .await;
    app.create_invitation_ok(&agent, &itsa_main(&client)).await;
}

#[tokio::test]
async fn an_individual_can_be_a_personal_vat_client() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let response = app
        .bare(Method::POST, "/create-test-user/individuals")
        .json(&json!({"serviceNames": ["national-insurance", "mtd-vat"]}))
        .send()
        .await
        .unwrap();
    let individual = assert_json(response, StatusCode::CREATED).await;
    let body = json!({
        "service": ["MTD-VAT"],
        "clientType": "personal",
        "clientIdType": "vrn",
        "clientId": string_field(&individual, "vrn"),
        "knownFact": string_field(&individual, "vatRegistrationDate"),
    });

    let id = app.create_invitation_ok(&agent, &body).await;
    app.accept_ok(&id).await;
    assert_no_content(app.check_relationship(&agent, &check_body(&body)).await).await;
}

// ---- identifiers as HMRC's service reads them (docs/domain.md §4) ----

/// The same NINO with another suffix letter.
fn other_suffix(nino: &str) -> String {
    let suffix = if nino.ends_with('A') { 'C' } else { 'A' };
    format!("{}{suffix}", &nino[..8])
}

#[tokio::test]
async fn a_ninos_suffix_does_not_identify_the_person() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;

    // The same person under another suffix: a duplicate naming the pending request.
    let again = with(
        itsa_main(&client),
        "clientId",
        json!(other_suffix(&client.nino)),
    );
    let headers = assert_error(
        app.create_invitation(&agent, &again).await,
        "create_invitation",
        "DUPLICATE_AUTHORISATION_REQUEST",
    )
    .await;
    assert_eq!(location(&headers), invitation_path(&agent.arn, &id));

    // Once accepted, the relationship is found and ended under either suffix.
    app.accept_ok(&id).await;
    assert_no_content(app.check_relationship(&agent, &check_body(&again)).await).await;
    assert_no_content(app.deauthorise(&agent, &deauth_body(&again)).await).await;
    assert_eq!(app.invitation_status(&agent, &id).await, "Deauthorised");
}

#[tokio::test]
async fn spaces_anywhere_in_a_nino_or_vrn_are_removed_and_other_whitespace_is_malformed() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let (itsa, vat) = (
        app.create_itsa_client().await,
        app.create_vat_client().await,
    );

    let spaced_vrn = format!("{} {} {}", &vat.vrn[..3], &vat.vrn[3..6], &vat.vrn[6..]);
    let id = app
        .create_invitation_ok(
            &agent,
            &with(crate::support::vat(&vat), "clientId", json!(spaced_vrn)),
        )
        .await;
    assert_eq!(app.invitation(&agent, &id).await["status"], "Pending");
    let spaced_nino = format!(" {} {} ", &itsa.nino[..2], &itsa.nino[2..]);
    app.create_invitation_ok(
        &agent,
        &with(itsa_main(&itsa), "clientId", json!(spaced_nino)),
    )
    .await;

    let other = app.create_itsa_client().await;
    for malformed in [
        format!("{}\t{}", &other.nino[..2], &other.nino[2..]),
        format!("{}\n", other.nino),
    ] {
        assert_error(
            app.create_invitation(
                &agent,
                &with(itsa_main(&other), "clientId", json!(malformed)),
            )
            .await,
            "create_invitation",
            "CLIENT_ID_FORMAT_INVALID",
        )
        .await;
    }
    let other_vat = app.create_vat_client().await;
    let tabbed = format!("{}\t", other_vat.vrn);
    assert_error(
        app.create_invitation(
            &agent,
            &with(crate::support::vat(&other_vat), "clientId", json!(tabbed)),
        )
        .await,
        "create_invitation",
        "CLIENT_ID_FORMAT_INVALID",
    )
    .await;
}
