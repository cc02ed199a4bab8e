//! A worked example of an agent's software on the Agent Authorisation API 2.0: copy it.
//!
//! It sets up a test agent and a test client through the sandbox (`POST /create-test-user/agents|individuals`),
//! then asks the client for authorisation, reads the request, and cancels it, handling three documented errors on
//! the way:
//!
//! - `403 DUPLICATE_AUTHORISATION_REQUEST`: the client was already asked; its `Location` names the pending request,
//!   which the software takes up instead of asking again;
//! - `403 CLIENT_REGISTRATION_NOT_FOUND`: HMRC has no such client; the agent must check the details it typed;
//! - `401 UNAUTHORIZED`: the token is no longer valid; the agent must sign in again. A sandbox token does not
//!   expire during a run, so the software asks for that answer with `Gov-Test-Scenario: UNAUTHORIZED`.
//!
//! Every error body is `{"code", "message"}`; [`ApiError`] turns the ones the software acts on into values.

use anyhow::{Context, Result, anyhow, bail};
use reqwest::header::{ACCEPT, AUTHORIZATION, LOCATION};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

/// The media type of version 2.0: every call of the API sends it as `Accept`.
pub const V2: &str = "application/vnd.hmrc.2.0+json";

/// A well-formed National Insurance number no test user has.
pub const UNREGISTERED_NINO: &str = "ZY999999D";

/// The documented errors the software handles, and the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The client has a pending request from this agent already: `existing` is its path (the `Location` header).
    DuplicateAuthorisationRequest { existing: String },
    /// HMRC has no client with these details.
    ClientRegistrationNotFound,
    /// The bearer token is missing, invalid or expired.
    Unauthorized,
    /// Any other documented error.
    Other {
        status: u16,
        code: String,
        message: String,
    },
}

/// A test agent: its Agent Reference Number and bearer token.
#[derive(Debug, Clone)]
pub struct Agent {
    pub arn: String,
    pub token: String,
}

/// A test client signed up to Making Tax Digital for Income Tax: the facts the agent knows.
#[derive(Debug, Clone)]
pub struct Client {
    pub nino: String,
    pub postcode: String,
}

/// The API at one base URL (the server, or the validating proxy in front of it).
pub struct Api {
    http: reqwest::Client,
    base_url: String,
    /// Exchanges the validating proxy counted violations in (its `x-conformance-violations` header).
    pub flagged: std::sync::atomic::AtomicU64,
}

