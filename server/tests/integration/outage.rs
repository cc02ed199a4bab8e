//! The database out of reach under requests (docs/domain.md §9): the server reaches PostgreSQL through a TCP relay
//! this test cuts and restores. Meanwhile every answer is 503 SERVICE_UNAVAILABLE with `Retry-After`; afterwards
//! the same server, never restarted, answers again, and every write it acknowledged is there.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// A TCP relay to PostgreSQL that can be cut (every connection dropped, new ones refused) and restored.
struct Relay {
    addr: SocketAddr,
    open: Arc<AtomicBool>,
    connections: Arc<tokio::sync::Mutex<JoinSet<()>>>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(tokio::sync::Mutex::new(JoinSet::new()));
        let (accepting, tasks) = (open.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !accepting.load(Ordering::SeqCst) {
                    continue; // dropped at once: refused
                }
                let target = target.clone();
                tasks.lock().await.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Relay {
            addr,
            open,
            connections,
        }
    }

    async fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.connections.lock().await.abort_all();
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

/// `host:port` of a `postgres://user@host:port/db` URL.
fn host_and_port(url: &str) -> String {
    let authority = url.split("://").nth(1).unwrap().split('/').next().unwrap();
    authority.rsplit('@').next().unwrap().to_owned()
}

#[tokio::test]
async fn while_the_database_is_unreachable_answers_are_503_and_then_the_server_recovers() {
    let admin = std::env::var("DATABASE_URL").unwrap_or_default();
    let relay = Relay::start(host_and_port(&admin)).await;
    let relayed = relay.addr;
    let app = TestApp::start_reaching(
        |settings| settings.pool_size = 4,
        |url| url.replace(&host_and_port(url), &relayed.to_string()),
    )
    .await;
    let agent = app.create_agent().await;
    let before = app
        .create_invitation_ok(&agent, &itsa_main(&app.create_itsa_client().await))
        .await;
    let clients: Vec<_> = futures_clients(&app, 6).await;

    relay.cut().await;
    // Under requests: every answer is an acknowledged write or a 503 with Retry-After, never anything else.
    let mut acknowledged = Vec::new();
    let mut unavailable = 0;
    for client in &clients[..3] {
        let response = app.create_invitation(&agent, &itsa_main(client)).await;
        match response.status() {
            StatusCode::NO_CONTENT => acknowledged.push(id_from_location(response.headers())),
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(
                    response.headers().get("retry-after").is_some(),
                    "no Retry-After"
                );
                let body: serde_json::Value = response.json().await.unwrap();
                assert_eq!(
                    body,
                    json!({"code": "SERVICE_UNAVAILABLE", "message": "The service is currently unavailable."})
                );
                unavailable += 1;
            }
            other => panic!(
                "during the outage: {other} {}",
                response.text().await.unwrap()
            ),
        }
    }
    assert!(unavailable > 0, "the outage was not seen");

    relay.restore();
    let recovered = Instant::now();
    loop {
        let response = app.create_invitation(&agent, &itsa_main(&clients[3])).await;
        if response.status() == StatusCode::NO_CONTENT {
            acknowledged.push(id_from_location(response.headers()));
            break;
        }
        assert!(
            recovered.elapsed() < Duration::from_secs(30),
            "no recovery: {}",
            response.status()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Every acknowledged write is there, before, during and after.
    for id in std::iter::once(&before).chain(&acknowledged) {
        assert_eq!(app.invitation_status(&agent, id).await, "Pending", "{id}");
    }
}

async fn futures_clients(app: &TestApp, count: usize) -> Vec<Individual> {
    let mut clients = Vec::new();
    for _ in 0..count {
        clients.push(app.create_itsa_client().await);
    }
    clients
}
