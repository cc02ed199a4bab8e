//! Model-based sequences (proptest-state-machine): random sequences of create / cancel / accept / reject /
//! expire / check / deauthorise / get / list across three agents and three clients (signed up to MTD IT, an
//! "alternative ITSA" client, a VAT customer), each step checked against a small reference model of docs/domain.md
//! §6–7. A failing sequence is shrunk to a minimal one and printed step by step, with curl commands.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Result, anyhow};
use futures::StreamExt;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, TestRng, TestRunner};
use proptest_state_machine::ReferenceStateMachine;
use serde_json::Value;

use crate::harness::*;
use crate::sandbox::{Agent, Individual, Organisation};
use crate::scenarios::agent_authorisation_v2::{cancel, check, create, deauthorise, get, list};
use crate::scenarios::views::invitation_problems;

pub const AGENTS: usize = 3;
/// Client 0 is signed up to MTD IT, client 1 is an alternative ITSA client (NINO only), client 2 a VAT customer.
pub const CLIENTS: usize = 3;
const SOURCE: &str = "model-based sequences";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    ItsaMain,
    ItsaSupporting,
    Vat,
}

impl Service {
    fn for_client(client: usize, supporting: bool) -> Self {
        match (client, supporting) {
            (2, _) => Service::Vat,
            (_, false) => Service::ItsaMain,
            (_, true) => Service::ItsaSupporting,
        }
    }

    fn group(self) -> u8 {
        if self == Service::Vat { 1 } else { 0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Accepted,
    Partialauth,
    Rejected,
    Cancelled,
    Expired,
    Deauthorised,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "Pending",
            Status::Accepted => "Accepted",
            Status::Partialauth => "Partialauth",
            Status::Rejected => "Rejected",
            Status::Cancelled => "Cancelled",
            Status::Expired => "Expired",
            Status::Deauthorised => "Deauthorised",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Invitation {
    pub agent: usize,
    pub client: usize,
    pub service: Service,
    pub status: Status,
}

/// The reference model: requests and active relationships.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub invitations: Vec<Invitation>,
    /// (agent, client, service) → the request that created it.
    pub relationships: BTreeMap<(usize, usize, Service), usize>,
}

#[derive(Debug, Clone)]
pub enum Step {
    Create {
        agent: usize,
        client: usize,
        supporting: bool,
    },
    Cancel {
        invitation: usize,
    },
    Accept {
        invitation: usize,
    },
    Reject {
        invitation: usize,
    },
    Expire {
        invitation: usize,
    },
    Check {
        agent: usize,
        client: usize,
        supporting: bool,
    },
    Deauthorise {
        agent: usize,
        client: usize,
        agent_type: Option<bool>,
    },
    Get {
        invitation: usize,
    },
    List {
        agent: usize,
    },
}

/// What the model says a step must get: the ledger entry (`operation/status[/EXAMPLE]`).
impl Model {
    fn pending(&self, agent: usize, client: usize, service: Service) -> Option<usize> {
        self.invitations.iter().position(|i| {
            i.agent == agent
                && i.client == client
                && i.service.group() == service.group()
                && i.status == Status::Pending
        })
    }

    /// Ends relationships, marking their requests Deauthorised.
    fn end(&mut self, keys: Vec<(usize, usize, Service)>) {
        for key in keys {
            if let Some(invitation) = self.relationships.remove(&key) {
                self.invitations[invitation].status = Status::Deauthorised;
            }
        }
    }

    /// Applies a step; answers the entry it must get.
    pub fn step(&mut self, step: &Step) -> &'static str {
        match *step {
            Step::Create {
                agent,
                client,
                supporting,
            } => self.create(agent, client, Service::for_client(client, supporting)),
            Step::Cancel { invitation } => self.cancel(invitation),
            Step::Accept { invitation } => self.accept(invitation),
            Step::Reject { invitation } => self.reject(invitation),
            Step::Expire { invitation } => self.expire(invitation),
            Step::Check {
                agent,
                client,
                supporting,
            } => {
                if self.relationships.contains_key(&(
                    agent,
                    client,
                    Service::for_client(client, supporting),
                )) {
                    "check_relationship/204"
                } else {
                    "check_relationship/404/RELATIONSHIP_NOT_FOUND"
                }
            }
            Step::Deauthorise {
                agent,
                client,
                agent_type,
            } => self.deauthorise(agent, client, agent_type),
            Step::Get { .. } => "get_invitation/200",
            Step::List { agent } => {
                if self.invitations.iter().any(|i| i.agent == agent) {
                    "list_invitations/200"
                } else {
                    "list_invitations/204"
                }
            }
        }
    }

    fn create(&mut self, agent: usize, client: usize, service: Service) -> &'static str {
        if self.pending(agent, client, service).is_some() {
            return "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST";
        }
        if self.relationships.contains_key(&(agent, client, service)) {
            return "create_invitation/403/ALREADY_AUTHORISED";
        }
        self.invitations.push(Invitation {
            agent,
            client,
            service,
            status: Status::Pending,
        });
        "create_invitation/204"
    }

