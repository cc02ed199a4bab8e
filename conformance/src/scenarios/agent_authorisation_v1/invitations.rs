//! Scenarios of the v1 invitations (`/agencies/{arn}/invitations`): create and read an agent's authorisation
//! requests.

use anyhow::{Result, bail};
use serde_json::json;

use super::support::{check_read, create, created, get, itsa, path, vat};
use crate::harness::*;
use crate::reference::{random_invitation_id, random_nino, random_vrn};
use crate::scenarios::support::{IdenticalCreates, bad_ids, race_identical_creates};

/// An MTD-IT request read back Pending, and a VAT one read back Accepted.
pub async fn create_and_read(ctx: Ctx) -> Result<()> {
    let (agent, client, organisation) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().itsa_client(),
        ctx.sandbox().vat_client(false)
    )?;
    let exchange = ctx
        .expect(
            "create_agency_invitation_v1/204",
            create(&agent, &itsa(&client)),
        )
        .await?;
    let id = created(&ctx, &agent, &exchange)?;
    let read = ctx
        .expect("get_agency_invitation_v1/200", get(&agent, &id))
        .await?;
    check_read(&ctx, &read, &agent, &id, "HMRC-MTD-IT", "Pending")?;
    let exchange = ctx
        .expect(
            "create_agency_invitation_v1/204",
            create(&agent, &vat(&organisation)),
        )
        .await?;
    let id = created(&ctx, &agent, &exchange)?;
    ctx.sandbox().accept(&id).await?;
    let read = ctx
        .expect("get_agency_invitation_v1/200", get(&agent, &id))
        .await?;
    check_read(&ctx, &read, &agent, &id, "HMRC-MTD-VAT", "Accepted")
}

/// Each invalid create body gets its 400.
pub async fn create_with_an_invalid_payload(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let itsa = itsa(&f.individual);
    let vat = vat(&f.organisation);
    let cases = [
        (
            "create_agency_invitation_v1/501/SERVICE_NOT_SUPPORTED",
            with(&itsa, "service", json!("PERSONAL-INCOME-RECORD")),
        ),
        (
            "create_agency_invitation_v1/400/CLIENT_TYPE_NOT_SUPPORTED",
            with(&itsa, "clientType", json!("business")),
        ),
        (
            "create_agency_invitation_v1/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
            with(&vat, "clientIdType", json!("ni")),
        ),
        (
            "create_agency_invitation_v1/400/CLIENT_ID_FORMAT_INVALID",
            with(&itsa, "clientId", json!("AB123456Z")),
        ),
        (
            "create_agency_invitation_v1/400/POSTCODE_FORMAT_INVALID",
            with(&itsa, "knownFact", json!("AA1")),
        ),
        (
            "create_agency_invitation_v1/400/VAT_REG_DATE_FORMAT_INVALID",
            with(&vat, "knownFact", json!("2007/05/18")),
        ),
        (
            "create_agency_invitation_v1/400/BAD_REQUEST",
            without(&vat, "clientId"),
        ),
    ];
    for (entry, body) in cases {
        ctx.soft(entry, create(&f.agent, &body)).await?;
    }
    Ok(())
}

/// Unknown clients, known facts that do not match, and an insolvent VAT customer.
pub async fn create_for_an_unsupported_client(ctx: Ctx) -> Result<()> {
    let (agent, client, organisation, insolvent) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().itsa_client(),
        ctx.sandbox().vat_client(false),
        ctx.sandbox().vat_client(true)
    )?;
    let mut rng = ctx.fresh_rng("ids");
    let cases = [
        (
            "create_agency_invitation_v1/403/CLIENT_REGISTRATION_NOT_FOUND",
            with(&vat(&organisation), "clientId", json!(random_vrn(&mut rng))),
        ),
        (
            "create_agency_invitation_v1/403/CLIENT_REGISTRATION_NOT_FOUND",
            with(&itsa(&client), "clientId", json!(random_nino(&mut rng))),
        ),
        (
            "create_agency_invitation_v1/403/POSTCODE_DOES_NOT_MATCH",
            with(
                &itsa(&client),
                "knownFact",
                json!(other_postcode(&client.postcode)),
            ),
        ),
        (
            "create_agency_invitation_v1/403/VAT_REG_DATE_DOES_NOT_MATCH",
            with(
                &vat(&organisation),
                "knownFact",
                json!(day_after(&organisation.vat_registration_date)),
            ),
        ),
        (
            "create_agency_invitation_v1/403/VAT_CLIENT_INSOLVENT",
            vat(&insolvent),
        ),
    ];
    for (entry, body) in cases {
        ctx.soft(entry, create(&agent, &body)).await?;
    }
    Ok(())
}

