//! Creating, reading, cancelling and answering invitations (docs/domain.md §6–7).

use chrono::{DateTime, Duration, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::client_access::ClientScope;
use super::clients::{ClientRecord, relationship_client_ids};
use super::identifiers::{Arn, person_key};
use super::invitation::{Invitation, Status};
use super::invitation_id::InvitationId;
use super::principal::Principal;
use super::relationships::lock_client;
use super::request::ValidRequest;
use super::service::{ClientIdType, Service};
use super::{Authorisations, DomainError};
use crate::store::agencies::Agency;
use crate::store::{clients, invitations};

/// How far back the agent's list reaches.
const LIST_DAYS: i64 = 30;
/// Invitation ids hash the creation millisecond; on a collision the next millisecond is tried.
const ID_ATTEMPTS: i64 = 16;

impl Authorisations {
    /// Creates a pending request, checking in the documented order (docs/domain.md §6, steps 5–9); `origin`
    /// says where it was made (§12). Within the transaction, two statements: the in-flight lock with the
    /// client's record, then the remaining checks with the insert; the answer is decided here, in the
    /// documented order, from what they found.
    pub async fn create_invitation(
        &self,
        arn: &Arn,
        request: &ValidRequest,
        origin: Option<String>,
    ) -> Result<InvitationId, DomainError> {
        let now = self.now();
        let expires_on = self.expiry_of_new(now);
        let mut conn = self.connection().await?;
        conn.transaction(async |conn| {
            let record = locked_client_record(conn, arn, request).await?;
            let client_ids =
                relationship_client_ids(record.as_ref(), &request.client, request.service);
            let mut invitation = new_invitation(
                arn,
                request,
                record.as_ref(),
                (now, expires_on),
                origin.clone(),
            );
            let allowed = record
                .as_ref()
                .is_some_and(|r| r.check(request.known_fact.as_ref()).is_ok());
            let checks = invitations::insert_unless_blocked(
                conn,
                &invitation,
                &client_ids,
                now.date_naive(),
                allowed,
            )
            .await?;
            if let Some(existing) = checks.pending {
                #[cfg(feature = "fault-injection")]
                if crate::fault::active("no-duplicate-detection") {
                    return Ok(existing);
                }
                return Err(DomainError::DuplicateAuthorisationRequest { existing });
            }
            let record = record
                .as_ref()
                .ok_or(DomainError::ClientRegistrationNotFound)?;
            record.check(request.known_fact.as_ref())?;
            if checks.active {
                return Err(DomainError::AlreadyAuthorised);
            }
            if !checks.inserted {
                // The id was taken, or a request went in since the checks read: try again as a collision.
                insert_with_unique_id(conn, &mut invitation).await?;
            }
            Ok(invitation.id)
        })
        .await
    }

    /// The expiry day of a request made `now`: the lifetime's last day is the day before it.
    fn expiry_of_new(&self, now: DateTime<Utc>) -> chrono::NaiveDate {
        let expires_on = now.date_naive() + Duration::days(self.lifetimes.invitation_days);
        #[cfg(feature = "fault-injection")]
        if crate::fault::active("expiry-22-days") {
            return expires_on + Duration::days(1);
        }
        expires_on
    }

    /// One of the agent's requests. Another agency's is refused, not hidden (as HMRC documents).
    pub async fn agent_invitation(
        &self,
        arn: &Arn,
        id: &InvitationId,
        services: &[Service],
    ) -> Result<Invitation, DomainError> {
        Ok(self
            .agent_invitation_with_agency(arn, id, services)
            .await?
            .0)
    }

    /// Like [`Self::agent_invitation`], with the agency's record for its client action link, read together.
    pub async fn agent_invitation_with_agency(
        &self,
        arn: &Arn,
        id: &InvitationId,
        services: &[Service],
    ) -> Result<(Invitation, Option<Agency>), DomainError> {
        let mut conn = self.connection().await?;
        let found = invitations::find_with_agency(&mut conn, id).await?;
        let (invitation, agency) = found
            .filter(|(i, _)| services.contains(&i.service))
            .ok_or(DomainError::InvitationNotFound)?;
        if invitation.arn != arn.as_str() {
            return Err(DomainError::NoPermissionOnAgency);
        }
        Ok((invitation, agency))
    }

    /// The agent's most recent request, if it has made any.
    pub async fn latest_agent_invitation(
        &self,
        arn: &Arn,
    ) -> Result<Option<InvitationId>, DomainError> {
        let mut conn = self.connection().await?;
        Ok(invitations::latest_for_agent(&mut conn, arn.as_str()).await?)
    }

    /// The agent's requests of the last 30 days for the services given, newest first, with the agency's record
    /// for their client action links (none when there are no requests).
    pub async fn recent_agent_invitations(
        &self,
        arn: &Arn,
        services: &[Service],
    ) -> Result<(Vec<Invitation>, Option<Agency>), DomainError> {
        let since = self.now() - Duration::days(LIST_DAYS);
        let ids: Vec<&str> = services.iter().map(|s| s.id()).collect();
        let mut conn = self.connection().await?;
        #[cfg(feature = "fault-injection")]
        if crate::fault::active("list-by-last-change") {
            let all = invitations::list_for_agent_with_agency(
                &mut conn,
                arn.as_str(),
                &ids,
                DateTime::UNIX_EPOCH,
            );
            let (all, agency) = all.await?;
            let recent = all.into_iter().filter(|i| i.updated_at >= since).collect();
            return Ok((recent, agency));
        }
        #[cfg(feature = "fault-injection")]
        if crate::fault::active("list-oldest-first") {
            let (mut listed, agency) =
                invitations::list_for_agent_with_agency(&mut conn, arn.as_str(), &ids, since)
                    .await?;
            listed.reverse();
            return Ok((listed, agency));
        }
        Ok(invitations::list_for_agent_with_agency(&mut conn, arn.as_str(), &ids, since).await?)
    }

    /// The agent's requests, newest first, filtered by service, status (as read now) and creation date.
    pub async fn sent_invitations(
        &self,
        arn: &Arn,
        filter: &SentFilter,
    ) -> Result<Vec<Invitation>, DomainError> {
        let now = self.now();
        let service = filter.service;
        #[cfg(feature = "fault-injection")]
        let service = service.filter(|_| !crate::fault::active("service-filter-ignored"));
        let services: Vec<&str> = match service {
            Some(service) => vec![service.id()],
            None => Service::ALL.iter().map(|s| s.id()).collect(),
        };
        // PostgreSQL cannot hold chrono's earliest instant; nothing predates the epoch here.
        let since = filter
            .created_on_or_after
            .map_or(DateTime::UNIX_EPOCH, |day| {
                day.and_time(chrono::NaiveTime::MIN).and_utc()
            });
        let mut conn = self.connection().await?;
        let found = invitations::list_for_agent(&mut conn, arn.as_str(), &services, since).await?;
        Ok(found
            .into_iter()
            .filter(|i| {
                filter
                    .status
                    .is_none_or(|status| i.status_at(now) == status)
            })
            .filter(|i| {
                filter
                    .client
                    .as_ref()
                    .is_none_or(|client| client.matches(i))
            })
            .collect())
    }

    /// A link that shows the client the agent's requests at once: the agency's uid and normalised name,
    /// once every request named is this agent's.
    pub async fn multi_invitation_link(
        &self,
        arn: &Arn,
        ids: &[InvitationId],
    ) -> Result<(String, String), DomainError> {
        let mut conn = self.connection().await?;
        for id in ids {
            let invitation = invitations::find(&mut conn, id).await?;
            if invitation.is_none_or(|i| i.arn != arn.as_str()) {
                return Err(DomainError::InvitationNotFound);
            }
        }
        let agency = crate::store::agencies::find(&mut conn, arn.as_str())
            .await?
            .ok_or_else(|| DomainError::Internal(format!("agent {arn} has no agency record")))?;
        Ok((
            agency.uid,
            super::agency::normalise_agency_name(&agency.name),
        ))
    }

    /// Cancels a pending request: ownership is checked before status, so another agency learns nothing.
    pub async fn cancel_invitation(
        &self,
        arn: &Arn,
        id: &InvitationId,
        services: &[Service],
    ) -> Result<(), DomainError> {
        let now = self.now();
        let mut conn = self.connection().await?;
        conn.transaction(async |conn| {
            let invitation = find_to_cancel(conn, id).await?;
            let invitation = invitation
                .filter(|i| services.contains(&i.service))
                .ok_or(DomainError::InvitationNotFound)?;
            #[cfg(feature = "fault-injection")]
            if crate::fault::active("status-before-ownership")
                && invitation.status_at(now) != Status::Pending
            {
                return Err(DomainError::InvitationNotCancellable);
            }
            if invitation.arn != arn.as_str() {
                return Err(DomainError::NoPermissionOnAgency);
            }
            let pending = invitation.status_at(now) == Status::Pending;
            #[cfg(feature = "fault-injection")]
            let pending = pending || crate::fault::active("cancel-any-status");
            if !pending {
                return Err(DomainError::InvitationNotCancellable);
            }
            invitations::set_status(conn, id, Status::Cancelled, now).await?;
            Ok(())
        })
        .await
    }

    /// Accepts as the client would (test support): the relationship starts in the same transaction.
    /// An MTD-IT client without an MTDITID gives a partial authorisation. Accepting an accepted request
    /// again changes nothing.
    pub async fn accept_invitation(
        &self,
        caller: &Principal,
        id: &InvitationId,
    ) -> Result<(), DomainError> {
        self.answer(id, Answer::Accept, Answerer::TestSupport(caller))
            .await
    }

    /// Rejects as the client would (test support). Rejecting a rejected request again changes nothing.
    pub async fn reject_invitation(
        &self,
        caller: &Principal,
        id: &InvitationId,
    ) -> Result<(), DomainError> {
        self.answer(id, Answer::Reject, Answerer::TestSupport(caller))
            .await
    }

    /// The sandbox's "expire now": a pending request's expiry day becomes today, so it reads Expired at
    /// once, updated now (and the sweep persists it). An expired request stays so; any other is refused.
    pub async fn expire_invitation(
        &self,
        caller: &Principal,
        id: &InvitationId,
    ) -> Result<(), DomainError> {
        let now = self.now();
        let by = Answerer::TestSupport(caller);
        let mut conn = self.connection().await?;
        conn.transaction(async |conn| {
            let invitation = invitations::find_for_update(conn, id)
                .await?
                .ok_or(DomainError::InvitationNotFound)?;
            by.may_answer(&invitation)?;
            match invitation.status_at(now) {
                Status::Pending => {}
                Status::Expired => return Ok(()),
                _ => return Err(by.no_longer_pending()),
            }
            invitations::set_expires_on(conn, id, now.date_naive(), now).await?;
            Ok(())
        })
        .await
    }

    /// Answers a request as the client it names, or through test support (docs/domain.md §7, §11).
    pub(super) async fn answer(
        &self,
        id: &InvitationId,
        answer: Answer,
        by: Answerer<'_>,
    ) -> Result<(), DomainError> {
        let now = self.now();
        let mut conn = self.connection().await?;
        conn.transaction(async |conn| {
            if let Answer::Accept = answer {
                let found = invitations::find(conn, id)
                    .await?
                    .ok_or(DomainError::InvitationNotFound)?;
                lock_client(conn, found.service, &found.supplied_client_id).await?;
            }
            let invitation = invitations::find_for_update(conn, id)
                .await?
                .ok_or(DomainError::InvitationNotFound)?;
            by.may_answer(&invitation)?;
            match (invitation.status_at(now), answer) {
                (Status::Pending, _) => {}
                (Status::Accepted | Status::Partialauth, Answer::Accept)
                | (Status::Rejected, Answer::Reject) => {
                    return Ok(());
                }
                _ => return Err(by.no_longer_pending()),
            }
            // A sandbox hold keeps the request's row locked, so that a cancel meets the accept every time.
            super::hold::pause().await;
            let status = match answer {
                Answer::Reject => Status::Rejected,
                Answer::Accept => {
                    let invitation = Self::with_current_client_id(conn, invitation).await?;
                    let partial =
                        invitation.service.is_income_tax() && invitation.client_id_type == "ni";
                    #[cfg(feature = "fault-injection")]
                    let partial = partial && !crate::fault::active("partial-as-accepted");
                    Self::start_relationship(conn, &invitation, partial, now).await?;
                    if partial {
                        Status::Partialauth
                    } else {
                        Status::Accepted
                    }
                }
            };
            invitations::set_status(conn, id, status, now).await?;
            Ok(())
        })
        .await
    }

    /// An MTD-IT request made while the client had no MTDITID names them by NINO; if they have signed up
    /// since, it moves to the MTDITID before it is accepted, so the relationship is a full one.
    async fn with_current_client_id(
        conn: &mut AsyncPgConnection,
        mut invitation: Invitation,
    ) -> Result<Invitation, DomainError> {
        if invitation.service.is_income_tax() && invitation.client_id_type == "ni" {
            let record = clients::individual_by_nino(conn, &invitation.supplied_client_id).await?;
            if let Some(mtditid) = record.and_then(|record| record.mtditid) {
                invitations::set_mtditid(conn, &invitation.id, &mtditid).await?;
                invitation.client_id_type = "MTDITID".into();
                invitation.client_id = mtditid;
            }
        }
        Ok(invitation)
    }

    /// Persists the expiry of pending requests past their date, in batches that each commit on their
    /// own and skip rows other transactions hold. Answers how many changed.
    pub async fn sweep_expired(&self, batch: i64) -> Result<usize, DomainError> {
        let today = self.now().date_naive();
        let mut conn = self.connection().await?;
        let mut total = 0;
        loop {
            let changed = invitations::expire_batch(&mut conn, today, batch).await?;
            total += changed;
            if changed < batch as usize {
                return Ok(total);
            }
        }
    }
}

/// Filters on the agent's list of requests.
#[derive(Debug, Clone, Default)]
pub struct SentFilter {
    pub service: Option<Service>,
    pub status: Option<Status>,
    pub created_on_or_after: Option<chrono::NaiveDate>,
    pub client: Option<ClientFilter>,
}

/// One client in the agent's list: a `clientIdType` (or `MTDITID`) and an identifier, matching a request that
/// names it either as the agent gave it or as it is stored; types compare without case, identifiers without
/// spaces or case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFilter {
    id_type: String,
    id: String,
}

