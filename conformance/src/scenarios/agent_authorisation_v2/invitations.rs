//! Scenarios of the v2 invitations (`/agents/{arn}/invitations`): create, read, list and cancel an agent's
//! authorisation requests.

use anyhow::{Result, bail};
use serde_json::json;

use super::support::{cancel, check, create, created_id, get, list};
use crate::harness::*;
use crate::paths::invitation_path;
use crate::reference::{random_invitation_id, random_nino, random_vrn};
use crate::scenarios::support::{IdenticalCreates, bad_ids, race_identical_creates};
use crate::scenarios::views::check_invitation;

/// An MTD-IT request created, read back, and listed after a VAT one, newest first.
pub async fn create_read_and_list(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
    let first = ctx
        .expect(
            "create_invitation/204",
            create(&agent, &itsa_body(&client, None)),
        )
        .await?;
    let id = created_id(&ctx, "create_invitation/204", &agent, &first)?;
    let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
    check_invitation(
        &ctx,
        "get_invitation/200",
        &read,
        &agent,
        &id,
        "MTD-IT",
        Some("main"),
        "Pending",
    )?;
    let vat = ctx.sandbox().vat_client(false).await?;
    let second = ctx
        .expect("create_invitation/204", create(&agent, &vat_body(&vat)))
        .await?;
    let second_id = created_id(&ctx, "create_invitation/204", &agent, &second)?;
    let listed = ctx.expect("list_invitations/200", list(&agent)).await?;
    let ids: Vec<String> = listed
        .json()
        .and_then(|list| list.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|i| i["invitationId"].as_str().map(str::to_owned))
        .collect();
    if ids != [second_id.clone(), id.clone()] {
        let message = format!(
            "list_invitations/200: expected [{second_id}, {id}] (newest first), got {ids:?}"
        );
        ctx.h
            .ledger
            .fail("list_invitations/200", &ctx.scenario, message.clone());
        bail!(message);
    }
    Ok(())
}

/// A supporting agent's MTD-IT request, and a VAT one whose service is a plain string.
pub async fn supporting_agents_and_vat(ctx: Ctx) -> Result<()> {
    let (agent, client, vat) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().itsa_client(),
        ctx.sandbox().vat_client(false)
    )?;
    let exchange = ctx
        .expect(
            "create_invitation/204",
            create(&agent, &itsa_body(&client, Some("supporting"))),
        )
        .await?;
    let id = created_id(&ctx, "create_invitation/204", &agent, &exchange)?;
    let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
    check_invitation(
        &ctx,
        "get_invitation/200",
        &read,
        &agent,
        &id,
        "MTD-IT",
        Some("supporting"),
        "Pending",
    )?;
    // The service as a plain string means the same.
    let body = with(&vat_body(&vat), "service", json!("MTD-VAT"));
    let exchange = ctx
        .expect("create_invitation/204", create(&agent, &body))
        .await?;
    let id = created_id(&ctx, "create_invitation/204", &agent, &exchange)?;
    let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
    check_invitation(
        &ctx,
        "get_invitation/200",
        &read,
        &agent,
        &id,
        "MTD-VAT",
        None,
        "Pending",
    )
}