    fn cancel(&mut self, invitation: usize) -> &'static str {
        let i = &mut self.invitations[invitation];
        if i.status != Status::Pending {
            return "cancel_invitation/403/INVALID_INVITATION_STATUS";
        }
        i.status = Status::Cancelled;
        "cancel_invitation/204"
    }

    /// Accepting ends the client's relationship with any other agent for the service (but supporting agents
    /// do not replace each other), and the agent's other MTD-IT relationship with the client.
    fn accept(&mut self, invitation: usize) -> &'static str {
        let Invitation {
            agent,
            client,
            service,
            status,
        } = self.invitations[invitation].clone();
        match status {
            Status::Accepted | Status::Partialauth => return "accept_invitation/204",
            Status::Pending => {}
            _ => return "accept_invitation/409/INVALID_INVITATION_STATUS",
        }
        let mut ended = Vec::new();
        if service != Service::ItsaSupporting {
            ended.extend(
                self.relationships
                    .keys()
                    .filter(|k| k.0 != agent && k.1 == client && k.2 == service)
                    .copied(),
            );
        }
        let counterpart = match service {
            Service::ItsaMain => Some(Service::ItsaSupporting),
            Service::ItsaSupporting => Some(Service::ItsaMain),
            Service::Vat => None,
        };
        if let Some(counterpart) = counterpart {
            ended.push((agent, client, counterpart));
        }
        self.end(ended);
        self.invitations[invitation].status = if client == 1 {
            Status::Partialauth
        } else {
            Status::Accepted
        };
        self.relationships
            .insert((agent, client, service), invitation);
        "accept_invitation/204"
    }

    fn reject(&mut self, invitation: usize) -> &'static str {
        let i = &mut self.invitations[invitation];
        match i.status {
            Status::Pending => i.status = Status::Rejected,
            Status::Rejected => {}
            _ => return "reject_invitation/409/INVALID_INVITATION_STATUS",
        }
        "reject_invitation/204"
    }

    fn expire(&mut self, invitation: usize) -> &'static str {
        let i = &mut self.invitations[invitation];
        match i.status {
            Status::Pending => i.status = Status::Expired,
            // Expiring an expired request again changes nothing.
            Status::Expired => {}
            _ => return "expire_invitation/409/INVALID_INVITATION_STATUS",
        }
        "expire_invitation/204"
    }

    /// Without an agent type, an MTD-IT deauthorisation ends main and supporting alike.
    fn deauthorise(
        &mut self,
        agent: usize,
        client: usize,
        agent_type: Option<bool>,
    ) -> &'static str {
        let services = match (client, agent_type) {
            (2, _) => vec![Service::Vat],
            (_, None) => vec![Service::ItsaMain, Service::ItsaSupporting],
            (_, Some(supporting)) => vec![Service::for_client(client, supporting)],
        };
        let keys: Vec<_> = services
            .iter()
            .map(|s| (agent, client, *s))
            .filter(|k| self.relationships.contains_key(k))
            .collect();
        if keys.is_empty() {
            return "deauthorise_client/403/NO_RELATIONSHIP";
        }
        self.end(keys);
        "deauthorise_client/204"
    }
}

