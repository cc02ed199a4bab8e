//! Answering a `Gov-Test-Scenario` (see `api::test_scenario`): the caller is checked as the operation checks it,
//! then the named example is the answer, and nothing is carried out.

use dropshot::{ErrorStatusCode, RequestContext};

use super::ApiContext;
use crate::api::{ApiError, TestScenarioExample};

/// The answer to `example`: the operation's own refusal of the caller first (no valid token: 401; for an
/// operation on an agency, a caller who is not that agency's agent: 403), else the example; a `Location` names
/// the agency's latest request under `location_base` (`/agents/{arn}/invitations`, …).
pub async fn answer(
    rqctx: &RequestContext<ApiContext>,
    example: &'static TestScenarioExample,
    secured: bool,
    arn: Option<&str>,
    location_base: Option<&str>,
) -> ApiError {
    match caller_checked(rqctx, secured, arn, location_base).await {
        Err(refusal) => refusal,
        Ok(location) => {
            let status =
                ErrorStatusCode::from_u16(example.status).unwrap_or(ErrorStatusCode::BAD_REQUEST);
            let answer = ApiError::documented(status, example.code.into(), example.message.into());
            match location.filter(|_| example.location) {
                Some(location) => answer.with_location(location),
                None => answer,
            }
        }
    }
}

/// Checks the caller; answers the `Location` an answer naming an existing request would carry.
async fn caller_checked(
    rqctx: &RequestContext<ApiContext>,
    secured: bool,
    arn: Option<&str>,
    location_base: Option<&str>,
) -> Result<Option<String>, ApiError> {
    if !secured {
        return Ok(None);
    }
    let ctx = rqctx.context();
    let principal = ctx.principal(rqctx).await?;
    let (Some(path_arn), Some(base)) = (arn, location_base) else {
        if let Some(path_arn) = arn {
            principal.agent_for(path_arn)?;
        }
        return Ok(None);
    };
    let arn = principal.agent_for(path_arn)?;
    let latest = ctx.authorisations.latest_agent_invitation(&arn).await?;
    let latest = latest.ok_or_else(|| {
        ApiError::documented(
            ErrorStatusCode::BAD_REQUEST,
            "INVALID_TEST_SCENARIO".into(),
            "This scenario names the agency's latest authorisation request: create one first."
                .into(),
        )
    })?;
    Ok(Some(format!(
        "{}/{latest}",
        base.replace("{arn}", arn.as_str())
    )))
}
