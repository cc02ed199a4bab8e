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
pub use responses::{
    CreatedOrNoContent, CreatedWithLocation, LocationHeader, OkOrNoContent, WithErrorHeaders,
};
pub use timestamp::Timestamp;

/// The generated API's stub description as an OpenAPI document: what `cargo xtask openapi check`
/// compares with the contracts.
pub fn stub_description() -> anyhow::Result<serde_json::Value> {
    let api = generated::server_api_mod::stub_api_description()?;
    Ok(api
        .openapi(
            "Agent authorisation",
            dropshot::semver::Version::new(0, 0, 0),
        )
        .json()?)
}
