//! What the scenarios of every contract share: ids that are not well formed, and a race of identical creates
//! (the window of ALREADY_BEING_PROCESSED).

use std::future::Future;

use anyhow::{Result, anyhow, bail, ensure};
use futures::future::join_all;

use crate::harness::Ctx;
use crate::http::Request;

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

/// Fires 24 identical creates together, up to 8 rounds (each with the fresh request `round` sets up), until one
/// meets another in flight: the window is a transaction long.
pub async fn race_identical_creates<F, Fut>(
    ctx: &Ctx,
    answers: &IdenticalCreates<'_>,
    round: F,
) -> Result<()>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Request>>,
{
    for _round in 0..8 {
        let request = round().await?;
        if one_round(ctx, answers, &request).await? {
            return Ok(());
        }
    }
    Err(anyhow!(
        "24 identical creates at once, 8 times over, never met one in flight (ALREADY_BEING_PROCESSED)"
    ))
}

/// One round of identical creates: whether one met another in flight.
async fn one_round(ctx: &Ctx, answers: &IdenticalCreates<'_>, request: &Request) -> Result<bool> {
    let exchanges = join_all((0..24).map(|_| ctx.send(request.clone()))).await;
    let mut created = 0;
    let mut in_flight = false;
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
                in_flight = true;
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
    ensure!(
        created == 1,
        "identical creates at once: {created} succeeded, exactly one must"
    );
    Ok(in_flight)
}
