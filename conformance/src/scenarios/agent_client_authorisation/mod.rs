//! Scenarios of the Agent Client Authorisation API (`openapi/agent-client-authorisation.yaml`), the backend of the
//! agent and client front ends, under `/agent-client-authorisation`. It needs no Accept header. One file per
//! resource (its tags): the agent's [`sent_invitations`] and [`multi_invitations`], [`known_facts`], the agent's
//! [`relationships`], the client's [`received_invitations`] and status, and [`maintenance`]. The callers of the
//! agent operations with an `{arn}` are proved by `crate::auth_matrix` from the templates; those of the
//! known-facts, client and status calls by [`callers`]. Every scenario sets up its own clients (of every
//! service) through the sandbox.

pub mod callers;
pub mod known_facts;
pub mod maintenance;
pub mod multi_invitations;
pub mod received_invitations;
pub mod relationships;
pub mod sent_invitations;
pub(crate) mod support;

pub use support::{SERVICES, backend};

use crate::harness::Scenario;

/// This contract's scenarios, in the order they are reported.
pub fn scenarios() -> Vec<Scenario> {
    [
        sent_invitation_scenarios(),
        links_and_known_facts(),
        client_scenarios(),
        relationship_and_maintenance_scenarios(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The agent's sent invitations.
fn sent_invitation_scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "backend: create and read for every service",
            &[
                "create_sent_invitation/201",
                "get_sent_invitation/200",
                "rule/R-CREATE-SUCCESS",
                "rule/R-INVID-IN-BODY",
            ],
            sent_invitations::create_and_read_every_service,
        ),
        Scenario::new(
            "backend: read and cancel by id",
            &[
                "get_sent_invitation/400/BAD_REQUEST",
                "get_sent_invitation/404/INVITATION_NOT_FOUND",
                "cancel_sent_invitation/204",
                "cancel_sent_invitation/400/BAD_REQUEST",
                "cancel_sent_invitation/403/INVALID_INVITATION_STATUS",
                "cancel_sent_invitation/404/INVITATION_NOT_FOUND",
                "rule/R-CANCEL-PENDING-ONLY",
            ],
            sent_invitations::read_and_cancel_by_id,
        ),
        Scenario::new(
            "backend: list the agent's invitations",
            &[
                "list_sent_invitations/200",
                "list_sent_invitations/400/BAD_REQUEST",
                "rule/R-BACKEND-LISTS",
            ],
            sent_invitations::list_with_filters,
        ),
        Scenario::new(
            "backend: create with an invalid payload",
            &[
                "create_sent_invitation/400/BAD_REQUEST",
                "create_sent_invitation/400/CLIENT_TYPE_NOT_SUPPORTED",
                "create_sent_invitation/400/CLIENT_ID_FORMAT_INVALID",
                "create_sent_invitation/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "create_sent_invitation/501/SERVICE_NOT_SUPPORTED",
                "rule/R-SERVICE-PUBLIC",
                "rule/R-ID-FORMATS",
            ],
            sent_invitations::create_with_an_invalid_payload,
        ),
        Scenario::new(
            "backend: create refused by the client's record or state",
            &[
                "create_sent_invitation/403/CLIENT_REGISTRATION_NOT_FOUND",
                "create_sent_invitation/403/VAT_CLIENT_INSOLVENT",
                "create_sent_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
                "create_sent_invitation/403/ALREADY_AUTHORISED",
                "rule/R-DUPLICATE-LOCATION",
                "rule/R-DUPLICATE-PENDING",
                "rule/R-CREATE-ALREADY-AUTHORISED",
            ],
            sent_invitations::create_refused_by_record_or_state,
        ),
        Scenario::new(
            "backend: identical creates at once",
            &[
                "create_sent_invitation/403/ALREADY_BEING_PROCESSED",
                "rule/R-CREATE-IN-FLIGHT",
                "rule/R-SANDBOX-HOLD",
            ],
            sent_invitations::identical_creates_at_once,
        ),
    ]
}

/// Links to several invitations, known facts, and the callers of the calls without an ARN.
fn links_and_known_facts() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "backend: a link to several invitations",
            &[
                "create_multi_invitation_link/201",
                "create_multi_invitation_link/400/CLIENT_TYPE_NOT_SUPPORTED",
                "create_multi_invitation_link/400/BAD_REQUEST",
                "create_multi_invitation_link/404/INVITATION_NOT_FOUND",
                "rule/R-MULTI-LINK",
            ],
            multi_invitations::link_to_several_invitations,
        ),
        Scenario::new(
            "backend: known facts",
            &[
                "check_known_fact_postcode/204",
                "check_known_fact_postcode/400/CLIENT_ID_FORMAT_INVALID",
                "check_known_fact_postcode/400/POSTCODE_FORMAT_INVALID",
                "check_known_fact_postcode/403/POSTCODE_DOES_NOT_MATCH",
                "check_known_fact_postcode/404/CLIENT_REGISTRATION_NOT_FOUND",
                "check_known_fact_date_of_birth/204",
                "check_known_fact_date_of_birth/400/CLIENT_ID_FORMAT_INVALID",
                "check_known_fact_date_of_birth/400/DATE_OF_BIRTH_FORMAT_INVALID",
                "check_known_fact_date_of_birth/403/DATE_OF_BIRTH_DOES_NOT_MATCH",
                "check_known_fact_date_of_birth/404/CLIENT_REGISTRATION_NOT_FOUND",
                "check_known_fact_vat_registration_date/204",
                "check_known_fact_vat_registration_date/400/CLIENT_ID_FORMAT_INVALID",
                "check_known_fact_vat_registration_date/400/VAT_REG_DATE_FORMAT_INVALID",
                "check_known_fact_vat_registration_date/403/VAT_REG_DATE_DOES_NOT_MATCH",
                "check_known_fact_vat_registration_date/404/CLIENT_REGISTRATION_NOT_FOUND",
                "rule/R-KNOWN-FACT-CHECKS",
            ],
            known_facts::known_facts,
        ),
        Scenario::with_covers(
            "backend: callers of the known-facts, client and status calls",
            callers::covers(),
            callers::callers,
        ),
    ]
}

