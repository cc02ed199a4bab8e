//! The relationship rules, through 2.0, the sandbox and the backend's reads (which say who ended a
//! relationship): supporting agents side by side, a main agent replacing another, an agent switching between
//! main and supporting, and partial authorisations accepted, converted and ended.

use anyhow::Result;
use serde_json::Value;

use crate::harness::*;
use crate::sandbox::{Agent, Individual};
use crate::scenarios::agent_authorisation_v2::{check, create, deauthorise};
use crate::scenarios::agent_client_authorisation::support::get as get_sent;

/// Checks the agent's relationship of `body` (a create body): 204 when `active`, else 404.
async fn expect_relationship(ctx: &Ctx, agent: &Agent, body: &Value, active: bool) -> Result<()> {
    let entry = if active {
        "check_relationship/204"
    } else {
        "check_relationship/404/RELATIONSHIP_NOT_FOUND"
    };
    ctx.expect(entry, check(agent, &check_body(body))).await?;
    Ok(())
}

/// Reads a request through the backend (which names the client as recorded and who ended a relationship):
/// it must say `status`, and, when given, the client id and who ended its relationship; else `rule` fails.
async fn reads(
    ctx: &Ctx,
    rule: &str,
    agent: &Agent,
    id: &str,
    expected: Expected<'_>,
) -> Result<()> {
    let exchange = ctx
        .expect("get_sent_invitation/200", get_sent(agent, id))
        .await?;
    let body = exchange.json().unwrap_or_default();
    let holds = body["status"] == expected.status
        && expected.client_id.is_none_or(|c| body["clientId"] == c)
        && expected
            .ended_by
            .is_none_or(|by| body["relationshipEndedBy"] == by);
    ctx.rule(rule, holds, || {
        format!(
            "{id} reads status {}, clientId {}, relationshipEndedBy {}; expected {expected:?}\n      repeat:   {}",
            body["status"],
            body["clientId"],
            body["relationshipEndedBy"],
            exchange.curl()
        )
    })
}

/// What a request must read.
#[derive(Debug, Clone, Copy)]
struct Expected<'a> {
    status: &'a str,
    client_id: Option<&'a str>,
    ended_by: Option<&'a str>,
}

fn status(status: &str) -> Expected<'_> {
    Expected {
        status,
        client_id: None,
        ended_by: None,
    }
}

/// Deauthorised, ended by `by`.
fn ended(by: &str) -> Expected<'_> {
    Expected {
        ended_by: Some(by),
        ..status("Deauthorised")
    }
}

/// `status`, naming the client by `client_id`.
fn naming<'a>(state: &'a str, client_id: &'a str) -> Expected<'a> {
    Expected {
        client_id: Some(client_id),
        ..status(state)
    }
}

/// Creates and accepts a request of `agent`; answers its id.
async fn authorised(ctx: &Ctx, agent: &Agent, body: &Value) -> Result<String> {
    let id = ctx.sandbox().create_invitation(agent, body).await?;
    ctx.sandbox().accept(&id).await?;
    Ok(id)
}

/// Three agents of one client: a main one and two supporting ones, all authorised at once; a second supporting
/// agent displaces nobody.
pub async fn supporting_agents_side_by_side(ctx: Ctx) -> Result<()> {
    let s = ctx.sandbox();
    let (main, first, second, client) =
        tokio::try_join!(s.agent(), s.agent(), s.agent(), s.itsa_client())?;
    let supporting = itsa_body(&client, Some("supporting"));
    authorised(&ctx, &main, &itsa_body(&client, None)).await?;
    authorised(&ctx, &first, &supporting).await?;
    authorised(&ctx, &second, &supporting).await?;
    expect_relationship(&ctx, &main, &itsa_body(&client, None), true).await?;
    expect_relationship(&ctx, &first, &supporting, true).await?;
    expect_relationship(&ctx, &second, &supporting, true).await
}

/// A second main agent (and a second VAT agent) accepted: the first one's relationship ends, its request reads
/// Deauthorised, ended by the Client.
pub async fn main_agent_replaced(ctx: Ctx) -> Result<()> {
    let s = ctx.sandbox();
    let (old, new, client, vat) =
        tokio::try_join!(s.agent(), s.agent(), s.itsa_client(), s.vat_client(false))?;
    for body in [itsa_body(&client, None), vat_body(&vat)] {
        let replaced = authorised(&ctx, &old, &body).await?;
        authorised(&ctx, &new, &body).await?;
        reads(&ctx, "R-REL-ONE-AGENT", &old, &replaced, ended("Client")).await?;
        expect_relationship(&ctx, &old, &body, false).await?;
        expect_relationship(&ctx, &new, &body, true).await?;
    }
    Ok(())
}

