//! The load benchmark's HTTP clients: `connections` HTTP/1.1 connections, each sending its next request when the
//! last is answered, all on one thread of this process, so that the clients cost the machine as little as they can.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use super::workload::{Fixture, Operation, V2};

/// Connection `c` sends the requests `c`, `c + connections`, `c + 2 × connections`… of `operation` for `length`;
/// each request's latency in microseconds. Every answer must be the operation's success.
pub fn drive(
    fixture: &Fixture,
    operation: Operation,
    connections: usize,
    length: Duration,
) -> Result<Vec<u64>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start the HTTP clients' runtime")?;
    let fixture = Arc::new(fixture.clone());
    let end = Instant::now() + length;
    runtime.block_on(async {
        let mut clients = JoinSet::new();
        for c in 0..connections {
            let fixture = Arc::clone(&fixture);
            clients
                .spawn(async move { connection(&fixture, operation, c, connections, end).await });
        }
        let mut latencies = Vec::new();
        while let Some(client) = clients.join_next().await {
            latencies.extend(client.context("an HTTP client panicked")??);
        }
        Ok(latencies)
    })
}

async fn connection(
    fixture: &Fixture,
    operation: Operation,
    c: usize,
    connections: usize,
    end: Instant,
) -> Result<Vec<u64>> {
    let authority = fixture
        .base_url()
        .strip_prefix("http://")
        .context("the server's URL is not http://")?
        .to_owned();
    let stream = TcpStream::connect(&authority)
        .await
        .with_context(|| format!("could not connect to {authority}"))?;
    stream.set_nodelay(true)?;
    let (mut sender, session) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(session);
    let mut taken = Vec::new();
    for n in (c as u64..).step_by(connections) {
        if Instant::now() >= end {
            break;
        }
        let request = fixture.request(operation, n)?;
        let mut builder = http::Request::builder()
            .uri(&request.path)
            .header(HOST, &authority)
            .header(ACCEPT, V2)
            .header(AUTHORIZATION, format!("Bearer {}", request.token));
        if request.body.is_some() {
            builder = builder
                .method("POST")
                .header(CONTENT_TYPE, "application/json");
        }
        let body = Full::new(Bytes::from(request.body.unwrap_or_default()));
        let started = Instant::now();
        sender.ready().await?;
        let response = sender.send_request(builder.body(body)?).await?;
        let status = response.status();
        let answer = response.into_body().collect().await?.to_bytes();
        taken.push(started.elapsed().as_micros() as u64);
        if status.as_u16() != operation.expected_status() {
            bail!(
                "{} {} answered {status}: {}",
                operation.name(),
                request.path,
                String::from_utf8_lossy(&answer)
            );
        }
    }
    Ok(taken)
}
