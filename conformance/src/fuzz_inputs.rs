//! Fuzzed inputs: bodies, identifiers, headers and paths that proptest draws at run time (this code is written by
//! hand), valid and mutated, sent to every agent-facing operation and the sandbox. The oracle is the contract: the documented order of checks
//! (`crate::reference`) says which documented response each input must get; at the very least the status must
//! be documented for the operation, the body must match its schema, there is never a 5xx, and never a success for
//! an input the contract calls invalid. About one case in five is malformed on top (`malformed`): a `null`
//! field, data after the JSON value, a NUL byte or another control character in a string or a path segment, an
//! escape that is no percent-encoding, a body of another content type; each gets the operation's documented 400
//! with its exact body.
//!
//! Cases are drawn from one seeded proptest runner and sent concurrently; a failing case is shrunk (proptest's
//! value trees) to a minimal one, printed as a curl command with the seed that replays it.

mod malformed;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::Result;
use futures::StreamExt;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, TestRng, TestRunner};
use serde_json::{Value, json};

use crate::harness::*;
use crate::http::{Exchange, Request};
use crate::paths::{invitation_path, invitations_path};
use crate::reference::{self, Payload, judge, judge_accept, random_invitation_id};
use crate::sandbox::{Agent, Individual, Organisation};
use malformed::{Malformed, PathFault, Segment};

/// A generated case's outcome: the entry it exercised and the exchange, or why it failed.
type CaseOutcome = Result<(String, Exchange), (String, Option<Exchange>)>;

const SOURCE: &str = "generated inputs";

/// The operations cases are drawn for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Create,
    Check,
    Deauthorise,
    Get,
    Cancel,
    List,
    Accept,
    Reject,
    Expire,
    CreateTestAgent,
    CreateTestIndividual,
    CreateTestOrganisation,
}

impl Op {
    pub fn id(self) -> &'static str {
        match self {
            Op::Create => "create_invitation",
            Op::Check => "check_relationship",
            Op::Deauthorise => "deauthorise_client",
            Op::Get => "get_invitation",
            Op::Cancel => "cancel_invitation",
            Op::List => "list_invitations",
            Op::Accept => "accept_invitation",
            Op::Reject => "reject_invitation",
            Op::Expire => "expire_invitation",
            Op::CreateTestAgent => "create_test_agent",
            Op::CreateTestIndividual => "create_test_individual",
            Op::CreateTestOrganisation => "create_test_organisation",
        }
    }

    fn is_v2(self) -> bool {
        matches!(
            self,
            Op::Create | Op::Check | Op::Deauthorise | Op::Get | Op::Cancel | Op::List
        )
    }

    const ALL: [Op; 12] = [
        Op::Create,
        Op::Check,
        Op::Deauthorise,
        Op::Get,
        Op::Cancel,
        Op::List,
        Op::Accept,
        Op::Reject,
        Op::Expire,
        Op::CreateTestAgent,
        Op::CreateTestIndividual,
        Op::CreateTestOrganisation,
    ];
}

/// One generated input. Strings starting with `$` name test data (`$nino:0`, `$postcode:1`, …) filled in when
/// it is sent, so the case stays readable and shrinks toward the valid, simple choices listed first.
#[derive(Debug, Clone)]
pub struct Case {
    pub op: Op,
    pub agent: usize,
    /// `None`: no Accept header.
    pub accept: Option<String>,
    /// `$agent`, `$none`, `$expired`, `$other-agent`, `$individual`, `$unsubscribed`, or a raw header value.
    pub auth: String,
    /// `$own` or a raw path segment.
    pub arn: String,
    /// `$real:N`, `$unknown:SEED` (an unknown invitation id), or a raw path segment.
    pub id: String,
    pub body: Option<Body>,
    /// How the request is malformed, if it is (`malformed`).
    pub malformed: Option<Malformed>,
}

#[derive(Debug, Clone)]
pub enum Body {
    Json(Value),
    Bytes(String),
}

/// The test data cases draw on.
pub struct World {
    agents: Vec<Agent>,
    itsa: Vec<Individual>,
    alt: Individual,
    vat: Vec<Organisation>,
    insolvent: Organisation,
    /// Requests of `agents[i % agents.len()]`.
    invitations: Vec<(usize, String)>,
    unregistered_nino: String,
    unregistered_vrn: String,
    /// The run's nonce, mixed into the unknown invitation ids a case names.
    nonce: u64,
}

impl World {
    async fn create(h: &Harness) -> Result<Self> {
        let s = &h.sandbox;
        let (a0, a1, a2, i0, i1, alt, v0, v1, insolvent) = tokio::try_join!(
            s.agent(),
            s.agent(),
            s.agent(),
            s.itsa_client(),
            s.itsa_client(),
            s.alt_itsa_client(),
            s.vat_client(false),
            s.vat_client(false),
            s.vat_client(true)
        )?;
        let agents = vec![a0, a1, a2];
        let mut invitations = Vec::new();
        for (index, agent) in agents.iter().enumerate() {
            invitations.push((
                index,
                s.create_invitation(agent, &itsa_body(&i0, None)).await?,
            ));
            invitations.push((index, s.create_invitation(agent, &vat_body(&v0)).await?));
        }
        let mut rng = h.fresh_rng("generated world");
        Ok(Self {
            agents,
            itsa: vec![i0, i1],
            alt,
            vat: vec![v0, v1],
            insolvent,
            invitations,
            unregistered_nino: reference::random_nino(&mut rng),
            unregistered_vrn: reference::random_vrn(&mut rng),
            nonce: h.nonce,
        })
    }

