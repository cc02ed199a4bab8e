//! HMRC-side changes to a client's identity: an alternative-ITSA client signs up to MTD Income Tax, a
//! non-taxable trust becomes taxable (docs/domain.md §7).

use diesel_async::AsyncConnection;

use super::identifiers::{MtdItId, Nino, Urn, Utr, person_key};
use super::invitation::Status;
use super::principal::Principal;
use super::relationships::lock_client;
use super::service::Service;
use super::{Authorisations, DomainError};
use crate::store::{clients, invitations, principals, relationships};

/// What a maintenance call changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A relationship was created (201).
    RelationshipCreated,
    /// Requests were updated, no relationship created (204).
    Updated,
}

impl Authorisations {
    /// The client now has an MTDITID: partial authorisations for the service become full relationships
    /// (201), or, failing those, pending requests move to the MTDITID (204). Nothing to do is 404.
    pub async fn update_alt_itsa(&self, service: &str, nino: &str) -> Result<Outcome, DomainError> {
        let service = Service::from_id(service)
            .filter(|s| s.is_income_tax())
            .ok_or(DomainError::BadRequest)?;
        let nino = Nino::parse(nino).ok_or(DomainError::ClientIdFormatInvalid)?;
        let now = self.now();
        let mut conn = self.connection().await?;
        conn.transaction(async |conn| {
            let record = clients::individual_by_nino(conn, nino.as_str())
                .await?
                .ok_or(DomainError::AltItsaNotFound)?;
            let mtditid = record.mtditid.ok_or(DomainError::AltItsaNotFound)?;
            // Requests and relationships name the client by the record's NINO, whatever suffix the path gave.
            let nino = record.nino;
            lock_client(conn, service, &nino).await?;
            let converted = complete_partial(conn, service, &nino, &mtditid, now).await?;
            let pending = invitations::move_client(
                conn,
                service.id(),
                &nino,
                &mtditid,
                Status::Pending,
                None,
                now,
            )
            .await?;
            match (converted, pending) {
                (0, 0) => Err(DomainError::AltItsaNotFound),
                (0, _) => Ok(Outcome::Updated),
                _ => Ok(Outcome::RelationshipCreated),
            }
        })
        .await
    }

    /// A trust known by its URN became taxable and has a UTR: the agent of its latest request keeps
    /// acting for it under the UTR. That request, pending or accepted, moves to HMRC-TERS-ORG and the UTR,
    /// with its active relationship (201); anything else changes nothing (204), as does a UTR another
    /// trust holds; no request, 404. The trust's user gains the HMRC-TERS-ORG enrolment.
    pub async fn replace_urn_with_utr(&self, urn: &str, utr: &str) -> Result<Outcome, DomainError> {
        let urn = Urn::parse(urn.trim()).ok_or(DomainError::ClientIdFormatInvalid)?;
        let utr = Utr::parse(utr.trim()).ok_or(DomainError::ClientIdFormatInvalid)?;
        let now = self.now();
        let mut conn = self.connection().await?;
        conn.transaction(async |conn| {
            // Both clients' locks, always in this order.
            lock_client(conn, Service::TersntOrg, urn.as_str()).await?;
            lock_client(conn, Service::TersOrg, utr.as_str()).await?;
            let latest =
                invitations::latest_for_client(conn, Service::TersntOrg.id(), urn.as_str())
                    .await?
                    .ok_or(DomainError::InvitationNotFound)?;
            // A UTR another trust holds is not this trust's: nothing moves to it.
            let holder = clients::trust_by_utr(conn, utr.as_str()).await?;
            if holder.is_some_and(|trust| trust.urn.as_deref() != Some(urn.as_str())) {
                return Ok(Outcome::Updated);
            }
            let from = (Service::TersntOrg.id(), urn.as_str());
            let to = (Service::TersOrg.id(), utr.as_str());
            match latest.status_at(now) {
                Status::Pending => {
                    let group = Service::TersOrg.group();
                    if invitations::find_pending(conn, &latest.arn, group, &[utr.as_str()])
                        .await?
                        .is_some()
                    {
                        return Ok(Outcome::Updated);
                    }
                }
                Status::Accepted
                    if relationships::reassign(conn, &latest.arn, from, to).await? > 0 => {}
                _ => return Ok(Outcome::Updated),
            }
            invitations::reassign(conn, &latest.id, Service::TersOrg, "utr", utr.as_str(), now)
                .await?;
            if clients::set_trust_utr_if_free(conn, urn.as_str(), utr.as_str()).await? > 0 {
                let enrolment = ("HMRC-TERS-ORG", "SAUTR", utr.as_str());
                principals::add_enrolment_beside(
                    conn,
                    ("HMRC-TERSNT-ORG", urn.as_str()),
                    enrolment,
                )
                .await?;
            }
            Ok(Outcome::RelationshipCreated)
        })
        .await
    }

    /// Sandbox: the individual signs up to MTD Income Tax, receiving an MTDITID (the one they have, if
    /// they already did) and its enrolment.
    pub async fn sign_up_mtd_income_tax(
        &self,
        caller: &Principal,
        nino: &str,
    ) -> Result<MtdItId, DomainError> {
        let nino = Nino::parse(nino).ok_or(DomainError::ClientIdFormatInvalid)?;
        // The individual (by their NINO, whatever its suffix) or HMRC staff.
        let own = caller.enrolments.iter().any(|enrolment| {
            enrolment.identifier_name == "NINO"
                && person_key(&enrolment.identifier_value) == person_key(nino.as_str())
        });
        if !own && !caller.is_hmrc_staff() {
            return Err(DomainError::NoPermission);
        }
        let mut conn = self.connection().await?;
        conn.transaction(async |conn| {
            let record = clients::individual_by_nino(conn, nino.as_str())
                .await?
                .ok_or(DomainError::NoClientRecord)?;
            if let Some(existing) = record.mtditid.as_deref().and_then(MtdItId::parse) {
                return Ok(existing);
            }
            let mtditid = MtdItId::generate(&mut rand::rng());
            clients::set_mtditid(conn, nino.as_str(), mtditid.as_str()).await?;
            principals::add_enrolment_beside(
                conn,
                ("HMRC-NI", nino.as_str()),
                ("HMRC-MTD-IT", "MTDITID", mtditid.as_str()),
            )
            .await?;
            Ok(mtditid)
        })
        .await
    }
}

/// The client's partial authorisations for an income-tax service become full relationships under their MTDITID,
/// and the requests that granted them read Accepted. Answers how many relationships and requests changed. The
/// caller holds [`lock_client`].
pub(super) async fn complete_partial(
    conn: &mut diesel_async::AsyncPgConnection,
    service: Service,
    nino: &str,
    mtditid: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, DomainError> {
    let converted = relationships::make_full(conn, service.id(), nino, mtditid).await?;
    let accepted = invitations::move_client(
        conn,
        service.id(),
        nino,
        mtditid,
        Status::Partialauth,
        Some(Status::Accepted),
        now,
    )
    .await?;
    Ok(converted + accepted)
}
