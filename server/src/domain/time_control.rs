//! The sandbox's time control: an authorisation request made older (docs/domain.md §11,
//! R-SANDBOX-TIME-CONTROL), so that the 21-day expiry and the 30-day list can be crossed without moving the
//! server's clock.

use chrono::Duration;
use diesel_async::AsyncConnection;

use super::invitation::Status;
use super::invitation_id::InvitationId;
use super::invitations::Answerer;
use super::principal::Principal;
use super::{Authorisations, DomainError};
use crate::store::invitations::{self, Aged};

/// The oldest a request can be made: a century, as for token lifetimes.
const CENTURY_SECONDS: i64 = 100 * 366 * 24 * 60 * 60;

impl Authorisations {
    /// Moves a request's creation time `age_seconds` into the past (a century at most); its expiry follows its
    /// new creation day, as at creation. A request still Pending has had no change since it was made, so its
    /// last change moves too; one that already reads Expired has that stored first, so that it stays Expired.
    /// Who may: as for the other test-support calls.
    pub async fn set_invitation_age(
        &self,
        caller: &Principal,
        id: &InvitationId,
        age_seconds: i64,
    ) -> Result<(), DomainError> {
        let age = Duration::try_seconds(age_seconds.clamp(0, CENTURY_SECONDS))
            .ok_or(DomainError::BadRequest)?;
        let now = self.now();
        let created = now - age;
        let expires_on = created.date_naive() + Duration::days(self.lifetimes.invitation_days);
        let by = Answerer::TestSupport(caller);
        let mut conn = self.connection().await?;
        conn.transaction(async |conn| {
            let invitation = invitations::find_for_update(conn, id)
                .await?
                .ok_or(DomainError::InvitationNotFound)?;
            by.may_answer(&invitation)?;
            let status = invitation.status_at(now);
            let updated = match status {
                Status::Pending => created,
                _ => invitation.updated_at(now).max(created),
            };
            let aged = Aged {
                status,
                created,
                expires_on,
                updated,
            };
            invitations::set_age(conn, id, &aged).await?;
            Ok(())
        })
        .await
    }
}
