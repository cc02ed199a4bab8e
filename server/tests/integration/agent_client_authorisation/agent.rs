//! The backend's agent side (`openapi/agent-client-authorisation.yaml`): creating, listing, reading and cancelling
//! invitations for every service, the multi-invitation link, known facts, and the relationship check and end as
//! far as validation goes; every documented status with its exact `{code, message}`.

use crate::support::backend::*;
use crate::support::*;
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CREATE: &str = "create_sent_invitation";
const LIST: &str = "list_sent_invitations";
const GET: &str = "get_sent_invitation";
const CANCEL: &str = "cancel_sent_invitation";
const MULTI: &str = "create_multi_invitation_link";
const POSTCODE: &str = "check_known_fact_postcode";
const DOB: &str = "check_known_fact_date_of_birth";
const VAT_DATE: &str = "check_known_fact_vat_registration_date";
const CHECK: &str = "check_agent_relationship";
const END: &str = "end_agent_relationship";

/// Valid identifiers of every kind that no test user has.
const UNREGISTERED_CGT: &str = "XZCGTP999999999";
const UNREGISTERED_PPT: &str = "XZPPT0009999999";
const UNREGISTERED_URN: &str = "XZTRUST99999999";
const UNREGISTERED_UTR: &str = "2134514321";

// ---- coverage ----

