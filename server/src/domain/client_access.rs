//! Which client may see and answer which invitations: the `{service}/{clientId}` of the client
//! endpoints names an enrolment identifier, and the caller must hold exactly that enrolment.

use super::DomainError;
use super::identifiers::{Nino, person_key};
use super::invitation::Invitation;
use super::principal::Principal;
use super::service::Service;

/// One kind of client enrolment as the client endpoints name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientEnrolmentKind {
    /// The `{service}` path segment, e.g. `MTDITID`, `NI`, `VRN`.
    pub path_name: &'static str,
    pub enrolment_key: &'static str,
    pub identifier_name: &'static str,
    /// The services whose invitations name a client by this identifier. An alternative-ITSA client's
    /// MTD-IT requests are held against the NINO until they sign up.
    pub services: &'static [Service],
}

pub const CLIENT_ENROLMENTS: [ClientEnrolmentKind; 7] = [
    ClientEnrolmentKind {
        path_name: "MTDITID",
        enrolment_key: "HMRC-MTD-IT",
        identifier_name: "MTDITID",
        services: &[Service::MtdIt, Service::MtdItSupp],
    },
    ClientEnrolmentKind {
        path_name: "NI",
        enrolment_key: "HMRC-NI",
        identifier_name: "NINO",
        services: &[
            Service::PersonalIncomeRecord,
            Service::MtdIt,
            Service::MtdItSupp,
        ],
    },
    ClientEnrolmentKind {
        path_name: "VRN",
        enrolment_key: "HMRC-MTD-VAT",
        identifier_name: "VRN",
        services: &[Service::MtdVat],
    },
    ClientEnrolmentKind {
        path_name: "CGTPDRef",
        enrolment_key: "HMRC-CGT-PD",
        identifier_name: "CGTPDRef",
        services: &[Service::CgtPd],
    },
    ClientEnrolmentKind {
        path_name: "SAUTR",
        enrolment_key: "HMRC-TERS-ORG",
        identifier_name: "SAUTR",
        services: &[Service::TersOrg],
    },
    ClientEnrolmentKind {
        path_name: "URN",
        enrolment_key: "HMRC-TERSNT-ORG",
        identifier_name: "URN",
        services: &[Service::TersntOrg],
    },
    ClientEnrolmentKind {
        path_name: "EtmpRegistrationNumber",
        enrolment_key: "HMRC-PPT-ORG",
        identifier_name: "EtmpRegistrationNumber",
        services: &[Service::PptOrg],
    },
];

impl ClientEnrolmentKind {
    /// The kind a `{service}` path segment names; `VAT` is another name for `VRN`, as HMRC's table has it.
    pub fn by_path_name(name: &str) -> Option<Self> {
        let name = if name == "VAT" { "VRN" } else { name };
        CLIENT_ENROLMENTS
            .into_iter()
            .find(|kind| kind.path_name == name)
    }
}

/// A client acting on the invitations one of its identifiers names, or HMRC staff acting on a client's.
#[derive(Debug, Clone)]
pub struct ClientScope {
    pub kind: ClientEnrolmentKind,
    pub client_id: String,
    /// HMRC staff, not the client: they read a client's requests across agents and end relationships (ended by
    /// HMRC), but do not answer requests (docs/domain.md §10).
    pub by_hmrc: bool,
}

