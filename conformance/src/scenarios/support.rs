//! What the scenarios of every contract share: test-support requests, ids that are not well formed, and
//! identical creates at once (held by the sandbox, so that they meet in flight every time).

use std::future::Future;

use anyhow::{Result, bail};
use futures::future::join_all;

use crate::harness::Ctx;
use crate::http::Request;

/// A test-support request about an invitation (`suffix`: "", "/expire" or "/created"), with a bearer token if
/// given.
pub fn test_support(method: &str, id: &str, suffix: &str, token: Option<&str>) -> Request {
    let request = Request::new(
        method,
        format!("/agent-authorisation-test-support/invitations/{id}{suffix}"),
    );
    match token {
        Some(token) => request.bearer(token),
        None => request,
    }
}

/// Ids that are not well formed: wrong length, a wrong check character, lower case, characters outside the alphabet.
pub fn bad_ids(good: &str) -> Vec<String> {
    let (head, last) = good.split_at(good.len() - 1);
    let wrong_check = format!("{head}{}", if last == "A" { "B" } else { "A" });
    vec![
        wrong_check,
        good[..12].to_owned(),
        format!("{good}A"),
        good.to_lowercase(),
        format!("{}0I", &good[..11]),
    ]
}

/// The answers identical creates at once may get: one success (`created`, checked against `created_entry` when
/// given), and the others in flight or duplicates, each checked against its entry.
pub struct IdenticalCreates<'a> {
    pub created: u16,
    pub created_entry: Option<&'a str>,
    pub in_flight: &'a str,
    pub duplicate: &'a str,
}

/// How long each of a pair of identical creates holds its lock (the sandbox's `Gov-Test-Hold-Ms`).
const HOLD_MS: &str = "1000";

/// Identical creates at once, each with the fresh request `round` sets up: a pair held inside the critical
/// section, which must meet in flight (one created, one ALREADY_BEING_PROCESSED) every time; then eight sent
/// together unheld, of which exactly one is created and the others are in flight or duplicates.
pub async fn race_identical_creates<F, Fut>(
    ctx: &Ctx,
    answers: &IdenticalCreates<'_>,
    round: F,
) -> Result<()>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Request>>,
{
    let held = round().await?.header("Gov-Test-Hold-Ms", HOLD_MS);
    let (created, in_flight) = one_round(ctx, answers, &held, 2).await?;
    if in_flight == 0 {
        let problem = format!(
            "two identical creates, each held {HOLD_MS} ms inside its critical section, never met in flight ({created} created)\n      repeat:   {}",
            crate::http::curl(&ctx.h.http.base_url, &held)
        );
        ctx.fail(answers.in_flight, problem.clone());
        bail!("{}: {problem}", answers.in_flight);
    }
    one_round(ctx, answers, &round().await?, 8).await?;
    Ok(())
}

/// `count` identical creates at once: exactly one must be created. Answers how many were created and how many
/// met another in flight.
async fn one_round(
    ctx: &Ctx,
    answers: &IdenticalCreates<'_>,
    request: &Request,
    count: usize,
) -> Result<(usize, usize)> {
    let exchanges = join_all((0..count).map(|_| ctx.send(request.clone()))).await;
    let (mut created, mut in_flight) = (0, 0);
    for exchange in exchanges {
        let exchange = exchange?;
        match (exchange.status(), exchange.code().as_deref()) {
            (status, _) if status == answers.created => {
                if let Some(entry) = answers.created_entry {
                    ctx.check(entry, &exchange)?;
                }
                created += 1
            }
            (403, Some("ALREADY_BEING_PROCESSED")) => {
                ctx.check(answers.in_flight, &exchange)?;
                in_flight += 1;
            }
            (403, Some("DUPLICATE_AUTHORISATION_REQUEST")) => {
                ctx.check(answers.duplicate, &exchange)?;
            }
            _ => bail!(
                "identical creates at once: unexpected {}\n      repeat: {}",
                exchange.summary(),
                exchange.curl()
            ),
        }
    }
    ctx.rule("R-CREATE-IN-FLIGHT", created == 1, || {
        format!("{count} identical creates at once: {created} succeeded, exactly one must")
    })?;
    Ok((created, in_flight))
}
