//! The callers of the backend operations the auth matrix does not reach (no `{arn}` in their path): the
//! known-facts checks, the client's invitation calls and its status, each × every caller without permission.

use anyhow::Result;

use super::support::*;
use crate::harness::*;
use crate::paths::*;
use crate::sandbox::{Agent, ServiceClient};

/// Every caller without permission, on the calls whose path names no agent.
pub async fn callers(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let (agent, vat, other) = tokio::try_join!(
        ctx.sandbox().agent(),
        ctx.sandbox().service_client("HMRC-MTD-VAT"),
        ctx.sandbox().service_client("HMRC-MTD-VAT")
    )?;
    let id = created(&ctx, &agent, &vat).await?;
    let expired_token = f.expired.token.clone();
    let unknown_token = "0".repeat(64);
    let tokens: Tokens<'_> = [
        (None, "401/UNAUTHORIZED"),
        (Some("not-a-token"), "401/UNAUTHORIZED"),
        (Some(&expired_token), "401/UNAUTHORIZED"),
        (Some(&unknown_token), "401/UNAUTHORIZED"),
    ];
    known_fact_callers(&ctx, &f, tokens).await?;
    client_callers(&ctx, tokens, &agent, &vat, &other, &id).await?;
    status_callers(&ctx, tokens, &agent).await?;
    // Nothing above may have answered the invitation.
    read_as(&ctx, &agent, &id, "Pending", None).await?;
    Ok(())
}

/// The tokens of callers who are no one, and the entry each gets.
type Tokens<'a> = [(Option<&'a str>, &'static str); 4];

/// The known-facts checks: no one, clients (an individual, an organisation), an agent without a subscription.
async fn known_fact_callers(ctx: &Ctx, f: &Fixtures, tokens: Tokens<'_>) -> Result<()> {
    let known_facts = [
        (
            "check_known_fact_postcode",
            postcode_path(&f.individual.nino, &f.individual.postcode),
        ),
        (
            "check_known_fact_date_of_birth",
            dob_path(&f.individual.nino, "1980-01-01"),
        ),
        (
            "check_known_fact_vat_registration_date",
            vat_date_path(&f.organisation.vrn, &f.organisation.vat_registration_date),
        ),
    ];
    for (operation, path) in &known_facts {
        for (token, entry) in tokens {
            ctx.soft(
                &format!("{operation}/{entry}"),
                backend("GET", path.clone(), token),
            )
            .await?;
        }
        for token in [&f.individual.token, &f.organisation.token] {
            ctx.soft(
                &format!("{operation}/403/NOT_AN_AGENT"),
                backend("GET", path.clone(), Some(token)),
            )
            .await?;
        }
        ctx.soft(
            &format!("{operation}/403/AGENT_NOT_SUBSCRIBED"),
            backend("GET", path.clone(), Some(&f.unsubscribed.token)),
        )
        .await?;
    }
    Ok(())
}

/// The client's calls on `vat`'s invitation `id`: no one; another client, an agent (even the inviting one), an
/// individual; and another client naming itself.
async fn client_callers(
    ctx: &Ctx,
    tokens: Tokens<'_>,
    agent: &Agent,
    vat: &ServiceClient,
    other: &ServiceClient,
    id: &str,
) -> Result<()> {
    let individual = &ctx.fixtures().individual;
    let client_calls = [
        ("list_received_invitations", "GET", vat.received_path()),
        (
            "get_received_invitation",
            "GET",
            vat.received_invitation_path(id),
        ),
        (
            "accept_received_invitation",
            "PUT",
            format!("{}/accept", vat.received_invitation_path(id)),
        ),
        (
            "reject_received_invitation",
            "PUT",
            format!("{}/reject", vat.received_invitation_path(id)),
        ),
        (
            "end_client_relationship",
            "PUT",
            format!("{}/deauthorise", vat.received_invitation_path(id)),
        ),
    ];
    for (operation, method, path) in &client_calls {
        for (token, entry) in tokens {
            ctx.soft(
                &format!("{operation}/{entry}"),
                backend(method, path.clone(), token),
            )
            .await?;
        }
        // Another client, an agent (even the inviting one), an individual.
        for token in [&other.token, &agent.token, &individual.token] {
            ctx.soft(
                &format!("{operation}/403/NO_PERMISSION_ON_CLIENT"),
                backend(method, path.clone(), Some(token)),
            )
            .await?;
        }
    }
    // Another client naming itself, and this client's invitation.
    for (operation, method, action) in [
        ("get_received_invitation", "GET", ""),
        ("accept_received_invitation", "PUT", "/accept"),
        ("reject_received_invitation", "PUT", "/reject"),
        ("end_client_relationship", "PUT", "/deauthorise"),
    ] {
        ctx.soft(
            &format!("{operation}/403/NO_PERMISSION_ON_CLIENT"),
            received(other, method, id, action),
        )
        .await?;
    }
    Ok(())
}

/// The client's status: no one, and callers who are not clients (an agent, one without a subscription).
async fn status_callers(ctx: &Ctx, tokens: Tokens<'_>, agent: &Agent) -> Result<()> {
    let unsubscribed = &ctx.fixtures().unsubscribed;
    let status = format!("{BACKEND}/status");
    for (token, entry) in tokens {
        ctx.soft(
            &format!("client_status/{entry}"),
            backend("GET", status.clone(), token),
        )
        .await?;
    }
    for token in [&agent.token, &unsubscribed.token] {
        ctx.soft(
            "client_status/403/NOT_A_CLIENT",
            backend("GET", status.clone(), Some(token)),
        )
        .await?;
    }
    Ok(())
}

/// The caller entries of the backend operations the auth matrix does not reach (no `{arn}` in the path).
pub fn covers() -> Vec<String> {
    let mut covers = Vec::new();
    for operation in [
        "check_known_fact_postcode",
        "check_known_fact_date_of_birth",
        "check_known_fact_vat_registration_date",
    ] {
        for entry in [
            "401/UNAUTHORIZED",
            "403/NOT_AN_AGENT",
            "403/AGENT_NOT_SUBSCRIBED",
        ] {
            covers.push(format!("{operation}/{entry}"));
        }
    }
    for operation in [
        "list_received_invitations",
        "get_received_invitation",
        "accept_received_invitation",
        "reject_received_invitation",
        "end_client_relationship",
    ] {
        for entry in ["401/UNAUTHORIZED", "403/NO_PERMISSION_ON_CLIENT"] {
            covers.push(format!("{operation}/{entry}"));
        }
    }
    covers.push("client_status/401/UNAUTHORIZED".into());
    covers.push("client_status/403/NOT_A_CLIENT".into());
    covers
}
