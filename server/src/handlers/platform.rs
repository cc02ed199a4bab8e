//! The platform routes (`openapi/platform.yaml`): what HMRC's API platform reads from the service, and its health.

use dropshot::{HttpResponseOk, RequestContext};

use super::ApiContext;
use crate::api::generated::platform::{ApiContractPath, types};
use crate::api::generated::{CONTRACT_FILES, DOCS_HTML};
use crate::api::{ApiError, OkEmpty, Path, TextDocument};

/// The context HMRC's platform serves the Agent Authorisation API under.
const CONTEXT: &str = "agent-authorisation";

pub async fn ping(_rqctx: RequestContext<ApiContext>) -> Result<OkEmpty, ApiError> {
    Ok(OkEmpty)
}

pub async fn ready(rqctx: RequestContext<ApiContext>) -> Result<OkEmpty, ApiError> {
    rqctx.context().authorisations.check_database().await?;
    Ok(OkEmpty)
}

/// The API's versions are the contracts with a status on HMRC's platform.
pub async fn api_definition(
    _rqctx: RequestContext<ApiContext>,
) -> Result<HttpResponseOk<types::ApiDefinition>, ApiError> {
    let mut versions: Vec<&crate::api::ContractFile> = CONTRACT_FILES
        .iter()
        .filter(|c| c.status.is_some())
        .collect();
    let name = versions.first().map_or("", |c| c.title).to_owned();
    versions.sort_by(|a, b| a.version.cmp(b.version));
    Ok(HttpResponseOk(types::ApiDefinition {
        api: types::ApiDescription {
            name,
            description: "Lets tax agents ask clients for authority to act for them, and follow, cancel and end \
                          those authorisations."
                .to_owned(),
            context: CONTEXT.to_owned(),
            versions: versions
                .into_iter()
                .map(|c| types::ApiVersion {
                    version: c.version.to_owned(),
                    status: c.status.unwrap_or_default().to_owned(),
                    endpoints_enabled: true,
                    access: types::ApiAccess {
                        type_: "PUBLIC".to_owned(),
                    },
                })
                .collect(),
        },
    }))
}

pub async fn api_contract(
    _rqctx: RequestContext<ApiContext>,
    path: Path<ApiContractPath>,
) -> Result<TextDocument, ApiError> {
    let key = path.into_inner().version;
    let contract = CONTRACT_FILES
        .iter()
        .find(|c| c.key == key)
        .ok_or_else(ApiError::not_found)?;
    Ok(TextDocument {
        media_type: "application/yaml",
        text: contract.text.into(),
    })
}

pub async fn api_docs(_rqctx: RequestContext<ApiContext>) -> Result<TextDocument, ApiError> {
    Ok(TextDocument {
        media_type: "text/html; charset=utf-8",
        text: DOCS_HTML.into(),
    })
}

/// The server's metrics (requests, latency, the connection pool, the database), for Prometheus to scrape.
pub async fn metrics(rqctx: RequestContext<ApiContext>) -> Result<TextDocument, ApiError> {
    let text = rqctx.context().metrics.encode().map_err(|error| {
        ApiError::from(crate::domain::DomainError::Internal(format!(
            "encoding the metrics: {error}"
        )))
    })?;
    Ok(TextDocument {
        media_type: crate::metrics::CONTENT_TYPE,
        text: text.into(),
    })
}
