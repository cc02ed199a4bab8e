//! The requests and bodies of the Agent Authorisation API 1.0 (with the v1 Accept header), and what its answers
//! must say beyond their schemas, shared by this contract's scenarios and the request templates.

use anyhow::{Result, bail};
use serde_json::{Value, json};

use crate::harness::*;
use crate::http::{Exchange, Request};
use crate::sandbox::{Agent, Individual, Organisation};

pub const V1_ACCEPT: &str = "application/vnd.hmrc.1.0+json";

pub fn v1(method: &str, path: impl Into<String>, token: Option<&str>) -> Request {
    let request = Request::new(method, path).header("Accept", V1_ACCEPT);
    match token {
        Some(token) => request.bearer(token),
        None => request,
    }
}

pub fn path(arn: &str) -> String {
    format!("/agencies/{arn}/invitations")
}

pub(crate) fn create(agent: &Agent, body: &Value) -> Request {
    v1("POST", path(&agent.arn), Some(&agent.token)).json(body)
}

pub(crate) fn get(agent: &Agent, id: &str) -> Request {
    v1(
        "GET",
        format!("{}/{id}", path(&agent.arn)),
        Some(&agent.token),
    )
}

/// An Income Tax body as HMRC's 1.0 documentation names the service, with the optional client type and known fact.
pub fn itsa(client: &Individual) -> Value {
    json!({"service": "HMRC-MTD-IT", "clientType": "personal", "clientIdType": "ni", "clientId": client.nino, "knownFact": client.postcode})
}

/// A VAT body: the service as a one-element array, no client type.
pub fn vat(client: &Organisation) -> Value {
    json!({"service": ["HMRC-MTD-VAT"], "clientIdType": "vrn", "clientId": client.vrn, "knownFact": client.vat_registration_date})
}

/// The id a create's Location names, checked: `/agencies/{arn}/invitations/{id}`.
pub(crate) fn created(ctx: &Ctx, agent: &Agent, exchange: &Exchange) -> Result<String> {
    let id = location_id(exchange)?;
    let location = exchange.response.header("location").unwrap_or_default();
    if location != format!("{}/{id}", path(&agent.arn)) || !crate::reference::is_invitation_id(&id)
    {
        let message = format!(
            "create_agency_invitation_v1/204: Location {location:?} is not /agencies/{}/invitations/<a valid id>",
            agent.arn
        );
        ctx.fail(
            "create_agency_invitation_v1/204",
            format!("{message}\n      repeat:   {}", exchange.curl()),
        );
        bail!(message);
    }
    Ok(id)
}

/// What a v1 request body must say beyond its schema.
pub(crate) fn check_read(
    ctx: &Ctx,
    exchange: &Exchange,
    agent: &Agent,
    id: &str,
    service: &str,
    status: &str,
) -> Result<()> {
    let body = exchange.json().unwrap_or_default();
    let mut problems = Vec::new();
    for (field, expected) in [
        ("invitationId", id),
        ("arn", agent.arn.as_str()),
        ("service", service),
        ("status", status),
    ] {
        if body[field].as_str() != Some(expected) {
            problems.push(format!("{field} is {}, expected {expected:?}", body[field]));
        }
    }
    if body["_links"]["self"]["href"].as_str() != Some(&format!("{}/{id}", path(&agent.arn))) {
        problems.push(format!(
            "_links.self.href is {}",
            body["_links"]["self"]["href"]
        ));
    }
    if (status == "Pending") != body.get("clientActionUrl").is_some() {
        problems.push(format!(
            "clientActionUrl {} on a {status} request",
            if body.get("clientActionUrl").is_some() {
                "present"
            } else {
                "absent"
            }
        ));
    }
    if problems.is_empty() {
        return Ok(());
    }
    let message = format!(
        "get_agency_invitation_v1/200: the {status} request reads wrong: {}",
        problems.join("; ")
    );
    ctx.fail(
        "get_agency_invitation_v1/200",
        format!("{message}\n      repeat:   {}", exchange.curl()),
    );
    bail!(message)
}
