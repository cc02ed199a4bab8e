//! Scenarios of the sandbox's test support (`/agent-authorisation-test-support/...`): a client's answer to a
//! request (accept, reject), a request expired, an individual signed up to MTD Income Tax; and who may ask for
//! them: the request's agent, the client it names, or HMRC staff (an individual signs up only themselves).

use anyhow::{Result, ensure};

use crate::harness::*;
use crate::http::Request;
use crate::reference::{random_invitation_id, random_nino};
use crate::sandbox::Agent;
use crate::scenarios::agent_authorisation_v2::{cancel, create, get, list};
use crate::scenarios::support::{bad_ids, test_support as support};
use crate::scenarios::views::check_invitation;

/// The status of one of `agent`'s requests, read through 2.0.
async fn status(ctx: &Ctx, agent: &Agent, id: &str) -> Result<String> {
    ctx.sandbox().invitation_status(agent, id).await
}

/// Accepting as the client would: for the agent or the client, idempotent, refused once rejected, malformed or
/// unknown ids.
pub async fn accepting(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
    let token = Some(agent.token.as_str());
    let id = ctx
        .sandbox()
        .create_invitation(&agent, &itsa_body(&client, None))
        .await?;
    ctx.expect("accept_invitation/204", support("PUT", &id, "", token))
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
    // Again, by the client this time: idempotent.
    ctx.expect(
        "accept_invitation/204",
        support("PUT", &id, "", Some(&client.token)),
    )
    .await?;
    let entry = "reject_invitation/409/INVALID_INVITATION_STATUS";
    ctx.soft(entry, support("DELETE", &id, "", token)).await?;
    let vat = ctx.sandbox().vat_client(false).await?;
    let rejected = ctx
        .sandbox()
        .create_invitation(&agent, &vat_body(&vat))
        .await?;
    ctx.sandbox().reject(&rejected).await?;
    let entry = "accept_invitation/409/INVALID_INVITATION_STATUS";
    ctx.soft(entry, support("PUT", &rejected, "", Some(&vat.token)))
        .await?;
    for bad in bad_ids(&id) {
        ctx.soft(
            "accept_invitation/400/BAD_REQUEST",
            support("PUT", &bad, "", token),
        )
        .await?;
    }
    let mut rng = ctx.fresh_rng("ids");
    let unknown = random_invitation_id(&mut rng, 'A');
    ctx.soft(
        "accept_invitation/404/INVITATION_NOT_FOUND",
        support("PUT", &unknown, "", token),
    )
    .await?;
    Ok(())
}

/// Rejecting as the client would: idempotent, refused once cancelled, malformed or unknown ids.
pub async fn rejecting(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().vat_client(false))?;
    let token = Some(agent.token.as_str());
    let id = ctx
        .sandbox()
        .create_invitation(&agent, &vat_body(&client))
        .await?;
    ctx.expect(
        "reject_invitation/204",
        support("DELETE", &id, "", Some(&client.token)),
    )
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
    ctx.expect("reject_invitation/204", support("DELETE", &id, "", token))
        .await?;
    let cancelled = ctx
        .sandbox()
        .create_invitation(&agent, &vat_body(&client))
        .await?;
    ctx.expect("cancel_invitation/204", cancel(&agent, &cancelled))
        .await?;
    let entry = "reject_invitation/409/INVALID_INVITATION_STATUS";
    ctx.soft(entry, support("DELETE", &cancelled, "", token))
        .await?;
    let entry = "accept_invitation/409/INVALID_INVITATION_STATUS";
    ctx.soft(entry, support("PUT", &cancelled, "", token))
        .await?;
    for bad in bad_ids(&id) {
        ctx.soft(
            "reject_invitation/400/BAD_REQUEST",
            support("DELETE", &bad, "", token),
        )
        .await?;
    }
    let mut rng = ctx.fresh_rng("ids");
    let unknown = random_invitation_id(&mut rng, 'C');
    ctx.soft(
        "reject_invitation/404/INVITATION_NOT_FOUND",
        support("DELETE", &unknown, "", token),
    )
    .await?;
    Ok(())
}

/// Expiring a request: again is 204, then it is final, and it does not block a new one.
pub async fn expiring(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
    let token = Some(agent.token.as_str());
    let body = itsa_body(&client, None);
    let id = ctx.sandbox().create_invitation(&agent, &body).await?;
    ctx.expect(
        "expire_invitation/204",
        support("PUT", &id, "/expire", token),
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
        "Expired",
    )?;
    updated_just_now(&ctx, &read)?;
    // Expiring it again changes nothing; answering or cancelling it is refused.
    ctx.expect(
        "expire_invitation/204",
        support("PUT", &id, "/expire", token),
    )
    .await?;
    let entry = "accept_invitation/409/INVALID_INVITATION_STATUS";
    ctx.soft(entry, support("PUT", &id, "", token)).await?;
    let entry = "reject_invitation/409/INVALID_INVITATION_STATUS";
    ctx.soft(entry, support("DELETE", &id, "", token)).await?;
    ctx.soft(
        "cancel_invitation/403/INVALID_INVITATION_STATUS",
        cancel(&agent, &id),
    )
    .await?;
    let cancelled = ctx.sandbox().create_invitation(&agent, &body).await?;
    ctx.expect("cancel_invitation/204", cancel(&agent, &cancelled))
        .await?;
    let entry = "expire_invitation/409/INVALID_INVITATION_STATUS";
    ctx.soft(entry, support("PUT", &cancelled, "/expire", token))
        .await?;
    // An expired or cancelled request does not block a new one.
    ctx.expect("create_invitation/204", create(&agent, &body))
        .await?;
    for bad in bad_ids(&id) {
        ctx.soft(
            "expire_invitation/400/BAD_REQUEST",
            support("PUT", &bad, "/expire", token),
        )
        .await?;
    }
    let mut rng = ctx.fresh_rng("ids");
    let unknown = random_invitation_id(&mut rng, 'A');
    let entry = "expire_invitation/404/INVITATION_NOT_FOUND";
    ctx.soft(entry, support("PUT", &unknown, "/expire", token))
        .await?;
    Ok(())
}