/// Every answer the backend contract documents (500s only a fault can cause aside), and the test that shows it:
/// `(operation, status, example, test)`; the example is empty for a success. Tests in `backend_client.rs`,
/// `backend_journeys.rs` and `backend_races.rs` are named with their file.
const COVERED: &[(&str, u16, &str, &str)] = &[
    (CREATE, 201, "", "creates_an_invitation_for_every_service"),
    (
        CREATE,
        400,
        "CLIENT_TYPE_NOT_SUPPORTED",
        "create_validates_client_type_then_client_identifier",
    ),
    (
        CREATE,
        400,
        "CLIENT_ID_FORMAT_INVALID",
        "create_validates_client_type_then_client_identifier",
    ),
    (
        CREATE,
        400,
        "CLIENT_ID_DOES_NOT_MATCH_SERVICE",
        "create_validates_client_type_then_client_identifier",
    ),
    (
        CREATE,
        400,
        "BAD_REQUEST",
        "create_refuses_malformed_bodies_with_400_before_authentication",
    ),
    (
        CREATE,
        401,
        "UNAUTHORIZED",
        "agent_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        CREATE,
        403,
        "NOT_AN_AGENT",
        "agent_calls_by_clients_are_403_not_an_agent",
    ),
    (
        CREATE,
        403,
        "AGENT_NOT_SUBSCRIBED",
        "agent_calls_by_an_agent_without_an_agent_services_account_are_403_agent_not_subscribed",
    ),
    (
        CREATE,
        403,
        "NO_PERMISSION_ON_AGENCY",
        "agent_calls_on_another_agencys_arn_are_403_no_permission_on_agency",
    ),
    (
        CREATE,
        403,
        "CLIENT_REGISTRATION_NOT_FOUND",
        "create_refuses_clients_hmrc_has_no_record_of",
    ),
    (
        CREATE,
        403,
        "DUPLICATE_AUTHORISATION_REQUEST",
        "a_second_pending_invitation_is_a_duplicate_naming_the_first",
    ),
    (
        CREATE,
        403,
        "ALREADY_AUTHORISED",
        "create_refuses_an_agent_already_authorised",
    ),
    (
        CREATE,
        403,
        "VAT_CLIENT_INSOLVENT",
        "create_refuses_an_insolvent_vat_client",
    ),
    (
        CREATE,
        403,
        "ALREADY_BEING_PROCESSED",
        "an_identical_create_in_flight_is_already_being_processed",
    ),
    (
        CREATE,
        501,
        "SERVICE_NOT_SUPPORTED",
        "an_unknown_service_is_501_after_the_caller_and_before_the_payload",
    ),
    (
        LIST,
        200,
        "",
        "the_list_without_filters_answers_every_invitation",
    ),
    (LIST, 400, "BAD_REQUEST", "the_list_refuses_unknown_filters"),
    (
        LIST,
        401,
        "UNAUTHORIZED",
        "agent_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        LIST,
        403,
        "NOT_AN_AGENT",
        "agent_calls_by_clients_are_403_not_an_agent",
    ),
    (
        LIST,
        403,
        "AGENT_NOT_SUBSCRIBED",
        "agent_calls_by_an_agent_without_an_agent_services_account_are_403_agent_not_subscribed",
    ),
    (
        LIST,
        403,
        "NO_PERMISSION_ON_AGENCY",
        "agent_calls_on_another_agencys_arn_are_403_no_permission_on_agency",
    ),
    (GET, 200, "", "creates_an_invitation_for_every_service"),
    (
        GET,
        400,
        "BAD_REQUEST",
        "reading_an_invitation_checks_the_id_the_invitation_and_its_owner",
    ),
    (
        GET,
        401,
        "UNAUTHORIZED",
        "agent_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        GET,
        403,
        "NOT_AN_AGENT",
        "agent_calls_by_clients_are_403_not_an_agent",
    ),
    (
        GET,
        403,
        "AGENT_NOT_SUBSCRIBED",
        "agent_calls_by_an_agent_without_an_agent_services_account_are_403_agent_not_subscribed",
    ),
    (
        GET,
        403,
        "NO_PERMISSION_ON_AGENCY",
        "reading_an_invitation_checks_the_id_the_invitation_and_its_owner",
    ),
    (
        GET,
        404,
        "INVITATION_NOT_FOUND",
        "reading_an_invitation_checks_the_id_the_invitation_and_its_owner",
    ),
    (CANCEL, 204, "", "cancelling_a_pending_invitation"),
    (
        CANCEL,
        400,
        "BAD_REQUEST",
        "cancelling_checks_ownership_before_status",
    ),
    (
        CANCEL,
        401,
        "UNAUTHORIZED",
        "agent_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        CANCEL,
        403,
        "INVALID_INVITATION_STATUS",
        "only_a_pending_invitation_can_be_cancelled",
    ),
    (
        CANCEL,
        403,
        "NOT_AN_AGENT",
        "agent_calls_by_clients_are_403_not_an_agent",
    ),
    (
        CANCEL,
        403,
        "AGENT_NOT_SUBSCRIBED",
        "agent_calls_by_an_agent_without_an_agent_services_account_are_403_agent_not_subscribed",
    ),
    (
        CANCEL,
        403,
        "NO_PERMISSION_ON_AGENCY",
        "cancelling_checks_ownership_before_status",
    ),
    (
        CANCEL,
        404,
        "INVITATION_NOT_FOUND",
        "cancelling_checks_ownership_before_status",
    ),
    (
        MULTI,
        201,
        "",
        "a_link_to_several_invitations_names_the_agents_uid_and_name",
    ),
    (
        MULTI,
        400,
        "CLIENT_TYPE_NOT_SUPPORTED",
        "the_multi_invitation_link_refuses_bad_bodies_and_other_agents_invitations",
    ),
    (
        MULTI,
        400,
        "BAD_REQUEST",
        "the_multi_invitation_link_refuses_bad_bodies_and_other_agents_invitations",
    ),
    (
        MULTI,
        401,
        "UNAUTHORIZED",
        "agent_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        MULTI,
        403,
        "NOT_AN_AGENT",
        "agent_calls_by_clients_are_403_not_an_agent",
    ),
    (
        MULTI,
        403,
        "AGENT_NOT_SUBSCRIBED",
        "agent_calls_by_an_agent_without_an_agent_services_account_are_403_agent_not_subscribed",
    ),
    (
        MULTI,
        403,
        "NO_PERMISSION_ON_AGENCY",
        "agent_calls_on_another_agencys_arn_are_403_no_permission_on_agency",
    ),
    (
        MULTI,
        404,
        "INVITATION_NOT_FOUND",
        "the_multi_invitation_link_refuses_bad_bodies_and_other_agents_invitations",
    ),
    (POSTCODE, 204, "", "checking_a_postcode"),
    (
        POSTCODE,
        400,
        "CLIENT_ID_FORMAT_INVALID",
        "checking_a_postcode",
    ),
    (
        POSTCODE,
        400,
        "POSTCODE_FORMAT_INVALID",
        "checking_a_postcode",
    ),
    (
        POSTCODE,
        401,
        "UNAUTHORIZED",
        "agent_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        POSTCODE,
        403,
        "NOT_AN_AGENT",
        "agent_calls_by_clients_are_403_not_an_agent",
    ),
    (
        POSTCODE,
        403,
        "AGENT_NOT_SUBSCRIBED",
        "agent_calls_by_an_agent_without_an_agent_services_account_are_403_agent_not_subscribed",
    ),
    (
        POSTCODE,
        403,
        "POSTCODE_DOES_NOT_MATCH",
        "checking_a_postcode",
    ),
    (
        POSTCODE,
        404,
        "CLIENT_REGISTRATION_NOT_FOUND",
        "checking_a_postcode",
    ),
    (DOB, 204, "", "checking_a_date_of_birth"),
    (
        DOB,
        400,
        "CLIENT_ID_FORMAT_INVALID",
        "checking_a_date_of_birth",
    ),
    (
        DOB,
        400,
        "DATE_OF_BIRTH_FORMAT_INVALID",
        "checking_a_date_of_birth",
    ),
    (
        DOB,
        401,
        "UNAUTHORIZED",
        "agent_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        DOB,
        403,
        "NOT_AN_AGENT",
        "agent_calls_by_clients_are_403_not_an_agent",
    ),
    (
        DOB,
        403,
        "AGENT_NOT_SUBSCRIBED",
        "agent_calls_by_an_agent_without_an_agent_services_account_are_403_agent_not_subscribed",
    ),
    (
        DOB,
        403,
        "DATE_OF_BIRTH_DOES_NOT_MATCH",
        "checking_a_date_of_birth",
    ),
    (
        DOB,
        404,
        "CLIENT_REGISTRATION_NOT_FOUND",
        "checking_a_date_of_birth",
    ),
    (VAT_DATE, 204, "", "checking_a_vat_registration_date"),
    (
        VAT_DATE,
        400,
        "CLIENT_ID_FORMAT_INVALID",
        "checking_a_vat_registration_date",
    ),
    (
        VAT_DATE,
        400,
        "VAT_REG_DATE_FORMAT_INVALID",
        "checking_a_vat_registration_date",
    ),
    (
        VAT_DATE,
        401,
        "UNAUTHORIZED",
        "agent_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        VAT_DATE,
        403,
        "NOT_AN_AGENT",
        "agent_calls_by_clients_are_403_not_an_agent",
    ),
    (
        VAT_DATE,
        403,
        "AGENT_NOT_SUBSCRIBED",
        "agent_calls_by_an_agent_without_an_agent_services_account_are_403_agent_not_subscribed",
    ),
    (
        VAT_DATE,
        403,
        "VAT_REG_DATE_DOES_NOT_MATCH",
        "checking_a_vat_registration_date",
    ),
    (
        VAT_DATE,
        404,
        "CLIENT_REGISTRATION_NOT_FOUND",
        "checking_a_vat_registration_date",
    ),
    (CHECK, 204, "", "backend_journeys::journey_*"),
    (
        CHECK,
        400,
        "CLIENT_ID_FORMAT_INVALID",
        "relationship_calls_validate_the_service_then_the_client",
    ),
    (
        CHECK,
        400,
        "CLIENT_ID_DOES_NOT_MATCH_SERVICE",
        "relationship_calls_validate_the_service_then_the_client",
    ),
    (
        CHECK,
        401,
        "UNAUTHORIZED",
        "agent_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        CHECK,
        403,
        "NOT_AN_AGENT",
        "agent_calls_by_clients_are_403_not_an_agent",
    ),
    (
        CHECK,
        403,
        "AGENT_NOT_SUBSCRIBED",
        "agent_calls_by_an_agent_without_an_agent_services_account_are_403_agent_not_subscribed",
    ),
    (
        CHECK,
        403,
        "NO_PERMISSION_ON_AGENCY",
        "agent_calls_on_another_agencys_arn_are_403_no_permission_on_agency",
    ),
    (
        CHECK,
        404,
        "RELATIONSHIP_NOT_FOUND",
        "without_a_relationship_check_is_404_and_end_is_403",
    ),
    (
        CHECK,
        501,
        "SERVICE_NOT_SUPPORTED",
        "relationship_calls_validate_the_service_then_the_client",
    ),
    (END, 204, "", "backend_journeys::journey_*"),
    (
        END,
        400,
        "CLIENT_ID_FORMAT_INVALID",
        "relationship_calls_validate_the_service_then_the_client",
    ),
    (
        END,
        400,
        "CLIENT_ID_DOES_NOT_MATCH_SERVICE",
        "relationship_calls_validate_the_service_then_the_client",
    ),
    (
        END,
        401,
        "UNAUTHORIZED",
        "agent_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        END,
        403,
        "NO_RELATIONSHIP",
        "without_a_relationship_check_is_404_and_end_is_403",
    ),
    (
        END,
        403,
        "NOT_AN_AGENT",
        "agent_calls_by_clients_are_403_not_an_agent",
    ),
    (
        END,
        403,
        "AGENT_NOT_SUBSCRIBED",
        "agent_calls_by_an_agent_without_an_agent_services_account_are_403_agent_not_subscribed",
    ),
    (
        END,
        403,
        "NO_PERMISSION_ON_AGENCY",
        "agent_calls_on_another_agencys_arn_are_403_no_permission_on_agency",
    ),
    (
        END,
        501,
        "SERVICE_NOT_SUPPORTED",
        "relationship_calls_validate_the_service_then_the_client",
    ),
    (
        "list_received_invitations",
        200,
        "",
        "backend_client::a_client_of_every_service_reads_the_invitations_sent_to_it",
    ),
    (
        "list_received_invitations",
        400,
        "BAD_REQUEST",
        "backend_client::an_unknown_identifier_name_is_400",
    ),
    (
        "list_received_invitations",
        401,
        "UNAUTHORIZED",
        "backend_client::client_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        "list_received_invitations",
        403,
        "NO_PERMISSION_ON_CLIENT",
        "backend_client::only_the_holder_of_the_identifier_may_act_on_its_invitations",
    ),
    (
        "get_received_invitation",
        200,
        "",
        "backend_client::a_client_of_every_service_reads_the_invitations_sent_to_it",
    ),
    (
        "get_received_invitation",
        400,
        "BAD_REQUEST",
        "backend_client::a_malformed_invitation_id_is_400_and_an_unknown_one_404",
    ),
    (
        "get_received_invitation",
        401,
        "UNAUTHORIZED",
        "backend_client::client_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        "get_received_invitation",
        403,
        "NO_PERMISSION_ON_CLIENT",
        "backend_client::an_invitation_for_another_client_is_refused_to_a_client_acting_for_itself",
    ),
    (
        "get_received_invitation",
        404,
        "INVITATION_NOT_FOUND",
        "backend_client::a_malformed_invitation_id_is_400_and_an_unknown_one_404",
    ),
    (
        "accept_received_invitation",
        204,
        "",
        "backend_client::accepting_makes_the_agent_authorised_and_is_idempotent",
    ),
    (
        "accept_received_invitation",
        400,
        "BAD_REQUEST",
        "backend_client::a_malformed_invitation_id_is_400_and_an_unknown_one_404",
    ),
    (
        "accept_received_invitation",
        401,
        "UNAUTHORIZED",
        "backend_client::client_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        "accept_received_invitation",
        403,
        "NO_PERMISSION_ON_CLIENT",
        "backend_client::only_the_holder_of_the_identifier_may_act_on_its_invitations",
    ),
    (
        "accept_received_invitation",
        403,
        "INVALID_INVITATION_STATUS",
        "backend_client::an_invitation_that_is_not_pending_cannot_be_accepted",
    ),
    (
        "accept_received_invitation",
        404,
        "INVITATION_NOT_FOUND",
        "backend_client::a_malformed_invitation_id_is_400_and_an_unknown_one_404",
    ),
    (
        "reject_received_invitation",
        204,
        "",
        "backend_client::rejecting_creates_no_relationship_and_is_idempotent",
    ),
    (
        "reject_received_invitation",
        400,
        "BAD_REQUEST",
        "backend_client::a_malformed_invitation_id_is_400_and_an_unknown_one_404",
    ),
    (
        "reject_received_invitation",
        401,
        "UNAUTHORIZED",
        "backend_client::client_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        "reject_received_invitation",
        403,
        "NO_PERMISSION_ON_CLIENT",
        "backend_client::only_the_holder_of_the_identifier_may_act_on_its_invitations",
    ),
    (
        "reject_received_invitation",
        403,
        "INVALID_INVITATION_STATUS",
        "backend_client::an_invitation_that_is_not_pending_cannot_be_rejected",
    ),
    (
        "reject_received_invitation",
        404,
        "INVITATION_NOT_FOUND",
        "backend_client::a_malformed_invitation_id_is_400_and_an_unknown_one_404",
    ),
    (
        "end_client_relationship",
        204,
        "",
        "backend_client::the_client_ends_the_relationship_an_invitation_created",
    ),
    (
        "end_client_relationship",
        400,
        "BAD_REQUEST",
        "backend_client::a_malformed_invitation_id_is_400_and_an_unknown_one_404",
    ),
    (
        "end_client_relationship",
        401,
        "UNAUTHORIZED",
        "backend_client::client_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        "end_client_relationship",
        403,
        "NO_PERMISSION_ON_CLIENT",
        "backend_client::only_the_holder_of_the_identifier_may_act_on_its_invitations",
    ),
    (
        "end_client_relationship",
        403,
        "NO_RELATIONSHIP",
        "backend_client::only_an_active_relationship_can_be_ended",
    ),
    (
        "end_client_relationship",
        404,
        "INVITATION_NOT_FOUND",
        "backend_client::a_malformed_invitation_id_is_400_and_an_unknown_one_404",
    ),
    (
        "client_status",
        200,
        "",
        "backend_client::the_status_follows_the_invitations_and_relationships",
    ),
    (
        "client_status",
        401,
        "UNAUTHORIZED",
        "backend_client::client_calls_without_a_valid_bearer_token_are_401",
    ),
    (
        "client_status",
        403,
        "NOT_A_CLIENT",
        "backend_client::a_caller_with_no_client_enrolment_is_403_not_a_client",
    ),
    (
        "update_alt_itsa",
        201,
        "",
        "backend_journeys::an_alt_itsa_client_gives_partialauth_which_becomes_full_after_sign_up",
    ),
    (
        "update_alt_itsa",
        204,
        "",
        "backend_journeys::the_alt_itsa_update_moves_pending_invitations_to_the_mtditid",
    ),
    (
        "update_alt_itsa",
        400,
        "CLIENT_ID_FORMAT_INVALID",
        "backend_journeys::the_alt_itsa_update_validates_the_service_and_the_nino",
    ),
    (
        "update_alt_itsa",
        400,
        "BAD_REQUEST",
        "backend_journeys::the_alt_itsa_update_validates_the_service_and_the_nino",
    ),
    (
        "update_alt_itsa",
        404,
        "ALT_ITSA_NOT_FOUND",
        "backend_journeys::the_alt_itsa_update_with_nothing_to_update_is_404",
    ),
    (
        "update_alt_itsa",
        401,
        "UNAUTHORIZED",
        "backend_journeys::only_hmrc_staff_make_the_maintenance_calls_and_a_refusal_changes_nothing",
    ),
    (
        "update_alt_itsa",
        403,
        "NO_PERMISSION",
        "backend_journeys::only_hmrc_staff_make_the_maintenance_calls_and_a_refusal_changes_nothing",
    ),
    (
        "replace_urn_with_utr",
        401,
        "UNAUTHORIZED",
        "backend_journeys::only_hmrc_staff_make_the_maintenance_calls_and_a_refusal_changes_nothing",
    ),
    (
        "replace_urn_with_utr",
        403,
        "NO_PERMISSION",
        "backend_journeys::only_hmrc_staff_make_the_maintenance_calls_and_a_refusal_changes_nothing",
    ),
    (
        "replace_urn_with_utr",
        201,
        "",
        "backend_journeys::replacing_a_urn_moves_an_active_relationship_to_the_utr",
    ),
    (
        "replace_urn_with_utr",
        204,
        "",
        "backend_journeys::replacing_a_urn_whose_latest_invitation_is_neither_pending_nor_active_is_204",
    ),
    (
        "replace_urn_with_utr",
        400,
        "CLIENT_ID_FORMAT_INVALID",
        "backend_journeys::replacing_an_unknown_urn_is_404_and_malformed_identifiers_400",
    ),
    (
        "replace_urn_with_utr",
        404,
        "INVITATION_NOT_FOUND",
        "backend_journeys::replacing_an_unknown_urn_is_404_and_malformed_identifiers_400",
    ),
];

