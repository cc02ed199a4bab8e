//! The generated API traits, implemented: each handler authenticates, turns the request into domain
//! terms, calls the domain, and shapes the answer. No rule lives here.

mod agent_authorisation_v2;
mod sandbox;

use std::sync::OnceLock;

use dropshot::{
    HttpResponseCreated, HttpResponseHeaders, HttpResponseOk, HttpResponseUpdatedNoContent, Path, RequestContext,
    TypedBody,
};

use crate::api::generated::{ServerApi, agent_authorisation_v2 as v2, sandbox as sb};
use crate::api::{Accept, ApiError, OkOrNoContent, WithErrorHeaders};

use crate::domain::identifiers::Arn;
use crate::domain::principal::Principal;
use crate::domain::{Authorisations, DomainError};

/// What every handler can reach.
pub struct ApiContext {
    pub authorisations: Authorisations,
    /// The public base URL used in client action links; known once the server is bound.
    pub public_base_url: OnceLock<String>,
}

impl ApiContext {
    pub fn base_url(&self) -> &str {
        self.public_base_url.get().map(String::as_str).unwrap_or_default()
    }

    /// The caller, from its bearer token.
    pub async fn principal(&self, rqctx: &RequestContext<Self>) -> Result<Principal, DomainError> {
        let header = rqctx.request.headers().get(http::header::AUTHORIZATION);
        let header = header.map(|value| value.to_str().map_err(|_| DomainError::Unauthorized)).transpose()?;
        self.authorisations.authenticate(header).await
    }

    /// The caller as an agent of the agency in the path.
    pub async fn agent(&self, rqctx: &RequestContext<Self>, path_arn: &str) -> Result<Arn, DomainError> {
        self.principal(rqctx).await?.agent_for(path_arn)
    }
}

/// The server: each operation of `ServerApi` hands over to its API's handler module.
pub enum Server {}

impl ServerApi for Server {
    type Context = ApiContext;

    async fn list_invitations(
        rqctx: RequestContext<ApiContext>,
        accept: Accept<2, 0>,
        path: Path<v2::ListInvitationsPath>,
    ) -> Result<OkOrNoContent<v2::types::InvitationList>, ApiError> {
        agent_authorisation_v2::list_invitations(rqctx, accept, path).await
    }

    async fn create_invitation(
        rqctx: RequestContext<ApiContext>,
        accept: Accept<2, 0>,
        path: Path<v2::CreateInvitationPath>,
        body: TypedBody<v2::types::CreateInvitationRequest>,
    ) -> Result<WithErrorHeaders<HttpResponseHeaders<HttpResponseUpdatedNoContent, v2::LocationHeader>>, ApiError> {
        agent_authorisation_v2::create_invitation(rqctx, accept, path, body).await
    }

    async fn get_invitation(
        rqctx: RequestContext<ApiContext>,
        accept: Accept<2, 0>,
        path: Path<v2::GetInvitationPath>,
    ) -> Result<HttpResponseOk<v2::types::Invitation>, ApiError> {
        agent_authorisation_v2::get_invitation(rqctx, accept, path).await
    }

    async fn cancel_invitation(
        rqctx: RequestContext<ApiContext>,
        accept: Accept<2, 0>,
        path: Path<v2::CancelInvitationPath>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        agent_authorisation_v2::cancel_invitation(rqctx, accept, path).await
    }

    async fn check_relationship(
        rqctx: RequestContext<ApiContext>,
        accept: Accept<2, 0>,
        path: Path<v2::CheckRelationshipPath>,
        body: TypedBody<v2::types::CheckRelationshipRequest>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        agent_authorisation_v2::check_relationship(rqctx, accept, path, body).await
    }

    async fn deauthorise_client(
        rqctx: RequestContext<ApiContext>,
        accept: Accept<2, 0>,
        path: Path<v2::DeauthoriseClientPath>,
        body: TypedBody<v2::types::DeauthoriseClientRequest>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        agent_authorisation_v2::deauthorise_client(rqctx, accept, path, body).await
    }

    async fn create_test_agent(
        rqctx: RequestContext<ApiContext>,
        body: TypedBody<sb::types::CreateTestUserRequest>,
    ) -> Result<HttpResponseCreated<sb::types::TestAgent>, ApiError> {
        sandbox::create_test_agent(rqctx, body).await
    }

    async fn create_test_individual(
        rqctx: RequestContext<ApiContext>,
        body: TypedBody<sb::types::CreateTestUserRequest>,
    ) -> Result<HttpResponseCreated<sb::types::TestIndividual>, ApiError> {
        sandbox::create_test_individual(rqctx, body).await
    }

    async fn create_test_organisation(
        rqctx: RequestContext<ApiContext>,
        body: TypedBody<sb::types::CreateTestOrganisationRequest>,
    ) -> Result<HttpResponseCreated<sb::types::TestOrganisation>, ApiError> {
        sandbox::create_test_organisation(rqctx, body).await
    }

    async fn accept_invitation(
        rqctx: RequestContext<ApiContext>,
        path: Path<sb::AcceptInvitationPath>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        sandbox::accept_invitation(rqctx, path).await
    }

    async fn reject_invitation(
        rqctx: RequestContext<ApiContext>,
        path: Path<sb::RejectInvitationPath>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        sandbox::reject_invitation(rqctx, path).await
    }
}
