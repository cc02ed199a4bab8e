//! Setting up state through the sandbox API, in typed terms (the progenitor clients generated from
//! `openapi/sandbox.yaml` and `openapi/agent-authorisation-v2.yaml`), so that the scenarios run against any
//! implementation that offers the sandbox: test users, authorisation requests, and the client's answers.

use std::collections::HashMap;
use std::sync::Mutex;

use anyhow::{Context, Result, anyhow};

use crate::clients::agent_authorisation_v2 as v2;
use crate::clients::sandbox as sb;
use crate::http::Http;

/// A subscribed agent (or, with `arn` made up, an unsubscribed one).
#[derive(Debug, Clone)]
pub struct Agent {
    pub arn: String,
    pub token: String,
    pub agency_name: String,
}

/// An individual: a NINO, maybe an MTDITID, a postcode.
#[derive(Debug, Clone)]
pub struct Individual {
    pub nino: String,
    pub mtd_it_id: Option<String>,
    pub postcode: String,
    pub token: String,
}

/// An organisation signed up to MTD VAT.
#[derive(Debug, Clone)]
pub struct Organisation {
    pub vrn: String,
    pub vat_registration_date: String,
    pub token: String,
}

/// The sandbox and the v2 API, as typed clients.
pub struct Sandbox {
    base_url: String,
    http: Http,
    client: sb::Client,
    /// One typed v2 client per bearer token (the token travels as a default header).
    v2_clients: Mutex<HashMap<String, v2::Client>>,
}

fn describe<E: std::fmt::Debug>(error: progenitor_client::Error<E>) -> anyhow::Error {
    match error {
        progenitor_client::Error::ErrorResponse(response) => {
            anyhow!("answered {} {:?}", response.status(), response.into_inner())
        }
        progenitor_client::Error::UnexpectedResponse(response) => {
            anyhow!("answered an undocumented {}", response.status())
        }
        other => anyhow!("{other}"),
    }
}

impl Sandbox {
    pub fn new(http: &Http) -> Self {
        Self {
            base_url: http.base_url.clone(),
            http: http.clone(),
            client: sb::Client::new_with_client(&http.base_url, http.reqwest().clone()),
            v2_clients: Mutex::new(HashMap::new()),
        }
    }

    async fn test_agent(
        &self,
        services: &[&str],
        token_lifetime_seconds: Option<i64>,
    ) -> Result<sb::types::TestAgent> {
        let body = sb::types::CreateTestUserRequest {
            service_names: services.iter().map(|s| s.to_string()).collect(),
            token_lifetime_seconds,
        };
        Ok(self
            .client
            .create_test_agent(&body)
            .await
            .map_err(describe)
            .context("creating a test agent")?
            .into_inner())
    }

    /// A subscribed agent (`agent-services`).
    pub async fn agent(&self) -> Result<Agent> {
        self.agent_with_token_lifetime(None).await
    }

    /// A subscribed agent whose token lasts `seconds` (0: already expired).
    pub async fn agent_with_token_lifetime(&self, seconds: Option<i64>) -> Result<Agent> {
        let agent = self.test_agent(&["agent-services"], seconds).await?;
        Ok(Agent {
            arn: agent
                .agent_services_account_number
                .ok_or_else(|| anyhow!("a test agent with agent-services has no ARN"))?,
            token: agent.access_token,
            agency_name: agent.agency_name,
        })
    }

    /// An agent without an agent services account; `arn` is `path_arn`, which is not its own.
    pub async fn unsubscribed_agent(&self, path_arn: &str) -> Result<Agent> {
        let agent = self.test_agent(&[], None).await?;
        Ok(Agent {
            arn: path_arn.to_owned(),
            token: agent.access_token,
            agency_name: agent.agency_name,
        })
    }

    async fn individual(&self, services: &[&str]) -> Result<Individual> {
        let body = sb::types::CreateTestUserRequest {
            service_names: services.iter().map(|s| s.to_string()).collect(),
            token_lifetime_seconds: None,
        };
        let user = self
            .client
            .create_test_individual(&body)
            .await
            .map_err(describe)
            .context("creating a test individual")?
            .into_inner();
        Ok(Individual {
            nino: user
                .nino
                .ok_or_else(|| anyhow!("a test individual with a NINO service has no nino"))?,
            mtd_it_id: user.mtd_it_id,
            postcode: user.individual_details.address.postcode,
            token: user.access_token,
        })
    }

