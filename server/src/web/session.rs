//! The session cookie of the client's pages: HttpOnly, SameSite=Lax (a client arriving from the link in an
//! email is still signed in; a cross-site POST is not), scoped to the pages' path, expiring with the session.

use cookie::{Cookie, SameSite};
use dropshot::RequestContext;

use crate::domain::DomainError;
use crate::domain::sessions::{SessionCookie, WebSession};
use crate::handlers::ApiContext;
use crate::handlers::client_action_link::CLIENT_ACTION_LINK_PREFIX;

const COOKIE_NAME: &str = "client_session";

/// The request's session cookie value and the live session it names, if any.
pub async fn current(
    rqctx: &RequestContext<ApiContext>,
) -> Result<Option<(String, WebSession)>, DomainError> {
    let Some(value) = cookie_value(rqctx) else {
        return Ok(None);
    };
    let session = rqctx.context().authorisations.session(&value).await?;
    Ok(session.map(|session| (value, session)))
}

/// The request's live session, or a new signed-out one with the cookie to set for it.
pub async fn current_or_start(
    rqctx: &RequestContext<ApiContext>,
) -> Result<(WebSession, Option<SessionCookie>), DomainError> {
    if let Some((_, session)) = current(rqctx).await? {
        return Ok((session, None));
    }
    let (cookie, session) = rqctx.context().authorisations.start_session().await?;
    Ok((session, Some(cookie)))
}

fn cookie_value(rqctx: &RequestContext<ApiContext>) -> Option<String> {
    rqctx
        .request
        .headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|header| header.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == COOKIE_NAME)
        .map(|cookie| cookie.value().to_owned())
}

/// The `Set-Cookie` value for a session; `None` clears the cookie.
pub fn set_cookie_header(
    cookie: Option<&SessionCookie>,
    now: chrono::DateTime<chrono::Utc>,
    secure: bool,
) -> String {
    let (value, max_age) = match cookie {
        Some(cookie) => (
            cookie.value.clone(),
            (cookie.expires_at - now).num_seconds().max(0),
        ),
        None => (String::new(), 0),
    };
    Cookie::build((COOKIE_NAME, value))
        .path(CLIENT_ACTION_LINK_PREFIX)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age))
        .build()
        .to_string()
}