#[test]
fn every_documented_backend_answer_has_a_test() {
    let mut documented = Vec::new();
    for op in backend_operations() {
        for status in op.statuses() {
            let response = &op.spec["responses"][status.to_string()];
            if response.get("x-conformance-unreachable").is_some() {
                continue;
            }
            let all: Vec<String> = op
                .error_examples()
                .into_iter()
                .filter(|(s, _)| *s == status)
                .map(|(_, name)| name)
                .collect();
            // INVALID_TEST_SCENARIO answers only the Gov-Test-Scenario header: test_scenarios.rs proves it for
            // every operation.
            let examples: Vec<String> = all
                .iter()
                .filter(|name| *name != "INVALID_TEST_SCENARIO")
                .cloned()
                .collect();
            if all.is_empty() {
                documented.push((op.id.clone(), status, String::new()));
            }
            for example in examples {
                documented.push((op.id.clone(), status, example));
            }
        }
    }
    let mut covered: Vec<(String, u16, String)> = COVERED
        .iter()
        .map(|(op, status, example, _)| (op.to_string(), *status, example.to_string()))
        .collect();
    documented.sort();
    covered.sort();
    assert_eq!(
        covered, documented,
        "the coverage table and the contract differ"
    );
    // Every named example is one the contract documents with this status.
    for (op, status, example, _) in COVERED.iter().filter(|c| !c.2.is_empty()) {
        assert_eq!(
            backend_error(op, example).0.as_u16(),
            *status,
            "{op}/{example}"
        );
    }
}

// ---- who may call: one call of every agent operation ----

/// One well-formed call of an agent operation.
struct Call {
    op: &'static str,
    method: Method,
    path: String,
    body: Option<Value>,
    /// Whether the path names an agency (`{arn}`).
    names_agency: bool,
}

/// A call of every agent operation, for the agency `arn`, naming `id` where an invitation is needed.
fn agent_calls(arn: &str, id: &str, itsa: &ServiceClient, vat: &Organisation) -> Vec<Call> {
    let call = |op, method, path: String, body: Option<Value>| Call {
        op,
        method,
        names_agency: path.contains("/agencies/"),
        path,
        body,
    };
    let nino = itsa.client_id.clone();
    let postcode = segment(
        itsa.answer
            .pointer("/individualDetails/address/postcode")
            .and_then(Value::as_str)
            .unwrap(),
    );
    let dob = string_field(&itsa.answer["individualDetails"], "dateOfBirth");
    vec![
        call(
            CREATE,
            Method::POST,
            sent_path(arn),
            Some(itsa.create_body()),
        ),
        call(LIST, Method::GET, sent_path(arn), None),
        call(GET, Method::GET, sent_invitation_path(arn, id), None),
        call(
            CANCEL,
            Method::PUT,
            format!("{}/cancel", sent_invitation_path(arn, id)),
            None,
        ),
        call(
            MULTI,
            Method::POST,
            multi_invitations_path(arn),
            Some(json!({"clientType": "personal", "invitationIds": [id]})),
        ),
        call(
            POSTCODE,
            Method::GET,
            format!("{BACKEND}/known-facts/individuals/nino/{nino}/sa/postcode/{postcode}"),
            None,
        ),
        call(
            DOB,
            Method::GET,
            format!("{BACKEND}/known-facts/individuals/nino/{nino}/dob/{dob}"),
            None,
        ),
        call(
            VAT_DATE,
            Method::GET,
            format!(
                "{BACKEND}/known-facts/organisations/vat/{}/registration-date/{}",
                vat.vrn, vat.vat_registration_date
            ),
            None,
        ),
        call(CHECK, Method::GET, itsa.relationship_path(arn), None),
        call(END, Method::DELETE, itsa.relationship_path(arn), None),
    ]
}

struct AuthFixture {
    app: TestApp,
    agent: Agent,
    id: String,
    itsa: ServiceClient,
    vat: Organisation,
}

async fn auth_fixture() -> AuthFixture {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.backend_client("HMRC-MTD-IT").await;
    let vat = app.create_vat_client().await;
    let other = app.backend_client("HMRC-MTD-VAT").await;
    let id = app.sent_create_ok(&agent, &other).await;
    AuthFixture {
        app,
        agent,
        id,
        itsa,
        vat,
    }
}

impl AuthFixture {
    fn calls(&self, arn: &str) -> Vec<Call> {
        agent_calls(arn, &self.id, &self.itsa, &self.vat)
    }

    async fn send(&self, call: &Call, token: &str) -> reqwest::Response {
        let mut request = self.app.backend(call.method.clone(), &call.path, token);
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        request.send().await.expect("an answer")
    }
}

#[test]
fn the_call_table_covers_every_agent_operation() {
    let itsa = ServiceClient {
        service: "HMRC-MTD-IT",
        client_type: "personal",
        client_id_type: "ni",
        client_id: "AB123456C".into(),
        enrolment: "MTDITID",
        enrolment_id: "XAIT00001234567".into(),
        token: String::new(),
        answer: json!({"individualDetails": {"dateOfBirth": "1985-03-14", "address": {"postcode": "TS1 1PA"}}}),
    };
    let vat = Organisation {
        vrn: "101747696".into(),
        vat_registration_date: "2007-05-18".into(),
        token: String::new(),
        answer: Value::Null,
    };
    let mut ours: Vec<&str> = agent_calls("TARN0000001", "CS5AK7O8FPC43", &itsa, &vat)
        .iter()
        .map(|c| c.op)
        .collect();
    let agent_tags = ["Agent invitations", "Known facts", "Relationships"];
    let mut documented: Vec<String> = backend_operations()
        .into_iter()
        .filter(|op| {
            op.spec["tags"]
                .as_array()
                .is_some_and(|tags| tags.iter().any(|t| agent_tags.iter().any(|a| t == a)))
        })
        .map(|op| op.id)
        .collect();
    ours.sort();
    documented.sort();
    assert_eq!(ours, documented);
    // Each of them documents the refusals the tests below expect.
    for op in backend_operations()
        .iter()
        .filter(|op| ours.contains(&op.id.as_str()))
    {
        let examples = op.error_examples();
        for example in ["UNAUTHORIZED", "NOT_AN_AGENT", "AGENT_NOT_SUBSCRIBED"] {
            assert!(
                examples.iter().any(|(_, name)| name == example),
                "{} documents {example}",
                op.id
            );
        }
    }
}

#[tokio::test]
async fn agent_calls_without_a_valid_bearer_token_are_401() {
    let f = auth_fixture().await;
    let expired = f.app.create_agent_with_expired_token().await;
    for call in f.calls(&f.agent.arn) {
        for token in ["", "not-a-token", expired.token.as_str()] {
            let response = f.send(&call, token).await;
            assert_backend_error(response, call.op, "UNAUTHORIZED").await;
        }
        // A scheme other than Bearer is no token either.
        let mut request = f
            .app
            .bare(call.method.clone(), &call.path)
            .header("Authorization", format!("Basic {}", f.agent.token));
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        assert_backend_error(request.send().await.unwrap(), call.op, "UNAUTHORIZED").await;
    }
    // The expired agent's own ARN makes no difference.
    for call in f.calls(&expired.arn) {
        assert_backend_error(f.send(&call, &expired.token).await, call.op, "UNAUTHORIZED").await;
    }
}

#[tokio::test]
async fn agent_calls_by_clients_are_403_not_an_agent() {
    let f = auth_fixture().await;
    let organisation = f.app.create_vat_client().await;
    for call in f.calls(&f.agent.arn) {
        for token in [&f.itsa.token, &organisation.token] {
            assert_backend_error(f.send(&call, token).await, call.op, "NOT_AN_AGENT").await;
        }
    }
}

