//! What an agent's software asks for through the public API, validated in the documented order
//! (DOMAIN.md §6, step 4): service, agent type, client type, client identifier, known fact.

use chrono::NaiveDate;

use super::DomainError;
use super::identifiers::{Nino, Postcode, Vrn, parse_date};
use super::service::{AgentType, ClientType, Service};

/// The fields of a public-API request body, as sent.
#[derive(Debug, Clone, Copy)]
pub struct PublicRequest<'a> {
    pub service: &'a str,
    pub agent_type: Option<&'a str>,
    pub client_type: Option<&'a str>,
    pub client_id_type: &'a str,
    pub client_id: &'a str,
    pub known_fact: Option<&'a str>,
}

/// The client an agent names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientIdentifier {
    Nino(Nino),
    Vrn(Vrn),
}

impl ClientIdentifier {
    pub fn id_type(&self) -> &'static str {
        match self {
            ClientIdentifier::Nino(_) => "ni",
            ClientIdentifier::Vrn(_) => "vrn",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            ClientIdentifier::Nino(nino) => nino.as_str(),
            ClientIdentifier::Vrn(vrn) => vrn.as_str(),
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

/// The public API's name for a service (`MTD-IT`, `MTD-VAT`); other services are not offered there.
pub fn public_service_name(service: Service) -> Option<&'static str> {
    match service {
        Service::MtdIt | Service::MtdItSupp => Some("MTD-IT"),
        Service::MtdVat => Some("MTD-VAT"),
        _ => None,
    }
}

impl PublicRequest<'_> {
    pub fn validate(&self) -> Result<ValidRequest, DomainError> {
        let is_income_tax = match self.service {
            "MTD-IT" => true,
            "MTD-VAT" => false,
            _ => return Err(DomainError::ServiceNotSupported),
        };
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
        let client_type = match self.client_type {
            None => None,
            Some(text) => {
                let allowed = match ClientType::parse(text) {
                    Some(ClientType::Personal) => true,
                    Some(ClientType::Business) => !is_income_tax,
                    _ => false,
                };
                if !allowed {
                    return Err(DomainError::ClientTypeNotSupported);
                }
                ClientType::parse(text)
            }
        };
        let client = client_identifier(is_income_tax, self.client_id_type, self.client_id)?;
        let known_fact = match self.known_fact {
            None => None,
            Some(text) if is_income_tax => {
                Some(KnownFact::Postcode(Postcode::parse(text).ok_or(DomainError::PostcodeFormatInvalid)?))
            }
            Some(text) => Some(KnownFact::VatRegistrationDate(
                parse_date(text).ok_or(DomainError::VatRegDateFormatInvalid)?,
            )),
        };
        Ok(ValidRequest { service, client_type, client, known_fact })
    }
}

/// A clientIdType that does not fit the service, or a valid identifier of another kind, does not match
/// the service; anything else that does not parse is malformed.
fn client_identifier(is_income_tax: bool, id_type: &str, id: &str) -> Result<ClientIdentifier, DomainError> {
    let expected = if is_income_tax { "ni" } else { "vrn" };
    if id_type != expected {
        return Err(DomainError::ClientIdDoesNotMatchService);
    }
    let parsed = if is_income_tax {
        Nino::parse(id).map(ClientIdentifier::Nino)
    } else {
        Vrn::parse(id.trim()).map(ClientIdentifier::Vrn)
    };
    parsed.ok_or_else(|| {
        let other_kind = if is_income_tax { Vrn::parse(id.trim()).is_some() } else { Nino::parse(id).is_some() };
        if other_kind { DomainError::ClientIdDoesNotMatchService } else { DomainError::ClientIdFormatInvalid }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(service: &'a str, id_type: &'a str, id: &'a str, fact: &'a str) -> PublicRequest<'a> {
        PublicRequest {
            service,
            agent_type: None,
            client_type: Some("personal"),
            client_id_type: id_type,
            client_id: id,
            known_fact: Some(fact),
        }
    }

    fn error(request: PublicRequest) -> String {
        format!("{:?}", request.validate().unwrap_err())
    }

    #[test]
    fn valid_requests_for_each_public_service() {
        let itsa = request("MTD-IT", "ni", "ab 12 34 56 c", "aa1 1aa").validate().unwrap();
        assert_eq!(itsa.service, Service::MtdIt);
        assert_eq!(itsa.client, ClientIdentifier::Nino(Nino::parse("AB123456C").unwrap()));
        let supporting = PublicRequest { agent_type: Some("supporting"), ..request("MTD-IT", "ni", "AB123456C", "AA1 1AA") };
        assert_eq!(supporting.validate().unwrap().service, Service::MtdItSupp);
        let vat = PublicRequest { client_type: Some("business"), ..request("MTD-VAT", "vrn", "101747696", "2007-05-18") };
        assert_eq!(vat.validate().unwrap().known_fact, Some(KnownFact::VatRegistrationDate(NaiveDate::from_ymd_opt(2007, 5, 18).unwrap())));
    }

    #[test]
    fn checks_come_in_the_documented_order() {
        // Everything wrong: the service is reported first.
        let all_wrong = PublicRequest { agent_type: Some("x"), client_type: Some("x"), ..request("MTD-X", "x", "x", "x") };
        assert_eq!(error(all_wrong), "ServiceNotSupported");
        let agent_type = PublicRequest { agent_type: Some("x"), client_type: Some("x"), ..request("MTD-IT", "x", "x", "x") };
        assert_eq!(error(agent_type), "AgentTypeNotSupported");
        let client_type = PublicRequest { client_type: Some("business"), ..request("MTD-IT", "x", "x", "x") };
        assert_eq!(error(client_type), "ClientTypeNotSupported");
        assert_eq!(error(request("MTD-IT", "vrn", "101747696", "x")), "ClientIdDoesNotMatchService");
        assert_eq!(error(request("MTD-IT", "ni", "101747696", "x")), "ClientIdDoesNotMatchService");
        assert_eq!(error(request("MTD-VAT", "vrn", "AB123456C", "x")), "ClientIdDoesNotMatchService");
        assert_eq!(error(request("MTD-IT", "ni", "AB1234", "x")), "ClientIdFormatInvalid");
        assert_eq!(error(request("MTD-IT", "ni", "AB123456C", "not a postcode")), "PostcodeFormatInvalid");
        assert_eq!(error(request("MTD-VAT", "vrn", "101747696", "18/05/2007")), "VatRegDateFormatInvalid");
    }

    #[test]
    fn agent_type_belongs_to_income_tax_only() {
        let vat = PublicRequest { agent_type: Some("main"), ..request("MTD-VAT", "vrn", "101747696", "2007-05-18") };
        assert_eq!(error(vat), "AgentTypeNotSupported");
    }
}
