//! Time rules, crossed with the sandbox's time control (requests made older, never the server's clock moved):
//! the 30-day list by creation time, and expiry at the start of the 21st day after creation, read through every
//! surface.

use anyhow::Result;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

use crate::harness::*;
use crate::http::Exchange;
use crate::paths::invitations_path;
use crate::sandbox::Agent;
use crate::scenarios::agent_authorisation_v1::support as v1_api;
use crate::scenarios::agent_authorisation_v2::{cancel, create, get, list};
use crate::scenarios::agent_client_authorisation::support as backend_api;

const DAY: i64 = 24 * 60 * 60;

/// The ids a list names, in its order.
fn listed(exchange: &Exchange) -> Vec<String> {
    let body = exchange.json().unwrap_or_default();
    let items = body.as_array().cloned().unwrap_or_default();
    items
        .iter()
        .filter_map(|i| i["invitationId"].as_str().map(str::to_owned))
        .collect()
}

/// The 30-day list: requests 29 days old and 30 days less five minutes old are listed, in every status; 30
/// days and five minutes and 31 days old are not, though changed just now; newest first, through 2.0 and 1.0 on
/// the same paths, which list MTD-IT and MTD-VAT only. A request ten years old is still read by its id.
pub async fn thirty_day_list(ctx: Ctx) -> Result<()> {
    let sandbox = ctx.sandbox();
    let (agent, pir) = tokio::try_join!(
        sandbox.agent(),
        sandbox.service_client("PERSONAL-INCOME-RECORD")
    )?;
    let clients = futures::future::try_join_all((0..6).map(|_| sandbox.vat_client(false))).await?;
    let mut ids = Vec::new();
    for client in &clients {
        ids.push(sandbox.create_invitation(&agent, &vat_body(client)).await?);
    }
    backend_api::created(&ctx, &agent, &pir).await?;
    // The oldest were answered just now: their last change is recent, their creation is not.
    for (id, age) in [
        (&ids[1], 29 * DAY),
        (&ids[2], 30 * DAY - 300),
        (&ids[3], 30 * DAY + 300),
        (&ids[4], 31 * DAY),
        (&ids[5], 3650 * DAY),
    ] {
        if age > 30 * DAY && age < 3650 * DAY {
            sandbox.accept(id).await?;
        }
        sandbox.set_age(id, age).await?;
    }
    let expected = [ids[0].clone(), ids[1].clone(), ids[2].clone()];
    let v2 = ctx.expect("list_invitations/200", list(&agent)).await?;
    let v1 = v1_api::v1("GET", invitations_path(&agent.arn), Some(&agent.token));
    let v1 = ctx.expect("list_invitations_v1/200", v1).await?;
    for (exchange, surface) in [(&v2, "2.0"), (&v1, "1.0")] {
        let got = listed(exchange);
        let shown = format!("{got:?}, expected {expected:?}");
        let repeat = exchange.curl();
        ctx.rule("R-LIST-30-DAYS", got == expected, || {
            format!("{surface} lists {shown} (created 0, 29 days and 30 days less 5 minutes ago; not 30 days and 5 minutes, 31 days or 10 years ago)\n      repeat:   {repeat}")
        })?;
    }
    let ancient = ctx
        .expect("get_invitation/200", get(&agent, &ids[5]))
        .await?;
    let status = ancient.json().unwrap_or_default()["status"].clone();
    ctx.rule("R-NOTHING-DELETED", status == "Expired", || {
        format!("a request made ten years ago reads {status}, expected Expired")
    })
}

/// Waits until the next UTC midnight, if it is only seconds away: a request's expiry day must not change between
/// making it older and reading it.
async fn away_from_midnight() {
    let now = Utc::now();
    let midnight = (now.date_naive() + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc());
    if let Some(midnight) = midnight
        && midnight - now < Duration::seconds(15)
        && let Ok(wait) = (midnight - now + Duration::seconds(2)).to_std()
    {
        tokio::time::sleep(wait).await;
    }
}

/// 00:00:00.000 UTC of the 21st day after the day of `created` (RFC 3339).
fn expiry_of(created: &Value) -> Option<DateTime<Utc>> {
    let created = DateTime::parse_from_rfc3339(created.as_str()?).ok()?;
    let day = created.with_timezone(&Utc).date_naive() + Duration::days(21);
    day.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
}

