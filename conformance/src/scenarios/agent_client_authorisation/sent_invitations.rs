//! Scenarios of the agent's sent invitations (`/agencies/{arn}/invitations/sent`, tag Agent invitations):
//! create, read, list and cancel.

use anyhow::{Result, anyhow};
use serde_json::{Value, json};

use super::support::*;
use crate::harness::*;
use crate::http::Exchange;
use crate::paths::*;
use crate::reference::{random_invitation_id, random_nino, random_vrn};
use crate::scenarios::support::{IdenticalCreates, bad_ids, race_identical_creates};

/// An invitation created and read back for every service.
pub async fn create_and_read_every_service(ctx: Ctx) -> Result<()> {
    let agent = ctx.sandbox().agent().await?;
    let clients =
        futures::future::try_join_all(SERVICES.iter().map(|s| ctx.sandbox().service_client(s)))
            .await?;
    for client in &clients {
        let id = created(&ctx, &agent, client).await?;
        read_as(&ctx, &agent, &id, "Pending", None).await?;
    }
    Ok(())
}

/// Reads and cancels by ids that are malformed or unknown; a cancel of each final status is refused.
pub async fn read_and_cancel_by_id(ctx: Ctx) -> Result<()> {
    let (agent, vat, itsa) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().service_client("HMRC-MTD-VAT"),
        ctx.sandbox().service_client("HMRC-MTD-IT")
    )?;
    let id = created(&ctx, &agent, &vat).await?;
    for bad in bad_ids(&id) {
        ctx.soft("get_sent_invitation/400/BAD_REQUEST", get(&agent, &bad))
            .await?;
        ctx.soft(
            "cancel_sent_invitation/400/BAD_REQUEST",
            cancel(&agent, &bad),
        )
        .await?;
    }
    let unknown = random_invitation_id(&mut ctx.fresh_rng("unknown"), 'C');
    ctx.soft(
        "get_sent_invitation/404/INVITATION_NOT_FOUND",
        get(&agent, &unknown),
    )
    .await?;
    ctx.soft(
        "cancel_sent_invitation/404/INVITATION_NOT_FOUND",
        cancel(&agent, &unknown),
    )
    .await?;
    ctx.expect("cancel_sent_invitation/204", cancel(&agent, &id))
        .await?;
    read_as(&ctx, &agent, &id, "Cancelled", None).await?;
    // Cancelled, accepted, rejected and expired invitations cannot be cancelled.
    ctx.soft(
        "cancel_sent_invitation/403/INVALID_INVITATION_STATUS",
        cancel(&agent, &id),
    )
    .await?;
    let accepted = created(&ctx, &agent, &itsa).await?;
    ctx.sandbox().accept(&accepted).await?;
    ctx.soft(
        "cancel_sent_invitation/403/INVALID_INVITATION_STATUS",
        cancel(&agent, &accepted),
    )
    .await?;
    let rejected = created(&ctx, &agent, &vat).await?;
    ctx.sandbox().reject(&rejected).await?;
    ctx.soft(
        "cancel_sent_invitation/403/INVALID_INVITATION_STATUS",
        cancel(&agent, &rejected),
    )
    .await?;
    let expired = created(&ctx, &agent, &vat).await?;
    ctx.sandbox().expire(&expired).await?;
    ctx.expect(
        "cancel_sent_invitation/403/INVALID_INVITATION_STATUS",
        cancel(&agent, &expired),
    )
    .await?;
    read_as(&ctx, &agent, &expired, "Expired", None).await?;
    Ok(())
}

