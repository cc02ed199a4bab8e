//! What an agent's software asks for, validated in the documented order (docs/domain.md §6, step 4):
//! service, agent type, client type, client identifier, known fact.

use chrono::NaiveDate;

use super::DomainError;
use super::identifiers::{CgtRef, Nino, Postcode, PptRef, Urn, Utr, Vrn, parse_date};
use super::service::{AgentType, ClientIdType, ClientType, Service};

/// How a version of the public API names services in its bodies (docs/domain.md §3, §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceNames {
    /// `MTD-IT` and `MTD-VAT`; any other service is 400 SERVICE_NOT_SUPPORTED. 2.0, and 1.0 on the 2.0 paths.
    Public,
    /// HMRC's 1.0 paths: `HMRC-MTD-IT` and `HMRC-MTD-VAT` (the public names accepted too); any other service is
    /// 501 SERVICE_NOT_SUPPORTED.
    Hmrc,
}

impl ServiceNames {
    /// The service a name means: income tax (true) or VAT (false).
    fn is_income_tax(self, name: &str) -> Result<bool, DomainError> {
        match (self, name) {
            (_, "MTD-IT") | (Self::Hmrc, "HMRC-MTD-IT") => Ok(true),
            (_, "MTD-VAT") | (Self::Hmrc, "HMRC-MTD-VAT") => Ok(false),
            (Self::Public, _) => Err(DomainError::ServiceNotSupported),
            (Self::Hmrc, _) => Err(DomainError::ServiceNotImplemented),
        }
    }

    /// How answers name a service these versions offer.
    pub fn name(self, service: Service) -> Option<&'static str> {
        match (self, service) {
            (Self::Public, Service::MtdIt | Service::MtdItSupp) => Some("MTD-IT"),
            (Self::Public, Service::MtdVat) => Some("MTD-VAT"),
            (Self::Hmrc, Service::MtdIt | Service::MtdItSupp) => Some("HMRC-MTD-IT"),
            (Self::Hmrc, Service::MtdVat) => Some("HMRC-MTD-VAT"),
            _ => None,
        }
    }
}

/// The fields of a public-API (v1, v2) request body, as sent.
#[derive(Debug, Clone, Copy)]
pub struct PublicRequest<'a> {
    pub names: ServiceNames,
    pub service: &'a str,
    pub agent_type: Option<&'a str>,
    pub client_type: Option<&'a str>,
    pub client_id_type: &'a str,
    pub client_id: &'a str,
    pub known_fact: Option<&'a str>,
}

/// The fields of a backend request naming a service by its internal id, as sent.
#[derive(Debug, Clone, Copy)]
pub struct BackendRequest<'a> {
    pub service: &'a str,
    pub client_type: Option<&'a str>,
    pub client_id_type: &'a str,
    pub client_id: &'a str,
}

/// The client an agent names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientIdentifier {
    Nino(Nino),
    Vrn(Vrn),
    CgtRef(CgtRef),
    Utr(Utr),
    Urn(Urn),
    PptRef(PptRef),
}

impl ClientIdentifier {
    /// Parses an identifier of the kind given; NINOs and VRNs may carry spaces anywhere (and NINOs lower case).
    pub fn parse(kind: ClientIdType, text: &str) -> Option<Self> {
        let trimmed = text.trim();
        match kind {
            ClientIdType::Ni => Nino::parse(text).map(Self::Nino),
            ClientIdType::Vrn => Vrn::parse(text).map(Self::Vrn),
            ClientIdType::CgtPdRef => CgtRef::parse(trimmed).map(Self::CgtRef),
            ClientIdType::Utr => Utr::parse(trimmed).map(Self::Utr),
            ClientIdType::Urn => Urn::parse(trimmed).map(Self::Urn),
            ClientIdType::EtmpRegistrationNumber => PptRef::parse(trimmed).map(Self::PptRef),
        }
    }

    pub fn kind(&self) -> ClientIdType {
        match self {
            ClientIdentifier::Nino(_) => ClientIdType::Ni,
            ClientIdentifier::Vrn(_) => ClientIdType::Vrn,
            ClientIdentifier::CgtRef(_) => ClientIdType::CgtPdRef,
            ClientIdentifier::Utr(_) => ClientIdType::Utr,
            ClientIdentifier::Urn(_) => ClientIdType::Urn,
            ClientIdentifier::PptRef(_) => ClientIdType::EtmpRegistrationNumber,
        }
    }

