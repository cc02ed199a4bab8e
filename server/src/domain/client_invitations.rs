//! The client's side: the requests naming it, answering them, ending relationships, and a summary.

use diesel_async::AsyncConnection;

use super::client_access::ClientScope;
use super::invitation::{EndedBy, Invitation, Status};
use super::invitation_id::InvitationId;
use super::invitations::{Answer, Answerer};
use super::principal::Principal;
use super::relationships::lock_client;
use super::{Authorisations, DomainError};
use crate::store::relationships::Ending;
use crate::store::{invitations, relationships};

/// What a client has to do with agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientStatus {
    pub has_pending_invitations: bool,
    pub has_invitations_history: bool,
    pub has_existing_relationships: bool,
}

impl Authorisations {
    /// The requests naming the client, newest first, optionally only those reading `status` now.
    pub async fn client_invitations(
        &self,
        scope: &ClientScope,
        status: Option<Status>,
    ) -> Result<Vec<Invitation>, DomainError> {
        let now = self.now();
        let services: Vec<&str> = scope.kind.services.iter().map(|s| s.id()).collect();
        let mut conn = self.connection().await?;
        let all = invitations::list_for_client(&mut conn, &scope.client_id, &services).await?;
        Ok(all
            .into_iter()
            .filter(|i| status.is_none_or(|status| i.status_at(now) == status))
            .collect())
    }

    /// One request naming the client; a request naming someone else is refused, not hidden.
    pub async fn client_invitation(
        &self,
        scope: &ClientScope,
        id: &InvitationId,
    ) -> Result<Invitation, DomainError> {
        let mut conn = self.connection().await?;
        let invitation = invitations::find(&mut conn, id)
            .await?
            .ok_or(DomainError::InvitationNotFound)?;
        if !scope.covers(&invitation) {
            return Err(DomainError::NoPermissionOnClient);
        }
        Ok(invitation)
    }

    pub async fn accept_as_client(
        &self,
        scope: &ClientScope,
        id: &InvitationId,
    ) -> Result<(), DomainError> {
        self.answer(id, Answer::Accept, Answerer::Client(scope))
            .await
    }

    pub async fn reject_as_client(
        &self,
        scope: &ClientScope,
        id: &InvitationId,
    ) -> Result<(), DomainError> {
        self.answer(id, Answer::Reject, Answerer::Client(scope))
            .await
    }

    /// The client ends the relationship a request of theirs created; the request reads Deauthorised, ended by
    /// the client (or by HMRC, when HMRC staff end it).
    pub async fn end_as_client(
        &self,
        scope: &ClientScope,
        id: &InvitationId,
    ) -> Result<(), DomainError> {
        let now = self.now();
        let mut conn = self.connection().await?;
        conn.transaction(async |conn| {
            let found = invitations::find(conn, id)
                .await?
                .ok_or(DomainError::InvitationNotFound)?;
            lock_client(conn, found.service, &found.supplied_client_id).await?;
            let invitation = invitations::find_for_update(conn, id)
                .await?
                .ok_or(DomainError::InvitationNotFound)?;
            if !scope.covers(&invitation) {
                return Err(DomainError::NoPermissionOnClient);
            }
            if !matches!(
                invitation.stored_status,
                Status::Accepted | Status::Partialauth
            ) {
                return Err(DomainError::NoRelationship);
            }
            let which = Ending {
                arn: Some(&invitation.arn),
                except_arn: None,
                services: &[invitation.service.id()],
                client_ids: &[&invitation.client_id],
            };
            let by = if scope.by_hmrc {
                EndedBy::Hmrc
            } else {
                EndedBy::Client
            };
            #[cfg(feature = "fault-injection")]
            let by = match (by, crate::fault::active("client-end-by-agent")) {
                (EndedBy::Client, true) => EndedBy::Agent,
                (by, _) => by,
            };
            let ended: Vec<String> = relationships::end(conn, &which, by, now)
                .await?
                .into_iter()
                .flatten()
                .collect();
            if ended.is_empty() {
                return Err(DomainError::NoRelationship);
            }
            invitations::set_deauthorised(conn, &ended, by, now).await?;
            Ok(())
        })
        .await
    }

    /// Across every client identifier the caller holds: anything pending, anything at all, any agent.
    pub async fn client_status(&self, principal: &Principal) -> Result<ClientStatus, DomainError> {
        let scopes = ClientScope::all_of(principal);
        if scopes.is_empty() {
            return Err(DomainError::NotAClient);
        }
        let now = self.now();
        let mut status = ClientStatus {
            has_pending_invitations: false,
            has_invitations_history: false,
            has_existing_relationships: false,
        };
        let mut conn = self.connection().await?;
        for scope in &scopes {
            let services: Vec<&str> = scope.kind.services.iter().map(|s| s.id()).collect();
            let found =
                invitations::list_for_client(&mut conn, &scope.client_id, &services).await?;
            status.has_invitations_history |=
                found.iter().any(|i| i.status_at(now) != Status::Pending);
            status.has_pending_invitations |=
                found.iter().any(|i| i.status_at(now) == Status::Pending);
            status.has_existing_relationships |=
                relationships::any_active_for_client(&mut conn, &services, &scope.client_id)
                    .await?;
        }
        Ok(status)
    }
}
