//! Scenarios of the v2 relationships (`/agents/{arn}/relationships`, `/agents/{arn}/deauthorise-client`):
//! checking and ending an agent's relationship with a client.

use anyhow::Result;
use serde_json::json;

use super::support::{check, deauthorise, get};
use crate::harness::*;
use crate::reference::random_nino;
use crate::scenarios::views::check_invitation;

/// A relationship exists once the request is accepted, also as a partial authorisation.
pub async fn checking(ctx: Ctx) -> Result<()> {
    let (agent, client, alt) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().itsa_client(),
        ctx.sandbox().alt_itsa_client()
    )?;
    let body = itsa_body(&client, None);
    ctx.expect(
        "check_relationship/404/RELATIONSHIP_NOT_FOUND",
        check(&agent, &check_body(&body)),
    )
    .await?;
    let id = ctx.sandbox().create_invitation(&agent, &body).await?;
    ctx.expect(
        "check_relationship/404/RELATIONSHIP_NOT_FOUND",
        check(&agent, &check_body(&body)),
    )
    .await?;
    ctx.sandbox().accept(&id).await?;
    ctx.expect("check_relationship/204", check(&agent, &check_body(&body)))
        .await?;
    // A supporting check is a different relationship.
    ctx.expect(
        "check_relationship/404/RELATIONSHIP_NOT_FOUND",
        check(&agent, &check_body(&itsa_body(&client, Some("supporting")))),
    )
    .await?;
    // A partial authorisation (a client not signed up to MTD) counts.
    let alt_body = itsa_body(&alt, None);
    let id = ctx.sandbox().create_invitation(&agent, &alt_body).await?;
    ctx.sandbox().accept(&id).await?;
    let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
    check_invitation(
        &ctx,
        "get_invitation/200",
        &read,
        &agent,
        &id,
        "MTD-IT",
        Some("main"),
        "Partialauth",
    )?;
    ctx.expect(
        "check_relationship/204",
        check(&agent, &check_body(&alt_body)),
    )
    .await?;
    Ok(())
}

/// Each invalid check body gets its 400.
pub async fn check_with_an_invalid_payload(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let itsa = check_body(&itsa_body(&f.individual, None));
    let vat = check_body(&vat_body(&f.organisation));
    let cases = [
        (
            "check_relationship/400/SERVICE_NOT_SUPPORTED",
            with(&itsa, "service", json!("PERSONAL-INCOME-RECORD")),
        ),
        (
            "check_relationship/400/AGENT_TYPE_NOT_SUPPORTED",
            with(&itsa, "agentType", json!("secondary")),
        ),
        (
            "check_relationship/400/AGENT_TYPE_NOT_SUPPORTED",
            with(&vat, "agentType", json!("supporting")),
        ),
        (
            "check_relationship/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
            with(&vat, "clientIdType", json!("ni")),
        ),
        (
            "check_relationship/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
            with(&vat, "clientId", json!(f.individual.nino)),
        ),
        (
            "check_relationship/400/CLIENT_ID_FORMAT_INVALID",
            with(&itsa, "clientId", json!("AB123456E")),
        ),
        (
            "check_relationship/400/POSTCODE_FORMAT_INVALID",
            with(&itsa, "knownFact", json!("12345")),
        ),
        (
            "check_relationship/400/VAT_REG_DATE_FORMAT_INVALID",
            with(&vat, "knownFact", json!("2007-13-45")),
        ),
        (
            "check_relationship/400/BAD_REQUEST",
            without(&itsa, "knownFact"),
        ),
        (
            "check_relationship/400/BAD_REQUEST",
            with(&itsa, "clientId", json!(42)),
        ),
    ];
    for (entry, body) in cases {
        ctx.soft(entry, check(&f.agent, &body)).await?;
    }
    Ok(())
}