impl ClientScope {
    /// The caller as the holder of `{service}/{clientId}`: an unknown segment is a malformed request;
    /// anyone without that very enrolment (another client, an agent) is refused.
    pub fn resolve(
        principal: &Principal,
        path_service: &str,
        client_id: &str,
    ) -> Result<Self, DomainError> {
        let kind =
            ClientEnrolmentKind::by_path_name(path_service).ok_or(DomainError::BadRequest)?;
        if principal.is_hmrc_staff() {
            return Ok(Self {
                kind,
                client_id: canonical(kind, client_id),
                by_hmrc: true,
            });
        }
        // The enrolment's value is the canonical form (a NINO in the path may be lower case, spaced, or carry
        // another suffix letter: the first eight characters name the person).
        let given = canonical(kind, client_id);
        let held = principal.enrolments.iter().find(|enrolment| {
            enrolment.key == kind.enrolment_key
                && enrolment.identifier_name == kind.identifier_name
                && person_key(&canonical(kind, &enrolment.identifier_value)) == person_key(&given)
        });
        let held = held.ok_or(DomainError::NoPermissionOnClient)?;
        Ok(Self {
            kind,
            client_id: held.identifier_value.clone(),
            by_hmrc: false,
        })
    }

    pub fn covers(&self, invitation: &Invitation) -> bool {
        person_key(&invitation.client_id.to_ascii_uppercase()) == person_key(&self.client_id)
            && self.kind.services.contains(&invitation.service)
    }

    /// Every scope a principal's enrolments give it.
    pub fn all_of(principal: &Principal) -> Vec<Self> {
        principal
            .enrolments
            .iter()
            .filter_map(|enrolment| {
                let kind = CLIENT_ENROLMENTS.into_iter().find(|kind| {
                    kind.enrolment_key == enrolment.key
                        && kind.identifier_name == enrolment.identifier_name
                })?;
                Some(Self {
                    kind,
                    client_id: enrolment.identifier_value.clone(),
                    by_hmrc: false,
                })
            })
            .collect()
    }
}

/// An identifier as stored: a NINO upper case without spaces (when it is one), anything else trimmed and, for
/// comparison's sake, upper case.
fn canonical(kind: ClientEnrolmentKind, id: &str) -> String {
    match kind.identifier_name {
        "NINO" => Nino::parse(id).map_or_else(|| id.trim().to_ascii_uppercase(), |n| n.to_string()),
        _ => id.trim().to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::principal::{AffinityGroup, Enrolment};

    fn client(key: &str, name: &str, value: &str) -> Principal {
        let enrolment = Enrolment {
            key: key.into(),
            identifier_name: name.into(),
            identifier_value: value.into(),
        };
        Principal {
            id: 1,
            affinity_group: AffinityGroup::Individual,
            enrolments: vec![enrolment],
        }
    }

    #[test]
    fn a_client_acts_only_for_the_identifier_it_holds() {
        let vat = client("HMRC-MTD-VAT", "VRN", "101747696");
        assert!(ClientScope::resolve(&vat, "VRN", "101747696").is_ok());
        assert!(matches!(
            ClientScope::resolve(&vat, "VRN", "101747697"),
            Err(DomainError::NoPermissionOnClient)
        ));
        assert!(matches!(
            ClientScope::resolve(&vat, "NI", "AB123456C"),
            Err(DomainError::NoPermissionOnClient)
        ));
        // HMRC's table names the VRN identifier VAT too.
        assert!(ClientScope::resolve(&vat, "VAT", "101747696").is_ok());
        assert!(matches!(
            ClientScope::resolve(&vat, "VATX", "101747696"),
            Err(DomainError::BadRequest)
        ));
        // A NINO's suffix does not name the person.
        let person = client("HMRC-NI", "NINO", "AB123456A");
        let scope = ClientScope::resolve(&person, "NI", "ab 123456 c").unwrap();
        assert_eq!(scope.client_id, "AB123456A");
    }

    #[test]
    fn path_names_are_distinct_and_scopes_come_from_enrolments() {
        let names: std::collections::HashSet<_> = CLIENT_ENROLMENTS
            .iter()
            .map(|kind| kind.path_name)
            .collect();
        assert_eq!(names.len(), CLIENT_ENROLMENTS.len());
        let scopes = ClientScope::all_of(&client("HMRC-NI", "NINO", "AB123456C"));
        assert_eq!(scopes.len(), 1);
        assert_eq!(scopes[0].kind.path_name, "NI");
    }
}