/// Each invalid create body gets its 400.
pub async fn create_with_an_invalid_payload(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let itsa = itsa_body(&f.individual, None);
    let vat = vat_body(&f.organisation);
    let cases = [
        (
            "create_invitation/400/SERVICE_NOT_SUPPORTED",
            with(&itsa, "service", json!(["MTD-CGT"])),
        ),
        (
            "create_invitation/400/AGENT_TYPE_NOT_SUPPORTED",
            with(&itsa, "agentType", json!("both")),
        ),
        (
            "create_invitation/400/AGENT_TYPE_NOT_SUPPORTED",
            with(&vat, "agentType", json!("main")),
        ),
        (
            "create_invitation/400/CLIENT_TYPE_NOT_SUPPORTED",
            with(&itsa, "clientType", json!("business")),
        ),
        (
            "create_invitation/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
            with(&itsa, "clientIdType", json!("vrn")),
        ),
        (
            "create_invitation/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
            with(&itsa, "clientId", json!(f.organisation.vrn)),
        ),
        (
            "create_invitation/400/CLIENT_ID_FORMAT_INVALID",
            with(&itsa, "clientId", json!("AB12345")),
        ),
        (
            "create_invitation/400/CLIENT_ID_FORMAT_INVALID",
            with(&vat, "clientId", json!("12345678")),
        ),
        (
            "create_invitation/400/POSTCODE_FORMAT_INVALID",
            with(&itsa, "knownFact", json!("NOT A POSTCODE")),
        ),
        (
            "create_invitation/400/VAT_REG_DATE_FORMAT_INVALID",
            with(&vat, "knownFact", json!("18/05/2007")),
        ),
        (
            "create_invitation/400/BAD_REQUEST",
            without(&itsa, "clientId"),
        ),
        (
            "create_invitation/400/BAD_REQUEST",
            with(&itsa, "service", json!(["MTD-IT", "MTD-VAT"])),
        ),
        (
            "create_invitation/400/BAD_REQUEST",
            with(&itsa, "service", json!([])),
        ),
    ];
    for (entry, body) in cases {
        ctx.soft(entry, create(&f.agent, &body)).await?;
    }
    ctx.soft(
        "create_invitation/400/BAD_REQUEST",
        create(&f.agent, &json!({})).bytes(b"{not json".to_vec()),
    )
    .await?;
    Ok(())
}

/// Unknown clients, known facts that do not match, and an insolvent VAT customer.
pub async fn create_for_an_unsupported_client(ctx: Ctx) -> Result<()> {
    let (agent, client, vat, insolvent) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().itsa_client(),
        ctx.sandbox().vat_client(false),
        ctx.sandbox().vat_client(true)
    )?;
    let mut rng = ctx.fresh_rng("ids");
    let unknown = with(
        &itsa_body(&client, None),
        "clientId",
        json!(random_nino(&mut rng)),
    );
    ctx.soft(
        "create_invitation/403/CLIENT_REGISTRATION_NOT_FOUND",
        create(&agent, &unknown),
    )
    .await?;
    let unknown_vat = with(&vat_body(&vat), "clientId", json!(random_vrn(&mut rng)));
    ctx.soft(
        "create_invitation/403/CLIENT_REGISTRATION_NOT_FOUND",
        create(&agent, &unknown_vat),
    )
    .await?;
    let postcode = with(
        &itsa_body(&client, None),
        "knownFact",
        json!(other_postcode(&client.postcode)),
    );
    ctx.soft(
        "create_invitation/403/POSTCODE_DOES_NOT_MATCH",
        create(&agent, &postcode),
    )
    .await?;
    let date = with(
        &vat_body(&vat),
        "knownFact",
        json!(day_after(&vat.vat_registration_date)),
    );
    ctx.soft(
        "create_invitation/403/VAT_REG_DATE_DOES_NOT_MATCH",
        create(&agent, &date),
    )
    .await?;
    ctx.soft(
        "create_invitation/403/VAT_CLIENT_INSOLVENT",
        create(&agent, &vat_body(&insolvent)),
    )
    .await?;
    Ok(())
}

/// A second request for the same client and service names the pending one.
pub async fn duplicate(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
    let first = ctx
        .expect(
            "create_invitation/204",
            create(&agent, &itsa_body(&client, None)),
        )
        .await?;
    let id = created_id(&ctx, "create_invitation/204", &agent, &first)?;
    // Main and supporting block each other, as does the same request again.
    for agent_type in [None, Some("main"), Some("supporting")] {
        let again = ctx
            .expect(
                "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
                create(&agent, &itsa_body(&client, agent_type)),
            )
            .await?;
        let location = again.response.header("location");
        if location != Some(invitation_path(&agent.arn, &id).as_str()) {
            let message = format!(
                "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST: the Location header must name the pending request {}, got {location:?}",
                invitation_path(&agent.arn, &id)
            );
            ctx.fail(
                "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
                format!("{message}\n      repeat:   {}", again.curl()),
            );
            bail!(message);
        }
    }
    Ok(())
}

