//! The pages a client action link opens: the request page (sign in, then the client's requests from the
//! agency with Accept and Decline), sign-out, the answer, and its confirmation.

use askama::Template;
use chrono::{DateTime, Days, NaiveDate, Utc};
use dropshot::{
    ApiDescription, ApiDescriptionRegisterError, Body, HttpError, Path, RequestContext, endpoint,
};
use http::{Response, StatusCode};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::page::{Page, PageError, respond};
use super::session::{self, Visitor};
use crate::api::FormBody;
use crate::domain::DomainError;
use crate::domain::agency::normalise_agency_name;
use crate::domain::client_journey::{AgencyLink, Journey, RequestsFromAgency};
use crate::domain::invitation::{Invitation, Status};
use crate::domain::invitation_id::InvitationId;
use crate::domain::service::Service;
use crate::domain::sessions::{SessionCookie, SignIn, WebSession};
use crate::handlers::ApiContext;
use crate::handlers::client_action_link::CLIENT_ACTION_LINK_PREFIX;

pub fn register(api: &mut ApiDescription<ApiContext>) -> Result<(), ApiDescriptionRegisterError> {
    api.register(request_page)?;
    api.register(sign_in)?;
    api.register(sign_out)?;
    api.register(answer)?;
    api.register(answered)
}

/// The parts of a client action link (docs/domain.md §8).
#[derive(Debug, Deserialize, JsonSchema)]
struct LinkPath {
    uid: String,
    agency_name: String,
    journey: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct AnsweredPath {
    uid: String,
    agency_name: String,
    journey: String,
    invitation_id: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SignInForm {
    csrf_token: String,
    user_id: String,
    password: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SignOutForm {
    csrf_token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AnswerForm {
    csrf_token: String,
    invitation_id: String,
    decision: String,
}

#[endpoint {
    method = GET,
    path = "/appoint-someone-to-deal-with-HMRC-for-you/{uid}/{agency_name}/{journey}",
    unpublished = true,
}]
async fn request_page(
    rqctx: RequestContext<ApiContext>,
    path: Path<LinkPath>,
) -> Result<Response<Body>, HttpError> {
    let path = path.into_inner();
    let page = async |link: AgencyLink, _: LinkPaths| {
        let visitor = session::visitor(&rqctx).await?;
        let page = RequestPage::build(&rqctx, &link, &visitor, SignInAttempt::default()).await?;
        let set = match &visitor {
            Visitor::SignedOut {
                new_cookie: Some(cookie),
                ..
            } => Some(set_cookie(&rqctx, Some(cookie))),
            _ => None,
        };
        Ok(Page::html(StatusCode::OK, &page)?.with_cookie(set))
    };
    Ok(on_link(&rqctx, &path, page).await)
}

#[endpoint {
    method = POST,
    path = "/appoint-someone-to-deal-with-HMRC-for-you/{uid}/{agency_name}/{journey}/sign-in",
    unpublished = true,
}]
async fn sign_in(
    rqctx: RequestContext<ApiContext>,
    path: Path<LinkPath>,
    body: FormBody,
) -> Result<Response<Body>, HttpError> {
    let path = path.into_inner();
    let page = async |link: AgencyLink, paths: LinkPaths| {
        let form: SignInForm = parse_form(&body)?;
        let cookie_value =
            session::sign_in_form_cookie(&rqctx, &form.csrf_token).ok_or(PageError::FormExpired)?;
        let signed_in = rqctx
            .context()
            .authorisations
            .sign_in(&cookie_value, &form.user_id, &form.password)
            .await?;
        let (status, error) = match signed_in {
            SignIn::SignedIn(cookie) => {
                let set = set_cookie(&rqctx, Some(&cookie));
                return Ok(Page::see_other(paths.page).with_cookie(Some(set)));
            }
            SignIn::WrongCredentials => (
                StatusCode::BAD_REQUEST,
                "The user ID or password is not right. Check them and try again.".to_owned(),
            ),
            SignIn::Locked { until } => {
                let wait = minutes_in_words(until - rqctx.context().authorisations.now());
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "There have been too many failed sign-ins for this user ID. Try again in {wait}."
                    ),
                )
            }
        };
        let attempt = SignInAttempt {
            error: Some(error),
            user_id: form.user_id,
        };
        let visitor = Visitor::SignedOut {
            sign_in_token: form.csrf_token,
            new_cookie: None,
        };
        let page = RequestPage::build(&rqctx, &link, &visitor, attempt).await?;
        Page::html(status, &page)
    };
    Ok(on_link(&rqctx, &path, page).await)
}

