//! What every scenario reaches: the server (raw and typed), the ledger, shared test users, the seed, and
//! the progress counters.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Result, anyhow};
use serde_json::{Value, json};

use crate::http::{Exchange, Http, Request};
use crate::ledger::Ledger;
use crate::reference::Rng;
use crate::sandbox::{Agent, Individual, Organisation, Sandbox};

/// How the run was asked for.
#[derive(Debug, Clone)]
pub struct Config {
    pub base_url: String,
    pub seed: u64,
    /// Generated input cases (at least).
    pub cases: u32,
    /// Model-based sequences.
    pub sequences: u32,
    pub only: Option<String>,
    /// Requests in flight at once for independent work.
    pub concurrency: usize,
}

/// Test users every scenario may share: they are only read, or used in ways that do not disturb each other.
#[derive(Debug, Clone)]
pub struct Fixtures {
    pub agent: Agent,
    pub other_agent: Agent,
    pub unsubscribed: Agent,
    pub expired: Agent,
    pub individual: Individual,
    pub organisation: Organisation,
    /// A pending request of `agent` (for ITSA `individual`), never answered.
    pub pending: String,
    /// An HMRC staff user's bearer token (the maintenance calls need one).
    pub hmrc_staff: String,
}

impl Fixtures {
    pub async fn create(sandbox: &Sandbox) -> Result<Self> {
        let (agent, other_agent, expired, individual, organisation) = tokio::try_join!(
            sandbox.agent(),
            sandbox.agent(),
            sandbox.agent_with_token_lifetime(Some(0)),
            sandbox.itsa_client(),
            sandbox.vat_client(false),
        )?;
        let unsubscribed = sandbox.unsubscribed_agent(&agent.arn).await?;
        let hmrc_staff = sandbox.hmrc_staff_token().await?;
        let pending = sandbox
            .create_invitation(&agent, &itsa_body(&individual, None))
            .await?;
        Ok(Self {
            agent,
            other_agent,
            unsubscribed,
            expired,
            individual,
            organisation,
            pending,
            hmrc_staff,
        })
    }
}

/// Counters for the progress line and the summary.
#[derive(Debug, Default)]
pub struct Progress {
    pub requests: AtomicU64,
    pub scenarios_done: AtomicU64,
    pub scenarios_total: AtomicU64,
    pub cases_done: AtomicU64,
    pub cases_total: AtomicU64,
    pub sequences_done: AtomicU64,
    pub sequences_total: AtomicU64,
    pub steps: AtomicU64,
    pub failures: AtomicU64,
}

impl Progress {
    pub fn line(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "scenarios {}/{} · generated cases {}/{} · sequences {}/{} ({} steps) · {} requests · {} failures",
            get(&self.scenarios_done),
            get(&self.scenarios_total),
            get(&self.cases_done),
            get(&self.cases_total),
            get(&self.sequences_done),
            get(&self.sequences_total),
            get(&self.steps),
            get(&self.requests),
            get(&self.failures)
        )
    }
}

pub struct Harness {
    pub config: Config,
    /// The contracts the run proves.
    pub contracts: Vec<crate::contract::Contract>,
    pub http: Http,
    pub ledger: Ledger,
    pub sandbox: Sandbox,
    pub fixtures: Fixtures,
    pub progress: Progress,
    /// Drawn anew for every run and mixed into [`Harness::fresh_rng`]: identifiers the server must not know yet
    /// (an unregistered NINO, a UTR no trust holds, an unknown invitation id) then differ from one run to the next,
    /// so that a run repeated with the same seed against the same long-lived server does not meet the ones an
    /// earlier run created. What a run tests still follows from the seed alone.
    pub nonce: u64,
}

/// A number that differs from run to run (the standard library's per-process random hash keys, and the time).
pub fn run_nonce() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    hasher.write_u128(now);
    hasher.write_u32(std::process::id());
    hasher.finish()
}

impl Harness {
    pub async fn send(&self, request: Request) -> Result<Exchange> {
        self.progress.requests.fetch_add(1, Ordering::Relaxed);
        self.http.send(request).await
    }

    /// A generator of identifiers the server must not know yet, for this purpose: derived from the run's seed
    /// and its nonce, so that they are fresh on a server earlier runs have used (see [`Harness::nonce`]).
    pub fn fresh_rng(&self, purpose: &str) -> Rng {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in purpose.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        Rng::new(self.config.seed ^ hash ^ self.nonce.rotate_left(17))
    }
}

/// A scenario's future.
pub type ScenarioFuture = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

