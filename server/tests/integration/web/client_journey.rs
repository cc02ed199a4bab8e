//! The client's pages behind the client action link (docs/domain.md §8, §11), over plain HTTP: the link's validity, the
//! session cookie and security headers, signing in and out, accepting and declining through the forms, and the
//! refusals (forged or sessionless forms, another client's request, requests that are no longer pending).
//!
//! A small [`Browser`] keeps the `client_session` cookie by hand and reads the anti-forgery token out of the
//! page, the way a browser submits the page's own form.

use crate::support::*;
use chrono::Duration;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use serde_json::Value;

/// Wrong passwords in a row that lock a user id (the server's `SIGN_IN_ATTEMPTS`).
const SIGN_IN_ATTEMPTS: usize = 5;

const PREFIX: &str = "/appoint-someone-to-deal-with-HMRC-for-you";
const COOKIE_NAME: &str = "client_session";
/// A session lasts 30 minutes from its start (signed in or not).
const SESSION_SECONDS: i64 = 30 * 60;

// The headings of the pages that refuse.
const SESSION_ENDED: &str = "Your session has ended";
const CLOSED: &str = "This request can no longer be answered";
const NOT_FOR_YOU: &str = "This request is not for you";
const REQUEST_NOT_FOUND: &str = "We could not find this request";
const LINK_NOT_VALID: &str = "This link is not valid";

// ---- a browser, by hand ----

/// One answer of the pages.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

/// The `client_session` cookie a reply sets.
#[derive(Debug)]
struct SetCookie {
    value: String,
    /// The attributes, as `(lower-case name, value)`; flags have an empty value.
    attributes: Vec<(String, String)>,
}

impl SetCookie {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == &name.to_lowercase())
            .map(|(_, v)| v.as_str())
    }

    fn max_age(&self) -> i64 {
        self.attribute("max-age")
            .unwrap_or_else(|| panic!("no Max-Age in {self:?}"))
            .parse()
            .unwrap_or_else(|e| panic!("Max-Age of {self:?}: {e}"))
    }

    /// Asserts a session cookie out of reach of scripts and cross-site posts, limited to the pages' path and
    /// expiring with the session.
    fn assert_session(&self) {
        assert!(!self.value.is_empty(), "{self:?}");
        assert_eq!(self.attribute("httponly"), Some(""), "{self:?}");
        assert_eq!(self.attribute("samesite"), Some("Lax"), "{self:?}");
        assert_eq!(self.attribute("path"), Some(PREFIX), "{self:?}");
        assert!((1..=SESSION_SECONDS).contains(&self.max_age()), "{self:?}");
        // Plain http here: a Secure cookie would never come back.
        assert_eq!(self.attribute("secure"), None, "{self:?}");
    }
}

impl Reply {
    fn describe(&self) -> String {
        format!("{} {}", self.status, self.body)
    }

    fn assert_status(&self, status: StatusCode) -> &Self {
        assert_eq!(self.status, status, "{}", self.describe());
        self
    }

    /// Asserts an HTML page (not JSON, not a redirect) with the status and `<h1>`.
    fn assert_page(&self, status: StatusCode, h1: &str) -> &Self {
        self.assert_status(status);
        assert_eq!(
            self.header(CONTENT_TYPE.as_str()),
            Some("text/html; charset=utf-8"),
            "{}",
            self.describe()
        );
        assert!(
            self.body.trim_start().starts_with("<!DOCTYPE html>"),
            "not an HTML page: {}",
            self.body
        );
        assert_eq!(self.h1(), h1, "the heading of {}", self.body);
        self
    }

    /// Asserts the page refusing a form that no live session's token vouches for.
    fn assert_session_ended(&self) {
        self.assert_page(StatusCode::FORBIDDEN, SESSION_ENDED);
    }

    /// Asserts the sign-in form refused because the user id is locked, saying to try again in `wait`.
    fn assert_locked_for(&self, wait: &str) {
        self.assert_status(StatusCode::TOO_MANY_REQUESTS);
        assert!(
            self.contains(&format!(
                "There have been too many failed sign-ins for this user ID. Try again in {wait}."
            )),
            "{}",
            self.body
        );
        assert!(
            self.shows_sign_in_form() && !self.signed_in(),
            "{}",
            self.body
        );
    }

    /// Asserts the link's page, signed out: the sign-in form and no sight of request `id`.
    fn assert_signed_out(&self, id: &str) {
        self.assert_status(StatusCode::OK);
        assert!(
            !self.signed_in() && self.shows_sign_in_form(),
            "{}",
            self.body
        );
        assert!(self.request_item(id).is_none(), "{}", self.body);
    }

    /// Asserts the reply sets no session cookie (neither a new session nor a cleared one).
    fn assert_no_cookie(&self) {
        assert!(self.set_cookie().is_none(), "{:?}", self.set_cookie());
    }

