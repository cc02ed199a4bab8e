//! Scenarios of the Agent Authorisation API 1.0 (`openapi/agent-authorisation-v1.yaml`): create and read under
//! `/agencies/{arn}/invitations`. The Accept header and the callers are proved by `accept_header` and
//! `crate::auth_matrix` from the templates.

use anyhow::{Result, anyhow, bail, ensure};
use futures::future::join_all;
use serde_json::{Value, json};

use super::v2::bad_ids;
use crate::harness::*;
use crate::http::{Exchange, Request};
use crate::reference::{random_invitation_id, random_nino, random_vrn};
use crate::sandbox::{Agent, Individual, Organisation};

pub const V1_ACCEPT: &str = "application/vnd.hmrc.1.0+json";

pub fn v1(method: &str, path: impl Into<String>, token: Option<&str>) -> Request {
    let request = Request::new(method, path).header("Accept", V1_ACCEPT);
    match token {
        Some(token) => request.bearer(token),
        None => request,
    }
}

pub fn path(arn: &str) -> String {
    format!("/agencies/{arn}/invitations")
}

fn create(agent: &Agent, body: &Value) -> Request {
    v1("POST", path(&agent.arn), Some(&agent.token)).json(body)
}

fn get(agent: &Agent, id: &str) -> Request {
    v1(
        "GET",
        format!("{}/{id}", path(&agent.arn)),
        Some(&agent.token),
    )
}

pub fn itsa(client: &Individual) -> Value {
    json!({"service": "MTD-IT", "clientType": "personal", "clientIdType": "ni", "clientId": client.nino, "knownFact": client.postcode})
}

pub fn vat(client: &Organisation) -> Value {
    json!({"service": ["MTD-VAT"], "clientIdType": "vrn", "clientId": client.vrn, "knownFact": client.vat_registration_date})
}

/// The id a create's Location names, checked: `/agencies/{arn}/invitations/{id}`.
fn created(ctx: &Ctx, agent: &Agent, exchange: &Exchange) -> Result<String> {
    let id = location_id(exchange)?;
    let location = exchange.response.header("location").unwrap_or_default();
    if location != format!("{}/{id}", path(&agent.arn)) || !crate::reference::is_invitation_id(&id)
    {
        let message = format!(
            "create_invitation_v1/204: Location {location:?} is not /agencies/{}/invitations/<a valid id>",
            agent.arn
        );
        ctx.h.ledger.fail(
            "create_invitation_v1/204",
            &ctx.scenario,
            format!("{message}\n      repeat:   {}", exchange.curl()),
        );
        bail!(message);
    }
    Ok(id)
}

