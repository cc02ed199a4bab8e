//! Scenarios of the Agent Authorisation API 2.0 (`openapi/agent-authorisation-v2.yaml`), one file per resource
//! (its tags): [`invitations`] and [`relationships`]. Each scenario sets up its own state through the sandbox and
//! names the ledger entries it proves. The entries every operation shares (the Accept header, the caller) are
//! proved by `super::accept_header` and `crate::auth_matrix`.

pub mod invitations;
pub mod relationships;
pub(crate) mod support;

pub use support::{cancel, check, create, deauthorise, get, list};

use crate::harness::Scenario;

/// This contract's scenarios, in the order they are reported.
pub fn scenarios() -> Vec<Scenario> {
    [
        creating(),
        reading_and_cancelling(),
        relationships_checked_and_ended(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Creating requests, read back and listed.
fn creating() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "v2: create, read and list an MTD-IT request",
            &[
                "create_invitation/204",
                "get_invitation/200",
                "list_invitations/200",
                "rule/R-CREATE-SUCCESS",
                "rule/R-SERVICE-AGENT-TYPE",
                "rule/R-TIME-MILLIS",
                "rule/R-INVID-IN-BODY",
                "rule/R-SHAPE-V2",
                "rule/R-LIST-ORDER",
            ],
            invitations::create_read_and_list,
        ),
        Scenario::new(
            "v2: supporting agents and VAT",
            &[
                "create_invitation/204",
                "get_invitation/200",
                "rule/R-SERVICE-PUBLIC",
                "rule/R-SHAPE-V2",
            ],
            invitations::supporting_agents_and_vat,
        ),
        Scenario::new(
            "v2: create with an invalid payload",
            &[
                "create_invitation/400/SERVICE_NOT_SUPPORTED",
                "create_invitation/400/AGENT_TYPE_NOT_SUPPORTED",
                "create_invitation/400/CLIENT_TYPE_NOT_SUPPORTED",
                "create_invitation/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "create_invitation/400/CLIENT_ID_FORMAT_INVALID",
                "create_invitation/400/POSTCODE_FORMAT_INVALID",
                "create_invitation/400/VAT_REG_DATE_FORMAT_INVALID",
                "create_invitation/400/BAD_REQUEST",
                "rule/R-SERVICE-PUBLIC",
                "rule/R-SERVICE-AGENT-TYPE",
                "rule/R-SERVICE-CLIENT-TYPE",
                "rule/R-CLIENT-ID-MISMATCH",
                "rule/R-ID-FORMATS",
            ],
            invitations::create_with_an_invalid_payload,
        ),
        Scenario::new(
            "v2: create for a client the records do not support",
            &[
                "create_invitation/403/CLIENT_REGISTRATION_NOT_FOUND",
                "create_invitation/403/POSTCODE_DOES_NOT_MATCH",
                "create_invitation/403/VAT_REG_DATE_DOES_NOT_MATCH",
                "create_invitation/403/VAT_CLIENT_INSOLVENT",
                "rule/R-CREATE-CLIENT-CHECKS",
            ],
            invitations::create_for_an_unsupported_client,
        ),
        Scenario::new(
            "v2: a second request for the same client and service is a duplicate",
            &[
                "create_invitation/204",
                "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
                "rule/R-DUPLICATE-PENDING",
                "rule/R-DUPLICATE-LOCATION",
            ],
            invitations::duplicate,
        ),
        Scenario::new(
            "v2: a request for an agent already authorised",
            &[
                "create_invitation/403/ALREADY_AUTHORISED",
                "check_relationship/204",
                "rule/R-CREATE-ALREADY-AUTHORISED",
            ],
            invitations::already_authorised,
        ),
        Scenario::new(
            "v2: identical requests at once",
            &[
                "create_invitation/403/ALREADY_BEING_PROCESSED",
                "rule/R-CREATE-IN-FLIGHT",
                "rule/R-SANDBOX-HOLD",
            ],
            invitations::identical_requests_at_once,
        ),
    ]
}