/// The proptest-state-machine reference: generates steps that fit the model's state.
pub struct Reference;

impl ReferenceStateMachine for Reference {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::default()).boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Step> {
        let agent = 0..AGENTS;
        let client = 0..CLIENTS;
        let creates = (agent.clone(), client.clone(), any::<bool>())
            .prop_map(|(agent, client, supporting)| Step::Create {
                agent,
                client,
                supporting,
            })
            .boxed();
        let checks = (agent.clone(), client.clone(), any::<bool>()).prop_map(
            |(agent, client, supporting)| Step::Check {
                agent,
                client,
                supporting,
            },
        );
        let deauths = (
            agent.clone(),
            client.clone(),
            proptest::option::of(any::<bool>()),
        )
            .prop_map(|(agent, client, agent_type)| Step::Deauthorise {
                agent,
                client,
                agent_type,
            });
        let lists = agent.prop_map(|agent| Step::List { agent });
        if state.invitations.is_empty() {
            return prop_oneof![4 => creates, 1 => checks, 1 => deauths, 1 => lists].boxed();
        }
        let n = state.invitations.len();
        let on = |make: fn(usize) -> Step| (0..n).prop_map(make);
        prop_oneof![
            4 => creates,
            1 => on(|invitation| Step::Cancel { invitation }),
            4 => on(|invitation| Step::Accept { invitation }),
            1 => on(|invitation| Step::Reject { invitation }),
            1 => on(|invitation| Step::Expire { invitation }),
            2 => checks,
            2 => deauths,
            1 => on(|invitation| Step::Get { invitation }),
            1 => lists,
        ]
        .boxed()
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        state.step(step);
        state
    }

    fn preconditions(state: &Model, step: &Step) -> bool {
        match *step {
            Step::Cancel { invitation }
            | Step::Accept { invitation }
            | Step::Reject { invitation }
            | Step::Expire { invitation }
            | Step::Get { invitation } => invitation < state.invitations.len(),
            _ => true,
        }
    }
}

/// The world one sequence runs in: fresh agents and clients of its own.
struct World {
    agents: Vec<Agent>,
    itsa: Individual,
    alt: Individual,
    vat: Organisation,
}

impl World {
    async fn create(h: &Harness) -> Result<Self> {
        let s = &h.sandbox;
        let (a, b, c, itsa, alt, vat) = tokio::try_join!(
            s.agent(),
            s.agent(),
            s.agent(),
            s.itsa_client(),
            s.alt_itsa_client(),
            s.vat_client(false)
        )?;
        Ok(Self {
            agents: vec![a, b, c],
            itsa,
            alt,
            vat,
        })
    }

    fn body(&self, client: usize, agent_type: Option<&str>) -> Value {
        match client {
            0 => itsa_body(&self.itsa, agent_type),
            1 => itsa_body(&self.alt, agent_type),
            _ => vat_body(&self.vat),
        }
    }
}

fn support(method: &str, id: &str, suffix: &str) -> crate::http::Request {
    crate::http::Request::new(
        method,
        format!("/agent-authorisation-test-support/invitations/{id}{suffix}"),
    )
}

/// Where a sequence disagreed: the step's index, what disagreed, and the transcript up to it.
type Disagreement = (usize, String, Vec<String>);

