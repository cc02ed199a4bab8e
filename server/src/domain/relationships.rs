//! Relationships: starting one when a client accepts, checking, and ending (docs/domain.md §7).

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::clients::{ClientRecord, relationship_client_ids};
use super::identifiers::{Arn, person_key};
use super::invitation::{EndedBy, Invitation};
use super::maintenance::complete_partial;
use super::request::ValidRequest;
use super::service::Service;
use super::{Authorisations, DomainError};
use crate::store::clients::IndividualClient;
use crate::store::relationships::{Ending, NewRelationship};
use crate::store::{invitations, locks, relationships};

impl Authorisations {
    /// Whether the agent is authorised: the request is checked against the client's record first, as
    /// for a create; then an active (or, for MTD-IT, partial) relationship answers yes.
    pub async fn check_relationship(
        &self,
        arn: &Arn,
        request: &ValidRequest,
    ) -> Result<(), DomainError> {
        let mut conn = self.connection().await?;
        let record = ClientRecord::find(&mut conn, &request.client)
            .await?
            .ok_or(DomainError::ClientRegistrationNotFound)?;
        record.check_known_fact_first(request.known_fact.as_ref())?;
        let client_ids = relationship_client_ids(Some(&record), &request.client, request.service);
        let service = [request.service.id()];
        let partial =
            relationships::active_is_partial(&mut conn, arn.as_str(), &service, &client_ids)
                .await?
                .ok_or(DomainError::RelationshipNotFound)?;
        #[cfg(feature = "fault-injection")]
        if crate::fault::active("check-keeps-partial") {
            return Ok(());
        }
        // A partial authorisation of a client who has since signed up to MTD IT becomes a full one, as HMRC's
        // check does (docs/domain.md §7).
        if let ClientRecord::Individual(IndividualClient {
            nino,
            mtditid: Some(mtditid),
            ..
        }) = &record
            && partial
        {
            let now = self.now();
            conn.transaction(async |conn| {
                lock_client(conn, request.service, nino).await?;
                complete_partial(conn, request.service, nino, mtditid, now).await
            })
            .await?;
        }
        Ok(())
    }

    /// Whether the agent is authorised, without a known fact (the backend's relationship check).
    pub async fn has_relationship(
        &self,
        arn: &Arn,
        request: &ValidRequest,
    ) -> Result<(), DomainError> {
        let mut conn = self.connection().await?;
        let record = ClientRecord::find(&mut conn, &request.client).await?;
        is_authorised(&mut conn, arn, request, record.as_ref()).await
    }

    /// Ends the agent's relationship with the client; the request that created it reads Deauthorised.
    /// `services` lists the services whose relationship may be ended (main and supporting, when the
    /// agent did not say which).
    pub async fn deauthorise(
        &self,
        arn: &Arn,
        request: &ValidRequest,
        services: &[Service],
    ) -> Result<(), DomainError> {
        self.end_relationship(arn, request, services, EndedBy::Agent)
            .await
    }

    /// Ends the agent's relationship with the client as `by` (the agent, or HMRC staff).
    pub async fn end_relationship(
        &self,
        arn: &Arn,
        request: &ValidRequest,
        services: &[Service],
        by: EndedBy,
    ) -> Result<(), DomainError> {
        let now = self.now();
        let mut conn = self.connection().await?;
        conn.transaction(async |conn| {
            lock_client(conn, request.service, request.client.value()).await?;
            let record = ClientRecord::find(conn, &request.client).await?;
            let client_ids =
                relationship_client_ids(record.as_ref(), &request.client, request.service);
            let services: Vec<&str> = services.iter().map(|s| s.id()).collect();
            let which = Ending {
                arn: Some(arn.as_str()),
                except_arn: None,
                services: &services,
                client_ids: &client_ids,
            };
            let ended = relationships::end(conn, &which, by, now).await?;
            if ended.is_empty() {
                return Err(DomainError::NoRelationship);
            }
            let invitation_ids: Vec<String> = ended.into_iter().flatten().collect();
            invitations::set_deauthorised(conn, &invitation_ids, by, now).await?;
            Ok(())
        })
        .await
    }

    /// Starts the relationship an accepted request grants, inside the accepting transaction, which holds
    /// [`lock_client`]. One agent per client and service, except supporting MTD-IT agents; an agent holds
    /// main or supporting for a client, not both. Relationships so displaced end as the client's doing;
    /// for MTD-IT they may be held against the NINO (partial) or the MTDITID.
    pub(super) async fn start_relationship(
        conn: &mut AsyncPgConnection,
        invitation: &Invitation,
        partial: bool,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let service = invitation.service;
        let client_id = invitation.client_id.as_str();
        let client_ids: Vec<&str> = if service.is_income_tax() {
            vec![client_id, invitation.supplied_client_id.as_str()]
        } else {
            vec![client_id]
        };
        let mut ended = Vec::new();
        let one_agent = !service.allows_several_agents();
        #[cfg(feature = "fault-injection")]
        let one_agent = match one_agent {
            false => crate::fault::active("supporting-displaces-others"),
            true => !crate::fault::active("main-keeps-the-old-main"),
        };
        if one_agent {
            let others = Ending {
                arn: None,
                except_arn: Some(&invitation.arn),
                services: &[service.id()],
                client_ids: &client_ids,
            };
            ended.extend(relationships::end(conn, &others, EndedBy::Client, now).await?);
        }
        let counterpart = service.income_tax_counterpart();
        #[cfg(feature = "fault-injection")]
        let counterpart =
            counterpart.filter(|_| !crate::fault::active("no-main-supporting-switch"));
        if let Some(counterpart) = counterpart {
            let own = Ending {
                arn: Some(&invitation.arn),
                except_arn: None,
                services: &[counterpart.id()],
                client_ids: &client_ids,
            };
            ended.extend(relationships::end(conn, &own, EndedBy::Client, now).await?);
        }
        let ended: Vec<String> = ended.into_iter().flatten().collect();
        invitations::set_deauthorised(conn, &ended, EndedBy::Client, now).await?;
        let relationship = NewRelationship {
            arn: &invitation.arn,
            service: service.id(),
            client_id,
            partial,
            invitation_id: Some(invitation.id.as_str()),
            started_at: now,
        };
        relationships::insert_if_absent(conn, &relationship).await?;
        Ok(())
    }
}

/// Every change to a client's relationships for a service takes this lock before touching any row, so
/// that concurrent changes (accepting, ending by agent or client, HMRC's updates) wait for each other
/// instead of deadlocking. `person` is the identifier the agent named the client by (the NINO for MTD-IT).
pub(super) async fn lock_client(
    conn: &mut AsyncPgConnection,
    service: Service,
    person: &str,
) -> Result<(), DomainError> {
    let person = person_key(person);
    locks::lock(
        conn,
        &format!("client-relationships|{}|{person}", service.group()),
    )
    .await?;
    Ok(())
}

async fn is_authorised(
    conn: &mut AsyncPgConnection,
    arn: &Arn,
    request: &ValidRequest,
    record: Option<&ClientRecord>,
) -> Result<(), DomainError> {
    let client_ids = relationship_client_ids(record, &request.client, request.service);
    if relationships::is_active(conn, arn.as_str(), &[request.service.id()], &client_ids).await? {
        Ok(())
    } else {
        Err(DomainError::RelationshipNotFound)
    }
}