#[tokio::test]
async fn agent_calls_by_an_agent_without_an_agent_services_account_are_403_agent_not_subscribed() {
    let f = auth_fixture().await;
    let unsubscribed = f.app.create_unsubscribed_agent().await;
    for arn in [&f.agent.arn, &unsubscribed.arn] {
        for call in f.calls(arn) {
            let response = f.send(&call, &unsubscribed.token).await;
            assert_backend_error(response, call.op, "AGENT_NOT_SUBSCRIBED").await;
        }
    }
}

#[tokio::test]
async fn agent_calls_on_another_agencys_arn_are_403_no_permission_on_agency() {
    let f = auth_fixture().await;
    let other = f.app.create_agent().await;
    for call in f.calls(&f.agent.arn).into_iter().filter(|c| c.names_agency) {
        let response = f.send(&call, &other.token).await;
        assert_backend_error(response, call.op, "NO_PERMISSION_ON_AGENCY").await;
    }
    // The ARN in the path is compared, not format-checked.
    for arn in ["not-an-arn", "AARN9999999", &f.agent.arn.to_lowercase()] {
        for call in f.calls(arn).into_iter().filter(|c| c.names_agency) {
            let response = f.send(&call, &f.agent.token).await;
            assert_backend_error(response, call.op, "NO_PERMISSION_ON_AGENCY").await;
        }
    }
    // The known-fact checks name no agency: any subscribed agent may make them.
    for call in f
        .calls(&f.agent.arn)
        .into_iter()
        .filter(|c| !c.names_agency)
    {
        assert_no_content(f.send(&call, &other.token).await).await;
    }
}

#[tokio::test]
async fn no_accept_header_is_needed() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let authorization = format!("Bearer {}", agent.token);
    let request = raw::request(
        "GET",
        &format!("{}{ALL}", sent_path(&agent.arn)),
        &[("Authorization", authorization.as_bytes())],
        None,
    );
    let response = raw::send(app.addr(), request).await;
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert_eq!(response.json(), Some(json!([])));
}

// ---- creating ----

#[tokio::test]
async fn creates_an_invitation_for_every_service() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    for service in SERVICES {
        let client = app.backend_client(service).await;
        let response = app.sent_create(&agent, &client.create_body()).await;
        let (headers, text) = assert_status(response, StatusCode::CREATED).await;
        let body: Value = serde_json::from_str(&text).unwrap();
        let id = string_field(&body, "invitationId");
        assert_eq!(
            location(&headers),
            sent_invitation_path(&agent.arn, &id),
            "{service}"
        );
        assert!(
            id.starts_with(invitation_prefix(service)),
            "{service}: {id}"
        );
        assert!(
            agent_auth_server::domain::invitation_id::InvitationId::parse(&id).is_some(),
            "not a valid invitation id: {id}"
        );
        assert_sent_invitation(&app, &body, &agent, &client, &id, "Pending");
        assert_eq!(body["created"], "2026-03-02T10:00:00.000Z", "{body}");
        assert_eq!(body["lastUpdated"], "2026-03-02T10:00:00.000Z", "{body}");
        assert_eq!(body["expiryDate"], "2026-03-23", "{body}");
        // Reading it back gives the same invitation.
        assert_eq!(app.sent_invitation(&agent, &id).await, body, "{service}");
    }
}

#[tokio::test]
async fn an_mtd_it_invitation_names_the_client_by_mtditid_and_keeps_the_nino() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.backend_client("HMRC-MTD-IT").await;
    let nino = client.client_id.clone();
    // Lower case and spaces are allowed in the NINO.
    let spaced = format!(
        "{} {} {} {} {}",
        &nino[..2],
        &nino[2..4],
        &nino[4..6],
        &nino[6..8],
        &nino[8..]
    )
    .to_lowercase();
    let body = with(client.create_body(), "clientId", json!(spaced));
    let response = app.sent_create(&agent, &body).await;
    let invitation = assert_json(response, StatusCode::CREATED).await;
    assert_eq!(invitation["clientIdType"], "MTDITID");
    assert_eq!(invitation["clientId"], client.enrolment_id.as_str());
    assert_eq!(invitation["suppliedClientIdType"], "ni");
    assert_eq!(invitation["suppliedClientId"], nino.as_str());

    // A client with no MTDITID yet is invited by NINO.
    let alt = app.backend_alt_itsa_client("HMRC-MTD-IT-SUPP").await;
    let id = app.sent_create_ok(&agent, &alt).await;
    let invitation = app.sent_invitation(&agent, &id).await;
    assert_sent_invitation(&app, &invitation, &agent, &alt, &id, "Pending");
    assert_eq!(invitation["clientIdType"], "ni");
    assert_eq!(invitation["clientId"], alt.client_id.as_str());
}

#[tokio::test]
async fn create_refuses_malformed_bodies_with_400_before_authentication() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.backend_client("HMRC-MTD-VAT").await;
    let good = client.create_body();
    let bodies: Vec<String> = vec![
        "not json".into(),
        "".into(),
        "[]".into(),
        without(good.clone(), "clientType").to_string(),
        without(good.clone(), "service").to_string(),
        without(good.clone(), "clientIdType").to_string(),
        without(good.clone(), "clientId").to_string(),
        with(good.clone(), "service", json!(42)).to_string(),
        with(good.clone(), "clientId", json!(101747696)).to_string(),
    ];
    for body in &bodies {
        for token in [agent.token.as_str(), ""] {
            let response = app
                .backend(Method::POST, &sent_path(&agent.arn), token)
                .header("Content-Type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_backend_error(response, CREATE, "BAD_REQUEST").await;
        }
    }
    assert!(app.sent_list_ok(&agent, ALL).await.is_empty());
}

#[tokio::test]
async fn an_unknown_service_is_501_after_the_caller_and_before_the_payload() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.backend_client("HMRC-MTD-VAT").await;
    for service in ["HMRC-XYZ", "MTD-VAT", "MTD-IT", "hmrc-mtd-vat", ""] {
        let body = with(client.create_body(), "service", json!(service));
        assert_backend_error(
            app.sent_create(&agent, &body).await,
            CREATE,
            "SERVICE_NOT_SUPPORTED",
        )
        .await;
        // Everything else wrong too: the service is reported first.
        let everything = json!({"service": service, "clientType": "alien", "clientIdType": "x", "clientId": "x"});
        assert_backend_error(
            app.sent_create(&agent, &everything).await,
            CREATE,
            "SERVICE_NOT_SUPPORTED",
        )
        .await;
        // The caller is checked first.
        let response = app
            .backend(Method::POST, &sent_path(&agent.arn), "")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_backend_error(response, CREATE, "UNAUTHORIZED").await;
        let other = app.create_agent().await.with_path_arn(&agent.arn);
        assert_backend_error(
            app.sent_create(&other, &body).await,
            CREATE,
            "NO_PERMISSION_ON_AGENCY",
        )
        .await;
    }
}

/// Create bodies, as (service, clientType, clientIdType, clientId), whose client type the service does not take:
/// refused for that before their identifier is looked at.
const UNSUPPORTED_CLIENT_TYPES: &[(&str, &str, &str, &str)] = &[
    ("HMRC-MTD-IT", "business", "ni", "AB123456C"),
    ("HMRC-MTD-IT-SUPP", "trust", "x", "x"),
    ("HMRC-MTD-VAT", "trust", "vrn", "101747696"),
    ("PERSONAL-INCOME-RECORD", "business", "ni", "AB123456C"),
    ("HMRC-CGT-PD", "alien", "CGTPDRef", "XMCGTP123456789"),
    ("HMRC-TERS-ORG", "personal", "utr", "2134514321"),
    ("HMRC-TERSNT-ORG", "personal", "urn", "XATRUST12345678"),
    (
        "HMRC-PPT-ORG",
        "trust",
        "EtmpRegistrationNumber",
        "XAPPT0001234567",
    ),
    ("HMRC-MTD-VAT", "Business", "vrn", "101747696"),
];

/// Create bodies whose client id type does not fit the service, or whose identifier is a valid one of another kind.
const IDENTIFIERS_OF_ANOTHER_KIND: &[(&str, &str, &str, &str)] = &[
    ("HMRC-MTD-IT", "personal", "vrn", "101747696"),
    ("HMRC-MTD-IT", "personal", "MTDITID", "XAIT00001234567"),
    ("HMRC-MTD-IT", "personal", "ni", "101747696"),
    ("HMRC-MTD-VAT", "business", "ni", "AB123456C"),
    ("HMRC-MTD-VAT", "business", "vrn", "AB123456C"),
    ("PERSONAL-INCOME-RECORD", "personal", "vrn", "101747696"),
    ("HMRC-CGT-PD", "personal", "ni", "AB123456C"),
    ("HMRC-TERS-ORG", "trust", "urn", "XATRUST12345678"),
    ("HMRC-TERS-ORG", "trust", "utr", "101747696"),
    ("HMRC-TERSNT-ORG", "trust", "utr", "2134514321"),
    ("HMRC-PPT-ORG", "business", "urn", "XAPPT0001234567"),
    (
        "HMRC-PPT-ORG",
        "business",
        "EtmpRegistrationNumber",
        "101747696",
    ),
];

