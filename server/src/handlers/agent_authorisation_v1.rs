//! Agent Authorisation API 1.0 (`openapi/agent-authorisation-v1.yaml`): on HMRC's 1.0 paths (`/agencies/...`),
//! create and read requests in the 1.0 shape; on the 2.0 paths, exactly what 2.0 does, but deauthorise.

use chrono::{DateTime, Utc};
use dropshot::{HttpResponseHeaders, HttpResponseOk, HttpResponseUpdatedNoContent, RequestContext};

use super::ApiContext;
use super::agent_authorisation_v2::{self as v2, Created};
use super::client_action_link::ClientActionLinks;
use super::public_api::{self, ServiceName};
use crate::api::generated::agent_authorisation_v1::types;
use crate::api::generated::agent_authorisation_v1::{
    CancelInvitationV1Path, CheckRelationshipV1Path, CreateAgencyInvitationV1Path,
    CreateInvitationV1Path, GetAgencyInvitationV1Path, GetInvitationV1Path, ListInvitationsV1Path,
};
use crate::api::{Accept, ApiError, JsonBody, LocationHeader, OkOrNoContent, Path, Timestamp};
use crate::domain::invitation::{Invitation, Status};
use crate::domain::invitation_id::InvitationId;
use crate::domain::request::{PublicRequest, ServiceNames};
use crate::domain::service::Service;

/// The services HMRC's 1.0 paths show. They have no agent type: a supporting agent's request is not found there.
const SERVICES: [Service; 2] = [Service::MtdIt, Service::MtdVat];

pub async fn create_agency_invitation_v1(
    rqctx: RequestContext<ApiContext>,
    _accept: Accept<1, 0>,
    path: Path<CreateAgencyInvitationV1Path>,
    body: JsonBody<types::CreateInvitationRequestV1>,
) -> Result<Created, ApiError> {
    let path_arn = path.into_inner().arn;
    let body = body.into_inner();
    let request = PublicRequest {
        names: ServiceNames::Hmrc,
        service: body.service.name(),
        agent_type: None,
        client_type: body.client_type.as_deref(),
        client_id_type: &body.client_id_type,
        client_id: &body.client_id,
        known_fact: body.known_fact.as_deref(),
    };
    let created = public_api::create_invitation(&rqctx, &path_arn, request, location).await;
    created.map(|location| {
        HttpResponseHeaders::new(HttpResponseUpdatedNoContent(), LocationHeader { location })
    })
}

pub async fn get_agency_invitation_v1(
    rqctx: RequestContext<ApiContext>,
    _accept: Accept<1, 0>,
    path: Path<GetAgencyInvitationV1Path>,
) -> Result<HttpResponseOk<types::InvitationV1>, ApiError> {
    let ctx = rqctx.context();
    let path = path.into_inner();
    let (invitation, links) =
        public_api::agent_invitation(&rqctx, &path.arn, &path.invitation_id, shown()).await?;
    Ok(HttpResponseOk(view(
        &invitation,
        ctx.authorisations.now(),
        &links,
    )))
}

// ---- 1.0 on the 2.0 paths: what 2.0 does ----

pub async fn list_invitations_v1(
    rqctx: RequestContext<ApiContext>,
    _accept: Accept<1, 0>,
    path: Path<ListInvitationsV1Path>,
) -> Result<OkOrNoContent<types::InvitationList>, ApiError> {
    v2::list(&rqctx, &path.into_inner().arn).await
}

pub async fn create_invitation_v1(
    rqctx: RequestContext<ApiContext>,
    _accept: Accept<1, 0>,
    path: Path<CreateInvitationV1Path>,
    body: JsonBody<types::CreateInvitationRequest>,
) -> Result<Created, ApiError> {
    v2::create(&rqctx, &path.into_inner().arn, body.into_inner()).await
}

pub async fn get_invitation_v1(
    rqctx: RequestContext<ApiContext>,
    _accept: Accept<1, 0>,
    path: Path<GetInvitationV1Path>,
) -> Result<HttpResponseOk<types::Invitation>, ApiError> {
    let path = path.into_inner();
    v2::get(&rqctx, &path.arn, &path.invitation_id).await
}

pub async fn cancel_invitation_v1(
    rqctx: RequestContext<ApiContext>,
    _accept: Accept<1, 0>,
    path: Path<CancelInvitationV1Path>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    let path = path.into_inner();
    v2::cancel(&rqctx, &path.arn, &path.invitation_id).await
}

pub async fn check_relationship_v1(
    rqctx: RequestContext<ApiContext>,
    _accept: Accept<1, 0>,
    path: Path<CheckRelationshipV1Path>,
    body: JsonBody<types::CheckRelationshipRequest>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    v2::check(&rqctx, &path.into_inner().arn, body.into_inner()).await
}

fn location(arn: &str, id: &InvitationId) -> String {
    format!("/agencies/{arn}/invitations/{id}")
}

/// A request as 1.0 shows it, as it reads at `now`.
fn view(
    invitation: &Invitation,
    now: DateTime<Utc>,
    links: &ClientActionLinks,
) -> types::InvitationV1 {
    let status = invitation.status_at(now);
    types::InvitationV1 {
        links: types::Links {
            self_: types::Link {
                href: location(&invitation.arn, &invitation.id),
            },
        },
        invitation_id: invitation.id.to_string(),
        arn: invitation.arn.clone(),
        service: ServiceNames::Hmrc
            .name(invitation.service)
            .unwrap_or_default()
            .to_owned(),
        status: status.as_str().to_owned(),
        created: Timestamp(invitation.created_at),
        last_updated: Timestamp(invitation.updated_at(now)),
        expiry_date: invitation.expires_on,
        client_id_type: invitation.client_id_type.clone(),
        client_id: invitation.client_id.clone(),
        supplied_client_id_type: invitation.supplied_client_id_type.clone(),
        supplied_client_id: invitation.supplied_client_id.clone(),
        client_action_url: (status == Status::Pending).then(|| links.link(invitation.service)),
    }
}

/// The services HMRC's 1.0 paths show ([`SERVICES`]; more under the mutation proof's `v1-shows-supporting`).
fn shown() -> &'static [Service] {
    #[cfg(feature = "fault-injection")]
    if crate::fault::active("v1-shows-supporting") {
        return &[Service::MtdIt, Service::MtdItSupp, Service::MtdVat];
    }
    &SERVICES
}
