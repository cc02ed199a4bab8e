//! Finding the client an agent names and checking the known fact (DOMAIN.md §6, step 7).

use diesel_async::AsyncPgConnection;

use super::DomainError;
use super::request::{ClientIdentifier, KnownFact};
use crate::store::clients::{self, IndividualClient, VatClient};

/// The client record an identifier names.
pub enum ClientRecord {
    Individual(IndividualClient),
    Vat(VatClient),
}

impl ClientRecord {
    pub async fn find(conn: &mut AsyncPgConnection, client: &ClientIdentifier) -> Result<Option<Self>, DomainError> {
        Ok(match client {
            ClientIdentifier::Nino(nino) => clients::individual_by_nino(conn, nino.as_str()).await?.map(Self::Individual),
            ClientIdentifier::Vrn(vrn) => clients::vat_by_vrn(conn, vrn.as_str()).await?.map(Self::Vat),
        })
    }

    /// The identifier the client's enrolment carries for the service: the MTDITID for MTD-IT (the NINO
    /// for an "alternative ITSA" client who has none yet), the VRN for VAT.
    pub fn client_id(&self) -> (&'static str, &str) {
        match self {
            Self::Individual(client) => match &client.mtditid {
                Some(mtditid) => ("MTDITID", mtditid),
                None => ("ni", &client.nino),
            },
            Self::Vat(client) => ("vrn", &client.vrn),
        }
    }

    /// Insolvency first, then the known fact.
    pub fn check(&self, known_fact: Option<&KnownFact>) -> Result<(), DomainError> {
        match (self, known_fact) {
            (Self::Vat(client), _) if client.insolvent => Err(DomainError::VatClientInsolvent),
            (Self::Individual(client), Some(KnownFact::Postcode(postcode))) if client.postcode != postcode.as_str() => {
                Err(DomainError::PostcodeDoesNotMatch)
            }
            (Self::Vat(client), Some(KnownFact::VatRegistrationDate(date))) if client.registration_date != *date => {
                Err(DomainError::VatRegDateDoesNotMatch)
            }
            _ => Ok(()),
        }
    }
}

/// The ids the client's relationships for an income-tax or VAT service may be stored under: a
/// partial authorisation is held against the NINO, a full one against the MTDITID.
pub fn relationship_client_ids<'a>(record: Option<&'a ClientRecord>, client: &'a ClientIdentifier) -> Vec<&'a str> {
    match record {
        Some(ClientRecord::Individual(individual)) => {
            std::iter::once(individual.nino.as_str()).chain(individual.mtditid.as_deref()).collect()
        }
        Some(ClientRecord::Vat(vat)) => vec![vat.vrn.as_str()],
        None => vec![client.value()],
    }
}