/// Reading and cancelling requests.
fn reading_and_cancelling() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "v2: an agent with no requests",
            &["list_invitations/204", "rule/R-LIST-ORDER"],
            invitations::agent_with_no_requests,
        ),
        Scenario::new(
            "v2: reading requests that are not there, not well formed, or not ours",
            &[
                "get_invitation/400/BAD_REQUEST",
                "get_invitation/404/INVITATION_NOT_FOUND",
                "get_invitation/403/NO_PERMISSION_ON_AGENCY",
                "rule/R-INVID-PATH-MALFORMED",
                "rule/R-OWNERSHIP-FIRST",
            ],
            invitations::read_missing_malformed_or_another_agencys,
        ),
        Scenario::new(
            "v2: cancelling",
            &[
                "cancel_invitation/204",
                "cancel_invitation/403/INVALID_INVITATION_STATUS",
                "cancel_invitation/400/BAD_REQUEST",
                "cancel_invitation/404/INVITATION_NOT_FOUND",
                "cancel_invitation/403/NO_PERMISSION_ON_AGENCY",
                "get_invitation/403/NO_PERMISSION_ON_AGENCY",
                "rule/R-OWNERSHIP-FIRST",
                "rule/R-CANCEL-PENDING-ONLY",
            ],
            invitations::cancelling,
        ),
    ]
}

/// Checking and ending relationships.
fn relationships_checked_and_ended() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "v2: checking relationships",
            &[
                "check_relationship/204",
                "check_relationship/404/RELATIONSHIP_NOT_FOUND",
                "rule/R-CHECK-RELATIONSHIP",
                "rule/R-REL-ON-ACCEPT",
                "rule/R-PARTIAL-ON-ACCEPT",
            ],
            relationships::checking,
        ),
        Scenario::new(
            "v2: check with an invalid payload",
            &[
                "check_relationship/400/SERVICE_NOT_SUPPORTED",
                "check_relationship/400/AGENT_TYPE_NOT_SUPPORTED",
                "check_relationship/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "check_relationship/400/CLIENT_ID_FORMAT_INVALID",
                "check_relationship/400/POSTCODE_FORMAT_INVALID",
                "check_relationship/400/VAT_REG_DATE_FORMAT_INVALID",
                "check_relationship/400/BAD_REQUEST",
                "rule/R-CLIENT-ID-MISMATCH",
            ],
            relationships::check_with_an_invalid_payload,
        ),
        Scenario::new(
            "v2: check for a client the records do not support",
            &[
                "check_relationship/403/CLIENT_REGISTRATION_NOT_FOUND",
                "check_relationship/403/POSTCODE_DOES_NOT_MATCH",
                "check_relationship/403/VAT_REG_DATE_DOES_NOT_MATCH",
                "check_relationship/403/VAT_CLIENT_INSOLVENT",
                "rule/R-CHECK-KNOWN-FACT-FIRST",
            ],
            relationships::check_for_an_unsupported_client,
        ),
        Scenario::new(
            "v2: deauthorising",
            &[
                "deauthorise_client/204",
                "deauthorise_client/403/NO_RELATIONSHIP",
                "rule/R-DEAUTH-AGENT",
                "rule/R-DEAUTH-NONE",
            ],
            relationships::deauthorising,
        ),
        Scenario::new(
            "v2: deauthorise with an invalid payload",
            &[
                "deauthorise_client/400/SERVICE_NOT_SUPPORTED",
                "deauthorise_client/400/AGENT_TYPE_NOT_SUPPORTED",
                "deauthorise_client/400/CLIENT_TYPE_NOT_SUPPORTED",
                "deauthorise_client/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "deauthorise_client/400/CLIENT_ID_FORMAT_INVALID",
                "deauthorise_client/400/BAD_REQUEST",
            ],
            relationships::deauthorise_with_an_invalid_payload,
        ),
    ]
}
