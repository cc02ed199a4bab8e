//! Agent Client Authorisation, the backend (`openapi/agent-client-authorisation.yaml`).

use std::collections::HashMap;

use dropshot::{
    HttpResponseCreated, HttpResponseHeaders, HttpResponseOk, HttpResponseUpdatedNoContent,
    RequestContext,
};

use super::ApiContext;
use super::client_action_link::ClientActionLinks;
use crate::api::generated::agent_client_authorisation::{self as contract, types};
use crate::api::{
    ApiError, CreatedOrNoContent, CreatedWithLocation, JsonBody, LocationHeader, Path, Query,
    Timestamp,
};
use crate::domain::agency::Agency;
use crate::domain::client_access::{ClientEnrolmentKind, ClientScope};
use crate::domain::identifiers::Arn;
use crate::domain::invitation::{EndedBy, Invitation, Status, origin_from_header};
use crate::domain::invitation_id::InvitationId;
use crate::domain::invitations::{ClientFilter, SentFilter};
use crate::domain::maintenance::Outcome;
use crate::domain::request::BackendRequest;
use crate::domain::service::{ClientType, Service};
use crate::domain::{DomainError, hold};

const BASE: &str = "/agent-client-authorisation";

type Created = HttpResponseHeaders<HttpResponseCreated<types::SentInvitation>, LocationHeader>;

pub async fn create_sent_invitation(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::CreateSentInvitationPath>,
    body: JsonBody<types::SentInvitationRequest>,
) -> Result<Created, ApiError> {
    let ctx = rqctx.context();
    let path_arn = path.into_inner().arn;
    async {
        let arn = ctx.agent(&rqctx, &path_arn).await?;
        let body = body.into_inner();
        let request = BackendRequest {
            service: &body.service,
            client_type: Some(&body.client_type),
            client_id_type: &body.client_id_type,
            client_id: &body.client_id,
        }
        .validate()?;
        let origin = rqctx.request.headers().get(http::header::ORIGIN);
        let origin = origin_from_header(origin.map(http::HeaderValue::as_bytes));
        let create = ctx.authorisations.create_invitation(&arn, &request, origin);
        let id = hold::within(ctx.hold(&rqctx), create).await?;
        let invitation = ctx
            .authorisations
            .agent_invitation(&arn, &id, &Service::ALL)
            .await?;
        let view = SentViews::new(ctx, &arn).await?.view(&invitation);
        Ok(HttpResponseHeaders::new(
            HttpResponseCreated(view),
            LocationHeader {
                location: sent_location(arn.as_str(), &id),
            },
        ))
    }
    .await
    .map_err(|error| match error {
        DomainError::DuplicateAuthorisationRequest { ref existing } => {
            let location = sent_location(&path_arn, existing);
            ApiError::from(error).with_location(location)
        }
        other => ApiError::from(other),
    })
}

pub async fn list_sent_invitations(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::ListSentInvitationsPath>,
    query: Query<contract::ListSentInvitationsQuery>,
) -> Result<HttpResponseOk<types::SentInvitationList>, ApiError> {
    let ctx = rqctx.context();
    let arn = ctx.agent(&rqctx, &path.into_inner().arn).await?;
    let query = query.into_inner();
    let filter = SentFilter {
        service: query
            .service
            .as_deref()
            .map(|s| Service::from_id(s).ok_or(DomainError::BadRequest))
            .transpose()?,
        status: query
            .status
            .as_deref()
            .map(|s| Status::parse_ignoring_case(s).ok_or(DomainError::BadRequest))
            .transpose()?,
        created_on_or_after: query.created_on_or_after,
        client: match (query.client_id_type.as_deref(), query.client_id.as_deref()) {
            (None, None) => None,
            (Some(id_type), Some(id)) => {
                Some(ClientFilter::parse(id_type, id).ok_or(DomainError::BadRequest)?)
            }
            _ => return Err(DomainError::BadRequest.into()),
        },
    };
    let invitations = ctx.authorisations.sent_invitations(&arn, &filter).await?;
    let views = SentViews::new(ctx, &arn).await?;
    Ok(HttpResponseOk(types::SentInvitationList(
        invitations.iter().map(|i| views.view(i)).collect(),
    )))
}

