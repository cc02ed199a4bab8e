//! The backend's requests (no Accept header, the caller's bearer token) and the checks its scenarios share: an
//! invitation created and named by its Location, an invitation read back in a given status.

use anyhow::{Result, bail};
use serde_json::Value;

use crate::harness::Ctx;
use crate::http::{Exchange, Request};
use crate::paths::{cancel_path, sent_invitation_path, sent_path};
use crate::sandbox::{Agent, ServiceClient};

/// A backend request: no Accept header, and a bearer token if given.
pub fn backend(method: &str, path: impl Into<String>, token: Option<&str>) -> Request {
    let request = Request::new(method, path);
    match token {
        Some(token) => request.bearer(token),
        None => request,
    }
}

/// Every internal service id.
pub const SERVICES: [&str; 8] = [
    "HMRC-MTD-IT",
    "HMRC-MTD-IT-SUPP",
    "HMRC-MTD-VAT",
    "PERSONAL-INCOME-RECORD",
    "HMRC-CGT-PD",
    "HMRC-TERS-ORG",
    "HMRC-TERSNT-ORG",
    "HMRC-PPT-ORG",
];

/// A client's own request about one of its received invitations (`action`: "", "/accept", "/reject").
pub(crate) fn received(client: &ServiceClient, method: &str, id: &str, action: &str) -> Request {
    backend(
        method,
        format!("{}{action}", client.received_invitation_path(id)),
        Some(&client.token),
    )
}

pub(crate) fn create(agent: &Agent, body: &Value) -> Request {
    backend("POST", sent_path(&agent.arn), Some(&agent.token)).json(body)
}

pub(crate) fn get(agent: &Agent, id: &str) -> Request {
    backend(
        "GET",
        sent_invitation_path(&agent.arn, id),
        Some(&agent.token),
    )
}

pub(crate) fn cancel(agent: &Agent, id: &str) -> Request {
    backend("PUT", cancel_path(&agent.arn, id), Some(&agent.token))
}

pub(crate) fn list(agent: &Agent, query: &str) -> Request {
    backend(
        "GET",
        format!("{}{query}", sent_path(&agent.arn)),
        Some(&agent.token),
    )
}

/// A list query that filters nothing out, for checks whose subject is not the list itself.
pub(crate) const ALL: &str = "?createdOnOrAfter=2000-01-01";

/// Records a failure of `entry` beyond its schema, and stops the scenario.
pub(crate) fn wrong(ctx: &Ctx, entry: &str, exchange: &Exchange, message: String) -> Result<()> {
    ctx.fail(
        entry,
        format!("{message}\n      repeat:   {}", exchange.curl()),
    );
    bail!("{entry}: {message}")
}

/// Creates an invitation as `agent` (checked against `create_sent_invitation/201`, its Location naming it) and
/// answers its id.
pub(crate) async fn created(ctx: &Ctx, agent: &Agent, client: &ServiceClient) -> Result<String> {
    let entry = "create_sent_invitation/201";
    let exchange = ctx
        .expect(entry, create(agent, &client.create_body()))
        .await?;
    let body = exchange.json().unwrap_or_default();
    let id = body["invitationId"].as_str().unwrap_or_default().to_owned();
    let location = exchange.response.header("location").unwrap_or_default();
    if location != sent_invitation_path(&agent.arn, &id)
        || !crate::reference::is_invitation_id(&id)
        || body["status"] != "Pending"
        || body["service"] != client.service
    {
        wrong(
            ctx,
            entry,
            &exchange,
            format!(
                "expected a Pending {} invitation named by its Location, got Location {location:?} and {body}",
                client.service
            ),
        )?;
    }
    Ok(id)
}

/// Checks that a read of one of the agent's invitations says `status` (and, if given, the service and client id).
pub(crate) async fn read_as(
    ctx: &Ctx,
    agent: &Agent,
    id: &str,
    status: &str,
    client: Option<(&str, &str)>,
) -> Result<Value> {
    let entry = "get_sent_invitation/200";
    let exchange = ctx.expect(entry, get(agent, id)).await?;
    let body = exchange.json().unwrap_or_default();
    let mut problems = Vec::new();
    if body["invitationId"] != id {
        problems.push(format!("invitationId is {}", body["invitationId"]));
    }
    if body["status"] != status {
        problems.push(format!("status is {}, expected {status}", body["status"]));
    }
    if let Some((service, client_id)) = client {
        if body["service"] != service {
            problems.push(format!(
                "service is {}, expected {service}",
                body["service"]
            ));
        }
        if body["clientId"] != client_id {
            problems.push(format!(
                "clientId is {}, expected {client_id}",
                body["clientId"]
            ));
        }
    }
    if !problems.is_empty() {
        wrong(ctx, entry, &exchange, problems.join("; "))?;
    }
    Ok(body)
}