    /// Asserts a 303 See Other to `path`.
    fn assert_see_other(&self, path: &str) -> &Self {
        self.assert_status(StatusCode::SEE_OTHER);
        assert_eq!(self.header(LOCATION.as_str()), Some(path), "Location");
        self
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().expect("ASCII"))
    }

    fn h1(&self) -> String {
        let h1 = between(&self.body, "<h1>", "</h1>")
            .unwrap_or_else(|| panic!("no <h1> in {}", self.body));
        unescape(h1.trim())
    }

    /// Whether the page's text (references decoded) holds `text`.
    fn contains(&self, text: &str) -> bool {
        unescape(&self.body).contains(text)
    }

    /// The anti-forgery token of the page's forms.
    fn csrf_token(&self) -> String {
        between(&self.body, r#"name="csrf_token" value=""#, "\"")
            .unwrap_or_else(|| panic!("no csrf_token in {}", self.body))
            .to_string()
    }

    fn set_cookie(&self) -> Option<SetCookie> {
        let cookies: Vec<SetCookie> = self
            .headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| parse_set_cookie(v.to_str().expect("ASCII Set-Cookie")))
            .filter(|(name, _)| name == COOKIE_NAME)
            .map(|(_, cookie)| cookie)
            .collect();
        assert!(cookies.len() <= 1, "several session cookies: {cookies:?}");
        cookies.into_iter().next()
    }

    /// The `<li>` of request `id`, if the page lists it.
    fn request_item(&self, id: &str) -> Option<&str> {
        between(
            &self.body,
            &format!(r#"<li class="request" id="request-{id}">"#),
            "</li>",
        )
    }

    fn signed_in(&self) -> bool {
        self.contains("Signed in as")
    }

    fn shows_sign_in_form(&self) -> bool {
        self.contains(r#"name="user_id""#) && self.contains(r#"name="password""#)
    }
}

fn parse_set_cookie(header: &str) -> (String, SetCookie) {
    let mut parts = header.split(';').map(str::trim);
    let (name, value) = parts
        .next()
        .and_then(|pair| pair.split_once('='))
        .unwrap_or_else(|| panic!("Set-Cookie {header:?}"));
    let attributes = parts
        .map(|part| match part.split_once('=') {
            Some((n, v)) => (n.to_lowercase(), v.to_string()),
            None => (part.to_lowercase(), String::new()),
        })
        .collect();
    (
        name.to_string(),
        SetCookie {
            value: value.to_string(),
            attributes,
        },
    )
}

/// The text between the first `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

/// The text of an HTML fragment's character references decoded (agency names such as "Adams & Co Accountants"
/// come back escaped); the markup stays.
fn unescape(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A browser without a cookie jar of reqwest's: it keeps the session cookie itself, does not follow redirects.
struct Browser {
    http: reqwest::Client,
    base_url: String,
    cookie: Option<String>,
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        Browser {
            http: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a reqwest client"),
            base_url: app.base_url.clone(),
            cookie: None,
        }
    }

    /// A new browser holding the session id `cookie`.
    fn holding(app: &TestApp, cookie: String) -> Self {
        let mut browser = Browser::new(app);
        browser.cookie = Some(cookie);
        browser
    }

    fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.base_url)
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Reply {
        let request = match &self.cookie {
            Some(value) => request.header(COOKIE, format!("{COOKIE_NAME}={value}")),
            None => request,
        };
        let response = request.send().await.expect("a page request");
        let reply = Reply {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.expect("a page body"),
        };
        if let Some(cookie) = reply.set_cookie() {
            self.cookie =
                (cookie.max_age() > 0 && !cookie.value.is_empty()).then_some(cookie.value);
        }
        reply
    }

    async fn get(&mut self, path_or_url: &str) -> Reply {
        let request = self.http.get(self.url(path_or_url));
        self.send(request).await
    }

    async fn post(&mut self, path_or_url: &str, form: &[(&str, &str)]) -> Reply {
        let request = self
            .http
            .post(self.url(path_or_url))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).expect("a form"));
        self.send(request).await
    }

    /// Posts the sign-in form of `link` with the token `csrf`.
    async fn post_sign_in(
        &mut self,
        link: &Link,
        csrf: &str,
        user_id: &str,
        password: &str,
    ) -> Reply {
        let form = [
            ("csrf_token", csrf),
            ("user_id", user_id),
            ("password", password),
        ];
        self.post(&link.sign_in(), &form).await
    }

    /// Posts the wrong password `wrong` one time fewer than locks the user id, asserting each is refused.
    async fn fail_sign_ins(&mut self, link: &Link, csrf: &str, user_id: &str, wrong: &str) {
        for _ in 1..SIGN_IN_ATTEMPTS {
            self.post_sign_in(link, csrf, user_id, wrong)
                .await
                .assert_status(StatusCode::BAD_REQUEST);
        }
    }

    /// Opens the link, signs in with the sandbox user's credentials (asserting the 303 back to the link) and
    /// answers the page as it then reads.
    async fn sign_in(&mut self, link: &Link, user: &Value) -> Reply {
        let page = self.get(&link.path).await;
        page.assert_status(StatusCode::OK);
        let (user_id, password) = credentials(user);
        self.post_sign_in(link, &page.csrf_token(), &user_id, &password)
            .await
            .assert_see_other(&link.path);
        let page = self.get(&link.path).await;
        page.assert_status(StatusCode::OK);
        assert!(page.signed_in(), "not signed in: {}", page.body);
        page
    }

    /// Posts the answer form of `link` for request `id`, with the token `csrf`.
    async fn post_answer(&mut self, link: &Link, csrf: &str, id: &str, decision: &str) -> Reply {
        let form = [
            ("csrf_token", csrf),
            ("invitation_id", id),
            ("decision", decision),
        ];
        self.post(&link.answer(), &form).await
    }

    /// Posts the answer form on the scene's link for request `id`, with the token of the page `page`.
    async fn answer_id(&mut self, scene: &Scene, page: &Reply, id: &str, decision: &str) -> Reply {
        self.post_answer(&scene.link, &page.csrf_token(), id, decision)
            .await
    }

    /// Posts the answer form for the scene's request, with the token of the page `page`.
    async fn answer(&mut self, scene: &Scene, page: &Reply, decision: &str) -> Reply {
        self.answer_id(scene, page, &scene.id, decision).await
    }

    /// Answers the scene's request and asserts the 303 to its confirmation.
    async fn answer_ok(&mut self, scene: &Scene, page: &Reply, decision: &str) {
        self.answer(scene, page, decision)
            .await
            .assert_see_other(&scene.confirmation());
    }

    /// Answers the scene's request, no longer pending, and asserts the refusal: a 409 page saying why with
    /// `sentence`.
    async fn answer_closed(
        &mut self,
        scene: &Scene,
        page: &Reply,
        decision: &str,
        sentence: &str,
    ) -> Reply {
        let refused = self.answer(scene, page, decision).await;
        refused.assert_page(StatusCode::CONFLICT, CLOSED);
        assert!(refused.contains(sentence), "{}", refused.body);
        refused
    }

    /// Opens the scene's link again and asserts it lists the request with `status` and no answer form.
    async fn assert_lists_closed(&mut self, scene: &Scene, status: &str) -> Reply {
        let page = self.get(&scene.link.path).await;
        assert_listed_without_answer(&page, &scene.id, status);
        page
    }
}

/// The sign-in user ID and password of a sandbox user.
fn credentials(user: &Value) -> (String, String) {
    (string_field(user, "userId"), string_field(user, "password"))
}

// ---- links and requests ----

/// A client action link, as a path on the server.
#[derive(Debug, Clone)]
struct Link {
    path: String,
}

impl Link {
    fn of(app: &TestApp, client_action_url: &str) -> Link {
        let path = client_action_url
            .strip_prefix(&app.base_url)
            .unwrap_or_else(|| panic!("{client_action_url} is not on {}", app.base_url));
        assert!(path.starts_with(PREFIX), "{path}");
        Link {
            path: path.to_string(),
        }
    }

    fn segments(&self) -> (String, String, String) {
        let rest = self.path.strip_prefix(&format!("{PREFIX}/")).unwrap();
        let parts: Vec<&str> = rest.split('/').collect();
        assert_eq!(parts.len(), 3, "{}", self.path);
        (parts[0].into(), parts[1].into(), parts[2].into())
    }

    fn with(uid: &str, agency_name: &str, journey: &str) -> Link {
        Link {
            path: format!("{PREFIX}/{uid}/{agency_name}/{journey}"),
        }
    }

    fn sign_in(&self) -> String {
        format!("{}/sign-in", self.path)
    }

    fn sign_out(&self) -> String {
        format!("{}/sign-out", self.path)
    }

    fn answer(&self) -> String {
        format!("{}/answer", self.path)
    }

    fn answered(&self, id: &str) -> String {
        format!("{}/answered/{id}", self.path)
    }
}

/// The link of a pending invitation, read from its `clientActionUrl`.
async fn link_of(app: &TestApp, agent: &Agent, id: &str) -> Link {
    let body = app.invitation(agent, id).await;
    Link::of(app, &string_field(&body, "clientActionUrl"))
}

