//! Scenarios of the maintenance calls (tag Maintenance): the alternative ITSA update and a non-taxable trust's
//! URN replaced with a UTR.

use anyhow::Result;

use super::support::*;
use crate::harness::*;
use crate::http::Request;
use crate::paths::*;
use crate::reference::random_nino;
use crate::sandbox::{Agent, ServiceClient};

/// The alternative ITSA update, once the client has signed up to MTD IT.
pub async fn alt_itsa_update(ctx: Ctx) -> Result<()> {
    let (agent, partial, pending) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().alt_itsa_service_client("HMRC-MTD-IT"),
        ctx.sandbox().alt_itsa_service_client("HMRC-MTD-IT")
    )?;
    ctx.soft(
        "update_alt_itsa/400/BAD_REQUEST",
        update(&ctx, "HMRC-MTD-VAT", &pending.client_id),
    )
    .await?;
    ctx.soft(
        "update_alt_itsa/400/CLIENT_ID_FORMAT_INVALID",
        update(&ctx, "HMRC-MTD-IT", "AB12345"),
    )
    .await?;
    ctx.soft(
        "update_alt_itsa/404/ALT_ITSA_NOT_FOUND",
        update(
            &ctx,
            "HMRC-MTD-IT",
            &random_nino(&mut ctx.fresh_rng("nino")),
        ),
    )
    .await?;
    let partial_id = created(&ctx, &agent, &partial).await?;
    ctx.sandbox().accept(&partial_id).await?;
    let pending_id = created(&ctx, &agent, &pending).await?;
    // Invited, but not signed up yet.
    ctx.soft(
        "update_alt_itsa/404/ALT_ITSA_NOT_FOUND",
        update(&ctx, "HMRC-MTD-IT", &pending.client_id),
    )
    .await?;
    let ids = [
        signed_up(&ctx, &partial).await?,
        signed_up(&ctx, &pending).await?,
    ];
    ctx.expect(
        "update_alt_itsa/201",
        update(&ctx, "HMRC-MTD-IT", &partial.client_id),
    )
    .await?;
    read_as(
        &ctx,
        &agent,
        &partial_id,
        "Accepted",
        Some(("HMRC-MTD-IT", &ids[0])),
    )
    .await?;
    ctx.expect(
        "update_alt_itsa/204",
        update(&ctx, "HMRC-MTD-IT", &pending.client_id),
    )
    .await?;
    read_as(
        &ctx,
        &agent,
        &pending_id,
        "Pending",
        Some(("HMRC-MTD-IT", &ids[1])),
    )
    .await?;
    // Nothing is left to update.
    ctx.soft(
        "update_alt_itsa/404/ALT_ITSA_NOT_FOUND",
        update(&ctx, "HMRC-MTD-IT", &pending.client_id),
    )
    .await?;
    Ok(())
}

/// A non-taxable trust's URN replaced with a UTR: its invitations and relationship follow.
pub async fn trust_becomes_taxable(ctx: Ctx) -> Result<()> {
    let (agent, pending, accepted, rejected, never) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().service_client("HMRC-TERSNT-ORG"),
        ctx.sandbox().service_client("HMRC-TERSNT-ORG"),
        ctx.sandbox().service_client("HMRC-TERSNT-ORG"),
        ctx.sandbox().service_client("HMRC-TERSNT-ORG"),
    )?;
    // Fresh UTRs, which no trust holds: drawn with the run's nonce, so not those an earlier run moved trusts to.
    let mut rng = ctx.fresh_rng("utr");
    let utr = random_utr(&mut rng);
    let accepted_utr = random_utr(&mut rng);
    let rejected_utr = random_utr(&mut rng);
    refused(&ctx, &never.client_id, &utr).await?;
    let pending_id = created(&ctx, &agent, &pending).await?;
    let accepted_id = created(&ctx, &agent, &accepted).await?;
    let rejected_id = created(&ctx, &agent, &rejected).await?;
    ctx.sandbox().accept(&accepted_id).await?;
    ctx.sandbox().reject(&rejected_id).await?;
    ctx.expect(
        "replace_urn_with_utr/201",
        replace(&ctx, &pending.client_id, &utr),
    )
    .await?;
    read_as(
        &ctx,
        &agent,
        &pending_id,
        "Pending",
        Some(("HMRC-TERS-ORG", &utr)),
    )
    .await?;
    ctx.expect(
        "replace_urn_with_utr/204",
        replace(&ctx, &rejected.client_id, &rejected_utr),
    )
    .await?;
    read_as(
        &ctx,
        &agent,
        &rejected_id,
        "Rejected",
        Some(("HMRC-TERSNT-ORG", &rejected.client_id)),
    )
    .await?;
    ctx.expect(
        "replace_urn_with_utr/201",
        replace(&ctx, &accepted.client_id, &accepted_utr),
    )
    .await?;
    read_as(
        &ctx,
        &agent,
        &accepted_id,
        "Accepted",
        Some(("HMRC-TERS-ORG", &accepted_utr)),
    )
    .await?;
    // The relationship moved too.
    relationship_moved(&ctx, &agent, &accepted, &accepted_utr).await
}