/// Runs a sequence against the server; Err(step index, message, transcript) at the first disagreement.
async fn run_sequence(
    h: &Harness,
    steps: &[Step],
    seen: Option<&Arc<AtomicUsize>>,
) -> Result<(), Disagreement> {
    let world = World::create(h).await.map_err(|e| {
        (
            0,
            format!("setting up the sequence's test users: {e:#}"),
            Vec::new(),
        )
    })?;
    let mut model = Model::default();
    let mut ids: Vec<String> = Vec::new();
    let mut transcript = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        if let Some(seen) = seen {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        if !Reference::preconditions(&model, step) {
            continue;
        }
        let before = model.clone();
        let expected = model.step(step);
        let request = world.request(step, &before, &ids);
        h.progress.steps.fetch_add(1, Ordering::Relaxed);
        let exchange = h
            .send(request)
            .await
            .map_err(|e| (index, format!("{e:#}"), transcript.clone()))?;
        transcript.push(format!(
            "step {}: {step:?}\n        expected {expected}, got {}\n        {}",
            index + 1,
            exchange.summary(),
            exchange.curl()
        ));
        let answer = Answer {
            expected,
            exchange: &exchange,
            before: &before,
            model: &model,
            world: &world,
        };
        answer
            .agrees(h, step, &mut ids)
            .map_err(|message| (index, message, transcript.clone()))?;
    }
    Ok(())
}

impl World {
    /// The request of a step; `before` is the model before it, `ids` the server's ids of its requests.
    fn request(&self, step: &Step, before: &Model, ids: &[String]) -> crate::http::Request {
        let agent_type = |client: usize, supporting: bool| {
            (client != 2).then_some(if supporting { "supporting" } else { "main" })
        };
        match *step {
            Step::Create {
                agent,
                client,
                supporting,
            } => create(
                &self.agents[agent],
                &self.body(client, agent_type(client, supporting)),
            ),
            Step::Cancel { invitation } => cancel(
                &self.agents[before.invitations[invitation].agent],
                &ids[invitation],
            ),
            // Test support, as the request's agent.
            Step::Accept { invitation } => support("PUT", &ids[invitation], "")
                .bearer(&self.agents[before.invitations[invitation].agent].token),
            Step::Reject { invitation } => support("DELETE", &ids[invitation], "")
                .bearer(&self.agents[before.invitations[invitation].agent].token),
            Step::Expire { invitation } => support("PUT", &ids[invitation], "/expire")
                .bearer(&self.agents[before.invitations[invitation].agent].token),
            Step::Check {
                agent,
                client,
                supporting,
            } => check(
                &self.agents[agent],
                &check_body(&self.body(client, agent_type(client, supporting))),
            ),
            Step::Deauthorise {
                agent,
                client,
                agent_type,
            } => {
                let agent_type = agent_type
                    .filter(|_| client != 2)
                    .map(|s| if s { "supporting" } else { "main" });
                deauthorise(
                    &self.agents[agent],
                    &deauth_body(&self.body(client, agent_type)),
                )
            }
            Step::Get { invitation } => get(
                &self.agents[before.invitations[invitation].agent],
                &ids[invitation],
            ),
            Step::List { agent } => list(&self.agents[agent]),
        }
    }
}

/// The server's answer to one step, and what the model says of it.
struct Answer<'a> {
    /// The entry the model expects.
    expected: &'static str,
    exchange: &'a crate::http::Exchange,
    /// The model before the step, and after it.
    before: &'a Model,
    model: &'a Model,
    world: &'a World,
}

