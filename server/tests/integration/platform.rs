//! The platform routes (`openapi/platform.yaml`): no token, no `Accept`.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn ping_and_ready_answer_200_with_no_body() {
    let app = TestApp::start().await;
    for path in ["/ping/ping", "/ping/ready"] {
        let response = app.bare(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.text().await.unwrap().is_empty(), "{path}");
    }
}

#[tokio::test]
async fn each_contract_is_served_byte_for_byte() {
    let app = TestApp::start().await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi");
    for (key, file) in [
        ("2.0", "agent-authorisation-v2.yaml"),
        ("1.0", "agent-authorisation-v1.yaml"),
        (
            "agent-client-authorisation",
            "agent-client-authorisation.yaml",
        ),
        ("sandbox", "sandbox.yaml"),
        ("platform", "platform.yaml"),
    ] {
        let response = app
            .bare(Method::GET, &format!("/api/conf/{key}/application.yaml"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{key}");
        assert_eq!(response.headers()["content-type"], "application/yaml");
        let served = response.bytes().await.unwrap();
        assert_eq!(
            served.as_ref(),
            std::fs::read(root.join(file)).unwrap(),
            "{key}"
        );
    }
    let unknown = app
        .bare(Method::GET, "/api/conf/3.0/application.yaml")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.json::<serde_json::Value>().await.unwrap(),
        json!({"code": "NOT_FOUND", "message": "Resource was not found."})
    );
}

#[tokio::test]
async fn the_definition_names_the_api_and_its_versions() {
    let app = TestApp::start().await;
    let definition = assert_json(
        app.bare(Method::GET, "/api/definition")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(definition["api"]["name"], "Agent Authorisation API");
    assert_eq!(definition["api"]["context"], "agent-authorisation");
    let versions: Vec<(String, String)> = definition["api"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            assert_eq!(v["access"]["type"], "PUBLIC");
            assert_eq!(v["endpointsEnabled"], true);
            (
                v["version"].as_str().unwrap().into(),
                v["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        [
            ("1.0".into(), "DEPRECATED".into()),
            ("2.0".into(), "STABLE".into())
        ]
    );
}

#[tokio::test]
async fn the_docs_page_shows_every_operation_and_error_without_a_script() {
    let app = TestApp::start().await;
    let response = app.bare(Method::GET, "/docs").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    assert!(
        !page.to_lowercase().contains("<script"),
        "the page loads a script"
    );
    for operation in contract::operations() {
        assert!(
            page.contains(&format!("id=\"{}\"", operation.id)),
            "{}",
            operation.id
        );
    }
    for example in [
        "DUPLICATE_AUTHORISATION_REQUEST",
        "CLIENT_REGISTRATION_NOT_FOUND",
        "ACCEPT_HEADER_INVALID",
    ] {
        assert!(page.contains(example), "{example}");
    }
}