/// The alternative ITSA update, as HMRC staff.
fn update(ctx: &Ctx, service: &str, nino: &str) -> Request {
    backend(
        "PUT",
        alt_itsa_path(service, nino),
        Some(&ctx.fixtures().hmrc_staff),
    )
}

/// Signs an alternative ITSA client up to MTD IT through the test support; answers its new MTDITID.
async fn signed_up(ctx: &Ctx, client: &ServiceClient) -> Result<String> {
    ctx.sandbox()
        .sign_up_mtd_income_tax(&client.client_id)
        .await
}

/// URN to UTR, as HMRC staff.
fn replace(ctx: &Ctx, urn: &str, utr: &str) -> Request {
    backend(
        "POST",
        replace_path(urn, utr),
        Some(&ctx.fixtures().hmrc_staff),
    )
}

/// A malformed UTR or URN, and a URN no invitation names.
async fn refused(ctx: &Ctx, never: &str, utr: &str) -> Result<()> {
    ctx.soft(
        "replace_urn_with_utr/400/CLIENT_ID_FORMAT_INVALID",
        replace(ctx, never, "12345"),
    )
    .await?;
    ctx.soft(
        "replace_urn_with_utr/400/CLIENT_ID_FORMAT_INVALID",
        replace(ctx, "NOT-A-URN!", utr),
    )
    .await?;
    ctx.soft(
        "replace_urn_with_utr/404/INVITATION_NOT_FOUND",
        replace(ctx, never, utr),
    )
    .await?;
    Ok(())
}

/// The relationship of a trust whose URN was replaced moved to its UTR.
async fn relationship_moved(
    ctx: &Ctx,
    agent: &Agent,
    accepted: &ServiceClient,
    accepted_utr: &str,
) -> Result<()> {
    let moved = ServiceClient {
        service: "HMRC-TERS-ORG",
        client_id_type: "utr",
        client_id: accepted_utr.to_owned(),
        ..accepted.clone()
    };
    ctx.expect(
        "check_agent_relationship/204",
        backend(
            "GET",
            moved.relationship_path(&agent.arn),
            Some(&agent.token),
        ),
    )
    .await?;
    ctx.expect(
        "check_agent_relationship/404/RELATIONSHIP_NOT_FOUND",
        backend(
            "GET",
            accepted.relationship_path(&agent.arn),
            Some(&agent.token),
        ),
    )
    .await?;
    Ok(())
}

/// A random valid UTR: 10 digits, the first the mod-11 check of the other nine.
fn random_utr(rng: &mut crate::reference::Rng) -> String {
    let body = format!("{:09}", rng.below(1_000_000_000));
    let weights = [6, 7, 8, 9, 10, 5, 4, 3, 2];
    let sum: u32 = body
        .bytes()
        .zip(weights)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = char::from(b"21987654321"[(sum % 11) as usize]);
    format!("{check}{body}")
}

/// Only HMRC staff make the maintenance calls: no token is 401, an agent or a client 403, and nothing changes.
pub async fn only_hmrc_staff(ctx: Ctx) -> Result<()> {
    let (agent, alt) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().alt_itsa_service_client("HMRC-MTD-IT")
    )?;
    let id = created(&ctx, &agent, &alt).await?;
    ctx.sandbox().accept(&id).await?;
    signed_up(&ctx, &alt).await?;
    let nino = alt.client_id.as_str();
    let urn = "XATRUST00000001";
    let utr = "2134514321";
    for token in [None, Some(agent.token.as_str()), Some(alt.token.as_str())] {
        let entry = match token {
            None => "401/UNAUTHORIZED",
            Some(_) => "403/NO_PERMISSION",
        };
        let alt_itsa = backend("PUT", alt_itsa_path("HMRC-MTD-IT", nino), token);
        ctx.soft(&format!("update_alt_itsa/{entry}"), alt_itsa)
            .await?;
        let moved = backend("POST", replace_path(urn, utr), token);
        ctx.soft(&format!("replace_urn_with_utr/{entry}"), moved)
            .await?;
    }
    // The partial authorisation is still partial: nobody but HMRC staff changed it.
    read_as(&ctx, &agent, &id, "Partialauth", None).await?;
    Ok(())
}
