//! Shared helpers of the integration tests: a server on its own migrated database with a manual clock, sandbox
//! users, request builders, request bodies, and assertions against the contracts' documented examples.

pub mod backend;
pub mod contract;
pub mod db;
pub mod raw;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use agent_auth_server::domain::clock::{Clock, ManualClock};
use agent_auth_server::domain::invitation_id::InvitationId;
use agent_auth_server::server::{self, RunningServer, Settings};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, LOCATION};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

pub use conformance::sandbox::{Agent, Individual, Organisation};
pub use db::TestDatabase;

use conformance::http::Http;
use conformance::sandbox::Sandbox;

/// The media type of the Agent Authorisation API v2.0.
pub const V2_ACCEPT: &str = "application/vnd.hmrc.2.0+json";

/// The media type of the Agent Authorisation API v1.0.
pub const V1_ACCEPT: &str = "application/vnd.hmrc.1.0+json";

/// The alphabet of invitation ids and client action link uids (docs/domain.md §5).
pub const ID_ALPHABET: &str = "ABCDEFGHJKLMNOPRSTUWXYZ123456789";

/// A NINO and a VRN that are well formed but that no test user has (the sandbox never generates these).
pub const UNREGISTERED_NINO: &str = "ZY999999D";
pub const UNREGISTERED_VRN: &str = "999999999";

/// The instant every test server's clock starts at.
pub fn start_instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
}

/// A server (or several, on one database) with a manual clock.
pub struct TestApp {
    // Declared before `db`: servers are dropped before their database is.
    servers: Vec<RunningServer>,
    pub base_url: String,
    pub clock: Arc<ManualClock>,
    pub client: reqwest::Client,
    configure: fn(&mut Settings),
    hmrc_staff: tokio::sync::OnceCell<String>,
    pub db: TestDatabase,
}

impl TestApp {
    /// A server with the default settings on a fresh database.
    pub async fn start() -> TestApp {
        Self::start_with(|_| {}).await
    }

    /// A server whose settings `configure` adjusts, on a fresh database.
    pub async fn start_with(configure: fn(&mut Settings)) -> TestApp {
        Self::start_reaching(configure, |url| url.to_owned()).await
    }

    /// A server on a fresh database that it reaches at the URL `reach` makes of the database's (through a proxy
    /// the test controls, say).
    pub async fn start_reaching(
        configure: fn(&mut Settings),
        reach: impl FnOnce(&str) -> String,
    ) -> TestApp {
        let db = TestDatabase::create().await;
        let clock = Arc::new(ManualClock::new(start_instant()));
        let server = start_server(&reach(&db.url), &clock, configure).await;
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a reqwest client");
        TestApp {
            base_url: server.base_url().trim_end_matches('/').to_string(),
            servers: vec![server],
            clock,
            client,
            configure,
            hmrc_staff: tokio::sync::OnceCell::new(),
            db,
        }
    }

    /// Starts one more server (its own pool) on the same database and clock; returns its base URL.
    pub async fn start_another_server(&mut self) -> String {
        let server = start_server(&self.db.url, &self.clock, self.configure).await;
        let url = server.base_url().trim_end_matches('/').to_string();
        self.servers.push(server);
        url
    }

    /// The first server's address, for raw requests.
    pub fn addr(&self) -> SocketAddr {
        self.servers[0].local_addr()
    }

