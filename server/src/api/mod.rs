//! The HTTP API as the contracts define it: the generated traits and types, and the small hand-written
//! runtime pieces the generated code names (`Accept`, `ApiError`, `Timestamp` and two response shapes).

mod accept;
mod error;
mod responses;
mod timestamp;

#[rustfmt::skip]
#[allow(clippy::all, dead_code)]
pub mod generated;

pub use accept::Accept;
pub use error::ApiError;
pub use responses::{OkOrNoContent, WithErrorHeaders};
pub use timestamp::Timestamp;

/// Each generated API's stub description as an OpenAPI document, by generated module name: what
/// `cargo xtask openapi check` compares with the contracts.
pub fn stub_descriptions() -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    use generated::*;
    let mut documents = serde_json::Map::new();
    let mut add = |module: &str, api: dropshot::ApiDescription<dropshot::StubContext>| -> anyhow::Result<()> {
        let document = api.openapi(module, dropshot::semver::Version::new(0, 0, 0)).json()?;
        documents.insert(module.to_owned(), document);
        Ok(())
    };
    add("agent_authorisation_v2", agent_authorisation_v2::agent_authorisation_v2_api_mod::stub_api_description()?)?;
    add("sandbox", sandbox::sandbox_api_mod::stub_api_description()?)?;
    Ok(documents)
}