impl Api {
    pub fn new(base_url: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            flagged: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// A v2 call as `agent`: `Accept` and the bearer token, and a test scenario when asked for.
    fn v2(
        &self,
        method: Method,
        path: &str,
        agent: &Agent,
        scenario: Option<&str>,
    ) -> RequestBuilder {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .header(ACCEPT, V2)
            .header(AUTHORIZATION, format!("Bearer {}", agent.token));
        if let Some(scenario) = scenario {
            request = request.header("Gov-Test-Scenario", scenario);
        }
        request
    }

    async fn send(&self, request: RequestBuilder) -> Result<Response> {
        let response = request.send().await?;
        let flagged = response
            .headers()
            .get("x-conformance-violations")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v != "0");
        if flagged {
            self.flagged
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(response)
    }

    /// `POST /create-test-user/agents`: an agent with an agent services account.
    pub async fn create_test_agent(&self) -> Result<Agent> {
        let user = self.create_test_user("agents", &["agent-services"]).await?;
        Ok(Agent {
            arn: text(&user, "/agentServicesAccountNumber")?,
            token: text(&user, "/accessToken")?,
        })
    }

    /// `POST /create-test-user/individuals`: an individual signed up to MTD Income Tax.
    pub async fn create_test_individual(&self) -> Result<Client> {
        let user = self
            .create_test_user("individuals", &["national-insurance", "mtd-income-tax"])
            .await?;
        Ok(Client {
            nino: text(&user, "/nino")?,
            postcode: text(&user, "/individualDetails/address/postcode")?,
        })
    }

    async fn create_test_user(&self, kind: &str, services: &[&str]) -> Result<Value> {
        let url = format!("{}/create-test-user/{kind}", self.base_url);
        let request = self
            .http
            .post(&url)
            .json(&json!({ "serviceNames": services }));
        let response = self.send(request).await?;
        if response.status() != StatusCode::CREATED {
            bail!("POST {url}: {}", error(response).await?.describe());
        }
        response
            .json()
            .await
            .with_context(|| format!("POST {url}: the test user"))
    }

    /// `POST /agents/{arn}/invitations` for MTD Income Tax: the new request's path (its `Location`).
    pub async fn create_invitation(
        &self,
        agent: &Agent,
        client: &Client,
        scenario: Option<&str>,
    ) -> Result<Result<String, ApiError>> {
        let body = json!({
            "service": ["MTD-IT"],
            "clientType": "personal",
            "clientIdType": "ni",
            "clientId": client.nino,
            "knownFact": client.postcode,
        });
        let path = format!("/agents/{}/invitations", agent.arn);
        let response = self
            .send(self.v2(Method::POST, &path, agent, scenario).json(&body))
            .await?;
        if response.status() == StatusCode::NO_CONTENT {
            return location(&response).map(Ok);
        }
        Ok(Err(error(response).await?))
    }

    /// `GET /agents/{arn}/invitations/{invitationId}`, by the path `Location` gave.
    pub async fn get_invitation(
        &self,
        agent: &Agent,
        path: &str,
    ) -> Result<Result<Value, ApiError>> {
        let response = self.send(self.v2(Method::GET, path, agent, None)).await?;
        if response.status() == StatusCode::OK {
            return Ok(Ok(response.json().await?));
        }
        Ok(Err(error(response).await?))
    }

    /// `DELETE /agents/{arn}/invitations/{invitationId}`: cancels a pending request.
    pub async fn cancel_invitation(
        &self,
        agent: &Agent,
        path: &str,
    ) -> Result<Result<(), ApiError>> {
        let response = self
            .send(self.v2(Method::DELETE, path, agent, None))
            .await?;
        if response.status() == StatusCode::NO_CONTENT {
            return Ok(Ok(()));
        }
        Ok(Err(error(response).await?))
    }

    /// `GET /agents/{arn}/invitations`: the last 30 days' requests (none is 204).
    pub async fn list_invitations(
        &self,
        agent: &Agent,
        scenario: Option<&str>,
    ) -> Result<Result<Vec<Value>, ApiError>> {
        let path = format!("/agents/{}/invitations", agent.arn);
        let response = self
            .send(self.v2(Method::GET, &path, agent, scenario))
            .await?;
        match response.status() {
            StatusCode::OK => Ok(Ok(response.json().await?)),
            StatusCode::NO_CONTENT => Ok(Ok(Vec::new())),
            _ => Ok(Err(error(response).await?)),
        }
    }
}

/// The `Location` header of an answer.
fn location(response: &Response) -> Result<String> {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("{} without a Location header", response.status()))
}

/// A `{code, message}` answer as an [`ApiError`].
async fn error(response: Response) -> Result<ApiError> {
    let status = response.status().as_u16();
    let existing = location(&response).ok();
    let body: Value = response
        .json()
        .await
        .with_context(|| format!("a {status} answer whose body is not {{code, message}}"))?;
    let code = body["code"].as_str().unwrap_or_default().to_owned();
    Ok(match (status, code.as_str(), existing) {
        (403, "DUPLICATE_AUTHORISATION_REQUEST", Some(existing)) => {
            ApiError::DuplicateAuthorisationRequest { existing }
        }
        (403, "CLIENT_REGISTRATION_NOT_FOUND", _) => ApiError::ClientRegistrationNotFound,
        (401, "UNAUTHORIZED", _) => ApiError::Unauthorized,
        _ => ApiError::Other {
            status,
            message: body["message"].as_str().unwrap_or_default().to_owned(),
            code,
        },
    })
}

impl ApiError {
    pub fn describe(&self) -> String {
        match self {
            ApiError::DuplicateAuthorisationRequest { existing } => {
                format!("403 DUPLICATE_AUTHORISATION_REQUEST (pending: {existing})")
            }
            ApiError::ClientRegistrationNotFound => "403 CLIENT_REGISTRATION_NOT_FOUND".to_owned(),
            ApiError::Unauthorized => "401 UNAUTHORIZED".to_owned(),
            ApiError::Other {
                status,
                code,
                message,
            } => format!("{status} {code}: {message}"),
        }
    }
}