/// Create bodies whose identifier is otherwise malformed.
const MALFORMED_IDENTIFIERS: &[(&str, &str, &str, &str)] = &[
    ("HMRC-MTD-IT", "personal", "ni", "AB12345"),
    ("HMRC-MTD-IT-SUPP", "personal", "ni", "DA123456C"),
    ("HMRC-MTD-VAT", "business", "vrn", "12345678"),
    ("PERSONAL-INCOME-RECORD", "personal", "ni", "not a nino"),
    ("HMRC-CGT-PD", "trust", "CGTPDRef", "XMCGTP12345"),
    ("HMRC-TERS-ORG", "trust", "utr", "1134514321"),
    ("HMRC-TERSNT-ORG", "trust", "urn", "XA-TRUST"),
    (
        "HMRC-PPT-ORG",
        "business",
        "EtmpRegistrationNumber",
        "XAPPT12",
    ),
];

#[tokio::test]
async fn create_validates_client_type_then_client_identifier() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    for (cases, example) in [
        (UNSUPPORTED_CLIENT_TYPES, "CLIENT_TYPE_NOT_SUPPORTED"),
        (
            IDENTIFIERS_OF_ANOTHER_KIND,
            "CLIENT_ID_DOES_NOT_MATCH_SERVICE",
        ),
        (MALFORMED_IDENTIFIERS, "CLIENT_ID_FORMAT_INVALID"),
    ] {
        for &(service, client_type, id_type, id) in cases {
            let body = json!({"service": service, "clientType": client_type, "clientIdType": id_type, "clientId": id});
            let response = app.sent_create(&agent, &body).await;
            let what = format!("{body}");
            let (status, expected) = backend_error(CREATE, example);
            let actual = response.status();
            let text = response.text().await.unwrap();
            assert_eq!(
                (actual, serde_json::from_str::<Value>(&text).ok()),
                (status, Some(expected)),
                "{what}: {text}"
            );
        }
    }
    assert!(
        app.sent_list_ok(&agent, ALL).await.is_empty(),
        "nothing was created"
    );
}

#[tokio::test]
async fn create_refuses_clients_hmrc_has_no_record_of() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let unknown = [
        ("HMRC-MTD-IT", "personal", "ni", UNREGISTERED_NINO),
        ("HMRC-MTD-IT-SUPP", "personal", "ni", UNREGISTERED_NINO),
        ("HMRC-MTD-VAT", "business", "vrn", UNREGISTERED_VRN),
        (
            "PERSONAL-INCOME-RECORD",
            "personal",
            "ni",
            UNREGISTERED_NINO,
        ),
        ("HMRC-CGT-PD", "personal", "CGTPDRef", UNREGISTERED_CGT),
        ("HMRC-TERS-ORG", "trust", "utr", UNREGISTERED_UTR),
        ("HMRC-TERSNT-ORG", "trust", "urn", UNREGISTERED_URN),
        (
            "HMRC-PPT-ORG",
            "business",
            "EtmpRegistrationNumber",
            UNREGISTERED_PPT,
        ),
    ];
    for (service, client_type, id_type, id) in unknown {
        let body = json!({"service": service, "clientType": client_type, "clientIdType": id_type, "clientId": id});
        assert_backend_error(
            app.sent_create(&agent, &body).await,
            CREATE,
            "CLIENT_REGISTRATION_NOT_FOUND",
        )
        .await;
    }
    assert!(app.sent_list_ok(&agent, ALL).await.is_empty());
}

#[tokio::test]
async fn create_refuses_an_insolvent_vat_client() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let insolvent = app.create_insolvent_vat_client().await;
    let body = json!({"service": "HMRC-MTD-VAT", "clientType": "business", "clientIdType": "vrn", "clientId": insolvent.vrn});
    assert_backend_error(
        app.sent_create(&agent, &body).await,
        CREATE,
        "VAT_CLIENT_INSOLVENT",
    )
    .await;
    let personal = with(body, "clientType", json!("personal"));
    assert_backend_error(
        app.sent_create(&agent, &personal).await,
        CREATE,
        "VAT_CLIENT_INSOLVENT",
    )
    .await;
    assert!(app.sent_list_ok(&agent, ALL).await.is_empty());
}

#[tokio::test]
async fn a_second_pending_invitation_is_a_duplicate_naming_the_first() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    for service in SERVICES {
        let client = app.backend_client(service).await;
        let id = app.sent_create_ok(&agent, &client).await;
        let headers = assert_backend_error(
            app.sent_create(&agent, &client.create_body()).await,
            CREATE,
            "DUPLICATE_AUTHORISATION_REQUEST",
        )
        .await;
        assert_eq!(
            location(&headers),
            sent_invitation_path(&agent.arn, &id),
            "{service}"
        );
    }
    // Another agent may invite the same client.
    let other = app.create_agent().await;
    let client = app.backend_client("HMRC-MTD-VAT").await;
    app.sent_create_ok(&agent, &client).await;
    app.sent_create_ok(&other, &client).await;
}

#[tokio::test]
async fn main_and_supporting_mtd_it_invitations_block_each_other() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    for (first, second) in [
        ("HMRC-MTD-IT", "HMRC-MTD-IT-SUPP"),
        ("HMRC-MTD-IT-SUPP", "HMRC-MTD-IT"),
    ] {
        for alt in [false, true] {
            let client = if alt {
                app.backend_alt_itsa_client(first).await
            } else {
                app.backend_client(first).await
            };
            let id = app.sent_create_ok(&agent, &client).await;
            let response = app
                .sent_create(&agent, &client.for_service(second).create_body())
                .await;
            let headers =
                assert_backend_error(response, CREATE, "DUPLICATE_AUTHORISATION_REQUEST").await;
            assert_eq!(location(&headers), sent_invitation_path(&agent.arn, &id));
        }
    }
}

#[tokio::test]
async fn an_answered_cancelled_or_expired_invitation_does_not_block_a_new_one() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.backend_client("HMRC-PPT-ORG").await;
    let rejected = app.sent_create_ok(&agent, &client).await;
    assert_no_content(app.received_reject(&client, &rejected).await).await;
    app.advance(Duration::minutes(1));
    let cancelled = app.sent_create_ok(&agent, &client).await;
    assert_no_content(app.sent_cancel(&agent, &cancelled).await).await;
    app.advance(Duration::minutes(1));
    let expired = app.sent_create_ok(&agent, &client).await;
    assert_no_content(app.expire(&expired).await).await;
    app.advance(Duration::minutes(1));
    let pending = app.sent_create_ok(&agent, &client).await;
    let ids = [
        pending.as_str(),
        expired.as_str(),
        cancelled.as_str(),
        rejected.as_str(),
    ];
    assert_eq!(app.sent_ids(&agent, ALL).await, ids);
    assert_eq!(app.sent_status(&agent, &expired).await, "Expired");
}

#[tokio::test]
async fn create_refuses_an_agent_already_authorised() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    for service in SERVICES {
        let client = app.backend_client(service).await;
        let id = app.sent_create_ok(&agent, &client).await;
        app.received_accept_ok(&client, &id).await;
        assert_backend_error(
            app.sent_create(&agent, &client.create_body()).await,
            CREATE,
            "ALREADY_AUTHORISED",
        )
        .await;
        // Once the relationship ends, the agent may ask again.
        assert_no_content(app.relationship_end(&agent, &client).await).await;
        app.sent_create_ok(&agent, &client).await;
    }
    // A partial authorisation counts too.
    let alt = app.backend_alt_itsa_client("HMRC-MTD-IT").await;
    let id = app.sent_create_ok(&agent, &alt).await;
    app.received_accept_ok(&alt, &id).await;
    assert_eq!(app.sent_status(&agent, &id).await, "Partialauth");
    assert_backend_error(
        app.sent_create(&agent, &alt.create_body()).await,
        CREATE,
        "ALREADY_AUTHORISED",
    )
    .await;
    // Another agent is not authorised, and may ask.
    let other = app.create_agent().await;
    app.sent_create_ok(&other, &alt).await;
}

#[tokio::test]
async fn an_identical_create_in_flight_is_already_being_processed() {
    use diesel::sql_types::Text;
    use diesel_async::RunQueryDsl;

    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.backend_client("HMRC-MTD-VAT").await;
    // Stand in for a create in flight in another process: hold the advisory lock creates of this agent, service
    // and client take (server/src/domain/invitations.rs, `create_invitation`). If the key's shape changes there,
    // change it here.
    let key = format!(
        "create-invitation|{}|HMRC-MTD-VAT|{}",
        agent.arn, client.client_id
    );
    let mut holder = app.db_connection().await;
    diesel::sql_query("SELECT pg_advisory_lock(hashtextextended($1, 0))")
        .bind::<Text, _>(&key)
        .execute(&mut holder)
        .await
        .unwrap();
    assert_backend_error(
        app.sent_create(&agent, &client.create_body()).await,
        CREATE,
        "ALREADY_BEING_PROCESSED",
    )
    .await;
    assert!(app.sent_list_ok(&agent, ALL).await.is_empty());
    // Other clients are not held up.
    app.sent_create_ok(&agent, &app.backend_client("HMRC-MTD-VAT").await)
        .await;

    diesel::sql_query("SELECT pg_advisory_unlock(hashtextextended($1, 0))")
        .bind::<Text, _>(&key)
        .execute(&mut holder)
        .await
        .unwrap();
    app.sent_create_ok(&agent, &client).await;
}

// ---- listing ----

/// One invitation of each of three services, a minute apart; returns the clients and ids, oldest first.
async fn three_invitations(app: &TestApp, agent: &Agent) -> Vec<(ServiceClient, String)> {
    let mut out = Vec::new();
    for service in ["HMRC-MTD-VAT", "HMRC-MTD-IT", "HMRC-CGT-PD"] {
        let client = app.backend_client(service).await;
        let id = app.sent_create_ok(agent, &client).await;
        out.push((client, id));
        app.advance(Duration::minutes(1));
    }
    out
}