#[endpoint {
    method = POST,
    path = "/appoint-someone-to-deal-with-HMRC-for-you/{uid}/{agency_name}/{journey}/sign-out",
    unpublished = true,
}]
async fn sign_out(
    rqctx: RequestContext<ApiContext>,
    path: Path<LinkPath>,
    body: FormBody,
) -> Result<Response<Body>, HttpError> {
    let path = path.into_inner();
    let page = async |_: AgencyLink, paths: LinkPaths| {
        let form: SignOutForm = parse_form(&body)?;
        // A session that has already ended leaves nothing to forge: only its cookie to clear. A live one is ended
        // only by its own form, so another site cannot sign the client out.
        if let Some((cookie_value, session)) = session::current(&rqctx).await? {
            if !session.accepts_form_token(&form.csrf_token) {
                return Err(PageError::FormExpired);
            }
            rqctx
                .context()
                .authorisations
                .end_session(&cookie_value)
                .await?;
        }
        Ok(Page::see_other(paths.page).with_cookie(Some(set_cookie(&rqctx, None))))
    };
    Ok(on_link(&rqctx, &path, page).await)
}

#[endpoint {
    method = POST,
    path = "/appoint-someone-to-deal-with-HMRC-for-you/{uid}/{agency_name}/{journey}/answer",
    unpublished = true,
}]
async fn answer(
    rqctx: RequestContext<ApiContext>,
    path: Path<LinkPath>,
    body: FormBody,
) -> Result<Response<Body>, HttpError> {
    let path = path.into_inner();
    let page = async |link: AgencyLink, paths: LinkPaths| {
        let form: AnswerForm = parse_form(&body)?;
        let (_, session) = checked_session(&rqctx, &form.csrf_token).await?;
        let user = session.user;
        let accept = match form.decision.as_str() {
            "accept" => true,
            "decline" => false,
            _ => return Err(PageError::BadForm),
        };
        let id =
            InvitationId::parse(form.invitation_id.trim()).ok_or(PageError::RequestNotFound)?;
        let authorisations = &rqctx.context().authorisations;
        match authorisations
            .answer_from_link(&user.principal, &link, &id, accept)
            .await
        {
            Ok(()) => Ok(Page::see_other(paths.answered(&id))),
            Err(DomainError::InvitationNotPending) => {
                let (request, _) = authorisations
                    .request_from_agency(&user.principal, &link, &id)
                    .await?;
                let sentence = status_sentence(&request, &link, authorisations.now());
                Ok(Page::problem(
                    StatusCode::CONFLICT,
                    "This request can no longer be answered",
                    &[sentence, "Nothing has changed.".to_owned()],
                    Some(&paths.page),
                ))
            }
            Err(error) => Err(error.into()),
        }
    };
    Ok(on_link(&rqctx, &path, page).await)
}

#[endpoint {
    method = GET,
    path = "/appoint-someone-to-deal-with-HMRC-for-you/{uid}/{agency_name}/{journey}/answered/{invitation_id}",
    unpublished = true,
}]
async fn answered(
    rqctx: RequestContext<ApiContext>,
    path: Path<AnsweredPath>,
) -> Result<Response<Body>, HttpError> {
    let AnsweredPath {
        uid,
        agency_name,
        journey,
        invitation_id,
    } = path.into_inner();
    let link_path = LinkPath {
        uid,
        agency_name,
        journey,
    };
    let page = async |link: AgencyLink, paths: LinkPaths| {
        let Some(user) = session::current(&rqctx).await?.map(|(_, s)| s.user) else {
            return Ok(Page::see_other(paths.page));
        };
        let id = InvitationId::parse(&invitation_id).ok_or(PageError::RequestNotFound)?;
        let authorisations = &rqctx.context().authorisations;
        let (request, _) = authorisations
            .request_from_agency(&user.principal, &link, &id)
            .await?;
        match AnsweredPage::of(&request, &link, &paths, authorisations.now()) {
            Some(page) => Page::html(StatusCode::OK, &page),
            // Still pending: back to the request, to answer it.
            None => Ok(Page::see_other(paths.page)),
        }
    };
    Ok(on_link(&rqctx, &link_path, page).await)
}