    /// The invitation id a case's `$unknown:SEED` names: drawn from the case's seed and the run's nonce, so that
    /// the case is the same in every run with the seed while the id is one no earlier run's server has made.
    fn unknown_invitation_id(&self, seed: &str) -> String {
        let seed = seed.parse::<u64>().unwrap_or_default();
        random_invitation_id(&mut reference::Rng::new(seed ^ self.nonce), 'A')
    }

    fn fill(&self, text: &str) -> String {
        let Some(rest) = text.strip_prefix('$') else {
            return text.to_owned();
        };
        let (name, index) = rest
            .split_once(':')
            .map(|(n, i)| (n, i.parse::<usize>().unwrap_or(0)))
            .unwrap_or((rest, 0));
        let itsa = &self.itsa[index % self.itsa.len()];
        let vat = &self.vat[index % self.vat.len()];
        match name {
            "nino" => itsa.nino.clone(),
            "nino-lower" => itsa.nino.to_lowercase(),
            "nino-spaced" => format!(
                "{} {} {} {} {}",
                &itsa.nino[..2],
                &itsa.nino[2..4],
                &itsa.nino[4..6],
                &itsa.nino[6..8],
                &itsa.nino[8..]
            ),
            "postcode" => itsa.postcode.clone(),
            "postcode-compact" => itsa.postcode.replace(' ', "").to_lowercase(),
            "alt-nino" => self.alt.nino.clone(),
            "alt-postcode" => self.alt.postcode.clone(),
            "vrn" => vat.vrn.clone(),
            "vat-date" => vat.vat_registration_date.clone(),
            "insolvent-vrn" => self.insolvent.vrn.clone(),
            "insolvent-date" => self.insolvent.vat_registration_date.clone(),
            "unregistered-nino" => self.unregistered_nino.clone(),
            "unregistered-vrn" => self.unregistered_vrn.clone(),
            _ => text.to_owned(),
        }
    }

    fn fill_json(&self, value: &Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.fill(text)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.fill_json(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.fill_json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The known facts of the registered clients: normalised NINO → postcode, VRN → (date, insolvent).
    fn itsa_fact(&self, nino: &str) -> Option<String> {
        self.itsa
            .iter()
            .chain([&self.alt])
            .find(|c| c.nino == nino)
            .and_then(|c| reference::postcode(&c.postcode))
    }

    fn vat_fact(&self, vrn: &str) -> Option<(String, bool)> {
        self.vat
            .iter()
            .map(|c| (c, false))
            .chain([(&self.insolvent, true)])
            .find(|(c, _)| c.vrn == vrn)
            .map(|(c, insolvent)| (c.vat_registration_date.clone(), insolvent))
    }
}

// ---- strategies ----

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9 ]{0,12}",
        "[ -~]{0,20}",
        Just(String::new()),
        Just("\u{e9}\u{1F600}".to_owned())
    ]
}

fn accept() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        8 => Just(Some(V2_ACCEPT.to_owned())),
        1 => Just(None),
        1 => prop_oneof![
            Just("application/json".to_owned()),
            Just("*/*".to_owned()),
            Just("application/vnd.hmrc.1.0+json".to_owned()),
            Just("application/vnd.hmrc.2.0+xml".to_owned()),
            Just("application/vnd.hmrc.2.1+json".to_owned()),
            Just("application/vnd.hmrc.20+json".to_owned()),
            "application/vnd\\.hmrc\\.[0-9]{1,2}\\.[0-9]\\+(json|xml|text)",
            text(),
        ]
        .prop_map(Some),
    ]
}

fn auth() -> impl Strategy<Value = String> {
    prop_oneof![
        10 => Just("$agent".to_owned()),
        1 => prop_oneof![
            Just("$none".to_owned()),
            Just("$expired".to_owned()),
            Just("$other-agent".to_owned()),
            Just("$individual".to_owned()),
            Just("$unsubscribed".to_owned()),
            Just("Bearer".to_owned()),
            "Bearer [0-9a-f]{8,64}",
            text(),
        ],
    ]
}

fn arn() -> impl Strategy<Value = String> {
    prop_oneof![12 => Just("$own".to_owned()), 1 => prop_oneof!["[A-Z]ARN[0-9]{7}", "[A-Za-z0-9]{1,12}"]]
}

fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0usize..6).prop_map(|i| format!("$real:{i}")),
        2 => any::<u64>().prop_map(|seed| format!("$unknown:{seed}")),
        2 => prop_oneof!["[A-Z0-9]{13}", "[A-Za-z0-9]{1,20}", "[ABCDEFGHJKLMNOPRSTUWXYZ1-9]{12,14}"],
    ]
}