/// `filters` (`?a=b&…`) with a `createdOnOrAfter` every test invitation passes.
fn since_start(filters: &str) -> String {
    format!("{filters}&createdOnOrAfter=2026-03-01")
}

#[tokio::test]
async fn lists_the_agents_invitations_newest_first() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let query = "?createdOnOrAfter=2026-03-01";
    assert_eq!(
        app.sent_list_ok(&agent, query).await,
        Vec::<Value>::new(),
        "an empty array when none"
    );

    let made = three_invitations(&app, &agent).await;
    let other = app.create_agent().await;
    app.sent_create_ok(&other, &app.backend_client("HMRC-MTD-VAT").await)
        .await;

    let list = app.sent_list_ok(&agent, query).await;
    let ids: Vec<String> = list
        .iter()
        .map(|i| string_field(i, "invitationId"))
        .collect();
    assert_eq!(
        ids,
        [made[2].1.clone(), made[1].1.clone(), made[0].1.clone()],
        "newest first, only the agent's own"
    );
    for (item, (client, id)) in list.iter().zip(made.iter().rev()) {
        assert_sent_invitation(&app, item, &agent, client, id, "Pending");
        assert_eq!(*item, app.sent_invitation(&agent, id).await);
    }
}

#[tokio::test]
async fn the_list_without_filters_answers_every_invitation() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    assert_eq!(
        app.sent_list_ok(&agent, "").await,
        Vec::<Value>::new(),
        "an empty array when none"
    );
    let made = three_invitations(&app, &agent).await;
    // Invitations are never deleted, and the list is not limited to recent ones.
    app.advance(Duration::days(29));
    let ids = app.sent_ids(&agent, "").await;
    assert_eq!(
        ids,
        [made[2].1.clone(), made[1].1.clone(), made[0].1.clone()]
    );
}

#[tokio::test]
async fn the_list_filters_by_service_status_and_creation_date() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let made = three_invitations(&app, &agent).await;
    let [(vat, vat_id), (_, itsa_id), (_, cgt_id)] = <[_; 3]>::try_from(made).unwrap();
    app.received_accept_ok(&vat, &vat_id).await;
    assert_no_content(app.sent_cancel(&agent, &itsa_id).await).await;
    app.advance(Duration::days(2));
    let later = app.backend_client("HMRC-PPT-ORG").await;
    let later_id = app.sent_create_ok(&agent, &later).await;

    let by_service_or_status: Vec<(&str, Vec<&String>)> = vec![
        ("?service=HMRC-MTD-VAT", vec![&vat_id]),
        ("?service=HMRC-MTD-IT", vec![&itsa_id]),
        ("?service=HMRC-MTD-IT-SUPP", vec![]),
        ("?service=HMRC-PPT-ORG", vec![&later_id]),
        ("?status=Pending", vec![&later_id, &cgt_id]),
        ("?status=pending", vec![&later_id, &cgt_id]),
        ("?status=PENDING", vec![&later_id, &cgt_id]),
        ("?status=Accepted", vec![&vat_id]),
        ("?status=Cancelled", vec![&itsa_id]),
        ("?status=Rejected", vec![]),
        ("?status=Deauthorised", vec![]),
        ("?status=Pending&service=HMRC-CGT-PD", vec![&cgt_id]),
        ("?status=Pending&service=HMRC-MTD-VAT", vec![]),
    ];
    let by_date: Vec<(&str, Vec<&String>)> = vec![
        (
            "?createdOnOrAfter=2026-03-02",
            vec![&later_id, &cgt_id, &itsa_id, &vat_id],
        ),
        ("?createdOnOrAfter=2026-03-03", vec![&later_id]),
        ("?createdOnOrAfter=2026-03-04", vec![&later_id]),
        ("?createdOnOrAfter=2026-03-05", vec![]),
        (
            "?createdOnOrAfter=2026-03-01&status=Pending&service=HMRC-CGT-PD",
            vec![&cgt_id],
        ),
        ("?createdOnOrAfter=2026-03-04&status=Accepted", vec![]),
    ];
    let check = async |query: &str, expected: &[&String]| {
        let ids = app.sent_ids(&agent, query).await;
        let expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        assert_eq!(ids, expected, "{query}");
    };
    for (query, expected) in &by_date {
        check(query, expected).await;
    }
    for (query, expected) in &by_service_or_status {
        check(&since_start(query), expected).await;
    }
    // The same filters with no date.
    for (query, expected) in &by_service_or_status {
        check(query, expected).await;
    }
}

/// `clientIdType` with `clientId` names one client, as the agent named it or as the invitation stores it.
#[tokio::test]
async fn the_list_filters_by_client_as_named_or_as_stored() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let made = three_invitations(&app, &agent).await;
    let [(vat, vat_id), (itsa, itsa_id), (cgt, cgt_id)] = <[_; 3]>::try_from(made).unwrap();
    let (stored_type, stored_id) = itsa.stored_client_id();
    let spaced_vrn = format!("{} {}", &vat.client_id[..3], &vat.client_id[3..]);
    let cases: Vec<(String, Vec<&String>)> = vec![
        (
            format!("?clientIdType=vrn&clientId={}", vat.client_id),
            vec![&vat_id],
        ),
        (
            format!("?clientIdType=VRN&clientId={}", segment(&spaced_vrn)),
            vec![&vat_id],
        ),
        (
            format!(
                "?clientIdType=ni&clientId={}",
                itsa.client_id.to_lowercase()
            ),
            vec![&itsa_id],
        ),
        (
            format!("?clientIdType={stored_type}&clientId={stored_id}"),
            vec![&itsa_id],
        ),
        (
            format!(
                "?clientIdType=CGTPDRef&clientId={}&service=HMRC-CGT-PD",
                cgt.client_id
            ),
            vec![&cgt_id],
        ),
        (
            format!(
                "?clientIdType=CGTPDRef&clientId={}&service=HMRC-MTD-VAT",
                cgt.client_id
            ),
            vec![],
        ),
        (
            format!("?clientIdType=ni&clientId={}", vat.client_id),
            vec![],
        ),
    ];
    for (query, expected) in cases {
        let expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        assert_eq!(app.sent_ids(&agent, &query).await, expected, "{query}");
    }
}

#[tokio::test]
async fn an_expired_pending_invitation_lists_as_expired() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let made = three_invitations(&app, &agent).await;
    // Expired at once through test support...
    assert_no_content(app.expire(&made[0].1).await).await;
    assert_eq!(
        app.sent_ids(&agent, &since_start("?status=Expired")).await,
        vec![made[0].1.clone()]
    );
    assert_eq!(
        app.sent_ids(&agent, &since_start("?status=Pending")).await,
        [made[2].1.clone(), made[1].1.clone()]
    );
    let expired = &app
        .sent_list_ok(&agent, &since_start("?status=expired"))
        .await[0];
    assert_eq!(expired["invitationId"], made[0].1.as_str());
    assert_eq!(expired["status"], "Expired");
    assert!(
        expired.get("clientActionUrl").is_none(),
        "no link once expired: {expired}"
    );

    // ...and the rest when the clock passes their expiry (the start of the 21st day after the day made).
    app.advance(
        Duration::days(21) - Duration::minutes(3) - Duration::hours(10) - Duration::milliseconds(1),
    );
    assert_eq!(
        app.sent_ids(&agent, &since_start("?status=Pending"))
            .await
            .len(),
        2,
        "still pending just before midnight"
    );
    app.advance(Duration::milliseconds(1));
    assert!(
        app.sent_ids(&agent, &since_start("?status=Pending"))
            .await
            .is_empty()
    );
    let expired = app
        .sent_list_ok(&agent, &since_start("?status=Expired"))
        .await;
    assert_eq!(expired.len(), 3);
    for (item, (client, id)) in expired.iter().zip(made.iter().rev()).take(2) {
        assert_sent_invitation(&app, item, &agent, client, id, "Expired");
        assert_eq!(
            item["lastUpdated"], "2026-03-23T00:00:00.000Z",
            "it expired at midnight: {item}"
        );
    }
}

#[tokio::test]
async fn an_invitation_expired_through_test_support_reads_as_expired_now() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.backend_client("HMRC-MTD-VAT").await;
    let id = app.sent_create_ok(&agent, &client).await;
    app.advance(Duration::hours(1));
    assert_no_content(app.expire(&id).await).await;
    let invitation = app.sent_invitation(&agent, &id).await;
    // The shape of an Expired invitation; `lastUpdated` is when it changed, never before it was created.
    assert_sent_invitation(&app, &invitation, &agent, &client, &id, "Expired");
    assert_eq!(
        assert_timestamp(&invitation, "lastUpdated"),
        app.clock_now(),
        "it expired now"
    );
}

#[tokio::test]
async fn the_list_refuses_unknown_filters() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    app.sent_create_ok(&agent, &app.backend_client("HMRC-MTD-VAT").await)
        .await;
    for query in [
        "?service=HMRC-XYZ",
        "?service=MTD-VAT",
        "?service=hmrc-mtd-vat",
        "?service=",
        "?status=Done",
        "?status=",
        "?status=Pending,Accepted",
        "?createdOnOrAfter=02/03/2026",
        "?createdOnOrAfter=2026-13-01",
        "?createdOnOrAfter=2026-03-02T00:00:00Z",
        "?createdOnOrAfter=",
        "?clientIdType=vrn",
        "?clientId=101747696",
        "?clientIdType=vat&clientId=101747696",
        "?arn=TARN0000001",
        "?status=Pending&page=2",
    ] {
        assert_backend_error(app.sent_list(&agent, query).await, LIST, "BAD_REQUEST").await;
    }
}