impl Answer<'_> {
    /// Whether the answer is the entry the model expects, and what it says agrees with the model too; a create's
    /// id is added to `ids`.
    fn agrees(&self, h: &Harness, step: &Step, ids: &mut Vec<String>) -> Result<(), String> {
        let expected = self.expected;
        let Some(entry) = h.ledger.entry(expected) else {
            return Err(format!(
                "the model expects {expected}, which the ledger lacks"
            ));
        };
        if let Err(problem) = h.ledger.verify(entry, self.exchange) {
            return Err(format!("{expected}: {problem}"));
        }
        let _ = h.ledger.check(expected, SOURCE, self.exchange);
        // What the answer says must agree with the model too.
        match *step {
            Step::Create {
                agent,
                client,
                supporting,
            } => self.created(ids, agent, client, Service::for_client(client, supporting)),
            Step::Get { invitation } => self.read(ids, invitation),
            Step::List { agent } => self.listed(ids, agent),
            _ => Ok(()),
        }
    }

    /// A create's Location names the new request, or for a duplicate the pending one.
    fn created(
        &self,
        ids: &mut Vec<String>,
        agent: usize,
        client: usize,
        service: Service,
    ) -> Result<(), String> {
        let expected = self.expected;
        let location = self
            .exchange
            .response
            .header("location")
            .unwrap_or_default()
            .to_owned();
        let id = location.rsplit('/').next().unwrap_or_default().to_owned();
        if expected == "create_invitation/204" {
            ids.push(id);
        } else if expected == "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST" {
            let pending = self.before.pending(agent, client, service).unwrap_or(0);
            if id != ids[pending] {
                return Err(format!(
                    "{expected}: Location names {location:?}, not the pending request {}",
                    ids[pending]
                ));
            }
        }
        Ok(())
    }

    /// A read says what the model says of the request.
    fn read(&self, ids: &[String], invitation: usize) -> Result<(), String> {
        let i = &self.model.invitations[invitation];
        let (service, agent_type) = match i.service {
            Service::ItsaMain => ("MTD-IT", Some("main")),
            Service::ItsaSupporting => ("MTD-IT", Some("supporting")),
            Service::Vat => ("MTD-VAT", None),
        };
        let problems = invitation_problems(
            &self.exchange.json().unwrap_or_default(),
            &self.world.agents[i.agent].arn,
            &ids[invitation],
            service,
            agent_type,
            i.status.as_str(),
        );
        if problems.is_empty() {
            return Ok(());
        }
        Err(format!(
            "get_invitation/200: the model says {}: {}",
            i.status.as_str(),
            problems.join("; ")
        ))
    }

    /// A list names the agent's requests and their statuses, as the model does (in any order).
    fn listed(&self, ids: &[String], agent: usize) -> Result<(), String> {
        let listed: Vec<(String, String)> = self
            .exchange
            .json()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|i| {
                (
                    i["invitationId"].as_str().unwrap_or_default().to_owned(),
                    i["status"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let mut wanted: Vec<(String, String)> = self
            .model
            .invitations
            .iter()
            .enumerate()
            .filter(|(_, i)| i.agent == agent)
            .map(|(n, i)| (ids[n].clone(), i.status.as_str().to_owned()))
            .rev()
            .collect();
        let mut got = listed.clone();
        got.sort();
        wanted.sort();
        if got != wanted {
            return Err(format!(
                "{}: the list reads {listed:?}, the model says {wanted:?}",
                self.expected
            ));
        }
        Ok(())
    }
}

pub struct SequenceFailure {
    pub message: String,
    pub transcript: Vec<String>,
    pub index: u64,
    pub entry: Option<String>,
}

/// A drawn sequence: the initial state, the steps, and how many of them a run applied (for shrinking).
type Drawn = (Model, Vec<Step>, Option<Arc<AtomicUsize>>);

/// Draws and runs `h.config.sequences` sequences; answers the (shrunk) failures.
pub async fn run(h: Arc<Harness>) -> Result<Vec<SequenceFailure>> {
    let involved = [
        "create_invitation/204",
        "accept_invitation/204",
        "check_relationship/204",
        "deauthorise_client/204",
    ];
    if h.config.sequences == 0 || !involved.iter().any(|e| h.ledger.is_selected(e)) {
        return Ok(Vec::new());
    }
    let strategy = Reference::sequential_strategy(1..=30usize);
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&h.config.seed.to_le_bytes());
    seed[8..16].copy_from_slice(b"sequence");
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig::default(),
        TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &seed),
    );
    let mut trees = Vec::new();
    for _ in 0..h.config.sequences {
        trees.push(
            strategy
                .new_tree(&mut runner)
                .map_err(|e| anyhow!("drawing a sequence: {e}"))?,
        );
    }
    h.progress
        .sequences_total
        .store(trees.len() as u64, Ordering::Relaxed);
    let results = run_all(&h, trees.iter().map(ValueTree::current).collect()).await;
    let mut failures = Vec::new();
    for (index, steps, ok) in results {
        if ok {
            continue;
        }
        h.progress.failures.fetch_add(1, Ordering::Relaxed);
        if failures.len() >= 2 {
            continue;
        }
        failures.push(shrink(&h, &mut trees[index], steps, index).await);
    }
    record(&h, &failures);
    Ok(failures)
}

