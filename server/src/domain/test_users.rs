//! The sandbox's Create Test User API: principals with valid generated identifiers, their enrolments,
//! the matching client records (known facts) and a bearer token (docs/domain.md §11).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use rand::Rng;
use rand::seq::IndexedRandom;
use sha2::{Digest, Sha256};

use super::agency::generate_uid;
use super::auth::{hash_password, new_token};
use super::identifiers::{Arn, CgtRef, MtdItId, Nino, Postcode, PptRef, Urn, Utr, Vrn};
use super::principal::{AGENT_ENROLMENT, AffinityGroup};
use super::{Authorisations, DomainError};
use crate::store::agencies::{self, Agency};
use crate::store::clients::{
    self, CgtClient, IndividualClient, NewTrustClient, PptClient, VatClient,
};
use crate::store::principals::{self, EnrolmentRow, NewPrincipal};

/// Random identifiers can collide with existing ones; a fresh draw is tried this many times.
const ATTEMPTS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestUserKind {
    Agent,
    Individual,
    Organisation,
    HmrcStaff,
}

impl TestUserKind {
    fn affinity_group(self) -> AffinityGroup {
        match self {
            TestUserKind::Agent => AffinityGroup::Agent,
            TestUserKind::Individual => AffinityGroup::Individual,
            TestUserKind::Organisation => AffinityGroup::Organisation,
            TestUserKind::HmrcStaff => AffinityGroup::HmrcStaff,
        }
    }

    fn allows(self, service_name: &str) -> bool {
        let allowed: &[&str] = match self {
            TestUserKind::Agent => &["agent-services"],
            TestUserKind::Individual => &[
                "national-insurance",
                "self-assessment",
                "mtd-income-tax",
                "mtd-vat",
                "capital-gains-tax",
            ],
            TestUserKind::Organisation => &[
                "mtd-vat",
                "capital-gains-tax",
                "plastic-packaging-tax",
                "trusts",
                "non-taxable-trusts",
            ],
            TestUserKind::HmrcStaff => &[],
        };
        allowed.contains(&service_name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub line1: String,
    pub line2: String,
    /// As a person writes it, e.g. `TS1 1PA`.
    pub postcode: String,
}

/// A created test user, with everything the Create Test User API returns.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub user_id: String,
    pub password: String,
    pub full_name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub access_token: String,
    pub address: Address,
    pub date_of_birth: NaiveDate,
    pub arn: Option<Arn>,
    pub agency_name: Option<String>,
    pub organisation_name: Option<String>,
    pub nino: Option<Nino>,
    pub mtditid: Option<MtdItId>,
    pub sa_utr: Option<Utr>,
    pub vrn: Option<Vrn>,
    pub vat_registration_date: Option<NaiveDate>,
    pub insolvent: bool,
    pub cgt_reference: Option<CgtRef>,
    pub ppt_reference: Option<PptRef>,
    pub ppt_registration_date: Option<NaiveDate>,
    /// A taxable trust's UTR (an individual's Self Assessment UTR is `sa_utr`).
    pub trust_utr: Option<Utr>,
    pub urn: Option<Urn>,
}

impl Authorisations {
    /// Creates a test user of the kind given with the services named. `insolvent` marks an
    /// organisation's VAT record insolvent.
    pub async fn create_test_user(
        &self,
        kind: TestUserKind,
        service_names: &[String],
        insolvent: bool,
    ) -> Result<TestUser, DomainError> {
        self.create_test_user_with_token_lifetime(kind, service_names, insolvent, None)
            .await
    }

