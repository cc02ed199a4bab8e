//! Scenarios of the Agent Authorisation API 1.0 (`openapi/agent-authorisation-v1.yaml`): create and read under
//! `/agencies/{arn}/invitations`, its one resource ([`invitations`]). The Accept header and the callers are
//! proved by `super::accept_header` and `crate::auth_matrix` from the templates.

pub mod invitations;
pub(crate) mod support;

pub use support::{V1_ACCEPT, itsa, path, v1, vat};

use crate::harness::{AsVersion, Scenario, V2_ACCEPT};

/// 1.0 on the 2.0 paths behaves exactly as 2.0 but for deauthorise: 2.0's scenarios, run as 1.0, prove it.
pub static ON_THE_2_0_PATHS: AsVersion = AsVersion {
    prefix: "v1 on the 2.0 paths:",
    from_prefix: "v2:",
    from_accept: V2_ACCEPT,
    accept: V1_ACCEPT,
    suffix: "_v1",
    operations: &[
        "list_invitations",
        "create_invitation",
        "get_invitation",
        "cancel_invitation",
        "check_relationship",
    ],
    serves: |path| path.starts_with("/agents/") && !path.contains("/deauthorise-client"),
};

/// This contract's scenarios, in the order they are reported: those of HMRC's 1.0 paths, then 2.0's run as 1.0
/// (those that prove at least one 1.0 operation).
pub fn scenarios() -> Vec<Scenario> {
    let on_the_2_0_paths = super::agent_authorisation_v2::scenarios()
        .into_iter()
        .map(|scenario| scenario.as_version(&ON_THE_2_0_PATHS))
        .filter(|scenario| scenario.covers.iter().any(|entry| entry.contains("_v1/")));
    agencies()
        .into_iter()
        .chain(bodies_and_client_ids())
        .chain(on_the_2_0_paths)
        .collect()
}

/// HMRC's 1.0 paths, `/agencies/{arn}/invitations`.
fn agencies() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "v1: create and read",
            &[
                "create_agency_invitation_v1/204",
                "get_agency_invitation_v1/200",
                "rule/R-V1-SHAPE",
                "rule/R-INVID-IN-BODY",
                "rule/R-SERVICE-PUBLIC",
            ],
            invitations::create_and_read,
        ),
        Scenario::new(
            "v1: create with an invalid payload",
            &[
                "create_agency_invitation_v1/501/SERVICE_NOT_SUPPORTED",
                "create_agency_invitation_v1/400/CLIENT_TYPE_NOT_SUPPORTED",
                "create_agency_invitation_v1/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "create_agency_invitation_v1/400/CLIENT_ID_FORMAT_INVALID",
                "create_agency_invitation_v1/400/POSTCODE_FORMAT_INVALID",
                "create_agency_invitation_v1/400/VAT_REG_DATE_FORMAT_INVALID",
                "create_agency_invitation_v1/400/BAD_REQUEST",
                "rule/R-SERVICE-PUBLIC",
            ],
            invitations::create_with_an_invalid_payload,
        ),
        Scenario::new(
            "v1: create for a client the records do not support",
            &[
                "create_agency_invitation_v1/403/CLIENT_REGISTRATION_NOT_FOUND",
                "create_agency_invitation_v1/403/POSTCODE_DOES_NOT_MATCH",
                "create_agency_invitation_v1/403/VAT_REG_DATE_DOES_NOT_MATCH",
                "create_agency_invitation_v1/403/VAT_CLIENT_INSOLVENT",
                "rule/R-CREATE-CLIENT-CHECKS",
            ],
            invitations::create_for_an_unsupported_client,
        ),
        Scenario::new(
            "v1: duplicates, authorised agents and identical requests at once",
            &[
                "create_agency_invitation_v1/403/DUPLICATE_AUTHORISATION_REQUEST",
                "create_agency_invitation_v1/403/ALREADY_AUTHORISED",
                "create_agency_invitation_v1/403/ALREADY_BEING_PROCESSED",
                "rule/R-DUPLICATE-LOCATION",
                "rule/R-CREATE-IN-FLIGHT",
                "rule/R-SANDBOX-HOLD",
            ],
            invitations::duplicates_authorised_agents_and_identical_requests,
        ),
        Scenario::new(
            "v1: reading requests that are not there, not well formed, or not ours",
            &[
                "get_agency_invitation_v1/400/BAD_REQUEST",
                "get_agency_invitation_v1/404/INVITATION_NOT_FOUND",
                "get_agency_invitation_v1/403/NO_PERMISSION_ON_AGENCY",
                "rule/R-INVID-PATH-MALFORMED",
            ],
            invitations::read_missing_malformed_or_another_agencys,
        ),
    ]
}

/// HMRC's 1.0 bodies, and how a 1.0 read names the client.
fn bodies_and_client_ids() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "v1: HMRC's 1.0 bodies",
            &[
                "create_agency_invitation_v1/204",
                "create_agency_invitation_v1/403/POSTCODE_DOES_NOT_MATCH",
                "create_agency_invitation_v1/403/VAT_CLIENT_INSOLVENT",
                "create_agency_invitation_v1/403/CLIENT_REGISTRATION_NOT_FOUND",
                "rule/R-V1-REQUEST",
            ],
            invitations::hmrcs_1_0_bodies,
        ),
        Scenario::new(
            "v1: clients named as recorded and as supplied",
            &[
                "create_agency_invitation_v1/204",
                "get_agency_invitation_v1/200",
                "rule/R-SERVICE-ITSA-RESOLVED",
            ],
            invitations::clients_named_as_recorded,
        ),
    ]
}