/// The client's invitations and status.
fn client_scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "backend: the client lists, reads, accepts, rejects and ends",
            &[
                "list_received_invitations/200",
                "list_received_invitations/400/BAD_REQUEST",
                "get_received_invitation/200",
                "get_received_invitation/400/BAD_REQUEST",
                "get_received_invitation/404/INVITATION_NOT_FOUND",
                "accept_received_invitation/204",
                "accept_received_invitation/400/BAD_REQUEST",
                "accept_received_invitation/403/INVALID_INVITATION_STATUS",
                "accept_received_invitation/404/INVITATION_NOT_FOUND",
                "reject_received_invitation/204",
                "reject_received_invitation/400/BAD_REQUEST",
                "reject_received_invitation/403/INVALID_INVITATION_STATUS",
                "reject_received_invitation/404/INVITATION_NOT_FOUND",
                "end_client_relationship/204",
                "end_client_relationship/400/BAD_REQUEST",
                "end_client_relationship/403/NO_RELATIONSHIP",
                "end_client_relationship/404/INVITATION_NOT_FOUND",
                "rule/R-END-BY-CLIENT",
                "rule/R-ANSWER-IDEMPOTENT",
                "rule/R-BACKEND-LISTS",
                "rule/R-AUTH-CLIENT-OWN",
            ],
            received_invitations::lists_reads_accepts_rejects_and_ends,
        ),
        Scenario::new(
            "backend: HMRC staff on the client's calls",
            &[
                "create_sent_invitation/201",
                "list_received_invitations/200",
                "get_received_invitation/200",
                "accept_received_invitation/403/NO_PERMISSION_ON_CLIENT",
                "reject_received_invitation/403/NO_PERMISSION_ON_CLIENT",
                "end_client_relationship/204",
                "get_sent_invitation/200",
                "rule/R-AUTH-STAFF",
                "rule/R-END-BY-HMRC",
            ],
            received_invitations::hmrc_staff_on_the_clients_calls,
        ),
        Scenario::new(
            "backend: the client's status",
            &["client_status/200", "rule/R-BACKEND-LISTS"],
            received_invitations::client_status,
        ),
    ]
}

/// The agent's relationships and the maintenance calls.
fn relationship_and_maintenance_scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "backend: relationships",
            &[
                "check_agent_relationship/204",
                "check_agent_relationship/400/CLIENT_ID_FORMAT_INVALID",
                "check_agent_relationship/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "check_agent_relationship/404/RELATIONSHIP_NOT_FOUND",
                "check_agent_relationship/501/SERVICE_NOT_SUPPORTED",
                "end_agent_relationship/204",
                "end_agent_relationship/400/CLIENT_ID_FORMAT_INVALID",
                "end_agent_relationship/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "end_agent_relationship/403/NO_RELATIONSHIP",
                "end_agent_relationship/501/SERVICE_NOT_SUPPORTED",
            ],
            relationships::relationships,
        ),
        Scenario::new(
            "backend: the alternative ITSA update",
            &[
                "update_alt_itsa/201",
                "update_alt_itsa/204",
                "update_alt_itsa/400/CLIENT_ID_FORMAT_INVALID",
                "update_alt_itsa/400/BAD_REQUEST",
                "update_alt_itsa/404/ALT_ITSA_NOT_FOUND",
                "rule/R-PARTIAL-ALT-ITSA",
            ],
            maintenance::alt_itsa_update,
        ),
        Scenario::new(
            "backend: a non-taxable trust becomes taxable",
            &[
                "replace_urn_with_utr/201",
                "replace_urn_with_utr/204",
                "replace_urn_with_utr/400/CLIENT_ID_FORMAT_INVALID",
                "replace_urn_with_utr/404/INVITATION_NOT_FOUND",
                "rule/R-TRUST-URN-TO-UTR",
            ],
            maintenance::trust_becomes_taxable,
        ),
        Scenario::new(
            "backend: only HMRC staff make the maintenance calls",
            &[
                "update_alt_itsa/401/UNAUTHORIZED",
                "update_alt_itsa/403/NO_PERMISSION",
                "replace_urn_with_utr/401/UNAUTHORIZED",
                "replace_urn_with_utr/403/NO_PERMISSION",
                "rule/R-AUTH-STAFF",
                "rule/R-SANDBOX-SIGN-UP",
            ],
            maintenance::only_hmrc_staff,
        ),
    ]
}