fn field(
    valid: &'static [&'static str],
    wrong: &'static [&'static str],
) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        12 => proptest::sample::select(valid).prop_map(|v| Some(json!(v))),
        2 => proptest::sample::select(wrong).prop_map(|v| Some(json!(v))),
        1 => text().prop_map(|v| Some(json!(v))),
        1 => Just(None),
        1 => prop_oneof![Just(json!(null)), Just(json!(42)), Just(json!(["x"])), Just(json!({"a": 1}))].prop_map(Some),
    ]
}

/// The fields of a v2 body as drawn: service, clientId, knownFact, clientType, clientIdType, agentType.
type Fields = (
    Value,
    Option<Value>,
    Option<Value>,
    Option<Value>,
    Option<Value>,
    Option<Value>,
);

/// MTD-IT fields: real NINOs and postcodes, and mutations.
fn itsa_fields() -> impl Strategy<Value = Fields> {
    (
        field(&["$nino:0", "$nino:1", "$nino-lower:0", "$nino-spaced:1", "$alt-nino", "$unregistered-nino"], &["AB123456E", "QQ123456A", "AB12345", "$vrn:0", "2134514321"]),
        field(&["$postcode:0", "$postcode:1", "$postcode-compact:0", "$alt-postcode", "SW1A 1AA"], &["NOT A POSTCODE", "12345", "SW1A1AAA", "2007-05-18"]),
        field(&["personal"], &["business", "trust", "Personal"]),
        field(&["ni"], &["vrn", "utr", "NI"]),
        prop_oneof![8 => Just(None), 2 => Just(Some(json!("main"))), 2 => Just(Some(json!("supporting"))), 1 => Just(Some(json!("Main")))],
    )
        .prop_map(|(id, fact, client_type, id_type, agent_type)| (json!(["MTD-IT"]), id, fact, client_type, id_type, agent_type))
}

/// MTD-VAT fields: real VRNs and registration dates, and mutations.
fn vat_fields() -> impl Strategy<Value = Fields> {
    (
        field(
            &["$vrn:0", "$vrn:1", "$insolvent-vrn", "$unregistered-vrn"],
            &["12345678", "GB123456789", "$nino:0", "1234567890"],
        ),
        field(
            &[
                "$vat-date:0",
                "$vat-date:1",
                "$insolvent-date",
                "2001-02-03",
            ],
            &["18/05/2007", "2007-5-18", "2007-02-30", "$postcode:0"],
        ),
        field(&["business", "personal"], &["trust", "Business"]),
        field(&["vrn"], &["ni", "VRN"]),
        prop_oneof![10 => Just(None), 1 => Just(Some(json!("main")))],
    )
        .prop_map(|(id, fact, client_type, id_type, agent_type)| {
            (json!("MTD-VAT"), id, fact, client_type, id_type, agent_type)
        })
}

/// A body of the v2 shape: mostly valid choices of real test data, with mutations mixed in.
fn v2_body(op: Op) -> BoxedStrategy<Option<Body>> {
    let service = prop_oneof![
        16 => Just(None::<Value>),
        1 => prop_oneof![Just(json!("MTD-CGT")), Just(json!("mtd-it")), Just(json!(["MTD-IT", "MTD-VAT"])), Just(json!([])), Just(json!(7))].prop_map(Some),
    ];
    let shape = prop_oneof![
        30 => Just(None::<Body>),
        1 => Just(Some(Body::Bytes("{not json".into()))),
        1 => Just(Some(Body::Json(json!([])))),
        1 => Just(Some(Body::Json(json!("MTD-IT")))),
    ];
    (
        prop_oneof![itsa_fields(), vat_fields()],
        service,
        shape,
        proptest::bool::weighted(0.1),
    )
        .prop_map(move |(fields, replaced, shape, extra)| {
            v2_body_of(op, fields, replaced, shape, extra)
        })
        .boxed()
}

/// The body of drawn fields: `shape` instead when drawn, the service `replaced` when drawn, an unexpected field
/// when `extra`.
fn v2_body_of(
    op: Op,
    (service, id, fact, client_type, id_type, agent_type): Fields,
    replaced: Option<Value>,
    shape: Option<Body>,
    extra: bool,
) -> Option<Body> {
    if let Some(shape) = shape {
        return Some(shape);
    }
    let mut body = serde_json::Map::new();
    body.insert("service".into(), replaced.unwrap_or(service));
    if op != Op::Check
        && let Some(v) = client_type
    {
        body.insert("clientType".into(), v);
    }
    if let Some(v) = id_type {
        body.insert("clientIdType".into(), v);
    }
    if let Some(v) = id {
        body.insert("clientId".into(), v);
    }
    if op != Op::Deauthorise
        && let Some(v) = fact
    {
        body.insert("knownFact".into(), v);
    }
    if let Some(v) = agent_type {
        body.insert("agentType".into(), v);
    }
    if extra {
        body.insert("unexpected".into(), json!("ignored"));
    }
    Some(Body::Json(Value::Object(body)))
}