pub async fn get_sent_invitation(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::GetSentInvitationPath>,
) -> Result<HttpResponseOk<types::SentInvitation>, ApiError> {
    let ctx = rqctx.context();
    let path = path.into_inner();
    let id = parse_id(&path.invitation_id)?;
    let arn = ctx.agent(&rqctx, &path.arn).await?;
    let invitation = ctx
        .authorisations
        .agent_invitation(&arn, &id, &Service::ALL)
        .await?;
    Ok(HttpResponseOk(
        SentViews::new(ctx, &arn).await?.view(&invitation),
    ))
}

pub async fn cancel_sent_invitation(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::CancelSentInvitationPath>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    let ctx = rqctx.context();
    let path = path.into_inner();
    let id = parse_id(&path.invitation_id)?;
    let arn = ctx.agent(&rqctx, &path.arn).await?;
    ctx.authorisations
        .cancel_invitation(&arn, &id, &Service::ALL)
        .await?;
    Ok(HttpResponseUpdatedNoContent())
}

pub async fn create_multi_invitation_link(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::CreateMultiInvitationLinkPath>,
    body: JsonBody<types::MultiInvitationRequest>,
) -> Result<CreatedWithLocation, ApiError> {
    let ctx = rqctx.context();
    let arn = ctx.agent(&rqctx, &path.into_inner().arn).await?;
    let body = body.into_inner();
    let client_type =
        ClientType::parse(&body.client_type).ok_or(DomainError::ClientTypeNotSupported)?;
    if body.invitation_ids.is_empty() {
        return Err(DomainError::BadRequest.into());
    }
    let ids = body
        .invitation_ids
        .iter()
        .map(|id| parse_id(id))
        .collect::<Result<Vec<_>, _>>()?;
    let (uid, name) = ctx.authorisations.multi_invitation_link(&arn, &ids).await?;
    Ok(CreatedWithLocation(format!(
        "/invitations/{}/{uid}/{name}",
        client_type.as_str()
    )))
}

pub async fn check_known_fact_postcode(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::CheckKnownFactPostcodePath>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    let ctx = rqctx.context();
    ctx.principal(&rqctx).await?.agent()?;
    let path = path.into_inner();
    ctx.authorisations
        .check_postcode(&path.nino, &path.postcode)
        .await?;
    Ok(HttpResponseUpdatedNoContent())
}

pub async fn check_known_fact_date_of_birth(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::CheckKnownFactDateOfBirthPath>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    let ctx = rqctx.context();
    ctx.principal(&rqctx).await?.agent()?;
    let path = path.into_inner();
    ctx.authorisations
        .check_date_of_birth(&path.nino, &path.dob)
        .await?;
    Ok(HttpResponseUpdatedNoContent())
}

pub async fn check_known_fact_vat_registration_date(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::CheckKnownFactVatRegistrationDatePath>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    let ctx = rqctx.context();
    ctx.principal(&rqctx).await?.agent()?;
    let path = path.into_inner();
    ctx.authorisations
        .check_vat_registration_date(&path.vrn, &path.vat_registration_date)
        .await?;
    Ok(HttpResponseUpdatedNoContent())
}

pub async fn check_agent_relationship(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::CheckAgentRelationshipPath>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    let ctx = rqctx.context();
    let path = path.into_inner();
    let arn = ctx.agent(&rqctx, &path.arn).await?;
    let request = BackendRequest {
        service: &path.service,
        client_type: None,
        client_id_type: &path.client_id_type,
        client_id: &path.client_id,
    }
    .validate()?;
    ctx.authorisations.has_relationship(&arn, &request).await?;
    Ok(HttpResponseUpdatedNoContent())
}