/// A duplicate names the pending request; an authorised agent is refused; identical requests at once.
pub async fn duplicates_authorised_agents_and_identical_requests(ctx: Ctx) -> Result<()> {
    let (agent, client, organisation) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().itsa_client(),
        ctx.sandbox().vat_client(false)
    )?;
    let first = ctx
        .expect(
            "create_agency_invitation_v1/204",
            create(&agent, &itsa(&client)),
        )
        .await?;
    let id = created(&ctx, &agent, &first)?;
    let again = ctx
        .expect(
            "create_agency_invitation_v1/403/DUPLICATE_AUTHORISATION_REQUEST",
            create(&agent, &itsa(&client)),
        )
        .await?;
    let expected = format!("{}/{id}", path(&agent.arn));
    if again.response.header("location") != Some(expected.as_str()) {
        let message = format!(
            "create_agency_invitation_v1/403/DUPLICATE_AUTHORISATION_REQUEST: the Location header must name the pending request {expected}, got {:?}",
            again.response.header("location")
        );
        ctx.fail(
            "create_agency_invitation_v1/403/DUPLICATE_AUTHORISATION_REQUEST",
            message.clone(),
        );
        bail!(message);
    }
    let accepted = ctx
        .sandbox()
        .create_invitation(&agent, &vat_body(&organisation))
        .await?;
    ctx.sandbox().accept(&accepted).await?;
    ctx.expect(
        "create_agency_invitation_v1/403/ALREADY_AUTHORISED",
        create(&agent, &vat(&organisation)),
    )
    .await?;
    let answers = IdenticalCreates {
        created: 204,
        created_entry: None,
        in_flight: "create_agency_invitation_v1/403/ALREADY_BEING_PROCESSED",
        duplicate: "create_agency_invitation_v1/403/DUPLICATE_AUTHORISATION_REQUEST",
    };
    let sandbox = ctx.sandbox();
    race_identical_creates(&ctx, &answers, move || async move {
        let (agent, client) = tokio::try_join!(sandbox.agent(), sandbox.itsa_client())?;
        Ok(create(&agent, &itsa(&client)))
    })
    .await
}

/// Reading requests that are not there, not well formed, or another agency's.
pub async fn read_missing_malformed_or_another_agencys(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    for id in bad_ids(&f.pending) {
        ctx.soft(
            "get_agency_invitation_v1/400/BAD_REQUEST",
            get(&f.agent, &id),
        )
        .await?;
    }
    let mut rng = ctx.fresh_rng("ids");
    ctx.soft(
        "get_agency_invitation_v1/404/INVITATION_NOT_FOUND",
        get(&f.agent, &random_invitation_id(&mut rng, 'A')),
    )
    .await?;
    ctx.soft(
        "get_agency_invitation_v1/403/NO_PERMISSION_ON_AGENCY",
        get(&f.other_agent, &f.pending),
    )
    .await?;
    Ok(())
}

/// HMRC's 1.0 bodies: services named as in 2.0 too, no client type and no known fact; without a known fact the
/// client's record and insolvency are still checked, and a known fact given is checked as in 2.0.
pub async fn hmrcs_1_0_bodies(ctx: Ctx) -> Result<()> {
    let s = ctx.sandbox();
    let (agent, client, organisation, insolvent) = tokio::try_join!(
        s.agent(),
        s.itsa_client(),
        s.vat_client(false),
        s.vat_client(true)
    )?;
    let bare = |body: serde_json::Value| without(&without(&body, "clientType"), "knownFact");
    let itsa_named = with(&itsa(&client), "service", json!("MTD-IT"));
    let vat_named = with(&vat(&organisation), "service", json!(["MTD-VAT"]));
    let wrong = with(
        &itsa(&client),
        "knownFact",
        json!(other_postcode(&client.postcode)),
    );
    let unknown = with(
        &itsa(&client),
        "clientId",
        json!(random_nino(&mut ctx.fresh_rng("nino"))),
    );
    let cases = [
        (
            "create_agency_invitation_v1/403/POSTCODE_DOES_NOT_MATCH",
            wrong,
        ),
        ("create_agency_invitation_v1/204", bare(itsa_named)),
        ("create_agency_invitation_v1/204", bare(vat_named)),
        (
            "create_agency_invitation_v1/403/VAT_CLIENT_INSOLVENT",
            bare(vat(&insolvent)),
        ),
        (
            "create_agency_invitation_v1/403/CLIENT_REGISTRATION_NOT_FOUND",
            bare(unknown),
        ),
    ];
    for (entry, body) in cases {
        ctx.expect(entry, create(&agent, &body)).await?;
    }
    Ok(())
}

/// A 1.0 read names the client as recorded (`MTDITID` for a client signed up to MTD Income Tax, the NINO for
/// one who is not) and as the agent gave it.
pub async fn clients_named_as_recorded(ctx: Ctx) -> Result<()> {
    let s = ctx.sandbox();
    let (agent, signed_up, alt) =
        tokio::try_join!(s.agent(), s.itsa_client(), s.alt_itsa_client())?;
    for client in [&signed_up, &alt] {
        let made = ctx
            .expect(
                "create_agency_invitation_v1/204",
                create(&agent, &itsa(client)),
            )
            .await?;
        let id = created(&ctx, &agent, &made)?;
        let read = ctx
            .expect("get_agency_invitation_v1/200", get(&agent, &id))
            .await?;
        let body = read.json().unwrap_or_default();
        let recorded = match &client.mtd_it_id {
            Some(mtditid) => ("MTDITID", mtditid.as_str()),
            None => ("ni", client.nino.as_str()),
        };
        let holds = body["clientIdType"] == recorded.0
            && body["clientId"] == recorded.1
            && body["suppliedClientIdType"] == "ni"
            && body["suppliedClientId"] == client.nino.as_str();
        ctx.rule("R-SERVICE-ITSA-RESOLVED", holds, || {
            format!("expected the client recorded as {recorded:?} and supplied as (ni, {}), got {body}\n      repeat:   {}", client.nino, read.curl())
        })?;
    }
    Ok(())
}