fn test_user_body(allowed: &'static [&'static str]) -> BoxedStrategy<Option<Body>> {
    let names = proptest::collection::vec(
        prop_oneof![8 => proptest::sample::select(allowed).prop_map(str::to_owned), 1 => proptest::sample::select(&["agent-services", "mtd-vat", "national-insurance", "self-assessment", "mtd-income-tax", "vat"][..]).prop_map(str::to_owned), 1 => text()],
        0..4,
    );
    let lifetime =
        prop_oneof![6 => Just(None), 1 => (-5i64..100_000).prop_map(Some), 1 => Just(Some(0))];
    let shape = prop_oneof![
        20 => Just(None::<Body>),
        1 => Just(Some(Body::Bytes("serviceNames=mtd-vat".into()))),
        1 => Just(Some(Body::Json(json!({"serviceNames": "mtd-vat"})))),
        1 => Just(Some(Body::Json(json!({"services": []})))),
    ];
    (
        names,
        lifetime,
        shape,
        proptest::option::weighted(0.2, any::<bool>()),
    )
        .prop_map(|(names, lifetime, shape, insolvent)| {
            shape.or_else(|| {
                let mut body = json!({"serviceNames": names});
                if let Some(lifetime) = lifetime {
                    body["tokenLifetimeSeconds"] = json!(lifetime);
                }
                if let Some(insolvent) = insolvent {
                    body["insolvent"] = json!(insolvent);
                }
                Some(Body::Json(body))
            })
        })
        .boxed()
}

pub fn case() -> BoxedStrategy<Case> {
    (proptest::sample::select(&Op::ALL[..]), 0usize..3)
        .prop_flat_map(|(op, agent)| {
            let body = match op {
                Op::Create | Op::Check | Op::Deauthorise => v2_body(op),
                Op::CreateTestAgent => test_user_body(&["agent-services"]),
                Op::CreateTestIndividual => test_user_body(&[
                    "national-insurance",
                    "self-assessment",
                    "mtd-income-tax",
                    "mtd-vat",
                ]),
                Op::CreateTestOrganisation => test_user_body(&["mtd-vat"]),
                _ => Just(None).boxed(),
            };
            let malformed = malformed::malformed(op);
            (
                (Just(op), Just(agent), accept(), auth()),
                (arn(), id(), body, malformed),
            )
                .prop_map(|((op, agent, accept, auth), (arn, id, body, malformed))| {
                    Case {
                        op,
                        agent,
                        accept,
                        auth,
                        arn,
                        id,
                        body,
                        malformed,
                    }
                })
        })
        .boxed()
}

// ---- from a case to a request ----

/// Who the case's Authorization header names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Agent,
    Unauthorised,
    OtherAgent,
    NotAnAgent,
    Unsubscribed,
}

struct Built {
    request: Request,
    caller: Caller,
    /// The invitation id the path names (as sent), and whether it is one of the world's.
    id: Option<(String, bool)>,
    own_arn: bool,
}

fn build(world: &World, fixtures: &Fixtures, case: &Case) -> Built {
    let agent = &world.agents[case.agent % world.agents.len()];
    let other = &world.agents[(case.agent + 1) % world.agents.len()];
    let malformed = case.malformed.as_ref();
    let arn = if case.arn == "$own" {
        agent.arn.clone()
    } else {
        case.arn.clone()
    };
    let arn = malformed::raw_segment(&arn, Segment::Arn, malformed);
    let id = if let Some(index) = case.id.strip_prefix("$real:") {
        let index: usize = index.parse().unwrap_or(0);
        let (owner, id) = &world.invitations[index % world.invitations.len()];
        (id.clone(), *owner == case.agent % world.agents.len())
    } else if let Some(seed) = case.id.strip_prefix("$unknown:") {
        (world.unknown_invitation_id(seed), false)
    } else {
        (case.id.clone(), false)
    };
    let id = (malformed::raw_segment(&id.0, Segment::Id, malformed), id.1);
    let path = path(
        case.op,
        &malformed::segment(&arn, Segment::Arn, malformed),
        &malformed::segment(&id.0, Segment::Id, malformed),
    );
    let mut request = Request::new(method(case.op), path);
    let mut caller = Caller::Agent;
    if case.op.is_v2() {
        if let Some(accept) = &case.accept {
            request = request.header("Accept", accept.as_str());
        }
        let (header, who) = authorization(&case.auth, agent, other, fixtures);
        // A header value reqwest cannot send is left out (the case is then "no token").
        let header = header.filter(|h| reqwest::header::HeaderValue::from_str(h).is_ok());
        caller = if header.is_none() {
            Caller::Unauthorised
        } else {
            who
        };
        request = request.set_header("Authorization", header);
    } else {
        request = request.header("Accept", "application/json");
        if matches!(case.op, Op::Accept | Op::Reject | Op::Expire) {
            // Test support answers for the request's agent (another agent's request is refused).
            request = request.bearer(&agent.token);
        }
    }
    match &case.body {
        Some(Body::Json(value)) => request = request.json(&world.fill_json(value)),
        Some(Body::Bytes(text)) => request = request.bytes(text.clone().into_bytes()),
        None => {}
    }
    let request = malformed::apply(request, malformed);
    let names_id = matches!(
        case.op,
        Op::Get | Op::Cancel | Op::Accept | Op::Reject | Op::Expire
    );
    Built {
        request,
        caller,
        id: names_id.then_some(id),
        own_arn: arn == agent.arn,
    }
}

