//! The validating proxy: the harness turned around. It sits between a vendor's software and any server of these
//! APIs, forwards every request, and checks each exchange against the contracts with the harness's own pieces: the
//! contracts as [`crate::contract`] loads them, the [`crate::ledger`]'s entries, the [`crate::schema`] validator
//! and the [`crate::report`] writers. Everything it needs is compiled once at start-up ([`routes`],
//! [`scenarios`]); traffic only walks it.
//!
//! - [`request`] / [`response`]: what each half of an exchange must be;
//! - [`violation`]: one printed line per broken rule;
//! - [`client_ledger`]: which documented answers the software received, and with valid requests or not;
//! - [`scenarios`]: `Gov-Test-Scenario` answered with the contract's example when the upstream does not;
//! - [`exchange`] / [`server`] / [`upstream`]: the HTTP plumbing (hyper), with capped bodies and a timeout.

pub mod client_ledger;
pub mod exchange;
pub mod request;
pub mod response;
pub mod routes;
pub mod scenarios;
pub mod server;
pub mod upstream;
pub mod violation;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::contract;
use crate::ledger::Ledger;
use client_ledger::ClientLedger;
use routes::Routes;
pub use scenarios::AnswerScenarios;
use scenarios::Scenarios;
use upstream::Upstream;

/// The default cap on request and checked response bodies.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 << 20;
/// The default time the upstream gets to answer.
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);

/// How the proxy runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The server to forward to, `http://host:port`.
    pub upstream: String,
    pub listen: SocketAddr,
    /// Where `client-ledger.json` and `junit.xml` go.
    pub report_dir: PathBuf,
    /// Refuse an invalid request (400 CONTRACT_VIOLATION) instead of forwarding it.
    pub strict: bool,
    pub answer_scenarios: AnswerScenarios,
    /// The largest request body, and the most of a response body that is checked.
    pub max_body_bytes: usize,
    pub upstream_timeout: Duration,
    pub contracts_dir: PathBuf,
    /// Print violation lines (stdout) and the proxy's own refusals (stderr).
    pub echo: bool,
}

impl Config {
    pub fn new(upstream: &str, listen: SocketAddr) -> Self {
        Self {
            upstream: upstream.to_owned(),
            listen,
            report_dir: PathBuf::from("target/conformance-proxy"),
            strict: false,
            answer_scenarios: AnswerScenarios::Auto,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            upstream_timeout: DEFAULT_UPSTREAM_TIMEOUT,
            contracts_dir: PathBuf::from(crate::CONTRACTS_DIR),
            echo: true,
        }
    }
}

/// What every exchange reads.
pub struct State {
    config: Config,
    /// The proxy's own URL, for the curl commands it prints.
    base_url: String,
    routes: Routes,
    scenarios: Scenarios,
    ledger: ClientLedger,
    upstream: Upstream,
}

/// A running proxy; it stops accepting connections when stopped or dropped.
pub struct Proxy {
    state: Arc<State>,
    address: SocketAddr,
    stop: watch::Sender<bool>,
}

impl Proxy {
    /// Loads the contracts, compiles what the checks need, and starts listening.
    pub async fn start(config: Config) -> Result<Self> {
        let contracts = contract::load_all(&config.contracts_dir)?;
        let ledger = Ledger::from_contracts(&contracts)?;
        let routes = Routes::new(&contracts, &ledger)?;
        let scenarios = Scenarios::new(&routes, &ledger);
        let upstream = Upstream::new(
            &config.upstream,
            config.upstream_timeout,
            config.max_body_bytes,
        )?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let address = listener.local_addr()?;
        let state = Arc::new(State {
            base_url: format!("http://{address}"),
            ledger: ClientLedger::new(ledger, &contracts, &config.upstream),
            config,
            routes,
            scenarios,
            upstream,
        });
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(server::serve(listener, state.clone(), stopped));
        Ok(Self {
            state,
            address,
            stop,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// `http://<address>`.
    pub fn url(&self) -> String {
        self.state.base_url.clone()
    }

    pub fn ledger(&self) -> &ClientLedger {
        &self.state.ledger
    }

    /// Where the reports go.
    pub fn report_dir(&self) -> &std::path::Path {
        &self.state.config.report_dir
    }

    /// Writes `client-ledger.json` and `junit.xml`; answers the summary table.
    pub fn report(&self) -> Result<String> {
        self.state.ledger.write(&self.state.config.report_dir)?;
        Ok(self.state.ledger.summary())
    }

    /// Stops accepting connections (exchanges in flight finish).
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `conformance proxy`: runs until SIGINT or SIGTERM, then writes the reports and prints the summary. Answers
/// whether no violation was seen.
pub async fn run(config: Config) -> Result<bool> {
    let proxy = Proxy::start(config.clone()).await?;
    let operations = proxy.state.routes.operations().len();
    eprintln!(
        "conformance proxy: {} → {} ({operations} operations, {} ledger entries; strict {}, scenarios {}, bodies up \
         to {} bytes, upstream timeout {:.0} s)",
        proxy.url(),
        config.upstream,
        proxy.ledger().ledger().entries().len(),
        if config.strict { "on" } else { "off" },
        config.answer_scenarios,
        config.max_body_bytes,
        config.upstream_timeout.as_secs_f64()
    );
    eprintln!(
        "conformance proxy: GET {}{} writes the reports to {}; Ctrl-C stops",
        proxy.url(),
        exchange::REPORT_PATH,
        config.report_dir.display()
    );
    wait_for_signal().await?;
    proxy.stop();
    let summary = proxy.report()?;
    println!("{summary}");
    println!(
        "reports: {} and {}",
        config.report_dir.join("client-ledger.json").display(),
        config.report_dir.join("junit.xml").display()
    );
    Ok(proxy.ledger().violations() == 0)
}

async fn wait_for_signal() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    Ok(())
}
