//! Scenarios of the client's received invitations (`/clients/{service}/{clientId}/invitations/received`,
//! tag Client invitations): list, read, accept, reject, end the relationship; and the client's status.

use anyhow::{Result, ensure};
use serde_json::{Value, json};

use super::support::*;
use crate::harness::*;
use crate::http::Exchange;
use crate::paths::*;
use crate::reference::random_invitation_id;
use crate::sandbox::{Agent, ServiceClient};
use crate::scenarios::support::bad_ids;

/// The client lists, reads, accepts, rejects and ends its invitations.
pub async fn lists_reads_accepts_rejects_and_ends(ctx: Ctx) -> Result<()> {
    let (agent, vat) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().service_client("HMRC-MTD-VAT")
    )?;
    new_client_lists_nothing(&ctx, &vat).await?;
    let to_accept = created(&ctx, &agent, &vat).await?;
    read_pending(&ctx, &vat, &to_accept).await?;
    malformed_and_unknown(&ctx, &vat, &to_accept).await?;
    accept_then_end(&ctx, &agent, &vat, &to_accept).await?;
    reject(&ctx, &agent, &vat).await?;
    answer_cancelled(&ctx, &agent, &vat).await?;
    links_match_embedded(&ctx, &vat).await
}

/// The HAL list: `_links.invitations` names each embedded invitation's own link, one for one and in order, and
/// the invitations are newest first.
async fn links_match_embedded(ctx: &Ctx, vat: &ServiceClient) -> Result<()> {
    let entry = "list_received_invitations/200";
    let list = ctx
        .expect(entry, backend("GET", vat.received_path(), Some(&vat.token)))
        .await?;
    let body = list.json().unwrap_or_default();
    let hrefs = |items: &Value, pointer: &str| -> Vec<Value> {
        let items = items.as_array().cloned().unwrap_or_default();
        items
            .iter()
            .map(|i| i.pointer(pointer).cloned().unwrap_or_default())
            .collect()
    };
    let linked = hrefs(&body["_links"]["invitations"], "/href");
    let embedded = hrefs(&body["_embedded"]["invitations"], "/_links/self/href");
    let created = hrefs(&body["_embedded"]["invitations"], "/created");
    let newest_first = created.windows(2).all(|w| w[0].as_str() >= w[1].as_str());
    ctx.rule(
        "R-BACKEND-LISTS",
        embedded.len() >= 3 && linked == embedded && newest_first,
        || format!("_links.invitations {linked:?} against the embedded self links {embedded:?}, created {created:?}\n      repeat:   {}", list.curl()),
    )
}

/// How many invitations a client's list names.
fn listed(exchange: &Exchange) -> Option<usize> {
    exchange.json().unwrap_or_default()["_embedded"]["invitations"]
        .as_array()
        .map(Vec::len)
}

async fn new_client_lists_nothing(ctx: &Ctx, vat: &ServiceClient) -> Result<()> {
    let empty = ctx
        .expect(
            "list_received_invitations/200",
            backend("GET", vat.received_path(), Some(&vat.token)),
        )
        .await?;
    if listed(&empty) != Some(0) {
        wrong(
            ctx,
            "list_received_invitations/200",
            &empty,
            "a new client's list is not empty".into(),
        )?;
    }
    Ok(())
}

async fn read_pending(ctx: &Ctx, vat: &ServiceClient, to_accept: &str) -> Result<()> {
    let entry = "get_received_invitation/200";
    let read = ctx
        .expect(entry, received(vat, "GET", to_accept, ""))
        .await?;
    let body = read.json().unwrap_or_default();
    if body["invitationId"] != to_accept
        || body["status"] != "Pending"
        || body["_links"].get("accept").is_none()
        || body["_links"].get("reject").is_none()
    {
        wrong(
            ctx,
            entry,
            &read,
            format!("a pending invitation with accept and reject links, got {body}"),
        )?;
    }
    Ok(())
}

/// Each call on an invitation: (its operation, method, action).
const CALLS: [(&str, &str, &str); 4] = [
    ("get_received_invitation", "GET", ""),
    ("accept_received_invitation", "PUT", "/accept"),
    ("reject_received_invitation", "PUT", "/reject"),
    ("end_client_relationship", "PUT", "/deauthorise"),
];