    /// An individual signed up to MTD Income Tax.
    pub async fn itsa_client(&self) -> Result<Individual> {
        self.individual(&["national-insurance", "mtd-income-tax"])
            .await
    }

    /// An "alternative ITSA" individual: a NINO and no MTDITID (accepting gives Partialauth).
    pub async fn alt_itsa_client(&self) -> Result<Individual> {
        self.individual(&["national-insurance"]).await
    }

    /// An organisation signed up to MTD VAT.
    pub async fn vat_client(&self, insolvent: bool) -> Result<Organisation> {
        let body = sb::types::CreateTestOrganisationRequest {
            service_names: vec!["mtd-vat".into()],
            insolvent: insolvent.then_some(true),
            token_lifetime_seconds: None,
        };
        let user = self
            .client
            .create_test_organisation(&body)
            .await
            .map_err(describe)
            .context("creating a test organisation")?
            .into_inner();
        Ok(Organisation {
            vrn: user
                .vrn
                .ok_or_else(|| anyhow!("a test organisation with mtd-vat has no vrn"))?,
            vat_registration_date: user
                .vat_registration_date
                .ok_or_else(|| {
                    anyhow!("a test organisation with mtd-vat has no vatRegistrationDate")
                })?
                .format("%Y-%m-%d")
                .to_string(),
            token: user.access_token,
        })
    }

    pub async fn accept(&self, id: &str) -> Result<()> {
        self.client
            .accept_invitation(id)
            .await
            .map_err(describe)
            .with_context(|| format!("accepting {id}"))?;
        Ok(())
    }

    pub async fn reject(&self, id: &str) -> Result<()> {
        self.client
            .reject_invitation(id)
            .await
            .map_err(describe)
            .with_context(|| format!("rejecting {id}"))?;
        Ok(())
    }

    pub async fn expire(&self, id: &str) -> Result<()> {
        self.client
            .expire_invitation(id)
            .await
            .map_err(describe)
            .with_context(|| format!("expiring {id}"))?;
        Ok(())
    }

    fn v2_client(&self, token: &str) -> Result<v2::Client> {
        let mut clients = self.v2_clients.lock().unwrap();
        if let Some(client) = clients.get(token) {
            return Ok(client.clone());
        }
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse()?,
        );
        let http = reqwest::Client::builder()
            .no_proxy()
            .default_headers(headers)
            .build()?;
        let client = v2::Client::new_with_client(&self.base_url, http);
        clients.insert(token.to_owned(), client.clone());
        Ok(client)
    }

    /// Creates an authorisation request as `agent` (v2, typed); answers its id, from the Location header.
    pub async fn create_invitation(
        &self,
        agent: &Agent,
        body: &serde_json::Value,
    ) -> Result<String> {
        let request: v2::types::CreateInvitationRequest = serde_json::from_value(body.clone())
            .context("a create body the typed client cannot carry")?;
        let response = self
            .v2_client(&agent.token)?
            .create_invitation(
                &agent.arn,
                v2::types::CreateInvitationAccept::ApplicationVndHmrc20Json,
                &request,
            )
            .await
            .map_err(describe)
            .with_context(|| format!("creating an authorisation request for {body}"))?;
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .ok_or_else(|| anyhow!("a created authorisation request without a Location header"))?;
        Ok(location.rsplit('/').next().unwrap_or_default().to_owned())
    }

    /// The status of one of `agent`'s requests (v2, typed).
    pub async fn invitation_status(&self, agent: &Agent, id: &str) -> Result<String> {
        let response = self
            .v2_client(&agent.token)?
            .get_invitation(
                &agent.arn,
                id,
                v2::types::GetInvitationAccept::ApplicationVndHmrc20Json,
            )
            .await
            .map_err(describe)
            .with_context(|| format!("reading {id}"))?;
        Ok(response.into_inner().status)
    }

    pub fn http(&self) -> &Http {
        &self.http
    }
}
