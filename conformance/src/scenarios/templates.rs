//! One valid request per operation, for the checks every operation shares (the Accept header, the auth
//! matrix, generated headers): built from the shared fixtures for a path ARN and invitation id, with the
//! right Accept header and no Authorization header.

use super::agent_authorisation_v1::{self as v1_api, v1};
use super::agent_client_authorisation::backend;
use crate::harness::*;
use crate::http::Request;
use crate::paths::{invitation_path, invitations_path, relationships_path};

#[derive(Clone, Copy)]
pub struct Template {
    pub operation: &'static str,
    /// The version of the `Accept` header the operation serves (`2.0`), if it documents one.
    pub accept_version: Option<&'static str>,
    /// Whether its path names an invitation of the agent.
    pub names_invitation: bool,
    /// The request for an agent ARN and invitation id.
    pub build: fn(&Fixtures, &str, &str) -> Request,
}

/// The agent-facing operations of every contract the harness knows how to call.
pub fn all() -> Vec<Template> {
    [v2_templates(), v1_templates(), backend_templates()].concat()
}

/// The Agent Authorisation API 2.0 (`agent-authorisation-v2.yaml`).
fn v2_templates() -> Vec<Template> {
    vec![
        Template {
            operation: "create_invitation",
            accept_version: Some("2.0"),
            names_invitation: false,
            build: |f, arn, _| {
                v2("POST", invitations_path(arn), None).json(&itsa_body(&f.individual, None))
            },
        },
        Template {
            operation: "list_invitations",
            accept_version: Some("2.0"),
            names_invitation: false,
            build: |_, arn, _| v2("GET", invitations_path(arn), None),
        },
        Template {
            operation: "get_invitation",
            accept_version: Some("2.0"),
            names_invitation: true,
            build: |_, arn, id| v2("GET", invitation_path(arn, id), None),
        },
        Template {
            operation: "cancel_invitation",
            accept_version: Some("2.0"),
            names_invitation: true,
            build: |_, arn, id| v2("DELETE", invitation_path(arn, id), None),
        },
        Template {
            operation: "check_relationship",
            accept_version: Some("2.0"),
            names_invitation: false,
            build: |f, arn, _| {
                v2("POST", format!("/agents/{arn}/relationships"), None)
                    .json(&check_body(&itsa_body(&f.individual, None)))
            },
        },
        Template {
            operation: "deauthorise_client",
            accept_version: Some("2.0"),
            names_invitation: false,
            build: |f, arn, _| {
                v2("PUT", format!("/agents/{arn}/deauthorise-client"), None)
                    .json(&deauth_body(&vat_body(&f.organisation)))
            },
        },
    ]
}

/// The Agent Authorisation API 1.0 (`agent-authorisation-v1.yaml`).
fn v1_templates() -> Vec<Template> {
    vec![
        Template {
            operation: "create_agency_invitation_v1",
            accept_version: Some("1.0"),
            names_invitation: false,
            build: |f, arn, _| {
                v1("POST", v1_api::path(arn), None).json(&v1_api::itsa(&f.individual))
            },
        },
        Template {
            operation: "get_agency_invitation_v1",
            accept_version: Some("1.0"),
            names_invitation: true,
            build: |_, arn, id| v1("GET", format!("{}/{id}", v1_api::path(arn)), None),
        },
        Template {
            operation: "create_invitation_v1",
            accept_version: Some("1.0"),
            names_invitation: false,
            build: |f, arn, _| {
                v1("POST", invitations_path(arn), None).json(&itsa_body(&f.individual, None))
            },
        },
        Template {
            operation: "list_invitations_v1",
            accept_version: Some("1.0"),
            names_invitation: false,
            build: |_, arn, _| v1("GET", invitations_path(arn), None),
        },
        Template {
            operation: "get_invitation_v1",
            accept_version: Some("1.0"),
            names_invitation: true,
            build: |_, arn, id| v1("GET", invitation_path(arn, id), None),
        },
        Template {
            operation: "cancel_invitation_v1",
            accept_version: Some("1.0"),
            names_invitation: true,
            build: |_, arn, id| v1("DELETE", invitation_path(arn, id), None),
        },
        Template {
            operation: "check_relationship_v1",
            accept_version: Some("1.0"),
            names_invitation: false,
            build: |f, arn, _| {
                v1("POST", relationships_path(arn), None)
                    .json(&check_body(&itsa_body(&f.individual, None)))
            },
        },
    ]
}

/// The backend (`agent-client-authorisation.yaml`): no Accept header, so only the auth matrix.
fn backend_templates() -> Vec<Template> {
    vec![
        Template {
            operation: "create_sent_invitation",
            accept_version: None,
            names_invitation: false,
            build: |f, arn, _| {
                backend("POST", crate::paths::sent_path(arn), None).json(&serde_json::json!({
                    "service": "HMRC-MTD-VAT",
                    "clientType": "business",
                    "clientIdType": "vrn",
                    "clientId": f.organisation.vrn,
                }))
            },
        },
        Template {
            operation: "list_sent_invitations",
            accept_version: None,
            names_invitation: false,
            build: |_, arn, _| {
                backend(
                    "GET",
                    format!(
                        "{}?createdOnOrAfter=2000-01-01",
                        crate::paths::sent_path(arn)
                    ),
                    None,
                )
            },
        },
        Template {
            operation: "get_sent_invitation",
            accept_version: None,
            names_invitation: true,
            build: |_, arn, id| backend("GET", crate::paths::sent_invitation_path(arn, id), None),
        },
        Template {
            operation: "cancel_sent_invitation",
            accept_version: None,
            names_invitation: true,
            build: |_, arn, id| backend("PUT", crate::paths::cancel_path(arn, id), None),
        },
        Template {
            operation: "create_multi_invitation_link",
            accept_version: None,
            names_invitation: false,
            build: |f, arn, _| {
                backend("POST", crate::paths::multi_invitations_path(arn), None).json(
                    &serde_json::json!({"clientType": "personal", "invitationIds": [f.pending]}),
                )
            },
        },
        Template {
            operation: "check_agent_relationship",
            accept_version: None,
            names_invitation: false,
            build: |f, arn, _| vat_relationship("GET", f, arn),
        },
        Template {
            operation: "end_agent_relationship",
            accept_version: None,
            names_invitation: false,
            build: |f, arn, _| vat_relationship("DELETE", f, arn),
        },
    ]
}

/// The backend's request about the agent's relationship with the shared VAT customer.
fn vat_relationship(method: &str, f: &Fixtures, arn: &str) -> Request {
    backend(
        method,
        crate::paths::relationship_path(arn, "HMRC-MTD-VAT", "vrn", &f.organisation.vrn),
        None,
    )
}