fn text(value: &Value, pointer: &str) -> Result<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("the sandbox's answer has no {pointer}"))
}

/// The journey, step by step: each line says what the software did and what it got.
pub async fn run(base_url: &str, say: &mut dyn FnMut(String)) -> Result<()> {
    let api = Api::new(base_url)?;
    let agent = api.create_test_agent().await?;
    let client = api.create_test_individual().await?;
    say(format!(
        "test agent {} and test client {}",
        agent.arn, client.nino
    ));

    let request = api
        .create_invitation(&agent, &client, None)
        .await?
        .map_err(|e| anyhow!("creating the request: {}", e.describe()))?;
    say(format!("asked the client: {request}"));
    let invitation = api
        .get_invitation(&agent, &request)
        .await?
        .map_err(|e| anyhow!("reading the request: {}", e.describe()))?;
    say(format!(
        "it is {}; send the client {}",
        invitation["status"].as_str().unwrap_or("?"),
        invitation["clientActionUrl"]
            .as_str()
            .unwrap_or("(no link)")
    ));
    take_up_duplicate(&api, &agent, &client, &request, say).await?;

    api.cancel_invitation(&agent, &request)
        .await?
        .map_err(|e| anyhow!("cancelling the request: {}", e.describe()))?;
    say(format!("cancelled {request}"));
    unknown_client(&api, &agent, &client, say).await?;
    expired_token(&api, &agent, say).await?;
    let flagged = api.flagged.load(std::sync::atomic::Ordering::Relaxed);
    if flagged > 0 {
        say(format!(
            "the validating proxy flagged {flagged} exchange(s): see its output"
        ));
    }
    Ok(())
}

/// Asking the same client again: 403 DUPLICATE_AUTHORISATION_REQUEST, whose `Location` is the pending request.
async fn take_up_duplicate(
    api: &Api,
    agent: &Agent,
    client: &Client,
    pending: &str,
    say: &mut dyn FnMut(String),
) -> Result<()> {
    match api.create_invitation(agent, client, None).await? {
        Err(ApiError::DuplicateAuthorisationRequest { existing }) => {
            if existing != pending {
                bail!("the duplicate names {existing}, not the pending {pending}");
            }
            say(format!(
                "already asked: taking up the pending request {existing}"
            ));
            Ok(())
        }
        Ok(other) => bail!("a second request for the same client was created: {other}"),
        Err(error) => bail!("asking again: {}", error.describe()),
    }
}

/// A client HMRC does not know: 403 CLIENT_REGISTRATION_NOT_FOUND.
async fn unknown_client(
    api: &Api,
    agent: &Agent,
    client: &Client,
    say: &mut dyn FnMut(String),
) -> Result<()> {
    let unknown = Client {
        nino: UNREGISTERED_NINO.to_owned(),
        postcode: client.postcode.clone(),
    };
    match api.create_invitation(agent, &unknown, None).await? {
        Err(ApiError::ClientRegistrationNotFound) => {
            say(format!(
                "HMRC has no client {UNREGISTERED_NINO}: ask the agent to check the details"
            ));
            Ok(())
        }
        Ok(created) => bail!("a request was created for a client nobody has: {created}"),
        Err(error) => bail!("asking an unknown client: {}", error.describe()),
    }
}

/// A token that is no longer valid: 401 UNAUTHORIZED, asked for with `Gov-Test-Scenario`.
async fn expired_token(api: &Api, agent: &Agent, say: &mut dyn FnMut(String)) -> Result<()> {
    match api.list_invitations(agent, Some("UNAUTHORIZED")).await? {
        Err(ApiError::Unauthorized) => {
            say("the token is no longer valid: the agent must sign in again".to_owned());
            Ok(())
        }
        Ok(list) => bail!(
            "Gov-Test-Scenario UNAUTHORIZED answered a list of {}",
            list.len()
        ),
        Err(error) => bail!("listing: {}", error.describe()),
    }
}