/// Runs the drawn sequences concurrently: (index, steps, whether it passed) each.
async fn run_all(h: &Arc<Harness>, drawn: Vec<Drawn>) -> Vec<(usize, Vec<Step>, bool)> {
    let drawn: Vec<(usize, Vec<Step>, Option<Arc<AtomicUsize>>)> = drawn
        .into_iter()
        .enumerate()
        .map(|(i, (_, steps, seen))| (i, steps, seen))
        .collect();
    futures::stream::iter(drawn)
        .map(|(index, steps, seen)| {
            let h = h.clone();
            async move {
                let ok = run_sequence(&h, &steps, seen.as_ref()).await.is_ok();
                h.progress.sequences_done.fetch_add(1, Ordering::Relaxed);
                (index, steps, ok)
            }
        })
        .buffer_unordered((h.config.concurrency / 2).max(1))
        .collect()
        .await
}

/// Shrinks a failing sequence (`steps`, drawn by `tree`) to a minimal one that still fails, and reruns it for
/// its transcript.
async fn shrink<T: ValueTree<Value = Drawn>>(
    h: &Harness,
    tree: &mut T,
    steps: Vec<Step>,
    index: usize,
) -> SequenceFailure {
    // The tree's counter saw the steps the first run applied; `simplify` drops the rest first.
    // (`current` must only follow `simplify` or `complicate`.)
    let mut minimal = steps;
    let mut tries = 0;
    if tree.simplify() {
        while tries < 200 {
            tries += 1;
            let (_, steps, seen) = tree.current();
            match run_sequence(h, &steps, seen.as_ref()).await {
                Err(_) => {
                    minimal = steps;
                    if !tree.simplify() {
                        break;
                    }
                }
                Ok(()) => {
                    if !tree.complicate() {
                        break;
                    }
                }
            }
        }
    }
    let (_, message, transcript) = match run_sequence(h, &minimal, None).await {
        Err(failure) => failure,
        Ok(()) => (
            0,
            "a failing sequence that passed when repeated (a race?)".into(),
            Vec::new(),
        ),
    };
    let entry = message
        .split(':')
        .next()
        .filter(|e| h.ledger.entry(e).is_some())
        .map(str::to_owned);
    SequenceFailure {
        message,
        transcript,
        index: index as u64,
        entry,
    }
}

