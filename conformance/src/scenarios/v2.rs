//! Scenarios of the Agent Authorisation API 2.0 (`openapi/agent-authorisation-v2.yaml`): each sets up its own
//! state through the sandbox and names the ledger entries it proves. The entries every operation shares (the
//! Accept header, the caller) are proved by `accept_header` and `crate::auth_matrix`.

use anyhow::{Result, anyhow, bail, ensure};
use futures::future::join_all;
use serde_json::{Value, json};

use super::views::check_invitation;
use crate::harness::*;
pub use crate::paths::{deauthorise_path, invitation_path, invitations_path, relationships_path};
use crate::reference::{random_invitation_id, random_nino, random_vrn};
use crate::sandbox::Agent;

pub fn create(agent: &Agent, body: &Value) -> crate::http::Request {
    v2("POST", invitations_path(&agent.arn), Some(&agent.token)).json(body)
}

pub fn get(agent: &Agent, id: &str) -> crate::http::Request {
    v2("GET", invitation_path(&agent.arn, id), Some(&agent.token))
}

pub fn cancel(agent: &Agent, id: &str) -> crate::http::Request {
    v2(
        "DELETE",
        invitation_path(&agent.arn, id),
        Some(&agent.token),
    )
}

pub fn list(agent: &Agent) -> crate::http::Request {
    v2("GET", invitations_path(&agent.arn), Some(&agent.token))
}

pub fn check(agent: &Agent, body: &Value) -> crate::http::Request {
    v2("POST", relationships_path(&agent.arn), Some(&agent.token)).json(body)
}

pub fn deauthorise(agent: &Agent, body: &Value) -> crate::http::Request {
    v2("PUT", deauthorise_path(&agent.arn), Some(&agent.token)).json(body)
}

