//! One valid request per operation, for the checks every operation shares (the Accept header, the auth
//! matrix, generated headers): built from the shared fixtures for a path ARN and invitation id, with the
//! right Accept header and no Authorization header.

use super::v2::{invitation_path, invitations_path};
use crate::harness::*;
use crate::http::Request;

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
    vec![
        Template {
            operation: "create_invitation",
            accept_version: Some("2.0"),
            names_invitation: false,
            build: |f, arn, _| v2("POST", invitations_path(arn), None).json(&itsa_body(&f.individual, None)),
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
            build: |f, arn, _| v2("POST", format!("/agents/{arn}/relationships"), None).json(&check_body(&itsa_body(&f.individual, None))),
        },
        Template {
            operation: "deauthorise_client",
            accept_version: Some("2.0"),
            names_invitation: false,
            build: |f, arn, _| {
                v2("PUT", format!("/agents/{arn}/deauthorise-client"), None).json(&deauth_body(&vat_body(&f.organisation)))
            },
        },
    ]
}