    /// Like [`Authorisations::create_test_user`], with the token valid for `token_lifetime` instead of the
    /// configured default (zero: already expired; negative: refused as a bad request).
    pub async fn create_test_user_with_token_lifetime(
        &self,
        kind: TestUserKind,
        service_names: &[String],
        insolvent: bool,
        token_lifetime: Option<Duration>,
    ) -> Result<TestUser, DomainError> {
        if token_lifetime.is_some_and(|lifetime| lifetime < Duration::zero()) {
            return Err(DomainError::BadRequest);
        }
        // Longer than a century is a century: the expiry must stay a representable time.
        let token_lifetime = token_lifetime
            .unwrap_or(self.lifetimes.token)
            .min(Duration::days(36_525));
        if !service_names.iter().all(|name| kind.allows(name)) {
            return Err(DomainError::ServiceNameNotSupported);
        }
        let wants = |name: &str| service_names.iter().any(|n| n == name);
        let services = Services {
            agent: wants("agent-services"),
            nino: wants("national-insurance") || wants("mtd-income-tax"),
            mtd_income_tax: wants("mtd-income-tax"),
            self_assessment: wants("self-assessment"),
            vat: wants("mtd-vat"),
            cgt: wants("capital-gains-tax"),
            ppt: wants("plastic-packaging-tax"),
            taxable_trust: wants("trusts"),
            non_taxable_trust: wants("non-taxable-trusts"),
        };
        let now = self.now();
        for _ in 0..ATTEMPTS {
            let user = draw(kind, services, insolvent, &mut rand::rng());
            match self.save_test_user(kind, &user, now, token_lifetime).await {
                Ok(()) => return Ok(user),
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(DomainError::Internal(
            "could not draw unused identifiers for a test user".into(),
        ))
    }

    pub(super) async fn save_test_user(
        &self,
        kind: TestUserKind,
        user: &TestUser,
        now: DateTime<Utc>,
        token_lifetime: Duration,
    ) -> Result<(), DieselError> {
        let mut conn = self
            .store
            .connection()
            .await
            .map_err(|e| DieselError::QueryBuilderError(e.into()))?;
        conn.transaction(async |conn| {
            let password_hash = hash_password(&user.password);
            let principal = NewPrincipal {
                user_id: &user.user_id,
                password_hash: &password_hash,
                affinity_group: kind.affinity_group().as_str(),
                full_name: &user.full_name,
                email: &user.email,
                created_at: now,
            };
            let id = principals::insert(conn, &principal).await?;
            save_records(conn, user).await?;
            let enrolments = enrolments_of(user, id);
            principals::insert_enrolments(conn, &enrolments).await?;
            let token_hash = Sha256::digest(user.access_token.as_bytes());
            principals::insert_token(conn, &token_hash, id, now + token_lifetime).await?;
            Ok(())
        })
        .await
    }
}

/// The agency and client records behind a test user's identifiers, as HMRC would hold them.
async fn save_records(conn: &mut AsyncPgConnection, user: &TestUser) -> Result<(), DieselError> {
    if let (Some(arn), Some(name)) = (&user.arn, &user.agency_name) {
        let agency = Agency {
            arn: arn.as_str().to_owned(),
            name: name.clone(),
            email: user.email.clone(),
            uid: generate_uid(&mut rand::rng()),
        };
        agencies::insert(conn, &agency).await?;
    }
    if let Some(nino) = &user.nino {
        let record = IndividualClient {
            nino: nino.as_str().to_owned(),
            mtditid: user.mtditid.as_ref().map(|id| id.as_str().to_owned()),
            name: user.full_name.clone(),
            postcode: normalised_postcode(&user.address.postcode),
            date_of_birth: user.date_of_birth,
            sa_utr: user.sa_utr.as_ref().map(|utr| utr.as_str().to_owned()),
        };
        clients::insert_individual(conn, &record).await?;
    }
    save_organisation_records(conn, user).await
}

/// The records named by an organisation's name (else the user's): VAT, CGT, PPT and trusts.
async fn save_organisation_records(
    conn: &mut AsyncPgConnection,
    user: &TestUser,
) -> Result<(), DieselError> {
    let name = user
        .organisation_name
        .clone()
        .unwrap_or_else(|| user.full_name.clone());
    if let (Some(vrn), Some(date)) = (&user.vrn, user.vat_registration_date) {
        let record = VatClient {
            vrn: vrn.as_str().to_owned(),
            name: name.clone(),
            registration_date: date,
            insolvent: user.insolvent,
        };
        clients::insert_vat(conn, &record).await?;
    }
    if let Some(reference) = &user.cgt_reference {
        let record = CgtClient {
            cgt_reference: reference.as_str().to_owned(),
            name: name.clone(),
            postcode: Some(normalised_postcode(&user.address.postcode)),
            country_code: "GB".into(),
        };
        clients::insert_cgt(conn, &record).await?;
    }
    if let (Some(reference), Some(date)) = (&user.ppt_reference, user.ppt_registration_date) {
        let record = PptClient {
            ppt_reference: reference.as_str().to_owned(),
            name: name.clone(),
            registration_date: date,
        };
        clients::insert_ppt(conn, &record).await?;
    }
    if user.trust_utr.is_some() || user.urn.is_some() {
        let record = NewTrustClient {
            name: &name,
            utr: user.trust_utr.as_ref().map(Utr::as_str),
            urn: user.urn.as_ref().map(Urn::as_str),
        };
        clients::insert_trust(conn, &record).await?;
    }
    Ok(())
}

/// The enrolments a test user holds, one per identifier it has.
fn enrolments_of(user: &TestUser, principal_id: i64) -> Vec<EnrolmentRow> {
    let agent = user.arn.as_ref().filter(|_| user.agency_name.is_some());
    let vrn = user
        .vrn
        .as_ref()
        .filter(|_| user.vat_registration_date.is_some());
    let ppt = (user.ppt_reference.as_ref()).filter(|_| user.ppt_registration_date.is_some());
    let held: [(&str, &str, Option<&str>); 9] = [
        (
            AGENT_ENROLMENT,
            "AgentReferenceNumber",
            agent.map(|a| a.as_str()),
        ),
        ("HMRC-NI", "NINO", user.nino.as_ref().map(|n| n.as_str())),
        (
            "HMRC-MTD-IT",
            "MTDITID",
            user.mtditid.as_ref().map(|m| m.as_str()),
        ),
        ("IR-SA", "UTR", user.sa_utr.as_ref().map(|u| u.as_str())),
        ("HMRC-MTD-VAT", "VRN", vrn.map(|v| v.as_str())),
        (
            "HMRC-CGT-PD",
            "CGTPDRef",
            user.cgt_reference.as_ref().map(|c| c.as_str()),
        ),
        (
            "HMRC-PPT-ORG",
            "EtmpRegistrationNumber",
            ppt.map(|p| p.as_str()),
        ),
        (
            "HMRC-TERS-ORG",
            "SAUTR",
            user.trust_utr.as_ref().map(Utr::as_str),
        ),
        ("HMRC-TERSNT-ORG", "URN", user.urn.as_ref().map(Urn::as_str)),
    ];
    held.into_iter()
        .filter_map(|(key, name, value)| {
            value.map(|value| EnrolmentRow {
                principal_id,
                enrolment_key: key.to_owned(),
                identifier_name: name.to_owned(),
                identifier_value: value.to_owned(),
            })
        })
        .collect()
}

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Services {
    pub(super) agent: bool,
    pub(super) nino: bool,
    pub(super) mtd_income_tax: bool,
    pub(super) self_assessment: bool,
    pub(super) vat: bool,
    pub(super) cgt: bool,
    pub(super) ppt: bool,
    pub(super) taxable_trust: bool,
    pub(super) non_taxable_trust: bool,
}

const FIRST_NAMES: &[&str] = &[
    "Ava", "Ben", "Chloe", "Daniel", "Ella", "Finley", "Grace", "Harry", "Isla", "Jack",
];
const LAST_NAMES: &[&str] = &[
    "Adams", "Baker", "Clarke", "Davies", "Evans", "Fisher", "Green", "Hughes", "Jones", "Khan",
];
const STREETS: &[&str] = &[
    "High Street",
    "Station Road",
    "Church Lane",
    "Mill Road",
    "Park Avenue",
    "Victoria Street",
];
const TOWNS: &[&str] = &[
    "Stockton-on-Tees",
    "Telford",
    "Shipley",
    "Worthing",
    "Bangor",
    "Dumfries",
];

/// Draws a user's names and identifiers.
pub(super) fn draw(
    kind: TestUserKind,
    services: Services,
    insolvent: bool,
    rng: &mut impl Rng,
) -> TestUser {
    let pick =
        |rng: &mut _, list: &[&str]| list.choose(rng).copied().unwrap_or_default().to_owned();
    let first_name = pick(rng, FIRST_NAMES);
    let last_name = pick(rng, LAST_NAMES);
    let full_name = format!("{first_name} {last_name}");
    let user_id: String = (0..12)
        .map(|_| char::from(b'0' + rng.random_range(0..10)))
        .collect();
    let password = random_text(rng, 12);
    let trust = services.taxable_trust || services.non_taxable_trust;
    let organisation_name = (kind == TestUserKind::Organisation).then(|| {
        if trust {
            format!("{last_name} Family Trust")
        } else {
            format!("{last_name} Trading Ltd")
        }
    });
    let agency_name = services.agent.then(|| {
        format!(
            "{last_name} {} Accountants",
            pick(rng, &["& Co", "Tax", "Partners"])
        )
    });
    let address = Address {
        line1: format!("{} {}", rng.random_range(1..200), pick(rng, STREETS)),
        line2: pick(rng, TOWNS),
        postcode: display_postcode(Postcode::generate(rng).as_str()),
    };
    let date_of_birth = random_date(rng, NaiveDate::from_ymd_opt(1940, 1, 1), 60 * 365);
    let vat_registration_date = services
        .vat
        .then(|| random_date(rng, NaiveDate::from_ymd_opt(2000, 1, 1), 20 * 365));
    TestUser {
        email: format!("{}.{}@example.com", first_name.to_lowercase(), user_id),
        user_id,
        password,
        full_name,
        first_name,
        last_name,
        access_token: new_token().0,
        address,
        date_of_birth,
        arn: services.agent.then(|| Arn::generate(rng)),
        agency_name,
        organisation_name,
        nino: services.nino.then(|| Nino::generate(rng)),
        mtditid: services.mtd_income_tax.then(|| MtdItId::generate(rng)),
        sa_utr: services.self_assessment.then(|| Utr::generate(rng)),
        vrn: services.vat.then(|| Vrn::generate(rng)),
        vat_registration_date,
        insolvent: insolvent && services.vat,
        cgt_reference: services.cgt.then(|| CgtRef::generate(rng)),
        ppt_reference: services.ppt.then(|| PptRef::generate(rng)),
        ppt_registration_date: services
            .ppt
            .then(|| random_date(rng, NaiveDate::from_ymd_opt(2022, 4, 1), 3 * 365)),
        trust_utr: services.taxable_trust.then(|| Utr::generate(rng)),
        urn: services.non_taxable_trust.then(|| Urn::generate(rng)),
    }
}

fn random_text(rng: &mut impl Rng, len: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..len)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

fn random_date(rng: &mut impl Rng, from: Option<NaiveDate>, span_days: i64) -> NaiveDate {
    let from = from.unwrap_or_default();
    from + Duration::days(rng.random_range(0..span_days))
}

/// `TS11PA` → `TS1 1PA`.
fn display_postcode(normalised: &str) -> String {
    match normalised.len() {
        len if len > 3 && !normalised.starts_with("BFPO") => {
            format!("{} {}", &normalised[..len - 3], &normalised[len - 3..])
        }
        _ => normalised.to_owned(),
    }
}

fn normalised_postcode(display: &str) -> String {
    Postcode::parse(display)
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| display.replace(' ', ""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::agency::normalise_agency_name;
    use rand::SeedableRng;

    #[test]
    fn drawn_users_carry_valid_identifiers_for_their_services() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let services = Services {
            nino: true,
            mtd_income_tax: true,
            self_assessment: true,
            vat: true,
            cgt: true,
            ..Services::default()
        };
        let user = draw(TestUserKind::Individual, services, false, &mut rng);
        assert!(Nino::parse(user.nino.unwrap().as_str()).is_some());
        assert!(user.mtditid.is_some() && user.sa_utr.is_some() && user.vrn.is_some());
        assert!(
            Postcode::parse(&user.address.postcode).is_some(),
            "{}",
            user.address.postcode
        );
        assert!(user.arn.is_none());
        let agent = Services {
            agent: true,
            ..Services::default()
        };
        let agent = draw(TestUserKind::Agent, agent, false, &mut rng);
        assert!(Arn::parse(agent.arn.unwrap().as_str()).is_some());
        assert!(!normalise_agency_name(&agent.agency_name.unwrap()).is_empty());
    }

    #[test]
    fn service_names_fit_the_kind_of_user() {
        assert!(TestUserKind::Agent.allows("agent-services"));
        assert!(!TestUserKind::Agent.allows("mtd-vat"));
        assert!(TestUserKind::Organisation.allows("mtd-vat"));
        assert!(!TestUserKind::Organisation.allows("mtd-income-tax"));
    }
}
