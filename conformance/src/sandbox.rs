//! Setting up state through the sandbox API, in typed terms (the progenitor clients generated from
//! `openapi/sandbox.yaml` and `openapi/agent-authorisation-v2.yaml`), so that the scenarios run against any
//! implementation that offers the sandbox: test users, authorisation requests, and the client's answers.

use std::collections::HashMap;
use std::sync::Mutex;

use anyhow::{Context, Result, anyhow, bail, ensure};
use serde_json::json;

use crate::clients::agent_authorisation_v2 as v2;
use crate::clients::sandbox as sb;
use crate::http::{Http, Request};
use crate::paths::{received_path, relationship_path};

/// A subscribed agent (or, with `arn` made up, an unsubscribed one).
#[derive(Debug, Clone)]
pub struct Agent {
    pub arn: String,
    pub token: String,
    pub agency_name: String,
    /// The whole Create Test User answer (user id, password, …).
    pub answer: serde_json::Value,
}

impl Agent {
    /// The same principal, naming another agency's ARN in the paths it calls.
    pub fn with_path_arn(&self, arn: &str) -> Agent {
        Agent {
            arn: arn.to_owned(),
            ..self.clone()
        }
    }
}

/// An individual: a NINO, maybe an MTDITID, a postcode.
#[derive(Debug, Clone)]
pub struct Individual {
    pub nino: String,
    pub mtd_it_id: Option<String>,
    pub postcode: String,
    pub token: String,
    /// The whole Create Test User answer (date of birth, user id, password, …).
    pub answer: serde_json::Value,
}

/// An organisation signed up to MTD VAT.
#[derive(Debug, Clone)]
pub struct Organisation {
    pub vrn: String,
    pub vat_registration_date: String,
    pub token: String,
    /// The whole Create Test User answer.
    pub answer: serde_json::Value,
}

