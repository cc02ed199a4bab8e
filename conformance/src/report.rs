//! The run's reports: a summary table (ledger entries covered / failed / uncovered / unreachable per operation),
//! the failures by entry name with the curl command and seed that repeat them, JUnit XML and a JSON result bundle
//! (contract hash, seed, harness version, per-entry outcome) under the report directory.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::contract::{Contract, combined_hash};
use crate::harness::Config;
use crate::ledger::{Ledger, Outcome};

pub const HARNESS: &str = concat!("conformance ", env!("CARGO_PKG_VERSION"));

/// Totals for one operation (or all).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub uncovered: usize,
    pub unreachable: usize,
    pub not_selected: usize,
}

impl Counts {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Uncovered => self.uncovered += 1,
            Outcome::Unreachable => self.unreachable += 1,
            Outcome::NotSelected => self.not_selected += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.passed + self.failed + self.uncovered + self.unreachable + self.not_selected
    }
}

/// What else the run did, for the reports.
pub struct RunFacts<'a> {
    pub config: &'a Config,
    pub contracts: &'a [Contract],
    pub seconds: f64,
    pub requests: u64,
    pub scenarios: usize,
    pub scenario_errors: &'a [(String, String)],
    pub cases: u64,
    pub case_failures: usize,
    pub sequences: u64,
    pub steps: u64,
    pub sequence_failures: usize,
}

/// Totals per contract and operation, in ledger order, and overall.
pub fn counts(ledger: &Ledger) -> (Vec<(String, String, Counts)>, Counts) {
    let mut rows: Vec<(String, String, Counts)> = Vec::new();
    let mut total = Counts::default();
    for (entry, outcome, _, _) in ledger.outcomes() {
        total.add(outcome);
        match rows.iter_mut().find(|r| r.1 == entry.operation) {
            Some(row) => row.2.add(outcome),
            None => {
                let mut counts = Counts::default();
                counts.add(outcome);
                rows.push((entry.contract.clone(), entry.operation.clone(), counts));
            }
        }
    }
    (rows, total)
}

