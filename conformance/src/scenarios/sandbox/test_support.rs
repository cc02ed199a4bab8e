//! Scenarios of the sandbox's test support (`/agent-authorisation-test-support/...`): a client's answer to a
//! request (accept, reject), a request expired, an individual signed up to MTD Income Tax.

use anyhow::Result;

use crate::harness::*;
use crate::http::Request;
use crate::reference::{random_invitation_id, random_nino};
use crate::scenarios::agent_authorisation_v2::{cancel, create, get};
use crate::scenarios::support::bad_ids;
use crate::scenarios::views::check_invitation;

/// A test-support request about an invitation (`suffix`: "" or "/expire").
fn support(method: &str, id: &str, suffix: &str) -> Request {
    Request::new(
        method,
        format!("/agent-authorisation-test-support/invitations/{id}{suffix}"),
    )
}

/// Accepting as the client: idempotent, refused once rejected, malformed or unknown ids.
pub async fn accepting(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
    let id = ctx
        .sandbox()
        .create_invitation(&agent, &itsa_body(&client, None))
        .await?;
    ctx.expect("accept_invitation/204", support("PUT", &id, ""))
        .await?;
    let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
    check_invitation(
        &ctx,
        "get_invitation/200",
        &read,
        &agent,
        &id,
        "MTD-IT",
        Some("main"),
        "Accepted",
    )?;
    // Again: idempotent.
    ctx.expect("accept_invitation/204", support("PUT", &id, ""))
        .await?;
    ctx.soft(
        "reject_invitation/403/INVALID_INVITATION_STATUS",
        support("DELETE", &id, ""),
    )
    .await?;
    let rejected = ctx
        .sandbox()
        .create_invitation(&agent, &vat_body(&ctx.sandbox().vat_client(false).await?))
        .await?;
    ctx.sandbox().reject(&rejected).await?;
    ctx.soft(
        "accept_invitation/403/INVALID_INVITATION_STATUS",
        support("PUT", &rejected, ""),
    )
    .await?;
    for bad in bad_ids(&id) {
        ctx.soft(
            "accept_invitation/400/BAD_REQUEST",
            support("PUT", &bad, ""),
        )
        .await?;
    }
    let mut rng = ctx.rng("ids");
    ctx.soft(
        "accept_invitation/404/INVITATION_NOT_FOUND",
        support("PUT", &random_invitation_id(&mut rng, 'A'), ""),
    )
    .await?;
    Ok(())
}

/// Rejecting as the client: idempotent, refused once cancelled, malformed or unknown ids.
pub async fn rejecting(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().vat_client(false))?;
    let id = ctx
        .sandbox()
        .create_invitation(&agent, &vat_body(&client))
        .await?;
    ctx.expect("reject_invitation/204", support("DELETE", &id, ""))
        .await?;
    let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
    check_invitation(
        &ctx,
        "get_invitation/200",
        &read,
        &agent,
        &id,
        "MTD-VAT",
        None,
        "Rejected",
    )?;
    ctx.expect("reject_invitation/204", support("DELETE", &id, ""))
        .await?;
    let cancelled = ctx
        .sandbox()
        .create_invitation(&agent, &vat_body(&client))
        .await?;
    ctx.expect("cancel_invitation/204", cancel(&agent, &cancelled))
        .await?;
    ctx.soft(
        "reject_invitation/403/INVALID_INVITATION_STATUS",
        support("DELETE", &cancelled, ""),
    )
    .await?;
    ctx.soft(
        "accept_invitation/403/INVALID_INVITATION_STATUS",
        support("PUT", &cancelled, ""),
    )
    .await?;
    for bad in bad_ids(&id) {
        ctx.soft(
            "reject_invitation/400/BAD_REQUEST",
            support("DELETE", &bad, ""),
        )
        .await?;
    }
    let mut rng = ctx.rng("ids");
    ctx.soft(
        "reject_invitation/404/INVITATION_NOT_FOUND",
        support("DELETE", &random_invitation_id(&mut rng, 'C'), ""),
    )
    .await?;
    Ok(())
}

/// Expiring a request: final, and it does not block a new one.
pub async fn expiring(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
    let body = itsa_body(&client, None);
    let id = ctx.sandbox().create_invitation(&agent, &body).await?;
    ctx.expect("expire_invitation/204", support("PUT", &id, "/expire"))
        .await?;
    let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
    check_invitation(
        &ctx,
        "get_invitation/200",
        &read,
        &agent,
        &id,
        "MTD-IT",
        Some("main"),
        "Expired",
    )?;
    // Expired is final: it cannot be expired again, answered or cancelled.
    ctx.soft(
        "expire_invitation/403/INVALID_INVITATION_STATUS",
        support("PUT", &id, "/expire"),
    )
    .await?;
    ctx.soft(
        "accept_invitation/403/INVALID_INVITATION_STATUS",
        support("PUT", &id, ""),
    )
    .await?;
    ctx.soft(
        "reject_invitation/403/INVALID_INVITATION_STATUS",
        support("DELETE", &id, ""),
    )
    .await?;
    ctx.soft(
        "cancel_invitation/403/INVALID_INVITATION_STATUS",
        cancel(&agent, &id),
    )
    .await?;
    // An expired request does not block a new one.
    ctx.expect("create_invitation/204", create(&agent, &body))
        .await?;
    for bad in bad_ids(&id) {
        ctx.soft(
            "expire_invitation/400/BAD_REQUEST",
            support("PUT", &bad, "/expire"),
        )
        .await?;
    }
    let mut rng = ctx.rng("ids");
    ctx.soft(
        "expire_invitation/404/INVITATION_NOT_FOUND",
        support("PUT", &random_invitation_id(&mut rng, 'A'), "/expire"),
    )
    .await?;
    Ok(())
}

/// Signing an individual up to MTD Income Tax: twice, a malformed NINO, an unknown one.
pub async fn signing_up_to_mtd_income_tax(ctx: Ctx) -> Result<()> {
    let alt = ctx.sandbox().alt_itsa_client().await?;
    let path =
        |nino: &str| format!("/agent-authorisation-test-support/individuals/{nino}/mtd-income-tax");
    ctx.expect(
        "sign_up_mtd_income_tax/200",
        Request::new("PUT", path(&alt.nino)).header("Accept", "application/json"),
    )
    .await?;
    ctx.expect(
        "sign_up_mtd_income_tax/200",
        Request::new("PUT", path(&alt.nino)).header("Accept", "application/json"),
    )
    .await?;
    ctx.soft(
        "sign_up_mtd_income_tax/400/CLIENT_ID_FORMAT_INVALID",
        Request::new("PUT", path("NOTANINO")).header("Accept", "application/json"),
    )
    .await?;
    let mut rng = ctx.rng("ids");
    ctx.soft(
        "sign_up_mtd_income_tax/404/CLIENT_REGISTRATION_NOT_FOUND",
        Request::new("PUT", path(&random_nino(&mut rng))).header("Accept", "application/json"),
    )
    .await?;
    Ok(())
}