/// The path of an operation for an ARN and invitation id, each a path segment as sent.
fn path(op: Op, arn: &str, id: &str) -> String {
    match op {
        Op::Create | Op::List => invitations_path(arn),
        Op::Get | Op::Cancel => invitation_path(arn, id),
        Op::Check => format!("/agents/{arn}/relationships"),
        Op::Deauthorise => format!("/agents/{arn}/deauthorise-client"),
        Op::Accept | Op::Reject => format!("/agent-authorisation-test-support/invitations/{id}"),
        Op::Expire => format!("/agent-authorisation-test-support/invitations/{id}/expire"),
        Op::CreateTestAgent => "/create-test-user/agents".into(),
        Op::CreateTestIndividual => "/create-test-user/individuals".into(),
        Op::CreateTestOrganisation => "/create-test-user/organisations".into(),
    }
}

fn method(op: Op) -> &'static str {
    match op {
        Op::Create
        | Op::Check
        | Op::CreateTestAgent
        | Op::CreateTestIndividual
        | Op::CreateTestOrganisation => "POST",
        Op::Get | Op::List => "GET",
        Op::Cancel | Op::Reject => "DELETE",
        Op::Deauthorise | Op::Accept | Op::Expire => "PUT",
    }
}

/// The Authorization header a case's `auth` names, and who that is.
fn authorization(
    auth: &str,
    agent: &Agent,
    other: &Agent,
    fixtures: &Fixtures,
) -> (Option<String>, Caller) {
    match auth {
        "$agent" => (Some(format!("Bearer {}", agent.token)), Caller::Agent),
        "$none" => (None, Caller::Unauthorised),
        "$expired" => (
            Some(format!("Bearer {}", fixtures.expired.token)),
            Caller::Unauthorised,
        ),
        "$other-agent" => (Some(format!("Bearer {}", other.token)), Caller::OtherAgent),
        "$individual" => (
            Some(format!("Bearer {}", fixtures.individual.token)),
            Caller::NotAnAgent,
        ),
        "$unsubscribed" => (
            Some(format!("Bearer {}", fixtures.unsubscribed.token)),
            Caller::Unsubscribed,
        ),
        raw => (Some(raw.to_owned()), Caller::Unauthorised),
    }
}

// ---- the oracle ----

/// The entries of one operation, named by example name or status.
struct Entries(String);

impl Entries {
    fn one(&self, name: &str) -> Vec<String> {
        vec![format!("{}/{name}", self.0)]
    }

    fn many(&self, names: &[&str]) -> Vec<String> {
        names.iter().map(|n| format!("{}/{n}", self.0)).collect()
    }
}

/// The documented responses a case may get (any one of them), by example name or status.
fn expected(world: &World, case: &Case, built: &Built) -> Vec<String> {
    let entries = entries_for(case, built);
    if let Some(refused) = refused_form(case, built, &entries) {
        return refused;
    }
    // A body the server cannot read (not one JSON value, a `null`, a NUL) stands for any body of the wrong shape.
    let body: Option<Value> = built
        .request
        .body
        .as_ref()
        .map(|b| malformed::readable_body(b).unwrap_or(json!("\u{0}not json")));
    let payload = match case.op {
        Op::Create => Some(Payload::Create),
        Op::Check => Some(Payload::Check),
        Op::Deauthorise => Some(Payload::Deauthorise),
        _ => None,
    };
    let judged = payload.map(|p| judge(p, body.as_ref().unwrap_or(&Value::Null)));
    if let Some(Err("BAD_REQUEST")) = judged {
        return entries.one("400/BAD_REQUEST");
    }
    if case.op.is_v2()
        && let Some(refused) = refused_caller_or_id(built, &entries)
    {
        return refused;
    }
    match case.op {
        Op::Create | Op::Check | Op::Deauthorise => match judged {
            Some(Ok(valid)) => payload_answers(world, case.op, &valid, &entries),
            Some(Err(name)) => entries.one(&format!("400/{name}")),
            None => Vec::new(),
        },
        Op::List => entries.many(&["200", "204"]),
        Op::Get | Op::Cancel => {
            let (_, ours) = built.id.clone().unwrap_or_default();
            let real = case.id.starts_with("$real:");
            match (real, ours, case.op) {
                (true, true, Op::Get) => entries.one("200"),
                (true, true, _) => entries.many(&["204", "403/INVALID_INVITATION_STATUS"]),
                (true, false, _) => entries.one("403/NO_PERMISSION_ON_AGENCY"),
                (false, _, _) => entries.one("404/INVITATION_NOT_FOUND"),
            }
        }
        Op::Accept | Op::Reject | Op::Expire => {
            let (id, ours) = built.id.clone().unwrap_or_default();
            if !reference::is_invitation_id(&id) {
                entries.one("400/BAD_REQUEST")
            } else if !case.id.starts_with("$real:") {
                entries.one("404/INVITATION_NOT_FOUND")
            } else if ours {
                entries.many(&["204", "409/INVALID_INVITATION_STATUS"])
            } else {
                entries.one("403/NO_PERMISSION")
            }
        }
        Op::CreateTestAgent | Op::CreateTestIndividual | Op::CreateTestOrganisation => {
            test_user_answers(case.op, body.as_ref(), &entries)
        }
    }
}

