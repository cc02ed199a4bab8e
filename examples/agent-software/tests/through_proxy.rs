//! The worked example through the validating proxy in front of the real server: afterwards the client-side ledger
//! shows every documented answer the example handles as received, with valid requests only.
//!
//! Needs PostgreSQL: `DATABASE_URL` names an admin URL, as for the server's integration tests (`cargo xtask test`
//! sets it); the example's own database is created and migrated on it.

use std::net::SocketAddr;
use std::sync::Arc;

use agent_auth_server::domain::clock::SystemClock;
use agent_auth_server::server::{self, Settings};
use conformance::proxy::{Config, Proxy};
use serde_json::Value;

const DATABASE: &str = "agent_software_example";

/// The entries the journey must meet, each with a valid request.
const MET: [&str; 8] = [
    "create_test_agent/201",
    "create_test_individual/201",
    "create_invitation/204",
    "get_invitation/200",
    "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
    "cancel_invitation/204",
    "create_invitation/403/CLIENT_REGISTRATION_NOT_FOUND",
    "list_invitations/401/UNAUTHORIZED",
];

/// `DATABASE_URL` with its database swapped for the example's.
fn database_url() -> String {
    let admin = std::env::var("DATABASE_URL").ok().filter(|u| !u.trim().is_empty()).unwrap_or_else(|| {
        panic!(
            "DATABASE_URL is not set. Run with `cargo xtask test`, or set DATABASE_URL=postgres://USER@HOST:PORT/postgres"
        )
    });
    let (base, query) = admin
        .split_once('?')
        .map_or((admin.as_str(), ""), |(b, q)| (b, q));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{server}/{DATABASE}{query}")
}

#[tokio::test]
async fn the_example_meets_its_documented_answers_with_valid_requests() {
    let url = database_url();
    agent_auth_server::store::create_database_if_missing(&url)
        .await
        .unwrap();
    agent_auth_server::store::migrate(&url).await.unwrap();
    let server = server::start(Settings::new(&url), Arc::new(SystemClock))
        .await
        .unwrap();

    let mut config = Config::new(&server.base_url(), SocketAddr::from(([127, 0, 0, 1], 0)));
    config.report_dir =
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("agent-software-proxy");
    config.echo = false;
    let proxy = Proxy::start(config).await.unwrap();

    let mut said = Vec::new();
    let outcome = agent_software::run(&proxy.url(), &mut |line| said.push(line)).await;
    assert!(outcome.is_ok(), "{outcome:?}\n{}", said.join("\n"));
    assert_eq!(proxy.ledger().lines(), Vec::<String>::new(), "no violation");

    let summary = proxy.report().unwrap();
    let ledger: Value = serde_json::from_str(
        &std::fs::read_to_string(proxy.report_dir().join("client-ledger.json")).unwrap(),
    )
    .unwrap();
    let entries = ledger["entries"].as_array().unwrap();
    for id in MET {
        let entry = entries.iter().find(|e| e["id"] == id).unwrap();
        assert_eq!(entry["outcome"], "passed", "{id}: {entry}\n{summary}");
        assert_eq!(entry["received"], entry["valid_requests"], "{id}: {entry}");
    }
    let met = entries.iter().filter(|e| e["outcome"] == "passed").count();
    assert_eq!(met, MET.len(), "{summary}");
    assert_eq!(ledger["totals"]["failed"], 0, "{summary}");
    let _ = std::fs::remove_dir_all(proxy.report_dir());
    server.shutdown().await.unwrap();
}
