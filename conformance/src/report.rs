//! The run's reports: a summary table (ledger entries covered / failed / uncovered / unreachable per operation, and
//! rules proved / failed / uncovered / unverifiable per section of the rules document),
//! the failures by entry name with the curl command and seed that repeat them, JUnit XML and a JSON result bundle
//! (contract hash, seed, harness version, per-entry outcome) under the report directory. The table and the JUnit
//! writer ([`table`], [`junit_document`]) serve the validating proxy's client-side ledger too.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::contract::{Contract, combined_hash};
use crate::harness::Config;
use crate::ledger::{Kind, Ledger, Outcome};

pub const HARNESS: &str = concat!("conformance ", env!("CARGO_PKG_VERSION"));

/// Totals for one operation (or all).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub uncovered: usize,
    pub unreachable: usize,
    pub not_selected: usize,
    pub unverifiable: usize,
}

impl Counts {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Uncovered => self.uncovered += 1,
            Outcome::Unreachable => self.unreachable += 1,
            Outcome::NotSelected => self.not_selected += 1,
            Outcome::Unverifiable => self.unverifiable += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.passed
            + self.failed
            + self.uncovered
            + self.unreachable
            + self.not_selected
            + self.unverifiable
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
    /// Where the rules came from (or why there are none).
    pub rules: &'a str,
    /// The run's nonce, behind the fresh identifiers (`Harness::nonce`).
    pub nonce: u64,
}

/// Totals of the responses per contract and operation, in ledger order, and overall.
pub fn counts(ledger: &Ledger) -> (Vec<(String, String, Counts)>, Counts) {
    counts_of(ledger, Kind::Response)
}

/// Totals of the rules per section of the rules document, in document order, and overall.
pub fn rule_counts(ledger: &Ledger) -> (Vec<(String, String, Counts)>, Counts) {
    counts_of(ledger, Kind::Rule)
}

