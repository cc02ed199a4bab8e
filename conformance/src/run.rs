//! One run: the ledger, the scenarios, generated inputs and model-based sequences against a server, a progress
//! line while it goes, and the reports at the end.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures::StreamExt;

use crate::harness::{Config, Ctx, Fixtures, Harness, Progress, Scenario};
use crate::http::Http;
use crate::ledger::Ledger;
use crate::report::{self, RunFacts};
use crate::sandbox::Sandbox;
use crate::{contract, rules};

/// What a run ended with.
pub struct RunOutcome {
    pub passed: bool,
    pub summary: String,
}

/// Runs the harness: the contracts of `contracts_dir` and the rules of the document `rules` (when there is
/// one) against the server of `config`, reporting to `report_dir`.
pub async fn run(
    config: Config,
    contracts_dir: &Path,
    rules: &Path,
    report_dir: &Path,
) -> Result<RunOutcome> {
    let started = Instant::now();
    let contracts = contract::load_all(contracts_dir)?;
    let mut ledger = Ledger::from_contracts(&contracts)?;
    let rules_source = add_rules(&mut ledger, rules)?;
    ledger.select(config.only.as_deref());
    let harness = Arc::new(harness(&config, &contracts, ledger).await?);
    let scenarios = selected_scenarios(&harness, &contracts);
    check_declared_rules(&harness.ledger, &scenarios);
    harness
        .progress
        .scenarios_total
        .store(scenarios.len() as u64, Ordering::Relaxed);
    let scenario_count = scenarios.len();

    let progress = tokio::spawn(show_progress(harness.clone()));
    let (scenario_errors, generated, sequences) = tokio::join!(
        run_scenarios(harness.clone(), scenarios),
        crate::fuzz_inputs::run(harness.clone()),
        crate::model::run(harness.clone())
    );
    progress.abort();
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    let scenario_errors = unrecorded(&harness.ledger, scenario_errors);
    let generated = generated.context("running generated inputs")?;
    let sequences = sequences.context("running model-based sequences")?;

    let p = &harness.progress;
    let facts = RunFacts {
        config: &config,
        contracts: &contracts,
        seconds: started.elapsed().as_secs_f64(),
        requests: p.requests.load(Ordering::Relaxed),
        scenarios: scenario_count,
        scenario_errors: &scenario_errors,
        cases: p.cases_done.load(Ordering::Relaxed),
        case_failures: generated.len(),
        sequences: p.sequences_done.load(Ordering::Relaxed),
        steps: p.steps.load(Ordering::Relaxed),
        sequence_failures: sequences.len(),
        rules: &rules_source,
        nonce: harness.nonce,
    };
    report::write(report_dir, &harness.ledger, &facts)?;
    let mut summary = report::summary(&harness.ledger, &facts);
    summary.push_str(&format!(
        "reports: {} and {}\n",
        report_dir.join("junit.xml").display(),
        report_dir.join("conformance.json").display()
    ));
    Ok(RunOutcome {
        passed: report::passed(&harness.ledger, &facts),
        summary,
    })
}

/// The errors of scenarios that stopped early, but those that stopped at a failed check, which is recorded
/// against its entry already.
fn unrecorded(ledger: &Ledger, mut errors: Vec<(String, String)>) -> Vec<(String, String)> {
    errors.retain(|(_, error)| {
        !ledger
            .entries()
            .iter()
            .any(|e| error.starts_with(&format!("{}: ", e.id)))
    });
    errors
}

/// Adds the rules of the document at `path` to the ledger; answers what the reports say of them. Without the
/// document (the harness run against another repository's contracts) the run goes on without rules.
pub fn add_rules(ledger: &mut Ledger, path: &Path) -> Result<String> {
    match rules::load(path)? {
        Some(rules) => {
            // The document's name with its directory, `docs/domain.md`, for the tables.
            let file = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let dir = path
                .parent()
                .and_then(Path::file_name)
                .map(|n| n.to_string_lossy().into_owned());
            let source = match (dir, file) {
                (Some(dir), Some(file)) => format!("{dir}/{file}"),
                _ => path.display().to_string(),
            };
            ledger.add_rules(&source, &rules)?;
            let shown = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
            Ok(format!("{} ({} rules)", shown.display(), rules.len()))
        }
        None => {
            eprintln!(
                "conformance: no rules document at {}; rules are not checked (give one with --rules FILE)",
                path.display()
            );
            Ok(format!("none: no rules document at {}", path.display()))
        }
    }
}