/// A piece of behaviour, set up through the sandbox, that exercises the ledger entries it names.
pub struct Scenario {
    pub name: String,
    /// The ledger entries it checks, and the rules it proves (`rule/R-AREA-NAME`): a rule is proved when the
    /// scenario runs to its end with every check passing.
    pub covers: Vec<String>,
    pub run: Box<dyn Fn(Ctx) -> ScenarioFuture + Send + Sync>,
    /// The other version it runs as, if it is a re-run of another version's scenario (see [`AsVersion`]).
    pub as_version: Option<&'static AsVersion>,
}

/// Another version of an API serving the same operations on the same paths, chosen by `Accept` (1.0 on the 2.0
/// paths): a scenario written for one version runs as the other by asking for that version in every request to
/// one of `operations`, and by proving that version's entries (`operation{suffix}/...`).
#[derive(Debug)]
pub struct AsVersion {
    /// The name the re-run scenarios carry instead of `from_prefix`, e.g. `v1 on the 2.0 paths:`.
    pub prefix: &'static str,
    pub from_prefix: &'static str,
    pub from_accept: &'static str,
    pub accept: &'static str,
    /// The suffix of this version's operation ids, e.g. `_v1`.
    pub suffix: &'static str,
    /// The operations this version serves, by id: their entries are this version's.
    pub operations: &'static [&'static str],
    /// Whether a request (by path) is to one of `operations`; requests to others keep the version they ask for.
    pub serves: fn(&str) -> bool,
}

impl AsVersion {
    /// This version's entry for another version's.
    pub fn entry(&self, entry: &str) -> String {
        match entry.split_once('/') {
            Some((operation, rest)) if self.operations.contains(&operation) => {
                format!("{operation}{}/{rest}", self.suffix)
            }
            _ => entry.to_owned(),
        }
    }
}

impl Scenario {
    pub fn new<F, Fut>(name: impl Into<String>, covers: &[&str], run: F) -> Self
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        Self::with_covers(name, covers.iter().map(|s| s.to_string()).collect(), run)
    }

    pub fn with_covers<F, Fut>(name: impl Into<String>, covers: Vec<String>, run: F) -> Self
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        Self {
            name: name.into(),
            covers,
            run: Box::new(move |ctx| Box::pin(run(ctx))),
            as_version: None,
        }
    }

    /// The same scenario, run as another version of its API.
    pub fn as_version(self, version: &'static AsVersion) -> Self {
        Self {
            name: self.name.replacen(version.from_prefix, version.prefix, 1),
            covers: self
                .covers
                .iter()
                .map(|entry| version.entry(entry))
                .collect(),
            as_version: Some(version),
            ..self
        }
    }
}

/// A scenario's handle on the harness.
#[derive(Clone)]
pub struct Ctx {
    pub h: Arc<Harness>,
    pub scenario: String,
    /// The version the scenario runs as, when it runs as another than it was written for.
    pub as_version: Option<&'static AsVersion>,
    /// The entries whose checks failed in this scenario so far: its rules are not proved then.
    pub failed: Arc<Mutex<Vec<String>>>,
}

impl Ctx {
    pub fn new(h: Arc<Harness>, scenario: &Scenario) -> Self {
        Self {
            h,
            scenario: scenario.name.clone(),
            as_version: scenario.as_version,
            failed: Arc::default(),
        }
    }

    /// The entries whose checks failed in this scenario.
    pub fn failed_entries(&self) -> Vec<String> {
        self.failed.lock().map(|f| f.clone()).unwrap_or_default()
    }

    fn note_failure(&self, entry: &str) {
        if let Ok(mut failed) = self.failed.lock() {
            failed.push(entry.to_owned());
        }
    }

    /// Holds the scenario to a rule it proves beyond the responses' checks: when `holds` is false, the rule
    /// `id` (`R-AREA-NAME`) fails with `problem` (and how to repeat it) and the scenario stops.
    pub fn rule(&self, id: &str, holds: bool, problem: impl FnOnce() -> String) -> Result<()> {
        if holds {
            return Ok(());
        }
        let entry = format!("{}{id}", crate::rules::PREFIX);
        let problem = problem();
        self.fail(&entry, problem.clone());
        Err(anyhow!("{entry}: {problem}"))
    }

    /// The ledger entry a scenario's entry is in the version it runs as.
    pub fn entry(&self, entry: &str) -> String {
        match self.as_version {
            Some(version) => version.entry(entry),
            None => entry.to_owned(),
        }
    }

    /// Marks `entry` failed, with the problem and how to repeat it.
    pub fn fail(&self, entry: &str, problem: String) {
        let entry = self.entry(entry);
        self.note_failure(&entry);
        self.h.ledger.fail(&entry, &self.scenario, problem);
    }

