//! Agent Authorisation API 2.0 (`openapi/agent-authorisation-v2.yaml`). Version 1.0 serves the same operations on
//! the same paths (but deauthorise) through the functions here that take the path's values.

use dropshot::{HttpResponseHeaders, HttpResponseOk, HttpResponseUpdatedNoContent, RequestContext};

use super::ApiContext;
use super::client_action_link::ClientActionLinks;
use super::public_api::{self, ServiceName};
use crate::api::generated::agent_authorisation_v2::types;
use crate::api::generated::agent_authorisation_v2::{
    CancelInvitationPath, CheckRelationshipPath, CreateInvitationPath, DeauthoriseClientPath,
    GetInvitationPath, ListInvitationsPath,
};
use crate::api::{Accept, ApiError, JsonBody, LocationHeader, OkOrNoContent, Path, Timestamp};
use crate::domain::DomainError;
use crate::domain::invitation::{Invitation, Status};
use crate::domain::invitation_id::InvitationId;
use crate::domain::request::{PublicRequest, ServiceNames};
use crate::domain::service::Service;

/// The services this API shows: a request for another service is not found here.
const SERVICES: [Service; 3] = [Service::MtdIt, Service::MtdItSupp, Service::MtdVat];

pub(super) type Created = HttpResponseHeaders<HttpResponseUpdatedNoContent, LocationHeader>;

pub async fn list_invitations(
    rqctx: RequestContext<ApiContext>,
    _accept: Accept<2, 0>,
    path: Path<ListInvitationsPath>,
) -> Result<OkOrNoContent<types::InvitationList>, ApiError> {
    list(&rqctx, &path.into_inner().arn).await
}

pub async fn create_invitation(
    rqctx: RequestContext<ApiContext>,
    _accept: Accept<2, 0>,
    path: Path<CreateInvitationPath>,
    body: JsonBody<types::CreateInvitationRequest>,
) -> Result<Created, ApiError> {
    create(&rqctx, &path.into_inner().arn, body.into_inner()).await
}

pub async fn get_invitation(
    rqctx: RequestContext<ApiContext>,
    _accept: Accept<2, 0>,
    path: Path<GetInvitationPath>,
) -> Result<HttpResponseOk<types::Invitation>, ApiError> {
    let path = path.into_inner();
    get(&rqctx, &path.arn, &path.invitation_id).await
}

pub async fn cancel_invitation(
    rqctx: RequestContext<ApiContext>,
    _accept: Accept<2, 0>,
    path: Path<CancelInvitationPath>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    let path = path.into_inner();
    cancel(&rqctx, &path.arn, &path.invitation_id).await
}

pub async fn check_relationship(
    rqctx: RequestContext<ApiContext>,
    _accept: Accept<2, 0>,
    path: Path<CheckRelationshipPath>,
    body: JsonBody<types::CheckRelationshipRequest>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    check(&rqctx, &path.into_inner().arn, body.into_inner()).await
}

pub async fn deauthorise_client(
    rqctx: RequestContext<ApiContext>,
    _accept: Accept<2, 0>,
    path: Path<DeauthoriseClientPath>,
    body: JsonBody<types::DeauthoriseClientRequest>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    let ctx = rqctx.context();
    let arn = ctx.agent(&rqctx, &path.into_inner().arn).await?;
    let body = body.into_inner();
    let public = PublicRequest {
        names: ServiceNames::Public,
        service: body.service.name(),
        agent_type: body.agent_type.as_deref(),
        client_type: Some(&body.client_type),
        client_id_type: &body.client_id_type,
        client_id: &body.client_id,
        known_fact: None,
    };
    let request = public.validate()?;
    let services = public.services_to_end(&request);
    ctx.authorisations
        .deauthorise(&arn, &request, &services)
        .await?;
    Ok(HttpResponseUpdatedNoContent())
}

/// The last 30 days of the agency's requests, newest first; 204 when there are none.
pub(super) async fn list(
    rqctx: &RequestContext<ApiContext>,
    path_arn: &str,
) -> Result<OkOrNoContent<types::InvitationList>, ApiError> {
    let ctx = rqctx.context();
    let arn = ctx.agent(rqctx, path_arn).await?;
    let (invitations, agency) = ctx
        .authorisations
        .recent_agent_invitations(&arn, &SERVICES)
        .await?;
    if invitations.is_empty() {
        return Ok(OkOrNoContent::NoContent);
    }
    let views = InvitationViews::new(ctx, ClientActionLinks::of(ctx, agency.as_ref()));
    Ok(OkOrNoContent::Ok(types::InvitationList(
        invitations.iter().map(|i| views.view(i)).collect(),
    )))
}