/// An agent, a client, a pending request from one to the other, and its link.
struct Scene {
    agent: Agent,
    /// The client's Create Test User answer, with its credentials.
    user: Value,
    body: Value,
    id: String,
    link: Link,
}

impl Scene {
    /// A new agent's request `body` to the client `user`.
    async fn new(app: &TestApp, user: &Value, body: Value) -> Scene {
        let agent = app.create_agent().await;
        let id = app.create_invitation_ok(&agent, &body).await;
        let link = link_of(app, &agent, &id).await;
        Scene {
            agent,
            user: user.clone(),
            body,
            id,
            link,
        }
    }

    /// The path of the request's confirmation page.
    fn confirmation(&self) -> String {
        self.link.answered(&self.id)
    }

    /// A new browser signed in as the client on the link, and the page it reads.
    async fn signed_in(&self, app: &TestApp) -> (Browser, Reply) {
        let mut browser = Browser::new(app);
        let page = browser.sign_in(&self.link, &self.user).await;
        (browser, page)
    }
}

/// A pending main-agent request to a new MTD-IT client.
async fn itsa_request(app: &TestApp) -> Scene {
    let client = app.create_itsa_client().await;
    Scene::new(app, &client.answer, itsa_main(&client)).await
}

/// Asserts the request reads `status` and the agent's relationship check answers 204, with no body.
async fn assert_authorised(app: &TestApp, scene: &Scene, status: &str) {
    assert_eq!(app.invitation_status(&scene.agent, &scene.id).await, status);
    assert_no_content(
        app.check_relationship(&scene.agent, &check_body(&scene.body))
            .await,
    )
    .await;
}

/// Asserts the request reads `status` and gave the agent no relationship.
async fn assert_not_authorised(app: &TestApp, scene: &Scene, status: &str) {
    assert_eq!(app.invitation_status(&scene.agent, &scene.id).await, status);
    let check = app
        .check_relationship(&scene.agent, &check_body(&scene.body))
        .await;
    assert_eq!(check.status(), StatusCode::NOT_FOUND, "relationship check");
}

/// Asserts the request is still Pending and gave the agent no relationship.
async fn assert_unchanged(app: &TestApp, scene: &Scene) {
    assert_not_authorised(app, scene, "Pending").await;
}

/// A browser holding `cookie` (and the form token it was served with) is not signed in: the page shows the
/// sign-in form, and an answer is refused.
async fn assert_session_is_dead(app: &TestApp, scene: &Scene, cookie: String, csrf: &str) {
    let seen = Browser::holding(app, cookie.clone())
        .get(&scene.link.path)
        .await;
    seen.assert_signed_out(&scene.id);
    Browser::holding(app, cookie)
        .post_answer(&scene.link, csrf, &scene.id, "accept")
        .await
        .assert_session_ended();
}

/// How many sessions the database holds.
async fn session_rows(app: &TestApp) -> i64 {
    use diesel::QueryableByName;
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        rows: i64,
    }
    let mut conn = AsyncPgConnection::establish(&app.db.url)
        .await
        .expect("the test database");
    let count: Count = diesel::sql_query("SELECT count(*) AS rows FROM web_sessions")
        .get_result(&mut conn)
        .await
        .expect("count sessions");
    count.rows
}

/// Asserts the page lists request `id` with `status` and without the Accept and Decline form.
fn assert_listed_without_answer(page: &Reply, id: &str, status: &str) {
    let item = page
        .request_item(id)
        .unwrap_or_else(|| panic!("request {id} is not listed: {}", page.body));
    assert!(unescape(item).contains(status), "status of {id}: {item}");
    assert!(
        !item.contains("<form") && !item.contains(r#"value="accept""#),
        "an answer form on a request that is not pending: {item}"
    );
}

// ---- the link ----

/// A link is only valid when its uid, its agency's normalised name and its journey all match; anything else is a
/// page saying so (never the API's JSON), and a form posted to it is not acted on.
#[tokio::test]
async fn a_link_with_an_unknown_uid_agency_name_or_journey_is_not_valid() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    // Sandbox agency names come from a short list: the other agency must be named differently.
    let mut other_agent = app.create_agent().await;
    while normalised_agency_name(&other_agent.agency_name)
        == normalised_agency_name(&scene.agent.agency_name)
    {
        other_agent = app.create_agent().await;
    }
    let other_id = app.create_invitation_ok(&other_agent, &scene.body).await;
    let other_link = link_of(&app, &other_agent, &other_id).await;
    let (uid, name, journey) = scene.link.segments();
    let (other_uid, other_name, _) = other_link.segments();
    let unknown_uid = if uid == "AAAAAAAA" {
        "BBBBBBBB"
    } else {
        "AAAAAAAA"
    };

    let mut browser = Browser::new(&app);
    browser.get(&scene.link.path).await.assert_page(
        StatusCode::OK,
        &format!(
            "{} wants to deal with HMRC for you",
            scene.agent.agency_name
        ),
    );

    let invalid = [
        Link::with(unknown_uid, &name, &journey),
        Link::with(&uid, &format!("{name}-ltd"), &journey),
        // Each half belongs to a real agency, but not to the same one.
        Link::with(&uid, &other_name, &journey),
        Link::with(&other_uid, &name, &journey),
        Link::with(&uid, &name, "income-taxes"),
        Link::with(&uid, &name, "Income-Tax"),
    ];
    for link in invalid {
        let mut browser = Browser::new(&app);
        let page = browser.get(&link.path).await;
        page.assert_page(StatusCode::NOT_FOUND, LINK_NOT_VALID);
        assert!(
            serde_json::from_str::<Value>(&page.body).is_err(),
            "{}",
            page.body
        );
        // No session is started for a link that leads nowhere.
        page.assert_no_cookie();

        browser
            .post_sign_in(&link, "x", "u", "p")
            .await
            .assert_page(StatusCode::NOT_FOUND, LINK_NOT_VALID);
    }
}

/// Login forgery: a cookie another site plants cannot be paired with a sign-in token, because the token is keyed
/// with the server's secret (an unkeyed derivation of the cookie, which an attacker could compute, is refused).
#[tokio::test]
async fn a_planted_cookie_cannot_be_paired_with_a_sign_in_token() {
    use sha2::{Digest, Sha256};
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let planted = "ab".repeat(32);
    let mut browser = Browser::holding(&app, planted.clone());
    let page = browser.get(&scene.link.path).await;
    let served = page.csrf_token();
    let mut unkeyed = Sha256::new();
    unkeyed.update(b"client pages sign-in form\0");
    unkeyed.update(planted.as_bytes());
    let guessed: String = unkeyed
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_ne!(
        served, guessed,
        "the token is a function of the cookie alone"
    );
    let (user_id, password) = credentials(&scene.user);
    browser
        .post_sign_in(&scene.link, &guessed, &user_id, &password)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    // The token the server served for that cookie still works (it is the server's, not the attacker's).
    browser
        .post_sign_in(&scene.link, &served, &user_id, &password)
        .await
        .assert_see_other(&scene.link.path);
}

