//! Scenarios of the sandbox's Create Test User (`/create-test-user/...`, tag Test users): an agent, an individual
//! and an organisation, each with the services it may have, malformed bodies and services it may not have.

use anyhow::Result;
use serde_json::{Value, json};

use crate::harness::*;
use crate::http::Request;
use crate::reference::arn_check;
use crate::sandbox::Agent;
use crate::scenarios::agent_authorisation_v2::list;

fn post(path: &str, body: &Value) -> Request {
    Request::new("POST", path)
        .header("Accept", "application/json")
        .json(body)
}

/// An agent with agent services; one with mtd-vat is refused. Every ARN issued passes its check; a token lives
/// as long as asked (none at all for 0, a century at most).
pub async fn create_agent(ctx: Ctx) -> Result<()> {
    create_test_user(
        ctx.clone(),
        "create_test_agent",
        "/create-test-user/agents",
        json!({"serviceNames": ["agent-services"]}),
        "mtd-vat",
    )
    .await?;
    for _ in 0..3 {
        let arn = ctx.sandbox().agent().await?.arn;
        let valid = arn.len() == 11
            && arn[1..4] == *"ARN"
            && arn[4..].bytes().all(|b| b.is_ascii_digit())
            && arn.starts_with(arn_check(&arn[1..]));
        ctx.rule("R-ARN-CHECK", valid, || {
            format!("the sandbox issued the ARN {arn}")
        })?;
    }
    token_lifetimes(&ctx).await
}

/// A token made to last 0 seconds is refused at once (401); one made to last longer than a century works.
async fn token_lifetimes(ctx: &Ctx) -> Result<()> {
    let expired = ctx.sandbox().agent_with_token_lifetime(Some(0)).await?;
    ctx.expect("list_invitations/401/UNAUTHORIZED", list(&expired))
        .await?;
    let lasting = ctx
        .sandbox()
        .agent_with_token_lifetime(Some(i64::MAX))
        .await?;
    ctx.expect("list_invitations/204", list(&lasting)).await?;
    Ok(())
}

/// An individual with every service it may have; one with agent-services is refused.
pub async fn create_individual(ctx: Ctx) -> Result<()> {
    create_test_user(
        ctx,
        "create_test_individual",
        "/create-test-user/individuals",
        json!({"serviceNames": ["national-insurance", "mtd-income-tax", "self-assessment", "mtd-vat"]}),
        "agent-services",
    )
    .await
}

/// An insolvent organisation with mtd-vat; one with national-insurance is refused.
pub async fn create_organisation(ctx: Ctx) -> Result<()> {
    create_test_user(
        ctx,
        "create_test_organisation",
        "/create-test-user/organisations",
        json!({"serviceNames": ["mtd-vat"], "insolvent": true}),
        "national-insurance",
    )
    .await
}

/// An HMRC staff user, with and without a token lifetime; malformed bodies are 400 BAD_REQUEST.
pub async fn create_hmrc_staff(ctx: Ctx) -> Result<()> {
    let path = "/create-test-user/hmrc-staff";
    for body in [json!({}), json!({"tokenLifetimeSeconds": 3600})] {
        let staff = ctx
            .expect("create_test_hmrc_staff/201", post(path, &body))
            .await?;
        // Staff are not agents.
        let token = staff.json().unwrap_or_default()["accessToken"].clone();
        let as_agent = ctx.fixtures().agent.clone();
        let staff_calls = Agent {
            token: token.as_str().unwrap_or_default().to_owned(),
            ..as_agent
        };
        ctx.expect("list_invitations/403/NOT_AN_AGENT", list(&staff_calls))
            .await?;
    }
    for body in [
        json!([]),
        json!({"tokenLifetimeSeconds": "soon"}),
        json!({"tokenLifetimeSeconds": -1}),
    ] {
        ctx.soft("create_test_hmrc_staff/400/BAD_REQUEST", post(path, &body))
            .await?;
    }
    Ok(())
}

/// One kind of test user: `good` and no services at all are created; malformed bodies are 400 BAD_REQUEST;
/// `wrong_service` and an unknown service are 400 SERVICE_NAME_NOT_SUPPORTED.
async fn create_test_user(
    ctx: Ctx,
    operation: &str,
    path: &str,
    good: Value,
    wrong_service: &str,
) -> Result<()> {
    let created = format!("{operation}/201");
    let bad_request = format!("{operation}/400/BAD_REQUEST");
    let not_supported = format!("{operation}/400/SERVICE_NAME_NOT_SUPPORTED");
    ctx.soft(&created, post(path, &good)).await?;
    ctx.soft(
        &created,
        post(
            path,
            &json!({"serviceNames": [], "tokenLifetimeSeconds": 60}),
        ),
    )
    .await?;
    ctx.soft(&bad_request, post(path, &json!({"services": ["mtd-vat"]})))
        .await?;
    ctx.soft(
        &bad_request,
        post(path, &json!({"serviceNames": "mtd-vat"})),
    )
    .await?;
    ctx.soft(
        &bad_request,
        post(
            path,
            &json!({"serviceNames": [], "tokenLifetimeSeconds": -1}),
        ),
    )
    .await?;
    ctx.soft(
        &bad_request,
        post(path, &json!({})).bytes(b"serviceNames=mtd-vat".to_vec()),
    )
    .await?;
    ctx.soft(
        &not_supported,
        post(path, &json!({"serviceNames": [wrong_service]})),
    )
    .await?;
    ctx.soft(
        &not_supported,
        post(path, &json!({"serviceNames": ["no-such-service"]})),
    )
    .await?;
    Ok(())
}
