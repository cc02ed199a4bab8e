//! Browser sessions of the client's pages behind the client action link.
//!
//! A session exists only once someone signs in: it is a row holding the hash of a new random id, so an id
//! planted in a browser before sign-in (session fixation) is never the one signed in. Before sign-in the browser
//! holds only a random value of its own, kept nowhere on the server; the sign-in form's token is derived from it,
//! so a form forged on another site cannot carry it. Visiting the pages therefore writes nothing to the database.

use chrono::{DateTime, Duration, Utc};
use diesel_async::AsyncConnection;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::auth::{hex, new_token, principal_from_rows, same_bytes, verify_password};
use super::principal::Principal;
use super::{Authorisations, DomainError};
use crate::store::web_sessions::{self, WebSessionRow};
use crate::store::{principals, sign_in_failures};

/// How long a session lasts from sign-in, and a signed-out browser's value from its first visit.
pub const SESSION_LIFETIME: Duration = Duration::minutes(30);

/// A live, signed-in session.
#[derive(Debug, Clone)]
pub struct WebSession {
    csrf_token: String,
    pub user: SignedInUser,
    pub expires_at: DateTime<Utc>,
}

/// Who is signed in.
#[derive(Debug, Clone)]
pub struct SignedInUser {
    pub principal: Principal,
    pub full_name: String,
}

impl WebSession {
    /// The token every form of this session must send back.
    pub fn csrf_token(&self) -> &str {
        &self.csrf_token
    }

    /// Whether a submitted form carries this session's token (a forged cross-site form cannot).
    pub fn accepts_form_token(&self, submitted: &str) -> bool {
        same_bytes(self.csrf_token.as_bytes(), submitted.as_bytes())
    }
}

/// What the browser keeps in its cookie: a session id, or before sign-in its own random value; and when the
/// cookie stops working.
#[derive(Debug, Clone)]
pub struct SessionCookie {
    pub value: String,
    pub expires_at: DateTime<Utc>,
}

impl Authorisations {
    /// The token of the sign-in form served to the browser whose cookie holds `cookie_value`: an HMAC of the value
    /// under the server's secret key (docs/domain.md §10). The page never shows what the cookie holds, and a
    /// cookie another site plants cannot be paired with a token, since only the server can make one.
    pub fn sign_in_form_token(&self, cookie_value: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.form_key.as_slice())
            .expect("HMAC takes a key of any length");
        mac.update(b"client pages sign-in form\0");
        mac.update(cookie_value.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// Whether a submitted sign-in form carries the token for the browser's cookie value.
    pub fn accepts_sign_in_form_token(&self, cookie_value: &str, submitted: &str) -> bool {
        same_bytes(
            self.sign_in_form_token(cookie_value).as_bytes(),
            submitted.as_bytes(),
        )
    }
}

/// Failed sign-ins in a row after which a user id is locked.
pub const SIGN_IN_ATTEMPTS: i32 = 5;
/// How long a locked user id stays locked.
pub const SIGN_IN_LOCK: Duration = Duration::minutes(15);

/// How a sign-in went.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// The new session, for the cookie.
    SignedIn(SessionCookie),
    WrongCredentials,
    /// Too many failed sign-ins in a row for this user id: none is accepted, whatever the password, until then.
    Locked {
        until: DateTime<Utc>,
    },
}

impl Authorisations {
    /// A signed-out browser's own random value, for its cookie; nothing is stored.
    pub fn new_signed_out_cookie(&self) -> SessionCookie {
        SessionCookie {
            value: new_token().0,
            expires_at: self.now() + SESSION_LIFETIME,
        }
    }

    /// The live session a cookie value names, with the signed-in user as they are now.
    pub async fn session(&self, cookie_value: &str) -> Result<Option<WebSession>, DomainError> {
        let mut conn = self.connection().await?;
        let hash = Sha256::digest(cookie_value.as_bytes());
        let Some(row) = web_sessions::find_live(&mut conn, &hash, self.now()).await? else {
            return Ok(None);
        };
        let id = row.principal_id;
        let (affinity_group, full_name, enrolments) = principals::by_id(&mut conn, id)
            .await?
            .ok_or_else(|| DomainError::Internal(format!("session of principal {id}")))?;
        Ok(Some(WebSession {
            csrf_token: row.csrf_token,
            user: SignedInUser {
                principal: principal_from_rows(id, &affinity_group, enrolments)?,
                full_name,
            },
            expires_at: row.expires_at,
        }))
    }

    /// Signs a sandbox user in with their user id and password, starting a new session. The one the browser's
    /// cookie value named, if any, ends with it.
    ///
    /// A wrong password counts against the user id: the [`SIGN_IN_ATTEMPTS`]th in a row locks it for
    /// [`SIGN_IN_LOCK`]. A sign-in resets the count. An unknown user id has nothing to count against.
    pub async fn sign_in(
        &self,
        cookie_value: &str,
        user_id: &str,
        password: &str,
    ) -> Result<SignIn, DomainError> {
        let mut conn = self.connection().await?;
        let Some((principal_id, password_hash)) =
            principals::credentials(&mut conn, user_id.trim()).await?
        else {
            return Ok(SignIn::WrongCredentials);
        };
        let now = self.now();
        let old_hash = Sha256::digest(cookie_value.as_bytes()).to_vec();
        let (cookie, row) = self.new_session_row(principal_id);
        conn.transaction(async |conn| {
            let mut record = sign_in_failures::lock(conn, principal_id).await?;
            match record.locked_until {
                Some(until) if until > now => return Ok(SignIn::Locked { until }),
                Some(_) => record.locked_until = None,
                None => {}
            }
            if !verify_password(&password_hash, password) {
                record.failures += 1;
                let outcome = if record.failures >= SIGN_IN_ATTEMPTS {
                    let until = now + SIGN_IN_LOCK;
                    record.failures = 0;
                    record.locked_until = Some(until);
                    SignIn::Locked { until }
                } else {
                    SignIn::WrongCredentials
                };
                sign_in_failures::save(conn, &record).await?;
                return Ok(outcome);
            }
            record.failures = 0;
            sign_in_failures::save(conn, &record).await?;
            web_sessions::delete(conn, &old_hash).await?;
            web_sessions::insert(conn, &row).await?;
            Ok::<_, DomainError>(SignIn::SignedIn(cookie))
        })
        .await
    }

    /// Ends the session the cookie value names (signing out); ending one that is gone is no error.
    pub async fn end_session(&self, cookie_value: &str) -> Result<(), DomainError> {
        let mut conn = self.connection().await?;
        web_sessions::delete(&mut conn, &Sha256::digest(cookie_value.as_bytes())).await?;
        Ok(())
    }

    /// Removes up to `batch` expired sessions; how many went.
    pub async fn sweep_sessions(&self, batch: i64) -> Result<usize, DomainError> {
        let mut conn = self.connection().await?;
        Ok(web_sessions::delete_expired(&mut conn, self.now(), batch).await?)
    }

    fn new_session_row(&self, principal_id: i64) -> (SessionCookie, WebSessionRow) {
        let (value, token_hash) = new_token();
        let (csrf_token, _) = new_token();
        let expires_at = self.now() + SESSION_LIFETIME;
        let row = WebSessionRow {
            token_hash,
            csrf_token,
            principal_id,
            expires_at,
        };
        (SessionCookie { value, expires_at }, row)
    }
}