/// PostgreSQL cannot store a NUL: one in the link or in a form field is the 400 page, before any query.
#[tokio::test]
async fn a_nul_in_the_link_or_the_sign_in_form_is_the_400_page() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (uid, name, journey) = scene.link.segments();
    for link in [
        Link::with(&format!("{uid}%00"), &name, &journey),
        Link::with(&uid, &format!("{name}%00"), &journey),
    ] {
        Browser::new(&app)
            .get(&link.path)
            .await
            .assert_status(StatusCode::BAD_REQUEST);
    }
    let mut browser = Browser::new(&app);
    let page = browser.get(&scene.link.path).await;
    let (user_id, password) = credentials(&scene.user);
    browser
        .post_sign_in(
            &scene.link,
            &page.csrf_token(),
            &format!("{user_id}\u{0}"),
            &password,
        )
        .await
        .assert_page(
            StatusCode::BAD_REQUEST,
            "Something was missing from the form",
        );
}

/// The session cookie is out of reach of scripts and cross-site posts, limited to the pages' path and expires
/// with the session; every page forbids framing, sniffing, caching and loading anything but its own stylesheet.
#[tokio::test]
async fn pages_set_a_scoped_http_only_session_cookie_and_security_headers() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let mut browser = Browser::new(&app);

    let page = browser.get(&scene.link.path).await;
    page.assert_status(StatusCode::OK);
    page.set_cookie()
        .expect("a session cookie on the first visit")
        .assert_session();

    // The signed-out page is the sign-in form, protected by the session's token.
    assert!(page.shows_sign_in_form(), "{}", page.body);
    assert!(page.contains(&format!(r#"action="{}""#, scene.link.sign_in())));
    let csrf = page.csrf_token();
    assert!(csrf.len() >= 16, "a guessable csrf token {csrf:?}");

    // The next visit keeps the cookie: no new one, the same token.
    let again = browser.get(&scene.link.path).await;
    again.assert_status(StatusCode::OK);
    again.assert_no_cookie();
    assert_eq!(again.csrf_token(), csrf);
    // The token is not the cookie's value: the page never shows what the cookie holds.
    let cookie = browser.cookie.clone().expect("a cookie");
    assert!(!page.contains(&cookie), "{}", page.body);

    // Visiting signed out stores nothing, however many browsers come; signing in stores one session.
    for _ in 0..5 {
        Browser::new(&app)
            .get(&scene.link.path)
            .await
            .assert_status(StatusCode::OK);
    }
    assert_eq!(session_rows(&app).await, 0);
    browser.sign_in(&scene.link, &scene.user).await;
    assert_eq!(session_rows(&app).await, 1);

    let not_found = Browser::new(&app)
        .get(&Link::with("AAAAAAAA", "nobody", "vat").path)
        .await;
    let refused = Browser::new(&app)
        .post(&scene.link.answer(), &[("csrf_token", &csrf)])
        .await;
    refused.assert_status(StatusCode::FORBIDDEN);
    for reply in [&page, &not_found, &refused] {
        let csp = reply
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("no CSP on {}", reply.describe()));
        for directive in [
            "default-src 'none'",
            "style-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{directive} not in {csp}");
        }
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header(CACHE_CONTROL.as_str()), Some("no-store"));
        assert_eq!(
            reply.header(CONTENT_TYPE.as_str()),
            Some("text/html; charset=utf-8")
        );
    }

    // The one resource the CSP allows.
    assert!(page.contains(r#"href="/assets/client-journey.css""#));
    let css = Browser::new(&app).get("/assets/client-journey.css").await;
    css.assert_status(StatusCode::OK);
    assert!(
        css.header(CONTENT_TYPE.as_str())
            .is_some_and(|t| t.starts_with("text/css")),
        "{:?}",
        css.header(CONTENT_TYPE.as_str())
    );
    assert_eq!(css.header("x-content-type-options"), Some("nosniff"));
    assert!(css.body.contains('{'), "an empty stylesheet: {}", css.body);
}

// ---- signing in ----

/// Wrong credentials show the form again with an error, and the browser stays signed out.
#[tokio::test]
async fn wrong_credentials_are_refused_and_the_browser_stays_signed_out() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (user_id, password) = credentials(&scene.user);
    let mut browser = Browser::new(&app);
    let page = browser.get(&scene.link.path).await;
    let cookie = browser.cookie.clone();
    let csrf = page.csrf_token();

    for (user, pass) in [
        (user_id.as_str(), format!("{password}x")),
        (user_id.as_str(), String::new()),
        ("000000000000", password.clone()),
    ] {
        let reply = browser.post_sign_in(&scene.link, &csrf, user, &pass).await;
        reply.assert_status(StatusCode::BAD_REQUEST);
        assert!(
            reply.contains("The user ID or password is not right"),
            "{}",
            reply.body
        );
        assert!(
            reply.shows_sign_in_form() && !reply.signed_in(),
            "{}",
            reply.body
        );
        // The password is never echoed back into the form.
        assert!(!reply.contains(&pass) || pass.is_empty(), "{}", reply.body);
        reply.assert_no_cookie();
    }
    // The user ID typed is shown again in the form, escaped.
    let typed = r#""><script>alert(1)</script>"#;
    let reply = browser.post_sign_in(&scene.link, &csrf, typed, "x").await;
    reply.assert_status(StatusCode::BAD_REQUEST);
    assert!(!reply.body.contains("<script>"), "{}", reply.body);
    assert!(
        reply.contains(typed),
        "the user ID is not shown again: {}",
        reply.body
    );

    assert_eq!(browser.cookie, cookie);
    browser
        .get(&scene.link.path)
        .await
        .assert_signed_out(&scene.id);
    // The failed attempts did not spoil the session: the right credentials still work with it.
    browser.sign_in(&scene.link, &scene.user).await;
}

/// Five wrong passwords in a row lock the user id for 15 minutes: not even the right password signs in until
/// then, and the page says how long to wait. Other users and unknown user ids are not affected.
#[tokio::test]
async fn five_wrong_passwords_in_a_row_lock_the_user_id_for_fifteen_minutes() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (user_id, password) = credentials(&scene.user);
    let mut browser = Browser::new(&app);
    let csrf = browser.get(&scene.link.path).await.csrf_token();
    let wrong = format!("{password}x");

    browser
        .fail_sign_ins(&scene.link, &csrf, &user_id, &wrong)
        .await;
    let locked = browser
        .post_sign_in(&scene.link, &csrf, &user_id, &wrong)
        .await;
    locked.assert_locked_for("15 minutes");

    // Locked: the right password is refused too, and nothing signs the browser in.
    app.advance(Duration::minutes(14) + Duration::seconds(30));
    let still = browser
        .post_sign_in(&scene.link, &csrf, &user_id, &password)
        .await;
    still.assert_locked_for("1 minute");
    still.assert_no_cookie();
    browser
        .get(&scene.link.path)
        .await
        .assert_signed_out(&scene.id);
    assert_eq!(session_rows(&app).await, 0);

    // Someone else signs in meanwhile, on the same browser's form.
    let other = app.create_itsa_client().await;
    let (other_id, other_password) = credentials(&other.answer);
    browser
        .post_sign_in(&scene.link, &csrf, &other_id, &other_password)
        .await
        .assert_see_other(&scene.link.path);

    // After the lock, the right password works again.
    app.advance(Duration::seconds(30));
    Browser::new(&app).sign_in(&scene.link, &scene.user).await;
}

