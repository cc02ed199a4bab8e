//! Every documented error example on demand: for each operation whose contract documents the `Gov-Test-Scenario`
//! header, a valid request naming each of its error examples must get exactly that example (and a name it does not
//! document, 400 INVALID_TEST_SCENARIO). The requests are valid and made by a caller who may make them, so the
//! answer can only come from the header.

use crate::harness::*;
use crate::http::Request;
use crate::ledger::Ledger;
use crate::paths::*;
use crate::scenarios::agent_client_authorisation::backend;
use crate::scenarios::templates::Template;

/// The example a name the operation does not document gets.
const INVALID: &str = "INVALID_TEST_SCENARIO";

/// One scenario per operation with test scenarios, covering its 4xx examples.
pub fn scenarios(templates: &[Template], ledger: &Ledger) -> Vec<Scenario> {
    let mut operations: Vec<&str> = ledger
        .entries()
        .iter()
        .filter(|entry| entry.example.as_deref() == Some(INVALID))
        .map(|entry| entry.operation.as_str())
        .collect();
    operations.dedup();
    operations
        .into_iter()
        .map(|operation| {
            let covers: Vec<String> = ledger
                .entries()
                .iter()
                .filter(|e| e.operation == operation && (400..500).contains(&e.status))
                .filter(|e| e.example.is_some())
                .map(|e| e.id.clone())
                .collect();
            let operation = operation.to_owned();
            let template = templates.iter().find(|t| t.operation == operation).copied();
            Scenario::with_covers(
                format!("test scenarios: {operation}"),
                covers.clone(),
                move |ctx| {
                    let (operation, covers) = (operation.clone(), covers.clone());
                    async move {
                        for entry in &covers {
                            let name = entry.rsplit('/').next().unwrap_or_default();
                            let named = if name == INVALID {
                                "NO_SUCH_SCENARIO"
                            } else {
                                name
                            };
                            let request = valid_request(&ctx, &operation, template)?
                                .header("Gov-Test-Scenario", named);
                            ctx.soft(entry, request).await?;
                        }
                        Ok(())
                    }
                },
            )
        })
        .collect()
}

/// A request to `operation` the shared fixtures' callers may make: from its template (as the fixtures' agent),
/// else built here.
fn valid_request(
    ctx: &Ctx,
    operation: &str,
    template: Option<Template>,
) -> anyhow::Result<Request> {
    let f = ctx.fixtures();
    if let Some(template) = template {
        return Ok((template.build)(f, &f.agent.arn, &f.pending).bearer(&f.agent.token));
    }
    let client_id = f
        .individual
        .mtd_it_id
        .clone()
        .ok_or_else(|| anyhow::anyhow!("the shared MTD IT client has no MTDITID"))?;
    let received = received_path("MTDITID", &client_id);
    let (agent, client, staff) = (&f.agent.token, &f.individual.token, &f.hmrc_staff);
    let (method, path, token) = match operation {
        "check_known_fact_postcode" => (
            "GET",
            postcode_path(&f.individual.nino, &f.individual.postcode),
            agent,
        ),
        "check_known_fact_date_of_birth" => {
            ("GET", dob_path(&f.individual.nino, "1980-01-01"), agent)
        }
        "check_known_fact_vat_registration_date" => (
            "GET",
            vat_date_path(&f.organisation.vrn, &f.organisation.vat_registration_date),
            agent,
        ),
        "list_received_invitations" => ("GET", received.clone(), client),
        "get_received_invitation" => ("GET", format!("{received}/{}", f.pending), client),
        "accept_received_invitation" => ("PUT", format!("{received}/{}/accept", f.pending), client),
        "reject_received_invitation" => ("PUT", format!("{received}/{}/reject", f.pending), client),
        "end_client_relationship" => (
            "PUT",
            format!("{received}/{}/deauthorise", f.pending),
            client,
        ),
        "client_status" => ("GET", format!("{BACKEND}/status"), client),
        "update_alt_itsa" => (
            "PUT",
            alt_itsa_path("HMRC-MTD-IT", &f.individual.nino),
            staff,
        ),
        "replace_urn_with_utr" => ("POST", replace_path("XATRUST00000001", "2134514321"), staff),
        other => anyhow::bail!("test scenarios: no request for {other}"),
    };
    Ok(backend(method, path, Some(token)))
}