    pub fn fixtures(&self) -> &Fixtures {
        &self.h.fixtures
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.h.sandbox
    }

    pub async fn send(&self, request: Request) -> Result<Exchange> {
        self.h.send(self.in_version(request)).await
    }

    /// The request as the version the scenario runs as asks for it.
    fn in_version(&self, request: Request) -> Request {
        let Some(version) = self.as_version else {
            return request;
        };
        if (version.serves)(&request.path)
            && request.header_value("Accept") == Some(version.from_accept)
        {
            request.set_header("Accept", Some(version.accept.to_owned()))
        } else {
            request
        }
    }

    /// Checks an exchange against a ledger entry; an error (naming the entry) if it does not conform.
    pub fn check(&self, entry: &str, exchange: &Exchange) -> Result<()> {
        let entry = self.entry(entry);
        let checked = self.h.ledger.check(&entry, &self.scenario, exchange);
        if checked.is_err() {
            self.note_failure(&entry);
        }
        checked.map_err(|problem| anyhow!(problem))
    }

    /// Sends and checks; stops the scenario if it does not conform.
    pub async fn expect(&self, entry: &str, request: Request) -> Result<Exchange> {
        let exchange = self.send(request).await?;
        self.check(entry, &exchange)?;
        Ok(exchange)
    }

    /// Sends and checks, recording a failure but letting the scenario go on.
    pub async fn soft(&self, entry: &str, request: Request) -> Result<Option<Exchange>> {
        let exchange = self.send(request).await?;
        Ok(self.check(entry, &exchange).is_ok().then_some(exchange))
    }

    /// Identifiers the server must not know yet (see [`Harness::fresh_rng`]).
    pub fn fresh_rng(&self, purpose: &str) -> Rng {
        self.h.fresh_rng(&format!("{}/{purpose}", self.scenario))
    }
}

// ---- v2 bodies ----

pub const V2_ACCEPT: &str = "application/vnd.hmrc.2.0+json";

/// A v2 request with the right Accept header and, if given, a bearer token.
pub fn v2(method: &str, path: impl Into<String>, token: Option<&str>) -> Request {
    let request = Request::new(method, path).header("Accept", V2_ACCEPT);
    match token {
        Some(token) => request.bearer(token),
        None => request,
    }
}

/// A create body for MTD-IT (main unless `agent_type` says otherwise).
pub fn itsa_body(client: &Individual, agent_type: Option<&str>) -> Value {
    let mut body = json!({
        "service": ["MTD-IT"],
        "clientType": "personal",
        "clientIdType": "ni",
        "clientId": client.nino,
        "knownFact": client.postcode,
    });
    if let Some(agent_type) = agent_type {
        body["agentType"] = json!(agent_type);
    }
    body
}

/// A create body for MTD-VAT.
pub fn vat_body(client: &Organisation) -> Value {
    json!({
        "service": ["MTD-VAT"],
        "clientType": "business",
        "clientIdType": "vrn",
        "clientId": client.vrn,
        "knownFact": client.vat_registration_date,
    })
}

/// The check-relationship body of a create body (no clientType).
pub fn check_body(create: &Value) -> Value {
    without(create, "clientType")
}

/// The deauthorise body of a create body (no knownFact).
pub fn deauth_body(create: &Value) -> Value {
    without(create, "knownFact")
}

pub fn with(body: &Value, key: &str, value: Value) -> Value {
    let mut body = body.clone();
    body[key] = value;
    body
}

pub fn without(body: &Value, key: &str) -> Value {
    let mut body = body.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove(key);
    }
    body
}

/// The invitation id at the end of a Location header.
pub fn location_id(exchange: &Exchange) -> Result<String> {
    let location = exchange
        .response
        .header("location")
        .ok_or_else(|| anyhow!("no Location header: {}", exchange.summary()))?;
    Ok(location.rsplit('/').next().unwrap_or_default().to_owned())
}

/// A valid postcode other than `postcode`.
pub fn other_postcode(postcode: &str) -> &'static str {
    let normal = |p: &str| p.replace(' ', "").to_uppercase();
    ["SW1A 1AA", "EH1 1YZ"]
        .into_iter()
        .find(|c| normal(c) != normal(postcode))
        .unwrap_or("EH1 1YZ")
}

/// The day after a yyyy-MM-dd date.
pub fn day_after(date: &str) -> String {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map(|d| {
            (d + chrono::Duration::days(1))
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_else(|_| "2000-01-01".into())
}