/// Only failures in a row count: a sign-in in between starts the count again, so a client who mistypes now
/// and then is never locked.
#[tokio::test]
async fn a_sign_in_starts_the_count_of_wrong_passwords_again() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (user_id, password) = credentials(&scene.user);
    let wrong = format!("{password}x");

    for _ in 0..3 {
        let mut browser = Browser::new(&app);
        let csrf = browser.get(&scene.link.path).await.csrf_token();
        browser
            .fail_sign_ins(&scene.link, &csrf, &user_id, &wrong)
            .await;
        browser
            .post_sign_in(&scene.link, &csrf, &user_id, &password)
            .await
            .assert_see_other(&scene.link.path);
    }
}

/// Wrong passwords sent at the same time are all counted: racing them does not buy more guesses.
#[tokio::test]
async fn wrong_passwords_sent_at_once_are_all_counted() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (user_id, password) = credentials(&scene.user);
    let wrong = format!("{password}x");
    let mut browser = Browser::new(&app);
    let csrf = browser.get(&scene.link.path).await.csrf_token();

    let attempts = (0..2 * SIGN_IN_ATTEMPTS).map(|_| {
        let mut racer = Browser::holding(&app, browser.cookie.clone().expect("a cookie"));
        let (link, csrf, user_id, wrong) = (
            scene.link.clone(),
            csrf.clone(),
            user_id.clone(),
            wrong.clone(),
        );
        tokio::spawn(async move {
            racer
                .post_sign_in(&link, &csrf, &user_id, &wrong)
                .await
                .status
        })
    });
    let mut statuses = Vec::new();
    for attempt in attempts.collect::<Vec<_>>() {
        statuses.push(attempt.await.expect("an attempt"));
    }
    let refused = statuses
        .iter()
        .filter(|status| **status == StatusCode::BAD_REQUEST)
        .count();
    assert_eq!(
        refused,
        SIGN_IN_ATTEMPTS - 1,
        "wrong-password answers before the lock: {statuses:?}"
    );
    browser
        .post_sign_in(&scene.link, &csrf, &user_id, &password)
        .await
        .assert_locked_for("15 minutes");
}

/// The sign-in form is only acted on with the token served to the same browser: a form forged on another site
/// (no token, another browser's token, or no cookie at all) signs nobody in.
#[tokio::test]
async fn a_sign_in_without_the_browser_s_token_is_refused_and_changes_nothing() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (user_id, password) = credentials(&scene.user);

    let mut browser = Browser::new(&app);
    let page = browser.get(&scene.link.path).await;
    let cookie = browser.cookie.clone().expect("a cookie");
    let mut attacker = Browser::new(&app);
    let foreign_token = attacker.get(&scene.link.path).await.csrf_token();
    assert_ne!(foreign_token, page.csrf_token());

    for token in [None, Some(""), Some(foreign_token.as_str())] {
        let mut form = vec![
            ("user_id", user_id.as_str()),
            ("password", password.as_str()),
        ];
        if let Some(token) = token {
            form.push(("csrf_token", token));
        }
        let reply = browser.post(&scene.link.sign_in(), &form).await;
        reply.assert_session_ended();
        reply.assert_no_cookie();
        assert_eq!(browser.cookie.as_deref(), Some(cookie.as_str()));
    }

    // No cookie at all, even with a real token (the attacker's own): nothing ties the form to the browser.
    let mut sessionless = Browser::new(&app);
    sessionless
        .post_sign_in(&scene.link, &foreign_token, &user_id, &password)
        .await
        .assert_session_ended();
    assert!(sessionless.cookie.is_none());

    // A cookie value the server did not make (empty, or chosen by someone who knows the token's recipe) is
    // replaced by a random one, so browsers holding the same chosen value are still served different tokens.
    for chosen in ["", "chosen-by-an-attacker", &"0".repeat(63)] {
        let mut tokens = Vec::new();
        for _ in 0..2 {
            let page = Browser::holding(&app, chosen.to_owned())
                .get(&scene.link.path)
                .await;
            let fresh = page
                .set_cookie()
                .expect("a new value in place of the chosen one");
            assert_ne!(fresh.value, chosen);
            tokens.push(page.csrf_token());
        }
        assert_ne!(tokens[0], tokens[1], "a predictable token for {chosen:?}");
    }

    // Nothing changed: still signed out, and the real form still works.
    browser
        .get(&scene.link.path)
        .await
        .assert_signed_out(&scene.id);
    browser.sign_in(&scene.link, &scene.user).await;
}

/// Signing in starts a session under a new id: a cookie value planted in the victim's browser before sign-in
/// (session fixation) is worth nothing after it.
#[tokio::test]
async fn signing_in_starts_a_new_session_so_a_planted_cookie_is_worthless() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (user_id, password) = credentials(&scene.user);
    let mut browser = Browser::new(&app);
    let page = browser.get(&scene.link.path).await;
    let planted = browser.cookie.clone().expect("a cookie");
    let planted_csrf = page.csrf_token();

    let reply = browser
        .post_sign_in(&scene.link, &planted_csrf, &user_id, &password)
        .await;
    reply.assert_see_other(&scene.link.path);
    let cookie = reply.set_cookie().expect("a new session cookie");
    assert_ne!(cookie.value, planted, "the session id survived sign-in");
    cookie.assert_session();

    // The attacker, holding the planted id, is not signed in and cannot answer.
    assert_session_is_dead(&app, &scene, planted, &planted_csrf).await;

    // The client is signed in and sees the request, waiting for an answer until the day before it expires.
    let page = browser.get(&scene.link.path).await;
    page.assert_status(StatusCode::OK);
    let full_name = string_field(&scene.user, "userFullName");
    assert!(
        page.contains(&format!("Signed in as <strong>{}</strong>", full_name)),
        "{}",
        page.body
    );
    assert_ne!(
        page.csrf_token(),
        planted_csrf,
        "the token outlived the session"
    );
    let item = page
        .request_item(&scene.id)
        .unwrap_or_else(|| panic!("the request is not listed: {}", page.body));
    assert!(
        item.contains(&format!("<dd>{}</dd>", scene.id)),
        "reference: {item}"
    );
    assert!(item.contains("<dd>2 March 2026</dd>"), "sent on: {item}");
    assert!(
        item.contains("Waiting for your answer. You can answer until the end of 22 March 2026."),
        "{item}"
    );
    assert!(item.contains(r#"value="accept""#) && item.contains(r#"value="decline""#));
    assert!(item.contains("as your main agent"), "{item}");
    assert_unchanged(&app, &scene).await;
}

// ---- answering ----

/// Accepting through the page's form gives the agent the relationship at once, and the confirmation names the
/// agency.
#[tokio::test]
async fn accepting_through_the_page_authorises_the_agent() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    assert_unchanged(&app, &scene).await;
    let (mut browser, page) = scene.signed_in(&app).await;

    browser.answer_ok(&scene, &page, "accept").await;

    assert_authorised(&app, &scene, "Accepted").await;
    let invitation = app.invitation(&scene.agent, &scene.id).await;
    assert_not_pending(
        &invitation,
        &scene.agent,
        &scene.id,
        "MTD-IT",
        Some("main"),
        "Accepted",
    );

    let confirmation = browser.get(&scene.confirmation()).await;
    confirmation.assert_page(
        StatusCode::OK,
        &format!("You have appointed {}", scene.agent.agency_name),
    );
    assert!(confirmation.contains("What happens next"));
    assert!(
        confirmation.contains(&scene.id),
        "the reference: {}",
        confirmation.body
    );

    browser
        .assert_lists_closed(&scene, "You accepted this request on 2 March 2026.")
        .await;
}