/// The agent's list: empty at first, then filtered by service, status and date, newest first.
pub async fn list_with_filters(ctx: Ctx) -> Result<()> {
    let (agent, vat, itsa) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().service_client("HMRC-MTD-VAT"),
        ctx.sandbox().service_client("HMRC-MTD-IT")
    )?;
    let entry = "list_sent_invitations/200";
    // An agent with no invitations: an empty array.
    let empty = ctx.expect(entry, list(&agent, ALL)).await?;
    if empty.json() != Some(json!([])) {
        wrong(&ctx, entry, &empty, "a new agent's list is not []".into())?;
    }
    let first = created(&ctx, &agent, &vat).await?;
    let second = created(&ctx, &agent, &itsa).await?;
    ctx.sandbox().reject(&first).await?;
    let same_moment = {
        let (a, b) = tokio::try_join!(
            read_as(&ctx, &agent, &first, "Rejected", None),
            read_as(&ctx, &agent, &second, "Pending", None)
        )?;
        a["created"] == b["created"]
    };
    let cases: [(&str, Vec<String>); 6] = [
        (ALL, vec![second.clone(), first.clone()]),
        // No filter at all: every invitation, however old.
        ("", vec![second.clone(), first.clone()]),
        ("?service=HMRC-MTD-VAT", vec![first.clone()]),
        (
            "?status=Pending&createdOnOrAfter=2000-01-01",
            vec![second.clone()],
        ),
        ("?status=rejected", vec![first.clone()]),
        ("?createdOnOrAfter=2999-01-01", vec![]),
    ];
    let mut failed = None;
    for (query, expected) in cases {
        let Some(exchange) = ctx.soft(entry, list(&agent, query)).await? else {
            failed = Some(format!("the list {query:?} did not conform"));
            continue;
        };
        let mut got = listed_ids(&exchange);
        let mut expected = expected;
        if same_moment {
            // Created in the same millisecond: either order is newest first.
            got.sort();
            expected.sort();
        }
        if got != expected {
            let message =
                format!("the list {query:?} names {got:?}, expected {expected:?} (newest first)");
            ctx.fail(
                entry,
                format!("{message}\n      repeat:   {}", exchange.curl()),
            );
            failed = Some(message);
        }
    }
    for query in [
        "?service=HMRC-NOPE",
        "?status=Done",
        "?createdOnOrAfter=2018/04/01",
        "?createdOnOrAfter=yesterday",
    ] {
        ctx.soft("list_sent_invitations/400/BAD_REQUEST", list(&agent, query))
            .await?;
    }
    match failed {
        Some(message) => Err(anyhow!(message)),
        None => Ok(()),
    }
}

/// The ids an agent's list names, in its order.
fn listed_ids(exchange: &Exchange) -> Vec<String> {
    exchange
        .json()
        .and_then(|b| b.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|i| i["invitationId"].as_str().map(str::to_owned))
        .collect()
}

/// Each invalid create body gets its 400 or 501.
pub async fn create_with_an_invalid_payload(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let body = |service: &str, client_type: &str, id_type: &str, id: &str| json!({"service": service, "clientType": client_type, "clientIdType": id_type, "clientId": id});
    let nino = f.individual.nino.clone();
    let vrn = f.organisation.vrn.clone();
    let cases = [
        (
            "create_sent_invitation/400/BAD_REQUEST",
            body("HMRC-MTD-VAT", "business", "vrn", &vrn)
                .as_object()
                .map(|m| {
                    let mut m = m.clone();
                    m.remove("clientId");
                    Value::Object(m)
                })
                .unwrap_or_default(),
        ),
        (
            "create_sent_invitation/400/BAD_REQUEST",
            json!(["HMRC-MTD-VAT"]),
        ),
        (
            "create_sent_invitation/501/SERVICE_NOT_SUPPORTED",
            body("HMRC-XYZ", "personal", "ni", &nino),
        ),
        (
            "create_sent_invitation/501/SERVICE_NOT_SUPPORTED",
            body("MTD-IT", "personal", "ni", &nino),
        ),
        (
            "create_sent_invitation/400/CLIENT_TYPE_NOT_SUPPORTED",
            body("HMRC-MTD-IT", "business", "ni", &nino),
        ),
        (
            "create_sent_invitation/400/CLIENT_TYPE_NOT_SUPPORTED",
            body("HMRC-MTD-VAT", "trust", "vrn", &vrn),
        ),
        (
            "create_sent_invitation/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
            body("HMRC-MTD-VAT", "business", "ni", &nino),
        ),
        (
            "create_sent_invitation/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
            body("HMRC-MTD-IT", "personal", "vrn", &vrn),
        ),
        (
            "create_sent_invitation/400/CLIENT_ID_FORMAT_INVALID",
            body("HMRC-MTD-VAT", "business", "vrn", "12345678"),
        ),
        (
            "create_sent_invitation/400/CLIENT_ID_FORMAT_INVALID",
            body("HMRC-MTD-IT-SUPP", "personal", "ni", "AB12345"),
        ),
    ];
    for (entry, body) in cases {
        ctx.soft(entry, create(&f.agent, &body)).await?;
    }
    // Not JSON at all.
    ctx.soft(
        "create_sent_invitation/400/BAD_REQUEST",
        backend("POST", sent_path(&f.agent.arn), Some(&f.agent.token))
            .header("Content-Type", "application/json")
            .bytes(b"{not json".to_vec()),
    )
    .await?;
    Ok(())
}

