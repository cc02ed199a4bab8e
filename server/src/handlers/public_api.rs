//! What the public Agent Authorisation API's versions (1.0, 2.0) share: creating a request, reading one of
//! the caller's requests, the `service` field. Each version's module names its own
//! paths and shapes its own answers; the rules stay in the domain.

use dropshot::RequestContext;

use super::ApiContext;
use super::client_action_link::ClientActionLinks;
use crate::api::ApiError;
use crate::api::generated::shared;
use crate::domain::invitation::{Invitation, PUBLIC_API_ORIGIN};
use crate::domain::invitation_id::InvitationId;
use crate::domain::request::PublicRequest;
use crate::domain::service::Service;
use crate::domain::{DomainError, hold};

/// Where a version serves one request, from its ARN and id (e.g. `/agents/{arn}/invitations/{id}`).
pub type Location = fn(&str, &InvitationId) -> String;

/// Creates a request for the agency in the path: the caller first, then the payload, then the rules
/// (docs/domain.md §6). Answers the new request's location; a DUPLICATE_AUTHORISATION_REQUEST answer carries
/// the existing request's location.
pub async fn create_invitation(
    rqctx: &RequestContext<ApiContext>,
    path_arn: &str,
    request: PublicRequest<'_>,
    location: Location,
) -> Result<String, ApiError> {
    let ctx = rqctx.context();
    let created = async {
        let arn = ctx.agent(rqctx, path_arn).await?;
        let request = request.validate()?;
        let origin = Some(PUBLIC_API_ORIGIN.to_owned());
        let create = ctx.authorisations.create_invitation(&arn, &request, origin);
        let id = hold::within(ctx.hold(rqctx), create).await?;
        Ok(location(arn.as_str(), &id))
    }
    .await;
    created.map_err(|error| match error {
        DomainError::DuplicateAuthorisationRequest { ref existing } => {
            #[cfg(feature = "fault-injection")]
            if crate::fault::active("no-duplicate-location") {
                return ApiError::from(error);
            }
            let location = location(path_arn, existing);
            ApiError::from(error).with_location(location)
        }
        other => ApiError::from(other),
    })
}

/// One of the caller's requests, among the services a version shows, and the links of its agency. A malformed
/// id is 400 BAD_REQUEST before the caller is looked at.
pub async fn agent_invitation(
    rqctx: &RequestContext<ApiContext>,
    path_arn: &str,
    path_id: &str,
    services: &[Service],
) -> Result<(Invitation, ClientActionLinks), DomainError> {
    let ctx = rqctx.context();
    let id = InvitationId::parse(path_id).ok_or(DomainError::BadRequest)?;
    let arn = ctx.agent(rqctx, path_arn).await?;
    let (invitation, agency) = ctx
        .authorisations
        .agent_invitation_with_agency(&arn, &id, services)
        .await?;
    Ok((invitation, ClientActionLinks::of(ctx, agency.as_ref())))
}

/// A `service` sent as a string or a one-element array (every version of the API shares the shape).
pub trait ServiceName {
    fn name(&self) -> &str;
}

impl ServiceName for shared::ServiceList {
    fn name(&self) -> &str {
        match self {
            Self::String(name) => name,
            Self::Array([name]) => name,
        }
    }
}
