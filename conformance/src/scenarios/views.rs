//! What an invitation body must say beyond its schema (the contract's prose, docs/domain.md §8): its id, agent,
//! service and status; `expiresOn` and `clientActionUrl` only while Pending, `updated` otherwise; `agentType`
//! for MTD-IT only; every time RFC 3339 UTC with milliseconds.

use anyhow::{Result, bail};
use serde_json::Value;

use crate::harness::Ctx;
use crate::http::Exchange;
use crate::sandbox::Agent;

/// The problems of an invitation body, if any.
pub fn invitation_problems(
    body: &Value,
    arn: &str,
    id: &str,
    service: &str,
    agent_type: Option<&str>,
    status: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    identity_problems(&mut problems, body, arn, id, service, agent_type, status);
    lifecycle_problems(&mut problems, body, status);
    time_problems(&mut problems, body, status);
    if let Some(link) = body.get("clientActionUrl").and_then(Value::as_str) {
        let suffix = if service == "MTD-VAT" {
            "/vat"
        } else {
            "/income-tax"
        };
        if !link.contains("/appoint-someone-to-deal-with-HMRC-for-you/") || !link.ends_with(suffix)
        {
            problems.push(format!("clientActionUrl {link:?} is not .../appoint-someone-to-deal-with-HMRC-for-you/<uid>/<agency>{suffix}"));
        }
    }
    problems
}

/// Its id, agent, status, link to itself, service and agent type.
fn identity_problems(
    problems: &mut Vec<String>,
    body: &Value,
    arn: &str,
    id: &str,
    service: &str,
    agent_type: Option<&str>,
    status: &str,
) {
    let expect = |problems: &mut Vec<String>, what: &str, found: &Value, expected: &str| {
        if found.as_str() != Some(expected) {
            problems.push(format!("{what} is {found}, expected {expected:?}"));
        }
    };
    expect(problems, "invitationId", &body["invitationId"], id);
    expect(problems, "arn", &body["arn"], arn);
    expect(problems, "status", &body["status"], status);
    expect(
        problems,
        "_links.self.href",
        &body["_links"]["self"]["href"],
        &format!("/agents/{arn}/invitations/{id}"),
    );
    if body["service"] != serde_json::json!([service]) {
        problems.push(format!(
            "service is {}, expected [{service:?}]",
            body["service"]
        ));
    }
    match agent_type {
        Some(agent_type) => expect(problems, "agentType", &body["agentType"], agent_type),
        None if body.get("agentType").is_some() => problems.push(format!(
            "agentType {} on a {service} request",
            body["agentType"]
        )),
        None => {}
    }
}

/// `expiresOn` and `clientActionUrl` only while Pending, `updated` otherwise.
fn lifecycle_problems(problems: &mut Vec<String>, body: &Value, status: &str) {
    let pending = status == "Pending";
    for (field, wanted) in [
        ("expiresOn", pending),
        ("clientActionUrl", pending),
        ("updated", !pending),
    ] {
        match (body.get(field).is_some(), wanted) {
            (false, true) => problems.push(format!("no {field} on a {status} request")),
            (true, false) => problems.push(format!("{field} on a {status} request")),
            _ => {}
        }
    }
}

/// Every time RFC 3339 UTC with milliseconds; a pending request expires at midnight UTC 21 days after the day it
/// was created.
fn time_problems(problems: &mut Vec<String>, body: &Value, status: &str) {
    for field in ["created", "updated", "expiresOn"] {
        if let Some(text) = body.get(field).and_then(Value::as_str) {
            let utc_millis = chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| {
                    t.with_timezone(&chrono::Utc)
                        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                        .to_string()
                        == text
                })
                .unwrap_or(false);
            if !utc_millis {
                problems.push(format!(
                    "{field} {text:?} is not RFC 3339 UTC with milliseconds"
                ));
            }
        }
    }
    if status == "Pending"
        && let (Some(created), Some(expires)) =
            (body["created"].as_str(), body["expiresOn"].as_str())
    {
        let created = chrono::DateTime::parse_from_rfc3339(created)
            .map(|t| t.with_timezone(&chrono::Utc).date_naive());
        let expires =
            chrono::DateTime::parse_from_rfc3339(expires).map(|t| t.with_timezone(&chrono::Utc));
        if let (Ok(created), Ok(expires)) = (created, expires) {
            let expected = (created + chrono::Duration::days(21))
                .and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc());
            if Some(expires) != expected {
                problems.push(format!(
                    "expiresOn {expires} is not midnight UTC 21 days after the day it was created"
                ));
            }
        }
    }
}

/// Checks an invitation read through `entry`, recording a failure against it.
#[allow(clippy::too_many_arguments)]
pub fn check_invitation(
    ctx: &Ctx,
    entry: &str,
    exchange: &Exchange,
    agent: &Agent,
    id: &str,
    service: &str,
    agent_type: Option<&str>,
    status: &str,
) -> Result<()> {
    let body = exchange.json().unwrap_or_default();
    let problems = invitation_problems(&body, &agent.arn, id, service, agent_type, status);
    if problems.is_empty() {
        return Ok(());
    }
    let message = format!(
        "{entry}: the {status} request reads wrong: {}",
        problems.join("; ")
    );
    ctx.fail(
        entry,
        format!("{message}\n      repeat:   {}", exchange.curl()),
    );
    bail!(message)
}