fn millis(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Expiry at the day boundary: made 21 days ago, a request's expiry day is today and it reads Expired (updated
/// at that instant) through 2.0, 1.0 on both paths and the backend; made 20 days ago it reads Pending, expiring at
/// the start of tomorrow. The expired one cannot be cancelled or answered, and blocks no new request.
pub async fn expiry_at_the_day_boundary(ctx: Ctx) -> Result<()> {
    away_from_midnight().await;
    let sandbox = ctx.sandbox();
    let (agent, first, second) = tokio::try_join!(
        sandbox.agent(),
        sandbox.itsa_client(),
        sandbox.itsa_client()
    )?;
    let today = sandbox
        .create_invitation(&agent, &itsa_body(&first, None))
        .await?;
    let tomorrow = sandbox
        .create_invitation(&agent, &itsa_body(&second, None))
        .await?;
    sandbox.set_age(&today, 21 * DAY).await?;
    sandbox.set_age(&tomorrow, 20 * DAY).await?;
    read_everywhere(&ctx, &agent, &today, "Expired").await?;
    read_everywhere(&ctx, &agent, &tomorrow, "Pending").await?;
    ctx.soft(
        "cancel_invitation/403/INVALID_INVITATION_STATUS",
        cancel(&agent, &today),
    )
    .await?;
    let accept = crate::http::Request::new(
        "PUT",
        format!("/agent-authorisation-test-support/invitations/{today}"),
    )
    .bearer(&agent.token);
    ctx.soft("accept_invitation/409/INVALID_INVITATION_STATUS", accept)
        .await?;
    ctx.expect(
        "create_invitation/204",
        create(&agent, &itsa_body(&first, None)),
    )
    .await?;
    Ok(())
}

/// Reads one request through 2.0, 1.0 on the 2.0 paths, 1.0 on `/agencies` and the backend: each must say
/// `status`, with the expiry its creation day gives.
async fn read_everywhere(ctx: &Ctx, agent: &Agent, id: &str, status: &str) -> Result<()> {
    let v2 = ctx.expect("get_invitation/200", get(agent, id)).await?;
    let body = v2.json().unwrap_or_default();
    crate::scenarios::views::check_invitation(
        ctx,
        "get_invitation/200",
        &v2,
        agent,
        id,
        "MTD-IT",
        Some("main"),
        status,
    )?;
    let expiry = expiry_of(&body["created"]);
    let (field, expected) = match status {
        "Pending" => ("expiresOn", expiry.map(millis)),
        _ => ("updated", expiry.map(millis)),
    };
    let found = body[field].clone();
    let rule = match status {
        "Pending" => "R-EXPIRY-INSTANT",
        _ => "R-EXPIRY-READS-AT-ONCE",
    };
    ctx.rule(
        rule,
        expected.is_some() && found.as_str() == expected.as_deref(),
        || format!("a {status} request created {} has {field} {found}, expected {expected:?}\n      repeat:   {}", body["created"], v2.curl()),
    )?;
    let on_agents = v1_api::v1(
        "GET",
        crate::paths::invitation_path(&agent.arn, id),
        Some(&agent.token),
    );
    let on_agencies = v1_api::get(agent, id);
    let reads = [
        ("get_invitation_v1/200", on_agents),
        ("get_agency_invitation_v1/200", on_agencies),
        ("get_sent_invitation/200", backend_api::get(agent, id)),
    ];
    let expiry_date = expiry.map(|t| t.date_naive());
    for (entry, request) in reads {
        let exchange = ctx.expect(entry, request).await?;
        let read = exchange.json().unwrap_or_default();
        let date = read["expiryDate"]
            .as_str()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        let dated = entry == "get_invitation_v1/200" || date == expiry_date;
        ctx.rule(
            "R-EXPIRY-READS-AT-ONCE",
            read["status"] == status && dated,
            || format!("{entry} reads {} expiring {}, expected {status} expiring {expiry_date:?}\n      repeat:   {}", read["status"], read["expiryDate"], exchange.curl()),
        )?;
    }
    Ok(())
}