/// The sandbox and the v2 API, as typed clients.
pub struct Sandbox {
    base_url: String,
    http: Http,
    client: sb::Client,
    /// One typed v2 client per bearer token (the token travels as a default header).
    v2_clients: Mutex<HashMap<String, v2::Client>>,
    /// A sandbox client carrying an HMRC staff user's token, made when first needed: test support answers for
    /// HMRC staff whoever made the request.
    support: tokio::sync::OnceCell<sb::Client>,
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
            support: tokio::sync::OnceCell::new(),
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
        let answer = serde_json::to_value(&agent)?;
        Ok(Agent {
            arn: agent
                .agent_services_account_number
                .ok_or_else(|| anyhow!("a test agent with agent-services has no ARN"))?,
            token: agent.access_token,
            agency_name: agent.agency_name,
            answer,
        })
    }

    /// An agent without an agent services account; `arn` is `path_arn`, which is not its own.
    pub async fn unsubscribed_agent(&self, path_arn: &str) -> Result<Agent> {
        let agent = self.test_agent(&[], None).await?;
        if agent.agent_services_account_number.is_some() {
            bail!("a test agent without agent-services has an ARN");
        }
        let answer = serde_json::to_value(&agent)?;
        Ok(Agent {
            arn: path_arn.to_owned(),
            token: agent.access_token,
            agency_name: agent.agency_name,
            answer,
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
        let answer = serde_json::to_value(&user)?;
        Ok(Individual {
            nino: user
                .nino
                .ok_or_else(|| anyhow!("a test individual with a NINO service has no nino"))?,
            mtd_it_id: user.mtd_it_id,
            postcode: user.individual_details.address.postcode,
            token: user.access_token,
            answer,
        })
    }

    /// An individual signed up to MTD Income Tax.
    pub async fn itsa_client(&self) -> Result<Individual> {
        let client = self
            .individual(&["national-insurance", "mtd-income-tax"])
            .await?;
        if client.mtd_it_id.is_none() {
            bail!("a test individual with mtd-income-tax has no mtdItId");
        }
        Ok(client)
    }

    /// An "alternative ITSA" individual: a NINO and no MTDITID (accepting gives Partialauth).
    pub async fn alt_itsa_client(&self) -> Result<Individual> {
        let client = self.individual(&["national-insurance"]).await?;
        if client.mtd_it_id.is_some() {
            bail!("a test individual without mtd-income-tax has an mtdItId");
        }
        Ok(client)
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
        let answer = serde_json::to_value(&user)?;
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
            answer,
        })
    }

    /// A test HMRC staff user's bearer token.
    pub async fn hmrc_staff_token(&self) -> Result<String> {
        let body = sb::types::CreateTestHmrcStaffRequest {
            token_lifetime_seconds: None,
        };
        Ok(self
            .client
            .create_test_hmrc_staff(&body)
            .await
            .map_err(describe)
            .context("creating a test HMRC staff user")?
            .into_inner()
            .access_token)
    }

    /// The sandbox client test support is called through (as HMRC staff).
    async fn support(&self) -> Result<&sb::Client> {
        self.support
            .get_or_try_init(|| async {
                let token = self.hmrc_staff_token().await?;
                let http = authorised_client(&token)?;
                Ok(sb::Client::new_with_client(&self.base_url, http))
            })
            .await
    }

    pub async fn accept(&self, id: &str) -> Result<()> {
        self.support()
            .await?
            .accept_invitation(id)
            .await
            .map_err(describe)
            .with_context(|| format!("accepting {id}"))?;
        Ok(())
    }

    pub async fn reject(&self, id: &str) -> Result<()> {
        self.support()
            .await?
            .reject_invitation(id)
            .await
            .map_err(describe)
            .with_context(|| format!("rejecting {id}"))?;
        Ok(())
    }

    pub async fn expire(&self, id: &str) -> Result<()> {
        self.support()
            .await?
            .expire_invitation(id)
            .await
            .map_err(describe)
            .with_context(|| format!("expiring {id}"))?;
        Ok(())
    }

    /// Makes a request `seconds` old: its creation time moves that far into the past, and its expiry with it
    /// (test support's time control).
    pub async fn set_age(&self, id: &str, seconds: i64) -> Result<()> {
        let body = sb::types::InvitationAge {
            age_seconds: seconds,
        };
        self.support()
            .await?
            .set_invitation_created(id, &body)
            .await
            .map_err(describe)
            .with_context(|| format!("making {id} {seconds} s old"))?;
        Ok(())
    }

    /// Signs an individual up to MTD Income Tax; answers their new MTDITID.
    pub async fn sign_up_mtd_income_tax(&self, nino: &str) -> Result<String> {
        Ok(self
            .support()
            .await?
            .sign_up_mtd_income_tax(nino)
            .await
            .map_err(describe)
            .with_context(|| format!("signing {nino} up to MTD Income Tax"))?
            .into_inner()
            .mtd_it_id)
    }

    fn v2_client(&self, token: &str) -> Result<v2::Client> {
        let mut clients = self.v2_clients.lock().unwrap();
        if let Some(client) = clients.get(token) {
            return Ok(client.clone());
        }
        let client = v2::Client::new_with_client(&self.base_url, authorised_client(token)?);
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
                None,
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
                None,
            )
            .await
            .map_err(describe)
            .with_context(|| format!("reading {id}"))?;
        Ok(response.into_inner().status)
    }

    /// A raw Create Test User call: `POST /create-test-user/{kind}` with `body`; answers the whole answer.
    pub async fn test_user(
        &self,
        kind: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let exchange = self
            .http
            .send(
                Request::new("POST", format!("/create-test-user/{kind}"))
                    .header("Accept", "application/json")
                    .json(body),
            )
            .await?;
        ensure!(
            exchange.status() == 201,
            "creating a test user of {kind} with {body}: {}",
            exchange.summary()
        );
        exchange
            .json()
            .ok_or_else(|| anyhow!("a test user that is not JSON: {}", exchange.summary()))
    }

    /// A client of `service` (an internal service id), signed up to it (for MTD-IT, with an MTDITID).
    pub async fn service_client(&self, service: &'static str) -> Result<ServiceClient> {
        let kind = ServiceKind::of(service)?;
        let answer = self
            .test_user(kind.user, &json!({ "serviceNames": kind.services }))
            .await?;
        Ok(ServiceClient {
            service,
            client_type: kind.client_type,
            client_id_type: kind.id_type,
            client_id: field(&answer, kind.id_field)?,
            enrolment: kind.enrolment,
            enrolment_id: field(&answer, kind.enrolment_field)?,
            token: field(&answer, "accessToken")?,
            answer,
        })
    }

    /// An "alternative ITSA" client (a NINO, no MTDITID yet) invited for `service` (HMRC-MTD-IT or
    /// HMRC-MTD-IT-SUPP); it names itself by NINO (`NI`).
    pub async fn alt_itsa_service_client(&self, service: &'static str) -> Result<ServiceClient> {
        let answer = self
            .test_user(
                "individuals",
                &json!({"serviceNames": ["national-insurance"]}),
            )
            .await?;
        ensure!(
            answer.get("mtdItId").is_none(),
            "an alternative ITSA client has no mtdItId: {answer}"
        );
        let nino = field(&answer, "nino")?;
        Ok(ServiceClient {
            service,
            client_type: "personal",
            client_id_type: "ni",
            client_id: nino.clone(),
            enrolment: "NI",
            enrolment_id: nino,
            token: field(&answer, "accessToken")?,
            answer,
        })
    }

    pub fn http(&self) -> &Http {
        &self.http
    }
}

