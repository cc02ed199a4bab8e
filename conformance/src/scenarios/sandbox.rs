//! Scenarios of the sandbox (`openapi/sandbox.yaml`): Create Test User and the test-support calls.

use anyhow::Result;
use serde_json::json;

use super::v2::{bad_ids, cancel, get};
use super::views::check_invitation;
use crate::harness::*;
use crate::http::Request;
use crate::reference::{random_invitation_id, random_nino};

fn post(path: &str, body: &serde_json::Value) -> Request {
    Request::new("POST", path)
        .header("Accept", "application/json")
        .json(body)
}

fn support(method: &str, id: &str, suffix: &str) -> Request {
    Request::new(
        method,
        format!("/agent-authorisation-test-support/invitations/{id}{suffix}"),
    )
}

pub fn scenarios() -> Vec<Scenario> {
    let mut scenarios = Vec::new();
    for (operation, path, good, wrong_service) in [
        (
            "create_test_agent",
            "/create-test-user/agents",
            json!({"serviceNames": ["agent-services"]}),
            "mtd-vat",
        ),
        (
            "create_test_individual",
            "/create-test-user/individuals",
            json!({"serviceNames": ["national-insurance", "mtd-income-tax", "self-assessment", "mtd-vat"]}),
            "agent-services",
        ),
        (
            "create_test_organisation",
            "/create-test-user/organisations",
            json!({"serviceNames": ["mtd-vat"], "insolvent": true}),
            "national-insurance",
        ),
    ] {
        let covers = [
            format!("{operation}/201"),
            format!("{operation}/400/BAD_REQUEST"),
            format!("{operation}/400/SERVICE_NAME_NOT_SUPPORTED"),
        ];
        scenarios.push(Scenario::with_covers(
            format!("sandbox: {operation}"),
            covers.to_vec(),
            move |ctx| {
                let good = good.clone();
                let covers = covers.clone();
                async move {
                    ctx.soft(&covers[0], post(path, &good)).await?;
                    ctx.soft(
                        &covers[0],
                        post(
                            path,
                            &json!({"serviceNames": [], "tokenLifetimeSeconds": 60}),
                        ),
                    )
                    .await?;
                    ctx.soft(&covers[1], post(path, &json!({"services": ["mtd-vat"]})))
                        .await?;
                    ctx.soft(&covers[1], post(path, &json!({"serviceNames": "mtd-vat"})))
                        .await?;
                    ctx.soft(
                        &covers[1],
                        post(
                            path,
                            &json!({"serviceNames": [], "tokenLifetimeSeconds": -1}),
                        ),
                    )
                    .await?;
                    ctx.soft(
                        &covers[1],
                        post(path, &json!({})).bytes(b"serviceNames=mtd-vat".to_vec()),
                    )
                    .await?;
                    ctx.soft(
                        &covers[2],
                        post(path, &json!({"serviceNames": [wrong_service]})),
                    )
                    .await?;
                    ctx.soft(
                        &covers[2],
                        post(path, &json!({"serviceNames": ["no-such-service"]})),
                    )
                    .await?;
                    Ok(())
                }
            },
        ));
    }
    scenarios.push(Scenario::new(
        "sandbox: accepting as the client",
        &[
            "accept_invitation/204",
            "accept_invitation/400/BAD_REQUEST",
            "accept_invitation/404/INVITATION_NOT_FOUND",
            "accept_invitation/403/INVALID_INVITATION_STATUS",
        ],
        |ctx| async move {
            let (agent, client) =
                tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
            let id = ctx
                .sandbox()
                .create_invitation(&agent, &itsa_body(&client, None))
                .await?;
            ctx.expect("accept_invitation/204", support("PUT", &id, ""))
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
                "Accepted",
            )?;
            // Again: idempotent.
            ctx.expect("accept_invitation/204", support("PUT", &id, ""))
                .await?;
            ctx.soft(
                "reject_invitation/403/INVALID_INVITATION_STATUS",
                support("DELETE", &id, ""),
            )
            .await?;
            let rejected = ctx
                .sandbox()
                .create_invitation(&agent, &vat_body(&ctx.sandbox().vat_client(false).await?))
                .await?;
            ctx.sandbox().reject(&rejected).await?;
            ctx.soft(
                "accept_invitation/403/INVALID_INVITATION_STATUS",
                support("PUT", &rejected, ""),
            )
            .await?;
            for bad in bad_ids(&id) {
                ctx.soft(
                    "accept_invitation/400/BAD_REQUEST",
                    support("PUT", &bad, ""),
                )
                .await?;
            }
            let mut rng = ctx.rng("ids");
            ctx.soft(
                "accept_invitation/404/INVITATION_NOT_FOUND",
                support("PUT", &random_invitation_id(&mut rng, 'A'), ""),
            )
            .await?;
            Ok(())
        },
    ));
    scenarios.push(Scenario::new(
        "sandbox: rejecting as the client",
        &[
            "reject_invitation/204",
            "reject_invitation/400/BAD_REQUEST",
            "reject_invitation/404/INVITATION_NOT_FOUND",
            "reject_invitation/403/INVALID_INVITATION_STATUS",
        ],
        |ctx| async move {
            let (agent, client) =
                tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().vat_client(false))?;
            let id = ctx
                .sandbox()
                .create_invitation(&agent, &vat_body(&client))
                .await?;
            ctx.expect("reject_invitation/204", support("DELETE", &id, ""))
                .await?;
            let read = ctx.expect("get_invitation/200", get(&agent, &id)).await?;
            check_invitation(
                &ctx,
                "get_invitation/200",
                &read,
                &agent,
                &id,
                "MTD-VAT",
                None,
                "Rejected",
            )?;
            ctx.expect("reject_invitation/204", support("DELETE", &id, ""))
                .await?;
            let cancelled = ctx
                .sandbox()
                .create_invitation(&agent, &vat_body(&client))
                .await?;
            ctx.expect("cancel_invitation/204", cancel(&agent, &cancelled))
                .await?;
            ctx.soft(
                "reject_invitation/403/INVALID_INVITATION_STATUS",
                support("DELETE", &cancelled, ""),
            )
            .await?;
            ctx.soft(
                "accept_invitation/403/INVALID_INVITATION_STATUS",
                support("PUT", &cancelled, ""),
            )
            .await?;
            for bad in bad_ids(&id) {
                ctx.soft(
                    "reject_invitation/400/BAD_REQUEST",
                    support("DELETE", &bad, ""),
                )
                .await?;
            }
            let mut rng = ctx.rng("ids");
            ctx.soft(
                "reject_invitation/404/INVITATION_NOT_FOUND",
                support("DELETE", &random_invitation_id(&mut rng, 'C'), ""),
            )
            .await?;
            Ok(())
        },
    ));
    scenarios.push(Scenario::new(
        "sandbox: expiring a request",
        &[
            "expire_invitation/204",
            "expire_invitation/400/BAD_REQUEST",
            "expire_invitation/404/INVITATION_NOT_FOUND",
            "expire_invitation/403/INVALID_INVITATION_STATUS",
        ],
        |ctx| async move {
            let (agent, client) =
                tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
            let body = itsa_body(&client, None);
            let id = ctx.sandbox().create_invitation(&agent, &body).await?;
            ctx.expect("expire_invitation/204", support("PUT", &id, "/expire"))
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
                "Expired",
            )?;
            // Expired is final: it cannot be expired again, answered or cancelled.
            ctx.soft(
                "expire_invitation/403/INVALID_INVITATION_STATUS",
                support("PUT", &id, "/expire"),
            )
            .await?;
            ctx.soft(
                "accept_invitation/403/INVALID_INVITATION_STATUS",
                support("PUT", &id, ""),
            )
            .await?;
            ctx.soft(
                "reject_invitation/403/INVALID_INVITATION_STATUS",
                support("DELETE", &id, ""),
            )
            .await?;
            ctx.soft(
                "cancel_invitation/403/INVALID_INVITATION_STATUS",
                cancel(&agent, &id),
            )
            .await?;
            // An expired request does not block a new one.
            ctx.expect("create_invitation/204", super::v2::create(&agent, &body))
                .await?;
            for bad in bad_ids(&id) {
                ctx.soft(
                    "expire_invitation/400/BAD_REQUEST",
                    support("PUT", &bad, "/expire"),
                )
                .await?;
            }
            let mut rng = ctx.rng("ids");
            ctx.soft(
                "expire_invitation/404/INVITATION_NOT_FOUND",
                support("PUT", &random_invitation_id(&mut rng, 'A'), "/expire"),
            )
            .await?;
            Ok(())
        },
    ));
    scenarios.push(Scenario::new(
        "sandbox: signing an individual up to MTD Income Tax",
        &[
            "sign_up_mtd_income_tax/200",
            "sign_up_mtd_income_tax/400/CLIENT_ID_FORMAT_INVALID",
            "sign_up_mtd_income_tax/404/CLIENT_REGISTRATION_NOT_FOUND",
        ],
        |ctx| async move {
            let alt = ctx.sandbox().alt_itsa_client().await?;
            let path = |nino: &str| {
                format!("/agent-authorisation-test-support/individuals/{nino}/mtd-income-tax")
            };
            ctx.expect(
                "sign_up_mtd_income_tax/200",
                Request::new("PUT", path(&alt.nino)).header("Accept", "application/json"),
            )
            .await?;
            ctx.expect(
                "sign_up_mtd_income_tax/200",
                Request::new("PUT", path(&alt.nino)).header("Accept", "application/json"),
            )
            .await?;
            ctx.soft(
                "sign_up_mtd_income_tax/400/CLIENT_ID_FORMAT_INVALID",
                Request::new("PUT", path("NOTANINO")).header("Accept", "application/json"),
            )
            .await?;
            let mut rng = ctx.rng("ids");
            ctx.soft(
                "sign_up_mtd_income_tax/404/CLIENT_REGISTRATION_NOT_FOUND",
                Request::new("PUT", path(&random_nino(&mut rng)))
                    .header("Accept", "application/json"),
            )
            .await?;
            Ok(())
        },
    ));
    scenarios
}

/// Keeps `Result` in scope for the closures above.
#[allow(dead_code)]
fn _types() -> Result<()> {
    Ok(())
}