pub(super) async fn create(
    rqctx: &RequestContext<ApiContext>,
    path_arn: &str,
    body: types::CreateInvitationRequest,
) -> Result<Created, ApiError> {
    let request = PublicRequest {
        names: ServiceNames::Public,
        service: body.service.name(),
        agent_type: body.agent_type.as_deref(),
        client_type: Some(&body.client_type),
        client_id_type: &body.client_id_type,
        client_id: &body.client_id,
        known_fact: Some(&body.known_fact),
    };
    let created = public_api::create_invitation(rqctx, path_arn, request, location).await;
    created.map(|location| {
        HttpResponseHeaders::new(HttpResponseUpdatedNoContent(), LocationHeader { location })
    })
}

pub(super) async fn get(
    rqctx: &RequestContext<ApiContext>,
    path_arn: &str,
    path_id: &str,
) -> Result<HttpResponseOk<types::Invitation>, ApiError> {
    let (invitation, links) =
        public_api::agent_invitation(rqctx, path_arn, path_id, &SERVICES).await?;
    let views = InvitationViews::new(rqctx.context(), links);
    Ok(HttpResponseOk(views.view(&invitation)))
}

pub(super) async fn cancel(
    rqctx: &RequestContext<ApiContext>,
    path_arn: &str,
    path_id: &str,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    let ctx = rqctx.context();
    let id = InvitationId::parse(path_id).ok_or(DomainError::BadRequest)?;
    let arn = ctx.agent(rqctx, path_arn).await?;
    ctx.authorisations
        .cancel_invitation(&arn, &id, &SERVICES)
        .await?;
    Ok(HttpResponseUpdatedNoContent())
}

pub(super) async fn check(
    rqctx: &RequestContext<ApiContext>,
    path_arn: &str,
    body: types::CheckRelationshipRequest,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    let ctx = rqctx.context();
    let arn = ctx.agent(rqctx, path_arn).await?;
    let request = PublicRequest {
        names: ServiceNames::Public,
        service: body.service.name(),
        agent_type: body.agent_type.as_deref(),
        client_type: None,
        client_id_type: &body.client_id_type,
        client_id: &body.client_id,
        known_fact: Some(&body.known_fact),
    }
    .validate()?;
    ctx.authorisations
        .check_relationship(&arn, &request)
        .await?;
    Ok(HttpResponseUpdatedNoContent())
}

fn location(arn: &str, id: &InvitationId) -> String {
    format!("/agents/{arn}/invitations/{id}")
}

/// Shapes invitations of one agency as this API shows them (docs/domain.md §8).
struct InvitationViews {
    now: chrono::DateTime<chrono::Utc>,
    links: ClientActionLinks,
}

impl InvitationViews {
    fn new(ctx: &ApiContext, links: ClientActionLinks) -> Self {
        Self {
            now: ctx.authorisations.now(),
            links,
        }
    }

    fn view(&self, invitation: &Invitation) -> types::Invitation {
        let status = invitation.status_at(self.now);
        let pending = status == Status::Pending;
        types::Invitation {
            links: types::Links {
                self_: types::Link {
                    href: location(&invitation.arn, &invitation.id),
                },
            },
            invitation_id: invitation.id.to_string(),
            created: Timestamp(invitation.created_at),
            updated: (!pending || updated_on_pending())
                .then(|| Timestamp(invitation.updated_at(self.now))),
            expires_on: pending.then(|| Timestamp(invitation.expires_at())),
            arn: invitation.arn.clone(),
            service: ServiceNames::Public
                .name(invitation.service)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            status: status.as_str().to_owned(),
            client_action_url: pending.then(|| self.links.link(invitation.service)),
            agent_type: invitation.agent_type().map(|t| t.as_str().to_owned()),
        }
    }
}

/// Whether the mutation proof's `v2-updated-on-pending` fault is on (never in a real build).
fn updated_on_pending() -> bool {
    #[cfg(feature = "fault-injection")]
    if crate::fault::active("v2-updated-on-pending") {
        return true;
    }
    false
}
