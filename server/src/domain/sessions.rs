//! Browser sessions of the client's pages behind the client action link. A visitor gets a signed-out
//! session (it carries the token that protects the sign-in form); signing in replaces it with a new one,
//! so a session id planted before sign-in is worthless after it. Only hashes of session ids are stored.

use chrono::{DateTime, Duration, Utc};
use diesel_async::AsyncConnection;
use sha2::{Digest, Sha256};

use super::auth::{new_token, principal_from_rows, same_bytes, verify_password};
use super::principal::Principal;
use super::{Authorisations, DomainError};
use crate::store::principals;
use crate::store::web_sessions::{self, WebSessionRow};

/// How long a session lasts from its start, signed in or not.
pub const SESSION_LIFETIME: Duration = Duration::minutes(30);

/// A live session.
#[derive(Debug, Clone)]
pub struct WebSession {
    csrf_token: String,
    pub user: Option<SignedInUser>,
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

/// What the browser keeps of a session just started: the cookie's value and when it stops working.
#[derive(Debug, Clone)]
pub struct SessionCookie {
    pub value: String,
    pub expires_at: DateTime<Utc>,
}

/// How a sign-in went.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// The new session, for the cookie.
    SignedIn(SessionCookie),
    WrongCredentials,
    /// The session signed in from ended meanwhile (signed out, or used by a concurrent sign-in).
    SessionGone,
}

impl Authorisations {
    /// Starts a signed-out session.
    pub async fn start_session(&self) -> Result<(SessionCookie, WebSession), DomainError> {
        let mut conn = self.connection().await?;
        let (cookie, row) = self.new_session_row(None);
        web_sessions::insert(&mut conn, &row).await?;
        let session = WebSession {
            csrf_token: row.csrf_token,
            user: None,
            expires_at: row.expires_at,
        };
        Ok((cookie, session))
    }

    /// The live session a cookie value names, with the signed-in user as they are now.
    pub async fn session(&self, cookie_value: &str) -> Result<Option<WebSession>, DomainError> {
        let mut conn = self.connection().await?;
        let hash = Sha256::digest(cookie_value.as_bytes());
        let Some(row) = web_sessions::find_live(&mut conn, &hash, self.now()).await? else {
            return Ok(None);
        };
        let user = match row.principal_id {
            None => None,
            Some(id) => {
                let (affinity_group, full_name, enrolments) = principals::by_id(&mut conn, id)
                    .await?
                    .ok_or_else(|| DomainError::Internal(format!("session of principal {id}")))?;
                Some(SignedInUser {
                    principal: principal_from_rows(id, &affinity_group, enrolments)?,
                    full_name,
                })
            }
        };
        Ok(Some(WebSession {
            csrf_token: row.csrf_token,
            user,
            expires_at: row.expires_at,
        }))
    }

    /// Signs a sandbox user in with their user id and password, replacing the session the cookie value
    /// names with a new one. With wrong credentials the old session stays as it was.
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
        if !verify_password(&password_hash, password) {
            return Ok(SignIn::WrongCredentials);
        }
        let old_hash = Sha256::digest(cookie_value.as_bytes()).to_vec();
        let (cookie, row) = self.new_session_row(Some(principal_id));
        let replaced = conn
            .transaction(async |conn| {
                if !web_sessions::delete(conn, &old_hash).await? {
                    return Ok::<_, DomainError>(false);
                }
                web_sessions::insert(conn, &row).await?;
                Ok(true)
            })
            .await?;
        Ok(if replaced {
            SignIn::SignedIn(cookie)
        } else {
            SignIn::SessionGone
        })
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

    fn new_session_row(&self, principal_id: Option<i64>) -> (SessionCookie, WebSessionRow) {
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
