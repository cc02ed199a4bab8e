//! Races across two server processes' worth of state: two servers (two `start` calls, each its own pool) on one
//! database. What must be consistent lives in the database, so both must agree.

use std::sync::Arc;

use crate::support::*;
use reqwest::header::{ACCEPT, AUTHORIZATION, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::Barrier;

/// One answer: status, Location, body.
type Answer = (StatusCode, Option<String>, String);

/// Sends `requests` (base URL, method, path, token, body) all at once, released together by a barrier.
async fn all_at_once(
    app: &TestApp,
    requests: Vec<(String, Method, String, String, Option<Value>)>,
) -> Vec<Answer> {
    let barrier = Arc::new(Barrier::new(requests.len()));
    let mut tasks = Vec::new();
    for (base, method, path, token, body) in requests {
        let client = app.client.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let mut request = client
                .request(method, format!("{base}{path}"))
                .header(ACCEPT, V2_ACCEPT)
                .header(AUTHORIZATION, format!("Bearer {token}"));
            if let Some(body) = body {
                request = request.json(&body);
            }
            barrier.wait().await;
            let response = request.send().await.expect("an answer");
            let location = response
                .headers()
                .get(LOCATION)
                .map(|l| l.to_str().unwrap().to_string());
            (
                response.status(),
                location,
                response.text().await.unwrap_or_default(),
            )
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("the request task"));
    }
    answers
}

