//! The client's web pages behind the client action link (docs/domain.md §8, §11): server-rendered HTML, no
//! JavaScript. They are pages for people, not an API, so no contract describes them: they are registered
//! beside the generated API as unpublished endpoints, and call the same domain the API handlers do.

mod client_journey;
mod multi_invitation_link;
mod page;
mod session;

use dropshot::{ApiDescription, ApiDescriptionRegisterError};

use crate::handlers::ApiContext;

/// Adds the pages to the server's API description.
pub fn register(api: &mut ApiDescription<ApiContext>) -> Result<(), ApiDescriptionRegisterError> {
    api.register(page::stylesheet)?;
    api.register(multi_invitation_link::agency_page)?;
    client_journey::register(api)
}