/// Finds the agency and journey the link names (else the not-found page), then answers with `page`; a
/// failure becomes the page that explains it, leading back to the request page.
async fn on_link(
    rqctx: &RequestContext<ApiContext>,
    path: &LinkPath,
    page: impl AsyncFnOnce(AgencyLink, LinkPaths) -> Result<Page, PageError>,
) -> Response<Body> {
    // PostgreSQL cannot store a NUL: a link holding one is refused before any query (docs/domain.md §9).
    if [&path.uid, &path.agency_name, &path.journey]
        .iter()
        .any(|segment| segment.contains('\0'))
    {
        return respond(Err(PageError::BadForm), None);
    }
    let found = rqctx
        .context()
        .authorisations
        .agency_link(&path.uid, &path.agency_name, &path.journey)
        .await;
    let link = match found {
        Ok(Some(link)) => link,
        Ok(None) => return respond(Err(PageError::LinkNotFound), None),
        Err(error) => return respond(Err(error.into()), None),
    };
    let paths = LinkPaths::of(&link);
    let back = paths.page.clone();
    respond(page(link, paths).await, Some(&back))
}

/// The request's live session, provided the form carries its anti-forgery token.
async fn checked_session(
    rqctx: &RequestContext<ApiContext>,
    csrf_token: &str,
) -> Result<(String, WebSession), PageError> {
    match session::current(rqctx).await? {
        Some((value, session)) if session.accepts_form_token(csrf_token) => Ok((value, session)),
        _ => Err(PageError::FormExpired),
    }
}

/// The form's fields; one holding a NUL (raw, or `%00`) is refused before any query.
fn parse_form<T: DeserializeOwned>(body: &FormBody) -> Result<T, PageError> {
    let bytes = body.bytes().map_err(|_| PageError::BadForm)?;
    let nul = bytes.contains(&0) || bytes.windows(3).any(|w| w.eq_ignore_ascii_case(b"%00"));
    if nul {
        return Err(PageError::BadForm);
    }
    serde_urlencoded::from_bytes(bytes).map_err(|_| PageError::BadForm)
}

/// The `Set-Cookie` header for a new session, or (`None`) one that clears the cookie.
fn set_cookie(rqctx: &RequestContext<ApiContext>, cookie: Option<&SessionCookie>) -> String {
    let ctx = rqctx.context();
    let secure = ctx.base_url().starts_with("https://");
    session::set_cookie_header(cookie, ctx.authorisations.now(), secure)
}

/// Where the pages of one link live; built from what was found, never from the raw path.
#[derive(Debug, Clone)]
struct LinkPaths {
    page: String,
    sign_in: String,
    sign_out: String,
    answer: String,
}

impl LinkPaths {
    fn of(link: &AgencyLink) -> Self {
        let page = format!(
            "{CLIENT_ACTION_LINK_PREFIX}/{}/{}/{}",
            link.agency.uid,
            normalise_agency_name(&link.agency.name),
            link.journey.path_segment()
        );
        Self {
            sign_in: format!("{page}/sign-in"),
            sign_out: format!("{page}/sign-out"),
            answer: format!("{page}/answer"),
            page,
        }
    }

    fn answered(&self, id: &InvitationId) -> String {
        format!("{}/answered/{}", self.page, id.as_str())
    }
}

#[derive(Debug, Default)]
struct SignInAttempt {
    /// Why the last attempt did not sign in.
    error: Option<String>,
    user_id: String,
}

#[derive(Template)]
#[template(path = "client_journey/request.html")]
struct RequestPage {
    agency_name: String,
    service_title: &'static str,
    paths: LinkPaths,
    csrf_token: String,
    signed_in_as: Option<String>,
    sign_in_error: Option<String>,
    user_id: String,
    no_enrolment: bool,
    requests: Vec<RequestView>,
}

struct RequestView {
    id: String,
    service_name: &'static str,
    sent_on: String,
    status: String,
    pending: bool,
}

impl RequestPage {
    async fn build(
        rqctx: &RequestContext<ApiContext>,
        link: &AgencyLink,
        visitor: &Visitor,
        attempt: SignInAttempt,
    ) -> Result<Self, PageError> {
        let authorisations = &rqctx.context().authorisations;
        let now = authorisations.now();
        let (csrf_token, user) = match visitor {
            Visitor::SignedIn(session) => (session.csrf_token(), Some(&session.user)),
            Visitor::SignedOut { sign_in_token, .. } => (sign_in_token.as_str(), None),
        };
        let mut page = RequestPage {
            agency_name: link.agency.name.clone(),
            service_title: journey_title(link.journey),
            paths: LinkPaths::of(link),
            csrf_token: csrf_token.to_owned(),
            signed_in_as: user.map(|user| user.full_name.clone()),
            sign_in_error: attempt.error,
            user_id: attempt.user_id,
            no_enrolment: false,
            requests: Vec::new(),
        };
        if let Some(user) = user {
            match authorisations
                .requests_from_agency(&user.principal, link)
                .await?
            {
                RequestsFromAgency::NoEnrolment => page.no_enrolment = true,
                RequestsFromAgency::Requests(requests) => {
                    page.requests = requests
                        .iter()
                        .map(|request| RequestView {
                            id: request.id.as_str().to_owned(),
                            service_name: service_name(request.service),
                            sent_on: long_date(request.created_at.date_naive()),
                            status: status_sentence(request, link, now),
                            pending: request.status_at(now) == Status::Pending,
                        })
                        .collect();
                }
            }
        }
        Ok(page)
    }
}

