//! Scenarios of the rules that cut across contracts (docs/domain.md): the same requests behind every surface
//! ([`versions`]), the order of checks ([`order`]), identifiers ([`identifiers`]), errors ([`errors`]), the
//! client action link ([`links`]), the lifecycle ([`lifecycle`]), relationships ([`relationships`]) and time
//! ([`time`]). Each names the ledger entries it checks and the rules (`rule/R-…`) it proves.

pub mod errors;
pub mod identifiers;
pub mod lifecycle;
pub mod links;
pub mod order;
pub mod relationships;
pub mod time;
pub mod versions;

use crate::harness::Scenario;

/// These scenarios, in the order they are reported.
pub fn scenarios() -> Vec<Scenario> {
    [
        version_scenarios(),
        order_scenarios(),
        identifier_scenarios(),
        error_and_link_scenarios(),
        lifecycle_scenarios(),
        relationship_scenarios(),
        time_scenarios(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn version_scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "across: a request made in one version is read and cancelled in the other",
            &[
                "create_agency_invitation_v1/204",
                "get_invitation/200",
                "cancel_invitation/204",
                "get_agency_invitation_v1/200",
                "create_invitation/204",
                "cancel_invitation_v1/204",
                "get_sent_invitation/200",
                "rule/R-SURFACE-SHARED",
            ],
            versions::made_in_one_version_used_in_the_other,
        ),
        Scenario::new(
            "across: what a surface does not show",
            &[
                "get_agency_invitation_v1/404/INVITATION_NOT_FOUND",
                "create_agency_invitation_v1/403/DUPLICATE_AUTHORISATION_REQUEST",
                "get_invitation/404/INVITATION_NOT_FOUND",
                "cancel_invitation/404/INVITATION_NOT_FOUND",
                "rule/R-INVID-OTHER-SERVICE",
                "rule/R-DUPLICATE-PENDING",
            ],
            versions::what_a_surface_does_not_show,
        ),
        Scenario::new(
            "across: each path serves its own versions",
            &[
                "deauthorise_client/400/BAD_REQUEST_VERSION",
                "create_agency_invitation_v1/400/BAD_REQUEST_VERSION",
                "get_agency_invitation_v1/400/BAD_REQUEST_VERSION",
                "rule/R-SURFACE-VERSION-BY-ACCEPT",
                "rule/R-SURFACE-V1-AGENCIES",
            ],
            versions::each_path_serves_its_versions,
        ),
    ]
}

fn order_scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "across: Accept in any case",
            &["get_invitation/200", "rule/R-ACCEPT-CASE"],
            order::accept_in_any_case,
        ),
        Scenario::new(
            "across: Accept, body and caller before the payload",
            &[
                "create_invitation/406/ACCEPT_HEADER_INVALID",
                "create_invitation/400/BAD_REQUEST",
                "create_invitation/401/UNAUTHORIZED",
                "create_invitation/403/NO_PERMISSION_ON_AGENCY",
                "list_invitations/204",
                "rule/R-ORDER-GATES",
                "rule/R-ORDER-PAYLOAD",
                "rule/R-ERROR-NO-CHANGE",
            ],
            order::gates_before_the_payload,
        ),
        Scenario::new(
            "across: the payload field by field",
            &[
                "create_invitation/400/SERVICE_NOT_SUPPORTED",
                "create_invitation/400/AGENT_TYPE_NOT_SUPPORTED",
                "create_invitation/400/CLIENT_TYPE_NOT_SUPPORTED",
                "create_invitation/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "create_invitation/400/CLIENT_ID_FORMAT_INVALID",
                "create_invitation/400/POSTCODE_FORMAT_INVALID",
                "rule/R-ORDER-PAYLOAD",
            ],
            order::payload_field_by_field,
        ),
        Scenario::new(
            "across: the rules after the payload, in their order",
            &[
                "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
                "create_invitation/403/VAT_CLIENT_INSOLVENT",
                "create_invitation/403/VAT_REG_DATE_DOES_NOT_MATCH",
                "create_invitation/403/ALREADY_AUTHORISED",
                "rule/R-ORDER-RULES",
                "rule/R-CREATE-CLIENT-CHECKS",
            ],
            order::rules_in_their_order,
        ),
        Scenario::new(
            "across: any ARN but the caller's is refused",
            &[
                "list_invitations/403/NO_PERMISSION_ON_AGENCY",
                "create_invitation/403/NO_PERMISSION_ON_AGENCY",
                "rule/R-AUTH-OWN-ARN",
            ],
            order::any_other_arn_is_refused,
        ),
    ]
}

