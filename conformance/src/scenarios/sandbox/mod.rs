//! Scenarios of the sandbox (`openapi/sandbox.yaml`): Create Test User ([`test_users`]), the test-support
//! calls ([`test_support`]) and the time control ([`time_control`]).

pub mod test_support;
pub mod test_users;
pub mod time_control;

use crate::harness::Scenario;

/// This contract's scenarios, in the order they are reported.
pub fn scenarios() -> Vec<Scenario> {
    [
        test_user_scenarios(),
        test_support_scenarios(),
        caller_scenarios(),
        time_control_scenarios(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn test_user_scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "sandbox: create_test_agent",
            &[
                "create_test_agent/201",
                "create_test_agent/400/BAD_REQUEST",
                "create_test_agent/400/SERVICE_NAME_NOT_SUPPORTED",
                "list_invitations/401/UNAUTHORIZED",
                "list_invitations/204",
                "rule/R-SANDBOX-USERS",
                "rule/R-ARN-CHECK",
                "rule/R-SANDBOX-TOKEN-LIFETIME",
            ],
            test_users::create_agent,
        ),
        Scenario::new(
            "sandbox: create_test_individual",
            &[
                "create_test_individual/201",
                "create_test_individual/400/BAD_REQUEST",
                "create_test_individual/400/SERVICE_NAME_NOT_SUPPORTED",
                "rule/R-SANDBOX-USERS",
            ],
            test_users::create_individual,
        ),
        Scenario::new(
            "sandbox: create_test_organisation",
            &[
                "create_test_organisation/201",
                "create_test_organisation/400/BAD_REQUEST",
                "create_test_organisation/400/SERVICE_NAME_NOT_SUPPORTED",
                "rule/R-SANDBOX-USERS",
            ],
            test_users::create_organisation,
        ),
        Scenario::new(
            "sandbox: create_test_hmrc_staff",
            &[
                "create_test_hmrc_staff/201",
                "create_test_hmrc_staff/400/BAD_REQUEST",
                "list_invitations/403/NOT_AN_AGENT",
                "rule/R-SANDBOX-STAFF-USER",
            ],
            test_users::create_hmrc_staff,
        ),
    ]
}

fn test_support_scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "sandbox: accepting as the client",
            &[
                "accept_invitation/204",
                "accept_invitation/400/BAD_REQUEST",
                "accept_invitation/404/INVITATION_NOT_FOUND",
                "accept_invitation/409/INVALID_INVITATION_STATUS",
                "rule/R-SANDBOX-TEST-SUPPORT",
                "rule/R-SANDBOX-ANSWER-409",
            ],
            test_support::accepting,
        ),
        Scenario::new(
            "sandbox: rejecting as the client",
            &[
                "reject_invitation/204",
                "reject_invitation/400/BAD_REQUEST",
                "reject_invitation/404/INVITATION_NOT_FOUND",
                "reject_invitation/409/INVALID_INVITATION_STATUS",
                "rule/R-SANDBOX-TEST-SUPPORT",
                "rule/R-SANDBOX-ANSWER-409",
            ],
            test_support::rejecting,
        ),
        Scenario::new(
            "sandbox: expiring a request",
            &[
                "expire_invitation/204",
                "expire_invitation/400/BAD_REQUEST",
                "expire_invitation/404/INVITATION_NOT_FOUND",
                "expire_invitation/409/INVALID_INVITATION_STATUS",
                "rule/R-SANDBOX-TEST-SUPPORT",
                "rule/R-SANDBOX-ANSWER-409",
            ],
            test_support::expiring,
        ),
        Scenario::new(
            "sandbox: signing an individual up to MTD Income Tax",
            &[
                "sign_up_mtd_income_tax/200",
                "sign_up_mtd_income_tax/400/CLIENT_ID_FORMAT_INVALID",
                "sign_up_mtd_income_tax/401/UNAUTHORIZED",
                "sign_up_mtd_income_tax/403/NO_PERMISSION",
                "sign_up_mtd_income_tax/404/CLIENT_REGISTRATION_NOT_FOUND",
                "rule/R-SANDBOX-SIGN-UP",
            ],
            test_support::signing_up_to_mtd_income_tax,
        ),
    ]
}

fn caller_scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "sandbox: test support answers for the request's agent, its client or HMRC staff only",
            &[
                "accept_invitation/401/UNAUTHORIZED",
                "accept_invitation/403/NO_PERMISSION",
                "reject_invitation/401/UNAUTHORIZED",
                "reject_invitation/403/NO_PERMISSION",
                "expire_invitation/401/UNAUTHORIZED",
                "expire_invitation/403/NO_PERMISSION",
                "rule/R-AUTH-TEST-SUPPORT",
            ],
            test_support::only_the_agent_the_client_or_hmrc_staff,
        ),
        Scenario::new(
            "sandbox: Gov-Test-Scenario answers and changes nothing",
            &[
                "create_invitation/204",
                "create_invitation/403/CLIENT_REGISTRATION_NOT_FOUND",
                "list_invitations/400/INVALID_TEST_SCENARIO",
                "list_invitations/200",
                "rule/R-SANDBOX-SCENARIO",
            ],
            test_support::scenario_header_answers_and_changes_nothing,
        ),
    ]
}

fn time_control_scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "sandbox: making a request older",
            &[
                "set_invitation_created/204",
                "get_invitation/200",
                "rule/R-SANDBOX-TIME-CONTROL",
            ],
            time_control::making_a_request_older,
        ),
        Scenario::new(
            "sandbox: the time control's refusals, in their order",
            &[
                "set_invitation_created/400/BAD_REQUEST",
                "set_invitation_created/401/UNAUTHORIZED",
                "set_invitation_created/403/NO_PERMISSION",
                "set_invitation_created/404/INVITATION_NOT_FOUND",
                "get_invitation/200",
                "rule/R-AUTH-TEST-SUPPORT",
            ],
            time_control::refusals_in_order,
        ),
    ]
}