pub async fn end_agent_relationship(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::EndAgentRelationshipPath>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    let ctx = rqctx.context();
    let path = path.into_inner();
    // The agent, or HMRC staff ending any agent's relationship (ended by HMRC).
    let caller = ctx.principal(&rqctx).await?;
    let (arn, by) = if caller.is_hmrc_staff() {
        let arn = Arn::parse(&path.arn).ok_or(DomainError::BadRequest)?;
        (arn, EndedBy::Hmrc)
    } else {
        (caller.agent_for(&path.arn)?, EndedBy::Agent)
    };
    let request = BackendRequest {
        service: &path.service,
        client_type: None,
        client_id_type: &path.client_id_type,
        client_id: &path.client_id,
    }
    .validate()?;
    ctx.authorisations
        .end_relationship(&arn, &request, &[request.service], by)
        .await?;
    Ok(HttpResponseUpdatedNoContent())
}

pub async fn list_received_invitations(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::ListReceivedInvitationsPath>,
    query: Query<contract::ListReceivedInvitationsQuery>,
) -> Result<HttpResponseOk<types::ReceivedInvitations>, ApiError> {
    let ctx = rqctx.context();
    let path = path.into_inner();
    let status = query.into_inner().status;
    let status = status
        .as_deref()
        .map(|s| Status::parse_ignoring_case(s).ok_or(DomainError::BadRequest))
        .transpose()?;
    let scope = client_scope(ctx, &rqctx, &path.service, &path.client_id).await?;
    let invitations = ctx
        .authorisations
        .client_invitations(&scope, status)
        .await?;
    let views = ReceivedViews::new(ctx, &scope, &invitations).await?;
    let embedded: Vec<types::ReceivedInvitation> =
        invitations.iter().map(|i| views.view(i)).collect();
    let mut self_href = format!(
        "{BASE}/clients/{}/{}/invitations/received",
        scope.kind.path_name, scope.client_id
    );
    if let Some(status) = status {
        self_href.push_str(&format!("?status={}", status.as_str()));
    }
    Ok(HttpResponseOk(types::ReceivedInvitations {
        links: types::ReceivedInvitationsLinks {
            self_: types::Link { href: self_href },
            invitations: embedded
                .iter()
                .skip(usize::from(hal_links_one_short()))
                .map(|i| i.links.self_.clone())
                .collect(),
        },
        embedded: types::EmbeddedInvitations {
            invitations: embedded,
        },
    }))
}

pub async fn get_received_invitation(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::GetReceivedInvitationPath>,
) -> Result<HttpResponseOk<types::ReceivedInvitation>, ApiError> {
    let ctx = rqctx.context();
    let path = path.into_inner();
    let id = parse_id(&path.invitation_id)?;
    let scope = client_scope(ctx, &rqctx, &path.service, &path.client_id).await?;
    let invitation = ctx.authorisations.client_invitation(&scope, &id).await?;
    let views = ReceivedViews::new(ctx, &scope, std::slice::from_ref(&invitation)).await?;
    Ok(HttpResponseOk(views.view(&invitation)))
}

pub async fn accept_received_invitation(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::AcceptReceivedInvitationPath>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    let ctx = rqctx.context();
    let path = path.into_inner();
    let id = parse_id(&path.invitation_id)?;
    let scope = client_scope(ctx, &rqctx, &path.service, &path.client_id).await?;
    ctx.authorisations.accept_as_client(&scope, &id).await?;
    Ok(HttpResponseUpdatedNoContent())
}

pub async fn reject_received_invitation(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::RejectReceivedInvitationPath>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    let ctx = rqctx.context();
    let path = path.into_inner();
    let id = parse_id(&path.invitation_id)?;
    let scope = client_scope(ctx, &rqctx, &path.service, &path.client_id).await?;
    ctx.authorisations.reject_as_client(&scope, &id).await?;
    Ok(HttpResponseUpdatedNoContent())
}

pub async fn end_client_relationship(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::EndClientRelationshipPath>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    let ctx = rqctx.context();
    let path = path.into_inner();
    let id = parse_id(&path.invitation_id)?;
    let scope = client_scope(ctx, &rqctx, &path.service, &path.client_id).await?;
    ctx.authorisations.end_as_client(&scope, &id).await?;
    Ok(HttpResponseUpdatedNoContent())
}

