//! Agent Authorisation API 1.0 (`openapi/agent-authorisation-v1.yaml`): create and read requests, the same
//! requests 2.0 serves, in the 1.0 shape.

use chrono::{DateTime, Utc};
use dropshot::{
    HttpResponseHeaders, HttpResponseOk, HttpResponseUpdatedNoContent, Path, RequestContext,
    TypedBody,
};

use super::ApiContext;
use super::client_action_link::ClientActionLinks;
use super::public_api::{self, ServiceName};
use crate::api::generated::agent_authorisation_v1::types;
use crate::api::generated::agent_authorisation_v1::{CreateInvitationV1Path, GetInvitationV1Path};
use crate::api::{Accept, ApiError, LocationHeader, Timestamp, WithErrorHeaders};
use crate::domain::invitation::{Invitation, Status};
use crate::domain::invitation_id::InvitationId;
use crate::domain::request::{PublicRequest, public_service_name};
use crate::domain::service::Service;

/// The services this version shows. It has no agent type: a supporting agent's request is not found here.
const SERVICES: [Service; 2] = [Service::MtdIt, Service::MtdVat];

type Created = HttpResponseHeaders<HttpResponseUpdatedNoContent, LocationHeader>;

pub async fn create_invitation_v1(
    rqctx: RequestContext<ApiContext>,
    _accept: Accept<1, 0>,
    path: Path<CreateInvitationV1Path>,
    body: TypedBody<types::CreateInvitationRequestV1>,
) -> Result<WithErrorHeaders<Created>, ApiError> {
    let path_arn = path.into_inner().arn;
    let body = body.into_inner();
    let request = PublicRequest {
        service: body.service.name(),
        agent_type: None,
        client_type: body.client_type.as_deref(),
        client_id_type: &body.client_id_type,
        client_id: &body.client_id,
        known_fact: Some(&body.known_fact),
    };
    let created = public_api::create_invitation(&rqctx, &path_arn, request, location).await;
    WithErrorHeaders::from_result(created.map(|location| {
        HttpResponseHeaders::new(HttpResponseUpdatedNoContent(), LocationHeader { location })
    }))
}

pub async fn get_invitation_v1(
    rqctx: RequestContext<ApiContext>,
    _accept: Accept<1, 0>,
    path: Path<GetInvitationV1Path>,
) -> Result<HttpResponseOk<types::InvitationV1>, ApiError> {
    let ctx = rqctx.context();
    let path = path.into_inner();
    let invitation =
        public_api::agent_invitation(&rqctx, &path.arn, &path.invitation_id, &SERVICES).await?;
    let links = ClientActionLinks::for_agency(ctx, &invitation.arn).await?;
    Ok(HttpResponseOk(view(
        &invitation,
        ctx.authorisations.now(),
        &links,
    )))
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
        service: public_service_name(invitation.service)
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
