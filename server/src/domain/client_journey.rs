//! The client's journey behind a client action link (docs/domain.md §8, §11): the agency and service the link
//! names, the signed-in client's requests from that agency, and the client's answer to one of them.

use super::agency::normalise_agency_name;
use super::client_access::ClientScope;
use super::invitation::Invitation;
use super::invitation_id::InvitationId;
use super::invitations::{Answer, Answerer};
use super::principal::Principal;
use super::service::Service;
use super::{Authorisations, DomainError};
use crate::store::agencies::{self, Agency};
use crate::store::invitations;

/// The last segment of a client action link: which of the agency's services the link is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Journey {
    IncomeTax,
    Vat,
    IncomeRecordViewer,
    CapitalGainsTax,
    Trusts,
    PlasticPackagingTax,
}

impl Journey {
    pub const ALL: [Journey; 6] = [
        Journey::IncomeTax,
        Journey::Vat,
        Journey::IncomeRecordViewer,
        Journey::CapitalGainsTax,
        Journey::Trusts,
        Journey::PlasticPackagingTax,
    ];

    pub fn of(service: Service) -> Self {
        match service {
            Service::MtdIt | Service::MtdItSupp => Journey::IncomeTax,
            Service::MtdVat => Journey::Vat,
            Service::PersonalIncomeRecord => Journey::IncomeRecordViewer,
            Service::CgtPd => Journey::CapitalGainsTax,
            Service::TersOrg | Service::TersntOrg => Journey::Trusts,
            Service::PptOrg => Journey::PlasticPackagingTax,
        }
    }

    pub fn path_segment(self) -> &'static str {
        match self {
            Journey::IncomeTax => "income-tax",
            Journey::Vat => "vat",
            Journey::IncomeRecordViewer => "income-record-viewer",
            Journey::CapitalGainsTax => "capital-gains-tax",
            Journey::Trusts => "trusts",
            Journey::PlasticPackagingTax => "plastic-packaging-tax",
        }
    }

    pub fn parse(segment: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|journey| journey.path_segment() == segment)
    }

    /// The journeys of the services a client of this type may be asked about, in [`Journey::ALL`]'s order.
    pub fn for_client_type(client_type: super::service::ClientType) -> Vec<Self> {
        Self::ALL
            .into_iter()
            .filter(|journey| {
                journey
                    .services()
                    .iter()
                    .any(|service| service.client_types().contains(&client_type))
            })
            .collect()
    }

    /// The services whose requests this journey answers.
    pub fn services(self) -> Vec<Service> {
        Service::ALL
            .into_iter()
            .filter(|service| Journey::of(*service) == self)
            .collect()
    }
}

/// An agency and journey that a client action link names.
#[derive(Debug, Clone)]
pub struct AgencyLink {
    pub agency: Agency,
    pub journey: Journey,
}

/// What the signed-in client has from the agency for the link's services.
#[derive(Debug, Clone)]
pub enum RequestsFromAgency {
    /// The client holds none of the enrolments those services need.
    NoEnrolment,
    /// Every request (any status), newest first.
    Requests(Vec<Invitation>),
}

impl Authorisations {
    /// The agency and journey of a client action link; `None` when the uid is unknown, the name is not
    /// that agency's (normalised) name, or the journey is not one we know.
    pub async fn agency_link(
        &self,
        uid: &str,
        normalised_name: &str,
        journey: &str,
    ) -> Result<Option<AgencyLink>, DomainError> {
        let Some(journey) = Journey::parse(journey) else {
            return Ok(None);
        };
        let agency = self.linked_agency(uid, normalised_name).await?;
        Ok(agency.map(|agency| AgencyLink { agency, journey }))
    }

    /// The agency a link's uid and normalised name name together (a client action link's, or a
    /// multi-invitation link's); `None` unless both are that agency's.
    pub async fn linked_agency(
        &self,
        uid: &str,
        normalised_name: &str,
    ) -> Result<Option<Agency>, DomainError> {
        let mut conn = self.connection().await?;
        let agency = agencies::find_by_uid(&mut conn, uid).await?;
        Ok(agency.filter(|agency| normalise_agency_name(&agency.name) == normalised_name))
    }

    /// The client's requests from the link's agency, for the link's services the client holds.
    pub async fn requests_from_agency(
        &self,
        client: &Principal,
        link: &AgencyLink,
    ) -> Result<RequestsFromAgency, DomainError> {
        let scopes = journey_scopes(client, link.journey);
        if scopes.is_empty() {
            return Ok(RequestsFromAgency::NoEnrolment);
        }
        let mut conn = self.connection().await?;
        let mut found = Vec::new();
        for (scope, services) in &scopes {
            let services: Vec<&str> = services.iter().map(|service| service.id()).collect();
            let requests =
                invitations::list_for_client(&mut conn, &scope.client_id, &services).await?;
            found.extend(
                requests
                    .into_iter()
                    .filter(|request| request.arn == link.agency.arn),
            );
        }
        found.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| b.id.as_str().cmp(a.id.as_str()))
        });
        found.dedup_by(|a, b| a.id == b.id);
        Ok(RequestsFromAgency::Requests(found))
    }

    /// One of the client's requests from the link's agency. A request of another agency or service is
    /// not found; one naming another client is refused.
    pub async fn request_from_agency(
        &self,
        client: &Principal,
        link: &AgencyLink,
        id: &InvitationId,
    ) -> Result<(Invitation, ClientScope), DomainError> {
        let mut conn = self.connection().await?;
        let invitation = invitations::find(&mut conn, id)
            .await?
            .filter(|invitation| {
                invitation.arn == link.agency.arn && Journey::of(invitation.service) == link.journey
            })
            .ok_or(DomainError::InvitationNotFound)?;
        let scope = ClientScope::all_of(client)
            .into_iter()
            .find(|scope| scope.covers(&invitation))
            .ok_or(DomainError::NoPermissionOnClient)?;
        Ok((invitation, scope))
    }

    /// The client accepts or declines one of their requests from the link's agency, under the same rules
    /// as the client API.
    pub async fn answer_from_link(
        &self,
        client: &Principal,
        link: &AgencyLink,
        id: &InvitationId,
        accept: bool,
    ) -> Result<(), DomainError> {
        let (_, scope) = self.request_from_agency(client, link, id).await?;
        let answer = if accept {
            Answer::Accept
        } else {
            Answer::Reject
        };
        self.answer(id, answer, Answerer::Client(&scope)).await
    }
}

/// The client's scopes that reach the journey's services, each with the services it reaches.
fn journey_scopes(client: &Principal, journey: Journey) -> Vec<(ClientScope, Vec<Service>)> {
    let wanted = journey.services();
    ClientScope::all_of(client)
        .into_iter()
        .filter_map(|scope| {
            let services: Vec<Service> = scope
                .kind
                .services
                .iter()
                .copied()
                .filter(|service| wanted.contains(service))
                .collect();
            (!services.is_empty()).then_some((scope, services))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_has_one_journey_and_segments_parse_back() {
        for journey in Journey::ALL {
            assert_eq!(Journey::parse(journey.path_segment()), Some(journey));
            assert!(!journey.services().is_empty());
        }
        for service in Service::ALL {
            assert!(Journey::of(service).services().contains(&service));
        }
        assert_eq!(
            Journey::IncomeTax.services(),
            vec![Service::MtdIt, Service::MtdItSupp]
        );
        assert_eq!(Journey::parse("Income-Tax"), None);
    }
}