/// Checks the Location of a create: `/agents/{arn}/invitations/{id}` with a well-formed id.
fn created_id(
    ctx: &Ctx,
    entry: &str,
    agent: &Agent,
    exchange: &crate::http::Exchange,
) -> Result<String> {
    let id = location_id(exchange)?;
    let location = exchange.response.header("location").unwrap_or_default();
    if location != invitation_path(&agent.arn, &id) || !crate::reference::is_invitation_id(&id) {
        let message = format!(
            "{entry}: Location {location:?} is not /agents/{}/invitations/<a valid invitation id>",
            agent.arn
        );
        ctx.h.ledger.fail(
            entry,
            &ctx.scenario,
            format!("{message}\n      repeat:   {}", exchange.curl()),
        );
        bail!(message);
    }
    Ok(id)
}

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "v2: create, read and list an MTD-IT request",
            &[
                "create_invitation/204",
                "get_invitation/200",
                "list_invitations/200",
            ],
            |ctx| async move {
                let (agent, client) =
                    tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
                let first = ctx
                    .expect(
                        "create_invitation/204",
                        create(&agent, &itsa_body(&client, None)),
                    )
                    .await?;
                let id = created_id(&ctx, "create_invitation/204", &agent, &first)?;
                let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
                check_invitation(
                    &ctx,
                    "get_invitation/200",
                    &read,
                    &agent,
                    &id,
                    "MTD-IT",
                    Some("main"),
                    "Pending",
                )?;
                let vat = ctx.sandbox().vat_client(false).await?;
                let second = ctx
                    .expect("create_invitation/204", create(&agent, &vat_body(&vat)))
                    .await?;
                let second_id = created_id(&ctx, "create_invitation/204", &agent, &second)?;
                let listed = ctx.expect("list_invitations/200", list(&agent)).await?;
                let ids: Vec<String> = listed
                    .json()
                    .and_then(|list| list.as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|i| i["invitationId"].as_str().map(str::to_owned))
                    .collect();
                if ids != [second_id.clone(), id.clone()] {
                    let message = format!(
                        "list_invitations/200: expected [{second_id}, {id}] (newest first), got {ids:?}"
                    );
                    ctx.h
                        .ledger
                        .fail("list_invitations/200", &ctx.scenario, message.clone());
                    bail!(message);
                }
                Ok(())
            },
        ),
        Scenario::new(
            "v2: supporting agents and VAT",
            &["create_invitation/204", "get_invitation/200"],
            |ctx| async move {
                let (agent, client, vat) = tokio::try_join!(
                    ctx.sandbox().agent(),
                    ctx.sandbox().itsa_client(),
                    ctx.sandbox().vat_client(false)
                )?;
                let exchange = ctx
                    .expect(
                        "create_invitation/204",
                        create(&agent, &itsa_body(&client, Some("supporting"))),
                    )
                    .await?;
                let id = created_id(&ctx, "create_invitation/204", &agent, &exchange)?;
                let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
                check_invitation(
                    &ctx,
                    "get_invitation/200",
                    &read,
                    &agent,
                    &id,
                    "MTD-IT",
                    Some("supporting"),
                    "Pending",
                )?;
                // The service as a plain string means the same.
                let body = with(&vat_body(&vat), "service", json!("MTD-VAT"));
                let exchange = ctx
                    .expect("create_invitation/204", create(&agent, &body))
                    .await?;
                let id = created_id(&ctx, "create_invitation/204", &agent, &exchange)?;
                let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
                check_invitation(
                    &ctx,
                    "get_invitation/200",
                    &read,
                    &agent,
                    &id,
                    "MTD-VAT",
                    None,
                    "Pending",
                )
            },
        ),
        Scenario::new(
            "v2: create with an invalid payload",
            &[
                "create_invitation/400/SERVICE_NOT_SUPPORTED",
                "create_invitation/400/AGENT_TYPE_NOT_SUPPORTED",
                "create_invitation/400/CLIENT_TYPE_NOT_SUPPORTED",
                "create_invitation/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "create_invitation/400/CLIENT_ID_FORMAT_INVALID",
                "create_invitation/400/POSTCODE_FORMAT_INVALID",
                "create_invitation/400/VAT_REG_DATE_FORMAT_INVALID",
                "create_invitation/400/BAD_REQUEST",
            ],
            |ctx| async move {
                let f = ctx.fixtures().clone();
                let itsa = itsa_body(&f.individual, None);
                let vat = vat_body(&f.organisation);
                let cases = [
                    (
                        "create_invitation/400/SERVICE_NOT_SUPPORTED",
                        with(&itsa, "service", json!(["MTD-CGT"])),
                    ),
                    (
                        "create_invitation/400/AGENT_TYPE_NOT_SUPPORTED",
                        with(&itsa, "agentType", json!("both")),
                    ),
                    (
                        "create_invitation/400/AGENT_TYPE_NOT_SUPPORTED",
                        with(&vat, "agentType", json!("main")),
                    ),
                    (
                        "create_invitation/400/CLIENT_TYPE_NOT_SUPPORTED",
                        with(&itsa, "clientType", json!("business")),
                    ),
                    (
                        "create_invitation/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                        with(&itsa, "clientIdType", json!("vrn")),
                    ),
                    (
                        "create_invitation/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                        with(&itsa, "clientId", json!(f.organisation.vrn)),
                    ),
                    (
                        "create_invitation/400/CLIENT_ID_FORMAT_INVALID",
                        with(&itsa, "clientId", json!("AB12345")),
                    ),
                    (
                        "create_invitation/400/CLIENT_ID_FORMAT_INVALID",
                        with(&vat, "clientId", json!("12345678")),
                    ),
                    (
                        "create_invitation/400/POSTCODE_FORMAT_INVALID",
                        with(&itsa, "knownFact", json!("NOT A POSTCODE")),
                    ),
                    (
                        "create_invitation/400/VAT_REG_DATE_FORMAT_INVALID",
                        with(&vat, "knownFact", json!("18/05/2007")),
                    ),
                    (
                        "create_invitation/400/BAD_REQUEST",
                        without(&itsa, "clientId"),
                    ),
                    (
                        "create_invitation/400/BAD_REQUEST",
                        with(&itsa, "service", json!(["MTD-IT", "MTD-VAT"])),
                    ),
                ];
                for (entry, body) in cases {
                    ctx.soft(entry, create(&f.agent, &body)).await?;
                }
                ctx.soft(
                    "create_invitation/400/BAD_REQUEST",
                    create(&f.agent, &json!({})).bytes(b"{not json".to_vec()),
                )
                .await?;
                Ok(())
            },
        ),
        Scenario::new(
            "v2: create for a client the records do not support",
            &[
                "create_invitation/403/CLIENT_REGISTRATION_NOT_FOUND",
                "create_invitation/403/POSTCODE_DOES_NOT_MATCH",
                "create_invitation/403/VAT_REG_DATE_DOES_NOT_MATCH",
                "create_invitation/403/VAT_CLIENT_INSOLVENT",
            ],
            |ctx| async move {
                let (agent, client, vat, insolvent) = tokio::try_join!(
                    ctx.sandbox().agent(),
                    ctx.sandbox().itsa_client(),
                    ctx.sandbox().vat_client(false),
                    ctx.sandbox().vat_client(true)
                )?;
                let mut rng = ctx.rng("ids");
                let unknown = with(
                    &itsa_body(&client, None),
                    "clientId",
                    json!(random_nino(&mut rng)),
                );
                ctx.soft(
                    "create_invitation/403/CLIENT_REGISTRATION_NOT_FOUND",
                    create(&agent, &unknown),
                )
                .await?;
                let unknown_vat = with(&vat_body(&vat), "clientId", json!(random_vrn(&mut rng)));
                ctx.soft(
                    "create_invitation/403/CLIENT_REGISTRATION_NOT_FOUND",
                    create(&agent, &unknown_vat),
                )
                .await?;
                let postcode = with(
                    &itsa_body(&client, None),
                    "knownFact",
                    json!(other_postcode(&client.postcode)),
                );
                ctx.soft(
                    "create_invitation/403/POSTCODE_DOES_NOT_MATCH",
                    create(&agent, &postcode),
                )
                .await?;
                let date = with(
                    &vat_body(&vat),
                    "knownFact",
                    json!(day_after(&vat.vat_registration_date)),
                );
                ctx.soft(
                    "create_invitation/403/VAT_REG_DATE_DOES_NOT_MATCH",
                    create(&agent, &date),
                )
                .await?;
                ctx.soft(
                    "create_invitation/403/VAT_CLIENT_INSOLVENT",
                    create(&agent, &vat_body(&insolvent)),
                )
                .await?;
                Ok(())
            },
        ),
        Scenario::new(
            "v2: a second request for the same client and service is a duplicate",
            &[
                "create_invitation/204",
                "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
            ],
            |ctx| async move {
                let (agent, client) =
                    tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
                let first = ctx
                    .expect(
                        "create_invitation/204",
                        create(&agent, &itsa_body(&client, None)),
                    )
                    .await?;
                let id = created_id(&ctx, "create_invitation/204", &agent, &first)?;
                // Main and supporting block each other, as does the same request again.
                for agent_type in [None, Some("main"), Some("supporting")] {
                    let again = ctx
                        .expect(
                            "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
                            create(&agent, &itsa_body(&client, agent_type)),
                        )
                        .await?;
                    let location = again.response.header("location");
                    if location != Some(invitation_path(&agent.arn, &id).as_str()) {
                        let message = format!(
                            "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST: the Location header must name the pending request {}, got {location:?}",
                            invitation_path(&agent.arn, &id)
                        );
                        ctx.h.ledger.fail(
                            "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
                            &ctx.scenario,
                            format!("{message}\n      repeat:   {}", again.curl()),
                        );
                        bail!(message);
                    }
                }
                Ok(())
            },
        ),
        Scenario::new(
            "v2: a request for an agent already authorised",
            &[
                "create_invitation/403/ALREADY_AUTHORISED",
                "check_relationship/204",
            ],
            |ctx| async move {
                let (agent, client) =
                    tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().vat_client(false))?;
                let id = ctx
                    .sandbox()
                    .create_invitation(&agent, &vat_body(&client))
                    .await?;
                ctx.sandbox().accept(&id).await?;
                ctx.expect(
                    "check_relationship/204",
                    check(&agent, &check_body(&vat_body(&client))),
                )
                .await?;
                ctx.expect(
                    "create_invitation/403/ALREADY_AUTHORISED",
                    create(&agent, &vat_body(&client)),
                )
                .await?;
                Ok(())
            },
        ),
        Scenario::new(
            "v2: identical requests at once",
            &["create_invitation/403/ALREADY_BEING_PROCESSED"],
            |ctx| async move {
                // The window is a transaction long: fire identical requests together until one meets another in flight.
                for _round in 0..8 {
                    let (agent, client) =
                        tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
                    let body = itsa_body(&client, None);
                    let answers = join_all((0..24).map(|_| ctx.send(create(&agent, &body)))).await;
                    let mut created = 0;
                    let mut in_flight = false;
                    for answer in answers {
                        let exchange = answer?;
                        match (exchange.status(), exchange.code().as_deref()) {
                            (204, _) => created += 1,
                            (403, Some("ALREADY_BEING_PROCESSED")) => {
                                ctx.check(
                                    "create_invitation/403/ALREADY_BEING_PROCESSED",
                                    &exchange,
                                )?;
                                in_flight = true;
                            }
                            (403, Some("DUPLICATE_AUTHORISATION_REQUEST")) => {
                                ctx.check(
                                    "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
                                    &exchange,
                                )?;
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
            "v2: an agent with no requests",
            &["list_invitations/204"],
            |ctx| async move {
                let agent = ctx.sandbox().agent().await?;
                ctx.expect("list_invitations/204", list(&agent)).await?;
                Ok(())
            },
        ),
        Scenario::new(
            "v2: reading requests that are not there, not well formed, or not ours",
            &[
                "get_invitation/400/BAD_REQUEST",
                "get_invitation/404/INVITATION_NOT_FOUND",
                "get_invitation/403/NO_PERMISSION_ON_AGENCY",
            ],
            |ctx| async move {
                let f = ctx.fixtures().clone();
                let mut rng = ctx.rng("ids");
                let malformed = bad_ids(&f.pending);
                for id in &malformed {
                    ctx.soft("get_invitation/400/BAD_REQUEST", get(&f.agent, id))
                        .await?;
                }
                ctx.soft(
                    "get_invitation/404/INVITATION_NOT_FOUND",
                    get(&f.agent, &random_invitation_id(&mut rng, 'A')),
                )
                .await?;
                // Another agency's request: refused, and nothing of it shown.
                let other = f.other_agent.clone();
                ctx.soft(
                    "get_invitation/403/NO_PERMISSION_ON_AGENCY",
                    get(&other, &f.pending),
                )
                .await?;
                Ok(())
            },
        ),
        Scenario::new(
            "v2: cancelling",
            &[
                "cancel_invitation/204",
                "cancel_invitation/403/INVALID_INVITATION_STATUS",
                "cancel_invitation/400/BAD_REQUEST",
                "cancel_invitation/404/INVITATION_NOT_FOUND",
                "cancel_invitation/403/NO_PERMISSION_ON_AGENCY",
            ],
            |ctx| async move {
                let (agent, client) =
                    tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
                let id = ctx
                    .sandbox()
                    .create_invitation(&agent, &itsa_body(&client, None))
                    .await?;
                // Another agency cannot cancel it, nor learn its status.
                ctx.soft(
                    "cancel_invitation/403/NO_PERMISSION_ON_AGENCY",
                    cancel(&ctx.fixtures().other_agent, &id),
                )
                .await?;
                ctx.expect("cancel_invitation/204", cancel(&agent, &id))
                    .await?;
                let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
                check_invitation(
                    &ctx,
                    "get_invitation/200",
                    &read,
                    &agent,
                    &id,
                    "MTD-IT",
                    Some("main"),
                    "Cancelled",
                )?;
                ctx.soft(
                    "cancel_invitation/403/INVALID_INVITATION_STATUS",
                    cancel(&agent, &id),
                )
                .await?;
                for bad in bad_ids(&id) {
                    ctx.soft("cancel_invitation/400/BAD_REQUEST", cancel(&agent, &bad))
                        .await?;
                }
                let mut rng = ctx.rng("ids");
                ctx.soft(
                    "cancel_invitation/404/INVITATION_NOT_FOUND",
                    cancel(&agent, &random_invitation_id(&mut rng, 'C')),
                )
                .await?;
                Ok(())
            },
        ),
        Scenario::new(
            "v2: checking relationships",
            &[
                "check_relationship/204",
                "check_relationship/404/RELATIONSHIP_NOT_FOUND",
            ],
            |ctx| async move {
                let (agent, client, alt) = tokio::try_join!(
                    ctx.sandbox().agent(),
                    ctx.sandbox().itsa_client(),
                    ctx.sandbox().alt_itsa_client()
                )?;
                let body = itsa_body(&client, None);
                ctx.expect(
                    "check_relationship/404/RELATIONSHIP_NOT_FOUND",
                    check(&agent, &check_body(&body)),
                )
                .await?;
                let id = ctx.sandbox().create_invitation(&agent, &body).await?;
                ctx.expect(
                    "check_relationship/404/RELATIONSHIP_NOT_FOUND",
                    check(&agent, &check_body(&body)),
                )
                .await?;
                ctx.sandbox().accept(&id).await?;
                ctx.expect("check_relationship/204", check(&agent, &check_body(&body)))
                    .await?;
                // A supporting check is a different relationship.
                ctx.expect(
                    "check_relationship/404/RELATIONSHIP_NOT_FOUND",
                    check(&agent, &check_body(&itsa_body(&client, Some("supporting")))),
                )
                .await?;
                // A partial authorisation (a client not signed up to MTD) counts.
                let alt_body = itsa_body(&alt, None);
                let id = ctx.sandbox().create_invitation(&agent, &alt_body).await?;
                ctx.sandbox().accept(&id).await?;
                let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
                check_invitation(
                    &ctx,
                    "get_invitation/200",
                    &read,
                    &agent,
                    &id,
                    "MTD-IT",
                    Some("main"),
                    "Partialauth",
                )?;
                ctx.expect(
                    "check_relationship/204",
                    check(&agent, &check_body(&alt_body)),
                )
                .await?;
                Ok(())
            },
        ),
        Scenario::new(
            "v2: check with an invalid payload",
            &[
                "check_relationship/400/SERVICE_NOT_SUPPORTED",
                "check_relationship/400/AGENT_TYPE_NOT_SUPPORTED",
                "check_relationship/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "check_relationship/400/CLIENT_ID_FORMAT_INVALID",
                "check_relationship/400/POSTCODE_FORMAT_INVALID",
                "check_relationship/400/VAT_REG_DATE_FORMAT_INVALID",
                "check_relationship/400/BAD_REQUEST",
            ],
            |ctx| async move {
                let f = ctx.fixtures().clone();
                let itsa = check_body(&itsa_body(&f.individual, None));
                let vat = check_body(&vat_body(&f.organisation));
                let cases = [
                    (
                        "check_relationship/400/SERVICE_NOT_SUPPORTED",
                        with(&itsa, "service", json!("PERSONAL-INCOME-RECORD")),
                    ),
                    (
                        "check_relationship/400/AGENT_TYPE_NOT_SUPPORTED",
                        with(&itsa, "agentType", json!("secondary")),
                    ),
                    (
                        "check_relationship/400/AGENT_TYPE_NOT_SUPPORTED",
                        with(&vat, "agentType", json!("supporting")),
                    ),
                    (
                        "check_relationship/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                        with(&vat, "clientIdType", json!("ni")),
                    ),
                    (
                        "check_relationship/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                        with(&vat, "clientId", json!(f.individual.nino)),
                    ),
                    (
                        "check_relationship/400/CLIENT_ID_FORMAT_INVALID",
                        with(&itsa, "clientId", json!("AB123456E")),
                    ),
                    (
                        "check_relationship/400/POSTCODE_FORMAT_INVALID",
                        with(&itsa, "knownFact", json!("12345")),
                    ),
                    (
                        "check_relationship/400/VAT_REG_DATE_FORMAT_INVALID",
                        with(&vat, "knownFact", json!("2007-13-45")),
                    ),
                    (
                        "check_relationship/400/BAD_REQUEST",
                        without(&itsa, "knownFact"),
                    ),
                    (
                        "check_relationship/400/BAD_REQUEST",
                        with(&itsa, "clientId", json!(42)),
                    ),
                ];
                for (entry, body) in cases {
                    ctx.soft(entry, check(&f.agent, &body)).await?;
                }
                Ok(())
            },
        ),
        Scenario::new(
            "v2: check for a client the records do not support",
            &[
                "check_relationship/403/CLIENT_REGISTRATION_NOT_FOUND",
                "check_relationship/403/POSTCODE_DOES_NOT_MATCH",
                "check_relationship/403/VAT_REG_DATE_DOES_NOT_MATCH",
                "check_relationship/403/VAT_CLIENT_INSOLVENT",
            ],
            |ctx| async move {
                let f = ctx.fixtures().clone();
                let insolvent = ctx.sandbox().vat_client(true).await?;
                let mut rng = ctx.rng("ids");
                let itsa = check_body(&itsa_body(&f.individual, None));
                let vat = check_body(&vat_body(&f.organisation));
                let cases = [
                    (
                        "check_relationship/403/CLIENT_REGISTRATION_NOT_FOUND",
                        with(&itsa, "clientId", json!(random_nino(&mut rng))),
                    ),
                    (
                        "check_relationship/403/POSTCODE_DOES_NOT_MATCH",
                        with(
                            &itsa,
                            "knownFact",
                            json!(other_postcode(&f.individual.postcode)),
                        ),
                    ),
                    (
                        "check_relationship/403/VAT_REG_DATE_DOES_NOT_MATCH",
                        with(
                            &vat,
                            "knownFact",
                            json!(day_after(&f.organisation.vat_registration_date)),
                        ),
                    ),
                    (
                        "check_relationship/403/VAT_CLIENT_INSOLVENT",
                        check_body(&vat_body(&insolvent)),
                    ),
                ];
                for (entry, body) in cases {
                    ctx.soft(entry, check(&f.agent, &body)).await?;
                }
                Ok(())
            },
        ),
        Scenario::new(
            "v2: deauthorising",
            &[
                "deauthorise_client/204",
                "deauthorise_client/403/NO_RELATIONSHIP",
            ],
            |ctx| async move {
                let (agent, client) =
                    tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
                let body = itsa_body(&client, None);
                ctx.expect(
                    "deauthorise_client/403/NO_RELATIONSHIP",
                    deauthorise(&agent, &deauth_body(&body)),
                )
                .await?;
                let id = ctx.sandbox().create_invitation(&agent, &body).await?;
                ctx.sandbox().accept(&id).await?;
                ctx.expect(
                    "deauthorise_client/204",
                    deauthorise(&agent, &deauth_body(&body)),
                )
                .await?;
                let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
                check_invitation(
                    &ctx,
                    "get_invitation/200",
                    &read,
                    &agent,
                    &id,
                    "MTD-IT",
                    Some("main"),
                    "Deauthorised",
                )?;
                ctx.expect(
                    "check_relationship/404/RELATIONSHIP_NOT_FOUND",
                    check(&agent, &check_body(&body)),
                )
                .await?;
                ctx.expect(
                    "deauthorise_client/403/NO_RELATIONSHIP",
                    deauthorise(&agent, &deauth_body(&body)),
                )
                .await?;
                Ok(())
            },
        ),
        Scenario::new(
            "v2: deauthorise with an invalid payload",
            &[
                "deauthorise_client/400/SERVICE_NOT_SUPPORTED",
                "deauthorise_client/400/AGENT_TYPE_NOT_SUPPORTED",
                "deauthorise_client/400/CLIENT_TYPE_NOT_SUPPORTED",
                "deauthorise_client/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "deauthorise_client/400/CLIENT_ID_FORMAT_INVALID",
                "deauthorise_client/400/BAD_REQUEST",
            ],
            |ctx| async move {
                let f = ctx.fixtures().clone();
                let itsa = deauth_body(&itsa_body(&f.individual, None));
                let vat = deauth_body(&vat_body(&f.organisation));
                let cases = [
                    (
                        "deauthorise_client/400/SERVICE_NOT_SUPPORTED",
                        with(&vat, "service", json!(["VAT"])),
                    ),
                    (
                        "deauthorise_client/400/AGENT_TYPE_NOT_SUPPORTED",
                        with(&itsa, "agentType", json!("Main")),
                    ),
                    (
                        "deauthorise_client/400/CLIENT_TYPE_NOT_SUPPORTED",
                        with(&itsa, "clientType", json!("trust")),
                    ),
                    (
                        "deauthorise_client/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                        with(&itsa, "clientIdType", json!("utr")),
                    ),
                    (
                        "deauthorise_client/400/CLIENT_ID_FORMAT_INVALID",
                        with(&vat, "clientId", json!("GB123456789")),
                    ),
                    (
                        "deauthorise_client/400/BAD_REQUEST",
                        without(&vat, "clientType"),
                    ),
                ];
                for (entry, body) in cases {
                    ctx.soft(entry, deauthorise(&f.agent, &body)).await?;
                }
                ctx.soft(
                    "deauthorise_client/400/BAD_REQUEST",
                    deauthorise(&f.agent, &json!({})).bytes(b"[1,2".to_vec()),
                )
                .await?;
                Ok(())
            },
        ),
    ]
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