// ---- reading one ----

#[tokio::test]
async fn reading_an_invitation_checks_the_id_the_invitation_and_its_owner() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let other = app.create_agent().await;
    let id = app
        .sent_create_ok(&agent, &app.backend_client("HMRC-TERS-ORG").await)
        .await;

    for bad in [
        "NOTANID",
        "abc",
        &id.to_lowercase(),
        &with_wrong_check(&id),
        &format!("{id}A"),
    ] {
        assert_backend_error(app.sent_get(&agent, bad).await, GET, "BAD_REQUEST").await;
    }
    assert_backend_error(
        app.sent_get(&agent, &unknown_invitation_id()).await,
        GET,
        "INVITATION_NOT_FOUND",
    )
    .await;
    assert_backend_error(
        app.sent_get(&other, &id).await,
        GET,
        "NO_PERMISSION_ON_AGENCY",
    )
    .await;
    assert_eq!(app.sent_status(&agent, &id).await, "Pending");
}

// ---- cancelling ----

#[tokio::test]
async fn cancelling_a_pending_invitation() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    for service in SERVICES {
        let client = app.backend_client(service).await;
        let id = app.sent_create_ok(&agent, &client).await;
        app.advance(Duration::hours(1));
        assert_no_content(app.sent_cancel(&agent, &id).await).await;
        let invitation = app.sent_invitation(&agent, &id).await;
        assert_sent_invitation(&app, &invitation, &agent, &client, &id, "Cancelled");
        assert_timestamp(&invitation, "lastUpdated");
        assert_eq!(
            assert_timestamp(&invitation, "lastUpdated"),
            app.clock_now(),
            "lastUpdated is when it was cancelled"
        );
        // The client can no longer answer it, and the agent has no relationship.
        assert_backend_error(
            app.received_accept(&client, &id).await,
            "accept_received_invitation",
            "INVALID_INVITATION_STATUS",
        )
        .await;
        assert!(!app.is_related(&agent, &client).await);
    }
}

#[tokio::test]
async fn only_a_pending_invitation_can_be_cancelled() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let mut ids = Vec::new();

    let client = app.backend_client("HMRC-MTD-VAT").await;
    let accepted = app.sent_create_ok(&agent, &client).await;
    app.received_accept_ok(&client, &accepted).await;
    ids.push(accepted);

    let client = app.backend_client("HMRC-MTD-VAT").await;
    let rejected = app.sent_create_ok(&agent, &client).await;
    assert_no_content(app.received_reject(&client, &rejected).await).await;
    ids.push(rejected);

    let client = app.backend_client("HMRC-MTD-VAT").await;
    let cancelled = app.sent_create_ok(&agent, &client).await;
    assert_no_content(app.sent_cancel(&agent, &cancelled).await).await;
    ids.push(cancelled);

    let client = app.backend_client("HMRC-MTD-VAT").await;
    let expired = app.sent_create_ok(&agent, &client).await;
    assert_no_content(app.expire(&expired).await).await;
    ids.push(expired);

    let client = app.backend_client("HMRC-MTD-VAT").await;
    let deauthorised = app.sent_create_ok(&agent, &client).await;
    app.received_accept_ok(&client, &deauthorised).await;
    assert_no_content(app.relationship_end(&agent, &client).await).await;
    ids.push(deauthorised);

    let alt = app.backend_alt_itsa_client("HMRC-MTD-IT").await;
    let partial = app.sent_create_ok(&agent, &alt).await;
    app.received_accept_ok(&alt, &partial).await;
    ids.push(partial);

    let before: Vec<String> = {
        let mut statuses = Vec::new();
        for id in &ids {
            statuses.push(app.sent_status(&agent, id).await);
        }
        statuses
    };
    assert_eq!(
        before,
        [
            "Accepted",
            "Rejected",
            "Cancelled",
            "Expired",
            "Deauthorised",
            "Partialauth"
        ]
    );
    for id in &ids {
        assert_backend_error(
            app.sent_cancel(&agent, id).await,
            CANCEL,
            "INVALID_INVITATION_STATUS",
        )
        .await;
    }
    for (id, status) in ids.iter().zip(&before) {
        assert_eq!(&app.sent_status(&agent, id).await, status, "unchanged");
    }

    // Expired by the clock too.
    let client = app.backend_client("HMRC-MTD-VAT").await;
    let id = app.sent_create_ok(&agent, &client).await;
    app.advance(Duration::days(21));
    assert_backend_error(
        app.sent_cancel(&agent, &id).await,
        CANCEL,
        "INVALID_INVITATION_STATUS",
    )
    .await;
    assert_eq!(app.sent_status(&agent, &id).await, "Expired");
}

#[tokio::test]
async fn cancelling_checks_ownership_before_status() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let other = app.create_agent().await;
    let client = app.backend_client("HMRC-MTD-VAT").await;
    let pending = app.sent_create_ok(&agent, &client).await;
    assert_backend_error(
        app.sent_cancel(&other, &pending).await,
        CANCEL,
        "NO_PERMISSION_ON_AGENCY",
    )
    .await;
    assert_eq!(app.sent_status(&agent, &pending).await, "Pending");
    app.received_accept_ok(&client, &pending).await;
    assert_backend_error(
        app.sent_cancel(&other, &pending).await,
        CANCEL,
        "NO_PERMISSION_ON_AGENCY",
    )
    .await;

    assert_backend_error(
        app.sent_cancel(&agent, &unknown_invitation_id()).await,
        CANCEL,
        "INVITATION_NOT_FOUND",
    )
    .await;
    for bad in [
        "NOTANID",
        &with_wrong_check(&pending),
        &pending.to_lowercase(),
    ] {
        assert_backend_error(app.sent_cancel(&agent, bad).await, CANCEL, "BAD_REQUEST").await;
    }
}

// ---- the multi-invitation link ----

#[tokio::test]
async fn a_link_to_several_invitations_names_the_agents_uid_and_name() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.backend_client("HMRC-MTD-IT").await;
    let irv = app.backend_client("PERSONAL-INCOME-RECORD").await;
    let first = app.sent_create_ok(&agent, &itsa).await;
    let second = app.sent_create_ok(&agent, &irv).await;
    let link = string_field(
        &app.sent_invitation(&agent, &first).await,
        "clientActionUrl",
    );
    let (uid, name) = assert_client_action_link(&app, &link, &agent);

    for (client_type, ids) in [
        ("personal", vec![first.clone(), second.clone()]),
        ("business", vec![second.clone()]),
        ("trust", vec![first.clone()]),
    ] {
        let response = app
            .multi_link(
                &agent,
                &json!({"clientType": client_type, "invitationIds": ids}),
            )
            .await;
        let (headers, text) = assert_status(response, StatusCode::CREATED).await;
        assert!(text.is_empty(), "no body: {text}");
        assert_eq!(
            location(&headers),
            format!("/invitations/{client_type}/{uid}/{name}")
        );
    }
    // An answered invitation is still the agent's.
    app.received_accept_ok(&itsa, &first).await;
    let response = app
        .multi_link(
            &agent,
            &json!({"clientType": "personal", "invitationIds": [first]}),
        )
        .await;
    assert_eq!(
        location(&assert_status(response, StatusCode::CREATED).await.0),
        format!("/invitations/personal/{uid}/{name}")
    );
}

#[tokio::test]
async fn the_multi_invitation_link_refuses_bad_bodies_and_other_agents_invitations() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let other = app.create_agent().await;
    let mine = app
        .sent_create_ok(&agent, &app.backend_client("HMRC-MTD-VAT").await)
        .await;
    let theirs = app
        .sent_create_ok(&other, &app.backend_client("HMRC-MTD-VAT").await)
        .await;

    for client_type in ["alien", "Personal", ""] {
        let body = json!({"clientType": client_type, "invitationIds": [mine]});
        assert_backend_error(
            app.multi_link(&agent, &body).await,
            MULTI,
            "CLIENT_TYPE_NOT_SUPPORTED",
        )
        .await;
    }
    let bad_bodies = [
        json!({"clientType": "personal", "invitationIds": []}),
        json!({"clientType": "personal", "invitationIds": ["NOTANID"]}),
        json!({"clientType": "personal", "invitationIds": [mine, with_wrong_check(&mine)]}),
        json!({"clientType": "personal"}),
        json!({"invitationIds": [mine]}),
        json!({"clientType": "personal", "invitationIds": mine}),
        json!([]),
    ];
    for body in bad_bodies {
        assert_backend_error(app.multi_link(&agent, &body).await, MULTI, "BAD_REQUEST").await;
    }
    let response = app
        .backend(
            Method::POST,
            &multi_invitations_path(&agent.arn),
            &agent.token,
        )
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_backend_error(response, MULTI, "BAD_REQUEST").await;

    for ids in [
        vec![theirs.clone()],
        vec![mine.clone(), theirs.clone()],
        vec![unknown_invitation_id()],
    ] {
        let body = json!({"clientType": "personal", "invitationIds": ids});
        assert_backend_error(
            app.multi_link(&agent, &body).await,
            MULTI,
            "INVITATION_NOT_FOUND",
        )
        .await;
    }
}

// ---- known facts ----