/// Nobody but the request's agent, the client it names or HMRC staff answers for the client, and a refused
/// answer changes nothing: no token, a malformed one, another agent, another client.
pub async fn only_the_agent_the_client_or_hmrc_staff(ctx: Ctx) -> Result<()> {
    let (agent, client, other_agent, other_client) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().itsa_client(),
        ctx.sandbox().agent(),
        ctx.sandbox().itsa_client()
    )?;
    let id = ctx
        .sandbox()
        .create_invitation(&agent, &itsa_body(&client, None))
        .await?;
    for (method, suffix, operation) in [
        ("PUT", "", "accept_invitation"),
        ("DELETE", "", "reject_invitation"),
        ("PUT", "/expire", "expire_invitation"),
    ] {
        for token in [None, Some("not-a-token")] {
            let entry = format!("{operation}/401/UNAUTHORIZED");
            ctx.soft(&entry, support(method, &id, suffix, token))
                .await?;
        }
        for token in [&other_agent.token, &other_client.token] {
            let entry = format!("{operation}/403/NO_PERMISSION");
            ctx.soft(&entry, support(method, &id, suffix, Some(token)))
                .await?;
        }
    }
    let now = status(&ctx, &agent, &id).await?;
    ensure!(
        now == "Pending",
        "refused test-support calls changed the request: it reads {now}"
    );
    // HMRC staff may.
    let staff = ctx.sandbox().hmrc_staff_token().await?;
    ctx.expect(
        "accept_invitation/204",
        support("PUT", &id, "", Some(&staff)),
    )
    .await?;
    Ok(())
}

/// Signing an individual up to MTD Income Tax: themselves, twice; a malformed NINO, an unknown one; nobody else.
pub async fn signing_up_to_mtd_income_tax(ctx: Ctx) -> Result<()> {
    let (alt, other) =
        tokio::try_join!(ctx.sandbox().alt_itsa_client(), ctx.sandbox().itsa_client())?;
    let staff = ctx.sandbox().hmrc_staff_token().await?;
    let sign_up = |nino: &str, token: Option<&str>| {
        let request = Request::new(
            "PUT",
            format!("/agent-authorisation-test-support/individuals/{nino}/mtd-income-tax"),
        )
        .header("Accept", "application/json");
        match token {
            Some(token) => request.bearer(token),
            None => request,
        }
    };
    let refused = [
        ("sign_up_mtd_income_tax/401/UNAUTHORIZED", None),
        (
            "sign_up_mtd_income_tax/403/NO_PERMISSION",
            Some(other.token.as_str()),
        ),
    ];
    for (entry, token) in refused {
        ctx.soft(entry, sign_up(&alt.nino, token)).await?;
    }
    for _ in 0..2 {
        ctx.expect(
            "sign_up_mtd_income_tax/200",
            sign_up(&alt.nino, Some(&alt.token)),
        )
        .await?;
    }
    let entry = "sign_up_mtd_income_tax/400/CLIENT_ID_FORMAT_INVALID";
    ctx.soft(entry, sign_up("NOTANINO", Some(&staff))).await?;
    let mut rng = ctx.fresh_rng("ids");
    let entry = "sign_up_mtd_income_tax/404/CLIENT_REGISTRATION_NOT_FOUND";
    ctx.soft(entry, sign_up(&random_nino(&mut rng), Some(&staff)))
        .await?;
    Ok(())
}

/// `Gov-Test-Scenario` answers the named example and changes nothing: a create naming an error example makes no
/// request, `DEFAULT` is no scenario at all, and a name the operation does not document is refused.
pub async fn scenario_header_answers_and_changes_nothing(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
    let made = ctx
        .expect(
            "create_invitation/204",
            create(&agent, &itsa_body(&client, None)),
        )
        .await?;
    let id = location_id(&made)?;
    let named = create(&agent, &itsa_body(&client, None))
        .header("Gov-Test-Scenario", "CLIENT_REGISTRATION_NOT_FOUND");
    ctx.expect("create_invitation/403/CLIENT_REGISTRATION_NOT_FOUND", named)
        .await?;
    let unknown = list(&agent).header("Gov-Test-Scenario", "NO_SUCH_EXAMPLE");
    ctx.expect("list_invitations/400/INVALID_TEST_SCENARIO", unknown)
        .await?;
    let listed = list(&agent).header("Gov-Test-Scenario", "DEFAULT");
    let listed = ctx.expect("list_invitations/200", listed).await?;
    let ids: Vec<String> = listed
        .json()
        .and_then(|l| l.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|i| i["invitationId"].as_str().map(str::to_owned))
        .collect();
    ctx.rule("R-SANDBOX-SCENARIO", ids == [id.clone()], || {
        format!("the list names {ids:?}, expected only [{id}]")
    })
}

/// A request expired just now reads `updated` now (give or take two minutes of clocks apart).
fn updated_just_now(ctx: &Ctx, read: &crate::http::Exchange) -> Result<()> {
    let updated = read.json().unwrap_or_default()["updated"].clone();
    let at = updated
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    let recent = at.is_some_and(|t| {
        let apart = chrono::Utc::now() - t.with_timezone(&chrono::Utc);
        apart.num_seconds().abs() < 120
    });
    ctx.rule("R-SANDBOX-TEST-SUPPORT", recent, || {
        format!("a request expired just now reads updated {updated}")
    })
}
