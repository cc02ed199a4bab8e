//! The auth matrix: every operation the contracts secure (`security`) × {no token, malformed tokens, an unknown token, an expired
//! token, an agent of another ARN, an agent without an agent services account, a client (individual and
//! organisation), another agency's request} gets the documented 401/403 with the documented body, and never
//! anyone's data or a change to it.

use anyhow::Result;

use std::collections::BTreeSet;

use crate::harness::*;
use crate::ledger::Ledger;
use crate::scenarios::templates::Template;

/// Who calls, and what they must get.
#[derive(Clone, Copy)]
enum Caller {
    NoToken,
    Malformed(&'static str),
    UnknownToken,
    ExpiredToken,
    OtherAgency,
    Unsubscribed,
    Individual,
    Organisation,
    /// Another agent, at its own ARN, naming the first agent's request.
    OtherAgencysRequest,
}

const ROWS: [(Caller, &str); 11] = [
    (Caller::NoToken, "401/UNAUTHORIZED"),
    (Caller::Malformed("Bearer"), "401/UNAUTHORIZED"),
    (Caller::Malformed("Basic dXNlcjpwYXNz"), "401/UNAUTHORIZED"),
    (
        Caller::Malformed("Bearer not a token at all"),
        "401/UNAUTHORIZED",
    ),
    (Caller::UnknownToken, "401/UNAUTHORIZED"),
    (Caller::ExpiredToken, "401/UNAUTHORIZED"),
    (Caller::OtherAgency, "403/NO_PERMISSION_ON_AGENCY"),
    (Caller::Unsubscribed, "403/AGENT_NOT_SUBSCRIBED"),
    (Caller::Individual, "403/NOT_AN_AGENT"),
    (Caller::Organisation, "403/NOT_AN_AGENT"),
    (Caller::OtherAgencysRequest, "403/NO_PERMISSION_ON_AGENCY"),
];

/// The rules every operation's matrix proves.
const RULES: [&str; 4] = [
    "R-AUTH-TOKEN",
    "R-AUTH-AGENT",
    "R-AUTH-OWN-ARN",
    "R-ERROR-NO-CHANGE",
];

/// One scenario per operation the contracts secure (`security`) and the harness can call (it has a request
/// template): each caller of the matrix whose answer the operation documents.
pub fn scenarios(
    templates: &[Template],
    secured: &BTreeSet<String>,
    ledger: &Ledger,
) -> Vec<Scenario> {
    templates
        .iter()
        .filter(|template| secured.contains(template.operation))
        .map(|template| {
            let template = *template;
            let operation = template.operation;
            let rows: Vec<(Caller, &'static str)> = ROWS
                .into_iter()
                .filter(|(_, entry)| ledger.entry(&format!("{operation}/{entry}")).is_some())
                .collect();
            let mut covers: Vec<String> = rows
                .iter()
                .map(|(_, entry)| format!("{operation}/{entry}"))
                .collect();
            covers.sort();
            covers.dedup();
            covers.extend(RULES.iter().map(|rule| format!("rule/{rule}")));
            Scenario::with_covers(format!("auth matrix: {operation}"), covers, move |ctx| {
                let rows = rows.clone();
                async move { run(&ctx, template, &rows).await }
            })
        })
        .collect()
}

async fn run(ctx: &Ctx, template: Template, rows: &[(Caller, &str)]) -> Result<()> {
    let f = ctx.fixtures().clone();
    let operation = template.operation;
    for &(caller, entry) in rows {
        let Some((arn, id, authorization)) = call(caller, &f, template.names_invitation) else {
            continue;
        };
        let request = (template.build)(&f, &arn, &id).set_header("Authorization", authorization);
        ctx.soft(&format!("{operation}/{entry}"), request).await?;
    }
    // Nothing above may have touched the first agent's request.
    let status = ctx
        .sandbox()
        .invitation_status(&f.agent, &f.pending)
        .await?;
    ctx.rule("R-ERROR-NO-CHANGE", status == "Pending", || {
        format!(
            "{operation} by callers without permission changed another agent's request {} to {status}",
            f.pending
        )
    })
}

/// The ARN and invitation id a caller names, and its Authorization header; `None` for another agency's request
/// when the operation names no invitation.
fn call(
    caller: Caller,
    f: &Fixtures,
    names_invitation: bool,
) -> Option<(String, String, Option<String>)> {
    Some(match caller {
        Caller::NoToken => (f.agent.arn.clone(), f.pending.clone(), None),
        Caller::Malformed(header) => (
            f.agent.arn.clone(),
            f.pending.clone(),
            Some(header.to_owned()),
        ),
        Caller::UnknownToken => (
            f.agent.arn.clone(),
            f.pending.clone(),
            Some(format!("Bearer {}", "0".repeat(64))),
        ),
        Caller::ExpiredToken => (
            f.expired.arn.clone(),
            f.pending.clone(),
            Some(format!("Bearer {}", f.expired.token)),
        ),
        Caller::OtherAgency => (
            f.agent.arn.clone(),
            f.pending.clone(),
            Some(format!("Bearer {}", f.other_agent.token)),
        ),
        Caller::Unsubscribed => (
            f.agent.arn.clone(),
            f.pending.clone(),
            Some(format!("Bearer {}", f.unsubscribed.token)),
        ),
        Caller::Individual => (
            f.agent.arn.clone(),
            f.pending.clone(),
            Some(format!("Bearer {}", f.individual.token)),
        ),
        Caller::Organisation => (
            f.agent.arn.clone(),
            f.pending.clone(),
            Some(format!("Bearer {}", f.organisation.token)),
        ),
        Caller::OtherAgencysRequest => {
            if !names_invitation {
                return None;
            }
            (
                f.other_agent.arn.clone(),
                f.pending.clone(),
                Some(format!("Bearer {}", f.other_agent.token)),
            )
        }
    })
}