/// An HTTP client that sends `token` as its bearer token.
fn authorised_client(token: &str) -> Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse()?,
    );
    Ok(reqwest::Client::builder()
        .no_proxy()
        .default_headers(headers)
        .build()?)
}

/// A sandbox client of one service: how the agent names it, and how it names itself.
#[derive(Debug, Clone)]
pub struct ServiceClient {
    /// The internal service id the agent invites it for.
    pub service: &'static str,
    pub client_type: &'static str,
    /// How the agent names the client (`clientIdType`, `clientId`).
    pub client_id_type: &'static str,
    pub client_id: String,
    /// The client's enrolment identifier for the service: the `{service}` and `{clientId}` of its own calls.
    pub enrolment: &'static str,
    pub enrolment_id: String,
    pub token: String,
    /// The whole Create Test User answer.
    pub answer: serde_json::Value,
}

impl ServiceClient {
    /// The backend's create body: service, clientType, clientIdType, clientId.
    pub fn create_body(&self) -> serde_json::Value {
        json!({
            "service": self.service,
            "clientType": self.client_type,
            "clientIdType": self.client_id_type,
            "clientId": self.client_id,
        })
    }

    /// The same client, invited for another service it can have (HMRC-MTD-IT and HMRC-MTD-IT-SUPP).
    pub fn for_service(&self, service: &'static str) -> ServiceClient {
        ServiceClient {
            service,
            ..self.clone()
        }
    }

    /// The agent's relationship path for this client and service.
    pub fn relationship_path(&self, arn: &str) -> String {
        relationship_path(arn, self.service, self.client_id_type, &self.client_id)
    }

    /// The client's received invitations.
    pub fn received_path(&self) -> String {
        received_path(self.enrolment, &self.enrolment_id)
    }

    pub fn received_invitation_path(&self, id: &str) -> String {
        format!("{}/{id}", self.received_path())
    }

    /// What an invitation for this client stores as `(clientIdType, clientId)`: the MTDITID for MTD-IT when the
    /// client has one, otherwise what the agent gave.
    pub fn stored_client_id(&self) -> (&'static str, String) {
        if self.enrolment == "MTDITID" {
            ("MTDITID", self.enrolment_id.clone())
        } else {
            (self.client_id_type, self.client_id.clone())
        }
    }
}

/// How the sandbox makes a client of one service, and where its answer names the client.
struct ServiceKind {
    /// The Create Test User kind: `individuals` or `organisations`.
    user: &'static str,
    services: &'static [&'static str],
    client_type: &'static str,
    id_type: &'static str,
    id_field: &'static str,
    enrolment: &'static str,
    enrolment_field: &'static str,
}

impl ServiceKind {
    fn of(service: &str) -> Result<Self> {
        let kind =
            |user, services, client_type, id_type, id_field, enrolment, enrolment_field| Self {
                user,
                services,
                client_type,
                id_type,
                id_field,
                enrolment,
                enrolment_field,
            };
        Ok(match service {
            "HMRC-MTD-IT" | "HMRC-MTD-IT-SUPP" => kind(
                "individuals",
                &["national-insurance", "mtd-income-tax"],
                "personal",
                "ni",
                "nino",
                "MTDITID",
                "mtdItId",
            ),
            "PERSONAL-INCOME-RECORD" => kind(
                "individuals",
                &["national-insurance"],
                "personal",
                "ni",
                "nino",
                "NI",
                "nino",
            ),
            "HMRC-MTD-VAT" => kind(
                "organisations",
                &["mtd-vat"],
                "business",
                "vrn",
                "vrn",
                "VRN",
                "vrn",
            ),
            "HMRC-CGT-PD" => kind(
                "individuals",
                &["capital-gains-tax"],
                "personal",
                "CGTPDRef",
                "cgtPdRef",
                "CGTPDRef",
                "cgtPdRef",
            ),
            "HMRC-TERS-ORG" => kind(
                "organisations",
                &["trusts"],
                "trust",
                "utr",
                "saUtr",
                "SAUTR",
                "saUtr",
            ),
            "HMRC-TERSNT-ORG" => kind(
                "organisations",
                &["non-taxable-trusts"],
                "trust",
                "urn",
                "urn",
                "URN",
                "urn",
            ),
            "HMRC-PPT-ORG" => kind(
                "organisations",
                &["plastic-packaging-tax"],
                "business",
                "EtmpRegistrationNumber",
                "pptReference",
                "EtmpRegistrationNumber",
                "pptReference",
            ),
            other => bail!("unknown service {other}"),
        })
    }
}

fn field(answer: &serde_json::Value, name: &str) -> Result<String> {
    answer[name]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("the test user has no {name}: {answer}"))
}
