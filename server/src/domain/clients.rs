//! Finding the client an agent names and checking the known fact (docs/domain.md §6, step 7).

use diesel_async::AsyncPgConnection;

use super::DomainError;
use super::invitation::Invitation;
use super::request::{ClientIdentifier, KnownFact};
use super::service::{ClientIdType, Service};
use crate::store::clients::{self, CgtClient, IndividualClient, PptClient, TrustClient, VatClient};

/// The client record an identifier names.
pub enum ClientRecord {
    Individual(IndividualClient),
    Vat(VatClient),
    Cgt(CgtClient),
    Ppt(PptClient),
    Trust(TrustClient),
}

impl ClientRecord {
    pub async fn find(
        conn: &mut AsyncPgConnection,
        client: &ClientIdentifier,
    ) -> Result<Option<Self>, DomainError> {
        Ok(match client {
            ClientIdentifier::Nino(nino) => clients::individual_by_nino(conn, nino.as_str())
                .await?
                .map(Self::Individual),
            ClientIdentifier::Vrn(vrn) => clients::vat_by_vrn(conn, vrn.as_str())
                .await?
                .map(Self::Vat),
            ClientIdentifier::CgtRef(id) => clients::cgt_by_reference(conn, id.as_str())
                .await?
                .map(Self::Cgt),
            ClientIdentifier::PptRef(id) => clients::ppt_by_reference(conn, id.as_str())
                .await?
                .map(Self::Ppt),
            ClientIdentifier::Utr(utr) => clients::trust_by_utr(conn, utr.as_str())
                .await?
                .map(Self::Trust),
            ClientIdentifier::Urn(urn) => clients::trust_by_urn(conn, urn.as_str())
                .await?
                .map(Self::Trust),
        })
    }

    /// Takes the transaction-scoped advisory lock `lock_key` if it is free, then finds the record: whether the
    /// lock was taken, and the record. For a NINO or a VRN both come from one statement.
    pub async fn find_after_lock(
        conn: &mut AsyncPgConnection,
        lock_key: &str,
        client: &ClientIdentifier,
    ) -> Result<(bool, Option<Self>), DomainError> {
        match client {
            ClientIdentifier::Nino(nino) => {
                let (locked, record) =
                    clients::try_lock_then_individual(conn, lock_key, nino.as_str()).await?;
                Ok((locked, record.map(Self::Individual)))
            }
            ClientIdentifier::Vrn(vrn) => {
                let (locked, record) =
                    clients::try_lock_then_vat(conn, lock_key, vrn.as_str()).await?;
                Ok((locked, record.map(Self::Vat)))
            }
            _ => {
                let locked = crate::store::locks::try_lock(conn, lock_key).await?;
                Ok((locked, Self::find(conn, client).await?))
            }
        }
    }

    /// The identifier the client's enrolment for the service carries, as (clientIdType, clientId): the
    /// MTDITID for MTD-IT (the NINO for an "alternative ITSA" client who has none yet), otherwise the
    /// identifier the agent gave.
    pub fn client_id<'a>(
        &'a self,
        service: Service,
        supplied: &'a ClientIdentifier,
    ) -> (&'static str, &'a str) {
        match self {
            Self::Individual(IndividualClient {
                mtditid: Some(mtditid),
                ..
            }) if service.is_income_tax() => ("MTDITID", mtditid),
            // The record's NINO, whatever suffix the agent gave: one person, one id (docs/domain.md §4).
            Self::Individual(individual) => (supplied.id_type(), &individual.nino),
            _ => (supplied.id_type(), supplied.value()),
        }
    }

    /// The client's name as HMRC holds it.
    pub fn name(&self) -> &str {
        match self {
            Self::Individual(client) => &client.name,
            Self::Vat(client) => &client.name,
            Self::Cgt(client) => &client.name,
            Self::Ppt(client) => &client.name,
            Self::Trust(client) => &client.name,
        }
    }

    /// For a create: insolvency first, then the known fact (docs/domain.md §6, step 7).
    pub fn check(&self, known_fact: Option<&KnownFact>) -> Result<(), DomainError> {
        self.check_insolvency()?;
        self.check_known_fact(known_fact)
    }

    /// For a relationship check: the known fact first, so that a caller without it does not learn that a VAT
    /// customer is insolvent (docs/domain.md §6).
    pub fn check_known_fact_first(
        &self,
        known_fact: Option<&KnownFact>,
    ) -> Result<(), DomainError> {
        #[cfg(feature = "fault-injection")]
        if crate::fault::active("insolvency-before-known-fact") {
            return self.check(known_fact);
        }
        self.check_known_fact(known_fact)?;
        self.check_insolvency()
    }

    fn check_insolvency(&self) -> Result<(), DomainError> {
        match self {
            Self::Vat(client) if client.insolvent => Err(DomainError::VatClientInsolvent),
            _ => Ok(()),
        }
    }

    fn check_known_fact(&self, known_fact: Option<&KnownFact>) -> Result<(), DomainError> {
        match (self, known_fact) {
            (Self::Individual(client), Some(KnownFact::Postcode(postcode)))
                if client.postcode != postcode.as_str() =>
            {
                #[cfg(feature = "fault-injection")]
                if crate::fault::active("postcode-contains")
                    && (client.postcode.contains(postcode.as_str())
                        || postcode.as_str().contains(client.postcode.as_str()))
                {
                    return Ok(());
                }
                Err(DomainError::PostcodeDoesNotMatch)
            }
            (Self::Vat(client), Some(KnownFact::VatRegistrationDate(date)))
                if client.registration_date != *date =>
            {
                Err(DomainError::VatRegDateDoesNotMatch)
            }
            _ => Ok(()),
        }
    }
}

impl super::Authorisations {
    /// The name of the client a request names, by the identifier the agent gave; `None` when no record has it.
    pub async fn client_name(
        &self,
        invitation: &Invitation,
    ) -> Result<Option<String>, DomainError> {
        let kind = ClientIdType::parse(&invitation.supplied_client_id_type);
        let Some(client) =
            kind.and_then(|kind| ClientIdentifier::parse(kind, &invitation.supplied_client_id))
        else {
            return Ok(None);
        };
        let mut conn = self.connection().await?;
        let record = ClientRecord::find(&mut conn, &client).await?;
        Ok(record.map(|record| record.name().to_owned()))
    }
}

/// Every id the client's relationships for the service may be stored under: for MTD-IT a partial
/// authorisation is held against the NINO and a full one against the MTDITID.
pub fn relationship_client_ids<'a>(
    record: Option<&'a ClientRecord>,
    client: &'a ClientIdentifier,
    service: Service,
) -> Vec<&'a str> {
    match record {
        Some(ClientRecord::Individual(individual)) if service.is_income_tax() => {
            std::iter::once(individual.nino.as_str())
                .chain(individual.mtditid.as_deref())
                .collect()
        }
        Some(ClientRecord::Individual(individual)) => vec![individual.nino.as_str()],
        _ => vec![client.value()],
    }
}