    /// Statements the first server has sent to the database so far: each is one round trip.
    pub fn database_statements(&self) -> u64 {
        self.servers[0].database_statements()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request with no `Accept` or `Authorization` header of ours (reqwest still adds `Accept: */*`).
    pub fn bare(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A v2 request: `Accept: application/vnd.hmrc.2.0+json` and `Authorization: Bearer {token}`.
    pub fn v2(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.bare(method, path)
            .header(ACCEPT, V2_ACCEPT)
            .header(AUTHORIZATION, format!("Bearer {token}"))
    }

    /// A v1 request: `Accept: application/vnd.hmrc.1.0+json` and `Authorization: Bearer {token}`.
    pub fn v1(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.bare(method, path)
            .header(ACCEPT, V1_ACCEPT)
            .header(AUTHORIZATION, format!("Bearer {token}"))
    }

    // ---- the sandbox (through the harness's client: one sandbox client in the repository) ----

    pub fn sandbox(&self) -> Sandbox {
        Sandbox::new(&Http::new(&self.base_url).expect("an HTTP client"))
    }

    /// A subscribed agent (`agent-services`).
    pub async fn create_agent(&self) -> Agent {
        self.sandbox().agent().await.expect("a test agent")
    }

    /// An agent without an agent services account. Its `arn` is a valid ARN that is not its own.
    pub async fn create_unsubscribed_agent(&self) -> Agent {
        self.sandbox()
            .unsubscribed_agent("TARN0000001")
            .await
            .expect("an unsubscribed test agent")
    }

    /// An individual signed up to MTD Income Tax (NINO, MTDITID, postcode).
    pub async fn create_itsa_client(&self) -> Individual {
        self.sandbox()
            .itsa_client()
            .await
            .expect("an MTD IT client")
    }

    /// An "alternative ITSA" individual: a NINO but no MTDITID.
    pub async fn create_alt_itsa_client(&self) -> Individual {
        self.sandbox()
            .alt_itsa_client()
            .await
            .expect("an alternative ITSA client")
    }

    /// An organisation signed up to MTD VAT (VRN, VAT registration date).
    pub async fn create_vat_client(&self) -> Organisation {
        self.sandbox()
            .vat_client(false)
            .await
            .expect("a VAT client")
    }

    /// An insolvent VAT customer.
    pub async fn create_insolvent_vat_client(&self) -> Organisation {
        self.sandbox()
            .vat_client(true)
            .await
            .expect("an insolvent VAT client")
    }

    /// An HMRC staff user's bearer token, made the first time it is needed: test support answers for HMRC staff
    /// whoever made the request (the tests of test support itself use the agent's and the client's tokens).
    pub async fn hmrc_staff_token(&self) -> String {
        self.hmrc_staff
            .get_or_init(|| async {
                self.sandbox()
                    .hmrc_staff_token()
                    .await
                    .expect("an HMRC staff user")
            })
            .await
            .clone()
    }

    /// A test-support call, as HMRC staff.
    async fn support(&self, method: Method, path: &str) -> Response {
        let token = self.hmrc_staff_token().await;
        self.bare(method, path)
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// PUT /agent-authorisation-test-support/invitations/{id}: the client accepts.
    pub async fn accept(&self, id: &str) -> Response {
        let path = format!("/agent-authorisation-test-support/invitations/{id}");
        self.support(Method::PUT, &path).await
    }

    /// DELETE /agent-authorisation-test-support/invitations/{id}: the client rejects.
    pub async fn reject(&self, id: &str) -> Response {
        let path = format!("/agent-authorisation-test-support/invitations/{id}");
        self.support(Method::DELETE, &path).await
    }

    /// PUT /agent-authorisation-test-support/invitations/{id}/expire: the request expires now.
    pub async fn expire(&self, id: &str) -> Response {
        let path = format!("/agent-authorisation-test-support/invitations/{id}/expire");
        self.support(Method::PUT, &path).await
    }

    /// PUT /agent-authorisation-test-support/individuals/{nino}/mtd-income-tax: the individual signs up to MTD
    /// Income Tax.
    pub async fn sign_up_mtd_income_tax(&self, nino: &str) -> Response {
        let path = format!("/agent-authorisation-test-support/individuals/{nino}/mtd-income-tax");
        self.support(Method::PUT, &path).await
    }

    /// Accepts and asserts the 204.
    pub async fn accept_ok(&self, id: &str) {
        assert_no_content(self.accept(id).await).await;
    }

    // ---- the Agent Authorisation API v2.0 ----

    pub async fn create_invitation(&self, agent: &Agent, body: &Value) -> Response {
        self.v2(Method::POST, &invitations_path(&agent.arn), &agent.token)
            .json(body)
            .send()
            .await
            .expect("create invitation")
    }

    /// Creates an invitation, asserts 204 and a well-formed Location, and returns the invitation id.
    pub async fn create_invitation_ok(&self, agent: &Agent, body: &Value) -> String {
        let response = self.create_invitation(agent, body).await;
        let headers = assert_no_content(response).await;
        let location = location(&headers);
        let id = location
            .rsplit('/')
            .next()
            .expect("a Location with an id")
            .to_string();
        assert_eq!(
            location,
            invitation_path(&agent.arn, &id),
            "Location of a created invitation"
        );
        assert!(
            InvitationId::parse(&id).is_some(),
            "not a valid invitation id: {id}"
        );
        id
    }

    pub async fn get_invitation(&self, agent: &Agent, id: &str) -> Response {
        self.v2(Method::GET, &invitation_path(&agent.arn, id), &agent.token)
            .send()
            .await
            .expect("get invitation")
    }

    /// GETs an invitation, asserts 200, and returns its body.
    pub async fn invitation(&self, agent: &Agent, id: &str) -> Value {
        let response = self.get_invitation(agent, id).await;
        assert_json(response, StatusCode::OK).await
    }

    /// The status of an invitation as GET reads it.
    pub async fn invitation_status(&self, agent: &Agent, id: &str) -> String {
        string_field(&self.invitation(agent, id).await, "status")
    }

    pub async fn list_invitations(&self, agent: &Agent) -> Response {
        self.v2(Method::GET, &invitations_path(&agent.arn), &agent.token)
            .send()
            .await
            .expect("list invitations")
    }

    /// Lists invitations, asserting 200, and returns the array.
    pub async fn invitation_list(&self, agent: &Agent) -> Vec<Value> {
        let body = assert_json(self.list_invitations(agent).await, StatusCode::OK).await;
        body.as_array()
            .unwrap_or_else(|| panic!("the list is not an array: {body}"))
            .clone()
    }

    pub async fn cancel_invitation(&self, agent: &Agent, id: &str) -> Response {
        self.v2(
            Method::DELETE,
            &invitation_path(&agent.arn, id),
            &agent.token,
        )
        .send()
        .await
        .expect("cancel invitation")
    }

    pub async fn check_relationship(&self, agent: &Agent, body: &Value) -> Response {
        self.v2(
            Method::POST,
            &format!("/agents/{}/relationships", agent.arn),
            &agent.token,
        )
        .json(body)
        .send()
        .await
        .expect("check relationship")
    }

    pub async fn deauthorise(&self, agent: &Agent, body: &Value) -> Response {
        self.v2(
            Method::PUT,
            &format!("/agents/{}/deauthorise-client", agent.arn),
            &agent.token,
        )
        .json(body)
        .send()
        .await
        .expect("deauthorise")
    }
}

async fn start_server(
    database_url: &str,
    clock: &Arc<ManualClock>,
    configure: fn(&mut Settings),
) -> RunningServer {
    let mut settings = Settings::new(database_url);
    settings.bind_address = "127.0.0.1:0".parse().unwrap();
    settings.expiry_sweep_interval = None;
    configure(&mut settings);
    let clock: Arc<dyn Clock> = clock.clone();
    server::start(settings, clock)
        .await
        .unwrap_or_else(|e| panic!("the server did not start: {e:#}"))
}

// ---- paths and bodies ----

pub use conformance::paths::{invitation_path, invitations_path};

/// A create body for MTD-IT, main agent (no agentType: main is the default).
pub fn itsa_main(client: &Individual) -> Value {
    json!({
        "service": ["MTD-IT"],
        "clientType": "personal",
        "clientIdType": "ni",
        "clientId": client.nino,
        "knownFact": client.postcode,
    })
}

/// A create body for MTD-IT, supporting agent.
pub fn itsa_supporting(client: &Individual) -> Value {
    with(itsa_main(client), "agentType", json!("supporting"))
}

/// A create body for MTD-VAT (clientType business).
pub fn vat(client: &Organisation) -> Value {
    json!({
        "service": ["MTD-VAT"],
        "clientType": "business",
        "clientIdType": "vrn",
        "clientId": client.vrn,
        "knownFact": client.vat_registration_date,
    })
}

/// The check-relationship body matching a create body (no clientType).
pub fn check_body(create_body: &Value) -> Value {
    without(create_body.clone(), "clientType")
}

/// The deauthorise body matching a create body (no knownFact).
pub fn deauth_body(create_body: &Value) -> Value {
    without(create_body.clone(), "knownFact")
}

/// `value` with `key` set.
pub fn with(mut value: Value, key: &str, field: Value) -> Value {
    value
        .as_object_mut()
        .expect("a JSON object")
        .insert(key.to_string(), field);
    value
}

/// `value` without `key`.
pub fn without(mut value: Value, key: &str) -> Value {
    value.as_object_mut().expect("a JSON object").remove(key);
    value
}

/// A valid postcode other than `postcode`.
pub fn other_postcode(postcode: &str) -> &'static str {
    let normal = |p: &str| p.replace(' ', "").to_uppercase();
    ["SW1A 1AA", "EH1 1YZ"]
        .into_iter()
        .find(|candidate| normal(candidate) != normal(postcode))
        .unwrap()
}

/// The day after `date` (yyyy-MM-dd).
pub fn day_after(date: &str) -> String {
    let date =
        NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap_or_else(|e| panic!("{date:?}: {e}"));
    (date + Duration::days(1)).format("%Y-%m-%d").to_string()
}

/// A well-formed invitation id (valid check characters) that no test created.
pub fn unknown_invitation_id() -> String {
    InvitationId::generate('A', "TARN0000001", "AB123456C", "HMRC-MTD-IT", Utc::now()).to_string()
}

/// `id` with its last (check) character changed: 13 alphabet characters whose check fails.
pub fn with_wrong_check(id: &str) -> String {
    let (head, last) = id.split_at(id.len() - 1);
    let replacement = if last == "A" { "B" } else { "A" };
    let wrong = format!("{head}{replacement}");
    assert!(
        InvitationId::parse(&wrong).is_none(),
        "{wrong} still passes its check"
    );
    wrong
}

/// The agency name as it appears in a client action link (docs/domain.md §8): lower case, whitespace runs to '-', other
/// characters outside `[a-z0-9-]` dropped.
pub fn normalised_agency_name(name: &str) -> String {
    let lower = name.to_lowercase();
    let mut out = String::new();
    let mut chars = lower.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            out.push('-');
        } else if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
            out.push(c);
        }
    }
    out
}