pub async fn client_status(
    rqctx: RequestContext<ApiContext>,
) -> Result<HttpResponseOk<types::ClientStatus>, ApiError> {
    let ctx = rqctx.context();
    let principal = ctx.principal(&rqctx).await?;
    let status = ctx.authorisations.client_status(&principal).await?;
    Ok(HttpResponseOk(types::ClientStatus {
        has_pending_invitations: status.has_pending_invitations,
        has_invitations_history: status.has_invitations_history,
        has_existing_relationships: status.has_existing_relationships,
    }))
}

pub async fn update_alt_itsa(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::UpdateAltItsaPath>,
) -> Result<CreatedOrNoContent, ApiError> {
    let path = path.into_inner();
    let ctx = rqctx.context();
    ctx.principal(&rqctx).await?.hmrc_staff()?;
    let outcome = ctx
        .authorisations
        .update_alt_itsa(&path.service, &path.nino)
        .await?;
    Ok(created_or_no_content(outcome))
}

pub async fn replace_urn_with_utr(
    rqctx: RequestContext<ApiContext>,
    path: Path<contract::ReplaceUrnWithUtrPath>,
) -> Result<CreatedOrNoContent, ApiError> {
    let path = path.into_inner();
    let ctx = rqctx.context();
    ctx.principal(&rqctx).await?.hmrc_staff()?;
    let outcome = ctx
        .authorisations
        .replace_urn_with_utr(&path.urn, &path.utr)
        .await?;
    Ok(created_or_no_content(outcome))
}

fn created_or_no_content(outcome: Outcome) -> CreatedOrNoContent {
    match outcome {
        Outcome::RelationshipCreated => CreatedOrNoContent::Created,
        Outcome::Updated => CreatedOrNoContent::NoContent,
    }
}

fn parse_id(text: &str) -> Result<InvitationId, DomainError> {
    InvitationId::parse(text).ok_or(DomainError::BadRequest)
}

/// The caller as the client `{service}/{clientId}` names; an unknown segment is malformed before
/// anything else is looked at.
async fn client_scope(
    ctx: &ApiContext,
    rqctx: &RequestContext<ApiContext>,
    service: &str,
    client_id: &str,
) -> Result<ClientScope, DomainError> {
    ClientEnrolmentKind::by_path_name(service).ok_or(DomainError::BadRequest)?;
    let principal = ctx.principal(rqctx).await?;
    ClientScope::resolve(&principal, service, client_id)
}

fn sent_location(arn: &str, id: &InvitationId) -> String {
    format!("{BASE}/agencies/{arn}/invitations/sent/{id}")
}

/// Shapes one agency's invitations as the agent sees them.
struct SentViews {
    now: chrono::DateTime<chrono::Utc>,
    links: ClientActionLinks,
}

impl SentViews {
    async fn new(ctx: &ApiContext, arn: &Arn) -> Result<Self, DomainError> {
        Ok(Self {
            now: ctx.authorisations.now(),
            links: ClientActionLinks::for_agency(ctx, arn.as_str()).await?,
        })
    }

    fn view(&self, invitation: &Invitation) -> types::SentInvitation {
        let status = invitation.status_at(self.now);
        types::SentInvitation {
            links: types::Links {
                self_: types::Link {
                    href: sent_location(&invitation.arn, &invitation.id),
                },
            },
            invitation_id: invitation.id.to_string(),
            arn: invitation.arn.clone(),
            service: invitation.service.id().to_owned(),
            client_type: invitation.client_type.clone(),
            client_id_type: invitation.client_id_type.clone(),
            client_id: invitation.client_id.clone(),
            supplied_client_id_type: invitation.supplied_client_id_type.clone(),
            supplied_client_id: invitation.supplied_client_id.clone(),
            status: status.as_str().to_owned(),
            created: Timestamp(invitation.created_at),
            last_updated: Timestamp(invitation.updated_at(self.now)),
            expiry_date: invitation.expires_on,
            client_action_url: (status == Status::Pending)
                .then(|| self.links.link(invitation.service)),
            relationship_ended_by: invitation.relationship_ended_by.clone(),
        }
    }
}

