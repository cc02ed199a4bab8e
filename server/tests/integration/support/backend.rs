//! Helpers of the backend tests (Agent Client Authorisation, `openapi/agent-client-authorisation.yaml`): the
//! backend contract's documented errors, a client of every service, the backend's calls, requests released at
//! once, and a look into the test's own database.

use std::sync::{Arc, OnceLock};

use diesel::sql_types::{BigInt, Bool, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use reqwest::header::{AUTHORIZATION, HeaderMap, LOCATION};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Barrier;

use super::{Agent, TestApp, string_field};

/// The backend contract, the source of truth for its error codes and messages.
const BACKEND_CONTRACT: &str = "agent-client-authorisation.yaml";

/// A list query that filters nothing out (every test invitation is created after 2000): for checks whose subject
/// is not the list itself.
pub const ALL: &str = "?createdOnOrAfter=2000-01-01";

/// Every internal service id (docs/domain.md §3).
pub const SERVICES: [&str; 8] = [
    "HMRC-MTD-IT",
    "HMRC-MTD-IT-SUPP",
    "HMRC-MTD-VAT",
    "PERSONAL-INCOME-RECORD",
    "HMRC-CGT-PD",
    "HMRC-TERS-ORG",
    "HMRC-TERSNT-ORG",
    "HMRC-PPT-ORG",
];

// ---- the contract ----

fn backend_contract() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../openapi")
            .join(BACKEND_CONTRACT);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read the contract {}: {e}", path.display()));
        serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("cannot parse the contract {}: {e}", path.display()))
    })
}

/// One operation of the backend contract.
#[derive(Debug, Clone)]
pub struct BackendOperation {
    pub id: String,
    pub spec: &'static Value,
}

impl BackendOperation {
    /// The documented statuses, e.g. `[201, 400, 401, 403, 500, 501]`.
    pub fn statuses(&self) -> Vec<u16> {
        self.spec["responses"]
            .as_object()
            .map(|rs| rs.keys().filter_map(|k| k.parse().ok()).collect())
            .unwrap_or_default()
    }

    /// Every `(status, example name)` of the operation's error answers.
    pub fn error_examples(&self) -> Vec<(u16, String)> {
        let mut out = Vec::new();
        for (status, response) in self.spec["responses"].as_object().into_iter().flatten() {
            let examples = response
                .pointer("/content/application~1json/examples")
                .and_then(Value::as_object);
            for name in examples.into_iter().flat_map(|e| e.keys()) {
                out.push((status.parse().expect("a numeric status"), name.clone()));
            }
        }
        out
    }
}

/// Every operation of the backend contract, in document order.
pub fn backend_operations() -> Vec<BackendOperation> {
    let paths = backend_contract()["paths"]
        .as_object()
        .expect("the backend contract has paths");
    let mut out = Vec::new();
    for item in paths.values() {
        for method in ["get", "put", "post", "delete", "patch"] {
            if let Some(spec) = item.get(method) {
                out.push(BackendOperation {
                    id: spec["operationId"]
                        .as_str()
                        .expect("an operationId")
                        .to_string(),
                    spec,
                });
            }
        }
    }
    out
}

/// The operation with this `operationId`.
pub fn backend_operation(id: &str) -> BackendOperation {
    backend_operations()
        .into_iter()
        .find(|op| op.id == id)
        .unwrap_or_else(|| panic!("no operation {id:?} in {BACKEND_CONTRACT}"))
}

/// The documented error `example` of backend `operation`: its status and exact `{code, message}`.
pub fn backend_error(operation: &str, example: &str) -> (StatusCode, Value) {
    let op = backend_operation(operation);
    let found: Vec<(u16, Value)> = op.spec["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(status, response)| {
            let value = response
                .pointer("/content/application~1json/examples")?
                .get(example)?["value"]
                .clone();
            Some((status.parse().expect("a numeric status"), value))
        })
        .collect();
    match found.as_slice() {
        [(status, value)] => {
            assert!(
                value["code"].is_string() && value["message"].is_string(),
                "{operation}/{example} is not a {{code, message}} example: {value}"
            );
            (StatusCode::from_u16(*status).unwrap(), value.clone())
        }
        [] => panic!("{BACKEND_CONTRACT} documents no example {example:?} for {operation}"),
        _ => panic!("example {example:?} of {operation} is documented under several statuses"),
    }
}

