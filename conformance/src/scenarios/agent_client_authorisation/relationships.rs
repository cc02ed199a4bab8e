//! Scenarios of the agent's relationships (`/agencies/{arn}/relationships/...`, tag Relationships): check and
//! end.

use anyhow::{Result, ensure};

use super::support::*;
use crate::harness::*;
use crate::paths::*;
use crate::sandbox::{Agent, ServiceClient};

/// Checking and ending a relationship: malformed paths, none, an active one, a partial authorisation.
pub async fn relationships(ctx: Ctx) -> Result<()> {
    let (agent, itsa) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().service_client("HMRC-MTD-IT")
    )?;
    malformed_paths(&ctx, &agent, &itsa.client_id).await?;
    check_and_end(&ctx, &agent, &itsa).await?;
    // A partial authorisation counts as active.
    let alt = ctx.sandbox().alt_itsa_service_client("HMRC-MTD-IT").await?;
    let partial = created(&ctx, &agent, &alt).await?;
    ctx.sandbox().accept(&partial).await?;
    read_as(&ctx, &agent, &partial, "Partialauth", None).await?;
    ctx.expect(
        "check_agent_relationship/204",
        backend("GET", alt.relationship_path(&agent.arn), Some(&agent.token)),
    )
    .await?;
    Ok(())
}

/// Unsupported services, identifiers of another service, and malformed identifiers, for both operations.
async fn malformed_paths(ctx: &Ctx, agent: &Agent, nino: &str) -> Result<()> {
    let at = |method: &str, service: &str, id_type: &str, id: &str| {
        backend(
            method,
            relationship_path(&agent.arn, service, id_type, id),
            Some(&agent.token),
        )
    };
    for (method, operation) in [
        ("GET", "check_agent_relationship"),
        ("DELETE", "end_agent_relationship"),
    ] {
        for (service, id_type, id, entry) in [
            ("HMRC-XYZ", "ni", nino, "501/SERVICE_NOT_SUPPORTED"),
            ("MTD-VAT", "x", "x", "501/SERVICE_NOT_SUPPORTED"),
            (
                "HMRC-MTD-VAT",
                "ni",
                nino,
                "400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
            ),
            (
                "HMRC-MTD-IT",
                "vrn",
                "101747696",
                "400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
            ),
            (
                "HMRC-MTD-VAT",
                "vrn",
                "12345678",
                "400/CLIENT_ID_FORMAT_INVALID",
            ),
            (
                "HMRC-MTD-IT-SUPP",
                "ni",
                "AB12345",
                "400/CLIENT_ID_FORMAT_INVALID",
            ),
        ] {
            ctx.soft(
                &format!("{operation}/{entry}"),
                at(method, service, id_type, id),
            )
            .await?;
        }
    }
    Ok(())
}

/// None before the invitation is accepted; the agent ends it (ended by the Agent), and then there is none.
async fn check_and_end(ctx: &Ctx, agent: &Agent, itsa: &ServiceClient) -> Result<()> {
    let check = || {
        backend(
            "GET",
            itsa.relationship_path(&agent.arn),
            Some(&agent.token),
        )
    };
    let end = || {
        backend(
            "DELETE",
            itsa.relationship_path(&agent.arn),
            Some(&agent.token),
        )
    };
    ctx.soft(
        "check_agent_relationship/404/RELATIONSHIP_NOT_FOUND",
        check(),
    )
    .await?;
    ctx.soft("end_agent_relationship/403/NO_RELATIONSHIP", end())
        .await?;
    let id = created(ctx, agent, itsa).await?;
    ctx.soft(
        "check_agent_relationship/404/RELATIONSHIP_NOT_FOUND",
        check(),
    )
    .await?;
    ctx.sandbox().accept(&id).await?;
    ctx.expect("check_agent_relationship/204", check()).await?;
    ctx.expect("end_agent_relationship/204", end()).await?;
    let body = read_as(ctx, agent, &id, "Deauthorised", None).await?;
    ensure!(
        body["relationshipEndedBy"] == "Agent",
        "an invitation the agent ended reads relationshipEndedBy {}",
        body["relationshipEndedBy"]
    );
    ctx.soft(
        "check_agent_relationship/404/RELATIONSHIP_NOT_FOUND",
        check(),
    )
    .await?;
    ctx.soft("end_agent_relationship/403/NO_RELATIONSHIP", end())
        .await?;
    Ok(())
}
