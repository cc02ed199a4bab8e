//! The order of checks (docs/domain.md §6), one step against the next: the `Accept` header before the body, the
//! body's shape before the caller, the caller before the payload, the payload field by field, then the rules in
//! their order; and the path's ARN compared, never format-checked.

use anyhow::Result;
use serde_json::{Value, json};

use crate::harness::*;
use crate::scenarios::agent_authorisation_v2::{create, get, list};

/// Media types compare case-insensitively.
pub async fn accept_in_any_case(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    for accept in [
        "application/vnd.hmrc.2.0+JSON",
        "APPLICATION/VND.HMRC.2.0+JSON",
    ] {
        let read = get(&f.agent, &f.pending).set_header("Accept", Some(accept.into()));
        ctx.expect("get_invitation/200", read).await?;
    }
    Ok(())
}

/// `Accept` before everything; the body's shape before the caller; the caller before the payload; nothing a
/// refused create sent is stored.
pub async fn gates_before_the_payload(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let agent = ctx.sandbox().agent().await?;
    let no_token = |request: crate::http::Request| request.set_header("Authorization", None);
    let broken = create(&agent, &json!({})).bytes(b"{broken".to_vec());
    let bad_accept = no_token(broken.clone()).set_header("Accept", Some("text/html".into()));
    ctx.soft("create_invitation/406/ACCEPT_HEADER_INVALID", bad_accept)
        .await?;
    ctx.soft("create_invitation/400/BAD_REQUEST", no_token(broken))
        .await?;
    let invalid = wrong_everywhere(&f.individual.nino);
    ctx.soft(
        "create_invitation/401/UNAUTHORIZED",
        no_token(create(&agent, &invalid)),
    )
    .await?;
    let elsewhere = create(&agent.with_path_arn(&f.agent.arn), &invalid);
    ctx.soft("create_invitation/403/NO_PERMISSION_ON_AGENCY", elsewhere)
        .await?;
    ctx.expect("list_invitations/204", list(&agent)).await?;
    Ok(())
}

/// A create body wrong in every field the payload step checks.
fn wrong_everywhere(nino: &str) -> Value {
    json!({"service": ["MTD-CGT"], "agentType": "both", "clientType": "trust", "clientIdType": "vrn",
           "clientId": format!("{nino}X"), "knownFact": "NOT A POSTCODE"})
}

/// The payload field by field: wrong everywhere is SERVICE_NOT_SUPPORTED; each field put right in turn moves the
/// answer to the next field's error.
pub async fn payload_field_by_field(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let right = itsa_body(&f.individual, Some("main"));
    let mut body = wrong_everywhere(&f.individual.nino);
    for (field, entry) in [
        ("service", "create_invitation/400/SERVICE_NOT_SUPPORTED"),
        (
            "agentType",
            "create_invitation/400/AGENT_TYPE_NOT_SUPPORTED",
        ),
        (
            "clientType",
            "create_invitation/400/CLIENT_TYPE_NOT_SUPPORTED",
        ),
        (
            "clientIdType",
            "create_invitation/400/CLIENT_ID_DOES_NOT_MATCH_SERVICE",
        ),
        ("clientId", "create_invitation/400/CLIENT_ID_FORMAT_INVALID"),
        ("knownFact", "create_invitation/400/POSTCODE_FORMAT_INVALID"),
    ] {
        ctx.expect(entry, create(&f.agent, &body)).await?;
        body[field] = right[field].clone();
    }
    Ok(())
}

/// After the payload: a duplicate is reported even with a wrong known fact; insolvency before the VAT
/// registration date; the known fact before an existing authorisation.
pub async fn rules_in_their_order(ctx: Ctx) -> Result<()> {
    let s = ctx.sandbox();
    let (agent, client, vat, insolvent) = tokio::try_join!(
        s.agent(),
        s.itsa_client(),
        s.vat_client(false),
        s.vat_client(true)
    )?;
    let pending = itsa_body(&client, None);
    s.create_invitation(&agent, &pending).await?;
    let wrong_postcode = with(
        &pending,
        "knownFact",
        json!(other_postcode(&client.postcode)),
    );
    ctx.expect(
        "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
        create(&agent, &wrong_postcode),
    )
    .await?;
    let wrong_date = |body: &Value, date: &str| with(body, "knownFact", json!(day_after(date)));
    let insolvent_body = wrong_date(&vat_body(&insolvent), &insolvent.vat_registration_date);
    ctx.expect(
        "create_invitation/403/VAT_CLIENT_INSOLVENT",
        create(&agent, &insolvent_body),
    )
    .await?;
    let authorised = vat_body(&vat);
    let id = s.create_invitation(&agent, &authorised).await?;
    s.accept(&id).await?;
    let late = wrong_date(&authorised, &vat.vat_registration_date);
    ctx.expect(
        "create_invitation/403/VAT_REG_DATE_DOES_NOT_MATCH",
        create(&agent, &late),
    )
    .await?;
    ctx.expect(
        "create_invitation/403/ALREADY_AUTHORISED",
        create(&agent, &authorised),
    )
    .await?;
    Ok(())
}

/// The path's ARN is compared with the caller's, never format-checked: an ARN that fails its check letter, any
/// text, and the caller's own ARN in lower case are NO_PERMISSION_ON_AGENCY.
pub async fn any_other_arn_is_refused(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let own_in_lower_case = f.agent.arn.to_lowercase();
    for arn in ["AARN9999999", "not-an-arn", own_in_lower_case.as_str()] {
        let elsewhere = f.agent.with_path_arn(arn);
        ctx.soft(
            "list_invitations/403/NO_PERMISSION_ON_AGENCY",
            list(&elsewhere),
        )
        .await?;
        let body = itsa_body(&f.individual, None);
        ctx.soft(
            "create_invitation/403/NO_PERMISSION_ON_AGENCY",
            create(&elsewhere, &body),
        )
        .await?;
    }
    Ok(())
}
