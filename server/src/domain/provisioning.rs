//! Principals provisioned from the command line, for production mode, where the sandbox cannot make them
//! (docs/domain.md §10): an agent with its agency, an individual or an organisation with the client records its
//! identifiers name, HMRC staff. They are stored as the sandbox's users are (password and token hashed), with the
//! identifiers given instead of drawn.

use chrono::{Duration, NaiveDate};

use super::identifiers::{Arn, MtdItId, Nino, Postcode, Vrn};
use super::test_users::{Services, TestUser, TestUserKind, draw};
use super::{Authorisations, DomainError};

/// Who to provision, with the identifiers and known facts that are theirs.
#[derive(Debug, Clone)]
pub enum Provision {
    Agent {
        arn: Arn,
        agency_name: String,
    },
    Individual {
        nino: Nino,
        postcode: Postcode,
        date_of_birth: NaiveDate,
        mtditid: Option<MtdItId>,
    },
    Organisation {
        vrn: Vrn,
        vat_registration_date: NaiveDate,
        insolvent: bool,
    },
    HmrcStaff,
}

impl Authorisations {
    /// Stores the principal (and its agency or client records) with a bearer token valid for `token_lifetime`;
    /// answers the user, with the token, which is not stored and cannot be read again.
    pub async fn provision(
        &self,
        provision: Provision,
        name: Option<String>,
        token_lifetime: Duration,
    ) -> Result<TestUser, DomainError> {
        let (kind, services, insolvent) = provision.shape();
        let mut user = draw(kind, services, insolvent, &mut rand::rng());
        provision.apply(&mut user);
        if let Some(name) = name {
            user.full_name = name;
        }
        self.save_test_user(kind, &user, self.now(), token_lifetime)
            .await?;
        Ok(user)
    }
}

impl Provision {
    /// The kind of user, and what it holds, for the records to be made.
    fn shape(&self) -> (TestUserKind, Services, bool) {
        let none = Services::default();
        match self {
            Provision::Agent { .. } => (
                TestUserKind::Agent,
                Services {
                    agent: true,
                    ..none
                },
                false,
            ),
            Provision::Individual { mtditid, .. } => {
                let services = Services {
                    nino: true,
                    mtd_income_tax: mtditid.is_some(),
                    ..none
                };
                (TestUserKind::Individual, services, false)
            }
            Provision::Organisation { insolvent, .. } => (
                TestUserKind::Organisation,
                Services { vat: true, ..none },
                *insolvent,
            ),
            Provision::HmrcStaff => (TestUserKind::HmrcStaff, none, false),
        }
    }

    /// The given identifiers and known facts in place of the drawn ones.
    fn apply(self, user: &mut TestUser) {
        match self {
            Provision::Agent { arn, agency_name } => {
                user.arn = Some(arn);
                user.agency_name = Some(agency_name);
            }
            Provision::Individual {
                nino,
                postcode,
                date_of_birth,
                mtditid,
            } => {
                user.nino = Some(nino);
                user.address.postcode = postcode.as_str().to_owned();
                user.date_of_birth = date_of_birth;
                user.mtditid = mtditid;
            }
            Provision::Organisation {
                vrn,
                vat_registration_date,
                insolvent,
            } => {
                user.vrn = Some(vrn);
                user.vat_registration_date = Some(vat_registration_date);
                user.insolvent = insolvent;
            }
            Provision::HmrcStaff => {}
        }
    }
}