#[tokio::test]
async fn checking_a_postcode() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let itsa = app.create_itsa_client().await;
    let alt = app.create_alt_itsa_client().await;
    for client in [&itsa, &alt] {
        let postcode = client.postcode.clone();
        for variant in [
            postcode.clone(),
            postcode.to_lowercase(),
            postcode.replace(' ', ""),
        ] {
            assert_no_content(
                app.known_fact_postcode(&agent.token, &client.nino, &variant)
                    .await,
            )
            .await;
        }
        assert_no_content(
            app.known_fact_postcode(&agent.token, &client.nino.to_lowercase(), &postcode)
                .await,
        )
        .await;
        let response = app
            .known_fact_postcode(&agent.token, &client.nino, other_postcode(&postcode))
            .await;
        assert_backend_error(response, POSTCODE, "POSTCODE_DOES_NOT_MATCH").await;
    }
    let response = app
        .known_fact_postcode(&agent.token, UNREGISTERED_NINO, &itsa.postcode)
        .await;
    assert_backend_error(response, POSTCODE, "CLIENT_REGISTRATION_NOT_FOUND").await;
    for nino in ["AB12345", "101747696", "DA123456C"] {
        let response = app
            .known_fact_postcode(&agent.token, nino, &itsa.postcode)
            .await;
        assert_backend_error(response, POSTCODE, "CLIENT_ID_FORMAT_INVALID").await;
    }
    for postcode in ["NOTAPOSTCODE", "12345", "TS1  1PA", "2007-05-18"] {
        let response = app
            .known_fact_postcode(&agent.token, &itsa.nino, postcode)
            .await;
        assert_backend_error(response, POSTCODE, "POSTCODE_FORMAT_INVALID").await;
    }
}

#[tokio::test]
async fn checking_a_date_of_birth() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.backend_client("PERSONAL-INCOME-RECORD").await;
    let nino = client.client_id.clone();
    let dob = string_field(&client.answer["individualDetails"], "dateOfBirth");

    assert_no_content(app.known_fact_dob(&agent.token, &nino, &dob).await).await;
    assert_no_content(
        app.known_fact_dob(&agent.token, &nino.to_lowercase(), &dob)
            .await,
    )
    .await;
    assert_backend_error(
        app.known_fact_dob(&agent.token, &nino, &day_after(&dob))
            .await,
        DOB,
        "DATE_OF_BIRTH_DOES_NOT_MATCH",
    )
    .await;
    assert_backend_error(
        app.known_fact_dob(&agent.token, UNREGISTERED_NINO, &dob)
            .await,
        DOB,
        "CLIENT_REGISTRATION_NOT_FOUND",
    )
    .await;
    assert_backend_error(
        app.known_fact_dob(&agent.token, "AB12345", &dob).await,
        DOB,
        "CLIENT_ID_FORMAT_INVALID",
    )
    .await;
    let (y, m, d) = (&dob[..4], &dob[5..7], &dob[8..]);
    for bad in [
        format!("{d}/{m}/{y}"),
        format!("{d}-{m}-{y}"),
        format!("{y}{m}{d}"),
        "1985-02-30".into(),
        "yesterday".into(),
    ] {
        assert_backend_error(
            app.known_fact_dob(&agent.token, &nino, &bad).await,
            DOB,
            "DATE_OF_BIRTH_FORMAT_INVALID",
        )
        .await;
    }
}

#[tokio::test]
async fn checking_a_vat_registration_date() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let client = app.create_vat_client().await;
    let date = client.vat_registration_date.clone();

    assert_no_content(app.known_fact_vat(&agent.token, &client.vrn, &date).await).await;
    assert_backend_error(
        app.known_fact_vat(&agent.token, &client.vrn, &day_after(&date))
            .await,
        VAT_DATE,
        "VAT_REG_DATE_DOES_NOT_MATCH",
    )
    .await;
    assert_backend_error(
        app.known_fact_vat(&agent.token, UNREGISTERED_VRN, &date)
            .await,
        VAT_DATE,
        "CLIENT_REGISTRATION_NOT_FOUND",
    )
    .await;
    for vrn in ["12345678", "1234567890", "AB123456C"] {
        assert_backend_error(
            app.known_fact_vat(&agent.token, vrn, &date).await,
            VAT_DATE,
            "CLIENT_ID_FORMAT_INVALID",
        )
        .await;
    }
    let (y, m, d) = (&date[..4], &date[5..7], &date[8..]);
    for bad in [
        format!("{d}/{m}/{y}"),
        format!("{y}{m}{d}"),
        "2007-02-30".into(),
        "2007-5-18".into(),
    ] {
        assert_backend_error(
            app.known_fact_vat(&agent.token, &client.vrn, &bad).await,
            VAT_DATE,
            "VAT_REG_DATE_FORMAT_INVALID",
        )
        .await;
    }
}

// ---- checking and ending relationships: validation ----

/// An error example and the relationship paths' (service, clientIdType, clientId) refused with it.
type RefusedPaths<'a> = (&'static str, Vec<(&'static str, &'static str, &'a str)>);

/// The relationship paths refused, in the order the checks come: the service before the client. `nino` is a
/// registered client's.
fn service_then_client_cases(nino: &str) -> [RefusedPaths<'_>; 3] {
    [
        (
            "SERVICE_NOT_SUPPORTED",
            vec![
                ("HMRC-XYZ", "ni", nino),
                ("MTD-IT", "ni", nino),
                ("MTD-VAT", "x", "x"),
            ],
        ),
        (
            "CLIENT_ID_DOES_NOT_MATCH_SERVICE",
            vec![
                ("HMRC-MTD-IT", "MTDITID", "XAIT00001234567"),
                ("HMRC-MTD-IT", "vrn", "101747696"),
                ("HMRC-MTD-VAT", "ni", nino),
                ("HMRC-MTD-VAT", "vrn", nino),
                ("HMRC-TERSNT-ORG", "utr", "2134514321"),
                ("HMRC-PPT-ORG", "EtmpRegistrationNumber", "101747696"),
            ],
        ),
        (
            "CLIENT_ID_FORMAT_INVALID",
            vec![
                ("HMRC-MTD-IT-SUPP", "ni", "AB12345"),
                ("HMRC-MTD-VAT", "vrn", "12345678"),
                ("PERSONAL-INCOME-RECORD", "ni", "DA123456C"),
                ("HMRC-CGT-PD", "CGTPDRef", "XMCGTP12"),
                ("HMRC-TERS-ORG", "utr", "1134514321"),
                ("HMRC-TERSNT-ORG", "urn", "XA-TRUST"),
            ],
        ),
    ]
}

#[tokio::test]
async fn relationship_calls_validate_the_service_then_the_client() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let nino = app.create_itsa_client().await.nino;
    let mut cases = Vec::new();
    for (example, paths) in service_then_client_cases(&nino) {
        for (service, id_type, id) in paths {
            cases.push((relationship_path(&agent.arn, service, id_type, id), example));
        }
    }
    for (path, example) in &cases {
        for (method, op) in [(Method::GET, CHECK), (Method::DELETE, END)] {
            let response = app
                .backend(method, path, &agent.token)
                .send()
                .await
                .unwrap();
            assert_backend_error(response, op, example).await;
        }
    }
    // The caller comes before the service.
    let other = app.create_agent().await;
    for (method, op) in [(Method::GET, CHECK), (Method::DELETE, END)] {
        let response = app
            .backend(method.clone(), &cases[0].0, "")
            .send()
            .await
            .unwrap();
        assert_backend_error(response, op, "UNAUTHORIZED").await;
        let response = app
            .backend(method, &cases[0].0, &other.token)
            .send()
            .await
            .unwrap();
        assert_backend_error(response, op, "NO_PERMISSION_ON_AGENCY").await;
    }
}

#[tokio::test]
async fn without_a_relationship_check_is_404_and_end_is_403() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    for service in SERVICES {
        let client = app.backend_client(service).await;
        assert_backend_error(
            app.relationship_check(&agent, &client).await,
            CHECK,
            "RELATIONSHIP_NOT_FOUND",
        )
        .await;
        assert_backend_error(
            app.relationship_end(&agent, &client).await,
            END,
            "NO_RELATIONSHIP",
        )
        .await;
        // A pending invitation is no relationship.
        app.sent_create_ok(&agent, &client).await;
        assert_backend_error(
            app.relationship_check(&agent, &client).await,
            CHECK,
            "RELATIONSHIP_NOT_FOUND",
        )
        .await;
        assert_backend_error(
            app.relationship_end(&agent, &client).await,
            END,
            "NO_RELATIONSHIP",
        )
        .await;
    }
    // A client HMRC has no record of.
    let path = relationship_path(&agent.arn, "HMRC-MTD-IT", "ni", UNREGISTERED_NINO);
    let response = app
        .backend(Method::GET, &path, &agent.token)
        .send()
        .await
        .unwrap();
    assert_backend_error(response, CHECK, "RELATIONSHIP_NOT_FOUND").await;
    let response = app
        .backend(Method::DELETE, &path, &agent.token)
        .send()
        .await
        .unwrap();
    assert_backend_error(response, END, "NO_RELATIONSHIP").await;
}

/// The documentation's trust example names the trust `business`; it is made as the example shows.
#[tokio::test]
async fn the_documented_trust_example_naming_a_business_is_accepted() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    for service in ["HMRC-TERS-ORG", "HMRC-TERSNT-ORG"] {
        let trust = app.backend_client(service).await;
        let body = json!({
            "service": service,
            "clientType": "business",
            "clientIdType": trust.client_id_type,
            "clientId": trust.client_id,
        });
        let (_, text) =
            assert_status(app.sent_create(&agent, &body).await, StatusCode::CREATED).await;
        let made: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(made["clientType"], "business", "{made}");
        assert_eq!(made["service"], service, "{made}");
    }
}
