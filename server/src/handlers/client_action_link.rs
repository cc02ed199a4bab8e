//! The link an agent sends to the client (DOMAIN.md §8):
//! `{public base url}/appoint-someone-to-deal-with-HMRC-for-you/{uid}/{normalised agency name}/{journey}`.

use super::ApiContext;
use crate::domain::DomainError;
use crate::domain::agency::normalise_agency_name;
use crate::domain::service::Service;

/// Client action links of one agency.
pub struct ClientActionLinks {
    prefix: String,
}

impl ClientActionLinks {
    pub async fn for_agency(ctx: &ApiContext, arn: &str) -> Result<Self, DomainError> {
        let base = format!(
            "{}/appoint-someone-to-deal-with-HMRC-for-you",
            ctx.base_url()
        );
        let prefix = match ctx.authorisations.agency(arn).await? {
            Some(agency) => format!(
                "{base}/{}/{}",
                agency.uid,
                normalise_agency_name(&agency.name)
            ),
            None => base,
        };
        Ok(Self { prefix })
    }

    pub fn link(&self, service: Service) -> String {
        let journey = match service {
            Service::MtdIt | Service::MtdItSupp => "income-tax",
            Service::MtdVat => "vat",
            Service::PersonalIncomeRecord => "income-record-viewer",
            Service::CgtPd => "capital-gains-tax",
            Service::TersOrg | Service::TersntOrg => "trusts",
            Service::PptOrg => "plastic-packaging-tax",
        };
        format!("{}/{journey}", self.prefix)
    }
}
