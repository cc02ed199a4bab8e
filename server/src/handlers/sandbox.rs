//! The sandbox (`openapi/sandbox.yaml`): test users and answering as the client would.

use dropshot::{HttpResponseCreated, HttpResponseOk, HttpResponseUpdatedNoContent, RequestContext};

use super::ApiContext;
use crate::api::generated::sandbox::types;
use crate::api::generated::sandbox::{
    AcceptInvitationPath, ExpireInvitationPath, RejectInvitationPath, SetInvitationCreatedPath,
    SignUpMtdIncomeTaxPath,
};
use crate::api::{ApiError, JsonBody, Path};
use crate::domain::invitation_id::InvitationId;
use crate::domain::test_users::{Address, TestUser, TestUserKind};
use crate::domain::{DomainError, hold};

pub async fn create_test_agent(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<types::CreateTestUserRequest>,
) -> Result<HttpResponseCreated<types::TestAgent>, ApiError> {
    let body = body.into_inner();
    let lifetime = token_lifetime(body.token_lifetime_seconds)?;
    let authorisations = &rqctx.context().authorisations;
    let user = authorisations
        .create_test_user_with_token_lifetime(
            TestUserKind::Agent,
            &body.service_names,
            false,
            lifetime,
        )
        .await?;
    Ok(HttpResponseCreated(types::TestAgent {
        agent_services_account_number: user.arn.as_ref().map(ToString::to_string),
        agency_name: user
            .agency_name
            .clone()
            .unwrap_or_else(|| user.full_name.clone()),
        access_token: user.access_token,
        email_address: user.email,
        password: user.password,
        user_full_name: user.full_name,
        user_id: user.user_id,
    }))
}

pub async fn create_test_individual(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<types::CreateTestUserRequest>,
) -> Result<HttpResponseCreated<types::TestIndividual>, ApiError> {
    let body = body.into_inner();
    let lifetime = token_lifetime(body.token_lifetime_seconds)?;
    let authorisations = &rqctx.context().authorisations;
    let user = authorisations
        .create_test_user_with_token_lifetime(
            TestUserKind::Individual,
            &body.service_names,
            false,
            lifetime,
        )
        .await?;
    Ok(HttpResponseCreated(types::TestIndividual {
        individual_details: types::IndividualDetails {
            address: address(&user.address),
            date_of_birth: user.date_of_birth,
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
        },
        mtd_it_id: user.mtditid.as_ref().map(ToString::to_string),
        nino: user.nino.as_ref().map(ToString::to_string),
        sa_utr: user.sa_utr.as_ref().map(ToString::to_string),
        vat_registration_date: user.vat_registration_date,
        vrn: user.vrn.as_ref().map(ToString::to_string),
        cgt_pd_ref: user.cgt_reference.as_ref().map(ToString::to_string),
        access_token: user.access_token,
        email_address: user.email,
        password: user.password,
        user_full_name: user.full_name,
        user_id: user.user_id,
    }))
}

pub async fn create_test_organisation(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<types::CreateTestOrganisationRequest>,
) -> Result<HttpResponseCreated<types::TestOrganisation>, ApiError> {
    let body = body.into_inner();
    let insolvent = body.insolvent.unwrap_or(false);
    let authorisations = &rqctx.context().authorisations;
    let lifetime = token_lifetime(body.token_lifetime_seconds)?;
    let user: TestUser = authorisations
        .create_test_user_with_token_lifetime(
            TestUserKind::Organisation,
            &body.service_names,
            insolvent,
            lifetime,
        )
        .await?;
    Ok(HttpResponseCreated(types::TestOrganisation {
        organisation_details: types::OrganisationDetails {
            address: address(&user.address),
            name: user
                .organisation_name
                .clone()
                .unwrap_or_else(|| user.full_name.clone()),
        },
        vat_registration_date: user.vat_registration_date,
        vrn: user.vrn.as_ref().map(ToString::to_string),
        cgt_pd_ref: user.cgt_reference.as_ref().map(ToString::to_string),
        ppt_reference: user.ppt_reference.as_ref().map(ToString::to_string),
        ppt_registration_date: user.ppt_registration_date,
        sa_utr: user.trust_utr.as_ref().map(ToString::to_string),
        urn: user.urn.as_ref().map(ToString::to_string),
        access_token: user.access_token,
        email_address: user.email,
        password: user.password,
        user_full_name: user.full_name,
        user_id: user.user_id,
    }))
}

