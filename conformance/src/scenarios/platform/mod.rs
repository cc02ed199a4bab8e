//! Scenarios of the platform routes (`openapi/platform.yaml`): health, the API's definition, each contract byte
//! for byte, the docs page. No token, no `Accept` header.

use anyhow::{Result, ensure};

use crate::harness::*;
use crate::http::Request;

/// This contract's scenarios, in the order they are reported.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "platform: health, definition and docs",
            &[
                "ping/200",
                "ready/200",
                "api_definition/200",
                "api_docs/200",
            ],
            health_definition_and_docs,
        ),
        Scenario::new(
            "platform: each contract, byte for byte",
            &["api_contract/200", "api_contract/404/NOT_FOUND"],
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
    let versions = definition.json().unwrap_or_default()["api"]["versions"].clone();
    ensure!(
        versions.as_array().is_some_and(|v| !v.is_empty()),
        "the API's definition lists no version: {}",
        definition.summary()
    );
    ctx.expect("api_docs/200", Request::new("GET", "/docs"))
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