/// Asserts the exact status and `{code, message}` body of the backend contract's example; returns the headers.
pub async fn assert_backend_error(response: Response, operation: &str, example: &str) -> HeaderMap {
    let (status, expected) = backend_error(operation, example);
    let what = format!("{} {}", response.status(), response.url().path());
    let headers = response.headers().clone();
    let actual = response.status();
    let text = response.text().await.unwrap_or_default();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
    assert_eq!(
        (actual, &body),
        (status, &expected),
        "{operation}/{example}: expected {status} {expected}, got {what} {text}"
    );
    headers
}

/// Whether an answer (status and body text) is the documented example.
pub fn is_backend_error(answer: &Answer, operation: &str, example: &str) -> bool {
    let (status, expected) = backend_error(operation, example);
    answer.status == status && serde_json::from_str::<Value>(&answer.body).ok() == Some(expected)
}

pub use conformance::paths::{
    BACKEND, multi_invitations_path, received_path, relationship_path, segment,
    sent_invitation_path, sent_path,
};
pub use conformance::sandbox::ServiceClient;

/// The first letter of a service's invitation ids (docs/domain.md §3).
pub fn invitation_prefix(service: &str) -> char {
    match service {
        "HMRC-MTD-IT" => 'A',
        "PERSONAL-INCOME-RECORD" => 'B',
        "HMRC-MTD-VAT" => 'C',
        "HMRC-TERS-ORG" => 'D',
        "HMRC-CGT-PD" => 'E',
        "HMRC-TERSNT-ORG" => 'F',
        "HMRC-PPT-ORG" => 'G',
        "HMRC-MTD-IT-SUPP" => 'L',
        other => panic!("unknown service {other}"),
    }
}

/// One answer of a request sent among others.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

/// Sends the requests all at once (released together by a barrier) and returns their answers in order.
pub async fn all_at_once(requests: Vec<RequestBuilder>) -> Vec<Answer> {
    let barrier = Arc::new(Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let response = request.send().await.expect("an answer");
                let location = response
                    .headers()
                    .get(LOCATION)
                    .map(|l| l.to_str().expect("an ASCII Location").to_string());
                Answer {
                    status: response.status(),
                    location,
                    body: response.text().await.unwrap_or_default(),
                }
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("the request task"));
    }
    answers
}

/// An active relationship as the database holds it.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct ActiveRelationship {
    #[diesel(sql_type = Text)]
    pub arn: String,
    #[diesel(sql_type = Text)]
    pub service: String,
    #[diesel(sql_type = Text)]
    pub client_id: String,
    #[diesel(sql_type = Bool)]
    pub partial: bool,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

