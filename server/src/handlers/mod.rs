//! The generated API traits, implemented: each handler authenticates, turns the request into domain
//! terms, calls the domain, and shapes the answer. No rule lives here.

// One module per contract, `handlers/<contract>.rs`, declared by the generator.
include!("../api/generated/handler_modules.rs");
pub mod client_action_link;
mod public_api;
pub(crate) mod test_scenarios;

use std::sync::OnceLock;

use dropshot::RequestContext;

use crate::domain::identifiers::Arn;
use crate::domain::principal::Principal;
use crate::domain::{Authorisations, DomainError};

/// The sandbox's request header that holds a create, or a test-support accept, inside its critical section.
pub const HOLD_HEADER: &str = "gov-test-hold-ms";

/// What every handler can reach.
pub struct ApiContext {
    pub authorisations: Authorisations,
    /// Whether the sandbox is on (create-test-user, test support, test scenarios); off in production mode.
    pub sandbox: bool,
    /// How long a request body may take to arrive (408 after).
    pub body_timeout: std::time::Duration,
    /// The public base URL used in client action links; known once the server is bound.
    pub public_base_url: OnceLock<String>,
    /// What `GET /metrics` reports.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
}

impl ApiContext {
    pub fn base_url(&self) -> &str {
        self.public_base_url
            .get()
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The caller, from its bearer token.
    pub async fn principal(&self, rqctx: &RequestContext<Self>) -> Result<Principal, DomainError> {
        let header = rqctx.request.headers().get(http::header::AUTHORIZATION);
        let header = header
            .map(|value| value.to_str().map_err(|_| DomainError::Unauthorized))
            .transpose()?;
        self.authorisations.authenticate(header).await
    }

    /// The hold a sandbox request asks for with `Gov-Test-Hold-Ms` (docs/domain.md §11); none in production
    /// mode, where the header means nothing.
    pub fn hold(&self, rqctx: &RequestContext<Self>) -> Option<std::time::Duration> {
        if !self.sandbox {
            return None;
        }
        let value = rqctx.request.headers().get(HOLD_HEADER)?;
        value.to_str().ok().and_then(crate::domain::hold::parse)
    }

    /// The caller as an agent of the agency in the path.
    pub async fn agent(
        &self,
        rqctx: &RequestContext<Self>,
        path_arn: &str,
    ) -> Result<Arn, DomainError> {
        self.principal(rqctx).await?.agent_for(path_arn)
    }
}

/// One request, as the generated trait runs it: a unit of work on one database connection, counted and timed
/// under its operation id when it ends.
pub struct Unit {
    authorisations: Authorisations,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
    operation: &'static str,
    started: std::time::Instant,
}

impl Unit {
    pub fn start(rqctx: &RequestContext<ApiContext>, operation: &'static str) -> Self {
        let ctx = rqctx.context();
        Self {
            authorisations: ctx.authorisations.clone(),
            metrics: ctx.metrics.clone(),
            operation,
            started: std::time::Instant::now(),
        }
    }

    pub async fn run<R: dropshot::HttpResponse>(
        self,
        work: impl std::future::Future<Output = Result<R, crate::api::ApiError>>,
    ) -> Result<R, crate::api::ApiError> {
        let answer = self.authorisations.unit_of_work(work).await;
        let status = match &answer {
            Ok(response) => response.status_code(),
            Err(error) => error.status(),
        };
        self.metrics
            .observe(self.operation, status.as_u16(), self.started.elapsed());
        answer
    }
}

/// The server. `api::generated` implements `ServerApi` for it by calling, for each operation, the function of the
/// same name in the contract's module here.
pub enum Server {}
