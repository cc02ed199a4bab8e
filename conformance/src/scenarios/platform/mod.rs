//! Scenarios of the platform routes (`openapi/platform.yaml`): health, the API's definition, each contract byte
//! for byte, the docs page, the metrics. No token, no `Accept` header.

use anyhow::{Result, ensure};

use crate::harness::*;
use crate::http::Request;

/// This contract's scenarios, in the order they are reported.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "platform: health, definition, docs and metrics",
            &[
                "ping/200",
                "ready/200",
                "api_definition/200",
                "api_docs/200",
                "metrics/200",
                "rule/R-PLATFORM-ENDPOINTS",
            ],
            health_definition_and_docs,
        ),
        Scenario::new(
            "platform: each contract, byte for byte",
            &[
                "api_contract/200",
                "api_contract/404/NOT_FOUND",
                "rule/R-PLATFORM-CONF",
            ],
            contracts,
        ),
    ]
}

async fn health_definition_and_docs(ctx: Ctx) -> Result<()> {
    ctx.expect("ping/200", Request::new("GET", "/ping/ping"))
        .await?;
    ctx.expect("ready/200", Request::new("GET", "/ping/ready"))
        .await?;
    let definition = ctx
        .expect("api_definition/200", Request::new("GET", "/api/definition"))
        .await?;
    let api = definition.json().unwrap_or_default()["api"].clone();
    let versions = api["versions"].as_array().cloned().unwrap_or_default();
    let served: Vec<&str> = versions
        .iter()
        .filter(|v| v["status"].is_string() && v["access"]["type"].is_string())
        .filter_map(|v| v["version"].as_str())
        .collect();
    let named = api["name"].as_str().is_some_and(|n| !n.is_empty())
        && api["context"].as_str().is_some_and(|c| !c.is_empty());
    ctx.rule("R-PLATFORM-ENDPOINTS", named && served == ["1.0", "2.0"], || {
        format!(
            "the definition must name the API, its context and versions 1.0 and 2.0 with their status and access: {}",
            definition.summary()
        )
    })?;
    ctx.expect("api_docs/200", Request::new("GET", "/docs"))
        .await?;
    ctx.expect("metrics/200", Request::new("GET", "/metrics"))
        .await?;
    Ok(())
}

/// Each contract the harness reads is served as the same bytes, under its version or its file name's stem.
async fn contracts(ctx: Ctx) -> Result<()> {
    for contract in ctx.h.contracts.iter() {
        let key = match contract.document.info.extensions.get("x-api-status") {
            Some(_) => contract.document.info.version.clone(),
            None => contract.file.trim_end_matches(".yaml").to_owned(),
        };
        let served = ctx
            .expect(
                "api_contract/200",
                Request::new("GET", format!("/api/conf/{key}/application.yaml")),
            )
            .await?;
        ensure!(
            served.response.body == contract.text.as_bytes(),
            "/api/conf/{key}/application.yaml is not {} byte for byte",
            contract.file
        );
    }
    let unknown = Request::new("GET", "/api/conf/no-such-contract/application.yaml");
    ctx.soft("api_contract/404/NOT_FOUND", unknown).await?;
    Ok(())
}
