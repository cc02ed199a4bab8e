//! What every page answer shares: HTML or a redirect, the security headers, and the one table from a
//! failure to the page that explains it.

use askama::Template;
use dropshot::{Body, HttpError, RequestContext, endpoint};
use http::{Response, StatusCode, header};

use crate::domain::DomainError;
use crate::handlers::ApiContext;

/// The pages load nothing but their own stylesheet and post forms only to themselves.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// An answer of the client's pages.
pub struct Page {
    status: StatusCode,
    content: Content,
    set_cookie: Option<String>,
}

enum Content {
    Html(String),
    /// 303 See Other: after a form, the browser fetches the next page with GET.
    SeeOther(String),
}

impl Page {
    pub fn html(status: StatusCode, template: &impl Template) -> Result<Self, PageError> {
        let html = template.render().map_err(|error| {
            tracing::error!(%error, "rendering a page");
            PageError::Internal
        })?;
        Ok(Self {
            status,
            content: Content::Html(html),
            set_cookie: None,
        })
    }

    pub fn see_other(location: impl Into<String>) -> Self {
        Self {
            status: StatusCode::SEE_OTHER,
            content: Content::SeeOther(location.into()),
            set_cookie: None,
        }
    }

    pub fn with_cookie(mut self, set_cookie: Option<String>) -> Self {
        self.set_cookie = set_cookie;
        self
    }

    fn into_response(self) -> Response<Body> {
        let builder = Response::builder()
            .status(self.status)
            .header(header::CACHE_CONTROL, "no-store")
            .header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .header(header::X_FRAME_OPTIONS, "DENY")
            .header(header::REFERRER_POLICY, "no-referrer");
        let builder = match &self.set_cookie {
            Some(cookie) => builder.header(header::SET_COOKIE, cookie),
            None => builder,
        };
        let built = match self.content {
            Content::Html(html) => builder
                .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                .body(Body::from(html)),
            Content::SeeOther(location) => builder
                .header(header::LOCATION, location)
                .body(Body::empty()),
        };
        built.unwrap_or_else(|error| {
            tracing::error!(%error, "building a page response");
            let mut response = Response::new(Body::from("Internal server error"));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        })
    }
}

/// Why a page could not do what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    /// The client action link names no agency we know, or not by that name, or no journey we know.
    LinkNotFound,
    /// No request with that reference from this agency for this service.
    RequestNotFound,
    /// The request names another client than the one signed in.
    NotYourRequest,
    /// The form's session ended or its anti-forgery token does not match the session's.
    FormExpired,
    /// A form field is missing or not one of its allowed values.
    BadForm,
    /// The database cannot be reached.
    Unavailable,
    Internal,
}

impl From<DomainError> for PageError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::InvitationNotFound => PageError::RequestNotFound,
            DomainError::NoPermissionOnClient => PageError::NotYourRequest,
            // The store logs outages, once each.
            DomainError::Unavailable(_) => PageError::Unavailable,
            error => {
                tracing::error!(%error, "a client page failed");
                PageError::Internal
            }
        }
    }
}

#[derive(Template)]
#[template(path = "client_journey/problem.html")]
struct ProblemPage<'a> {
    heading: &'a str,
    paragraphs: &'a [String],
    back: Option<&'a str>,
}

impl Page {
    /// A page that explains why something was not done; `back` leads to the request page.
    pub fn problem(
        status: StatusCode,
        heading: &str,
        paragraphs: &[String],
        back: Option<&str>,
    ) -> Page {
        let problem = ProblemPage {
            heading,
            paragraphs,
            back,
        };
        Page::html(status, &problem).unwrap_or_else(|_| Page {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            content: Content::Html(heading.to_owned()),
            set_cookie: None,
        })
    }
}

impl PageError {
    /// The page explaining the failure; `back` leads to the request page, when there is one.
    fn page(self, back: Option<&str>) -> Page {
        let (status, heading, paragraphs): (_, _, &[&str]) = match self {
            PageError::LinkNotFound => (
                StatusCode::NOT_FOUND,
                "This link is not valid",
                &[
                    "We could not find the request this link is for. The link may be wrong or incomplete.",
                    "Check that you used the whole link your agent sent you, or ask them to send it again.",
                ],
            ),
            PageError::RequestNotFound => (
                StatusCode::NOT_FOUND,
                "We could not find this request",
                &["There is no request with this reference from this agent for this service."],
            ),
            PageError::NotYourRequest => (
                StatusCode::FORBIDDEN,
                "This request is not for you",
                &[
                    "The request was sent to a different client from the one you signed in as, so you cannot answer it.",
                    "Sign out and sign in with the account the request was sent to.",
                ],
            ),
            PageError::FormExpired => (
                StatusCode::FORBIDDEN,
                "Your session has ended",
                &[
                    "For your security, we did not act on this form: your session ended, or the form did not come from this page.",
                    "Go back to the request and try again. Nothing has changed.",
                ],
            ),
            PageError::BadForm => (
                StatusCode::BAD_REQUEST,
                "Something was missing from the form",
                &[
                    "We did not act on the form because part of it was missing or not valid. Nothing has changed.",
                ],
            ),
            PageError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Sorry, the service is unavailable",
                &["Try again in a few minutes. Nothing you did has been lost or changed."],
            ),
            PageError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service",
                &["Try again later. Nothing you did has been lost or changed."],
            ),
        };
        let back = match self {
            PageError::LinkNotFound | PageError::Internal | PageError::Unavailable => None,
            _ => back,
        };
        let paragraphs: Vec<String> = paragraphs.iter().map(|p| (*p).to_owned()).collect();
        Page::problem(status, heading, &paragraphs, back)
    }
}

/// The response for a page handler's outcome: the page, or the page explaining why not.
pub fn respond(outcome: Result<Page, PageError>, back: Option<&str>) -> Response<Body> {
    outcome
        .unwrap_or_else(|error| error.page(back))
        .into_response()
}

/// The pages' stylesheet.
#[endpoint {
    method = GET,
    path = "/assets/client-journey.css",
    unpublished = true,
}]
pub async fn stylesheet(_rqctx: RequestContext<ApiContext>) -> Result<Response<Body>, HttpError> {
    Response::builder()
        .header(header::CONTENT_TYPE, "text/css; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=3600")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(Body::from(include_str!("../../assets/client-journey.css")))
        .map_err(|error| HttpError::for_internal_error(error.to_string()))
}
