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

/// The value of the sample `name` (with its labels, as written) in an OpenMetrics text.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_operation_and_status_and_report_the_database() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let id = app
        .create_invitation_ok(&agent, &itsa_main(&app.create_itsa_client().await))
        .await;
    app.invitation(&agent, &id).await;
    app.invitation(&agent, &id).await;
    let unknown = app.get_invitation(&agent, "ABERULMHCKKW3").await.status();
    assert_eq!(unknown, StatusCode::NOT_FOUND);

    let response = app.bare(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    let requests = |labels: &str| sample(&text, &format!("http_requests_total{{{labels}}}"));
    assert_eq!(
        requests("operation=\"get_invitation\",status=\"200\""),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        requests("operation=\"get_invitation\",status=\"404\""),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        requests("operation=\"create_invitation\",status=\"204\""),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "http_request_duration_seconds_count{operation=\"get_invitation\"}"
        ),
        Some(3.0),
        "{text}"
    );
    for name in [
        "db_pool_max_connections",
        "db_pool_connections",
        "db_pool_connections_in_use",
        "db_pool_waiting",
        "db_pool_checkouts_total",
        "db_pool_checkout_errors_total",
        "db_pool_checkout_wait_seconds_total",
        "db_statements_total",
        "db_statement_errors_total",
    ] {
        assert!(sample(&text, name).is_some(), "{name} missing: {text}");
    }
    assert_eq!(sample(&text, "db_pool_max_connections"), Some(16.0));
    assert!(
        sample(&text, "db_statements_total").unwrap() >= 5.0,
        "{text}"
    );
}