fn identifier_scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "across: spaces and case in identifiers",
            &[
                "create_invitation/204",
                "check_relationship/404/RELATIONSHIP_NOT_FOUND",
                "create_invitation/400/CLIENT_ID_FORMAT_INVALID",
                "rule/R-ID-SPACES",
            ],
            identifiers::spaces_and_case,
        ),
        Scenario::new(
            "across: a NINO's suffix",
            &[
                "create_invitation/204",
                "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
                "rule/R-NINO-SUFFIX",
            ],
            identifiers::a_ninos_suffix,
        ),
        Scenario::new(
            "across: postcodes match exactly",
            &[
                "check_relationship/403/POSTCODE_DOES_NOT_MATCH",
                "check_relationship/400/POSTCODE_FORMAT_INVALID",
                "check_relationship/404/RELATIONSHIP_NOT_FOUND",
                "create_invitation/204",
                "rule/R-POSTCODE-FORMAT",
                "rule/R-POSTCODE-EXACT",
            ],
            identifiers::postcodes_match_exactly,
        ),
        Scenario::new(
            "across: strict dates",
            &[
                "create_invitation/400/VAT_REG_DATE_FORMAT_INVALID",
                "check_known_fact_date_of_birth/400/DATE_OF_BIRTH_FORMAT_INVALID",
                "rule/R-DATE-STRICT",
            ],
            identifiers::strict_dates,
        ),
        Scenario::new(
            "across: every service's identifier format",
            &[
                "create_sent_invitation/400/CLIENT_ID_FORMAT_INVALID",
                "rule/R-ID-FORMATS",
            ],
            identifiers::identifier_formats,
        ),
        Scenario::new(
            "across: ids derive from the request",
            &[
                "create_sent_invitation/201",
                "get_sent_invitation/200",
                "rule/R-INVID-DERIVED",
            ],
            identifiers::ids_derive_from_the_request,
        ),
    ]
}

fn error_and_link_scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "across: one error shape everywhere, and routes that do not exist",
            &[
                "get_invitation/401/UNAUTHORIZED",
                "get_agency_invitation_v1/403/NO_PERMISSION_ON_AGENCY",
                "list_sent_invitations/401/UNAUTHORIZED",
                "accept_invitation/401/UNAUTHORIZED",
                "api_contract/404/NOT_FOUND",
                "rule/R-ERROR-SHAPE",
                "rule/R-ERROR-UNKNOWN-ROUTE",
            ],
            errors::one_error_shape_everywhere,
        ),
        Scenario::new(
            "across: malformed requests",
            &[
                "create_invitation/400/BAD_REQUEST",
                "get_invitation/400/BAD_REQUEST",
                "list_sent_invitations/400/BAD_REQUEST",
                "rule/R-ERROR-MALFORMED",
                "rule/R-ERROR-NO-500",
            ],
            errors::malformed_requests,
        ),
        Scenario::new(
            "across: a body that never arrives",
            &["rule/R-ERROR-SLOW-BODY"],
            errors::a_body_that_never_arrives,
        ),
        Scenario::new(
            "across: the client action link's form",
            &["get_invitation/200", "rule/R-LINK-FORMAT"],
            links::link_form,
        ),
        Scenario::new(
            "across: the client action link opens the client's page",
            &["get_invitation/200", "rule/R-LINK-OPENS-PAGE"],
            links::link_opens_the_page,
        ),
    ]
}