/// A request for a client the agent already acts for.
pub async fn already_authorised(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().vat_client(false))?;
    let id = ctx
        .sandbox()
        .create_invitation(&agent, &vat_body(&client))
        .await?;
    ctx.sandbox().accept(&id).await?;
    ctx.expect(
        "check_relationship/204",
        check(&agent, &check_body(&vat_body(&client))),
    )
    .await?;
    ctx.expect(
        "create_invitation/403/ALREADY_AUTHORISED",
        create(&agent, &vat_body(&client)),
    )
    .await?;
    Ok(())
}

/// Identical creates at once: one succeeds, the others meet it in flight or as a duplicate.
pub async fn identical_requests_at_once(ctx: Ctx) -> Result<()> {
    let answers = IdenticalCreates {
        created: 204,
        created_entry: None,
        in_flight: "create_invitation/403/ALREADY_BEING_PROCESSED",
        duplicate: "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
    };
    let sandbox = ctx.sandbox();
    race_identical_creates(&ctx, &answers, move || async move {
        let (agent, client) = tokio::try_join!(sandbox.agent(), sandbox.itsa_client())?;
        Ok(create(&agent, &itsa_body(&client, None)))
    })
    .await
}

/// A new agent's list is empty.
pub async fn agent_with_no_requests(ctx: Ctx) -> Result<()> {
    let agent = ctx.sandbox().agent().await?;
    ctx.expect("list_invitations/204", list(&agent)).await?;
    Ok(())
}

/// Reading requests that are not there, not well formed, or another agency's.
pub async fn read_missing_malformed_or_another_agencys(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let mut rng = ctx.fresh_rng("ids");
    let malformed = bad_ids(&f.pending);
    for id in &malformed {
        ctx.soft("get_invitation/400/BAD_REQUEST", get(&f.agent, id))
            .await?;
        // Before the caller is looked at.
        let anyone = get(&f.agent, id).set_header("Authorization", None);
        ctx.soft("get_invitation/400/BAD_REQUEST", anyone).await?;
    }
    ctx.soft(
        "get_invitation/404/INVITATION_NOT_FOUND",
        get(&f.agent, &random_invitation_id(&mut rng, 'A')),
    )
    .await?;
    // Another agency's request: refused, and nothing of it shown.
    let other = f.other_agent.clone();
    ctx.soft(
        "get_invitation/403/NO_PERMISSION_ON_AGENCY",
        get(&other, &f.pending),
    )
    .await?;
    Ok(())
}

/// Cancelling: by another agency, by the agent, again, and ids that are not well formed or not there.
pub async fn cancelling(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
    let id = ctx
        .sandbox()
        .create_invitation(&agent, &itsa_body(&client, None))
        .await?;
    // Another agency cannot cancel it, nor learn its status.
    ctx.soft(
        "cancel_invitation/403/NO_PERMISSION_ON_AGENCY",
        cancel(&ctx.fixtures().other_agent, &id),
    )
    .await?;
    ctx.expect("cancel_invitation/204", cancel(&agent, &id))
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
        "Cancelled",
    )?;
    ctx.soft(
        "cancel_invitation/403/INVALID_INVITATION_STATUS",
        cancel(&agent, &id),
    )
    .await?;
    // Whatever its status, another agency learns only that it is not theirs.
    let other = &ctx.fixtures().other_agent;
    ctx.soft(
        "cancel_invitation/403/NO_PERMISSION_ON_AGENCY",
        cancel(other, &id),
    )
    .await?;
    ctx.soft(
        "get_invitation/403/NO_PERMISSION_ON_AGENCY",
        get(other, &id),
    )
    .await?;
    for bad in bad_ids(&id) {
        ctx.soft("cancel_invitation/400/BAD_REQUEST", cancel(&agent, &bad))
            .await?;
    }
    let mut rng = ctx.fresh_rng("ids");
    ctx.soft(
        "cancel_invitation/404/INVITATION_NOT_FOUND",
        cancel(&agent, &random_invitation_id(&mut rng, 'C')),
    )
    .await?;
    Ok(())
}