pub async fn accept_invitation(
    rqctx: RequestContext<ApiContext>,
    path: Path<AcceptInvitationPath>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    // The id, then the caller, then the request (docs/domain.md §10).
    let id =
        InvitationId::parse(&path.into_inner().invitation_id).ok_or(DomainError::BadRequest)?;
    let ctx = rqctx.context();
    let caller = ctx.principal(&rqctx).await?;
    let accept = ctx.authorisations.accept_invitation(&caller, &id);
    hold::within(ctx.hold(&rqctx), accept).await?;
    Ok(HttpResponseUpdatedNoContent())
}

pub async fn reject_invitation(
    rqctx: RequestContext<ApiContext>,
    path: Path<RejectInvitationPath>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    // The id, then the caller, then the request (docs/domain.md §10).
    let id =
        InvitationId::parse(&path.into_inner().invitation_id).ok_or(DomainError::BadRequest)?;
    let ctx = rqctx.context();
    let caller = ctx.principal(&rqctx).await?;
    ctx.authorisations.reject_invitation(&caller, &id).await?;
    Ok(HttpResponseUpdatedNoContent())
}

pub async fn expire_invitation(
    rqctx: RequestContext<ApiContext>,
    path: Path<ExpireInvitationPath>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    // The id, then the caller, then the request (docs/domain.md §10).
    let id =
        InvitationId::parse(&path.into_inner().invitation_id).ok_or(DomainError::BadRequest)?;
    let ctx = rqctx.context();
    let caller = ctx.principal(&rqctx).await?;
    ctx.authorisations.expire_invitation(&caller, &id).await?;
    Ok(HttpResponseUpdatedNoContent())
}

pub async fn set_invitation_created(
    rqctx: RequestContext<ApiContext>,
    path: Path<SetInvitationCreatedPath>,
    body: JsonBody<types::InvitationAge>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    // The id, then the age, then the caller, then the request (docs/domain.md §10).
    let id =
        InvitationId::parse(&path.into_inner().invitation_id).ok_or(DomainError::BadRequest)?;
    let age_seconds = body.into_inner().age_seconds;
    if age_seconds < 0 {
        return Err(DomainError::BadRequest.into());
    }
    let ctx = rqctx.context();
    let caller = ctx.principal(&rqctx).await?;
    ctx.authorisations
        .set_invitation_age(&caller, &id, age_seconds)
        .await?;
    Ok(HttpResponseUpdatedNoContent())
}

pub async fn create_test_hmrc_staff(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<types::CreateTestHmrcStaffRequest>,
) -> Result<HttpResponseCreated<types::TestHmrcStaff>, ApiError> {
    let lifetime = token_lifetime(body.into_inner().token_lifetime_seconds)?;
    let user = rqctx
        .context()
        .authorisations
        .create_test_user_with_token_lifetime(TestUserKind::HmrcStaff, &[], false, lifetime)
        .await?;
    Ok(HttpResponseCreated(types::TestHmrcStaff {
        access_token: user.access_token,
        email_address: user.email,
        password: user.password,
        user_full_name: user.full_name,
        user_id: user.user_id,
    }))
}

/// `tokenLifetimeSeconds` as a duration. The domain caps lifetimes at a century and refuses negative
/// ones; capping the seconds here first keeps huge values from overflowing a `Duration`.
fn token_lifetime(seconds: Option<i64>) -> Result<Option<chrono::Duration>, DomainError> {
    const CENTURY: i64 = 100 * 366 * 24 * 60 * 60;
    seconds
        .map(|seconds| {
            chrono::Duration::try_seconds(seconds.min(CENTURY)).ok_or(DomainError::BadRequest)
        })
        .transpose()
}

fn address(address: &Address) -> types::Address {
    types::Address {
        line1: address.line1.clone(),
        line2: address.line2.clone(),
        postcode: address.postcode.clone(),
    }
}

pub async fn sign_up_mtd_income_tax(
    rqctx: RequestContext<ApiContext>,
    path: Path<SignUpMtdIncomeTaxPath>,
) -> Result<HttpResponseOk<types::MtdIncomeTaxSignUp>, ApiError> {
    let ctx = rqctx.context();
    let caller = ctx.principal(&rqctx).await?;
    let mtditid = ctx
        .authorisations
        .sign_up_mtd_income_tax(&caller, &path.into_inner().nino)
        .await?;
    Ok(HttpResponseOk(types::MtdIncomeTaxSignUp {
        mtd_it_id: mtditid.to_string(),
    }))
}
