//! Scenarios of the Agent ServiceClient Authorisation API (`openapi/agent-client-authorisation.yaml`), the backend of the
//! agent and client front ends, under `/agent-client-authorisation`. It needs no Accept header. The callers of the
//! agent operations with an `{arn}` are proved by `crate::auth_matrix` from the templates; those of the known-facts,
//! client and status calls here. Every scenario sets up its own clients (of every service) through the sandbox.

use anyhow::{Result, anyhow, bail, ensure};
use futures::future::join_all;
use serde_json::{Value, json};

use super::v2::bad_ids;
use crate::harness::*;
use crate::http::{Exchange, Request};
use crate::paths::*;
use crate::reference::{random_invitation_id, random_nino, random_vrn};
use crate::sandbox::{Agent, ServiceClient};

/// A backend request: no Accept header, and a bearer token if given.
pub fn backend(method: &str, path: impl Into<String>, token: Option<&str>) -> Request {
    let request = Request::new(method, path);
    match token {
        Some(token) => request.bearer(token),
        None => request,
    }
}

/// Every internal service id.
pub const SERVICES: [&str; 8] = [
    "HMRC-MTD-IT",
    "HMRC-MTD-IT-SUPP",
    "HMRC-MTD-VAT",
    "PERSONAL-INCOME-RECORD",
    "HMRC-CGT-PD",
    "HMRC-TERS-ORG",
    "HMRC-TERSNT-ORG",
    "HMRC-PPT-ORG",
];

/// A client's own request about one of its received invitations (`action`: "", "/accept", "/reject").
fn received(client: &ServiceClient, method: &str, id: &str, action: &str) -> Request {
    backend(
        method,
        format!("{}{action}", client.received_invitation_path(id)),
        Some(&client.token),
    )
}

fn create(agent: &Agent, body: &Value) -> Request {
    backend("POST", sent_path(&agent.arn), Some(&agent.token)).json(body)
}

fn get(agent: &Agent, id: &str) -> Request {
    backend(
        "GET",
        sent_invitation_path(&agent.arn, id),
        Some(&agent.token),
    )
}

fn cancel(agent: &Agent, id: &str) -> Request {
    backend("PUT", cancel_path(&agent.arn, id), Some(&agent.token))
}

fn list(agent: &Agent, query: &str) -> Request {
    backend(
        "GET",
        format!("{}{query}", sent_path(&agent.arn)),
        Some(&agent.token),
    )
}

/// A list query that filters nothing out, for checks whose subject is not the list itself.
const ALL: &str = "?createdOnOrAfter=2000-01-01";

/// Records a failure of `entry` beyond its schema, and stops the scenario.
fn wrong(ctx: &Ctx, entry: &str, exchange: &Exchange, message: String) -> Result<()> {
    ctx.h.ledger.fail(
        entry,
        &ctx.scenario,
        format!("{message}\n      repeat:   {}", exchange.curl()),
    );
    bail!("{entry}: {message}")
}

/// Creates an invitation as `agent` (checked against `create_sent_invitation/201`, its Location naming it) and
/// answers its id.
async fn created(ctx: &Ctx, agent: &Agent, client: &ServiceClient) -> Result<String> {
    let entry = "create_sent_invitation/201";
    let exchange = ctx
        .expect(entry, create(agent, &client.create_body()))
        .await?;
    let body = exchange.json().unwrap_or_default();
    let id = body["invitationId"].as_str().unwrap_or_default().to_owned();
    let location = exchange.response.header("location").unwrap_or_default();
    if location != sent_invitation_path(&agent.arn, &id)
        || !crate::reference::is_invitation_id(&id)
        || body["status"] != "Pending"
        || body["service"] != client.service
    {
        wrong(
            ctx,
            entry,
            &exchange,
            format!(
                "expected a Pending {} invitation named by its Location, got Location {location:?} and {body}",
                client.service
            ),
        )?;
    }
    Ok(id)
}