/// The summary table and the failures, as printed at the end of a run.
pub fn summary(ledger: &Ledger, facts: &RunFacts<'_>) -> String {
    let (rows, total) = counts(ledger);
    let mut out = String::new();
    table(&mut out, &rows, total);
    per_contract(&mut out, &rows);
    let outcomes = ledger.outcomes();
    unreachable(&mut out, &outcomes);
    failures(&mut out, &outcomes);
    findings(&mut out, &ledger.findings());
    if !facts.scenario_errors.is_empty() {
        let _ = writeln!(out, "\nScenarios that stopped early:");
        for (name, error) in facts.scenario_errors {
            let _ = writeln!(
                out,
                "  FAIL scenario {name:?}: {}",
                error.replace('\n', "\n      ")
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{} in {:.1}s: {} scenarios, {} generated cases ({} failing), {} model-based sequences of {} steps ({} failing), {} requests; seed {}",
        HARNESS,
        facts.seconds,
        facts.scenarios,
        facts.cases,
        facts.case_failures,
        facts.sequences,
        facts.steps,
        facts.sequence_failures,
        facts.requests,
        facts.config.seed
    );
    out
}

/// An entry's outcome as [`Ledger::outcomes`] answers it: the entry, its outcome, messages, and who checked it.
type EntryOutcome<'a> = (&'a crate::ledger::Entry, Outcome, Vec<String>, Vec<String>);

/// The table: one row per selected operation, and the total.
fn table(out: &mut String, rows: &[(String, String, Counts)], total: Counts) {
    let _ = writeln!(
        out,
        "\n{:<34} {:<32} {:>7} {:>6} {:>9} {:>11}",
        "contract", "operation", "covered", "failed", "uncovered", "unreachable"
    );
    let _ = writeln!(out, "{}", "─".repeat(104));
    for (contract, operation, c) in rows {
        let selected = c.total() - c.not_selected;
        if selected == 0 {
            continue;
        }
        let _ = writeln!(
            out,
            "{contract:<34} {operation:<32} {:>7} {:>6} {:>9} {:>11}",
            c.passed, c.failed, c.uncovered, c.unreachable
        );
    }
    let _ = writeln!(out, "{}", "─".repeat(104));
    let _ = writeln!(
        out,
        "{:<67} {:>7} {:>6} {:>9} {:>11}",
        "all", total.passed, total.failed, total.uncovered, total.unreachable
    );
}

/// One line per contract.
fn per_contract(out: &mut String, rows: &[(String, String, Counts)]) {
    let mut by_contract: BTreeMap<&str, Counts> = BTreeMap::new();
    for (contract, _, c) in rows {
        let entry = by_contract.entry(contract).or_default();
        entry.passed += c.passed;
        entry.failed += c.failed;
        entry.uncovered += c.uncovered;
        entry.unreachable += c.unreachable;
        entry.not_selected += c.not_selected;
    }
    for (contract, c) in by_contract {
        let _ = writeln!(
            out,
            "  {contract}: {} entries: {} covered, {} failed, {} uncovered, {} unreachable{}",
            c.total(),
            c.passed,
            c.failed,
            c.uncovered,
            c.unreachable,
            if c.not_selected > 0 {
                format!(", {} not selected", c.not_selected)
            } else {
                String::new()
            }
        );
    }
}

fn unreachable(out: &mut String, outcomes: &[EntryOutcome<'_>]) {
    let unreachable: Vec<String> = outcomes
        .iter()
        .filter(|o| o.1 == Outcome::Unreachable)
        .map(|(e, _, m, _)| format!("{} ({})", e.id, m.join("; ")))
        .collect();
    if !unreachable.is_empty() {
        let _ = writeln!(
            out,
            "\nUnreachable by declaration (x-conformance-unreachable), not exercised:"
        );
        for line in unreachable {
            let _ = writeln!(out, "  UNREACHABLE {line}");
        }
    }
}

/// Failed and uncovered entries, with their first three messages.
fn failures(out: &mut String, outcomes: &[EntryOutcome<'_>]) {
    let failed: Vec<_> = outcomes
        .iter()
        .filter(|o| matches!(o.1, Outcome::Failed | Outcome::Uncovered))
        .collect();
    if failed.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nFailures:");
    for (entry, outcome, messages, _) in failed {
        let label = if *outcome == Outcome::Uncovered {
            "UNCOVERED"
        } else {
            "FAIL"
        };
        let _ = writeln!(out, "  {label} {}", entry.id);
        for message in messages.iter().take(3) {
            let _ = writeln!(out, "      {}", message.replace('\n', "\n  "));
        }
        if messages.len() > 3 {
            let _ = writeln!(out, "      … and {} more", messages.len() - 3);
        }
    }
}

/// The first twenty undocumented answers.
fn findings(out: &mut String, findings: &[crate::ledger::Finding]) {
    if !findings.is_empty() {
        let _ = writeln!(out, "\nUndocumented answers:");
        for finding in findings.iter().take(20) {
            let _ = writeln!(
                out,
                "  FAIL {} ({})\n      {}",
                finding.operation,
                finding.source,
                finding.message.replace('\n', "\n  ")
            );
        }
    }
}

/// Whether the run passed: no failed or uncovered entry, no undocumented answer, no scenario stopped
/// early, and no generated case or sequence failed (whatever entry it touched, selected or not).
pub fn passed(ledger: &Ledger, facts: &RunFacts<'_>) -> bool {
    let (_, total) = counts(ledger);
    total.failed == 0
        && total.uncovered == 0
        && ledger.findings().is_empty()
        && facts.scenario_errors.is_empty()
        && facts.case_failures == 0
        && facts.sequence_failures == 0
}

pub fn json_bundle(ledger: &Ledger, facts: &RunFacts<'_>) -> Value {
    let (_, total) = counts(ledger);
    let entries: Vec<Value> = ledger
        .outcomes()
        .into_iter()
        .map(|(entry, outcome, messages, by)| {
            json!({
                "id": entry.id,
                "contract": entry.contract,
                "operation": entry.operation,
                "method": entry.method,
                "path": entry.path,
                "status": entry.status,
                "example": entry.example,
                "outcome": outcome,
                "checked_by": by,
                "messages": messages,
            })
        })
        .collect();
    json!({
        "harness": {"name": "conformance", "version": env!("CARGO_PKG_VERSION")},
        "base_url": facts.config.base_url,
        "seed": facts.config.seed,
        "replay": format!("--seed {} --cases {} --sequences {}", facts.config.seed, facts.config.cases, facts.config.sequences),
        "only": facts.config.only,
        "passed": passed(ledger, facts),
        "seconds": facts.seconds,
        "requests": facts.requests,
        "contract_hash": combined_hash(facts.contracts),
        "contracts": facts.contracts.iter().map(|c| json!({"file": c.file, "title": c.title(), "sha256": c.sha256})).collect::<Vec<_>>(),
        "totals": {"entries": total.total(), "passed": total.passed, "failed": total.failed, "uncovered": total.uncovered,
                   "unreachable": total.unreachable, "not_selected": total.not_selected},
        "generated": {"cases": facts.cases, "failing": facts.case_failures},
        "sequences": {"count": facts.sequences, "steps": facts.steps, "failing": facts.sequence_failures},
        "scenarios": {"count": facts.scenarios, "stopped_early": facts.scenario_errors.iter().map(|(n, e)| json!({"scenario": n, "error": e})).collect::<Vec<_>>()},
        "entries": entries,
        "findings": ledger.findings(),
    })
}

fn xml(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn junit(ledger: &Ledger, facts: &RunFacts<'_>) -> String {
    let outcomes = ledger.outcomes();
    let mut suites: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut stats: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for outcome in &outcomes {
        let entry = outcome.0;
        let stat = stats.entry(entry.contract.clone()).or_default();
        stat.0 += 1;
        let body = testcase_body(outcome, stat);
        suites
            .entry(entry.contract.clone())
            .or_default()
            .push(format!(
                "    <testcase classname=\"{}\" name=\"{}\">{body}</testcase>",
                xml(&format!("{}.{}", entry.contract, entry.operation)),
                xml(&entry.id)
            ));
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" time=\"{:.3}\">",
        xml(HARNESS),
        facts.seconds
    );
    for (contract, cases) in suites {
        let (tests, failures, skipped) = stats[&contract];
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\">",
            xml(&contract)
        );
        out.push_str(&cases.join("\n"));
        out.push_str("\n  </testsuite>\n");
    }
    harness_suite(&mut out, &ledger.findings(), facts.scenario_errors);
    out.push_str("</testsuites>\n");
    out
}

/// What a testcase holds for an entry's outcome; counts its failures and skips in `stat` (tests, failures,
/// skipped).
fn testcase_body(
    (entry, outcome, messages, by): &EntryOutcome<'_>,
    stat: &mut (usize, usize, usize),
) -> String {
    match outcome {
        Outcome::Passed => format!(
            "<system-out>{}</system-out>",
            xml(&format!("checked by: {}", by.join(", ")))
        ),
        Outcome::Failed | Outcome::Uncovered => {
            stat.1 += 1;
            let kind = if *outcome == Outcome::Uncovered {
                "uncovered"
            } else {
                "failed"
            };
            format!(
                "<failure type=\"{kind}\" message=\"{}\">{}</failure>",
                xml(&format!("{} {kind}", entry.id)),
                xml(&messages.join("\n\n"))
            )
        }
        Outcome::Unreachable => {
            stat.2 += 1;
            format!(
                "<skipped message=\"{}\"/>",
                xml(&format!("unreachable: {}", messages.join("; ")))
            )
        }
        Outcome::NotSelected => {
            stat.2 += 1;
            "<skipped message=\"not selected by --only\"/>".to_owned()
        }
    }
}

/// The suite of undocumented answers and scenarios that stopped early (one passing testcase when there are none).
fn harness_suite(
    out: &mut String,
    findings: &[crate::ledger::Finding],
    scenario_errors: &[(String, String)],
) {
    let extra = findings.len() + scenario_errors.len();
    let _ = writeln!(
        out,
        "  <testsuite name=\"undocumented answers and scenarios\" tests=\"{}\" failures=\"{extra}\">",
        extra.max(1)
    );
    if extra == 0 {
        out.push_str("    <testcase classname=\"harness\" name=\"no undocumented answers\"/>\n");
    }
    for finding in findings {
        let _ = writeln!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\"><failure message=\"undocumented answer\">{}</failure></testcase>",
            xml(&finding.operation),
            xml(&finding.source),
            xml(&finding.message)
        );
    }
    for (name, error) in scenario_errors {
        let _ = writeln!(
            out,
            "    <testcase classname=\"scenario\" name=\"{}\"><failure message=\"stopped early\">{}</failure></testcase>",
            xml(name),
            xml(error)
        );
    }
    out.push_str("  </testsuite>\n");
}

pub fn write(dir: &Path, ledger: &Ledger, facts: &RunFacts<'_>) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let bundle = serde_json::to_string_pretty(&json_bundle(ledger, facts))?;
    std::fs::write(dir.join("conformance.json"), bundle)
        .with_context(|| format!("writing {}", dir.display()))?;
    std::fs::write(dir.join("junit.xml"), junit(ledger, facts))
        .with_context(|| format!("writing {}", dir.display()))?;
    Ok(())
}
