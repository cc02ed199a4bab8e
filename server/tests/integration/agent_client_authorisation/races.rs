//! Races through the backend (`openapi/agent-client-authorisation.yaml`) against real servers: two server
//! instances (each its own pool) on one database, requests released together. What must hold is checked through
//! the API and, for relationship counts, in the test's own database.

use crate::support::backend::*;
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;

const ACCEPT: &str = "accept_received_invitation";
const REJECT: &str = "reject_received_invitation";
const CANCEL: &str = "cancel_sent_invitation";
const CREATE: &str = "create_sent_invitation";
const END: &str = "end_agent_relationship";
const CLIENT_END: &str = "end_client_relationship";

/// Rounds of each race: enough to meet both orders, few enough to stay fast.
const ROUNDS: usize = 5;
/// Rounds of the races whose bad interleaving (two transactions locking an invitation and a relationship in
/// opposite orders) is rarer: more, to meet it reliably.
const DEADLOCK_ROUNDS: usize = 20;

fn assert_no_server_error(answers: &[Answer]) {
    for answer in answers {
        assert!(
            !answer.status.is_server_error(),
            "a server error: {answer:?}"
        );
    }
}

/// The base URL of the `i`th request: alternately the first and the second server.
fn base<'a>(app: &'a TestApp, second: &'a str, i: usize) -> &'a str {
    if i.is_multiple_of(2) {
        &app.base_url
    } else {
        second
    }
}