#[derive(Template)]
#[template(path = "client_journey/answered.html")]
struct AnsweredPage {
    heading: String,
    summary: String,
    next_steps: String,
    id: String,
    agency_name: String,
    back: String,
}

impl AnsweredPage {
    /// The confirmation of an answered request; `None` while it is still pending.
    fn of(
        request: &Invitation,
        link: &AgencyLink,
        paths: &LinkPaths,
        now: DateTime<Utc>,
    ) -> Option<Self> {
        let agency = &link.agency.name;
        let service = service_name(request.service);
        let (heading, summary, next_steps) = match request.status_at(now) {
            Status::Pending => return None,
            Status::Accepted | Status::Partialauth => (
                format!("You have appointed {agency}"),
                format!("{agency} can now deal with HMRC for you for {service}."),
                format!(
                    "{agency} will see that you accepted when they next check their requests, and can act for you \
                     straight away. You or {agency} can end this authorisation at any time."
                ),
            ),
            Status::Rejected => (
                "You have declined the request".to_owned(),
                format!("{agency} cannot deal with HMRC for you for {service}."),
                format!(
                    "{agency} will see that you declined. If you change your mind, ask them to send you a new request."
                ),
            ),
            Status::Cancelled | Status::Expired | Status::Deauthorised => (
                "This request can no longer be answered".to_owned(),
                status_sentence(request, link, now),
                format!(
                    "If you want {agency} to deal with HMRC for you, ask them to send you a new request."
                ),
            ),
        };
        Some(Self {
            heading,
            summary,
            next_steps,
            id: request.id.as_str().to_owned(),
            agency_name: agency.clone(),
            back: paths.page.clone(),
        })
    }
}

/// Where a request stands, in a sentence for the client.
fn status_sentence(request: &Invitation, link: &AgencyLink, now: DateTime<Utc>) -> String {
    let agency = &link.agency.name;
    let updated = long_date(request.updated_at(now).date_naive());
    match request.status_at(now) {
        Status::Pending => {
            // It expires at the start of `expires_on`, so the day before is the last one to answer.
            let last_day = request
                .expires_on
                .checked_sub_days(Days::new(1))
                .unwrap_or(request.expires_on);
            format!(
                "Waiting for your answer. You can answer until the end of {}.",
                long_date(last_day)
            )
        }
        Status::Accepted => format!("You accepted this request on {updated}."),
        Status::Partialauth => format!(
            "You accepted this request on {updated}. It takes full effect when you sign up to Making Tax Digital \
             for Income Tax."
        ),
        Status::Rejected => format!("You declined this request on {updated}."),
        Status::Cancelled => format!("{agency} cancelled this request on {updated}."),
        Status::Expired => format!(
            "This request expired on {}: it was not answered in time.",
            long_date(request.expires_on)
        ),
        Status::Deauthorised => {
            format!("You accepted this request; the authorisation it gave ended on {updated}.")
        }
    }
}

pub(super) fn journey_title(journey: Journey) -> &'static str {
    match journey {
        Journey::IncomeTax => "Making Tax Digital for Income Tax",
        Journey::Vat => "VAT",
        Journey::IncomeRecordViewer => "viewing your Income Record",
        Journey::CapitalGainsTax => "Capital Gains Tax on UK property",
        Journey::Trusts => "Trusts and estates",
        Journey::PlasticPackagingTax => "Plastic Packaging Tax",
    }
}

fn service_name(service: Service) -> &'static str {
    match service {
        Service::MtdIt => "Making Tax Digital for Income Tax, as your main agent",
        Service::MtdItSupp => "Making Tax Digital for Income Tax, as a supporting agent",
        other => journey_title(Journey::of(other)),
    }
}

/// A wait in whole minutes, rounded up so that it never ends early: "1 minute", "15 minutes".
fn minutes_in_words(wait: chrono::Duration) -> String {
    match ((wait.num_seconds() + 59) / 60).max(1) {
        1 => "1 minute".to_owned(),
        n => format!("{n} minutes"),
    }
}

fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}
