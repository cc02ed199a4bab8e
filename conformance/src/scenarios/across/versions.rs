//! One set of requests behind every surface: a request made through 1.0 is read and cancelled through 2.0, and
//! the other way round; the backend reads them all; each path serves its own versions; and what a surface does
//! not show (a supporting agent's request on 1.0's `/agencies` paths, a backend-only service on the public API)
//! is not found there.

use anyhow::Result;
use serde_json::Value;

use crate::harness::*;
use crate::http::Exchange;
use crate::paths::invitation_path;
use crate::sandbox::{Agent, Individual, Organisation};
use crate::scenarios::agent_authorisation_v1::support::{self as v1_api, V1_ACCEPT};
use crate::scenarios::agent_authorisation_v2::{cancel, create, deauthorise, get};
use crate::scenarios::agent_client_authorisation::support as backend_api;

/// The status a read says, checked against `status` under `rule`.
fn says(ctx: &Ctx, rule: &str, exchange: &Exchange, status: &str) -> Result<()> {
    let found: Value = exchange.json().unwrap_or_default()["status"].clone();
    ctx.rule(rule, found == status, || {
        format!(
            "reads {found}, expected {status}\n      repeat:   {}",
            exchange.curl()
        )
    })
}

/// 1.0 → 2.0 and 2.0 → 1.0: made in one, read and cancelled in the other; answered through test support and
/// read through 1.0 and the backend.
pub async fn made_in_one_version_used_in_the_other(ctx: Ctx) -> Result<()> {
    let s = ctx.sandbox();
    let (agent, client, vat, other) = tokio::try_join!(
        s.agent(),
        s.itsa_client(),
        s.vat_client(false),
        s.itsa_client()
    )?;
    from_1_0_to_2_0(&ctx, &agent, &client).await?;
    from_2_0_to_1_0(&ctx, &agent, &vat).await?;
    let id = s
        .create_invitation(&agent, &itsa_body(&other, None))
        .await?;
    s.accept(&id).await?;
    let read = ctx
        .expect("get_agency_invitation_v1/200", v1_api::get(&agent, &id))
        .await?;
    says(&ctx, SHARED, &read, "Accepted")?;
    let read = ctx
        .expect("get_sent_invitation/200", backend_api::get(&agent, &id))
        .await?;
    says(&ctx, SHARED, &read, "Accepted")
}

const SHARED: &str = "R-SURFACE-SHARED";

/// Made through 1.0 on `/agencies`, read and cancelled through 2.0, read again through 1.0.
async fn from_1_0_to_2_0(ctx: &Ctx, agent: &Agent, client: &Individual) -> Result<()> {
    let create = v1_api::create(agent, &v1_api::itsa(client));
    let made = ctx
        .expect("create_agency_invitation_v1/204", create)
        .await?;
    let id = location_id(&made)?;
    let read = ctx.expect("get_invitation/200", get(agent, &id)).await?;
    says(ctx, SHARED, &read, "Pending")?;
    ctx.expect("cancel_invitation/204", cancel(agent, &id))
        .await?;
    let read = ctx
        .expect("get_agency_invitation_v1/200", v1_api::get(agent, &id))
        .await?;
    says(ctx, SHARED, &read, "Cancelled")
}

/// Made through 2.0, read through 1.0 on `/agencies`, cancelled through 1.0 on the 2.0 paths.
async fn from_2_0_to_1_0(ctx: &Ctx, agent: &Agent, vat: &Organisation) -> Result<()> {
    let made = ctx
        .expect("create_invitation/204", create(agent, &vat_body(vat)))
        .await?;
    let id = location_id(&made)?;
    let read = ctx
        .expect("get_agency_invitation_v1/200", v1_api::get(agent, &id))
        .await?;
    says(ctx, SHARED, &read, "Pending")?;
    let path = invitation_path(&agent.arn, &id);
    let on_agents = v1_api::v1("DELETE", path, Some(&agent.token));
    ctx.expect("cancel_invitation_v1/204", on_agents).await?;
    let read = ctx.expect("get_invitation/200", get(agent, &id)).await?;
    says(ctx, SHARED, &read, "Cancelled")
}

/// 1.0 on `/agencies` has no agent type: a supporting agent's request is not found there, yet it blocks a 1.0
/// create as a duplicate. A backend-only service's request is not found through the public API.
pub async fn what_a_surface_does_not_show(ctx: Ctx) -> Result<()> {
    let s = ctx.sandbox();
    let (agent, client, pir) = tokio::try_join!(
        s.agent(),
        s.itsa_client(),
        s.service_client("PERSONAL-INCOME-RECORD")
    )?;
    let supporting = s
        .create_invitation(&agent, &itsa_body(&client, Some("supporting")))
        .await?;
    ctx.expect(
        "get_agency_invitation_v1/404/INVITATION_NOT_FOUND",
        v1_api::get(&agent, &supporting),
    )
    .await?;
    ctx.expect(
        "create_agency_invitation_v1/403/DUPLICATE_AUTHORISATION_REQUEST",
        v1_api::create(&agent, &v1_api::itsa(&client)),
    )
    .await?;
    let other = backend_api::created(&ctx, &agent, &pir).await?;
    ctx.expect(
        "get_invitation/404/INVITATION_NOT_FOUND",
        get(&agent, &other),
    )
    .await?;
    ctx.expect(
        "cancel_invitation/404/INVITATION_NOT_FOUND",
        cancel(&agent, &other),
    )
    .await?;
    ctx.expect(
        "get_agency_invitation_v1/404/INVITATION_NOT_FOUND",
        v1_api::get(&agent, &other),
    )
    .await?;
    let read = ctx
        .expect("get_sent_invitation/200", backend_api::get(&agent, &other))
        .await?;
    says(&ctx, "R-INVID-OTHER-SERVICE", &read, "Pending")
}

/// Each path serves its own versions: 1.0 on the 2.0 deauthorise path, and 2.0 on 1.0's `/agencies` paths, are
/// 400 BAD_REQUEST "Missing or unsupported version number".
pub async fn each_path_serves_its_versions(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let body = deauth_body(&vat_body(&f.organisation));
    let v1_deauthorise = deauthorise(&f.agent, &body).set_header("Accept", Some(V1_ACCEPT.into()));
    ctx.soft("deauthorise_client/400/BAD_REQUEST_VERSION", v1_deauthorise)
        .await?;
    let v2 = Some(V2_ACCEPT.to_owned());
    let create =
        v1_api::create(&f.agent, &v1_api::itsa(&f.individual)).set_header("Accept", v2.clone());
    ctx.soft(
        "create_agency_invitation_v1/400/BAD_REQUEST_VERSION",
        create,
    )
    .await?;
    let read = v1_api::get(&f.agent, &f.pending).set_header("Accept", v2);
    ctx.soft("get_agency_invitation_v1/400/BAD_REQUEST_VERSION", read)
        .await?;
    Ok(())
}
