//! The cookie of the client's pages: HttpOnly, SameSite=Lax (a client arriving from the link in an email is still
//! signed in; a cross-site POST is not), scoped to the pages' path, expiring with the session. It holds a session
//! id once signed in, and before that a random value that ties the sign-in form to the browser.

use cookie::{Cookie, SameSite};
use dropshot::RequestContext;

use crate::domain::DomainError;
use crate::domain::auth::is_token_shaped;
use crate::domain::sessions::{SessionCookie, WebSession};
use crate::handlers::ApiContext;
use crate::handlers::client_action_link::CLIENT_ACTION_LINK_PREFIX;

const COOKIE_NAME: &str = "client_session";

/// Who the browser is, as its cookie says.
pub enum Visitor {
    /// The cookie names a live session.
    SignedIn(WebSession),
    /// Anyone else: the browser's sign-in form token, and the cookie to set when it had none.
    SignedOut {
        sign_in_token: String,
        new_cookie: Option<SessionCookie>,
    },
}

/// The request's cookie value and the live session it names, if any.
pub async fn current(
    rqctx: &RequestContext<ApiContext>,
) -> Result<Option<(String, WebSession)>, DomainError> {
    let Some(value) = cookie_value(rqctx) else {
        return Ok(None);
    };
    let session = rqctx.context().authorisations.session(&value).await?;
    Ok(session.map(|session| (value, session)))
}

/// The browser's live session; or, signed out, the token for its sign-in form, giving it a value of its own
/// when it has none (a browser that already has one, even an ended session's id, keeps it, so two open tabs
/// stay valid).
pub async fn visitor(rqctx: &RequestContext<ApiContext>) -> Result<Visitor, DomainError> {
    let (value, new_cookie) = match cookie_value(rqctx) {
        Some(value) => {
            if let Some(session) = rqctx.context().authorisations.session(&value).await? {
                return Ok(Visitor::SignedIn(session));
            }
            (value, None)
        }
        None => {
            let cookie = rqctx.context().authorisations.new_signed_out_cookie();
            (cookie.value.clone(), Some(cookie))
        }
    };
    Ok(Visitor::SignedOut {
        sign_in_token: rqctx.context().authorisations.sign_in_form_token(&value),
        new_cookie,
    })
}

/// The browser's cookie value, provided the sign-in form carries its token (a form forged on another site
/// cannot).
pub fn sign_in_form_cookie(rqctx: &RequestContext<ApiContext>, submitted: &str) -> Option<String> {
    let authorisations = &rqctx.context().authorisations;
    cookie_value(rqctx).filter(|value| authorisations.accepts_sign_in_form_token(value, submitted))
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
        // Only a value this server could have made counts: an empty or chosen one would make the sign-in form's
        // token predictable.
        .filter(|value| is_token_shaped(value))
}

/// The `Set-Cookie` value for a cookie; `None` clears it.
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