fn lifecycle_scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "across: every status after Pending is final",
            &[
                "get_invitation/200",
                "cancel_invitation/204",
                "deauthorise_client/204",
                "cancel_invitation/403/INVALID_INVITATION_STATUS",
                "accept_invitation/204",
                "accept_invitation/409/INVALID_INVITATION_STATUS",
                "reject_invitation/204",
                "reject_invitation/409/INVALID_INVITATION_STATUS",
                "expire_invitation/204",
                "expire_invitation/409/INVALID_INVITATION_STATUS",
                "rule/R-STATUS-TRANSITIONS",
                "rule/R-ANSWER-IDEMPOTENT",
                "rule/R-CANCEL-PENDING-ONLY",
                "rule/R-SANDBOX-ANSWER-409",
                "rule/R-SHAPE-V2",
            ],
            lifecycle::every_status_after_pending_is_final,
        ),
        Scenario::new(
            "across: an accept racing a cancel",
            &[
                "accept_invitation/204",
                "cancel_invitation/403/INVALID_INVITATION_STATUS",
                "get_invitation/200",
                "check_relationship/204",
                "rule/R-ANSWER-CANCEL-RACE",
                "rule/R-SANDBOX-HOLD",
            ],
            lifecycle::accept_racing_cancel,
        ),
    ]
}

fn relationship_scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "across: supporting agents side by side",
            &[
                "check_relationship/204",
                "rule/R-REL-SUPPORTING-MANY",
                "rule/R-REL-ON-ACCEPT",
            ],
            relationships::supporting_agents_side_by_side,
        ),
        Scenario::new(
            "across: a main agent replaced by another",
            &[
                "get_sent_invitation/200",
                "check_relationship/204",
                "check_relationship/404/RELATIONSHIP_NOT_FOUND",
                "rule/R-REL-ONE-AGENT",
            ],
            relationships::main_agent_replaced,
        ),
        Scenario::new(
            "across: switching between main and supporting",
            &[
                "create_invitation/204",
                "get_sent_invitation/200",
                "check_relationship/204",
                "check_relationship/404/RELATIONSHIP_NOT_FOUND",
                "deauthorise_client/204",
                "deauthorise_client/403/NO_RELATIONSHIP",
                "rule/R-REL-SWITCH",
                "rule/R-CREATE-ALREADY-AUTHORISED",
                "rule/R-DEAUTH-AGENT",
            ],
            relationships::switching_main_and_supporting,
        ),
        Scenario::new(
            "across: partial authorisations accepted, converted and ended",
            &[
                "get_sent_invitation/200",
                "check_relationship/204",
                "check_relationship/404/RELATIONSHIP_NOT_FOUND",
                "create_invitation/403/ALREADY_AUTHORISED",
                "deauthorise_client/204",
                "rule/R-PARTIAL-ON-ACCEPT",
                "rule/R-PARTIAL-CHECK-CONVERTS",
                "rule/R-SANDBOX-SIGN-UP",
                "rule/R-DEAUTH-AGENT",
            ],
            relationships::partial_authorisation,
        ),
    ]
}

fn time_scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "across: the 30-day list, by creation time",
            &[
                "create_sent_invitation/201",
                "list_invitations/200",
                "list_invitations_v1/200",
                "get_invitation/200",
                "rule/R-LIST-30-DAYS",
                "rule/R-LIST-ORDER",
                "rule/R-NOTHING-DELETED",
                "rule/R-SANDBOX-TIME-CONTROL",
            ],
            time::thirty_day_list,
        ),
        Scenario::new(
            "across: expiry at the day boundary, through every surface",
            &[
                "get_invitation/200",
                "get_invitation_v1/200",
                "get_agency_invitation_v1/200",
                "get_sent_invitation/200",
                "cancel_invitation/403/INVALID_INVITATION_STATUS",
                "accept_invitation/409/INVALID_INVITATION_STATUS",
                "create_invitation/204",
                "rule/R-EXPIRY-INSTANT",
                "rule/R-EXPIRY-READS-AT-ONCE",
                "rule/R-SANDBOX-TIME-CONTROL",
            ],
            time::expiry_at_the_day_boundary,
        ),
    ]
}
