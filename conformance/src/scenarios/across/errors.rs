//! Errors on every surface (docs/domain.md §9): one shape everywhere, routes that do not exist, malformed
//! requests refused as 400 and never a 5xx, and a body that never finishes arriving.

use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use crate::harness::*;
use crate::http::{Exchange, Request};
use crate::paths::{invitations_path, relationships_path, sent_path};
use crate::scenarios::agent_authorisation_v1::support as v1_api;
use crate::scenarios::agent_authorisation_v2::{create, get};
use crate::scenarios::support::test_support;

/// How long the harness waits for a server to give up on a body that stalls (its body timeout, then some).
const SLOW_BODY_WAIT: Duration = Duration::from_secs(45);

/// Whether an answer is exactly `{code, message}` as JSON.
fn error_shaped(exchange: &Exchange) -> bool {
    let json = exchange
        .response
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json"));
    let keys: Vec<String> = exchange
        .json()
        .and_then(|body| body.as_object().map(|o| o.keys().cloned().collect()))
        .unwrap_or_default();
    json && keys == ["code", "message"]
}

/// An error from each surface is `{code, message}` and nothing else; paths and methods that do not exist are
/// 404 NOT_FOUND "Resource was not found.", never 405.
pub async fn one_error_shape_everywhere(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let arn = &f.agent.arn;
    let no_token = |request: Request| request.set_header("Authorization", None);
    let errors = [
        (
            "get_invitation/401/UNAUTHORIZED",
            no_token(get(&f.agent, &f.pending)),
        ),
        (
            "get_agency_invitation_v1/403/NO_PERMISSION_ON_AGENCY",
            v1_api::get(&f.other_agent, &f.pending),
        ),
        (
            "list_sent_invitations/401/UNAUTHORIZED",
            Request::new("GET", sent_path(arn)),
        ),
        (
            "accept_invitation/401/UNAUTHORIZED",
            test_support("PUT", &f.pending, "", None),
        ),
        (
            "api_contract/404/NOT_FOUND",
            Request::new("GET", "/api/conf/9.9/application.yaml"),
        ),
    ];
    for (entry, request) in errors {
        let exchange = ctx.expect(entry, request).await?;
        ctx.rule("R-ERROR-SHAPE", error_shaped(&exchange), || {
            format!(
                "{entry} is not exactly {{code, message}} as JSON\n      repeat:   {}",
                exchange.curl()
            )
        })?;
    }
    let not_found = json!({"code": "NOT_FOUND", "message": "Resource was not found."});
    for request in [
        Request::new("GET", "/no/such/path"),
        v2("DELETE", relationships_path(arn), Some(&f.agent.token)),
        v2("PATCH", invitations_path(arn), Some(&f.agent.token)),
    ] {
        let exchange = ctx.send(request).await?;
        let holds = exchange.status() == 404 && exchange.json() == Some(not_found.clone());
        ctx.rule("R-ERROR-UNKNOWN-ROUTE", holds, || {
            format!(
                "expected 404 {not_found}, got {}\n      repeat:   {}",
                exchange.summary(),
                exchange.curl()
            )
        })?;
    }
    Ok(())
}

/// Malformed requests are 400 BAD_REQUEST "Bad Request", never a 5xx or a field's code: bad percent-encoding
/// in a path, `null` for a field, data after the JSON value, NUL bytes (raw, escaped, in the
/// path or the query), a body over 64 KiB.
pub async fn malformed_requests(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let (agent, token) = (&f.agent, Some(f.agent.token.as_str()));
    let body = itsa_body(&f.individual, None);
    let text = serde_json::to_string(&body)?;
    let bodies: [Vec<u8>; 4] = [
        serde_json::to_vec(&with(&body, "agentType", json!(null)))?,
        format!("{text} x").into_bytes(),
        text.replacen("\"personal\"", "\"pers\\u0000onal\"", 1)
            .into_bytes(),
        format!("{{\"pad\": \"{}\", {}", "x".repeat(70_000), &text[1..]).into_bytes(),
    ];
    for bytes in bodies {
        let request = create(agent, &json!({})).bytes(bytes);
        ctx.soft("create_invitation/400/BAD_REQUEST", request)
            .await?;
    }
    let base = invitations_path(&agent.arn);
    for path in [
        format!("{base}/AB%ZZ"),
        format!("{base}/%C3%28"),
        format!("{base}/%00"),
    ] {
        ctx.soft("get_invitation/400/BAD_REQUEST", v2("GET", path, token))
            .await?;
    }
    let query = format!("{}?status=%00", sent_path(&agent.arn));
    ctx.soft(
        "list_sent_invitations/400/BAD_REQUEST",
        Request::new("GET", query).bearer(&agent.token),
    )
    .await?;
    Ok(())
}

/// A body that stops arriving is 408 REQUEST_TIMEOUT once the body timeout passes, and the connection closed.
pub async fn a_body_that_never_arrives(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let request = create(&f.agent, &itsa_body(&f.individual, None));
    let answer = ctx
        .h
        .http
        .send_stalled(&request, 10, SLOW_BODY_WAIT)
        .await?;
    let expected =
        json!({"code": "REQUEST_TIMEOUT", "message": "The request was not received in time."});
    let got = answer.as_ref().map(|r| (r.status, r.json()));
    ctx.rule(
        "R-ERROR-SLOW-BODY",
        got == Some((408, Some(expected.clone()))),
        || match &answer {
            None => format!(
                "no answer, or the connection still open, {SLOW_BODY_WAIT:?} after the body stalled"
            ),
            Some(r) => format!("expected 408 {expected}, got {} {}", r.status, r.text()),
        },
    )
}