/// What a v1 request body must say beyond its schema.
fn check_read(
    ctx: &Ctx,
    exchange: &Exchange,
    agent: &Agent,
    id: &str,
    service: &str,
    status: &str,
) -> Result<()> {
    let body = exchange.json().unwrap_or_default();
    let mut problems = Vec::new();
    for (field, expected) in [
        ("invitationId", id),
        ("arn", agent.arn.as_str()),
        ("service", service),
        ("status", status),
    ] {
        if body[field].as_str() != Some(expected) {
            problems.push(format!("{field} is {}, expected {expected:?}", body[field]));
        }
    }
    if body["_links"]["self"]["href"].as_str() != Some(&format!("{}/{id}", path(&agent.arn))) {
        problems.push(format!(
            "_links.self.href is {}",
            body["_links"]["self"]["href"]
        ));
    }
    if (status == "Pending") != body.get("clientActionUrl").is_some() {
        problems.push(format!(
            "clientActionUrl {} on a {status} request",
            if body.get("clientActionUrl").is_some() {
                "present"
            } else {
                "absent"
            }
        ));
    }
    if problems.is_empty() {
        return Ok(());
    }
    let message = format!(
        "get_invitation_v1/200: the {status} request reads wrong: {}",
        problems.join("; ")
    );
    ctx.h.ledger.fail(
        "get_invitation_v1/200",
        &ctx.scenario,
        format!("{message}\n      repeat:   {}", exchange.curl()),
    );
    bail!(message)
}

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "v1: create and read",
            &["create_invitation_v1/204", "get_invitation_v1/200"],
            |ctx| async move {
                let (agent, client, organisation) = tokio::try_join!(
                    ctx.sandbox().agent(),
                    ctx.sandbox().itsa_client(),
                    ctx.sandbox().vat_client(false)
                )?;
                let exchange = ctx
                    .expect("create_invitation_v1/204", create(&agent, &itsa(&client)))
                    .await?;
                let id = created(&ctx, &agent, &exchange)?;
                let read = ctx
                    .expect("get_invitation_v1/200", get(&agent, &id))
                    .await?;
                check_read(&ctx, &read, &agent, &id, "MTD-IT", "Pending")?;
                let exchange = ctx
                    .expect(
                        "create_invitation_v1/204",
                        create(&agent, &vat(&organisation)),
                    )
                    .await?;
                let id = created(&ctx, &agent, &exchange)?;
                ctx.sandbox().accept(&id).await?;
                let read = ctx
                    .expect("get_invitation_v1/200", get(&agent, &id))
                    .await?;
                check_read(&ctx, &read, &agent, &id, "MTD-VAT", "Accepted")
            },
        ),
        Scenario::new(
            "v1: create with an invalid payload",
            &[
                "create_invitation_v1/400/SERVICE_NOT_SUPPORTED",
                "create_invitation_v1/400/CLIENT_TYPE_NOT_SUPPORTED",
                "create_invitation_v1/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "create_invitation_v1/400/CLIENT_ID_FORMAT_INVALID",
                "create_invitation_v1/400/POSTCODE_FORMAT_INVALID",
                "create_invitation_v1/400/VAT_REG_DATE_FORMAT_INVALID",
                "create_invitation_v1/400/BAD_REQUEST",
            ],
            |ctx| async move {
                let f = ctx.fixtures().clone();
                let itsa = itsa(&f.individual);
                let vat = vat(&f.organisation);
                let cases = [
                    (
                        "create_invitation_v1/400/SERVICE_NOT_SUPPORTED",
                        with(&itsa, "service", json!("PERSONAL-INCOME-RECORD")),
                    ),
                    (
                        "create_invitation_v1/400/CLIENT_TYPE_NOT_SUPPORTED",
                        with(&itsa, "clientType", json!("business")),
                    ),
                    (
                        "create_invitation_v1/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                        with(&vat, "clientIdType", json!("ni")),
                    ),
                    (
                        "create_invitation_v1/400/CLIENT_ID_FORMAT_INVALID",
                        with(&itsa, "clientId", json!("AB123456Z")),
                    ),
                    (
                        "create_invitation_v1/400/POSTCODE_FORMAT_INVALID",
                        with(&itsa, "knownFact", json!("AA1")),
                    ),
                    (
                        "create_invitation_v1/400/VAT_REG_DATE_FORMAT_INVALID",
                        with(&vat, "knownFact", json!("2007/05/18")),
                    ),
                    (
                        "create_invitation_v1/400/BAD_REQUEST",
                        without(&vat, "knownFact"),
                    ),
                ];
                for (entry, body) in cases {
                    ctx.soft(entry, create(&f.agent, &body)).await?;
                }
                Ok(())
            },
        ),
        Scenario::new(
            "v1: create for a client the records do not support",
            &[
                "create_invitation_v1/403/CLIENT_REGISTRATION_NOT_FOUND",
                "create_invitation_v1/403/POSTCODE_DOES_NOT_MATCH",
                "create_invitation_v1/403/VAT_REG_DATE_DOES_NOT_MATCH",
                "create_invitation_v1/403/VAT_CLIENT_INSOLVENT",
            ],
            |ctx| async move {
                let (agent, client, organisation, insolvent) = tokio::try_join!(
                    ctx.sandbox().agent(),
                    ctx.sandbox().itsa_client(),
                    ctx.sandbox().vat_client(false),
                    ctx.sandbox().vat_client(true)
                )?;
                let mut rng = ctx.rng("ids");
                let cases = [
                    (
                        "create_invitation_v1/403/CLIENT_REGISTRATION_NOT_FOUND",
                        with(&vat(&organisation), "clientId", json!(random_vrn(&mut rng))),
                    ),
                    (
                        "create_invitation_v1/403/CLIENT_REGISTRATION_NOT_FOUND",
                        with(&itsa(&client), "clientId", json!(random_nino(&mut rng))),
                    ),
                    (
                        "create_invitation_v1/403/POSTCODE_DOES_NOT_MATCH",
                        with(
                            &itsa(&client),
                            "knownFact",
                            json!(other_postcode(&client.postcode)),
                        ),
                    ),
                    (
                        "create_invitation_v1/403/VAT_REG_DATE_DOES_NOT_MATCH",
                        with(
                            &vat(&organisation),
                            "knownFact",
                            json!(day_after(&organisation.vat_registration_date)),
                        ),
                    ),
                    (
                        "create_invitation_v1/403/VAT_CLIENT_INSOLVENT",
                        vat(&insolvent),
                    ),
                ];
                for (entry, body) in cases {
                    ctx.soft(entry, create(&agent, &body)).await?;
                }
                Ok(())
            },
        ),
        Scenario::new(
            "v1: duplicates, authorised agents and identical requests at once",
            &[
                "create_invitation_v1/403/DUPLICATE_AUTHORISATION_REQUEST",
                "create_invitation_v1/403/ALREADY_AUTHORISED",
                "create_invitation_v1/403/ALREADY_BEING_PROCESSED",
            ],
            |ctx| async move {
                let (agent, client, organisation) = tokio::try_join!(
                    ctx.sandbox().agent(),
                    ctx.sandbox().itsa_client(),
                    ctx.sandbox().vat_client(false)
                )?;
                let first = ctx
                    .expect("create_invitation_v1/204", create(&agent, &itsa(&client)))
                    .await?;
                let id = created(&ctx, &agent, &first)?;
                let again = ctx
                    .expect(
                        "create_invitation_v1/403/DUPLICATE_AUTHORISATION_REQUEST",
                        create(&agent, &itsa(&client)),
                    )
                    .await?;
                let expected = format!("{}/{id}", path(&agent.arn));
                if again.response.header("location") != Some(expected.as_str()) {
                    let message = format!(
                        "create_invitation_v1/403/DUPLICATE_AUTHORISATION_REQUEST: the Location header must name the pending request {expected}, got {:?}",
                        again.response.header("location")
                    );
                    ctx.h.ledger.fail(
                        "create_invitation_v1/403/DUPLICATE_AUTHORISATION_REQUEST",
                        &ctx.scenario,
                        message.clone(),
                    );
                    bail!(message);
                }
                let accepted = ctx
                    .sandbox()
                    .create_invitation(&agent, &vat_body(&organisation))
                    .await?;
                ctx.sandbox().accept(&accepted).await?;
                ctx.expect(
                    "create_invitation_v1/403/ALREADY_AUTHORISED",
                    create(&agent, &vat(&organisation)),
                )
                .await?;
                for _round in 0..8 {
                    let (agent, client) =
                        tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
                    let body = itsa(&client);
                    let answers = join_all((0..24).map(|_| ctx.send(create(&agent, &body)))).await;
                    let (mut created, mut in_flight) = (0, false);
                    for answer in answers {
                        let exchange = answer?;
                        match (exchange.status(), exchange.code().as_deref()) {
                            (204, _) => created += 1,
                            (403, Some("ALREADY_BEING_PROCESSED")) => {
                                ctx.check(
                                    "create_invitation_v1/403/ALREADY_BEING_PROCESSED",
                                    &exchange,
                                )?;
                                in_flight = true;
                            }
                            (403, Some("DUPLICATE_AUTHORISATION_REQUEST")) => ctx.check(
                                "create_invitation_v1/403/DUPLICATE_AUTHORISATION_REQUEST",
                                &exchange,
                            )?,
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
                    if in_flight {
                        return Ok(());
                    }
                }
                Err(anyhow!(
                    "24 identical creates at once, 8 times over, never met one in flight (ALREADY_BEING_PROCESSED)"
                ))
            },
        ),
        Scenario::new(
            "v1: reading requests that are not there, not well formed, or not ours",
            &[
                "get_invitation_v1/400/BAD_REQUEST",
                "get_invitation_v1/404/INVITATION_NOT_FOUND",
                "get_invitation_v1/403/NO_PERMISSION_ON_AGENCY",
            ],
            |ctx| async move {
                let f = ctx.fixtures().clone();
                for id in bad_ids(&f.pending) {
                    ctx.soft("get_invitation_v1/400/BAD_REQUEST", get(&f.agent, &id))
                        .await?;
                }
                let mut rng = ctx.rng("ids");
                ctx.soft(
                    "get_invitation_v1/404/INVITATION_NOT_FOUND",
                    get(&f.agent, &random_invitation_id(&mut rng, 'A')),
                )
                .await?;
                ctx.soft(
                    "get_invitation_v1/403/NO_PERMISSION_ON_AGENCY",
                    get(&f.other_agent, &f.pending),
                )
                .await?;
                Ok(())
            },
        ),
    ]
}