/// Records the shrunk failures against their entries (or as findings), with what replays them.
fn record(h: &Harness, failures: &[SequenceFailure]) {
    for failure in failures {
        let text = format!(
            "{}\n      model-based sequence #{} (seed {}), shrunk to {} steps:\n      {}\n      replay:   --seed {} --sequences {}",
            failure.message,
            failure.index,
            h.config.seed,
            failure.transcript.len(),
            failure.transcript.join("\n      "),
            h.config.seed,
            h.config.sequences
        );
        match &failure.entry {
            Some(entry) => h.ledger.fail(entry, SOURCE, text),
            None => h.ledger.finding("(sequence)", SOURCE, text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(model: &mut Model, steps: &[Step]) -> Vec<&'static str> {
        steps.iter().map(|s| model.step(s)).collect()
    }

    #[test]
    fn duplicates_and_authorisation_follow_section_6() {
        let mut model = Model::default();
        let answers = apply(
            &mut model,
            &[
                Step::Create {
                    agent: 0,
                    client: 0,
                    supporting: false,
                },
                Step::Create {
                    agent: 0,
                    client: 0,
                    supporting: true,
                },
                Step::Accept { invitation: 0 },
                Step::Create {
                    agent: 0,
                    client: 0,
                    supporting: false,
                },
                Step::Check {
                    agent: 0,
                    client: 0,
                    supporting: false,
                },
                Step::Check {
                    agent: 0,
                    client: 0,
                    supporting: true,
                },
            ],
        );
        assert_eq!(
            answers,
            [
                "create_invitation/204",
                "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
                "accept_invitation/204",
                "create_invitation/403/ALREADY_AUTHORISED",
                "check_relationship/204",
                "check_relationship/404/RELATIONSHIP_NOT_FOUND",
            ]
        );
    }

    #[test]
    fn one_main_agent_at_a_time_but_several_supporting() {
        let mut model = Model::default();
        apply(
            &mut model,
            &[
                Step::Create {
                    agent: 0,
                    client: 0,
                    supporting: false,
                },
                Step::Create {
                    agent: 1,
                    client: 0,
                    supporting: false,
                },
                Step::Create {
                    agent: 2,
                    client: 0,
                    supporting: true,
                },
                Step::Accept { invitation: 0 },
                Step::Accept { invitation: 2 },
                Step::Accept { invitation: 1 },
            ],
        );
        let statuses: Vec<Status> = model.invitations.iter().map(|i| i.status).collect();
        assert_eq!(
            statuses,
            [Status::Deauthorised, Status::Accepted, Status::Accepted]
        );
        assert_eq!(
            model.step(&Step::Check {
                agent: 0,
                client: 0,
                supporting: false
            }),
            "check_relationship/404/RELATIONSHIP_NOT_FOUND"
        );
        assert_eq!(
            model.step(&Step::Check {
                agent: 2,
                client: 0,
                supporting: true
            }),
            "check_relationship/204"
        );
    }

    #[test]
    fn switching_main_and_supporting_ends_the_other() {
        let mut model = Model::default();
        apply(
            &mut model,
            &[
                Step::Create {
                    agent: 0,
                    client: 1,
                    supporting: false,
                },
                Step::Accept { invitation: 0 },
                Step::Create {
                    agent: 0,
                    client: 1,
                    supporting: true,
                },
                Step::Accept { invitation: 1 },
            ],
        );
        let statuses: Vec<Status> = model.invitations.iter().map(|i| i.status).collect();
        assert_eq!(statuses, [Status::Deauthorised, Status::Partialauth]);
    }

    #[test]
    fn final_states_refuse_changes_and_answers_are_idempotent() {
        let mut model = Model::default();
        let answers = apply(
            &mut model,
            &[
                Step::Create {
                    agent: 0,
                    client: 2,
                    supporting: false,
                },
                Step::Reject { invitation: 0 },
                Step::Reject { invitation: 0 },
                Step::Accept { invitation: 0 },
                Step::Cancel { invitation: 0 },
                Step::Expire { invitation: 0 },
                Step::Create {
                    agent: 0,
                    client: 2,
                    supporting: false,
                },
                Step::Expire { invitation: 1 },
                Step::Create {
                    agent: 0,
                    client: 2,
                    supporting: false,
                },
                Step::Accept { invitation: 2 },
                Step::Accept { invitation: 2 },
                Step::Deauthorise {
                    agent: 0,
                    client: 2,
                    agent_type: None,
                },
                Step::Deauthorise {
                    agent: 0,
                    client: 2,
                    agent_type: None,
                },
            ],
        );
        assert_eq!(
            answers,
            [
                "create_invitation/204",
                "reject_invitation/204",
                "reject_invitation/204",
                "accept_invitation/409/INVALID_INVITATION_STATUS",
                "cancel_invitation/403/INVALID_INVITATION_STATUS",
                "expire_invitation/409/INVALID_INVITATION_STATUS",
                "create_invitation/204",
                "expire_invitation/204",
                "create_invitation/204",
                "accept_invitation/204",
                "accept_invitation/204",
                "deauthorise_client/204",
                "deauthorise_client/403/NO_RELATIONSHIP",
            ]
        );
        assert_eq!(model.invitations[2].status, Status::Deauthorised);
    }
}
