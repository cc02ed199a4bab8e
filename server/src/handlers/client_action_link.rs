//! The link an agent sends to the client (docs/domain.md §8):
//! `{public base url}/appoint-someone-to-deal-with-HMRC-for-you/{uid}/{normalised agency name}/{journey}`.

use super::ApiContext;
use crate::domain::DomainError;
use crate::domain::agency::normalise_agency_name;
use crate::domain::client_journey::Journey;
use crate::domain::service::Service;
use crate::store::agencies::Agency;

/// The path every client action link starts with; the client's pages are served under it.
pub const CLIENT_ACTION_LINK_PREFIX: &str = "/appoint-someone-to-deal-with-HMRC-for-you";

/// Client action links of one agency.
pub struct ClientActionLinks {
    prefix: String,
}

impl ClientActionLinks {
    pub async fn for_agency(ctx: &ApiContext, arn: &str) -> Result<Self, DomainError> {
        let agency = ctx.authorisations.agency(arn).await?;
        Ok(Self::of(ctx, agency.as_ref()))
    }

    /// Links of an agency whose record the caller has already read.
    pub fn of(ctx: &ApiContext, agency: Option<&Agency>) -> Self {
        let base = format!("{}{CLIENT_ACTION_LINK_PREFIX}", ctx.base_url());
        let prefix = match agency {
            Some(agency) => format!(
                "{base}/{}/{}",
                agency.uid,
                normalise_agency_name(&agency.name)
            ),
            None => base,
        };
        Self { prefix }
    }

    pub fn link(&self, service: Service) -> String {
        format!("{}/{}", self.prefix, Journey::of(service).path_segment())
    }
}