/// Shapes invitations as the client sees them, with their agencies and the client's name.
struct ReceivedViews<'a> {
    now: chrono::DateTime<chrono::Utc>,
    scope: &'a ClientScope,
    agencies: HashMap<String, ReceivedAgency>,
    client_names: HashMap<(String, String), String>,
}

/// What a received invitation shows of its agency.
struct ReceivedAgency {
    agency: Option<Agency>,
    links: ClientActionLinks,
}

impl<'a> ReceivedViews<'a> {
    async fn new(
        ctx: &ApiContext,
        scope: &'a ClientScope,
        invitations: &[Invitation],
    ) -> Result<Self, DomainError> {
        let mut agencies = HashMap::new();
        let mut client_names = HashMap::new();
        for invitation in invitations {
            if !agencies.contains_key(&invitation.arn) {
                let agency = ctx.authorisations.agency(&invitation.arn).await?;
                let links = ClientActionLinks::of(ctx, agency.as_ref());
                agencies.insert(invitation.arn.clone(), ReceivedAgency { agency, links });
            }
            let client = (
                invitation.supplied_client_id_type.clone(),
                invitation.supplied_client_id.clone(),
            );
            if !client_names.contains_key(&client)
                && let Some(name) = ctx.authorisations.client_name(invitation).await?
            {
                client_names.insert(client, name);
            }
        }
        Ok(Self {
            now: ctx.authorisations.now(),
            scope,
            agencies,
            client_names,
        })
    }

    fn view(&self, invitation: &Invitation) -> types::ReceivedInvitation {
        let status = invitation.status_at(self.now);
        let href = format!(
            "{BASE}/clients/{}/{}/invitations/received/{}",
            self.scope.kind.path_name, self.scope.client_id, invitation.id
        );
        let pending = status == Status::Pending;
        let received = self.agencies.get(&invitation.arn);
        let agency = received.and_then(|r| r.agency.as_ref());
        types::ReceivedInvitation {
            links: types::ReceivedInvitationLinks {
                accept: pending.then(|| types::Link {
                    href: format!("{href}/accept"),
                }),
                reject: pending.then(|| types::Link {
                    href: format!("{href}/reject"),
                }),
                self_: types::Link { href },
            },
            invitation_id: invitation.id.to_string(),
            arn: invitation.arn.clone(),
            agency_name: agency.map(|a| a.name.clone()),
            service: invitation.service.id().to_owned(),
            client_type: invitation.client_type.clone(),
            client_id_type: invitation.client_id_type.clone(),
            client_id: invitation.client_id.clone(),
            supplied_client_id_type: invitation.supplied_client_id_type.clone(),
            supplied_client_id: invitation.supplied_client_id.clone(),
            status: status.as_str().to_owned(),
            created: Timestamp(invitation.created_at),
            last_updated: Timestamp(invitation.updated_at(self.now)),
            expiry_date: invitation.expires_on,
            is_relationship_ended: status == Status::Deauthorised,
            relationship_ended_by: invitation.relationship_ended_by.clone(),
            client_action_url: received
                .filter(|_| pending)
                .map(|r| r.links.link(invitation.service)),
            details_for_email: self.details_for_email(invitation, agency),
            origin: invitation.origin.clone(),
        }
    }

    fn details_for_email(
        &self,
        invitation: &Invitation,
        agency: Option<&Agency>,
    ) -> types::DetailsForEmail {
        let client = (
            invitation.supplied_client_id_type.clone(),
            invitation.supplied_client_id.clone(),
        );
        types::DetailsForEmail {
            agency_email: agency.map(|a| a.email.clone()).unwrap_or_default(),
            agency_name: agency.map(|a| a.name.clone()).unwrap_or_default(),
            client_name: self.client_names.get(&client).cloned().unwrap_or_default(),
        }
    }
}

/// Whether the mutation proof's `hal-links-one-short` fault is on (never in a real build).
fn hal_links_one_short() -> bool {
    #[cfg(feature = "fault-injection")]
    if crate::fault::active("hal-links-one-short") {
        return true;
    }
    false
}
