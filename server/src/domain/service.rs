//! The services an agent can be authorised for (docs/domain.md §3).

/// A service by its internal id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    MtdIt,
    MtdItSupp,
    MtdVat,
    PersonalIncomeRecord,
    CgtPd,
    TersOrg,
    TersntOrg,
    PptOrg,
}

impl Service {
    pub const ALL: [Service; 8] = [
        Service::MtdIt,
        Service::MtdItSupp,
        Service::MtdVat,
        Service::PersonalIncomeRecord,
        Service::CgtPd,
        Service::TersOrg,
        Service::TersntOrg,
        Service::PptOrg,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Service::MtdIt => "HMRC-MTD-IT",
            Service::MtdItSupp => "HMRC-MTD-IT-SUPP",
            Service::MtdVat => "HMRC-MTD-VAT",
            Service::PersonalIncomeRecord => "PERSONAL-INCOME-RECORD",
            Service::CgtPd => "HMRC-CGT-PD",
            Service::TersOrg => "HMRC-TERS-ORG",
            Service::TersntOrg => "HMRC-TERSNT-ORG",
            Service::PptOrg => "HMRC-PPT-ORG",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|service| service.id() == id)
    }

    /// The first character of this service's invitation ids.
    pub fn invitation_prefix(self) -> char {
        match self {
            Service::MtdIt => 'A',
            Service::PersonalIncomeRecord => 'B',
            Service::MtdVat => 'C',
            Service::TersOrg => 'D',
            Service::CgtPd => 'E',
            Service::TersntOrg => 'F',
            Service::PptOrg => 'G',
            Service::MtdItSupp => 'L',
        }
    }

    /// Pending requests within one group block each other: an agent asks a client for MTD-IT as main
    /// or as supporting agent, not both at once.
    pub fn group(self) -> &'static str {
        match self {
            Service::MtdItSupp => Service::MtdIt.id(),
            other => other.id(),
        }
    }

    /// Supporting agents may be several; every other service has one agent per client.
    pub fn allows_several_agents(self) -> bool {
        self == Service::MtdItSupp
    }

    pub fn is_income_tax(self) -> bool {
        matches!(self, Service::MtdIt | Service::MtdItSupp)
    }

    /// How an agent names the client for this service.
    pub fn client_id_type(self) -> ClientIdType {
        match self {
            Service::MtdIt | Service::MtdItSupp | Service::PersonalIncomeRecord => ClientIdType::Ni,
            Service::MtdVat => ClientIdType::Vrn,
            Service::CgtPd => ClientIdType::CgtPdRef,
            Service::TersOrg => ClientIdType::Utr,
            Service::TersntOrg => ClientIdType::Urn,
            Service::PptOrg => ClientIdType::EtmpRegistrationNumber,
        }
    }

    /// The kinds of client the service is for.
    pub fn client_types(self) -> &'static [ClientType] {
        use ClientType::*;
        match self {
            Service::MtdIt | Service::MtdItSupp | Service::PersonalIncomeRecord => &[Personal],
            Service::MtdVat => &[Personal, Business],
            Service::CgtPd => &[Personal, Business, Trust],
            // HMRC's own trust example (docs/domain.md §3) names a trust `business`.
            Service::TersOrg | Service::TersntOrg => &[Trust, Business],
            Service::PptOrg => &[Business],
        }
    }

    /// The other member of an MTD-IT pair: an agent holds main or supporting, not both.
    pub fn income_tax_counterpart(self) -> Option<Service> {
        match self {
            Service::MtdIt => Some(Service::MtdItSupp),
            Service::MtdItSupp => Some(Service::MtdIt),
            _ => None,
        }
    }
}

/// Main or supporting agent, for MTD-IT only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentType {
    Main,
    Supporting,
}

impl AgentType {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "main" => Some(AgentType::Main),
            "supporting" => Some(AgentType::Supporting),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AgentType::Main => "main",
            AgentType::Supporting => "supporting",
        }
    }

    pub fn of(service: Service) -> Option<Self> {
        match service {
            Service::MtdIt => Some(AgentType::Main),
            Service::MtdItSupp => Some(AgentType::Supporting),
            _ => None,
        }
    }
}

/// The kinds of identifier an agent names a client by (`clientIdType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientIdType {
    Ni,
    Vrn,
    CgtPdRef,
    Utr,
    Urn,
    EtmpRegistrationNumber,
}

impl ClientIdType {
    pub const ALL: [ClientIdType; 6] = [
        ClientIdType::Ni,
        ClientIdType::Vrn,
        ClientIdType::CgtPdRef,
        ClientIdType::Utr,
        ClientIdType::Urn,
        ClientIdType::EtmpRegistrationNumber,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClientIdType::Ni => "ni",
            ClientIdType::Vrn => "vrn",
            ClientIdType::CgtPdRef => "CGTPDRef",
            ClientIdType::Utr => "utr",
            ClientIdType::Urn => "urn",
            ClientIdType::EtmpRegistrationNumber => "EtmpRegistrationNumber",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientType {
    Personal,
    Business,
    Trust,
}

impl ClientType {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "personal" => Some(ClientType::Personal),
            "business" => Some(ClientType::Business),
            "trust" => Some(ClientType::Trust),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::Personal => "personal",
            ClientType::Business => "business",
            ClientType::Trust => "trust",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_prefixes_are_distinct() {
        let mut prefixes = std::collections::HashSet::new();
        for service in Service::ALL {
            assert_eq!(Service::from_id(service.id()), Some(service));
            assert!(prefixes.insert(service.invitation_prefix()));
        }
    }

    #[test]
    fn every_service_names_its_client_kinds() {
        for service in Service::ALL {
            assert!(!service.client_types().is_empty());
            assert_eq!(
                ClientIdType::parse(service.client_id_type().as_str()),
                Some(service.client_id_type())
            );
        }
    }

    #[test]
    fn main_and_supporting_share_a_group() {
        assert_eq!(Service::MtdIt.group(), Service::MtdItSupp.group());
        assert_ne!(Service::MtdIt.group(), Service::MtdVat.group());
    }
}