    pub fn id_type(&self) -> &'static str {
        self.kind().as_str()
    }

    pub fn value(&self) -> &str {
        match self {
            ClientIdentifier::Nino(id) => id.as_str(),
            ClientIdentifier::Vrn(id) => id.as_str(),
            ClientIdentifier::CgtRef(id) => id.as_str(),
            ClientIdentifier::Utr(id) => id.as_str(),
            ClientIdentifier::Urn(id) => id.as_str(),
            ClientIdentifier::PptRef(id) => id.as_str(),
        }
    }
}

/// The fact that shows the agent knows the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KnownFact {
    Postcode(Postcode),
    VatRegistrationDate(NaiveDate),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRequest {
    pub service: Service,
    pub client_type: Option<ClientType>,
    pub client: ClientIdentifier,
    pub known_fact: Option<KnownFact>,
}

impl PublicRequest<'_> {
    pub fn validate(&self) -> Result<ValidRequest, DomainError> {
        #[cfg(feature = "fault-injection")]
        if crate::fault::active("agent-type-before-service")
            && self
                .agent_type
                .is_some_and(|t| AgentType::parse(t).is_none())
        {
            return Err(DomainError::AgentTypeNotSupported);
        }
        let is_income_tax = self.names.is_income_tax(self.service)?;
        let service = match (is_income_tax, self.agent_type) {
            (true, None) => Service::MtdIt,
            (true, Some(text)) => match AgentType::parse(text) {
                Some(AgentType::Main) => Service::MtdIt,
                Some(AgentType::Supporting) => Service::MtdItSupp,
                None => return Err(DomainError::AgentTypeNotSupported),
            },
            (false, None) => Service::MtdVat,
            (false, Some(_)) => return Err(DomainError::AgentTypeNotSupported),
        };
        let client_type = client_type(service, self.client_type)?;
        let client = client_identifier(service, self.client_id_type, self.client_id)?;
        let known_fact = match self.known_fact {
            None => None,
            Some(text) if is_income_tax => Some(KnownFact::Postcode(
                Postcode::parse(text).ok_or(DomainError::PostcodeFormatInvalid)?,
            )),
            Some(text) => Some(KnownFact::VatRegistrationDate(
                parse_date(text).ok_or(DomainError::VatRegDateFormatInvalid)?,
            )),
        };
        Ok(ValidRequest {
            service,
            client_type,
            client,
            known_fact,
        })
    }
}

impl PublicRequest<'_> {
    /// The services whose relationship a deauthorisation ends: without an agent type, MTD-IT means
    /// whichever of main or supporting the agent holds.
    pub fn services_to_end(&self, valid: &ValidRequest) -> Vec<Service> {
        match valid.service.income_tax_counterpart() {
            Some(counterpart) if self.agent_type.is_none() => vec![valid.service, counterpart],
            _ => vec![valid.service],
        }
    }
}

impl BackendRequest<'_> {
    /// A service this system does not know is not implemented (the backend answers 501); then the
    /// client type and the client identifier, as for the public API.
    pub fn validate(&self) -> Result<ValidRequest, DomainError> {
        let service = Service::from_id(self.service).ok_or(DomainError::ServiceNotImplemented)?;
        let client_type = client_type(service, self.client_type)?;
        let client = client_identifier(service, self.client_id_type, self.client_id)?;
        Ok(ValidRequest {
            service,
            client_type,
            client,
            known_fact: None,
        })
    }
}

fn client_type(service: Service, text: Option<&str>) -> Result<Option<ClientType>, DomainError> {
    match text {
        None => Ok(None),
        Some(text) => match ClientType::parse(text) {
            Some(kind) if service.client_types().contains(&kind) => Ok(Some(kind)),
            _ => Err(DomainError::ClientTypeNotSupported),
        },
    }
}