// ---- reading answers ----

pub fn string_field(body: &Value, field: &str) -> String {
    body[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string {field:?} in {body}"))
        .to_string()
}

pub fn location(headers: &HeaderMap) -> String {
    headers
        .get(LOCATION)
        .unwrap_or_else(|| panic!("no Location header in {headers:?}"))
        .to_str()
        .expect("an ASCII Location")
        .to_string()
}

/// The invitation id at the end of a Location.
pub fn id_from_location(headers: &HeaderMap) -> String {
    location(headers).rsplit('/').next().unwrap().to_string()
}

fn describe(response: &Response) -> String {
    format!("{} {}", response.status(), response.url().path())
}

/// Asserts the exact status and the exact body `{code, message}` of the contract's example `example` of
/// `operation` (e.g. `("create_invitation", "SERVICE_NOT_SUPPORTED")`); returns the headers.
pub async fn assert_error(response: Response, operation: &str, example: &str) -> HeaderMap {
    let (status, expected) = contract::error(operation, example);
    let what = describe(&response);
    let headers = response.headers().clone();
    let actual_status = response.status();
    let text = response.text().await.unwrap_or_default();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
    assert_eq!(
        (actual_status, &body),
        (status, &expected),
        "{operation}/{example}: expected {status} {expected}, got {what} {text}"
    );
    headers
}

/// Asserts the exact status and returns the headers and the body text.
pub async fn assert_status(response: Response, status: StatusCode) -> (HeaderMap, String) {
    let what = describe(&response);
    let headers = response.headers().clone();
    let actual = response.status();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(actual, status, "expected {status}, got {what}: {text}");
    (headers, text)
}

/// Asserts 204 with an empty body; returns the headers.
pub async fn assert_no_content(response: Response) -> HeaderMap {
    let (headers, text) = assert_status(response, StatusCode::NO_CONTENT).await;
    assert!(text.is_empty(), "a 204 with a body: {text}");
    headers
}

/// Asserts the status and a JSON body; returns it.
pub async fn assert_json(response: Response, status: StatusCode) -> Value {
    let (_, text) = assert_status(response, status).await;
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts an RFC 3339 UTC time with exactly three fraction digits (`2019-01-21T14:27:44.620Z`) and returns it.
pub fn assert_timestamp(value: &Value, field: &str) -> DateTime<Utc> {
    let text = value[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string {field:?} in {value}"));
    let parsed = DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{field} {text:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc);
    assert_eq!(
        parsed.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        text,
        "{field} is not UTC with milliseconds"
    );
    parsed
}

/// The keys of a JSON object.
pub fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not a JSON object: {value}"))
        .keys()
        .cloned()
        .collect()
}

pub fn key_set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// What a Pending invitation must look like (docs/domain.md §8) for this agent, id, service and agent type (MTD-IT
/// only). Returns the client action link.
pub fn assert_pending(
    app: &TestApp,
    body: &Value,
    agent: &Agent,
    id: &str,
    service: &str,
    agent_type: Option<&str>,
) -> String {
    let mut expected_keys = vec![
        "_links",
        "invitationId",
        "created",
        "expiresOn",
        "arn",
        "service",
        "status",
        "clientActionUrl",
    ];
    if agent_type.is_some() {
        expected_keys.push("agentType");
    }
    assert_eq!(
        keys(body),
        key_set(&expected_keys),
        "keys of a Pending invitation: {body}"
    );
    assert_eq!(
        body["_links"],
        json!({"self": {"href": invitation_path(&agent.arn, id)}})
    );
    assert_eq!(body["invitationId"], id);
    assert_eq!(body["arn"], agent.arn.as_str());
    assert_eq!(body["service"], json!([service]));
    assert_eq!(body["status"], "Pending");
    if let Some(agent_type) = agent_type {
        assert_eq!(body["agentType"], agent_type);
    }
    let created = assert_timestamp(body, "created");
    let expires = assert_timestamp(body, "expiresOn");
    let expected_expiry = (created.date_naive() + Duration::days(21))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    assert_eq!(
        expires, expected_expiry,
        "expiresOn is midnight UTC starting created date + 21 days"
    );

    let link = string_field(body, "clientActionUrl");
    let prefix = format!(
        "{}/appoint-someone-to-deal-with-HMRC-for-you/",
        app.base_url
    );
    let rest = link
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("clientActionUrl {link} does not start with {prefix}"));
    let parts: Vec<&str> = rest.split('/').collect();
    assert_eq!(parts.len(), 3, "clientActionUrl {link}");
    assert_eq!(parts[0].len(), 8, "uid of {link}");
    assert!(
        parts[0].chars().all(|c| ID_ALPHABET.contains(c)),
        "uid of {link}"
    );
    assert_eq!(
        parts[1],
        normalised_agency_name(&agent.agency_name),
        "agency name in {link}"
    );
    let suffix = if service == "MTD-VAT" {
        "vat"
    } else {
        "income-tax"
    };
    assert_eq!(parts[2], suffix, "service in {link}");
    link
}

/// What an invitation that is not Pending must look like (docs/domain.md §8): `updated`, no expiry, no link.
pub fn assert_not_pending(
    body: &Value,
    agent: &Agent,
    id: &str,
    service: &str,
    agent_type: Option<&str>,
    status: &str,
) {
    let mut expected_keys = vec![
        "_links",
        "invitationId",
        "created",
        "updated",
        "arn",
        "service",
        "status",
    ];
    if agent_type.is_some() {
        expected_keys.push("agentType");
    }
    assert_eq!(
        keys(body),
        key_set(&expected_keys),
        "keys of a {status} invitation: {body}"
    );
    assert_eq!(
        body["_links"],
        json!({"self": {"href": invitation_path(&agent.arn, id)}})
    );
    assert_eq!(body["invitationId"], id);
    assert_eq!(body["arn"], agent.arn.as_str());
    assert_eq!(body["service"], json!([service]));
    assert_eq!(body["status"], status, "{body}");
    if let Some(agent_type) = agent_type {
        assert_eq!(body["agentType"], agent_type);
    }
    let created = assert_timestamp(body, "created");
    let updated = assert_timestamp(body, "updated");
    assert!(
        updated >= created,
        "updated {updated} before created {created}"
    );
}

/// [`assert_error`] for a raw response.
pub fn assert_raw_error(response: &raw::RawResponse, operation: &str, example: &str) {
    let (status, expected) = contract::error(operation, example);
    assert_eq!(
        (response.status, response.json()),
        (status.as_u16(), Some(expected.clone())),
        "{operation}/{example}: expected {status} {expected}, got {} {}",
        response.status,
        response.body_text()
    );
}
