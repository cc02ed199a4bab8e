//! Who is calling: a principal with an affinity group and enrolments (docs/domain.md §10).

use super::DomainError;
use super::identifiers::Arn;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AffinityGroup {
    Agent,
    Individual,
    Organisation,
    /// HMRC staff (HMRC's STRIDE role): neither agent nor client (docs/domain.md §10).
    HmrcStaff,
}

impl AffinityGroup {
    pub fn as_str(self) -> &'static str {
        match self {
            AffinityGroup::Agent => "Agent",
            AffinityGroup::Individual => "Individual",
            AffinityGroup::Organisation => "Organisation",
            AffinityGroup::HmrcStaff => "HmrcStaff",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "Agent" => Some(AffinityGroup::Agent),
            "Individual" => Some(AffinityGroup::Individual),
            "Organisation" => Some(AffinityGroup::Organisation),
            "HmrcStaff" => Some(AffinityGroup::HmrcStaff),
            _ => None,
        }
    }
}

/// One enrolment: a service key and the identifier it carries, e.g. HMRC-MTD-VAT / VRN / 101747696.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub key: String,
    pub identifier_name: String,
    pub identifier_value: String,
}

pub const AGENT_ENROLMENT: &str = "HMRC-AS-AGENT";

#[derive(Debug, Clone)]
pub struct Principal {
    pub id: i64,
    pub affinity_group: AffinityGroup,
    pub enrolments: Vec<Enrolment>,
}

impl Principal {
    /// The caller as a subscribed agent, or the documented refusal.
    pub fn agent(&self) -> Result<Arn, DomainError> {
        if self.affinity_group != AffinityGroup::Agent {
            return Err(DomainError::NotAnAgent);
        }
        self.enrolments
            .iter()
            .find(|enrolment| enrolment.key == AGENT_ENROLMENT)
            .and_then(|enrolment| Arn::parse(&enrolment.identifier_value))
            .ok_or(DomainError::AgentNotSubscribed)
    }

    pub fn is_hmrc_staff(&self) -> bool {
        self.affinity_group == AffinityGroup::HmrcStaff
    }

    /// The caller as HMRC staff, or the documented refusal (403 NO_PERMISSION).
    pub fn hmrc_staff(&self) -> Result<(), DomainError> {
        #[cfg(feature = "fault-injection")]
        if crate::fault::active("staff-check-skipped")
            && self.affinity_group == AffinityGroup::Agent
        {
            return Ok(());
        }
        if self.is_hmrc_staff() {
            Ok(())
        } else {
            Err(DomainError::NoPermission)
        }
    }

    /// The caller as an agent of the agency in the path, or the documented refusal.
    pub fn agent_for(&self, path_arn: &str) -> Result<Arn, DomainError> {
        let arn = self.agent()?;
        // The path's ARN is compared, not format-checked (docs/domain.md §10).
        let differs = arn.as_str() != path_arn;
        #[cfg(feature = "fault-injection")]
        let differs = match crate::fault::active("arn-case-insensitive") {
            true => !arn.as_str().eq_ignore_ascii_case(path_arn),
            false => differs,
        };
        if differs {
            return Err(DomainError::NoPermissionOnAgency);
        }
        Ok(arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(affinity_group: AffinityGroup, enrolments: &[(&str, &str, &str)]) -> Principal {
        Principal {
            id: 1,
            affinity_group,
            enrolments: enrolments
                .iter()
                .map(|(key, name, value)| Enrolment {
                    key: key.to_string(),
                    identifier_name: name.to_string(),
                    identifier_value: value.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn agents_act_only_for_their_own_agency() {
        let agent = principal(
            AffinityGroup::Agent,
            &[(AGENT_ENROLMENT, "AgentReferenceNumber", "TARN0000001")],
        );
        assert_eq!(
            agent.agent_for("TARN0000001").unwrap().as_str(),
            "TARN0000001"
        );
        assert!(matches!(
            agent.agent_for("DARN0002185"),
            Err(DomainError::NoPermissionOnAgency)
        ));
        assert!(matches!(
            agent.agent_for("anything at all"),
            Err(DomainError::NoPermissionOnAgency)
        ));
    }

    #[test]
    fn non_agents_and_unsubscribed_agents_are_refused() {
        let individual = principal(
            AffinityGroup::Individual,
            &[("HMRC-NI", "NINO", "AB123456C")],
        );
        assert!(matches!(
            individual.agent_for("TARN0000001"),
            Err(DomainError::NotAnAgent)
        ));
        let unsubscribed = principal(AffinityGroup::Agent, &[]);
        assert!(matches!(
            unsubscribed.agent_for("TARN0000001"),
            Err(DomainError::AgentNotSubscribed)
        ));
    }
}