/// A v2 case refused for its caller or a malformed invitation id, if it is.
fn refused_caller_or_id(built: &Built, entries: &Entries) -> Option<Vec<String>> {
    let auth_error = match (built.caller, built.own_arn) {
        (Caller::Unauthorised, _) => Some("401/UNAUTHORIZED"),
        (Caller::NotAnAgent, _) => Some("403/NOT_AN_AGENT"),
        (Caller::Unsubscribed, _) => Some("403/AGENT_NOT_SUBSCRIBED"),
        (Caller::OtherAgent, _) | (Caller::Agent, false) => Some("403/NO_PERMISSION_ON_AGENCY"),
        (Caller::Agent, true) => None,
    };
    let malformed_id = built
        .id
        .as_ref()
        .is_some_and(|(id, _)| !reference::is_invitation_id(id));
    match (auth_error, malformed_id) {
        // The contract does not order a malformed id against the caller's checks: either answer is right.
        (Some(auth), true) => Some(entries.many(&[auth, "400/BAD_REQUEST"])),
        (Some(auth), false) => Some(entries.one(auth)),
        (None, true) => Some(entries.one("400/BAD_REQUEST")),
        (None, false) => None,
    }
}

/// The versions whose Accept header an operation serves: 1.0 serves the 2.0 operations on the same paths,
/// deauthorise excepted.
fn versions(op: Op) -> &'static [&'static str] {
    match op {
        Op::Deauthorise => &["2.0"],
        _ => &["2.0", "1.0"],
    }
}

/// The entries a case proves: 1.0's when it asks for 1.0 of an operation 1.0 serves.
fn entries_for(case: &Case, built: &Built) -> Entries {
    let accept = built.request.header_value("Accept");
    let as_1_0 = case.op.is_v2() && reference::accept_version(accept) == Some("1.0".into());
    if as_1_0 && versions(case.op).contains(&"1.0") {
        Entries(format!("{}_v1", case.op.id()))
    } else {
        Entries(case.op.id().to_owned())
    }
}

/// A case refused for the form of its request before its body is read, in the server's order: a path that does
/// not decode to UTF-8, then the Accept header, a NUL byte or a malformed escape in the path, a body declared as
/// another type than JSON.
fn refused_form(case: &Case, built: &Built, entries: &Entries) -> Option<Vec<String>> {
    let fault = malformed::path_fault(&built.request.path);
    if fault == Some(PathFault::NotUtf8) {
        return Some(entries.one("400/BAD_REQUEST"));
    }
    if case.op.is_v2()
        && let Some(name) = judge_accept(built.request.header_value("Accept"), versions(case.op))
    {
        let status = if name.starts_with("ACCEPT") { 406 } else { 400 };
        return Some(entries.one(&format!("{status}/{name}")));
    }
    if fault == Some(PathFault::Unstorable) {
        return Some(entries.one("400/BAD_REQUEST"));
    }
    if built.request.body.is_some() && !malformed::json_content_type(&built.request) {
        return Some(entries.one("400/BAD_REQUEST_CONTENT_TYPE"));
    }
    None
}

/// The answers to a valid create, check or deauthorise body: by the client's record, then its state.
fn payload_answers(
    world: &World,
    op: Op,
    valid: &reference::Valid,
    entries: &Entries,
) -> Vec<String> {
    let income_tax = valid.service != reference::Service::Vat;
    let record: Option<(String, bool)> = if income_tax {
        world.itsa_fact(&valid.client_id).map(|f| (f, false))
    } else {
        world.vat_fact(&valid.client_id)
    };
    if op == Op::Deauthorise {
        return entries.many(&["204", "403/NO_RELATIONSHIP"]);
    }
    let Some((fact, insolvent)) = record else {
        // An identical create in flight (generated cases run concurrently) is met before the record is looked up.
        return match op {
            Op::Create => entries.many(&[
                "403/CLIENT_REGISTRATION_NOT_FOUND",
                "403/ALREADY_BEING_PROCESSED",
            ]),
            _ => entries.one("403/CLIENT_REGISTRATION_NOT_FOUND"),
        };
    };
    let mismatch = valid.known_fact.as_deref() != Some(fact.as_str());
    let state = if op == Op::Create {
        &[
            "204",
            "403/DUPLICATE_AUTHORISATION_REQUEST",
            "403/ALREADY_AUTHORISED",
            "403/ALREADY_BEING_PROCESSED",
        ][..]
    } else {
        &["204", "404/RELATIONSHIP_NOT_FOUND"][..]
    };
    let mismatch_error = if income_tax {
        "403/POSTCODE_DOES_NOT_MATCH"
    } else {
        "403/VAT_REG_DATE_DOES_NOT_MATCH"
    };
    // A create says the client is insolvent first; a check only to a caller who knows the known fact.
    let mut allowed: Vec<&str> = match (insolvent, mismatch, op) {
        (true, true, Op::Check) => vec![mismatch_error],
        (true, _, _) => vec!["403/VAT_CLIENT_INSOLVENT"],
        (false, true, _) => vec![mismatch_error],
        (false, false, _) => state.to_vec(),
    };
    if op == Op::Create && !allowed.contains(&"204") {
        // An identical create in flight (generated cases run concurrently) and a pending request are both found
        // before the client's record is checked.
        allowed.push("403/DUPLICATE_AUTHORISATION_REQUEST");
        allowed.push("403/ALREADY_BEING_PROCESSED");
    }
    entries.many(&allowed)
}