/// Checks that a read of one of the agent's invitations says `status` (and, if given, the service and client id).
async fn read_as(
    ctx: &Ctx,
    agent: &Agent,
    id: &str,
    status: &str,
    client: Option<(&str, &str)>,
) -> Result<Value> {
    let entry = "get_sent_invitation/200";
    let exchange = ctx.expect(entry, get(agent, id)).await?;
    let body = exchange.json().unwrap_or_default();
    let mut problems = Vec::new();
    if body["invitationId"] != id {
        problems.push(format!("invitationId is {}", body["invitationId"]));
    }
    if body["status"] != status {
        problems.push(format!("status is {}, expected {status}", body["status"]));
    }
    if let Some((service, client_id)) = client {
        if body["service"] != service {
            problems.push(format!(
                "service is {}, expected {service}",
                body["service"]
            ));
        }
        if body["clientId"] != client_id {
            problems.push(format!(
                "clientId is {}, expected {client_id}",
                body["clientId"]
            ));
        }
    }
    if !problems.is_empty() {
        wrong(ctx, entry, &exchange, problems.join("; "))?;
    }
    Ok(body)
}

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "backend: create and read for every service",
            &["create_sent_invitation/201", "get_sent_invitation/200"],
            |ctx| async move {
                let agent = ctx.sandbox().agent().await?;
                let clients = futures::future::try_join_all(
                    SERVICES.iter().map(|s| ctx.sandbox().service_client(s)),
                )
                .await?;
                for client in &clients {
                    let id = created(&ctx, &agent, client).await?;
                    read_as(&ctx, &agent, &id, "Pending", None).await?;
                }
                Ok(())
            },
        ),
        Scenario::new(
            "backend: read and cancel by id",
            &[
                "get_sent_invitation/400/BAD_REQUEST",
                "get_sent_invitation/404/INVITATION_NOT_FOUND",
                "cancel_sent_invitation/204",
                "cancel_sent_invitation/400/BAD_REQUEST",
                "cancel_sent_invitation/403/INVALID_INVITATION_STATUS",
                "cancel_sent_invitation/404/INVITATION_NOT_FOUND",
            ],
            |ctx| async move {
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
                let unknown = random_invitation_id(&mut ctx.rng("unknown"), 'C');
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
            },
        ),
        Scenario::new(
            "backend: list the agent's invitations",
            &[
                "list_sent_invitations/200",
                "list_sent_invitations/400/BAD_REQUEST",
            ],
            |ctx| async move {
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
                let ids = |exchange: &Exchange| -> Vec<String> {
                    exchange
                        .json()
                        .and_then(|b| b.as_array().cloned())
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|i| i["invitationId"].as_str().map(str::to_owned))
                        .collect()
                };
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
                    let mut got = ids(&exchange);
                    let mut expected = expected;
                    if same_moment {
                        // Created in the same millisecond: either order is newest first.
                        got.sort();
                        expected.sort();
                    }
                    if got != expected {
                        let message = format!(
                            "the list {query:?} names {got:?}, expected {expected:?} (newest first)"
                        );
                        ctx.h.ledger.fail(
                            entry,
                            &ctx.scenario,
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
            },
        ),
        Scenario::new(
            "backend: create with an invalid payload",
            &[
                "create_sent_invitation/400/BAD_REQUEST",
                "create_sent_invitation/400/CLIENT_TYPE_NOT_SUPPORTED",
                "create_sent_invitation/400/CLIENT_ID_FORMAT_INVALID",
                "create_sent_invitation/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "create_sent_invitation/501/SERVICE_NOT_SUPPORTED",
            ],
            |ctx| async move {
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
            },
        ),
        Scenario::new(
            "backend: create refused by the client's record or state",
            &[
                "create_sent_invitation/403/CLIENT_REGISTRATION_NOT_FOUND",
                "create_sent_invitation/403/VAT_CLIENT_INSOLVENT",
                "create_sent_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
                "create_sent_invitation/403/ALREADY_AUTHORISED",
            ],
            |ctx| async move {
                let (agent, vat, itsa, insolvent) = tokio::try_join!(
                    ctx.sandbox().agent(),
                    ctx.sandbox().service_client("HMRC-MTD-VAT"),
                    ctx.sandbox().service_client("HMRC-MTD-IT"),
                    ctx.sandbox().vat_client(true)
                )?;
                let mut rng = ctx.rng("ids");
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
            },
        ),
        Scenario::new(
            "backend: identical creates at once",
            &["create_sent_invitation/403/ALREADY_BEING_PROCESSED"],
            |ctx| async move {
                // The window is a transaction long: fire identical requests together until one meets another in flight.
                for _round in 0..8 {
                    let (agent, vat) = tokio::try_join!(
                        ctx.sandbox().agent(),
                        ctx.sandbox().service_client("HMRC-MTD-VAT")
                    )?;
                    let body = vat.create_body();
                    let answers = join_all((0..24).map(|_| ctx.send(create(&agent, &body)))).await;
                    let mut created = 0;
                    let mut in_flight = false;
                    for answer in answers {
                        let exchange = answer?;
                        match (exchange.status(), exchange.code().as_deref()) {
                            (201, _) => {
                                ctx.check("create_sent_invitation/201", &exchange)?;
                                created += 1
                            }
                            (403, Some("ALREADY_BEING_PROCESSED")) => {
                                ctx.check(
                                    "create_sent_invitation/403/ALREADY_BEING_PROCESSED",
                                    &exchange,
                                )?;
                                in_flight = true;
                            }
                            (403, Some("DUPLICATE_AUTHORISATION_REQUEST")) => {
                                ctx.check(
                                    "create_sent_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
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
            "backend: a link to several invitations",
            &[
                "create_multi_invitation_link/201",
                "create_multi_invitation_link/400/CLIENT_TYPE_NOT_SUPPORTED",
                "create_multi_invitation_link/400/BAD_REQUEST",
                "create_multi_invitation_link/404/INVITATION_NOT_FOUND",
            ],
            |ctx| async move {
                let f = ctx.fixtures().clone();
                let (agent, vat, pir) = tokio::try_join!(
                    ctx.sandbox().agent(),
                    ctx.sandbox().service_client("HMRC-MTD-VAT"),
                    ctx.sandbox().service_client("PERSONAL-INCOME-RECORD")
                )?;
                let first = created(&ctx, &agent, &vat).await?;
                let second = created(&ctx, &agent, &pir).await?;
                let link = |body: Value| {
                    backend(
                        "POST",
                        multi_invitations_path(&agent.arn),
                        Some(&agent.token),
                    )
                    .json(&body)
                };
                let entry = "create_multi_invitation_link/201";
                let exchange = ctx
                    .expect(
                        entry,
                        link(json!({"clientType": "personal", "invitationIds": [first, second]})),
                    )
                    .await?;
                let location = exchange.response.header("location").unwrap_or_default();
                let parts: Vec<&str> = location.split('/').collect();
                if parts.len() != 5
                    || parts[1] != "invitations"
                    || parts[2] != "personal"
                    || parts[3].len() != 8
                {
                    wrong(
                        &ctx,
                        entry,
                        &exchange,
                        format!(
                            "Location {location:?} is not /invitations/personal/<uid>/<agency name>"
                        ),
                    )?;
                }
                let cases = [
                    (
                        "create_multi_invitation_link/400/CLIENT_TYPE_NOT_SUPPORTED",
                        json!({"clientType": "alien", "invitationIds": [first]}),
                    ),
                    (
                        "create_multi_invitation_link/400/BAD_REQUEST",
                        json!({"clientType": "personal", "invitationIds": []}),
                    ),
                    (
                        "create_multi_invitation_link/400/BAD_REQUEST",
                        json!({"clientType": "personal"}),
                    ),
                    (
                        "create_multi_invitation_link/400/BAD_REQUEST",
                        json!({"clientType": "personal", "invitationIds": [bad_ids(&first)[0]]}),
                    ),
                    (
                        "create_multi_invitation_link/404/INVITATION_NOT_FOUND",
                        json!({"clientType": "personal", "invitationIds": [first, f.pending]}),
                    ),
                    (
                        "create_multi_invitation_link/404/INVITATION_NOT_FOUND",
                        json!({"clientType": "business", "invitationIds": [random_invitation_id(&mut ctx.rng("unknown"), 'C')]}),
                    ),
                ];
                for (entry, body) in cases {
                    ctx.soft(entry, link(body)).await?;
                }
                Ok(())
            },
        ),
        Scenario::new(
            "backend: known facts",
            &[
                "check_known_fact_postcode/204",
                "check_known_fact_postcode/400/CLIENT_ID_FORMAT_INVALID",
                "check_known_fact_postcode/400/POSTCODE_FORMAT_INVALID",
                "check_known_fact_postcode/403/POSTCODE_DOES_NOT_MATCH",
                "check_known_fact_postcode/404/CLIENT_REGISTRATION_NOT_FOUND",
                "check_known_fact_date_of_birth/204",
                "check_known_fact_date_of_birth/400/CLIENT_ID_FORMAT_INVALID",
                "check_known_fact_date_of_birth/400/DATE_OF_BIRTH_FORMAT_INVALID",
                "check_known_fact_date_of_birth/403/DATE_OF_BIRTH_DOES_NOT_MATCH",
                "check_known_fact_date_of_birth/404/CLIENT_REGISTRATION_NOT_FOUND",
                "check_known_fact_vat_registration_date/204",
                "check_known_fact_vat_registration_date/400/CLIENT_ID_FORMAT_INVALID",
                "check_known_fact_vat_registration_date/400/VAT_REG_DATE_FORMAT_INVALID",
                "check_known_fact_vat_registration_date/403/VAT_REG_DATE_DOES_NOT_MATCH",
                "check_known_fact_vat_registration_date/404/CLIENT_REGISTRATION_NOT_FOUND",
            ],
            |ctx| async move {
                let f = ctx.fixtures().clone();
                let person = ctx
                    .sandbox()
                    .service_client("PERSONAL-INCOME-RECORD")
                    .await?;
                let dob = person.answer["individualDetails"]["dateOfBirth"]
                    .as_str()
                    .ok_or_else(|| anyhow!("a test individual without a dateOfBirth"))?
                    .to_owned();
                let mut rng = ctx.rng("ids");
                let unknown_nino = random_nino(&mut rng);
                let unknown_vrn = random_vrn(&mut rng);
                let nino = &f.individual.nino;
                let postcode = &f.individual.postcode;
                let vrn = &f.organisation.vrn;
                let date = &f.organisation.vat_registration_date;
                let cases = [
                    (
                        "check_known_fact_postcode/204",
                        postcode_path(nino, postcode),
                    ),
                    (
                        "check_known_fact_postcode/400/CLIENT_ID_FORMAT_INVALID",
                        postcode_path("AB12345", postcode),
                    ),
                    (
                        "check_known_fact_postcode/400/POSTCODE_FORMAT_INVALID",
                        postcode_path(nino, "AA1"),
                    ),
                    (
                        "check_known_fact_postcode/403/POSTCODE_DOES_NOT_MATCH",
                        postcode_path(nino, other_postcode(postcode)),
                    ),
                    (
                        "check_known_fact_postcode/404/CLIENT_REGISTRATION_NOT_FOUND",
                        postcode_path(&unknown_nino, postcode),
                    ),
                    (
                        "check_known_fact_date_of_birth/204",
                        dob_path(&person.client_id, &dob),
                    ),
                    (
                        "check_known_fact_date_of_birth/400/CLIENT_ID_FORMAT_INVALID",
                        dob_path("AB12345", &dob),
                    ),
                    (
                        "check_known_fact_date_of_birth/400/DATE_OF_BIRTH_FORMAT_INVALID",
                        dob_path(&person.client_id, &dob.replace('-', "")),
                    ),
                    (
                        "check_known_fact_date_of_birth/403/DATE_OF_BIRTH_DOES_NOT_MATCH",
                        dob_path(&person.client_id, &day_after(&dob)),
                    ),
                    (
                        "check_known_fact_date_of_birth/404/CLIENT_REGISTRATION_NOT_FOUND",
                        dob_path(&unknown_nino, &dob),
                    ),
                    (
                        "check_known_fact_vat_registration_date/204",
                        vat_date_path(vrn, date),
                    ),
                    (
                        "check_known_fact_vat_registration_date/400/CLIENT_ID_FORMAT_INVALID",
                        vat_date_path("12345678", date),
                    ),
                    (
                        "check_known_fact_vat_registration_date/400/VAT_REG_DATE_FORMAT_INVALID",
                        vat_date_path(vrn, &date.replace('-', "")),
                    ),
                    (
                        "check_known_fact_vat_registration_date/403/VAT_REG_DATE_DOES_NOT_MATCH",
                        vat_date_path(vrn, &day_after(date)),
                    ),
                    (
                        "check_known_fact_vat_registration_date/404/CLIENT_REGISTRATION_NOT_FOUND",
                        vat_date_path(&unknown_vrn, date),
                    ),
                ];
                for (entry, path) in cases {
                    ctx.soft(entry, backend("GET", path, Some(&f.agent.token)))
                        .await?;
                }
                Ok(())
            },
        ),
        Scenario::with_covers(
            "backend: callers of the known-facts, client and status calls",
            known_fact_and_client_callers(),
            |ctx| async move {
                let f = ctx.fixtures().clone();
                let (agent, vat, other) = tokio::try_join!(
                    ctx.sandbox().agent(),
                    ctx.sandbox().service_client("HMRC-MTD-VAT"),
                    ctx.sandbox().service_client("HMRC-MTD-VAT")
                )?;
                let id = created(&ctx, &agent, &vat).await?;
                let expired_token = f.expired.token.clone();
                let unknown_token = "0".repeat(64);
                let tokens: [(Option<&str>, &str); 4] = [
                    (None, "401/UNAUTHORIZED"),
                    (Some("not-a-token"), "401/UNAUTHORIZED"),
                    (Some(&expired_token), "401/UNAUTHORIZED"),
                    (Some(&unknown_token), "401/UNAUTHORIZED"),
                ];
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
                let client_calls = [
                    ("list_received_invitations", "GET", vat.received_path()),
                    (
                        "get_received_invitation",
                        "GET",
                        vat.received_invitation_path(&id),
                    ),
                    (
                        "accept_received_invitation",
                        "PUT",
                        format!("{}/accept", vat.received_invitation_path(&id)),
                    ),
                    (
                        "reject_received_invitation",
                        "PUT",
                        format!("{}/reject", vat.received_invitation_path(&id)),
                    ),
                    (
                        "end_client_relationship",
                        "PUT",
                        format!("{}/deauthorise", vat.received_invitation_path(&id)),
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
                    for token in [&other.token, &agent.token, &f.individual.token] {
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
                        received(&other, method, &id, action),
                    )
                    .await?;
                }
                let status = format!("{BACKEND}/status");
                for (token, entry) in tokens {
                    ctx.soft(
                        &format!("client_status/{entry}"),
                        backend("GET", status.clone(), token),
                    )
                    .await?;
                }
                for token in [&agent.token, &f.unsubscribed.token] {
                    ctx.soft(
                        "client_status/403/NOT_A_CLIENT",
                        backend("GET", status.clone(), Some(token)),
                    )
                    .await?;
                }
                // Nothing above may have answered the invitation.
                read_as(&ctx, &agent, &id, "Pending", None).await?;
                Ok(())
            },
        ),
        Scenario::new(
            "backend: the client lists, reads, accepts, rejects and ends",
            &[
                "list_received_invitations/200",
                "list_received_invitations/400/BAD_REQUEST",
                "get_received_invitation/200",
                "get_received_invitation/400/BAD_REQUEST",
                "get_received_invitation/404/INVITATION_NOT_FOUND",
                "accept_received_invitation/204",
                "accept_received_invitation/400/BAD_REQUEST",
                "accept_received_invitation/403/INVALID_INVITATION_STATUS",
                "accept_received_invitation/404/INVITATION_NOT_FOUND",
                "reject_received_invitation/204",
                "reject_received_invitation/400/BAD_REQUEST",
                "reject_received_invitation/403/INVALID_INVITATION_STATUS",
                "reject_received_invitation/404/INVITATION_NOT_FOUND",
                "end_client_relationship/204",
                "end_client_relationship/400/BAD_REQUEST",
                "end_client_relationship/403/NO_RELATIONSHIP",
                "end_client_relationship/404/INVITATION_NOT_FOUND",
            ],
            |ctx| async move {
                let (agent, vat) = tokio::try_join!(
                    ctx.sandbox().agent(),
                    ctx.sandbox().service_client("HMRC-MTD-VAT")
                )?;
                let empty = ctx
                    .expect(
                        "list_received_invitations/200",
                        backend("GET", vat.received_path(), Some(&vat.token)),
                    )
                    .await?;
                let count = |exchange: &Exchange| {
                    exchange.json().unwrap_or_default()["_embedded"]["invitations"]
                        .as_array()
                        .map(Vec::len)
                };
                if count(&empty) != Some(0) {
                    wrong(
                        &ctx,
                        "list_received_invitations/200",
                        &empty,
                        "a new client's list is not empty".into(),
                    )?;
                }
                let to_accept = created(&ctx, &agent, &vat).await?;
                let entry = "get_received_invitation/200";
                let read = ctx
                    .expect(entry, received(&vat, "GET", &to_accept, ""))
                    .await?;
                let body = read.json().unwrap_or_default();
                if body["invitationId"] != to_accept.as_str()
                    || body["status"] != "Pending"
                    || body["_links"].get("accept").is_none()
                    || body["_links"].get("reject").is_none()
                {
                    wrong(
                        &ctx,
                        entry,
                        &read,
                        format!("a pending invitation with accept and reject links, got {body}"),
                    )?;
                }
                for bad in bad_ids(&to_accept) {
                    for (entry, method, action) in [
                        ("get_received_invitation/400/BAD_REQUEST", "GET", ""),
                        (
                            "accept_received_invitation/400/BAD_REQUEST",
                            "PUT",
                            "/accept",
                        ),
                        (
                            "reject_received_invitation/400/BAD_REQUEST",
                            "PUT",
                            "/reject",
                        ),
                        (
                            "end_client_relationship/400/BAD_REQUEST",
                            "PUT",
                            "/deauthorise",
                        ),
                    ] {
                        ctx.soft(entry, received(&vat, method, &bad, action))
                            .await?;
                    }
                }
                let unknown = random_invitation_id(&mut ctx.rng("unknown"), 'C');
                for (entry, method, action) in [
                    (
                        "get_received_invitation/404/INVITATION_NOT_FOUND",
                        "GET",
                        "",
                    ),
                    (
                        "accept_received_invitation/404/INVITATION_NOT_FOUND",
                        "PUT",
                        "/accept",
                    ),
                    (
                        "reject_received_invitation/404/INVITATION_NOT_FOUND",
                        "PUT",
                        "/reject",
                    ),
                    (
                        "end_client_relationship/404/INVITATION_NOT_FOUND",
                        "PUT",
                        "/deauthorise",
                    ),
                ] {
                    ctx.soft(entry, received(&vat, method, &unknown, action))
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
                // A pending invitation has no relationship to end.
                ctx.soft(
                    "end_client_relationship/403/NO_RELATIONSHIP",
                    received(&vat, "PUT", &to_accept, "/deauthorise"),
                )
                .await?;
                ctx.expect(
                    "accept_received_invitation/204",
                    received(&vat, "PUT", &to_accept, "/accept"),
                )
                .await?;
                // Idempotent.
                ctx.expect(
                    "accept_received_invitation/204",
                    received(&vat, "PUT", &to_accept, "/accept"),
                )
                .await?;
                read_as(&ctx, &agent, &to_accept, "Accepted", None).await?;
                ctx.soft(
                    "reject_received_invitation/403/INVALID_INVITATION_STATUS",
                    received(&vat, "PUT", &to_accept, "/reject"),
                )
                .await?;
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
                if count(&list) != Some(1) {
                    wrong(
                        &ctx,
                        "list_received_invitations/200",
                        &list,
                        "the accepted invitation is not the one listed".into(),
                    )?;
                }
                ctx.expect(
                    "end_client_relationship/204",
                    received(&vat, "PUT", &to_accept, "/deauthorise"),
                )
                .await?;
                let body = read_as(&ctx, &agent, &to_accept, "Deauthorised", None).await?;
                ensure!(
                    body["relationshipEndedBy"] == "Client",
                    "an invitation the client ended reads relationshipEndedBy {}",
                    body["relationshipEndedBy"]
                );
                ctx.soft(
                    "end_client_relationship/403/NO_RELATIONSHIP",
                    received(&vat, "PUT", &to_accept, "/deauthorise"),
                )
                .await?;
                ctx.soft(
                    "accept_received_invitation/403/INVALID_INVITATION_STATUS",
                    received(&vat, "PUT", &to_accept, "/accept"),
                )
                .await?;
                let to_reject = created(&ctx, &agent, &vat).await?;
                ctx.expect(
                    "reject_received_invitation/204",
                    received(&vat, "PUT", &to_reject, "/reject"),
                )
                .await?;
                ctx.expect(
                    "reject_received_invitation/204",
                    received(&vat, "PUT", &to_reject, "/reject"),
                )
                .await?;
                read_as(&ctx, &agent, &to_reject, "Rejected", None).await?;
                ctx.soft(
                    "accept_received_invitation/403/INVALID_INVITATION_STATUS",
                    received(&vat, "PUT", &to_reject, "/accept"),
                )
                .await?;
                let to_cancel = created(&ctx, &agent, &vat).await?;
                ctx.expect("cancel_sent_invitation/204", cancel(&agent, &to_cancel))
                    .await?;
                ctx.soft(
                    "reject_received_invitation/403/INVALID_INVITATION_STATUS",
                    received(&vat, "PUT", &to_cancel, "/reject"),
                )
                .await?;
                ctx.soft(
                    "accept_received_invitation/403/INVALID_INVITATION_STATUS",
                    received(&vat, "PUT", &to_cancel, "/accept"),
                )
                .await?;
                Ok(())
            },
        ),
        Scenario::new(
            "backend: the client's status",
            &["client_status/200"],
            |ctx| async move {
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
            },
        ),
        Scenario::new(
            "backend: relationships",
            &[
                "check_agent_relationship/204",
                "check_agent_relationship/400/CLIENT_ID_FORMAT_INVALID",
                "check_agent_relationship/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "check_agent_relationship/404/RELATIONSHIP_NOT_FOUND",
                "check_agent_relationship/501/SERVICE_NOT_SUPPORTED",
                "end_agent_relationship/204",
                "end_agent_relationship/400/CLIENT_ID_FORMAT_INVALID",
                "end_agent_relationship/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "end_agent_relationship/403/NO_RELATIONSHIP",
                "end_agent_relationship/501/SERVICE_NOT_SUPPORTED",
            ],
            |ctx| async move {
                let (agent, itsa) = tokio::try_join!(
                    ctx.sandbox().agent(),
                    ctx.sandbox().service_client("HMRC-MTD-IT")
                )?;
                let nino = itsa.client_id.clone();
                let at = |method: &str, service: &str, id_type: &str, id: &str| {
                    backend(
                        method,
                        relationship_path(&agent.arn, service, id_type, id),
                        Some(&agent.token),
                    )
                };
                for (method, operation) in [
                    ("GET", "check_agent_relationship"),
                    ("DELETE", "end_agent_relationship"),
                ] {
                    for (service, id_type, id, entry) in [
                        ("HMRC-XYZ", "ni", nino.as_str(), "501/SERVICE_NOT_SUPPORTED"),
                        ("MTD-VAT", "x", "x", "501/SERVICE_NOT_SUPPORTED"),
                        (
                            "HMRC-MTD-VAT",
                            "ni",
                            nino.as_str(),
                            "400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                        ),
                        (
                            "HMRC-MTD-IT",
                            "vrn",
                            "101747696",
                            "400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                        ),
                        (
                            "HMRC-MTD-VAT",
                            "vrn",
                            "12345678",
                            "400/CLIENT_ID_FORMAT_INVALID",
                        ),
                        (
                            "HMRC-MTD-IT-SUPP",
                            "ni",
                            "AB12345",
                            "400/CLIENT_ID_FORMAT_INVALID",
                        ),
                    ] {
                        ctx.soft(
                            &format!("{operation}/{entry}"),
                            at(method, service, id_type, id),
                        )
                        .await?;
                    }
                }
                let check = || {
                    backend(
                        "GET",
                        itsa.relationship_path(&agent.arn),
                        Some(&agent.token),
                    )
                };
                let end = || {
                    backend(
                        "DELETE",
                        itsa.relationship_path(&agent.arn),
                        Some(&agent.token),
                    )
                };
                ctx.soft(
                    "check_agent_relationship/404/RELATIONSHIP_NOT_FOUND",
                    check(),
                )
                .await?;
                ctx.soft("end_agent_relationship/403/NO_RELATIONSHIP", end())
                    .await?;
                let id = created(&ctx, &agent, &itsa).await?;
                ctx.soft(
                    "check_agent_relationship/404/RELATIONSHIP_NOT_FOUND",
                    check(),
                )
                .await?;
                ctx.sandbox().accept(&id).await?;
                ctx.expect("check_agent_relationship/204", check()).await?;
                ctx.expect("end_agent_relationship/204", end()).await?;
                let body = read_as(&ctx, &agent, &id, "Deauthorised", None).await?;
                ensure!(
                    body["relationshipEndedBy"] == "Agent",
                    "an invitation the agent ended reads relationshipEndedBy {}",
                    body["relationshipEndedBy"]
                );
                ctx.soft(
                    "check_agent_relationship/404/RELATIONSHIP_NOT_FOUND",
                    check(),
                )
                .await?;
                ctx.soft("end_agent_relationship/403/NO_RELATIONSHIP", end())
                    .await?;
                // A partial authorisation counts as active.
                let alt = ctx.sandbox().alt_itsa_service_client("HMRC-MTD-IT").await?;
                let partial = created(&ctx, &agent, &alt).await?;
                ctx.sandbox().accept(&partial).await?;
                read_as(&ctx, &agent, &partial, "Partialauth", None).await?;
                ctx.expect(
                    "check_agent_relationship/204",
                    backend("GET", alt.relationship_path(&agent.arn), Some(&agent.token)),
                )
                .await?;
                Ok(())
            },
        ),
        Scenario::new(
            "backend: the alternative ITSA update",
            &[
                "update_alt_itsa/201",
                "update_alt_itsa/204",
                "update_alt_itsa/400/CLIENT_ID_FORMAT_INVALID",
                "update_alt_itsa/400/BAD_REQUEST",
                "update_alt_itsa/404/ALT_ITSA_NOT_FOUND",
            ],
            |ctx| async move {
                let (agent, partial, pending) = tokio::try_join!(
                    ctx.sandbox().agent(),
                    ctx.sandbox().alt_itsa_service_client("HMRC-MTD-IT"),
                    ctx.sandbox().alt_itsa_service_client("HMRC-MTD-IT")
                )?;
                let update =
                    |service: &str, nino: &str| backend("PUT", alt_itsa_path(service, nino), None);
                ctx.soft(
                    "update_alt_itsa/400/BAD_REQUEST",
                    update("HMRC-MTD-VAT", &pending.client_id),
                )
                .await?;
                ctx.soft(
                    "update_alt_itsa/400/CLIENT_ID_FORMAT_INVALID",
                    update("HMRC-MTD-IT", "AB12345"),
                )
                .await?;
                ctx.soft(
                    "update_alt_itsa/404/ALT_ITSA_NOT_FOUND",
                    update("HMRC-MTD-IT", &random_nino(&mut ctx.rng("nino"))),
                )
                .await?;
                let partial_id = created(&ctx, &agent, &partial).await?;
                ctx.sandbox().accept(&partial_id).await?;
                let pending_id = created(&ctx, &agent, &pending).await?;
                // Invited, but not signed up yet.
                ctx.soft(
                    "update_alt_itsa/404/ALT_ITSA_NOT_FOUND",
                    update("HMRC-MTD-IT", &pending.client_id),
                )
                .await?;
                let mut ids = Vec::new();
                for client in [&partial, &pending] {
                    let exchange = ctx
                        .send(
                            Request::new(
                                "PUT",
                                format!(
                                    "/agent-authorisation-test-support/individuals/{}/mtd-income-tax",
                                    client.client_id
                                ),
                            )
                            .header("Accept", "application/json"),
                        )
                        .await?;
                    ensure!(
                        exchange.status() == 200,
                        "signing {} up to MTD IT: {}",
                        client.client_id,
                        exchange.summary()
                    );
                    ids.push(
                        exchange.json().unwrap_or_default()["mtdItId"]
                            .as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| {
                                anyhow!("a sign-up with no mtdItId: {}", exchange.summary())
                            })?,
                    );
                }
                ctx.expect(
                    "update_alt_itsa/201",
                    update("HMRC-MTD-IT", &partial.client_id),
                )
                .await?;
                read_as(
                    &ctx,
                    &agent,
                    &partial_id,
                    "Accepted",
                    Some(("HMRC-MTD-IT", &ids[0])),
                )
                .await?;
                ctx.expect(
                    "update_alt_itsa/204",
                    update("HMRC-MTD-IT", &pending.client_id),
                )
                .await?;
                read_as(
                    &ctx,
                    &agent,
                    &pending_id,
                    "Pending",
                    Some(("HMRC-MTD-IT", &ids[1])),
                )
                .await?;
                // Nothing is left to update.
                ctx.soft(
                    "update_alt_itsa/404/ALT_ITSA_NOT_FOUND",
                    update("HMRC-MTD-IT", &pending.client_id),
                )
                .await?;
                Ok(())
            },
        ),
        Scenario::new(
            "backend: a non-taxable trust becomes taxable",
            &[
                "replace_urn_with_utr/201",
                "replace_urn_with_utr/204",
                "replace_urn_with_utr/400/CLIENT_ID_FORMAT_INVALID",
                "replace_urn_with_utr/404/INVITATION_NOT_FOUND",
            ],
            |ctx| async move {
                let (agent, pending, accepted, rejected, never) = tokio::try_join!(
                    ctx.sandbox().agent(),
                    ctx.sandbox().service_client("HMRC-TERSNT-ORG"),
                    ctx.sandbox().service_client("HMRC-TERSNT-ORG"),
                    ctx.sandbox().service_client("HMRC-TERSNT-ORG"),
                    ctx.sandbox().service_client("HMRC-TERSNT-ORG"),
                )?;
                // Fresh UTRs, which no test user holds.
                let mut rng = ctx.rng("utr");
                let utr = random_utr(&mut rng);
                let accepted_utr = random_utr(&mut rng);
                let rejected_utr = random_utr(&mut rng);
                let replace = |urn: &str, utr: &str| backend("POST", replace_path(urn, utr), None);
                ctx.soft(
                    "replace_urn_with_utr/400/CLIENT_ID_FORMAT_INVALID",
                    replace(&never.client_id, "12345"),
                )
                .await?;
                ctx.soft(
                    "replace_urn_with_utr/400/CLIENT_ID_FORMAT_INVALID",
                    replace("NOT-A-URN!", &utr),
                )
                .await?;
                ctx.soft(
                    "replace_urn_with_utr/404/INVITATION_NOT_FOUND",
                    replace(&never.client_id, &utr),
                )
                .await?;
                let pending_id = created(&ctx, &agent, &pending).await?;
                let accepted_id = created(&ctx, &agent, &accepted).await?;
                let rejected_id = created(&ctx, &agent, &rejected).await?;
                ctx.sandbox().accept(&accepted_id).await?;
                ctx.sandbox().reject(&rejected_id).await?;
                ctx.expect(
                    "replace_urn_with_utr/201",
                    replace(&pending.client_id, &utr),
                )
                .await?;
                read_as(
                    &ctx,
                    &agent,
                    &pending_id,
                    "Pending",
                    Some(("HMRC-TERS-ORG", &utr)),
                )
                .await?;
                ctx.expect(
                    "replace_urn_with_utr/204",
                    replace(&rejected.client_id, &rejected_utr),
                )
                .await?;
                read_as(
                    &ctx,
                    &agent,
                    &rejected_id,
                    "Rejected",
                    Some(("HMRC-TERSNT-ORG", &rejected.client_id)),
                )
                .await?;
                ctx.expect(
                    "replace_urn_with_utr/201",
                    replace(&accepted.client_id, &accepted_utr),
                )
                .await?;
                read_as(
                    &ctx,
                    &agent,
                    &accepted_id,
                    "Accepted",
                    Some(("HMRC-TERS-ORG", &accepted_utr)),
                )
                .await?;
                // The relationship moved too.
                let moved = ServiceClient {
                    service: "HMRC-TERS-ORG",
                    client_id_type: "utr",
                    client_id: accepted_utr.clone(),
                    ..accepted.clone()
                };
                ctx.expect(
                    "check_agent_relationship/204",
                    backend(
                        "GET",
                        moved.relationship_path(&agent.arn),
                        Some(&agent.token),
                    ),
                )
                .await?;
                ctx.expect(
                    "check_agent_relationship/404/RELATIONSHIP_NOT_FOUND",
                    backend(
                        "GET",
                        accepted.relationship_path(&agent.arn),
                        Some(&agent.token),
                    ),
                )
                .await?;
                Ok(())
            },
        ),
    ]
}

/// A random valid UTR: 10 digits, the first the mod-11 check of the other nine.
fn random_utr(rng: &mut crate::reference::Rng) -> String {
    let body = format!("{:09}", rng.below(1_000_000_000));
    let weights = [6, 7, 8, 9, 10, 5, 4, 3, 2];
    let sum: u32 = body
        .bytes()
        .zip(weights)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = char::from(b"21987654321"[(sum % 11) as usize]);
    format!("{check}{body}")
}

/// The caller entries of the backend operations the auth matrix does not reach (no `{arn}` in the path).
fn known_fact_and_client_callers() -> Vec<String> {
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