/// An agent holds main or supporting, not both: holding one does not block asking for the other; accepting it
/// ends the first (ended by the Client), both ways. Deauthorising without an agent type ends whichever it holds.
pub async fn switching_main_and_supporting(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
    let main = itsa_body(&client, Some("main"));
    let supporting = itsa_body(&client, Some("supporting"));
    let mut held = authorised(&ctx, &agent, &main).await?;
    for (now, then) in [(&supporting, &main), (&main, &supporting)] {
        let exchange = ctx
            .expect("create_invitation/204", create(&agent, now))
            .await?;
        let id = location_id(&exchange)?;
        ctx.sandbox().accept(&id).await?;
        reads(&ctx, "R-REL-SWITCH", &agent, &held, ended("Client")).await?;
        expect_relationship(&ctx, &agent, then, false).await?;
        expect_relationship(&ctx, &agent, now, true).await?;
        held = id;
    }
    let any = without(&main, "agentType");
    let wrong = deauth_body(&supporting);
    ctx.expect(
        "deauthorise_client/403/NO_RELATIONSHIP",
        deauthorise(&agent, &wrong),
    )
    .await?;
    ctx.expect(
        "deauthorise_client/204",
        deauthorise(&agent, &deauth_body(&any)),
    )
    .await?;
    reads(&ctx, "R-DEAUTH-AGENT", &agent, &held, ended("Agent")).await?;
    expect_relationship(&ctx, &agent, &main, false).await
}

/// A client not signed up to MTD Income Tax: accepting gives Partialauth, which counts (check 204, a new
/// request ALREADY_AUTHORISED); after sign-up it stays partial until a 2.0 check turns it full (Accepted, named
/// by the MTDITID); ended by the agent, it reads Deauthorised. A partial one ends too. Signed up between request
/// and acceptance, the answer is Accepted at once.
pub async fn partial_authorisation(ctx: Ctx) -> Result<()> {
    let s = ctx.sandbox();
    let (agent, converted, partial_only, late) = tokio::try_join!(
        s.agent(),
        s.alt_itsa_client(),
        s.alt_itsa_client(),
        s.alt_itsa_client()
    )?;
    let body = itsa_body(&converted, None);
    let id = authorised(&ctx, &agent, &body).await?;
    let partial = naming("Partialauth", &converted.nino);
    reads(&ctx, "R-PARTIAL-ON-ACCEPT", &agent, &id, partial).await?;
    expect_relationship(&ctx, &agent, &body, true).await?;
    ctx.expect(
        "create_invitation/403/ALREADY_AUTHORISED",
        create(&agent, &body),
    )
    .await?;
    let mtditid = s.sign_up_mtd_income_tax(&converted.nino).await?;
    reads(&ctx, "R-SANDBOX-SIGN-UP", &agent, &id, partial).await?;
    expect_relationship(&ctx, &agent, &body, true).await?;
    let full = naming("Accepted", &mtditid);
    reads(&ctx, "R-PARTIAL-CHECK-CONVERTS", &agent, &id, full).await?;
    ctx.expect(
        "deauthorise_client/204",
        deauthorise(&agent, &deauth_body(&body)),
    )
    .await?;
    reads(&ctx, "R-DEAUTH-AGENT", &agent, &id, ended("Agent")).await?;
    end_partial(&ctx, &agent, &partial_only).await?;
    signed_up_before_accepting(&ctx, &agent, &late).await
}

/// A partial authorisation ended by the agent reads Deauthorised.
async fn end_partial(ctx: &Ctx, agent: &Agent, client: &Individual) -> Result<()> {
    let body = itsa_body(client, Some("supporting"));
    let id = authorised(ctx, agent, &body).await?;
    reads(
        ctx,
        "R-PARTIAL-ON-ACCEPT",
        agent,
        &id,
        status("Partialauth"),
    )
    .await?;
    ctx.expect(
        "deauthorise_client/204",
        deauthorise(agent, &deauth_body(&body)),
    )
    .await?;
    reads(ctx, "R-DEAUTH-AGENT", agent, &id, ended("Agent")).await?;
    expect_relationship(ctx, agent, &body, false).await
}

/// Signed up between the request and its acceptance: Accepted, named by the new MTDITID.
async fn signed_up_before_accepting(ctx: &Ctx, agent: &Agent, client: &Individual) -> Result<()> {
    let id = ctx
        .sandbox()
        .create_invitation(agent, &itsa_body(client, None))
        .await?;
    let mtditid = ctx.sandbox().sign_up_mtd_income_tax(&client.nino).await?;
    ctx.sandbox().accept(&id).await?;
    let full = naming("Accepted", &mtditid);
    reads(ctx, "R-PARTIAL-ON-ACCEPT", agent, &id, full).await
}