impl TestApp {
    /// The time on the test servers' clock.
    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        agent_auth_server::domain::clock::Clock::now(&*self.clock)
    }

    // ---- requests ----

    /// A backend request to `base` (a server's base URL), with a bearer token unless `token` is empty.
    pub fn backend_at(
        &self,
        base: &str,
        method: Method,
        path: &str,
        token: &str,
    ) -> RequestBuilder {
        let request = self.client.request(method, format!("{base}{path}"));
        if token.is_empty() {
            request
        } else {
            request.header(AUTHORIZATION, format!("Bearer {token}"))
        }
    }

    /// A backend request to the first server, with a bearer token unless `token` is empty.
    pub fn backend(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.backend_at(&self.base_url, method, path, token)
    }

    async fn send_backend(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.backend(method.clone(), path, token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    // ---- sandbox users of every service ----

    /// A test user of `kind` (`individuals`, `organisations`, `agents`) from a raw Create Test User body.
    pub async fn create_backend_user(&self, kind: &str, body: Value) -> Value {
        self.sandbox()
            .test_user(kind, &body)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"))
    }

    /// A client of `service`, signed up to it (for MTD-IT, with an MTDITID).
    pub async fn backend_client(&self, service: &'static str) -> ServiceClient {
        self.sandbox()
            .service_client(service)
            .await
            .unwrap_or_else(|e| panic!("a client of {service}: {e:#}"))
    }

    /// An "alternative ITSA" client (a NINO, no MTDITID yet) invited for `service` (HMRC-MTD-IT or
    /// HMRC-MTD-IT-SUPP); it names itself by NINO (`NI`).
    pub async fn backend_alt_itsa_client(&self, service: &'static str) -> ServiceClient {
        self.sandbox()
            .alt_itsa_service_client(service)
            .await
            .unwrap_or_else(|e| panic!("an alternative ITSA client: {e:#}"))
    }

    /// A subscribed agent whose token has already expired.
    pub async fn create_agent_with_expired_token(&self) -> Agent {
        self.sandbox()
            .agent_with_token_lifetime(Some(0))
            .await
            .expect("an agent with an expired token")
    }

    // ---- agent invitations ----

    pub async fn sent_create(&self, agent: &Agent, body: &Value) -> Response {
        self.send_backend(
            Method::POST,
            &sent_path(&agent.arn),
            &agent.token,
            Some(body),
        )
        .await
    }

    /// Creates an invitation for the client, asserts 201 with a `Location` naming it and the invitation as the
    /// body, and returns its id.
    pub async fn sent_create_ok(&self, agent: &Agent, client: &ServiceClient) -> String {
        let response = self.sent_create(agent, &client.create_body()).await;
        let (headers, text) = super::assert_status(response, StatusCode::CREATED).await;
        let body: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        let location = super::location(&headers);
        let id = string_field(&body, "invitationId");
        assert_eq!(
            location,
            sent_invitation_path(&agent.arn, &id),
            "Location of {body}"
        );
        assert_eq!(body["_links"]["self"]["href"], location.as_str(), "{body}");
        assert_eq!(body["status"], "Pending", "{body}");
        assert_eq!(body["service"], client.service, "{body}");
        assert!(
            id.starts_with(invitation_prefix(client.service)),
            "{} ids start with {}: {id}",
            client.service,
            invitation_prefix(client.service)
        );
        id
    }

    pub async fn sent_get(&self, agent: &Agent, id: &str) -> Response {
        self.send_backend(
            Method::GET,
            &sent_invitation_path(&agent.arn, id),
            &agent.token,
            None,
        )
        .await
    }

    /// The agent's invitation (asserting 200).
    pub async fn sent_invitation(&self, agent: &Agent, id: &str) -> Value {
        super::assert_json(self.sent_get(agent, id).await, StatusCode::OK).await
    }

    /// The status the agent reads.
    pub async fn sent_status(&self, agent: &Agent, id: &str) -> String {
        string_field(&self.sent_invitation(agent, id).await, "status")
    }

    /// GET the agent's list; `query` is empty or starts with `?`.
    pub async fn sent_list(&self, agent: &Agent, query: &str) -> Response {
        let path = format!("{}{query}", sent_path(&agent.arn));
        self.send_backend(Method::GET, &path, &agent.token, None)
            .await
    }

    /// The agent's list (asserting 200 and an array).
    pub async fn sent_list_ok(&self, agent: &Agent, query: &str) -> Vec<Value> {
        let body = super::assert_json(self.sent_list(agent, query).await, StatusCode::OK).await;
        body.as_array()
            .unwrap_or_else(|| panic!("the list is not an array: {body}"))
            .clone()
    }

    /// The ids of the agent's list, in order.
    pub async fn sent_ids(&self, agent: &Agent, query: &str) -> Vec<String> {
        self.sent_list_ok(agent, query)
            .await
            .iter()
            .map(|i| string_field(i, "invitationId"))
            .collect()
    }

    pub async fn sent_cancel(&self, agent: &Agent, id: &str) -> Response {
        let path = format!("{}/cancel", sent_invitation_path(&agent.arn, id));
        self.send_backend(Method::PUT, &path, &agent.token, None)
            .await
    }

    pub async fn multi_link(&self, agent: &Agent, body: &Value) -> Response {
        self.send_backend(
            Method::POST,
            &multi_invitations_path(&agent.arn),
            &agent.token,
            Some(body),
        )
        .await
    }

    // ---- known facts ----

    pub async fn known_fact_postcode(&self, token: &str, nino: &str, postcode: &str) -> Response {
        let path = format!(
            "{BACKEND}/known-facts/individuals/nino/{}/sa/postcode/{}",
            segment(nino),
            segment(postcode)
        );
        self.send_backend(Method::GET, &path, token, None).await
    }

    pub async fn known_fact_dob(&self, token: &str, nino: &str, dob: &str) -> Response {
        let path = format!(
            "{BACKEND}/known-facts/individuals/nino/{}/dob/{}",
            segment(nino),
            segment(dob)
        );
        self.send_backend(Method::GET, &path, token, None).await
    }

    pub async fn known_fact_vat(&self, token: &str, vrn: &str, date: &str) -> Response {
        let path = format!(
            "{BACKEND}/known-facts/organisations/vat/{}/registration-date/{}",
            segment(vrn),
            segment(date)
        );
        self.send_backend(Method::GET, &path, token, None).await
    }

    // ---- relationships ----

    /// GET the agent's relationship with the client for the client's service.
    pub async fn relationship_check(&self, agent: &Agent, client: &ServiceClient) -> Response {
        self.send_backend(
            Method::GET,
            &client.relationship_path(&agent.arn),
            &agent.token,
            None,
        )
        .await
    }

    /// DELETE the agent's relationship with the client for the client's service.
    pub async fn relationship_end(&self, agent: &Agent, client: &ServiceClient) -> Response {
        self.send_backend(
            Method::DELETE,
            &client.relationship_path(&agent.arn),
            &agent.token,
            None,
        )
        .await
    }

    /// Whether the agent is authorised for the client's service: 204 yes, 404 RELATIONSHIP_NOT_FOUND no.
    pub async fn is_related(&self, agent: &Agent, client: &ServiceClient) -> bool {
        let response = self.relationship_check(agent, client).await;
        if response.status() == StatusCode::NO_CONTENT {
            super::assert_no_content(response).await;
            true
        } else {
            assert_backend_error(
                response,
                "check_agent_relationship",
                "RELATIONSHIP_NOT_FOUND",
            )
            .await;
            false
        }
    }

    // ---- the client's side ----

    /// GET the client's received invitations; `query` is empty or starts with `?`.
    pub async fn received_list(&self, client: &ServiceClient, query: &str) -> Response {
        let path = format!("{}{query}", client.received_path());
        self.send_backend(Method::GET, &path, &client.token, None)
            .await
    }

    pub async fn received_get(&self, client: &ServiceClient, id: &str) -> Response {
        self.send_backend(
            Method::GET,
            &client.received_invitation_path(id),
            &client.token,
            None,
        )
        .await
    }

    pub async fn received_accept(&self, client: &ServiceClient, id: &str) -> Response {
        let path = format!("{}/accept", client.received_invitation_path(id));
        self.send_backend(Method::PUT, &path, &client.token, None)
            .await
    }

    pub async fn received_reject(&self, client: &ServiceClient, id: &str) -> Response {
        let path = format!("{}/reject", client.received_invitation_path(id));
        self.send_backend(Method::PUT, &path, &client.token, None)
            .await
    }

    pub async fn received_deauthorise(&self, client: &ServiceClient, id: &str) -> Response {
        let path = format!("{}/deauthorise", client.received_invitation_path(id));
        self.send_backend(Method::PUT, &path, &client.token, None)
            .await
    }

    /// The client accepts, asserting 204.
    pub async fn received_accept_ok(&self, client: &ServiceClient, id: &str) {
        super::assert_no_content(self.received_accept(client, id).await).await;
    }

    pub async fn client_status(&self, token: &str) -> Response {
        self.send_backend(Method::GET, &format!("{BACKEND}/status"), token, None)
            .await
    }

    // ---- maintenance ----

    /// The alternative ITSA update, as HMRC staff.
    pub async fn alt_itsa_update(&self, service: &str, nino: &str) -> Response {
        let token = self.hmrc_staff_token().await;
        self.alt_itsa_update_as(&token, service, nino).await
    }

    pub async fn alt_itsa_update_as(&self, token: &str, service: &str, nino: &str) -> Response {
        let path = format!("{BACKEND}/alt-itsa/{service}/update/{}", segment(nino));
        self.send_backend(Method::PUT, &path, token, None).await
    }

    /// URN to UTR, as HMRC staff.
    pub async fn replace_urn_with_utr(&self, urn: &str, utr: &str) -> Response {
        let token = self.hmrc_staff_token().await;
        self.replace_urn_with_utr_as(&token, urn, utr).await
    }

    pub async fn replace_urn_with_utr_as(&self, token: &str, urn: &str, utr: &str) -> Response {
        let path = format!(
            "{BACKEND}/invitations/{}/replace/utr/{}",
            segment(urn),
            segment(utr)
        );
        self.send_backend(Method::POST, &path, token, None).await
    }

    // ---- the database ----

    /// A connection to this test's own database.
    pub async fn db_connection(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.db.url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the test database: {e}"))
    }

    /// The active relationships for a service and client id, as stored.
    pub async fn active_relationships(
        &self,
        service: &str,
        client_id: &str,
    ) -> Vec<ActiveRelationship> {
        let mut conn = self.db_connection().await;
        diesel::sql_query(
            "SELECT arn, service, client_id, partial FROM relationships \
             WHERE ended_at IS NULL AND service = $1 AND client_id = $2 ORDER BY arn",
        )
        .bind::<Text, _>(service)
        .bind::<Text, _>(client_id)
        .load(&mut conn)
        .await
        .expect("read the relationships")
    }

    /// How many relationships are active for a service and client id, as stored.
    pub async fn active_relationship_count(&self, service: &str, client_id: &str) -> i64 {
        let mut conn = self.db_connection().await;
        let row: Count = diesel::sql_query(
            "SELECT count(*) AS count FROM relationships WHERE ended_at IS NULL AND service = $1 AND client_id = $2",
        )
        .bind::<Text, _>(service)
        .bind::<Text, _>(client_id)
        .get_result(&mut conn)
        .await
        .expect("count the relationships");
        row.count
    }
}

// ---- what invitations look like ----

/// Asserts the agent's view of an invitation for `client` (SentInvitation): its exact keys for `status`, links,
/// identifiers (the MTDITID for a signed-up MTD-IT client, the NINO kept as supplied), times; returns the client
/// action link of a Pending one.
pub fn assert_sent_invitation(
    app: &TestApp,
    body: &Value,
    agent: &Agent,
    client: &ServiceClient,
    id: &str,
    status: &str,
) -> Option<String> {
    let mut expected = vec![
        "_links",
        "invitationId",
        "arn",
        "clientType",
        "service",
        "clientIdType",
        "clientId",
        "suppliedClientIdType",
        "suppliedClientId",
        "status",
        "created",
        "lastUpdated",
        "expiryDate",
    ];
    match status {
        "Pending" => expected.push("clientActionUrl"),
        "Deauthorised" => expected.push("relationshipEndedBy"),
        _ => {}
    }
    assert_eq!(
        super::keys(body),
        super::key_set(&expected),
        "keys of a {status} invitation: {body}"
    );
    assert_eq!(
        body["_links"],
        json!({"self": {"href": sent_invitation_path(&agent.arn, id)}}),
        "{body}"
    );
    assert_eq!(body["invitationId"], id, "{body}");
    assert_eq!(body["arn"], agent.arn.as_str(), "{body}");
    assert_eq!(body["clientType"], client.client_type, "{body}");
    assert_eq!(body["service"], client.service, "{body}");
    let (id_type, client_id) = client.stored_client_id();
    assert_eq!(body["clientIdType"], id_type, "{body}");
    assert_eq!(body["clientId"], client_id.as_str(), "{body}");
    assert_eq!(
        body["suppliedClientIdType"], client.client_id_type,
        "{body}"
    );
    assert_eq!(
        body["suppliedClientId"],
        client.client_id.as_str(),
        "{body}"
    );
    assert_eq!(body["status"], status, "{body}");
    let created = super::assert_timestamp(body, "created");
    let updated = super::assert_timestamp(body, "lastUpdated");
    assert!(
        updated >= created,
        "lastUpdated {updated} before created {created}: {body}"
    );
    let expiry = chrono::NaiveDate::parse_from_str(&string_field(body, "expiryDate"), "%Y-%m-%d")
        .unwrap_or_else(|e| panic!("expiryDate is not yyyy-MM-dd ({e}): {body}"));
    // (Test support's "expire now" moves the expiry date of an Expired one.)
    if status != "Expired" {
        assert_eq!(
            expiry,
            created.date_naive() + chrono::Duration::days(21),
            "expiryDate is 21 days after the day it was created: {body}"
        );
    }
    (status == "Pending").then(|| {
        let link = string_field(body, "clientActionUrl");
        assert_client_action_link(app, &link, agent);
        link
    })
}

/// Asserts a client action link of the agent (`{base}/appoint-someone-to-deal-with-HMRC-for-you/{uid}/{name}/…`)
/// and returns its uid and normalised agency name.
pub fn assert_client_action_link(app: &TestApp, link: &str, agent: &Agent) -> (String, String) {
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
        parts[0].chars().all(|c| super::ID_ALPHABET.contains(c)),
        "uid of {link}"
    );
    assert_eq!(
        parts[1],
        super::normalised_agency_name(&agent.agency_name),
        "agency name in {link}"
    );
    assert!(!parts[2].is_empty(), "journey of {link}");
    (parts[0].to_string(), parts[1].to_string())
}

