//! The page a multi-invitation link opens, `/invitations/{clientType}/{uid}/{normalised agency name}`
//! (docs/domain.md §8): the agency, and each journey a client of that type may answer its requests through,
//! linking to that journey's client action link, where the client signs in and answers.

use askama::Template;
use dropshot::{Body, HttpError, Path, RequestContext, endpoint};
use http::{Response, StatusCode};
use schemars::JsonSchema;
use serde::Deserialize;

use super::client_journey::journey_title;
use super::page::{Page, PageError, respond};
use crate::domain::client_journey::Journey;
use crate::domain::service::ClientType;
use crate::handlers::ApiContext;
use crate::handlers::client_action_link::ClientActionLinks;

#[derive(Debug, Deserialize, JsonSchema)]
struct MultiInvitationPath {
    client_type: String,
    uid: String,
    agency_name: String,
}

#[derive(Template)]
#[template(path = "client_journey/agency.html")]
struct AgencyPage {
    agency_name: String,
    journeys: Vec<JourneyLink>,
}

struct JourneyLink {
    title: &'static str,
    href: String,
}

#[endpoint {
    method = GET,
    path = "/invitations/{client_type}/{uid}/{agency_name}",
    unpublished = true,
}]
pub(super) async fn agency_page(
    rqctx: RequestContext<ApiContext>,
    path: Path<MultiInvitationPath>,
) -> Result<Response<Body>, HttpError> {
    let path = path.into_inner();
    Ok(respond(page(&rqctx, &path).await, None))
}

async fn page(
    rqctx: &RequestContext<ApiContext>,
    path: &MultiInvitationPath,
) -> Result<Page, PageError> {
    // PostgreSQL cannot store a NUL: a link holding one is refused before any query (docs/domain.md §9).
    if [&path.uid, &path.agency_name]
        .iter()
        .any(|s| s.contains('\0'))
    {
        return Err(PageError::BadForm);
    }
    let client_type = ClientType::parse(&path.client_type).ok_or(PageError::LinkNotFound)?;
    let ctx = rqctx.context();
    let agency = ctx
        .authorisations
        .linked_agency(&path.uid, &path.agency_name)
        .await?
        .ok_or(PageError::LinkNotFound)?;
    let links = ClientActionLinks::of(ctx, Some(&agency));
    let journeys = Journey::for_client_type(client_type)
        .into_iter()
        .map(|journey| JourneyLink {
            title: journey_title(journey),
            href: links.journey_link(journey),
        })
        .collect();
    let page = AgencyPage {
        agency_name: agency.name,
        journeys,
    };
    Page::html(StatusCode::OK, &page)
}
