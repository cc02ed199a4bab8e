//! The generated API traits, implemented: each handler authenticates, turns the request into domain
//! terms, calls the domain, and shapes the answer. No rule lives here.

mod agent_authorisation_v1;
mod agent_authorisation_v2;
mod agent_client_authorisation;
pub mod client_action_link;
mod public_api;
mod sandbox;

use std::sync::OnceLock;

use dropshot::{
    HttpResponseCreated, HttpResponseHeaders, HttpResponseOk, HttpResponseUpdatedNoContent, Path,
    Query, RequestContext, TypedBody,
};

use crate::api::generated::{
    ServerApi, agent_authorisation_v1 as v1, agent_authorisation_v2 as v2,
    agent_client_authorisation as backend, sandbox as sb,
};
use crate::api::{
    Accept, ApiError, CreatedOrNoContent, CreatedWithLocation, LocationHeader, OkOrNoContent,
    WithErrorHeaders,
};

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
        self.public_base_url
            .get()
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The caller, from its bearer token.
    pub async fn principal(&self, rqctx: &RequestContext<Self>) -> Result<Principal, DomainError> {
        let header = rqctx.request.headers().get(http::header::AUTHORIZATION);
        let header = header
            .map(|value| value.to_str().map_err(|_| DomainError::Unauthorized))
            .transpose()?;
        self.authorisations.authenticate(header).await
    }

    /// The caller as an agent of the agency in the path.
    pub async fn agent(
        &self,
        rqctx: &RequestContext<Self>,
        path_arn: &str,
    ) -> Result<Arn, DomainError> {
        self.principal(rqctx).await?.agent_for(path_arn)
    }
}

/// The server: each operation of `ServerApi` hands over to its API's handler module.
pub enum Server {}

impl ServerApi for Server {
    type Context = ApiContext;

    async fn create_invitation_v1(
        rqctx: RequestContext<ApiContext>,
        accept: Accept<1, 0>,
        path: Path<v1::CreateInvitationV1Path>,
        body: TypedBody<v1::types::CreateInvitationRequestV1>,
    ) -> Result<
        WithErrorHeaders<HttpResponseHeaders<HttpResponseUpdatedNoContent, LocationHeader>>,
        ApiError,
    > {
        agent_authorisation_v1::create_invitation_v1(rqctx, accept, path, body).await
    }

    async fn get_invitation_v1(
        rqctx: RequestContext<ApiContext>,
        accept: Accept<1, 0>,
        path: Path<v1::GetInvitationV1Path>,
    ) -> Result<HttpResponseOk<v1::types::InvitationV1>, ApiError> {
        agent_authorisation_v1::get_invitation_v1(rqctx, accept, path).await
    }

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
    ) -> Result<
        WithErrorHeaders<HttpResponseHeaders<HttpResponseUpdatedNoContent, LocationHeader>>,
        ApiError,
    > {
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

    async fn expire_invitation(
        rqctx: RequestContext<ApiContext>,
        path: Path<sb::ExpireInvitationPath>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        sandbox::expire_invitation(rqctx, path).await
    }

    async fn create_sent_invitation(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::CreateSentInvitationPath>,
        body: TypedBody<backend::types::SentInvitationRequest>,
    ) -> Result<
        WithErrorHeaders<
            HttpResponseHeaders<
                HttpResponseCreated<backend::types::SentInvitation>,
                LocationHeader,
            >,
        >,
        ApiError,
    > {
        agent_client_authorisation::create_sent_invitation(rqctx, path, body).await
    }

    async fn list_sent_invitations(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::ListSentInvitationsPath>,
        query: Query<backend::ListSentInvitationsQuery>,
    ) -> Result<HttpResponseOk<backend::types::SentInvitationList>, ApiError> {
        agent_client_authorisation::list_sent_invitations(rqctx, path, query).await
    }

    async fn get_sent_invitation(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::GetSentInvitationPath>,
    ) -> Result<HttpResponseOk<backend::types::SentInvitation>, ApiError> {
        agent_client_authorisation::get_sent_invitation(rqctx, path).await
    }

    async fn cancel_sent_invitation(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::CancelSentInvitationPath>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        agent_client_authorisation::cancel_sent_invitation(rqctx, path).await
    }

    async fn create_multi_invitation_link(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::CreateMultiInvitationLinkPath>,
        body: TypedBody<backend::types::MultiInvitationRequest>,
    ) -> Result<CreatedWithLocation, ApiError> {
        agent_client_authorisation::create_multi_invitation_link(rqctx, path, body).await
    }

    async fn check_known_fact_postcode(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::CheckKnownFactPostcodePath>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        agent_client_authorisation::check_known_fact_postcode(rqctx, path).await
    }

    async fn check_known_fact_date_of_birth(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::CheckKnownFactDateOfBirthPath>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        agent_client_authorisation::check_known_fact_date_of_birth(rqctx, path).await
    }

    async fn check_known_fact_vat_registration_date(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::CheckKnownFactVatRegistrationDatePath>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        agent_client_authorisation::check_known_fact_vat_registration_date(rqctx, path).await
    }

    async fn check_agent_relationship(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::CheckAgentRelationshipPath>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        agent_client_authorisation::check_agent_relationship(rqctx, path).await
    }

    async fn end_agent_relationship(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::EndAgentRelationshipPath>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        agent_client_authorisation::end_agent_relationship(rqctx, path).await
    }

    async fn list_received_invitations(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::ListReceivedInvitationsPath>,
        query: Query<backend::ListReceivedInvitationsQuery>,
    ) -> Result<HttpResponseOk<backend::types::ReceivedInvitations>, ApiError> {
        agent_client_authorisation::list_received_invitations(rqctx, path, query).await
    }

    async fn get_received_invitation(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::GetReceivedInvitationPath>,
    ) -> Result<HttpResponseOk<backend::types::ReceivedInvitation>, ApiError> {
        agent_client_authorisation::get_received_invitation(rqctx, path).await
    }

    async fn accept_received_invitation(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::AcceptReceivedInvitationPath>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        agent_client_authorisation::accept_received_invitation(rqctx, path).await
    }

    async fn reject_received_invitation(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::RejectReceivedInvitationPath>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        agent_client_authorisation::reject_received_invitation(rqctx, path).await
    }

    async fn end_client_relationship(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::EndClientRelationshipPath>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        agent_client_authorisation::end_client_relationship(rqctx, path).await
    }

    async fn client_status(
        rqctx: RequestContext<ApiContext>,
    ) -> Result<HttpResponseOk<backend::types::ClientStatus>, ApiError> {
        agent_client_authorisation::client_status(rqctx).await
    }

    async fn update_alt_itsa(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::UpdateAltItsaPath>,
    ) -> Result<CreatedOrNoContent, ApiError> {
        agent_client_authorisation::update_alt_itsa(rqctx, path).await
    }

    async fn replace_urn_with_utr(
        rqctx: RequestContext<ApiContext>,
        path: Path<backend::ReplaceUrnWithUtrPath>,
    ) -> Result<CreatedOrNoContent, ApiError> {
        agent_client_authorisation::replace_urn_with_utr(rqctx, path).await
    }

    async fn sign_up_mtd_income_tax(
        rqctx: RequestContext<ApiContext>,
        path: Path<sb::SignUpMtdIncomeTaxPath>,
    ) -> Result<HttpResponseOk<sb::types::MtdIncomeTaxSignUp>, ApiError> {
        sandbox::sign_up_mtd_income_tax(rqctx, path).await
    }
}
