//! One run: the ledger, the scenarios, generated inputs and model-based sequences against a server, a progress
//! line while it goes, and the reports at the end.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures::StreamExt;

use crate::contract;
use crate::harness::{Config, Ctx, Fixtures, Harness, Progress, Scenario};
use crate::http::Http;
use crate::ledger::Ledger;
use crate::report::{self, RunFacts};
use crate::sandbox::Sandbox;

/// What a run ended with.
pub struct RunOutcome {
    pub passed: bool,
    pub summary: String,
}

pub async fn run(config: Config, contracts_dir: &Path, report_dir: &Path) -> Result<RunOutcome> {
    let started = Instant::now();
    let contracts = contract::load_all(contracts_dir)?;
    let harness = Arc::new(harness(&config, &contracts).await?);
    let scenarios = selected_scenarios(&harness, &contracts);
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
    let mut scenario_errors = scenario_errors;
    // A scenario that stopped at a failed check has that failure recorded against its entry already.
    scenario_errors.retain(|(_, error)| {
        !harness
            .ledger
            .entries()
            .iter()
            .any(|e| error.starts_with(&format!("{}: ", e.id)))
    });
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

/// The harness of a run: the ledger of the contracts (as `--only` selects), the server and the shared test users.
async fn harness(config: &Config, contracts: &[contract::Contract]) -> Result<Harness> {
    let mut ledger = Ledger::from_contracts(contracts)?;
    ledger.select(config.only.as_deref());
    let http = Http::new(&config.base_url)?;
    let sandbox = Sandbox::new(&http);
    eprintln!(
        "conformance: {} ledger entries in {} contracts; {} at {}, seed {}",
        ledger.entries().len(),
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
                let ctx = Ctx {
                    h: h.clone(),
                    scenario: scenario.name.clone(),
                    as_version: scenario.as_version,
                };
                let result = (scenario.run)(ctx).await;
                h.progress.scenarios_done.fetch_add(1, Ordering::Relaxed);
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