fn documented_body(operation: &str, example: &str) -> Value {
    contract::error(operation, example).1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_creates_across_two_servers_make_one_invitation() {
    let mut app = TestApp::start().await;
    let second = app.start_another_server().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let path = invitations_path(&agent.arn);

    let requests = (0..50)
        .map(|i| {
            let base = if i % 2 == 0 {
                app.base_url.clone()
            } else {
                second.clone()
            };
            (
                base,
                Method::POST,
                path.clone(),
                agent.token.clone(),
                Some(itsa_main(&client)),
            )
        })
        .collect();
    let answers = all_at_once(&app, requests).await;

    for (status, _, body) in &answers {
        assert!(!status.is_server_error(), "a server error: {status} {body}");
    }
    let created: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.0 == StatusCode::NO_CONTENT)
        .collect();
    assert_eq!(created.len(), 1, "exactly one create succeeds: {answers:?}");
    let location = created[0].1.clone().expect("the 204 has a Location");
    let id = location.rsplit('/').next().unwrap().to_string();
    assert_eq!(location, invitation_path(&agent.arn, &id));

    let being_processed = documented_body("create_invitation", "ALREADY_BEING_PROCESSED");
    let duplicate = documented_body("create_invitation", "DUPLICATE_AUTHORISATION_REQUEST");
    let mut counts = (0, 0);
    for (status, answer_location, text) in answers.iter().filter(|a| a.0 != StatusCode::NO_CONTENT)
    {
        assert_eq!(*status, StatusCode::FORBIDDEN, "{text}");
        let body: Value = serde_json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        if body == being_processed {
            counts.0 += 1;
        } else if body == duplicate {
            counts.1 += 1;
            assert_eq!(
                answer_location.as_deref(),
                Some(location.as_str()),
                "the duplicate names the one created"
            );
        } else {
            panic!("neither ALREADY_BEING_PROCESSED nor DUPLICATE_AUTHORISATION_REQUEST: {text}");
        }
    }
    eprintln!(
        "1 created, {} already being processed, {} duplicates",
        counts.0, counts.1
    );

    let list = app.invitation_list(&agent).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["invitationId"], id.as_str());
    assert_eq!(list[0]["status"], "Pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn main_and_supporting_creates_racing_make_one_invitation() {
    let mut app = TestApp::start().await;
    let second = app.start_another_server().await;
    let agent = app.create_agent().await;
    let client = app.create_itsa_client().await;
    let path = invitations_path(&agent.arn);

    let requests = (0..20)
        .map(|i| {
            let base = if i % 2 == 0 {
                app.base_url.clone()
            } else {
                second.clone()
            };
            let body = if i % 4 < 2 {
                itsa_main(&client)
            } else {
                itsa_supporting(&client)
            };
            (
                base,
                Method::POST,
                path.clone(),
                agent.token.clone(),
                Some(body),
            )
        })
        .collect();
    let answers = all_at_once(&app, requests).await;

    for (status, _, body) in &answers {
        assert!(!status.is_server_error(), "a server error: {status} {body}");
        assert!(
            *status == StatusCode::NO_CONTENT || *status == StatusCode::FORBIDDEN,
            "{status} {body}"
        );
    }
    let created = answers
        .iter()
        .filter(|a| a.0 == StatusCode::NO_CONTENT)
        .count();
    assert_eq!(
        created, 1,
        "main and supporting block each other: {answers:?}"
    );
    assert_eq!(app.invitation_list(&agent).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_acceptances_leave_one_main_agent() {
    let mut app = TestApp::start().await;
    let second = app.start_another_server().await;
    let agents = [app.create_agent().await, app.create_agent().await];

    for _round in 0..5 {
        let client = app.create_itsa_client().await;
        let body = itsa_main(&client);
        let ids = [
            app.create_invitation_ok(&agents[0], &body).await,
            app.create_invitation_ok(&agents[1], &body).await,
        ];
        let requests = vec![
            (
                app.base_url.clone(),
                Method::PUT,
                format!("/agent-authorisation-test-support/invitations/{}", ids[0]),
                app.hmrc_staff_token().await,
                None,
            ),
            (
                second.clone(),
                Method::PUT,
                format!("/agent-authorisation-test-support/invitations/{}", ids[1]),
                app.hmrc_staff_token().await,
                None,
            ),
        ];
        let answers = all_at_once(&app, requests).await;
        for (status, _, text) in &answers {
            assert_eq!(*status, StatusCode::NO_CONTENT, "{text}");
        }

        let mut active = 0;
        for agent in &agents {
            let response = app.check_relationship(agent, &check_body(&body)).await;
            match response.status() {
                StatusCode::NO_CONTENT => active += 1,
                _ => {
                    assert_error(response, "check_relationship", "RELATIONSHIP_NOT_FOUND").await;
                }
            }
        }
        assert_eq!(active, 1, "one main agent at a time");
        let mut statuses = vec![
            app.invitation_status(&agents[0], &ids[0]).await,
            app.invitation_status(&agents[1], &ids[1]).await,
        ];
        statuses.sort();
        assert_eq!(statuses, ["Accepted", "Deauthorised"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_and_accept_racing_agree() {
    let mut app = TestApp::start().await;
    let second = app.start_another_server().await;
    let agent = app.create_agent().await;

    for _round in 0..5 {
        let client = app.create_vat_client().await;
        let id = app.create_invitation_ok(&agent, &vat(&client)).await;
        let requests = vec![
            (
                app.base_url.clone(),
                Method::DELETE,
                invitation_path(&agent.arn, &id),
                agent.token.clone(),
                None,
            ),
            (
                second.clone(),
                Method::PUT,
                format!("/agent-authorisation-test-support/invitations/{id}"),
                app.hmrc_staff_token().await,
                None,
            ),
        ];
        let answers = all_at_once(&app, requests).await;
        let (cancel, accept) = (&answers[0], &answers[1]);
        let status = app.invitation_status(&agent, &id).await;
        let check = app
            .check_relationship(&agent, &check_body(&vat(&client)))
            .await
            .status();
        match (cancel.0, accept.0) {
            (StatusCode::NO_CONTENT, StatusCode::CONFLICT) => {
                assert_eq!(status, "Cancelled");
                assert_eq!(check, StatusCode::NOT_FOUND);
            }
            (StatusCode::FORBIDDEN, StatusCode::NO_CONTENT) => {
                assert_eq!(status, "Accepted");
                assert_eq!(check, StatusCode::NO_CONTENT);
            }
            other => panic!("exactly one of cancel and accept wins, got {other:?}: {answers:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn creates_for_different_clients_do_not_block_each_other() {
    let mut app = TestApp::start().await;
    let second = app.start_another_server().await;
    let agent = app.create_agent().await;
    let mut bodies = Vec::new();
    for _ in 0..10 {
        bodies.push(itsa_main(&app.create_itsa_client().await));
        bodies.push(vat(&app.create_vat_client().await));
    }
    let path = invitations_path(&agent.arn);

    let requests = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let base = if i % 2 == 0 {
                app.base_url.clone()
            } else {
                second.clone()
            };
            (
                base,
                Method::POST,
                path.clone(),
                agent.token.clone(),
                Some(body.clone()),
            )
        })
        .collect();
    let answers = all_at_once(&app, requests).await;

    for (status, _, text) in &answers {
        assert_eq!(*status, StatusCode::NO_CONTENT, "{text}");
    }
    let list = app.invitation_list(&agent).await;
    assert_eq!(list.len(), bodies.len());
    assert!(list.iter().all(|i| i["status"] == "Pending"));
}