impl ClientFilter {
    pub fn parse(id_type: &str, id: &str) -> Option<Self> {
        let known = ClientIdType::ALL
            .iter()
            .map(|kind| kind.as_str())
            .chain(["MTDITID"])
            .any(|kind| kind.eq_ignore_ascii_case(id_type));
        known.then(|| Self {
            id_type: id_type.to_ascii_lowercase(),
            id: Self::normalise(id),
        })
    }

    fn matches(&self, invitation: &Invitation) -> bool {
        [
            (&invitation.client_id_type, &invitation.client_id),
            (
                &invitation.supplied_client_id_type,
                &invitation.supplied_client_id,
            ),
        ]
        .into_iter()
        .any(|(id_type, id)| {
            id_type.eq_ignore_ascii_case(&self.id_type) && Self::normalise(id) == self.id
        })
    }

    fn normalise(id: &str) -> String {
        id.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase()
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Answer {
    Accept,
    Reject,
}

/// Who answers a request: who may, and how a request no longer pending is refused.
#[derive(Debug, Clone, Copy)]
pub(super) enum Answerer<'a> {
    /// The client it names, through its pages or the backend's client calls: no longer pending is 403.
    Client(&'a ClientScope),
    /// The sandbox's test support, for the request's agent, the client it names or HMRC staff: no longer
    /// pending is 409.
    TestSupport(&'a Principal),
}

impl Answerer<'_> {
    pub(super) fn may_answer(&self, invitation: &Invitation) -> Result<(), DomainError> {
        let allowed = match self {
            Answerer::Client(scope) => {
                return if scope.covers(invitation) && !scope.by_hmrc {
                    Ok(())
                } else {
                    Err(DomainError::NoPermissionOnClient)
                };
            }
            Answerer::TestSupport(caller) => {
                caller.is_hmrc_staff()
                    || caller
                        .agent()
                        .is_ok_and(|arn| arn.as_str() == invitation.arn)
                    || ClientScope::all_of(caller)
                        .iter()
                        .any(|scope| scope.covers(invitation))
            }
        };
        if allowed {
            Ok(())
        } else {
            Err(DomainError::NoPermission)
        }
    }

    fn no_longer_pending(&self) -> DomainError {
        match self {
            Answerer::Client(_) => DomainError::InvitationNotPending,
            Answerer::TestSupport(_) => DomainError::InvitationNoLongerPending,
        }
    }
}

/// Identical creates in flight, in any server process, meet at this lock: the one that does not get it is
/// ALREADY_BEING_PROCESSED. A sandbox hold keeps the lock taken, so that a test meets it every time. The client's
/// record comes with the lock, in the same statement, for the identifiers the public API takes.
async fn locked_client_record(
    conn: &mut AsyncPgConnection,
    arn: &Arn,
    request: &ValidRequest,
) -> Result<Option<ClientRecord>, DomainError> {
    let person = person_key(request.client.value());
    let lock = format!(
        "create-invitation|{arn}|{}|{person}",
        request.service.group()
    );
    let (locked, record) = ClientRecord::find_after_lock(conn, &lock, &request.client).await?;
    #[cfg(feature = "fault-injection")]
    let locked = locked || crate::fault::active("no-in-flight-lock");
    if !locked {
        return Err(DomainError::AlreadyBeingProcessed);
    }
    super::hold::pause().await;
    Ok(record)
}

/// The pending request a create stores: named by the identifier the client's record says (an MTD-IT client's
/// MTDITID), as supplied otherwise.
fn new_invitation(
    arn: &Arn,
    request: &ValidRequest,
    record: Option<&ClientRecord>,
    (now, expires_on): (DateTime<Utc>, chrono::NaiveDate),
    origin: Option<String>,
) -> Invitation {
    let service = request.service;
    let supplied = request.client.value();
    let (client_id_type, client_id) = match record {
        Some(record) => record.client_id(service, &request.client),
        None => (request.client.id_type(), supplied),
    };
    Invitation {
        id: InvitationId::generate(
            service.invitation_prefix(),
            arn.as_str(),
            supplied,
            service.id(),
            now,
        ),
        arn: arn.as_str().to_owned(),
        service,
        client_type: request.client_type.map(|t| t.as_str().to_owned()),
        client_id_type: client_id_type.to_owned(),
        client_id: client_id.to_owned(),
        supplied_client_id_type: request.client.id_type().to_owned(),
        supplied_client_id: supplied.to_owned(),
        stored_status: Status::Pending,
        relationship_ended_by: None,
        expires_on,
        created_at: now,
        updated_at: now,
        origin,
    }
}

/// The request to cancel, locked until the cancel ends, so that a cancel waits for an accept holding it.
async fn find_to_cancel(
    conn: &mut AsyncPgConnection,
    id: &InvitationId,
) -> Result<Option<Invitation>, DomainError> {
    #[cfg(feature = "fault-injection")]
    if crate::fault::active("cancel-without-row-lock") {
        return Ok(invitations::find(conn, id).await?);
    }
    Ok(invitations::find_for_update(conn, id).await?)
}

/// Inserts, moving the id's millisecond on when another request already has the same id. A conflict
/// with the one-pending index (a race the lock did not cover) is a duplicate, never an error.
async fn insert_with_unique_id(
    conn: &mut AsyncPgConnection,
    invitation: &mut Invitation,
) -> Result<(), DomainError> {
    for attempt in 0..ID_ATTEMPTS {
        if invitations::insert_if_absent(conn, invitation).await? {
            return Ok(());
        }
        let group = invitation.service.group();
        if let Some(existing) = invitations::find_pending(
            conn,
            &invitation.arn,
            group,
            &[&invitation.client_id, &invitation.supplied_client_id],
        )
        .await?
        {
            return Err(DomainError::DuplicateAuthorisationRequest {
                existing: existing.id,
            });
        }
        let at: DateTime<Utc> = invitation.created_at + Duration::milliseconds(attempt + 1);
        let service = invitation.service;
        invitation.id = InvitationId::generate(
            service.invitation_prefix(),
            &invitation.arn,
            &invitation.supplied_client_id,
            service.id(),
            at,
        );
    }
    Err(DomainError::Internal(
        "no free invitation id after several attempts".into(),
    ))
}
