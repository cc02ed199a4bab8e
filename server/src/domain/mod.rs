//! The rules of agent authorisation, independent of HTTP. [`Authorisations`] is the entry point; its
//! operations are split by resource (invitations, relationships, tokens, test users), each in its own file.

pub mod agency;
pub mod auth;
pub mod client_access;
pub mod client_invitations;
pub mod client_journey;
pub mod clients;
pub mod clock;
mod error;
pub mod hold;
pub mod identifiers;
pub mod invitation;
pub mod invitation_id;
pub mod invitations;
pub mod known_facts;
pub mod maintenance;
pub mod principal;
pub mod provisioning;
pub mod relationships;
pub mod request;
pub mod service;
pub mod sessions;
pub mod test_users;
pub mod time_control;

use std::sync::Arc;

pub use error::DomainError;

use crate::store::Store;
use clock::Clock;

/// How long things last.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Days from creation until a pending request expires.
    pub invitation_days: i64,
    /// How long a sandbox bearer token stays valid.
    pub token: chrono::Duration,
}

/// The domain's operations, over a store and a clock.
#[derive(Clone)]
pub struct Authorisations {
    store: Store,
    clock: Arc<dyn Clock>,
    lifetimes: Lifetimes,
    /// The key of the sign-in form's anti-forgery token (see `sessions`).
    form_key: Arc<[u8; 32]>,
}

impl Authorisations {
    /// With a key of its own for the sign-in form; [`Authorisations::with_shared_form_key`] gives it the one
    /// every server of the database shares.
    pub fn new(store: Store, clock: Arc<dyn Clock>, lifetimes: Lifetimes) -> Self {
        Self {
            store,
            clock,
            lifetimes,
            form_key: Arc::new(rand::random()),
        }
    }

    /// Takes the sign-in form's key every server process of the database shares, storing this one's if it is
    /// the first.
    pub async fn with_shared_form_key(mut self) -> Result<Self, DomainError> {
        let mut conn = self.connection().await?;
        let stored = crate::store::server_secrets::get_or_insert(
            &mut conn,
            "sign-in-form-key",
            self.form_key.as_slice(),
        )
        .await?;
        let key: [u8; 32] = stored.try_into().map_err(|_| {
            DomainError::Internal("the stored sign-in form key is not 32 bytes".into())
        })?;
        drop(conn);
        self.form_key = Arc::new(key);
        Ok(self)
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Whether the database can be reached (readiness): a query, because checking a connection out of the
    /// pool does not test it.
    pub async fn check_database(&self) -> Result<(), DomainError> {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = self.connection().await?;
        conn.batch_execute("SELECT 1").await?;
        Ok(())
    }

    /// The statements the server has sent to the database, and how many failed.
    pub fn statement_counts(&self) -> &crate::store::StatementCounts {
        self.store.counts()
    }

    /// Runs `work` (one request) on one connection, checked out once.
    pub async fn unit_of_work<F: std::future::Future>(&self, work: F) -> F::Output {
        self.store.unit_of_work(work).await
    }

    async fn connection(&self) -> Result<crate::store::Connection, DomainError> {
        Ok(self.store.connection().await?)
    }
}