/// Declining rejects the request and gives the agent nothing.
#[tokio::test]
async fn declining_through_the_page_rejects_the_request_without_a_relationship() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (mut browser, page) = scene.signed_in(&app).await;

    browser.answer_ok(&scene, &page, "decline").await;

    assert_not_authorised(&app, &scene, "Rejected").await;
    let confirmation = browser.get(&scene.confirmation()).await;
    confirmation.assert_page(StatusCode::OK, "You have declined the request");
    assert!(confirmation.contains("What happens next"));
    assert!(confirmation.contains(&scene.agent.agency_name));
    browser
        .assert_lists_closed(&scene, "You declined this request on 2 March 2026.")
        .await;
}

/// The VAT journey works the same way for an organisation.
#[tokio::test]
async fn a_vat_client_accepts_on_the_vat_link() {
    let app = TestApp::start().await;
    let client = app.create_vat_client().await;
    let scene = Scene::new(&app, &client.answer, vat(&client)).await;
    assert!(scene.link.path.ends_with("/vat"), "{}", scene.link.path);

    let (mut browser, page) = scene.signed_in(&app).await;
    assert!(page.request_item(&scene.id).is_some(), "{}", page.body);
    browser.answer_ok(&scene, &page, "accept").await;
    assert_authorised(&app, &scene, "Accepted").await;
}

/// An answer is only acted on from a signed-in session with that session's token: a forged form, or one sent
/// without the cookie (or with a signed-out browser's), changes nothing.
#[tokio::test]
async fn an_answer_without_a_signed_in_session_and_its_token_is_refused() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (mut browser, page) = scene.signed_in(&app).await;
    let csrf = page.csrf_token();

    for token in [None, Some(""), Some("not-the-token"), Some(&csrf[1..])] {
        let mut form = vec![("invitation_id", scene.id.as_str()), ("decision", "accept")];
        if let Some(token) = token {
            form.push(("csrf_token", token));
        }
        browser
            .post(&scene.link.answer(), &form)
            .await
            .assert_session_ended();
    }

    // The right token without the cookie: a cross-site post that SameSite kept the cookie from.
    Browser::new(&app)
        .post_answer(&scene.link, &csrf, &scene.id, "accept")
        .await
        .assert_session_ended();

    // A signed-out browser with its own, valid sign-in token cannot answer either.
    let mut signed_out = Browser::new(&app);
    let own = signed_out.get(&scene.link.path).await;
    signed_out
        .answer(&scene, &own, "accept")
        .await
        .assert_session_ended();

    assert_unchanged(&app, &scene).await;
    // The client's own form still works afterwards.
    browser.answer_ok(&scene, &page, "accept").await;
}