/// Ids that are not well formed, an unknown id, an unknown identifier name and an unknown status filter.
async fn malformed_and_unknown(ctx: &Ctx, vat: &ServiceClient, to_accept: &str) -> Result<()> {
    for bad in bad_ids(to_accept) {
        for (operation, method, action) in CALLS {
            ctx.soft(
                &format!("{operation}/400/BAD_REQUEST"),
                received(vat, method, &bad, action),
            )
            .await?;
        }
    }
    let unknown = random_invitation_id(&mut ctx.fresh_rng("unknown"), 'C');
    for (operation, method, action) in CALLS {
        ctx.soft(
            &format!("{operation}/404/INVITATION_NOT_FOUND"),
            received(vat, method, &unknown, action),
        )
        .await?;
    }
    // An unknown identifier name, and an unknown status filter.
    for path in [
        received_path("NOPE", &vat.enrolment_id),
        format!("{}?status=Done", vat.received_path()),
    ] {
        ctx.soft(
            "list_received_invitations/400/BAD_REQUEST",
            backend("GET", path, Some(&vat.token)),
        )
        .await?;
    }
    ctx.soft(
        "get_received_invitation/400/BAD_REQUEST",
        backend(
            "GET",
            format!("{}/{to_accept}", received_path("NOPE", &vat.enrolment_id)),
            Some(&vat.token),
        ),
    )
    .await?;
    Ok(())
}

/// Accepted (twice: idempotent), listed, then ended by the client; neither can be done again.
async fn accept_then_end(
    ctx: &Ctx,
    agent: &Agent,
    vat: &ServiceClient,
    to_accept: &str,
) -> Result<()> {
    // A pending invitation has no relationship to end.
    ctx.soft(
        "end_client_relationship/403/NO_RELATIONSHIP",
        received(vat, "PUT", to_accept, "/deauthorise"),
    )
    .await?;
    ctx.expect(
        "accept_received_invitation/204",
        received(vat, "PUT", to_accept, "/accept"),
    )
    .await?;
    // Idempotent.
    ctx.expect(
        "accept_received_invitation/204",
        received(vat, "PUT", to_accept, "/accept"),
    )
    .await?;
    read_as(ctx, agent, to_accept, "Accepted", None).await?;
    ctx.soft(
        "reject_received_invitation/403/INVALID_INVITATION_STATUS",
        received(vat, "PUT", to_accept, "/reject"),
    )
    .await?;
    accepted_is_listed(ctx, vat).await?;
    end(ctx, agent, vat, to_accept).await
}

async fn accepted_is_listed(ctx: &Ctx, vat: &ServiceClient) -> Result<()> {
    let list = ctx
        .expect(
            "list_received_invitations/200",
            backend(
                "GET",
                format!("{}?status=Accepted", vat.received_path()),
                Some(&vat.token),
            ),
        )
        .await?;
    if listed(&list) != Some(1) {
        wrong(
            ctx,
            "list_received_invitations/200",
            &list,
            "the accepted invitation is not the one listed".into(),
        )?;
    }
    Ok(())
}

/// The client ends the relationship: Deauthorised by the Client, and nothing left to end or accept.
async fn end(ctx: &Ctx, agent: &Agent, vat: &ServiceClient, to_accept: &str) -> Result<()> {
    ctx.expect(
        "end_client_relationship/204",
        received(vat, "PUT", to_accept, "/deauthorise"),
    )
    .await?;
    let body = read_as(ctx, agent, to_accept, "Deauthorised", None).await?;
    ensure!(
        body["relationshipEndedBy"] == "Client",
        "an invitation the client ended reads relationshipEndedBy {}",
        body["relationshipEndedBy"]
    );
    ctx.soft(
        "end_client_relationship/403/NO_RELATIONSHIP",
        received(vat, "PUT", to_accept, "/deauthorise"),
    )
    .await?;
    ctx.soft(
        "accept_received_invitation/403/INVALID_INVITATION_STATUS",
        received(vat, "PUT", to_accept, "/accept"),
    )
    .await?;
    Ok(())
}

/// Rejected (twice: idempotent); it cannot be accepted after.
async fn reject(ctx: &Ctx, agent: &Agent, vat: &ServiceClient) -> Result<()> {
    let to_reject = created(ctx, agent, vat).await?;
    ctx.expect(
        "reject_received_invitation/204",
        received(vat, "PUT", &to_reject, "/reject"),
    )
    .await?;
    ctx.expect(
        "reject_received_invitation/204",
        received(vat, "PUT", &to_reject, "/reject"),
    )
    .await?;
    read_as(ctx, agent, &to_reject, "Rejected", None).await?;
    ctx.soft(
        "accept_received_invitation/403/INVALID_INVITATION_STATUS",
        received(vat, "PUT", &to_reject, "/accept"),
    )
    .await?;
    Ok(())
}

