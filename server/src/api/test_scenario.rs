//! The `Gov-Test-Scenario` request header (sandbox only): a request naming one of its operation's documented
//! error examples gets that example as its answer, after the operation's checks of the request's shape and caller
//! and without the operation being carried out (docs/domain.md §11). The names and answers come from the contract,
//! through the generated code; an unknown name is 400 INVALID_TEST_SCENARIO, naming the valid ones.

use std::borrow::Cow;
use std::marker::PhantomData;

use dropshot::{
    ApiEndpointBodyContentType, ErrorStatusCode, ExtractorMetadata, Header, HttpError,
    RequestContext, ServerContext, SharedExtractor,
};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::ApiError;
use crate::handlers::ApiContext;

/// One documented error example an operation's scenarios may name.
#[derive(Debug, Clone, Copy)]
pub struct TestScenarioExample {
    pub name: &'static str,
    pub status: u16,
    pub code: &'static str,
    pub message: &'static str,
    /// Its answer carries a `Location` header (DUPLICATE_AUTHORISATION_REQUEST's).
    pub location: bool,
}

/// An operation's `Gov-Test-Scenario` header type (generated), with the examples it may name.
pub trait TestScenarios {
    const EXAMPLES: &'static [TestScenarioExample];
}

/// The example a request names, if it names one and the sandbox is on.
#[derive(Debug)]
pub struct TestScenario<H>(Option<&'static TestScenarioExample>, PhantomData<H>);

impl<H> TestScenario<H> {
    pub fn example(&self) -> Option<&'static TestScenarioExample> {
        self.0
    }
}

#[async_trait::async_trait]
impl<H> SharedExtractor for TestScenario<H>
where
    H: TestScenarios + JsonSchema + DeserializeOwned + Send + Sync + 'static,
{
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
    ) -> Result<Self, HttpError> {
        let sandbox = (rqctx.context() as &dyn std::any::Any)
            .downcast_ref::<ApiContext>()
            .is_none_or(|ctx| ctx.sandbox);
        let named = rqctx.request.headers().get("gov-test-scenario");
        let Some(named) = named.filter(|_| sandbox) else {
            return Ok(TestScenario(None, PhantomData));
        };
        let named = named.to_str().unwrap_or_default().trim();
        if named.is_empty() || named == "DEFAULT" {
            return Ok(TestScenario(None, PhantomData));
        }
        H::EXAMPLES
            .iter()
            .find(|example| example.name == named)
            .map(|example| TestScenario(Some(example), PhantomData))
            .ok_or_else(|| invalid(H::EXAMPLES).into_http_error())
    }

    fn metadata(body_content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        <Header<H> as SharedExtractor>::metadata(body_content_type)
    }
}

/// The answer to a name the operation does not document.
fn invalid(examples: &[TestScenarioExample]) -> ApiError {
    let names: Vec<&str> = examples.iter().map(|example| example.name).collect();
    ApiError::documented(
        ErrorStatusCode::BAD_REQUEST,
        Cow::Borrowed("INVALID_TEST_SCENARIO"),
        Cow::Owned(format!(
            "The Gov-Test-Scenario header must name one of this operation's documented examples: {}.",
            names.join(", ")
        )),
    )
}
