//! Starting and stopping the HTTP server.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use dropshot::{ConfigDropshot, HandlerTaskMode, HttpServer, ServerBuilder, VersionPolicy};

use crate::api::{AcceptVersion, answer_routing_error};

use crate::api::generated::server_api_mod;
use crate::domain::clock::Clock;
use crate::domain::{Authorisations, Lifetimes};
use crate::handlers::{ApiContext, Server};
use crate::logging::dropshot_logger;
use crate::store::Store;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind_address: SocketAddr,
    /// The base of client action links; `None` means `http://<bound address>`.
    pub public_base_url: Option<String>,
    pub invitation_lifetime_days: i64,
    pub token_lifetime: chrono::Duration,
    /// Larger request bodies are refused (400 BAD_REQUEST) before they are read in full.
    pub request_body_limit: usize,
    /// A body that takes longer to arrive is refused (408 REQUEST_TIMEOUT).
    pub request_body_timeout: Duration,
    /// The sandbox (create-test-user, test support, test scenarios); production mode turns it off.
    pub sandbox: bool,
    pub pool_size: usize,
    /// How often pending requests past expiry are persisted as Expired; `None` turns the sweep off.
    pub expiry_sweep_interval: Option<Duration>,
}

impl Settings {
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            bind_address: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_base_url: None,
            invitation_lifetime_days: 21,
            token_lifetime: chrono::Duration::days(30),
            request_body_limit: 64 * 1024,
            request_body_timeout: Duration::from_secs(30),
            sandbox: true,
            pool_size: 16,
            expiry_sweep_interval: None,
        }
    }
}

/// Rows the expiry sweep changes per statement: small enough never to hold many row locks for long.
const SWEEP_BATCH: i64 = 1_000;

/// A running server.
pub struct RunningServer {
    http: HttpServer<ApiContext>,
    sweep: Option<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.http.local_addr()
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr())
    }

    /// Statements sent to the database so far (each one round trip), for tests that count them.
    pub fn database_statements(&self) -> u64 {
        self.http
            .app_private()
            .authorisations
            .statement_counts()
            .statements()
    }

    /// Stops accepting requests, lets those in flight finish, then stops.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        if let Some(sweep) = self.sweep {
            sweep.abort();
        }
        self.http
            .close()
            .await
            .map_err(|error| anyhow::anyhow!("closing the server: {error}"))
    }

    /// Waits until the server stops by itself (it does not, short of an error).
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.http)
            .await
            .map_err(|error| anyhow::anyhow!(error))
    }
}

/// Connects to the (migrated) database and starts serving.
pub async fn start(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<RunningServer> {
    let store = Store::new(&settings.database_url, settings.pool_size)?;
    let lifetimes = Lifetimes {
        invitation_days: settings.invitation_lifetime_days,
        token: settings.token_lifetime,
    };
    let metrics = Arc::new(crate::metrics::Metrics::new(store.clone()));
    let authorisations = Authorisations::new(store, clock, lifetimes)
        .with_shared_form_key()
        .await
        .map_err(|error| anyhow::anyhow!("loading the sign-in form's key: {error}"))?;
    let context = ApiContext {
        authorisations: authorisations.clone(),
        sandbox: settings.sandbox,
        body_timeout: settings.request_body_timeout,
        public_base_url: OnceLock::new(),
        metrics,
    };
    let mut api = server_api_mod::api_description::<Server>()
        .map_err(|e| anyhow::anyhow!("building the API: {e}"))?;
    crate::web::register(&mut api)
        .map_err(|e| anyhow::anyhow!("adding the client's pages: {e}"))?;
    let config = ConfigDropshot {
        bind_address: settings.bind_address,
        default_request_body_max_bytes: settings.request_body_limit,
        // A client that hangs up must not cancel a transaction half way through its handler.
        default_handler_task_mode: HandlerTaskMode::Detached,
        ..Default::default()
    };
    let http = ServerBuilder::new(api, context, dropshot_logger())
        .config(config)
        .version_policy(VersionPolicy::Dynamic(Box::new(AcceptVersion)))
        .request_error_responder(Box::new(answer_routing_error))
        .start()
        .with_context(|| format!("starting the HTTP server on {}", settings.bind_address))?;
    let base_url = settings
        .public_base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", http.local_addr()));
    let _ = http
        .app_private()
        .public_base_url
        .set(base_url.trim_end_matches('/').to_owned());
    let sweep = settings
        .expiry_sweep_interval
        .map(|interval| tokio::spawn(sweep_expired(authorisations, interval)));
    Ok(RunningServer { http, sweep })
}

/// Persists expiry periodically. Reads already show Expired at once; this keeps the stored status,
/// the pending index and the client's view honest. Safe with several processes (rows are skipped,
/// not waited for).
async fn sweep_expired(authorisations: Authorisations, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match authorisations.sweep_expired(SWEEP_BATCH).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "persisted expired invitations"),
            Err(error) => tracing::warn!(%error, "expiry sweep failed; will retry"),
        }
        match authorisations.sweep_sessions(SWEEP_BATCH).await {
            Ok(0) => {}
            Ok(count) => tracing::debug!(count, "removed expired browser sessions"),
            Err(error) => tracing::warn!(%error, "session sweep failed; will retry"),
        }
    }
}