/// Another MTD-IT client signed in on the link sees no request, and cannot answer the first client's by
/// posting its reference.
#[tokio::test]
async fn another_client_cannot_see_or_answer_the_request() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let intruder = app.create_itsa_client().await;
    let mut browser = Browser::new(&app);
    let page = browser.sign_in(&scene.link, &intruder.answer).await;

    assert!(page.contains(r#"id="no-requests""#), "{}", page.body);
    assert!(page.contains("There are no requests for you"));
    assert!(page.request_item(&scene.id).is_none());
    assert!(
        !page.contains(&scene.id),
        "the reference leaked: {}",
        page.body
    );

    for decision in ["accept", "decline"] {
        browser
            .answer(&scene, &page, decision)
            .await
            .assert_page(StatusCode::FORBIDDEN, NOT_FOR_YOU);
    }
    assert_unchanged(&app, &scene).await;
    // Nor is the confirmation page a way to read it.
    browser
        .get(&scene.confirmation())
        .await
        .assert_page(StatusCode::FORBIDDEN, NOT_FOR_YOU);
}

/// A client with no MTD Income Tax enrolment is told so, rather than that there is no request.
#[tokio::test]
async fn a_client_without_the_journey_s_enrolment_is_told_the_account_cannot_answer() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let vat_only = app.create_vat_client().await;
    let mut browser = Browser::new(&app);
    let page = browser.sign_in(&scene.link, &vat_only.answer).await;

    assert!(page.contains(r#"id="no-enrolment""#), "{}", page.body);
    assert!(page.contains("This account cannot answer this request"));
    assert!(!page.contains(r#"id="no-requests""#));
    assert!(page.request_item(&scene.id).is_none());
    browser
        .answer(&scene, &page, "accept")
        .await
        .assert_page(StatusCode::FORBIDDEN, NOT_FOR_YOU);
    assert_unchanged(&app, &scene).await;
}

/// The link's page lists only this agency's requests; another agency's request to the same client cannot be
/// answered through it.
#[tokio::test]
async fn a_request_from_another_agency_cannot_be_answered_through_this_link() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let other_agent = app.create_agent().await;
    let other_id = app.create_invitation_ok(&other_agent, &scene.body).await;
    let (mut browser, page) = scene.signed_in(&app).await;

    assert!(page.request_item(&scene.id).is_some(), "{}", page.body);
    assert!(page.request_item(&other_id).is_none(), "{}", page.body);
    browser
        .answer_id(&scene, &page, &other_id, "accept")
        .await
        .assert_page(StatusCode::NOT_FOUND, REQUEST_NOT_FOUND);
    assert_eq!(
        app.invitation_status(&other_agent, &other_id).await,
        "Pending"
    );
    assert_unchanged(&app, &scene).await;
}

/// Only `accept` and `decline` are answers, and only a reference of a request from this agency is one.
#[tokio::test]
async fn an_answer_with_a_bad_decision_or_reference_is_refused() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (mut browser, page) = scene.signed_in(&app).await;
    let csrf = page.csrf_token();

    for decision in [Some("maybe"), Some("Accept"), Some(""), None] {
        let mut form = vec![
            ("csrf_token", csrf.as_str()),
            ("invitation_id", scene.id.as_str()),
        ];
        if let Some(decision) = decision {
            form.push(("decision", decision));
        }
        browser.post(&scene.link.answer(), &form).await.assert_page(
            StatusCode::BAD_REQUEST,
            "Something was missing from the form",
        );
    }

    let unknown = unknown_invitation_id();
    for id in [
        "NOT-AN-ID",
        "",
        "../../etc/passwd",
        &with_wrong_check(&scene.id),
        &unknown,
    ] {
        browser
            .answer_id(&scene, &page, id, "accept")
            .await
            .assert_page(StatusCode::NOT_FOUND, REQUEST_NOT_FOUND);
    }
    // The confirmation page of a malformed or unknown reference is not found either.
    for id in ["NOT-AN-ID", &with_wrong_check(&scene.id), &unknown] {
        browser
            .get(&scene.link.answered(id))
            .await
            .assert_page(StatusCode::NOT_FOUND, REQUEST_NOT_FOUND);
    }
    assert_unchanged(&app, &scene).await;
}

// ---- requests that can no longer be answered ----

/// Once answered, the page says how and offers no buttons; the other answer is refused with the same sentence,
/// while repeating the same answer (a double submission) just leads to the confirmation again.
#[tokio::test]
async fn an_answered_request_shows_its_answer_and_cannot_be_changed() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (mut browser, page) = scene.signed_in(&app).await;
    browser.answer_ok(&scene, &page, "accept").await;
    let updated = app.invitation(&scene.agent, &scene.id).await["updated"].clone();
    // Any later write would show in `updated`.
    app.advance(Duration::minutes(5));

    let sentence = "You accepted this request on 2 March 2026.";
    let page = browser.assert_lists_closed(&scene, sentence).await;
    let refused = browser
        .answer_closed(&scene, &page, "decline", sentence)
        .await;
    assert!(refused.contains("Nothing has changed."));
    assert_authorised(&app, &scene, "Accepted").await;

    browser.answer_ok(&scene, &page, "accept").await;
    let invitation = app.invitation(&scene.agent, &scene.id).await;
    assert_eq!(invitation["status"], "Accepted");
    assert_eq!(
        invitation["updated"], updated,
        "a refused or repeated answer wrote"
    );
}

/// A request the agent cancelled reads so, and cannot be accepted afterwards.
#[tokio::test]
async fn a_cancelled_request_shows_who_cancelled_it_and_cannot_be_answered() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (mut browser, page) = scene.signed_in(&app).await;
    assert_no_content(app.cancel_invitation(&scene.agent, &scene.id).await).await;

    // The form the client still has open, submitted after the cancellation.
    let sentence = format!(
        "{} cancelled this request on 2 March 2026.",
        scene.agent.agency_name
    );
    browser
        .answer_closed(&scene, &page, "accept", &sentence)
        .await;
    assert_not_authorised(&app, &scene, "Cancelled").await;

    browser.assert_lists_closed(&scene, &sentence).await;
    // Its confirmation page explains instead of redirecting.
    browser
        .get(&scene.confirmation())
        .await
        .assert_page(StatusCode::OK, CLOSED);
}

/// Past its expiry date a request reads Expired on the page and cannot be accepted, though no sweep ran.
#[tokio::test]
async fn a_request_past_its_expiry_shows_it_expired_and_cannot_be_answered() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    app.advance(Duration::days(22));
    // The earlier session would have ended long ago: sign in now.
    let (mut browser, page) = scene.signed_in(&app).await;
    let sentence = "This request expired on 23 March 2026: it was not answered in time.";
    assert_listed_without_answer(&page, &scene.id, sentence);

    for decision in ["accept", "decline"] {
        browser
            .answer_closed(&scene, &page, decision, sentence)
            .await;
    }
    assert_not_authorised(&app, &scene, "Expired").await;
}

/// The sandbox's "expire now" takes effect on the page at once.
#[tokio::test]
async fn a_request_expired_through_test_support_cannot_be_answered() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (mut browser, page) = scene.signed_in(&app).await;
    assert_no_content(app.expire(&scene.id).await).await;

    let sentence = "This request expired on 2 March 2026: it was not answered in time.";
    browser
        .answer_closed(&scene, &page, "accept", sentence)
        .await;
    assert_not_authorised(&app, &scene, "Expired").await;
    browser.assert_lists_closed(&scene, sentence).await;
}

/// "You can answer until the end of 22 March" holds to the last second of that day, and not a second longer.
#[tokio::test]
async fn the_last_day_to_answer_is_the_one_the_page_names() {
    let app = TestApp::start().await;
    let on_time = itsa_request(&app).await;
    let late = itsa_request(&app).await;

    // The clock starts at 10:00 on 2 March; 23:59:59 on 22 March is the last moment.
    app.advance(
        Duration::days(20) + Duration::hours(13) + Duration::minutes(59) + Duration::seconds(59),
    );
    let (mut browser, page) = on_time.signed_in(&app).await;
    let item = page.request_item(&on_time.id).expect("listed");
    assert!(
        item.contains("You can answer until the end of 22 March 2026."),
        "{item}"
    );
    let (mut late_browser, late_page) = late.signed_in(&app).await;
    browser.answer_ok(&on_time, &page, "accept").await;
    assert_authorised(&app, &on_time, "Accepted").await;

    app.advance(Duration::seconds(1));
    late_browser
        .answer(&late, &late_page, "accept")
        .await
        .assert_page(StatusCode::CONFLICT, CLOSED);
    assert_not_authorised(&app, &late, "Expired").await;
}

/// The confirmation is only for a signed-in client and an answered request; otherwise it leads back to the
/// request page.
#[tokio::test]
async fn the_confirmation_leads_back_to_the_page_while_pending_or_signed_out() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let answered = scene.confirmation();

    Browser::new(&app)
        .get(&answered)
        .await
        .assert_see_other(&scene.link.path);
    let (mut browser, page) = scene.signed_in(&app).await;
    browser
        .get(&answered)
        .await
        .assert_see_other(&scene.link.path);

    browser.answer_ok(&scene, &page, "accept").await;
    browser.get(&answered).await.assert_status(StatusCode::OK);
    // Signed out (another browser), even an answered request's confirmation is not shown.
    Browser::new(&app)
        .get(&answered)
        .await
        .assert_see_other(&scene.link.path);
}

// ---- signing out ----