/// An invitation the agent cancelled can be neither rejected nor accepted.
async fn answer_cancelled(ctx: &Ctx, agent: &Agent, vat: &ServiceClient) -> Result<()> {
    let to_cancel = created(ctx, agent, vat).await?;
    ctx.expect("cancel_sent_invitation/204", cancel(agent, &to_cancel))
        .await?;
    ctx.soft(
        "reject_received_invitation/403/INVALID_INVITATION_STATUS",
        received(vat, "PUT", &to_cancel, "/reject"),
    )
    .await?;
    ctx.soft(
        "accept_received_invitation/403/INVALID_INVITATION_STATUS",
        received(vat, "PUT", &to_cancel, "/accept"),
    )
    .await?;
    Ok(())
}

/// The client's status follows its invitations and relationships.
pub async fn client_status(ctx: Ctx) -> Result<()> {
    let (agent, vat) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().service_client("HMRC-MTD-VAT")
    )?;
    let status = |expected: Value| {
        let ctx = ctx.clone();
        let token = vat.token.clone();
        async move {
            let entry = "client_status/200";
            let exchange = ctx
                .expect(
                    entry,
                    backend("GET", format!("{BACKEND}/status"), Some(&token)),
                )
                .await?;
            if exchange.json() != Some(expected.clone()) {
                wrong(&ctx, entry, &exchange, format!("expected {expected}"))?;
            }
            Ok::<_, anyhow::Error>(())
        }
    };
    status(json!({"hasPendingInvitations": false, "hasInvitationsHistory": false, "hasExistingRelationships": false})).await?;
    let id = created(&ctx, &agent, &vat).await?;
    status(json!({"hasPendingInvitations": true, "hasInvitationsHistory": false, "hasExistingRelationships": false})).await?;
    ctx.sandbox().accept(&id).await?;
    status(json!({"hasPendingInvitations": false, "hasInvitationsHistory": true, "hasExistingRelationships": true})).await?;
    Ok(())
}

/// HMRC staff on the client's calls: they list and read the client's invitations across agents and end a
/// relationship (ended by HMRC), but cannot answer for the client.
pub async fn hmrc_staff_on_the_clients_calls(ctx: Ctx) -> Result<()> {
    let (first, second, vat) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().agent(),
        ctx.sandbox().service_client("HMRC-MTD-VAT")
    )?;
    let staff = ctx.fixtures().hmrc_staff.clone();
    let accepted = created(&ctx, &first, &vat).await?;
    ctx.sandbox().accept(&accepted).await?;
    let pending = created(&ctx, &second, &vat).await?;
    let as_staff = |method: &str, id: &str, action: &str| {
        backend(
            method,
            format!("{}{action}", vat.received_invitation_path(id)),
            Some(&staff),
        )
    };
    let list = backend("GET", vat.received_path(), Some(&staff));
    let listed = ctx.expect("list_received_invitations/200", list).await?;
    let count = listed.json().unwrap_or_default()["_embedded"]["invitations"]
        .as_array()
        .map_or(0, Vec::len);
    ctx.rule("R-AUTH-STAFF", count == 2, || {
        format!("HMRC staff list {count} of the client's 2 invitations from 2 agents")
    })?;
    ctx.expect("get_received_invitation/200", as_staff("GET", &pending, ""))
        .await?;
    for (operation, action) in [
        ("accept_received_invitation", "/accept"),
        ("reject_received_invitation", "/reject"),
    ] {
        let entry = format!("{operation}/403/NO_PERMISSION_ON_CLIENT");
        ctx.expect(&entry, as_staff("PUT", &pending, action))
            .await?;
    }
    ctx.expect(
        "end_client_relationship/204",
        as_staff("PUT", &accepted, "/deauthorise"),
    )
    .await?;
    let body = read_as(&ctx, &first, &accepted, "Deauthorised", None).await?;
    let ended = body["relationshipEndedBy"].clone();
    ctx.rule("R-END-BY-HMRC", ended == "HMRC", || {
        format!("a relationship HMRC staff ended reads relationshipEndedBy {ended}")
    })?;
    read_as(&ctx, &second, &pending, "Pending", None).await?;
    Ok(())
}