/// Creates refused by the client's record (unknown, insolvent) or state (pending, authorised).
pub async fn create_refused_by_record_or_state(ctx: Ctx) -> Result<()> {
    let (agent, vat, itsa, insolvent) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().service_client("HMRC-MTD-VAT"),
        ctx.sandbox().service_client("HMRC-MTD-IT"),
        ctx.sandbox().vat_client(true)
    )?;
    let mut rng = ctx.fresh_rng("ids");
    let mut unknown = vat.create_body();
    unknown["clientId"] = json!(random_vrn(&mut rng));
    ctx.soft(
        "create_sent_invitation/403/CLIENT_REGISTRATION_NOT_FOUND",
        create(&agent, &unknown),
    )
    .await?;
    let mut unknown = itsa.create_body();
    unknown["clientId"] = json!(random_nino(&mut rng));
    ctx.soft(
        "create_sent_invitation/403/CLIENT_REGISTRATION_NOT_FOUND",
        create(&agent, &unknown),
    )
    .await?;
    let mut body = vat.create_body();
    body["clientId"] = json!(insolvent.vrn);
    ctx.soft(
        "create_sent_invitation/403/VAT_CLIENT_INSOLVENT",
        create(&agent, &body),
    )
    .await?;
    // A second pending invitation is a duplicate naming the first; main and supporting block each other.
    let pending = created(&ctx, &agent, &itsa).await?;
    for body in [itsa.create_body(), {
        let mut supp = itsa.create_body();
        supp["service"] = json!("HMRC-MTD-IT-SUPP");
        supp
    }] {
        let entry = "create_sent_invitation/403/DUPLICATE_AUTHORISATION_REQUEST";
        let exchange = ctx.expect(entry, create(&agent, &body)).await?;
        let location = exchange.response.header("location").unwrap_or_default();
        if location != sent_invitation_path(&agent.arn, &pending) {
            wrong(
                &ctx,
                entry,
                &exchange,
                format!("Location {location:?} does not name the pending {pending}"),
            )?;
        }
    }
    let accepted = created(&ctx, &agent, &vat).await?;
    ctx.sandbox().accept(&accepted).await?;
    ctx.expect(
        "create_sent_invitation/403/ALREADY_AUTHORISED",
        create(&agent, &vat.create_body()),
    )
    .await?;
    Ok(())
}

/// Identical creates at once: one succeeds, the others meet it in flight or as a duplicate.
pub async fn identical_creates_at_once(ctx: Ctx) -> Result<()> {
    let answers = IdenticalCreates {
        created: 201,
        created_entry: Some("create_sent_invitation/201"),
        in_flight: "create_sent_invitation/403/ALREADY_BEING_PROCESSED",
        duplicate: "create_sent_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
    };
    let sandbox = ctx.sandbox();
    race_identical_creates(&ctx, &answers, move || async move {
        let (agent, vat) =
            tokio::try_join!(sandbox.agent(), sandbox.service_client("HMRC-MTD-VAT"))?;
        Ok(create(&agent, &vat.create_body()))
    })
    .await
}