/// Signing out ends the session on the server and clears the cookie: a copy of the old cookie shows nothing.
#[tokio::test]
async fn signing_out_clears_the_cookie_and_ends_the_session() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (mut browser, page) = scene.signed_in(&app).await;
    let old_cookie = browser.cookie.clone().expect("signed in");
    let csrf = page.csrf_token();
    assert!(page.contains(&format!(r#"action="{}""#, scene.link.sign_out())));

    // A forged sign-out (CSRF) does nothing.
    browser
        .post(&scene.link.sign_out(), &[("csrf_token", "forged")])
        .await
        .assert_session_ended();
    assert!(browser.get(&scene.link.path).await.signed_in());

    let reply = browser
        .post(&scene.link.sign_out(), &[("csrf_token", &csrf)])
        .await;
    reply.assert_see_other(&scene.link.path);
    let cleared = reply.set_cookie().expect("the cookie is cleared");
    assert_eq!(cleared.value, "");
    assert_eq!(cleared.max_age(), 0);
    assert_eq!(
        cleared.attribute("path"),
        Some(PREFIX),
        "clears the same cookie"
    );
    assert!(browser.cookie.is_none());

    // Someone who kept a copy of the cookie is signed out too, and cannot answer with the old form.
    assert_session_is_dead(&app, &scene, old_cookie, &page.csrf_token()).await;
    assert_unchanged(&app, &scene).await;
}

/// A session lasts 30 minutes from sign-in: after that the page is signed out again and the open form is not
/// acted on. Signing out of the ended session just clears its cookie.
#[tokio::test]
async fn a_signed_in_session_ends_after_thirty_minutes() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (mut browser, page) = scene.signed_in(&app).await;

    app.advance(Duration::minutes(29));
    assert!(browser.get(&scene.link.path).await.signed_in());
    app.advance(Duration::minutes(1) + Duration::seconds(1));

    let signed_out = browser
        .post(
            &scene.link.sign_out(),
            &[("csrf_token", &page.csrf_token())],
        )
        .await;
    signed_out.assert_see_other(&scene.link.path);
    assert_eq!(signed_out.set_cookie().map(|c| c.max_age()), Some(0));
    assert!(browser.cookie.is_none());

    let later = browser.get(&scene.link.path).await;
    later.assert_signed_out(&scene.id);
    assert!(
        later.set_cookie().is_some(),
        "a new value for the signed-out browser"
    );

    browser
        .answer(&scene, &page, "accept")
        .await
        .assert_session_ended();
    assert_unchanged(&app, &scene).await;
}

/// A supporting agent's request reads as such, and accepting it gives the supporting relationship.
#[tokio::test]
async fn accepting_a_supporting_agent_request_gives_the_supporting_relationship() {
    let app = TestApp::start().await;
    let client = app.create_itsa_client().await;
    let scene = Scene::new(&app, &client.answer, itsa_supporting(&client)).await;
    assert!(
        scene.link.path.ends_with("/income-tax"),
        "{}",
        scene.link.path
    );

    let (mut browser, page) = scene.signed_in(&app).await;
    let item = page.request_item(&scene.id).expect("listed");
    assert!(item.contains("as a supporting agent"), "{item}");
    browser.answer_ok(&scene, &page, "accept").await;
    assert_authorised(&app, &scene, "Accepted").await;
    assert_error(
        app.check_relationship(&scene.agent, &check_body(&itsa_main(&client)))
            .await,
        "check_relationship",
        "RELATIONSHIP_NOT_FOUND",
    )
    .await;
}

/// A client not yet signed up to MTD Income Tax (only a NINO) can answer too: accepting gives a partial
/// authorisation, and the page says when it takes full effect.
#[tokio::test]
async fn an_alternative_itsa_client_accepts_into_a_partial_authorisation() {
    let app = TestApp::start().await;
    let client = app.create_alt_itsa_client().await;
    let scene = Scene::new(&app, &client.answer, itsa_main(&client)).await;

    let (mut browser, page) = scene.signed_in(&app).await;
    assert!(page.request_item(&scene.id).is_some(), "{}", page.body);
    browser.answer_ok(&scene, &page, "accept").await;
    assert_authorised(&app, &scene, "Partialauth").await;

    browser.get(&scene.confirmation()).await.assert_page(
        StatusCode::OK,
        &format!("You have appointed {}", scene.agent.agency_name),
    );
    browser
        .assert_lists_closed(
            &scene,
            "You accepted this request on 2 March 2026. It takes full effect when you sign up to Making Tax \
             Digital for Income Tax.",
        )
        .await;
}

/// After the agent ends the authorisation, the page says so and the request cannot be accepted again.
#[tokio::test]
async fn a_deauthorised_request_shows_the_authorisation_ended() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let (mut browser, page) = scene.signed_in(&app).await;
    browser.answer_ok(&scene, &page, "accept").await;
    app.advance(Duration::days(1));
    assert_no_content(
        app.deauthorise(&scene.agent, &deauth_body(&scene.body))
            .await,
    )
    .await;

    let page = browser.sign_in(&scene.link, &scene.user).await;
    let sentence = "You accepted this request; the authorisation it gave ended on 3 March 2026.";
    assert_listed_without_answer(&page, &scene.id, sentence);
    browser
        .answer_closed(&scene, &page, "accept", sentence)
        .await;
    assert_not_authorised(&app, &scene, "Deauthorised").await;
}

/// A multi-invitation link's `Location` opens a page naming the agency, linking to the client page of each journey
/// a client of that type answers through; another client type, uid or name is not a valid link.
#[tokio::test]
async fn a_multi_invitation_link_opens_a_page_of_the_agency_s_journeys() {
    let app = TestApp::start().await;
    let scene = itsa_request(&app).await;
    let body = serde_json::json!({"clientType": "personal", "invitationIds": [scene.id]});
    let response = app.multi_link(&scene.agent, &body).await;
    let (headers, _) = assert_status(response, StatusCode::CREATED).await;
    let location = location(&headers);
    let page = Browser::new(&app).get(&location).await;
    let heading = format!(
        "{} has asked for your authorisation",
        scene.agent.agency_name
    );
    page.assert_page(StatusCode::OK, &heading);
    let (uid, name, _) = scene.link.segments();
    let journey_href = |journey: &str| {
        format!("/appoint-someone-to-deal-with-HMRC-for-you/{uid}/{name}/{journey}\"")
    };
    for journey in [
        "income-tax",
        "vat",
        "income-record-viewer",
        "capital-gains-tax",
    ] {
        assert!(
            page.body.contains(&journey_href(journey)),
            "{journey}: {}",
            page.body
        );
    }
    for journey in ["trusts", "plastic-packaging-tax"] {
        assert!(
            !page.body.contains(&journey_href(journey)),
            "{journey}: {}",
            page.body
        );
    }
    let unknown_uid = if uid == "AAAAAAAA" {
        "BBBBBBBB"
    } else {
        "AAAAAAAA"
    };
    for invalid in [
        format!("/invitations/people/{uid}/{name}"),
        format!("/invitations/personal/{unknown_uid}/{name}"),
        format!("/invitations/personal/{uid}/{name}-ltd"),
    ] {
        let page = Browser::new(&app).get(&invalid).await;
        page.assert_page(StatusCode::NOT_FOUND, LINK_NOT_VALID);
    }
}