/// The answers to a Create Test User body.
fn test_user_answers(op: Op, body: Option<&Value>, entries: &Entries) -> Vec<String> {
    let allowed: &[&str] = match op {
        Op::CreateTestAgent => &["agent-services"],
        Op::CreateTestIndividual => &[
            "national-insurance",
            "self-assessment",
            "mtd-income-tax",
            "mtd-vat",
        ],
        _ => &["mtd-vat"],
    };
    let Some(Value::Object(map)) = body else {
        return entries.one("400/BAD_REQUEST");
    };
    let names = match map.get("serviceNames") {
        Some(Value::Array(names)) if names.iter().all(Value::is_string) => names,
        _ => return entries.one("400/BAD_REQUEST"),
    };
    let lifetime_ok = match map.get("tokenLifetimeSeconds") {
        None => true,
        Some(v) => match v.as_i64() {
            Some(n) => n >= 0,
            None => return entries.one("400/BAD_REQUEST"),
        },
    };
    if op == Op::CreateTestOrganisation && map.get("insolvent").is_some_and(|v| !v.is_boolean()) {
        return entries.one("400/BAD_REQUEST");
    }
    let names_ok = names
        .iter()
        .all(|n| allowed.contains(&n.as_str().unwrap_or_default()));
    match (lifetime_ok, names_ok) {
        (true, true) => entries.one("201"),
        (true, false) => entries.one("400/SERVICE_NAME_NOT_SUPPORTED"),
        (false, true) => entries.one("400/BAD_REQUEST"),
        (false, false) => entries.many(&["400/BAD_REQUEST", "400/SERVICE_NAME_NOT_SUPPORTED"]),
    }
}

/// Judges an answer: the entry it proves, or what is wrong with it.
fn judge_answer(
    h: &Harness,
    case: &Case,
    allowed: &[String],
    exchange: &Exchange,
) -> Result<String, String> {
    let op = case.op.id();
    let status = exchange.status();
    if status >= 500 {
        return Err(format!(
            "{op}: a {status} for a client's input (never a 5xx): {}",
            exchange.summary()
        ));
    }
    let mut problems = Vec::new();
    for id in allowed {
        let Some(entry) = h.ledger.entry(id) else {
            continue;
        };
        match h.ledger.verify(entry, exchange) {
            Ok(()) => return Ok(id.clone()),
            Err(problem) => problems.push(format!("{id}: {problem}")),
        }
    }
    let documented = !h
        .ledger
        .entries_for(op, status, exchange.code().as_deref())
        .is_empty();
    let verdict = if allowed
        .iter()
        .all(|a| !a.ends_with("/200") && !a.ends_with("/201") && !a.ends_with("/204"))
        && (200..300).contains(&status)
    {
        "a success for an input the contract calls invalid"
    } else if documented {
        "a documented answer, but not the one the contract's rules give for this input"
    } else {
        "an answer the contract does not document for this operation"
    };
    Err(format!(
        "{op}: {verdict}: expected one of [{}], got {}\n      {}",
        allowed.join(", "),
        exchange.summary(),
        problems.join("\n      ")
    ))
}

/// Runs one case: Ok(entry proved) or Err(message).
async fn run_case(
    h: &Harness,
    world: &World,
    case: &Case,
) -> Result<(String, Exchange), (String, Option<Exchange>)> {
    let built = build(world, &h.fixtures, case);
    let allowed = expected(world, case, &built);
    let exchange = match h.send(built.request).await {
        Ok(exchange) => exchange,
        Err(error) => {
            return Err((
                format!("{}: the request failed: {error:#}", case.op.id()),
                None,
            ));
        }
    };
    match judge_answer(h, case, &allowed, &exchange) {
        Ok(entry) => Ok((entry, exchange)),
        Err(message) => Err((message, Some(exchange))),
    }
}

/// A failing case, shrunk.
#[derive(Debug, Clone)]
pub struct GeneratedFailure {
    pub index: u64,
    pub message: String,
    pub case: String,
    pub curl: Option<String>,
    pub entry: Option<String>,
}