/// Asserts the client's view of an invitation (ReceivedInvitation) as seen through `client`'s own path: exact
/// keys for `status`, `accept` and `reject` links only while Pending, the agency's name.
pub fn assert_received_invitation(
    body: &Value,
    agent: &Agent,
    client: &ServiceClient,
    id: &str,
    status: &str,
) {
    let mut expected = vec![
        "_links",
        "invitationId",
        "arn",
        "agencyName",
        "clientType",
        "service",
        "clientIdType",
        "clientId",
        "suppliedClientIdType",
        "suppliedClientId",
        "status",
        "created",
        "lastUpdated",
        "expiryDate",
        "isRelationshipEnded",
        "detailsForEmail",
    ];
    if status == "Deauthorised" {
        expected.push("relationshipEndedBy");
    }
    if status == "Pending" {
        expected.push("clientActionUrl");
    }
    assert_eq!(
        super::keys(body),
        super::key_set(&expected),
        "keys of a received {status} invitation: {body}"
    );
    let href = client.received_invitation_path(id);
    let links = if status == "Pending" {
        json!({
            "self": {"href": href},
            "accept": {"href": format!("{href}/accept")},
            "reject": {"href": format!("{href}/reject")},
        })
    } else {
        json!({"self": {"href": href}})
    };
    assert_eq!(body["_links"], links, "{body}");
    assert_eq!(body["invitationId"], id, "{body}");
    assert_eq!(body["arn"], agent.arn.as_str(), "{body}");
    assert_eq!(body["agencyName"], agent.agency_name.as_str(), "{body}");
    assert_eq!(body["service"], client.service, "{body}");
    let (id_type, client_id) = client.stored_client_id();
    assert_eq!(body["clientIdType"], id_type, "{body}");
    assert_eq!(body["clientId"], client_id.as_str(), "{body}");
    assert_eq!(
        body["suppliedClientIdType"], client.client_id_type,
        "{body}"
    );
    assert_eq!(
        body["suppliedClientId"],
        client.client_id.as_str(),
        "{body}"
    );
    assert_eq!(body["status"], status, "{body}");
    super::assert_timestamp(body, "created");
    super::assert_timestamp(body, "lastUpdated");
    assert_eq!(
        body["isRelationshipEnded"],
        status == "Deauthorised",
        "{body}"
    );
    assert_eq!(
        body["detailsForEmail"],
        json!({
            "agencyEmail": agent.answer["emailAddress"],
            "agencyName": agent.agency_name,
            "clientName": client_name(&client.answer),
        }),
        "{body}"
    );
}

/// The client's name in its Create Test User answer: an organisation's name, else the individual's.
pub fn client_name(answer: &Value) -> String {
    match answer["organisationDetails"]["name"].as_str() {
        Some(name) => name.to_owned(),
        None => format!(
            "{} {}",
            answer["individualDetails"]["firstName"]
                .as_str()
                .unwrap_or_default(),
            answer["individualDetails"]["lastName"]
                .as_str()
                .unwrap_or_default()
        ),
    }
}
