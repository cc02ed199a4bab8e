//! Database round trips per operation of the Agent Authorisation API 2.0: each statement the server sends is one
//! round trip (`BEGIN` and `COMMIT` included), counted by the server's connections. A change that adds one to an
//! operation's budget fails here.

use crate::support::*;
use reqwest::{Response, StatusCode};

/// Round trips one request costs, after a warm-up that leaves a connection in the pool (so that connecting,
/// which happens once per connection, is not counted).
async fn round_trips(app: &TestApp, request: impl std::future::Future<Output = Response>) -> u64 {
    let before = app.database_statements();
    let response = request.await;
    let after = app.database_statements();
    assert!(
        response.status().is_success(),
        "{} {}",
        response.status(),
        response.text().await.unwrap_or_default()
    );
    after - before
}

#[tokio::test]
async fn reading_one_request_takes_at_most_two_round_trips() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let id = app
        .create_invitation_ok(&agent, &itsa_main(&app.create_itsa_client().await))
        .await;
    let trips = round_trips(&app, app.get_invitation(&agent, &id)).await;
    eprintln!("read by id: {trips} round trips");
    assert!(trips <= 2, "read by id took {trips} round trips");
}

#[tokio::test]
async fn listing_takes_at_most_two_round_trips() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    app.create_invitation_ok(&agent, &itsa_main(&app.create_itsa_client().await))
        .await;
    app.create_invitation_ok(&agent, &vat(&app.create_vat_client().await))
        .await;
    let trips = round_trips(&app, app.list_invitations(&agent)).await;
    eprintln!("list: {trips} round trips");
    assert!(trips <= 2, "list took {trips} round trips");
}

#[tokio::test]
async fn creating_takes_at_most_its_budget_of_round_trips() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    // A first create warms the pool; the counted ones name an income tax and a VAT client.
    app.create_invitation_ok(&agent, &itsa_main(&app.create_itsa_client().await))
        .await;
    let itsa = itsa_main(&app.create_itsa_client().await);
    let vat = vat(&app.create_vat_client().await);
    for (name, body) in [("MTD-IT", itsa), ("MTD-VAT", vat)] {
        let trips = round_trips(&app, app.create_invitation(&agent, &body)).await;
        eprintln!("create {name}: {trips} round trips");
        assert!(
            trips <= CREATE_BUDGET,
            "create {name} took {trips} round trips"
        );
    }
}

/// Authentication, then the transaction: BEGIN, the in-flight lock with the client's record, the checks, the insert,
/// COMMIT.
const CREATE_BUDGET: u64 = 5;

#[tokio::test]
async fn a_refused_create_changes_nothing_and_costs_no_more() {
    let app = TestApp::start().await;
    let agent = app.create_agent().await;
    let body = itsa_main(&app.create_itsa_client().await);
    app.create_invitation_ok(&agent, &body).await;
    let before = app.database_statements();
    let response = app.create_invitation(&agent, &body).await;
    let trips = app.database_statements() - before;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    eprintln!("duplicate create: {trips} round trips");
    assert!(
        trips <= CREATE_BUDGET,
        "a duplicate took {trips} round trips"
    );
}
