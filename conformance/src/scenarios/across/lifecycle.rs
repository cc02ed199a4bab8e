//! The lifecycle of a request across the surfaces: every status a request leaves Pending for is final (only the
//! answer it already has may be repeated, and changes nothing), and an accept racing a cancel, held by the
//! sandbox so that the race is run every time.

use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::Value;

use crate::harness::*;
use crate::sandbox::Agent;
use crate::scenarios::agent_authorisation_v2::{cancel, check, deauthorise, get};
use crate::scenarios::support::test_support;
use crate::scenarios::views::check_invitation;

/// How long a held accept keeps its transaction open, and when the cancel is sent into it.
const HOLD_MS: u64 = 1500;
const CANCEL_AFTER: Duration = Duration::from_millis(300);

/// One request in each status a request can leave Pending for, made through the sandbox and 2.0.
async fn one_of_each(
    ctx: &Ctx,
    agent: &Agent,
) -> Result<Vec<(String, &'static str, &'static str)>> {
    let sandbox = ctx.sandbox();
    let (itsa, alt, ended) = tokio::try_join!(
        sandbox.itsa_client(),
        sandbox.alt_itsa_client(),
        sandbox.itsa_client()
    )?;
    let vats = futures::future::try_join_all((0..3).map(|_| sandbox.vat_client(false))).await?;
    let mut made = Vec::new();
    for (body, status, service) in [
        (itsa_body(&itsa, None), "Accepted", "MTD-IT"),
        (itsa_body(&alt, None), "Partialauth", "MTD-IT"),
        (itsa_body(&ended, None), "Deauthorised", "MTD-IT"),
        (vat_body(&vats[0]), "Rejected", "MTD-VAT"),
        (vat_body(&vats[1]), "Cancelled", "MTD-VAT"),
        (vat_body(&vats[2]), "Expired", "MTD-VAT"),
    ] {
        let id = sandbox.create_invitation(agent, &body).await?;
        match status {
            "Rejected" => sandbox.reject(&id).await?,
            "Cancelled" => {
                ctx.expect("cancel_invitation/204", cancel(agent, &id))
                    .await?;
            }
            "Expired" => sandbox.expire(&id).await?,
            _ => sandbox.accept(&id).await?,
        }
        if status == "Deauthorised" {
            ctx.expect(
                "deauthorise_client/204",
                deauthorise(agent, &deauth_body(&body)),
            )
            .await?;
        }
        made.push((id, status, service));
    }
    Ok(made)
}

/// Every status but Pending is final: a cancel is refused; test support repeats only the answer the request
/// already has (204) and refuses any other (409); and the request reads the same after all of it, `updated`
/// included.
pub async fn every_status_after_pending_is_final(ctx: Ctx) -> Result<()> {
    let agent = ctx.sandbox().agent().await?;
    for (id, status, service) in one_of_each(&ctx, &agent).await? {
        let agent_type = (service == "MTD-IT").then_some("main");
        let before = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
        check_invitation(
            &ctx,
            "get_invitation/200",
            &before,
            &agent,
            &id,
            service,
            agent_type,
            status,
        )?;
        ctx.soft(
            "cancel_invitation/403/INVALID_INVITATION_STATUS",
            cancel(&agent, &id),
        )
        .await?;
        let token = Some(agent.token.as_str());
        for (method, suffix, operation, same) in [
            (
                "PUT",
                "",
                "accept_invitation",
                ["Accepted", "Partialauth"].contains(&status),
            ),
            ("DELETE", "", "reject_invitation", status == "Rejected"),
            ("PUT", "/expire", "expire_invitation", status == "Expired"),
        ] {
            let entry = if same {
                format!("{operation}/204")
            } else {
                format!("{operation}/409/INVALID_INVITATION_STATUS")
            };
            ctx.soft(&entry, test_support(method, &id, suffix, token))
                .await?;
        }
        let after = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
        let (was, now) = (before.json(), after.json());
        ctx.rule("R-STATUS-TRANSITIONS", was == now, || {
            format!(
                "a {status} request changed after cancel, accept, reject and expire: {} became {}\n      repeat:   {}",
                was.unwrap_or_default(),
                now.unwrap_or_default(),
                after.curl()
            )
        })?;
    }
    Ok(())
}

/// An accept held inside its transaction, and a cancel sent meanwhile: the cancel waits for the accept and is
/// refused; the request reads Accepted with its relationship. A round whose cancel arrived first (the accept
/// had not taken the request yet) is run again on a fresh request.
pub async fn accept_racing_cancel(ctx: Ctx) -> Result<()> {
    for _round in 0..3 {
        let (agent, client) =
            tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().vat_client(false))?;
        let body = vat_body(&client);
        let id = ctx.sandbox().create_invitation(&agent, &body).await?;
        let accept = test_support("PUT", &id, "", Some(&agent.token))
            .header("Gov-Test-Hold-Ms", HOLD_MS.to_string());
        let cancelled = async {
            tokio::time::sleep(CANCEL_AFTER).await;
            ctx.send(cancel(&agent, &id)).await
        };
        let (accepted, cancelled) = tokio::join!(ctx.send(accept), cancelled);
        let (accepted, cancelled) = (accepted?, cancelled?);
        match (accepted.status(), cancelled.status()) {
            (204, 403) => {
                ctx.check("accept_invitation/204", &accepted)?;
                ctx.check(
                    "cancel_invitation/403/INVALID_INVITATION_STATUS",
                    &cancelled,
                )?;
                return accepted_with_relationship(&ctx, &agent, &id, &body).await;
            }
            (409, 204) => continue,
            (a, c) => {
                let problem = format!(
                    "an accept and a cancel at once answered {a} and {c}: exactly one may take effect\n      accept: {}\n      cancel: {}",
                    accepted.curl(),
                    cancelled.curl()
                );
                ctx.rule("R-ANSWER-CANCEL-RACE", false, || problem)?;
            }
        }
    }
    let problem = "three times over, the cancel came before the held accept had taken the request";
    ctx.rule("R-SANDBOX-HOLD", false, || problem.to_owned())?;
    bail!(problem)
}

async fn accepted_with_relationship(
    ctx: &Ctx,
    agent: &Agent,
    id: &str,
    body: &Value,
) -> Result<()> {
    let read = ctx.expect("get_invitation/200", get(agent, id)).await?;
    let status = read.json().unwrap_or_default()["status"].clone();
    ctx.rule("R-ANSWER-CANCEL-RACE", status == "Accepted", || {
        format!("after the accept won the race the request reads {status}")
    })?;
    ctx.expect("check_relationship/204", check(agent, &check_body(body)))
        .await?;
    Ok(())
}
