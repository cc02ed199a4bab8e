//! What the load benchmark asks of the server: its agents and clients, the four operations as HTTP requests, and
//! the clients that send them.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::sql::Sql;
use crate::sandbox::{self, field};

pub const V2: &str = "application/vnd.hmrc.2.0+json";
/// Every benchmark client's VAT registration date, its known fact.
const REGISTRATION_DATE: &str = "2019-05-04";
/// The first VRN of the clients creates name; client `n` of that pool is `CREATE_VRNS + n`.
pub const CREATE_VRNS: u64 = 100_000_000;
/// How many clients creates can name: more than any run makes, as each create names a new one.
pub const CREATE_POOL: u64 = 200_000;
/// The clients the reading agent has asked, and the one it acts for (checked).
const READ_VRNS: u64 = 900_000_000;
const READ_INVITATIONS: u64 = 10;

/// An operation of the Agent Authorisation API 2.0 the benchmark drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create,
    Read,
    List,
    Check,
}

impl Operation {
    pub const ALL: [Operation; 4] = [
        Operation::Create,
        Operation::Read,
        Operation::List,
        Operation::Check,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::List => "list",
            Operation::Check => "check",
        }
    }

    pub fn expected_status(self) -> u16 {
        match self {
            Operation::Create | Operation::Check => 204,
            Operation::Read | Operation::List => 200,
        }
    }
}

/// One HTTP request: a POST when it has a body.
pub struct Request {
    pub path: String,
    pub body: Option<String>,
    pub token: String,
}

/// The agents and clients the benchmark works with.
#[derive(Clone)]
pub struct Fixture {
    base_url: String,
    /// The agent that creates (its requests are deleted after each run that made them).
    pub creating_arn: String,
    creating_token: String,
    /// The agent whose requests are read and listed, and whose relationship is checked.
    reading_arn: String,
    reading_token: String,
    /// `/agents/{arn}/invitations/{id}` of one of the reading agent's requests.
    invitation_path: String,
}

impl Fixture {
    /// Two agents through the Create Test User API, the VAT clients in bulk, the reading agent's requests through
    /// the API and its relationship with the first of its clients.
    pub fn seed(base_url: &str, sql: &Sql) -> Result<Fixture> {
        let http = sandbox::http_client(Duration::from_secs(30));
        let creating = sandbox::create_test_agent(&http, base_url)?;
        let reading = sandbox::create_test_agent(&http, base_url)?;
        insert_vat_clients(sql, CREATE_VRNS, CREATE_POOL)?;
        insert_vat_clients(sql, READ_VRNS, READ_INVITATIONS)?;
        let mut fixture = Fixture {
            base_url: base_url.to_owned(),
            creating_arn: field(&creating, "/agentServicesAccountNumber")?,
            creating_token: field(&creating, "/accessToken")?,
            reading_arn: field(&reading, "/agentServicesAccountNumber")?,
            reading_token: field(&reading, "/accessToken")?,
            invitation_path: String::new(),
        };
        for n in 0..READ_INVITATIONS {
            let request = create(&fixture.reading_arn, &fixture.reading_token, READ_VRNS + n);
            let answer = send(&http, &fixture.base_url, &request, Operation::Create)?;
            if n == 0 {
                fixture.invitation_path = answer.context("a create answered no Location")?;
            }
        }
        sql.execute(
            "INSERT INTO relationships (arn, service, client_id, partial, started_at) \
             VALUES ($1, 'HMRC-MTD-VAT', $2, false, now())",
            &[fixture.reading_arn.as_str(), &READ_VRNS.to_string()],
        )?;
        Ok(fixture)
    }

    /// The request `operation` sends as the `n`th of a run; for a create, `n` picks the client from the pool.
    pub fn request(&self, operation: Operation, n: u64) -> Result<Request> {
        if operation == Operation::Create && n >= CREATE_POOL {
            bail!("creates ran out of clients: raise CREATE_POOL");
        }
        let (arn, token) = (&self.reading_arn, &self.reading_token);
        Ok(match operation {
            Operation::Create => create(&self.creating_arn, &self.creating_token, CREATE_VRNS + n),
            Operation::Read => get(self.invitation_path.clone(), token),
            Operation::List => get(format!("/agents/{arn}/invitations"), token),
            Operation::Check => Request {
                path: format!("/agents/{arn}/relationships"),
                body: Some(
                    json!({"service": ["MTD-VAT"], "clientIdType": "vrn",
                        "clientId": READ_VRNS.to_string(), "knownFact": REGISTRATION_DATE})
                    .to_string(),
                ),
                token: token.clone(),
            },
        })
    }

    /// Sends one request, answering its `Location`.
    pub fn send_one(&self, operation: Operation, n: u64) -> Result<Option<String>> {
        let http = sandbox::http_client(Duration::from_secs(30));
        send(
            &http,
            &self.base_url,
            &self.request(operation, n)?,
            operation,
        )
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

/// `count` VAT clients with the VRNs from `first` on, all registered on [`REGISTRATION_DATE`].
fn insert_vat_clients(sql: &Sql, first: u64, count: u64) -> Result<()> {
    sql.execute(
        "INSERT INTO vat_clients (vrn, name, registration_date, insolvent) \
         SELECT ($1::text::bigint + n)::text, 'Benchmark client ' || n, $2::text::date, false \
         FROM generate_series(0, $3::text::bigint - 1) AS n",
        &[&first.to_string(), REGISTRATION_DATE, &count.to_string()],
    )?;
    Ok(())
}

fn create(arn: &str, token: &str, vrn: u64) -> Request {
    Request {
        path: format!("/agents/{arn}/invitations"),
        body: Some(
            json!({"service": ["MTD-VAT"], "clientType": "business", "clientIdType": "vrn",
                "clientId": vrn.to_string(), "knownFact": REGISTRATION_DATE})
            .to_string(),
        ),
        token: token.to_owned(),
    }
}

fn get(path: String, token: &str) -> Request {
    Request {
        path,
        body: None,
        token: token.to_owned(),
    }
}

/// Sends `request`, which must be answered as `operation` succeeds; answers the `Location` header.
fn send(
    http: &ureq::Agent,
    base_url: &str,
    request: &Request,
    operation: Operation,
) -> Result<Option<String>> {
    let url = format!("{base_url}{}", request.path);
    let auth = format!("Bearer {}", request.token);
    let mut response = match &request.body {
        Some(body) => http
            .post(&url)
            .header("Accept", V2)
            .header("Authorization", &auth)
            .header("Content-Type", "application/json")
            .send(body.as_str()),
        None => http
            .get(&url)
            .header("Accept", V2)
            .header("Authorization", &auth)
            .call(),
    }
    .with_context(|| format!("{} {url}", operation.name()))?;
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.body_mut().read_to_string().unwrap_or_default();
    if response.status().as_u16() != operation.expected_status() {
        bail!(
            "{} {url} answered {}: {body}",
            operation.name(),
            response.status()
        );
    }
    Ok(location)
}
