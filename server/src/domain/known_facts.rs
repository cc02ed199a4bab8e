//! The known-fact checks agents' front ends make before creating a request (docs/domain.md §8): 204 when the
//! fact matches the client's record, 403 when it differs, 404 when there is no record.

use super::identifiers::{Nino, Postcode, Vrn, parse_date};
use super::{Authorisations, DomainError};
use crate::store::clients;

impl Authorisations {
    pub async fn check_postcode(&self, nino: &str, postcode: &str) -> Result<(), DomainError> {
        let nino = Nino::parse(nino).ok_or(DomainError::ClientIdFormatInvalid)?;
        let postcode = Postcode::parse(postcode).ok_or(DomainError::PostcodeFormatInvalid)?;
        let mut conn = self.connection().await?;
        let record = clients::individual_by_nino(&mut conn, nino.as_str())
            .await?
            .ok_or(DomainError::NoClientRecord)?;
        if record.postcode != postcode.as_str() {
            return Err(DomainError::PostcodeDoesNotMatch);
        }
        Ok(())
    }

    pub async fn check_date_of_birth(
        &self,
        nino: &str,
        date_of_birth: &str,
    ) -> Result<(), DomainError> {
        let nino = Nino::parse(nino).ok_or(DomainError::ClientIdFormatInvalid)?;
        let date = parse_date(date_of_birth).ok_or(DomainError::DateOfBirthFormatInvalid)?;
        let mut conn = self.connection().await?;
        let record = clients::individual_by_nino(&mut conn, nino.as_str())
            .await?
            .ok_or(DomainError::NoClientRecord)?;
        if record.date_of_birth != date {
            return Err(DomainError::DateOfBirthDoesNotMatch);
        }
        Ok(())
    }

    pub async fn check_vat_registration_date(
        &self,
        vrn: &str,
        date: &str,
    ) -> Result<(), DomainError> {
        let vrn = Vrn::parse(vrn).ok_or(DomainError::ClientIdFormatInvalid)?;
        let date = parse_date(date).ok_or(DomainError::VatRegDateFormatInvalid)?;
        let mut conn = self.connection().await?;
        let record = clients::vat_by_vrn(&mut conn, vrn.as_str())
            .await?
            .ok_or(DomainError::NoClientRecord)?;
        if record.registration_date != date {
            return Err(DomainError::VatRegDateDoesNotMatch);
        }
        Ok(())
    }
}