/// A scenario may only declare rules the document has and does not mark unverifiable: anything else is the
/// harness's own mistake, reported as a finding.
fn check_declared_rules(ledger: &Ledger, scenarios: &[Scenario]) {
    if !ledger.has_rules() {
        return;
    }
    for scenario in scenarios {
        for id in scenario
            .covers
            .iter()
            .filter(|c| c.starts_with(rules::PREFIX))
        {
            let problem = match ledger.entry(id) {
                None => "the rules document has no such rule",
                Some(entry) if entry.unreachable.is_some() => {
                    "the rules document marks it not observable from outside"
                }
                Some(_) => continue,
            };
            ledger.finding(
                "(harness)",
                &scenario.name,
                format!("{id}: declared as proved, but {problem}"),
            );
        }
    }
}

/// The harness of a run: the ledger (as `--only` selects), the server and the shared test users.
async fn harness(
    config: &Config,
    contracts: &[contract::Contract],
    ledger: Ledger,
) -> Result<Harness> {
    let http = Http::new(&config.base_url)?;
    let sandbox = Sandbox::new(&http);
    let rules = ledger
        .entries()
        .iter()
        .filter(|e| e.kind == crate::ledger::Kind::Rule)
        .count();
    eprintln!(
        "conformance: {} documented responses in {} contracts and {rules} rules; {} at {}, seed {}",
        ledger.entries().len() - rules,
        contracts.len(),
        report::HARNESS,
        config.base_url,
        config.seed
    );
    let fixtures = Fixtures::create(&sandbox)
        .await
        .context("setting up shared test users through the sandbox API (create-test-user, test-support) failed")?;
    Ok(Harness {
        config: config.clone(),
        contracts: contracts.to_vec(),
        http,
        ledger,
        sandbox,
        fixtures,
        progress: Progress::default(),
        nonce: crate::harness::run_nonce(),
    })
}

/// The scenarios `--only` selects: those covering a selected entry, or whose name contains its text (all without
/// it).
fn selected_scenarios(harness: &Harness, contracts: &[contract::Contract]) -> Vec<Scenario> {
    let only = harness.config.only.as_deref();
    crate::scenarios::all(&harness.ledger, contracts)
        .into_iter()
        .filter(|s| {
            only.is_none()
                || s.covers.iter().any(|e| harness.ledger.is_selected(e))
                || only.is_some_and(|p| s.name.contains(p))
        })
        .collect()
}

/// Runs the scenarios concurrently; answers (name, error) of each that stopped early, whose entries are then
/// not reached.
async fn run_scenarios(h: Arc<Harness>, scenarios: Vec<Scenario>) -> Vec<(String, String)> {
    futures::stream::iter(scenarios)
        .map(|scenario| {
            let h = h.clone();
            async move {
                let ctx = Ctx::new(h.clone(), &scenario);
                let result = (scenario.run)(ctx.clone()).await;
                h.progress.scenarios_done.fetch_add(1, Ordering::Relaxed);
                record_rules(
                    &h.ledger,
                    &scenario,
                    &ctx.failed_entries(),
                    result.as_ref().err(),
                );
                match result {
                    Ok(()) => None,
                    Err(error) => {
                        h.progress.failures.fetch_add(1, Ordering::Relaxed);
                        let message = format!("{error:#}");
                        for entry in &scenario.covers {
                            h.ledger.not_reached(entry, &scenario.name, &message);
                        }
                        Some((scenario.name.clone(), message))
                    }
                }
            }
        })
        .buffer_unordered(h.config.concurrency)
        .filter_map(|x| async move { x })
        .collect::<Vec<_>>()
        .await
}

/// The rules a scenario declares: proved when it ran to its end with every check passing, failed otherwise
/// (naming the checks that failed, or why it stopped).
fn record_rules(
    ledger: &Ledger,
    scenario: &Scenario,
    failed: &[String],
    error: Option<&anyhow::Error>,
) {
    let declared = scenario
        .covers
        .iter()
        .filter(|c| c.starts_with(rules::PREFIX));
    for rule in declared {
        match (error, failed.is_empty()) {
            (None, true) => ledger.prove(rule, &scenario.name),
            (_, false) if failed.iter().all(|f| f == rule) => {}
            (_, false) => ledger.fail(
                rule,
                &scenario.name,
                format!(
                    "not proved: checks of scenario {} failed ({})",
                    scenario.name,
                    failed.join(", ")
                ),
            ),
            (Some(error), true) => ledger.fail(
                rule,
                &scenario.name,
                format!("not proved: scenario {} stopped: {error:#}", scenario.name),
            ),
        }
    }
}

async fn show_progress(h: Arc<Harness>) {
    let terminal = std::io::stderr().is_terminal();
    let every = if terminal {
        Duration::from_millis(250)
    } else {
        Duration::from_secs(5)
    };
    let started = Instant::now();
    loop {
        tokio::time::sleep(every).await;
        let line = format!(
            "[{:>5.1}s] {}",
            started.elapsed().as_secs_f64(),
            h.progress.line()
        );
        if terminal {
            eprint!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
    }
}