/// Unknown clients, known facts that do not match, and an insolvent VAT customer.
pub async fn check_for_an_unsupported_client(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let insolvent = ctx.sandbox().vat_client(true).await?;
    let mut rng = ctx.fresh_rng("ids");
    let itsa = check_body(&itsa_body(&f.individual, None));
    let vat = check_body(&vat_body(&f.organisation));
    let cases = [
        (
            "check_relationship/403/CLIENT_REGISTRATION_NOT_FOUND",
            with(&itsa, "clientId", json!(random_nino(&mut rng))),
        ),
        (
            "check_relationship/403/POSTCODE_DOES_NOT_MATCH",
            with(
                &itsa,
                "knownFact",
                json!(other_postcode(&f.individual.postcode)),
            ),
        ),
        (
            "check_relationship/403/VAT_REG_DATE_DOES_NOT_MATCH",
            with(
                &vat,
                "knownFact",
                json!(day_after(&f.organisation.vat_registration_date)),
            ),
        ),
        (
            "check_relationship/403/VAT_CLIENT_INSOLVENT",
            check_body(&vat_body(&insolvent)),
        ),
        // The known fact before insolvency: without the right date, nothing about the client is told.
        (
            "check_relationship/403/VAT_REG_DATE_DOES_NOT_MATCH",
            with(
                &check_body(&vat_body(&insolvent)),
                "knownFact",
                json!(day_after(&insolvent.vat_registration_date)),
            ),
        ),
    ];
    for (entry, body) in cases {
        ctx.soft(entry, check(&f.agent, &body)).await?;
    }
    Ok(())
}

/// Deauthorising ends the relationship: the request reads Deauthorised, and a second time there is none.
pub async fn deauthorising(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
    let body = itsa_body(&client, None);
    ctx.expect(
        "deauthorise_client/403/NO_RELATIONSHIP",
        deauthorise(&agent, &deauth_body(&body)),
    )
    .await?;
    let id = ctx.sandbox().create_invitation(&agent, &body).await?;
    ctx.sandbox().accept(&id).await?;
    ctx.expect(
        "deauthorise_client/204",
        deauthorise(&agent, &deauth_body(&body)),
    )
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
        "Deauthorised",
    )?;
    ctx.expect(
        "check_relationship/404/RELATIONSHIP_NOT_FOUND",
        check(&agent, &check_body(&body)),
    )
    .await?;
    ctx.expect(
        "deauthorise_client/403/NO_RELATIONSHIP",
        deauthorise(&agent, &deauth_body(&body)),
    )
    .await?;
    Ok(())
}

/// Each invalid deauthorise body gets its 400.
pub async fn deauthorise_with_an_invalid_payload(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let itsa = deauth_body(&itsa_body(&f.individual, None));
    let vat = deauth_body(&vat_body(&f.organisation));
    let cases = [
        (
            "deauthorise_client/400/SERVICE_NOT_SUPPORTED",
            with(&vat, "service", json!(["VAT"])),
        ),
        (
            "deauthorise_client/400/AGENT_TYPE_NOT_SUPPORTED",
            with(&itsa, "agentType", json!("Main")),
        ),
        (
            "deauthorise_client/400/CLIENT_TYPE_NOT_SUPPORTED",
            with(&itsa, "clientType", json!("trust")),
        ),
        (
            "deauthorise_client/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
            with(&itsa, "clientIdType", json!("utr")),
        ),
        (
            "deauthorise_client/400/CLIENT_ID_FORMAT_INVALID",
            with(&vat, "clientId", json!("GB123456789")),
        ),
        (
            "deauthorise_client/400/BAD_REQUEST",
            without(&vat, "clientType"),
        ),
    ];
    for (entry, body) in cases {
        ctx.soft(entry, deauthorise(&f.agent, &body)).await?;
    }
    ctx.soft(
        "deauthorise_client/400/BAD_REQUEST",
        deauthorise(&f.agent, &json!({})).bytes(b"[1,2".to_vec()),
    )
    .await?;
    Ok(())
}
