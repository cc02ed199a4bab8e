//! Scenarios of the sandbox's time control (`PUT /agent-authorisation-test-support/invitations/{id}/created`): a
//! request made older, for its agent, its client or HMRC staff; what it keeps; and its refusals, in their order.

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::harness::*;
use crate::http::{Exchange, Request};
use crate::reference::random_invitation_id;
use crate::sandbox::Agent;
use crate::scenarios::agent_authorisation_v2::get;
use crate::scenarios::support::{bad_ids, test_support};

const DAY: i64 = 24 * 60 * 60;

/// The time-control call with `body`, as `token`.
fn set_age(id: &str, body: Value, token: Option<&str>) -> Request {
    test_support("PUT", id, "/created", token).json(&body)
}

fn age(seconds: i64) -> Value {
    json!({ "ageSeconds": seconds })
}

/// A field of a read, as a time.
fn time_of(exchange: &Exchange, field: &str) -> Option<DateTime<Utc>> {
    let body = exchange.json()?;
    let text = body[field].as_str()?.to_owned();
    DateTime::parse_from_rfc3339(&text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether `created` is `seconds` before now, give or take two minutes of clocks apart.
fn aged(created: Option<DateTime<Utc>>, seconds: i64) -> bool {
    created.is_some_and(|c| {
        (Utc::now() - Duration::seconds(seconds) - c)
            .num_seconds()
            .abs()
            < 120
    })
}

/// Made older by its agent, its client and HMRC staff: `created` moves; an accepted request keeps its status and
/// last change; an expired one stays Expired; a century at most.
pub async fn making_a_request_older(ctx: Ctx) -> Result<()> {
    let s = ctx.sandbox();
    let (agent, client, vat) = tokio::try_join!(s.agent(), s.itsa_client(), s.vat_client(false))?;
    let staff = s.hmrc_staff_token().await?;
    let id = s
        .create_invitation(&agent, &itsa_body(&client, None))
        .await?;
    for (seconds, token) in [
        (DAY, &agent.token),
        (2 * DAY, &client.token),
        (3 * DAY, &staff),
    ] {
        let request = set_age(&id, age(seconds), Some(token));
        ctx.expect("set_invitation_created/204", request).await?;
        let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
        let created = time_of(&read, "created");
        ctx.rule("R-SANDBOX-TIME-CONTROL", aged(created, seconds), || {
            format!(
                "made {seconds} s old, the request reads created {created:?}\n      repeat:   {}",
                read.curl()
            )
        })?;
    }
    let accepted = s.create_invitation(&agent, &vat_body(&vat)).await?;
    s.accept(&accepted).await?;
    an_answered_request_keeps_its_answer(&ctx, &agent, &accepted).await?;
    s.expire(&id).await?;
    let younger = set_age(&id, age(1), Some(&agent.token));
    ctx.expect("set_invitation_created/204", younger).await?;
    let status = s.invitation_status(&agent, &id).await?;
    ctx.rule("R-SANDBOX-TIME-CONTROL", status == "Expired", || {
        format!("an Expired request made younger reads {status}")
    })?;
    let ancient = set_age(&id, age(i64::MAX), Some(&staff));
    ctx.expect("set_invitation_created/204", ancient).await?;
    let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
    let created = time_of(&read, "created");
    ctx.rule(
        "R-SANDBOX-TIME-CONTROL",
        aged(created, 100 * 366 * DAY),
        || format!("made older than a century, the request reads created {created:?}"),
    )
}

/// An Accepted request made older keeps its status and its last change.
async fn an_answered_request_keeps_its_answer(ctx: &Ctx, agent: &Agent, id: &str) -> Result<()> {
    let before = ctx.expect("get_invitation/200", get(agent, id)).await?;
    let older = set_age(id, age(31 * DAY), Some(&agent.token));
    ctx.expect("set_invitation_created/204", older).await?;
    let after = ctx.expect("get_invitation/200", get(agent, id)).await?;
    let (was, now) = (
        before.json().unwrap_or_default(),
        after.json().unwrap_or_default(),
    );
    let holds = now["status"] == "Accepted" && was["updated"] == now["updated"];
    ctx.rule("R-SANDBOX-TIME-CONTROL", holds, || {
        format!("an Accepted request made older reads {now} (was {was})")
    })
}

/// Refusals in the documented order: the id (400) and the body (400) before the token (401), the token before
/// the request (404), the request before the caller (403); a refused call changes nothing.
pub async fn refusals_in_order(ctx: Ctx) -> Result<()> {
    let s = ctx.sandbox();
    let (agent, other, client) = tokio::try_join!(s.agent(), s.agent(), s.vat_client(false))?;
    let id = s.create_invitation(&agent, &vat_body(&client)).await?;
    let unknown = random_invitation_id(&mut ctx.fresh_rng("unknown"), 'C');
    let token = Some(agent.token.as_str());
    let cases = [
        (
            "set_invitation_created/400/BAD_REQUEST",
            set_age(&bad_ids(&id)[0], age(DAY), None),
        ),
        (
            "set_invitation_created/400/BAD_REQUEST",
            set_age(&id, age(-1), token),
        ),
        (
            "set_invitation_created/400/BAD_REQUEST",
            set_age(&id, json!({"ageSeconds": "old"}), None),
        ),
        (
            "set_invitation_created/400/BAD_REQUEST",
            set_age(&id, json!({}), token),
        ),
        (
            "set_invitation_created/401/UNAUTHORIZED",
            set_age(&unknown, age(DAY), None),
        ),
        (
            "set_invitation_created/401/UNAUTHORIZED",
            set_age(&id, age(DAY), Some("not-a-token")),
        ),
        (
            "set_invitation_created/404/INVITATION_NOT_FOUND",
            set_age(&unknown, age(DAY), Some(&other.token)),
        ),
        (
            "set_invitation_created/403/NO_PERMISSION",
            set_age(&id, age(DAY), Some(&other.token)),
        ),
    ];
    for (entry, request) in cases {
        ctx.soft(entry, request).await?;
    }
    let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
    ctx.rule(
        "R-AUTH-TEST-SUPPORT",
        aged(time_of(&read, "created"), 0),
        || {
            format!(
                "refused time-control calls moved the request: {}",
                read.summary()
            )
        },
    )
}