fn accept_path(client: &ServiceClient, id: &str) -> String {
    format!("{}/accept", client.received_invitation_path(id))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_simultaneous_accepts_of_one_invitation_make_one_relationship() {
    let mut app = TestApp::start().await;
    let second = app.start_another_server().await;
    let agent = app.create_agent().await;
    for service in [
        "HMRC-MTD-VAT",
        "HMRC-MTD-IT",
        "HMRC-MTD-IT-SUPP",
        "HMRC-TERS-ORG",
    ] {
        let client = app.backend_client(service).await;
        let id = app.sent_create_ok(&agent, &client).await;
        let requests = (0..20)
            .map(|i| {
                app.backend_at(
                    base(&app, &second, i),
                    Method::PUT,
                    &accept_path(&client, &id),
                    &client.token,
                )
            })
            .collect();
        let answers = all_at_once(requests).await;

        assert_no_server_error(&answers);
        let accepted = answers
            .iter()
            .filter(|a| a.status == StatusCode::NO_CONTENT)
            .count();
        for answer in answers
            .iter()
            .filter(|a| a.status != StatusCode::NO_CONTENT)
        {
            assert!(
                is_backend_error(answer, ACCEPT, "INVALID_INVITATION_STATUS"),
                "{service}: {answer:?}"
            );
        }
        assert!(accepted >= 1, "{service}: {answers:?}");
        eprintln!(
            "{service}: {accepted} × 204, {} × 403",
            answers.len() - accepted
        );

        let (_, stored_id) = client.stored_client_id();
        assert_eq!(
            app.active_relationship_count(service, &stored_id).await,
            1,
            "{service}: exactly one relationship"
        );
        assert!(app.is_related(&agent, &client).await);
        let invitation = app.sent_invitation(&agent, &id).await;
        assert_sent_invitation(&app, &invitation, &agent, &client, &id, "Accepted");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn accept_racing_cancel_has_one_winner_and_a_consistent_end() {
    let mut app = TestApp::start().await;
    let second = app.start_another_server().await;
    let agent = app.create_agent().await;
    let mut winners = (0, 0);
    for round in 0..ROUNDS * 2 {
        let service = if round.is_multiple_of(2) {
            "HMRC-MTD-VAT"
        } else {
            "HMRC-MTD-IT"
        };
        let client = app.backend_client(service).await;
        let id = app.sent_create_ok(&agent, &client).await;
        let cancel_path = format!("{}/cancel", sent_invitation_path(&agent.arn, &id));
        // Alternate which server takes which.
        let (a, b) = if round % 4 < 2 {
            (app.base_url.as_str(), second.as_str())
        } else {
            (second.as_str(), app.base_url.as_str())
        };
        let answers = all_at_once(vec![
            app.backend_at(a, Method::PUT, &cancel_path, &agent.token),
            app.backend_at(b, Method::PUT, &accept_path(&client, &id), &client.token),
        ])
        .await;
        assert_no_server_error(&answers);
        let (cancel, accept) = (&answers[0], &answers[1]);
        let (_, stored_id) = client.stored_client_id();
        let relationships = app.active_relationship_count(service, &stored_id).await;
        let status = app.sent_status(&agent, &id).await;
        match (cancel.status, accept.status) {
            (StatusCode::NO_CONTENT, _) => {
                assert!(
                    is_backend_error(accept, ACCEPT, "INVALID_INVITATION_STATUS"),
                    "{accept:?}"
                );
                assert_eq!((status.as_str(), relationships), ("Cancelled", 0));
                assert!(!app.is_related(&agent, &client).await);
                winners.0 += 1;
            }
            (_, StatusCode::NO_CONTENT) => {
                assert!(
                    is_backend_error(cancel, CANCEL, "INVALID_INVITATION_STATUS"),
                    "{cancel:?}"
                );
                assert_eq!((status.as_str(), relationships), ("Accepted", 1));
                assert!(app.is_related(&agent, &client).await);
                winners.1 += 1;
            }
            _ => panic!("neither won: {answers:?}"),
        }
    }
    eprintln!("cancel won {} times, accept {} times", winners.0, winners.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn accept_racing_reject_has_one_winner() {
    let mut app = TestApp::start().await;
    let second = app.start_another_server().await;
    let agent = app.create_agent().await;
    for _ in 0..ROUNDS {
        let client = app.backend_client("HMRC-PPT-ORG").await;
        let id = app.sent_create_ok(&agent, &client).await;
        let reject_path = format!("{}/reject", client.received_invitation_path(&id));
        let answers = all_at_once(vec![
            app.backend_at(
                &app.base_url,
                Method::PUT,
                &accept_path(&client, &id),
                &client.token,
            ),
            app.backend_at(&second, Method::PUT, &reject_path, &client.token),
        ])
        .await;
        assert_no_server_error(&answers);
        let status = app.sent_status(&agent, &id).await;
        let relationships = app
            .active_relationship_count("HMRC-PPT-ORG", &client.client_id)
            .await;
        match (answers[0].status, answers[1].status) {
            (StatusCode::NO_CONTENT, _) => {
                assert!(
                    is_backend_error(&answers[1], REJECT, "INVALID_INVITATION_STATUS"),
                    "{answers:?}"
                );
                assert_eq!((status.as_str(), relationships), ("Accepted", 1));
            }
            (_, StatusCode::NO_CONTENT) => {
                assert!(
                    is_backend_error(&answers[0], ACCEPT, "INVALID_INVITATION_STATUS"),
                    "{answers:?}"
                );
                assert_eq!((status.as_str(), relationships), ("Rejected", 0));
            }
            _ => panic!("neither won: {answers:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_main_agents_accepted_at_once_leave_one_main_agent() {
    let mut app = TestApp::start().await;
    let second = app.start_another_server().await;
    let agents = [app.create_agent().await, app.create_agent().await];
    for round in 0..ROUNDS * 2 {
        let service = if round.is_multiple_of(2) {
            "HMRC-MTD-IT"
        } else {
            "HMRC-MTD-VAT"
        };
        let client = app.backend_client(service).await;
        let ids = [
            app.sent_create_ok(&agents[0], &client).await,
            app.sent_create_ok(&agents[1], &client).await,
        ];
        let answers = all_at_once(vec![
            app.backend_at(
                &app.base_url,
                Method::PUT,
                &accept_path(&client, &ids[0]),
                &client.token,
            ),
            app.backend_at(
                &second,
                Method::PUT,
                &accept_path(&client, &ids[1]),
                &client.token,
            ),
        ])
        .await;
        for answer in &answers {
            assert_eq!(
                answer.status,
                StatusCode::NO_CONTENT,
                "both acceptances succeed: {answers:?}"
            );
        }

        let related = [
            app.is_related(&agents[0], &client).await,
            app.is_related(&agents[1], &client).await,
        ];
        assert_eq!(
            related.iter().filter(|r| **r).count(),
            1,
            "{service}: one main agent at a time"
        );
        let (_, stored_id) = client.stored_client_id();
        let stored = app.active_relationships(service, &stored_id).await;
        let winner = usize::from(related[1]);
        assert_eq!(stored.len(), 1, "{service}: {stored:?}");
        assert_eq!(stored[0].arn, agents[winner].arn);

        let won = app.sent_invitation(&agents[winner], &ids[winner]).await;
        assert_eq!(won["status"], "Accepted", "{won}");
        let lost = app
            .sent_invitation(&agents[1 - winner], &ids[1 - winner])
            .await;
        assert_eq!(
            (
                lost["status"].as_str(),
                lost["relationshipEndedBy"].as_str()
            ),
            (Some("Deauthorised"), Some("Client")),
            "{lost}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn supporting_agents_accepted_at_once_all_stay() {
    let mut app = TestApp::start().await;
    let second = app.start_another_server().await;
    let client = app.backend_client("HMRC-MTD-IT-SUPP").await;
    let mut invited = Vec::new();
    for _ in 0..6 {
        let agent = app.create_agent().await;
        let id = app.sent_create_ok(&agent, &client).await;
        invited.push((agent, id));
    }
    let requests = invited
        .iter()
        .enumerate()
        .map(|(i, (_, id))| {
            app.backend_at(
                base(&app, &second, i),
                Method::PUT,
                &accept_path(&client, id),
                &client.token,
            )
        })
        .collect();
    let answers = all_at_once(requests).await;
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{answers:?}");
    }
    for (agent, id) in &invited {
        assert!(app.is_related(agent, &client).await);
        assert_eq!(app.sent_status(agent, id).await, "Accepted");
    }
    assert_eq!(
        app.active_relationship_count("HMRC-MTD-IT-SUPP", &client.enrolment_id)
            .await,
        6
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_creates_at_once_make_one_invitation() {
    let mut app = TestApp::start().await;
    let second = app.start_another_server().await;
    let agent = app.create_agent().await;
    for service in ["HMRC-MTD-VAT", "HMRC-CGT-PD"] {
        let client = app.backend_client(service).await;
        let requests = (0..20)
            .map(|i| {
                app.backend_at(
                    base(&app, &second, i),
                    Method::POST,
                    &sent_path(&agent.arn),
                    &agent.token,
                )
                .json(&client.create_body())
            })
            .collect();
        let answers = all_at_once(requests).await;
        assert_no_server_error(&answers);
        let created: Vec<&Answer> = answers
            .iter()
            .filter(|a| a.status == StatusCode::CREATED)
            .collect();
        assert_eq!(
            created.len(),
            1,
            "{service}: exactly one create succeeds: {answers:?}"
        );
        let location = created[0].location.clone().expect("the 201 has a Location");
        let body: Value = serde_json::from_str(&created[0].body).unwrap();
        assert_eq!(
            location,
            sent_invitation_path(&agent.arn, &string_field(&body, "invitationId"))
        );
        for answer in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
            if is_backend_error(answer, CREATE, "DUPLICATE_AUTHORISATION_REQUEST") {
                assert_eq!(
                    answer.location.as_deref(),
                    Some(location.as_str()),
                    "the duplicate names the one created"
                );
            } else {
                assert!(
                    is_backend_error(answer, CREATE, "ALREADY_BEING_PROCESSED"),
                    "{answer:?}"
                );
            }
        }
        let listed = app
            .sent_list_ok(&agent, &format!("{ALL}&service={service}"))
            .await;
        assert_eq!(listed.len(), 1, "{listed:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_client_and_the_agent_ending_one_relationship_at_once() {
    let mut app = TestApp::start().await;
    let second = app.start_another_server().await;
    let agent = app.create_agent().await;
    for round in 0..DEADLOCK_ROUNDS {
        let client = app.backend_client("HMRC-MTD-VAT").await;
        let id = app.sent_create_ok(&agent, &client).await;
        app.received_accept_ok(&client, &id).await;
        let client_end = format!("{}/deauthorise", client.received_invitation_path(&id));
        let (a, b) = if round.is_multiple_of(2) {
            (app.base_url.as_str(), second.as_str())
        } else {
            (second.as_str(), app.base_url.as_str())
        };
        let answers = all_at_once(vec![
            app.backend_at(
                a,
                Method::DELETE,
                &client.relationship_path(&agent.arn),
                &agent.token,
            ),
            app.backend_at(b, Method::PUT, &client_end, &client.token),
        ])
        .await;
        assert_no_server_error(&answers);
        let ended = app.sent_invitation(&agent, &id).await;
        assert_eq!(ended["status"], "Deauthorised", "{ended}");
        match (answers[0].status, answers[1].status) {
            (StatusCode::NO_CONTENT, _) => {
                assert!(
                    is_backend_error(&answers[1], CLIENT_END, "NO_RELATIONSHIP"),
                    "{answers:?}"
                );
                assert_eq!(ended["relationshipEndedBy"], "Agent");
            }
            (_, StatusCode::NO_CONTENT) => {
                assert!(
                    is_backend_error(&answers[0], END, "NO_RELATIONSHIP"),
                    "{answers:?}"
                );
                assert_eq!(ended["relationshipEndedBy"], "Client");
            }
            _ => panic!("neither ended it: {answers:?}"),
        }
        assert_eq!(
            app.active_relationship_count("HMRC-MTD-VAT", &client.client_id)
                .await,
            0
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_client_ending_its_old_agent_while_accepting_a_new_one() {
    let mut app = TestApp::start().await;
    let second = app.start_another_server().await;
    let (old, new) = (app.create_agent().await, app.create_agent().await);
    for round in 0..DEADLOCK_ROUNDS {
        let client = app.backend_client("HMRC-MTD-VAT").await;
        let old_id = app.sent_create_ok(&old, &client).await;
        app.received_accept_ok(&client, &old_id).await;
        let new_id = app.sent_create_ok(&new, &client).await;
        let end_old = format!("{}/deauthorise", client.received_invitation_path(&old_id));
        let (a, b) = if round.is_multiple_of(2) {
            (app.base_url.as_str(), second.as_str())
        } else {
            (second.as_str(), app.base_url.as_str())
        };
        let answers = all_at_once(vec![
            app.backend_at(a, Method::PUT, &end_old, &client.token),
            app.backend_at(
                b,
                Method::PUT,
                &accept_path(&client, &new_id),
                &client.token,
            ),
        ])
        .await;
        assert_no_server_error(&answers);
        // The acceptance succeeds; ending the old relationship succeeds unless the acceptance ended it first.
        assert_eq!(answers[1].status, StatusCode::NO_CONTENT, "{answers:?}");
        if answers[0].status != StatusCode::NO_CONTENT {
            assert!(
                is_backend_error(&answers[0], CLIENT_END, "NO_RELATIONSHIP"),
                "{answers:?}"
            );
        }
        assert!(!app.is_related(&old, &client).await);
        assert!(app.is_related(&new, &client).await);
        let ended = app.sent_invitation(&old, &old_id).await;
        assert_eq!(
            (
                ended["status"].as_str(),
                ended["relationshipEndedBy"].as_str()
            ),
            (Some("Deauthorised"), Some("Client")),
            "{ended}"
        );
        let stored = app
            .active_relationships("HMRC-MTD-VAT", &client.client_id)
            .await;
        assert_eq!(
            stored.iter().map(|r| r.arn.as_str()).collect::<Vec<_>>(),
            [new.arn.as_str()]
        );
    }
}
