//! Scenarios of the agent's links to several invitations (`/agencies/{arn}/multi-invitations`).

use anyhow::Result;
use serde_json::{Value, json};

use super::support::*;
use crate::harness::*;
use crate::http::Exchange;
use crate::paths::*;
use crate::reference::random_invitation_id;
use crate::sandbox::Agent;
use crate::scenarios::support::bad_ids;

/// A link to several invitations, and links refused.
pub async fn link_to_several_invitations(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let (agent, vat, pir) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().service_client("HMRC-MTD-VAT"),
        ctx.sandbox().service_client("PERSONAL-INCOME-RECORD")
    )?;
    let first = created(&ctx, &agent, &vat).await?;
    let second = created(&ctx, &agent, &pir).await?;
    let link = |body: Value| {
        backend(
            "POST",
            multi_invitations_path(&agent.arn),
            Some(&agent.token),
        )
        .json(&body)
    };
    let entry = "create_multi_invitation_link/201";
    let exchange = ctx
        .expect(
            entry,
            link(json!({"clientType": "personal", "invitationIds": [first, second]})),
        )
        .await?;
    link_location(&ctx, &agent, &exchange)?;
    let cases = [
        (
            "create_multi_invitation_link/400/CLIENT_TYPE_NOT_SUPPORTED",
            json!({"clientType": "alien", "invitationIds": [first]}),
        ),
        (
            "create_multi_invitation_link/400/BAD_REQUEST",
            json!({"clientType": "personal", "invitationIds": []}),
        ),
        (
            "create_multi_invitation_link/400/BAD_REQUEST",
            json!({"clientType": "personal"}),
        ),
        (
            "create_multi_invitation_link/400/BAD_REQUEST",
            json!({"clientType": "personal", "invitationIds": [bad_ids(&first)[0]]}),
        ),
        (
            "create_multi_invitation_link/404/INVITATION_NOT_FOUND",
            json!({"clientType": "personal", "invitationIds": [first, f.pending]}),
        ),
        (
            "create_multi_invitation_link/404/INVITATION_NOT_FOUND",
            json!({"clientType": "business", "invitationIds": [random_invitation_id(&mut ctx.fresh_rng("unknown"), 'C')]}),
        ),
    ];
    for (entry, body) in cases {
        ctx.soft(entry, link(body)).await?;
    }
    Ok(())
}

/// A link's Location: `/invitations/personal/{uid}/{the agency's normalised name}`.
fn link_location(ctx: &Ctx, agent: &Agent, exchange: &Exchange) -> Result<()> {
    let entry = "create_multi_invitation_link/201";
    let location = exchange.response.header("location").unwrap_or_default();
    let parts: Vec<&str> = location.split('/').collect();
    let shaped = parts.len() == 5 && parts[1] == "invitations" && parts[2] == "personal";
    if !shaped || parts[3].len() != 8 {
        let message =
            format!("Location {location:?} is not /invitations/personal/<uid>/<agency name>");
        wrong(ctx, entry, exchange, message)?;
    }
    let name = crate::scenarios::across::links::normalised(&agent.agency_name);
    ctx.rule("R-MULTI-LINK", parts.get(4) == Some(&name.as_str()), || {
        format!("Location {location:?} does not end with the normalised agency name {name:?}")
    })
}
