//! The HTTP API as the contracts define it: the generated traits and types, and the small hand-written
//! runtime pieces the generated code names (`Accept`, `ApiError`, `Timestamp` and two response shapes).

mod accept;
mod error;
mod extract;
mod responses;
mod test_scenario;
mod timestamp;

#[rustfmt::skip]
#[allow(clippy::all, dead_code)]
pub mod generated;

pub use accept::{Accept, AcceptVersion, answer_routing_error};
pub use error::ApiError;
pub use extract::{BearerToken, FormBody, JsonBody, Path, Query, SandboxOnly};
pub use responses::{
    CreatedOrNoContent, CreatedWithLocation, LocationHeader, OkEmpty, OkOrNoContent, TextDocument,
    WithErrorHeaders,
};
pub use test_scenario::{TestScenario, TestScenarioExample, TestScenarios};
pub use timestamp::Timestamp;

/// One contract, as the platform routes serve it.
#[derive(Debug, Clone, Copy)]
pub struct ContractFile {
    /// How `/api/conf/{key}/application.yaml` names it: its version (`2.0`), else its file name's stem.
    pub key: &'static str,
    pub title: &'static str,
    pub version: &'static str,
    /// Its status on HMRC's API platform (`x-api-status`), for the API's versions.
    pub status: Option<&'static str>,
    /// The file, byte for byte.
    pub text: &'static str,
}

/// The generated API's stub description, as OpenAPI documents: what `cargo xtask openapi check` compares with the
/// contracts. One document per API version (`"1.0"`, …) with that version's operations and those every version
/// serves, and `"unversioned"` with only the latter.
pub fn stub_description() -> anyhow::Result<serde_json::Value> {
    let api = generated::server_api_mod::stub_api_description()?;
    let mut documents = serde_json::Map::new();
    let unversioned = std::iter::once(("unversioned".to_owned(), (0, 0)));
    let versions = generated::API_VERSIONS
        .iter()
        .map(|&(major, minor)| (format!("{major}.{minor}"), (major, minor)));
    for (name, (major, minor)) in unversioned.chain(versions) {
        let version = dropshot::semver::Version::new(major, minor, 0);
        let mut document = api.openapi("Agent authorisation", version).json()?;
        bearer_security(&mut document);
        documents.insert(name, document);
    }
    Ok(documents.into())
}

/// The `Authorization` header [`BearerToken`] documents, as the security requirement it stands for.
fn bearer_security(document: &mut serde_json::Value) {
    let mut secured = false;
    let paths = document["paths"].as_object_mut().into_iter().flatten();
    let operations = paths.flat_map(|(_, item)| item.as_object_mut().into_iter().flatten());
    for (_, operation) in operations {
        let Some(parameters) = operation["parameters"].as_array_mut() else {
            continue;
        };
        let before = parameters.len();
        parameters.retain(|p| !(p["in"] == "header" && p["name"] == "Authorization"));
        let (removed, now_empty) = (parameters.len() < before, parameters.is_empty());
        if removed {
            operation["security"] = serde_json::json!([{"bearer": []}]);
            secured = true;
        }
        if now_empty && let Some(operation) = operation.as_object_mut() {
            operation.remove("parameters");
        }
    }
    if secured {
        document["components"]["securitySchemes"]["bearer"] =
            serde_json::json!({"type": "http", "scheme": "bearer"});
    }
}