fn counts_of(ledger: &Ledger, kind: Kind) -> (Vec<(String, String, Counts)>, Counts) {
    let mut rows: Vec<(String, String, Counts)> = Vec::new();
    let mut total = Counts::default();
    let outcomes = ledger.outcomes();
    for (entry, outcome, _, _) in outcomes.into_iter().filter(|o| o.0.kind == kind) {
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
    harness_table(&mut out, &rows, total);
    per_contract(&mut out, &rows);
    rules_table(&mut out, ledger, facts.rules);
    let outcomes = ledger.outcomes();
    unreachable(&mut out, &outcomes);
    unverifiable(&mut out, &outcomes);
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

/// The harness's table: one row per selected operation, and the total.
fn harness_table(out: &mut String, rows: &[(String, String, Counts)], total: Counts) {
    let rows: Vec<Row> = rows
        .iter()
        .filter(|(_, _, c)| c.total() > c.not_selected)
        .map(|(contract, operation, c)| {
            (
                contract.clone(),
                operation.clone(),
                vec![c.passed, c.failed, c.uncovered, c.unreachable],
            )
        })
        .collect();
    table(
        out,
        &["covered", "failed", "uncovered", "unreachable"],
        &rows,
        &[
            total.passed,
            total.failed,
            total.uncovered,
            total.unreachable,
        ],
    );
}

/// A table row: contract, operation, and a count per column.
pub type Row = (String, String, Vec<usize>);

/// A table of counts per (contract, operation) under `columns`, and a total row: the harness's summary and the
/// proxy's.
pub fn table(out: &mut String, columns: &[&str], rows: &[Row], total: &[usize]) {
    let widths: Vec<usize> = columns.iter().map(|c| c.len().max(5)).collect();
    let rule = "─".repeat(67 + widths.iter().map(|w| w + 1).sum::<usize>());
    let _ = write!(out, "\n{:<34} {:<32}", "contract", "operation");
    for (column, width) in columns.iter().zip(&widths) {
        let _ = write!(out, " {column:>width$}");
    }
    let _ = writeln!(out, "\n{rule}");
    for (contract, operation, counts) in rows {
        let _ = write!(out, "{contract:<34} {operation:<32}");
        cells(out, counts, &widths);
    }
    let _ = writeln!(out, "{rule}");
    let _ = write!(out, "{:<67}", "all");
    cells(out, total, &widths);
}

fn cells(out: &mut String, counts: &[usize], widths: &[usize]) {
    for (count, width) in counts.iter().zip(widths) {
        let _ = write!(out, " {count:>width$}");
    }
    out.push('\n');
}

/// The rules: one row per section of the rules document, and a line of totals.
fn rules_table(out: &mut String, ledger: &Ledger, source: &str) {
    let (rows, total) = rule_counts(ledger);
    if total.total() == 0 {
        let _ = writeln!(out, "  rules: {source}");
        return;
    }
    let rows: Vec<Row> = rows
        .iter()
        .filter(|(_, _, c)| c.total() > c.not_selected)
        .map(|(contract, section, c)| {
            let counts = vec![c.passed, c.failed, c.uncovered, c.unverifiable];
            (contract.clone(), section.clone(), counts)
        })
        .collect();
    let totals = [
        total.passed,
        total.failed,
        total.uncovered,
        total.unverifiable,
    ];
    let columns = ["proved", "failed", "uncovered", "unverifiable"];
    table(out, &columns, &rows, &totals);
    let _ = writeln!(
        out,
        "  rules of {source}: {} proved, {} failed, {} uncovered, {} unverifiable{}",
        total.passed,
        total.failed,
        total.uncovered,
        total.unverifiable,
        if total.not_selected > 0 {
            format!(", {} not selected", total.not_selected)
        } else {
            String::new()
        }
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

/// The rules the document marks not observable from outside, with why.
fn unverifiable(out: &mut String, outcomes: &[EntryOutcome<'_>]) {
    let unverifiable: Vec<String> = outcomes
        .iter()
        .filter(|o| o.1 == Outcome::Unverifiable)
        .map(|(e, _, m, _)| format!("{} ({})", e.id, m.join("; ")))
        .collect();
    if !unverifiable.is_empty() {
        let _ = writeln!(
            out,
            "\nUnverifiable rules (not observable from outside), never counted as proved:"
        );
        for line in unverifiable {
            let _ = writeln!(out, "  UNVERIFIABLE {line}");
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
    let (_, rules) = rule_counts(ledger);
    total.failed == 0
        && total.uncovered == 0
        && rules.failed == 0
        && rules.uncovered == 0
        && ledger.findings().is_empty()
        && facts.scenario_errors.is_empty()
        && facts.case_failures == 0
        && facts.sequence_failures == 0
}

pub fn json_bundle(ledger: &Ledger, facts: &RunFacts<'_>) -> Value {
    let (_, total) = counts(ledger);
    let (_, rules) = rule_counts(ledger);
    let entries: Vec<Value> = ledger
        .outcomes()
        .into_iter()
        .map(|(entry, outcome, messages, by)| {
            json!({
                "id": entry.id,
                "kind": entry.kind,
                "statement": entry.statement,
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
        "nonce": facts.nonce,
        "replay": format!("--seed {} --cases {} --sequences {}", facts.config.seed, facts.config.cases, facts.config.sequences),
        "only": facts.config.only,
        "passed": passed(ledger, facts),
        "seconds": facts.seconds,
        "requests": facts.requests,
        "contract_hash": combined_hash(facts.contracts),
        "contracts": facts.contracts.iter().map(|c| json!({"file": c.file, "title": c.title(), "sha256": c.sha256})).collect::<Vec<_>>(),
        "totals": {"entries": total.total(), "passed": total.passed, "failed": total.failed, "uncovered": total.uncovered,
                   "unreachable": total.unreachable, "not_selected": total.not_selected},
        "rules": {"source": facts.rules, "total": rules.total(), "proved": rules.passed, "failed": rules.failed,
                  "uncovered": rules.uncovered, "unverifiable": rules.unverifiable, "not_selected": rules.not_selected},
        "generated": {"cases": facts.cases, "failing": facts.case_failures},
        "sequences": {"count": facts.sequences, "steps": facts.steps, "failing": facts.sequence_failures},
        "scenarios": {"count": facts.scenarios, "stopped_early": facts.scenario_errors.iter().map(|(n, e)| json!({"scenario": n, "error": e})).collect::<Vec<_>>()},
        "entries": entries,
        "findings": ledger.findings(),
    })
}

pub fn xml(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One JUnit test case.
#[derive(Debug, Clone)]
pub struct Case {
    pub classname: String,
    pub name: String,
    pub result: CaseResult,
}

/// How a JUnit test case ended.
#[derive(Debug, Clone)]
pub enum CaseResult {
    /// Passed, with what to show as its output (nothing when empty).
    Passed(String),
    /// Failed: the failure's type, its one-line message and the full text.
    Failed {
        kind: String,
        message: String,
        text: String,
    },
    Skipped(String),
}

/// One JUnit test suite.
#[derive(Debug, Clone)]
pub struct Suite {
    pub name: String,
    pub cases: Vec<Case>,
}

/// A JUnit XML document of `suites`: the harness's and the proxy's.
pub fn junit_document(name: &str, seconds: f64, suites: &[Suite]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" time=\"{seconds:.3}\">",
        xml(name)
    );
    for suite in suites {
        let failures = suite
            .cases
            .iter()
            .filter(|c| matches!(c.result, CaseResult::Failed { .. }))
            .count();
        let skipped = suite
            .cases
            .iter()
            .filter(|c| matches!(c.result, CaseResult::Skipped(_)))
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
            xml(&suite.name),
            suite.cases.len()
        );
        for case in &suite.cases {
            let _ = writeln!(out, "    {}", testcase(case));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn testcase(case: &Case) -> String {
    let open = format!(
        "<testcase classname=\"{}\" name=\"{}\"",
        xml(&case.classname),
        xml(&case.name)
    );
    match &case.result {
        CaseResult::Passed(output) if output.is_empty() => format!("{open}/>"),
        CaseResult::Passed(output) => {
            format!("{open}><system-out>{}</system-out></testcase>", xml(output))
        }
        CaseResult::Failed {
            kind,
            message,
            text,
        } => format!(
            "{open}><failure type=\"{}\" message=\"{}\">{}</failure></testcase>",
            xml(kind),
            xml(message),
            xml(text)
        ),
        CaseResult::Skipped(message) => {
            format!("{open}><skipped message=\"{}\"/></testcase>", xml(message))
        }
    }
}

pub fn junit(ledger: &Ledger, facts: &RunFacts<'_>) -> String {
    let mut suites: Vec<Suite> = Vec::new();
    for outcome in &ledger.outcomes() {
        let entry = outcome.0;
        let case = Case {
            classname: format!("{}.{}", entry.contract, entry.operation),
            name: entry.id.clone(),
            result: case_result(outcome),
        };
        match suites.iter_mut().find(|s| s.name == entry.contract) {
            Some(suite) => suite.cases.push(case),
            None => suites.push(Suite {
                name: entry.contract.clone(),
                cases: vec![case],
            }),
        }
    }
    suites.sort_by(|a, b| a.name.cmp(&b.name));
    suites.push(harness_suite(&ledger.findings(), facts.scenario_errors));
    junit_document(HARNESS, facts.seconds, &suites)
}

/// The testcase result of an entry's outcome.
fn case_result((entry, outcome, messages, by): &EntryOutcome<'_>) -> CaseResult {
    match outcome {
        Outcome::Passed => {
            let verb = match entry.kind {
                Kind::Response => "checked",
                Kind::Rule => "proved",
            };
            CaseResult::Passed(format!("{verb} by: {}", by.join(", ")))
        }
        Outcome::Failed | Outcome::Uncovered => {
            let kind = if *outcome == Outcome::Uncovered {
                "uncovered"
            } else {
                "failed"
            };
            CaseResult::Failed {
                kind: kind.to_owned(),
                message: format!("{} {kind}", entry.id),
                text: messages.join("\n\n"),
            }
        }
        Outcome::Unreachable => {
            CaseResult::Skipped(format!("unreachable: {}", messages.join("; ")))
        }
        Outcome::Unverifiable => {
            CaseResult::Skipped(format!("unverifiable: {}", messages.join("; ")))
        }
        Outcome::NotSelected => CaseResult::Skipped("not selected by --only".to_owned()),
    }
}

/// The suite of undocumented answers and scenarios that stopped early (one passing testcase when there are none).
fn harness_suite(
    findings: &[crate::ledger::Finding],
    scenario_errors: &[(String, String)],
) -> Suite {
    let failed = |classname: &str, name: &str, message: &str, text: &str| Case {
        classname: classname.to_owned(),
        name: name.to_owned(),
        result: CaseResult::Failed {
            kind: "failed".to_owned(),
            message: message.to_owned(),
            text: text.to_owned(),
        },
    };
    let mut cases: Vec<Case> = findings
        .iter()
        .map(|f| failed(&f.operation, &f.source, "undocumented answer", &f.message))
        .collect();
    cases.extend(
        scenario_errors
            .iter()
            .map(|(name, error)| failed("scenario", name, "stopped early", error)),
    );
    if cases.is_empty() {
        cases.push(Case {
            classname: "harness".to_owned(),
            name: "no undocumented answers".to_owned(),
            result: CaseResult::Passed(String::new()),
        });
    }
    Suite {
        name: "undocumented answers and scenarios".to_owned(),
        cases,
    }
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
