//! The requests of the Agent Authorisation API 2.0 (with the v2 Accept header and the agent's token), and the
//! check of a create's Location, shared by this contract's scenarios, the model-based sequences and the sandbox
//! scenarios.

use anyhow::{Result, bail};
use serde_json::Value;

use crate::harness::{Ctx, location_id, v2};
use crate::http::{Exchange, Request};
use crate::paths::{deauthorise_path, invitation_path, invitations_path, relationships_path};
use crate::sandbox::Agent;

pub fn create(agent: &Agent, body: &Value) -> Request {
    v2("POST", invitations_path(&agent.arn), Some(&agent.token)).json(body)
}

pub fn get(agent: &Agent, id: &str) -> Request {
    v2("GET", invitation_path(&agent.arn, id), Some(&agent.token))
}

pub fn cancel(agent: &Agent, id: &str) -> Request {
    v2(
        "DELETE",
        invitation_path(&agent.arn, id),
        Some(&agent.token),
    )
}

pub fn list(agent: &Agent) -> Request {
    v2("GET", invitations_path(&agent.arn), Some(&agent.token))
}

pub fn check(agent: &Agent, body: &Value) -> Request {
    v2("POST", relationships_path(&agent.arn), Some(&agent.token)).json(body)
}

pub fn deauthorise(agent: &Agent, body: &Value) -> Request {
    v2("PUT", deauthorise_path(&agent.arn), Some(&agent.token)).json(body)
}

/// Checks the Location of a create: `/agents/{arn}/invitations/{id}` with a well-formed id.
pub(crate) fn created_id(
    ctx: &Ctx,
    entry: &str,
    agent: &Agent,
    exchange: &Exchange,
) -> Result<String> {
    let id = location_id(exchange)?;
    let location = exchange.response.header("location").unwrap_or_default();
    if location != invitation_path(&agent.arn, &id) || !crate::reference::is_invitation_id(&id) {
        let message = format!(
            "{entry}: Location {location:?} is not /agents/{}/invitations/<a valid invitation id>",
            agent.arn
        );
        ctx.fail(
            entry,
            format!("{message}\n      repeat:   {}", exchange.curl()),
        );
        bail!(message);
    }
    Ok(id)
}