/// Draws and runs `h.config.cases` cases (for operations whose entries are selected); answers the failures.
pub async fn run(h: Arc<Harness>) -> Result<Vec<GeneratedFailure>> {
    let selected: Vec<Op> = Op::ALL
        .into_iter()
        .filter(|op| {
            h.ledger
                .entries()
                .iter()
                .any(|e| e.operation == op.id() && h.ledger.is_selected(&e.id))
        })
        .collect();
    if selected.is_empty() || h.config.cases == 0 {
        return Ok(Vec::new());
    }
    let world = Arc::new(World::create(&h).await?);
    let strategy = case().prop_filter("operation selected", {
        let selected = selected.clone();
        move |case| selected.contains(&case.op)
    });
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig::default(),
        TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &seed_bytes(h.config.seed),
        ),
    );
    let mut trees = Vec::new();
    for _ in 0..h.config.cases {
        trees.push(
            strategy
                .new_tree(&mut runner)
                .map_err(|e| anyhow::anyhow!("drawing a case: {e}"))?,
        );
    }
    h.progress
        .cases_total
        .store(trees.len() as u64, Ordering::Relaxed);
    let cases: Vec<(usize, Case)> = trees.iter().map(|t| t.current()).enumerate().collect();
    let results = run_cases(&h, &world, cases).await;
    let (failures, by_operation) = failures(&h, &world, &mut trees, results).await;
    record(&h, &failures, by_operation);
    Ok(failures)
}

/// Runs the cases concurrently: (index, outcome) each.
async fn run_cases(
    h: &Arc<Harness>,
    world: &Arc<World>,
    cases: Vec<(usize, Case)>,
) -> Vec<(usize, CaseOutcome)> {
    futures::stream::iter(cases)
        .map(|(index, case)| {
            let h = h.clone();
            let world = world.clone();
            async move {
                let result = run_case(&h, &world, &case).await;
                h.progress.cases_done.fetch_add(1, Ordering::Relaxed);
                (index, result)
            }
        })
        .buffer_unordered(h.config.concurrency)
        .collect()
        .await
}

/// Records each passing case against its entry; shrinks the first two failures per operation and counts the
/// rest (answered by operation).
async fn failures<T: ValueTree<Value = Case>>(
    h: &Harness,
    world: &World,
    trees: &mut [T],
    results: Vec<(usize, CaseOutcome)>,
) -> (Vec<GeneratedFailure>, BTreeMap<&'static str, usize>) {
    let mut failures = Vec::new();
    let mut by_operation: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (index, result) in results {
        match result {
            Ok((entry, exchange)) => {
                let _ = h.ledger.check(&entry, SOURCE, &exchange);
            }
            Err(_) => {
                let op = trees[index].current().op.id();
                let count = by_operation.entry(op).or_default();
                *count += 1;
                // Shrink the first few failures per operation; the rest are counted.
                if *count > 2 {
                    h.progress.failures.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let failure = shrink(h, world, &mut trees[index], index as u64).await;
                h.progress.failures.fetch_add(1, Ordering::Relaxed);
                failures.push(failure);
            }
        }
    }
    (failures, by_operation)
}

/// Records the shrunk failures against their entries (or as findings), with what replays them, and how many more
/// failed per operation.
fn record(h: &Harness, failures: &[GeneratedFailure], by_operation: BTreeMap<&'static str, usize>) {
    for failure in failures {
        let message = format!(
            "{}\n      generated case #{} (seed {}), shrunk to: {}\n      repeat:   {}\n      replay:   --seed {} --cases {}",
            failure.message,
            failure.index,
            h.config.seed,
            failure.case,
            failure.curl.clone().unwrap_or_default(),
            h.config.seed,
            h.config.cases
        );
        match &failure.entry {
            Some(entry) => h.ledger.fail(entry, SOURCE, message),
            None => h.ledger.finding(
                failure.message.split(':').next().unwrap_or_default(),
                SOURCE,
                message,
            ),
        }
    }
    for (op, count) in by_operation {
        if count > 2 {
            h.ledger.finding(
                op,
                SOURCE,
                format!(
                    "{op}: {} more generated cases failed like those above",
                    count - 2
                ),
            );
        }
    }
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(
            &(seed
                .wrapping_add(i as u64)
                .wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .to_le_bytes(),
        );
    }
    bytes
}

/// Shrinks a failing case with proptest's value tree: simpler while it still fails (proptest's own loop: a
/// passing simplification is complicated back, a failing one is kept and simplified further).
async fn shrink<T: ValueTree<Value = Case>>(
    h: &Harness,
    world: &World,
    tree: &mut T,
    index: u64,
) -> GeneratedFailure {
    let mut minimal = tree.current();
    let mut failure = match run_case(h, world, &minimal).await {
        Err(failure) => failure,
        Ok(_) => (
            "a failing case that passed when repeated (a race?)".into(),
            None,
        ),
    };
    let mut steps = 0;
    if failure.1.is_some() && tree.simplify() {
        while steps < 256 {
            steps += 1;
            let case = tree.current();
            match run_case(h, world, &case).await {
                Err(found) => {
                    minimal = case;
                    failure = found;
                    if !tree.simplify() {
                        break;
                    }
                }
                Ok(_) => {
                    if !tree.complicate() {
                        break;
                    }
                }
            }
        }
    }
    // The entry the case should have proved, when the oracle names exactly one.
    let built = build(world, &h.fixtures, &minimal);
    let allowed = expected(world, &minimal, &built);
    GeneratedFailure {
        index,
        entry: (allowed.len() == 1).then(|| allowed[0].clone()),
        message: failure.0,
        case: format!("{minimal:?}"),
        curl: failure.1.map(|e| e.curl()),
    }
}