/// A clientIdType that does not fit the service, or a valid identifier of another kind, does not match
/// the service; anything else that does not parse is malformed.
pub fn client_identifier(
    service: Service,
    id_type: &str,
    id: &str,
) -> Result<ClientIdentifier, DomainError> {
    let expected = service.client_id_type();
    if ClientIdType::parse(id_type) != Some(expected) {
        return Err(DomainError::ClientIdDoesNotMatchService);
    }
    #[cfg(feature = "fault-injection")]
    if expected == ClientIdType::Ni
        && ClientIdentifier::parse(expected, id).is_none()
        && crate::fault::active("bad-nino-500")
    {
        return Err(DomainError::Internal("fault injected: bad-nino-500".into()));
    }
    ClientIdentifier::parse(expected, id).ok_or_else(|| {
        // URNs accept nearly any short alphanumeric text, so they cannot tell a mix-up from a typo.
        let distinctive = [
            ClientIdType::Ni,
            ClientIdType::Vrn,
            ClientIdType::Utr,
            ClientIdType::CgtPdRef,
            ClientIdType::EtmpRegistrationNumber,
        ];
        let other_kind = distinctive
            .into_iter()
            .any(|kind| kind != expected && ClientIdentifier::parse(kind, id).is_some());
        if other_kind {
            DomainError::ClientIdDoesNotMatchService
        } else {
            DomainError::ClientIdFormatInvalid
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(
        service: &'a str,
        id_type: &'a str,
        id: &'a str,
        fact: &'a str,
    ) -> PublicRequest<'a> {
        PublicRequest {
            names: ServiceNames::Public,
            service,
            agent_type: None,
            client_type: Some("personal"),
            client_id_type: id_type,
            client_id: id,
            known_fact: Some(fact),
        }
    }

    fn error(request: PublicRequest<'_>) -> String {
        format!("{:?}", request.validate().unwrap_err())
    }

    fn backend(
        service: &str,
        client_type: &str,
        id_type: &str,
        id: &str,
    ) -> Result<ValidRequest, String> {
        BackendRequest {
            service,
            client_type: Some(client_type),
            client_id_type: id_type,
            client_id: id,
        }
        .validate()
        .map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn valid_requests_for_each_public_service() {
        let itsa = request("MTD-IT", "ni", "ab 12 34 56 c", "aa1 1aa")
            .validate()
            .unwrap();
        assert_eq!(itsa.service, Service::MtdIt);
        assert_eq!(
            itsa.client,
            ClientIdentifier::Nino(Nino::parse("AB123456C").unwrap())
        );
        let supporting = PublicRequest {
            agent_type: Some("supporting"),
            ..request("MTD-IT", "ni", "AB123456C", "AA1 1AA")
        };
        assert_eq!(supporting.validate().unwrap().service, Service::MtdItSupp);
        let vat = PublicRequest {
            client_type: Some("business"),
            ..request("MTD-VAT", "vrn", "101747696", "2007-05-18")
        };
        assert_eq!(
            vat.validate().unwrap().known_fact,
            Some(KnownFact::VatRegistrationDate(
                NaiveDate::from_ymd_opt(2007, 5, 18).unwrap()
            ))
        );
    }

    #[test]
    fn hmrc_1_0_names_services_its_own_way_and_answers_501_for_others() {
        let named = |names, service| {
            PublicRequest {
                names,
                ..request(service, "ni", "AB123456C", "AA1 1AA")
            }
            .validate()
            .map(|valid| valid.service)
            .map_err(|error| format!("{error:?}"))
        };
        assert_eq!(named(ServiceNames::Hmrc, "HMRC-MTD-IT"), Ok(Service::MtdIt));
        assert_eq!(named(ServiceNames::Hmrc, "MTD-IT"), Ok(Service::MtdIt));
        assert_eq!(
            named(ServiceNames::Hmrc, "HMRC-MTD-VAT"),
            Err("ClientIdDoesNotMatchService".into())
        );
        assert_eq!(
            named(ServiceNames::Hmrc, "PERSONAL-INCOME-RECORD"),
            Err("ServiceNotImplemented".into())
        );
        assert_eq!(
            named(ServiceNames::Public, "HMRC-MTD-IT"),
            Err("ServiceNotSupported".into())
        );
        assert_eq!(
            ServiceNames::Hmrc.name(Service::MtdVat),
            Some("HMRC-MTD-VAT")
        );
        assert_eq!(
            ServiceNames::Public.name(Service::MtdItSupp),
            Some("MTD-IT")
        );
        assert_eq!(ServiceNames::Public.name(Service::CgtPd), None);
    }

    #[test]
    fn checks_come_in_the_documented_order() {
        // Everything wrong: the service is reported first.
        let all_wrong = PublicRequest {
            agent_type: Some("x"),
            client_type: Some("x"),
            ..request("MTD-X", "x", "x", "x")
        };
        assert_eq!(error(all_wrong), "ServiceNotSupported");
        let agent_type = PublicRequest {
            agent_type: Some("x"),
            client_type: Some("x"),
            ..request("MTD-IT", "x", "x", "x")
        };
        assert_eq!(error(agent_type), "AgentTypeNotSupported");
        let client_type = PublicRequest {
            client_type: Some("business"),
            ..request("MTD-IT", "x", "x", "x")
        };
        assert_eq!(error(client_type), "ClientTypeNotSupported");
        assert_eq!(
            error(request("MTD-IT", "vrn", "101747696", "x")),
            "ClientIdDoesNotMatchService"
        );
        assert_eq!(
            error(request("MTD-IT", "ni", "101747696", "x")),
            "ClientIdDoesNotMatchService"
        );
        assert_eq!(
            error(request("MTD-VAT", "vrn", "AB123456C", "x")),
            "ClientIdDoesNotMatchService"
        );
        assert_eq!(
            error(request("MTD-IT", "ni", "AB1234", "x")),
            "ClientIdFormatInvalid"
        );
        assert_eq!(
            error(request("MTD-IT", "ni", "AB123456C", "not a postcode")),
            "PostcodeFormatInvalid"
        );
        assert_eq!(
            error(request("MTD-VAT", "vrn", "101747696", "18/05/2007")),
            "VatRegDateFormatInvalid"
        );
    }

    #[test]
    fn agent_type_belongs_to_income_tax_only() {
        let vat = PublicRequest {
            agent_type: Some("main"),
            ..request("MTD-VAT", "vrn", "101747696", "2007-05-18")
        };
        assert_eq!(error(vat), "AgentTypeNotSupported");
    }

    #[test]
    fn backend_requests_cover_every_service() {
        assert_eq!(
            backend("HMRC-CGT-PD", "trust", "CGTPDRef", "XMCGTP123456789")
                .unwrap()
                .service,
            Service::CgtPd
        );
        assert_eq!(
            backend("HMRC-TERS-ORG", "trust", "utr", "2134514321")
                .unwrap()
                .client
                .value(),
            "2134514321"
        );
        assert_eq!(
            backend("HMRC-TERSNT-ORG", "trust", "urn", "XATRUST12345678")
                .unwrap()
                .service,
            Service::TersntOrg
        );
        assert_eq!(
            backend(
                "HMRC-PPT-ORG",
                "business",
                "EtmpRegistrationNumber",
                "XAPPT0001234567"
            )
            .unwrap()
            .service,
            Service::PptOrg
        );
        assert_eq!(
            backend("PERSONAL-INCOME-RECORD", "personal", "ni", "AB123456C")
                .unwrap()
                .service,
            Service::PersonalIncomeRecord
        );
        assert_eq!(
            backend("HMRC-XYZ", "personal", "ni", "AB123456C").unwrap_err(),
            "ServiceNotImplemented"
        );
        assert_eq!(
            backend("HMRC-TERS-ORG", "personal", "utr", "2134514321").unwrap_err(),
            "ClientTypeNotSupported"
        );
        assert_eq!(
            backend("HMRC-TERS-ORG", "trust", "utr", "1134514321").unwrap_err(),
            "ClientIdFormatInvalid"
        );
        assert_eq!(
            backend("HMRC-TERS-ORG", "trust", "utr", "101747696").unwrap_err(),
            "ClientIdDoesNotMatchService"
        );
        assert_eq!(
            backend("HMRC-PPT-ORG", "business", "urn", "XAPPT0001234567").unwrap_err(),
            "ClientIdDoesNotMatchService"
        );
    }
}
