//! Scenarios of the sandbox's Create Test User (`/create-test-user/...`, tag Test users): an agent, an individual
//! and an organisation, each with the services it may have, malformed bodies and services it may not have.

use anyhow::Result;
use serde_json::{Value, json};

use crate::harness::*;
use crate::http::Request;

fn post(path: &str, body: &Value) -> Request {
    Request::new("POST", path)
        .header("Accept", "application/json")
        .json(body)
}

/// An agent with agent services; one with mtd-vat is refused.
pub async fn create_agent(ctx: Ctx) -> Result<()> {
    create_test_user(
        ctx,
        "create_test_agent",
        "/create-test-user/agents",
        json!({"serviceNames": ["agent-services"]}),
        "mtd-vat",
    )
    .await
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
        ctx.expect("create_test_hmrc_staff/201", post(path, &body))
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
