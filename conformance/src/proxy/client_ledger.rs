//! The client-side ledger: the harness's ledger entries (`operation/status/EXAMPLE`), counting what the vendor's
//! software received through the proxy and whether its requests were valid. It writes `client-ledger.json` and
//! `junit.xml` (one case per entry: passed when received with a valid request, skipped when never received, failed
//! on a violation) with the harness's report writers, and prints which documented answers the software has met and
//! which it never has.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::contract::{Contract, combined_hash};
use crate::ledger::{Entry, Ledger};
use crate::report::{self, Case, CaseResult, Row, Suite};

/// The most violation lines kept per entry (all are counted), and overall.
const KEPT_PER_ENTRY: usize = 50;
const KEPT_LINES: usize = 10_000;

/// What the software met of one entry.
#[derive(Debug, Clone, Default)]
struct Record {
    received: u64,
    valid_requests: u64,
    answered_by_proxy: u64,
    first_request: Option<String>,
    violations: Vec<String>,
    violation_count: u64,
}

/// An entry's outcome, for the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Received, and every exchange that got it was valid.
    Passed,
    /// A violation was seen in an exchange that got it.
    Failed,
    NotReceived,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::NotReceived => "not_received",
        }
    }
}

/// One exchange, as the ledger records it.
pub struct Observation<'a> {
    /// The operation the request named (`-` for none).
    pub operation: &'a str,
    /// The entry the response is an instance of, if any.
    pub entry: Option<usize>,
    pub request_valid: bool,
    pub answered_by_proxy: bool,
    /// The exchange's violation lines.
    pub lines: Vec<String>,
    /// The request as curl (only asked for the first time an entry is seen).
    pub curl: &'a dyn Fn() -> String,
}

/// The ledger's records at one moment.
struct Snapshot<'a> {
    entries: Vec<(&'a Entry, Record, Outcome)>,
    outside: BTreeMap<String, Record>,
    exchanges: u64,
}

#[derive(Debug, Default)]
struct Records {
    entries: Vec<Record>,
    /// Violations of exchanges no entry fits (an undocumented path or status, a request refused by --strict), by
    /// operation.
    outside: BTreeMap<String, Record>,
    lines: Vec<String>,
    exchanges: u64,
}

/// The ledger of what the software received.
pub struct ClientLedger {
    ledger: Ledger,
    records: Mutex<Records>,
    started: Instant,
    upstream: String,
    contracts: Vec<Value>,
    contract_hash: String,
}

impl ClientLedger {
    pub fn new(ledger: Ledger, contracts: &[Contract], upstream: &str) -> Self {
        let count = ledger.entries().len();
        Self {
            ledger,
            records: Mutex::new(Records {
                entries: vec![Record::default(); count],
                ..Records::default()
            }),
            started: Instant::now(),
            upstream: upstream.to_owned(),
            contracts: contracts
                .iter()
                .map(|c| json!({"file": c.file, "title": c.title(), "sha256": c.sha256}))
                .collect(),
            contract_hash: combined_hash(contracts),
        }
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Records> {
        // A panic elsewhere while holding the lock leaves counts that are still worth reporting.
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn observe(&self, seen: Observation<'_>) {
        let mut records = self.lock();
        records.exchanges += 1;
        let room = KEPT_LINES.saturating_sub(records.lines.len());
        records.lines.extend(seen.lines.iter().take(room).cloned());
        let record = match seen.entry {
            Some(index) => &mut records.entries[index],
            None if seen.lines.is_empty() => return,
            None => records
                .outside
                .entry(seen.operation.to_owned())
                .or_default(),
        };
        if seen.entry.is_some() {
            record.received += 1;
            record.valid_requests += u64::from(seen.request_valid);
            record.answered_by_proxy += u64::from(seen.answered_by_proxy);
        }
        if record.first_request.is_none() {
            record.first_request = Some((seen.curl)());
        }
        record.violation_count += seen.lines.len() as u64;
        let room = KEPT_PER_ENTRY.saturating_sub(record.violations.len());
        record.violations.extend(seen.lines.into_iter().take(room));
    }

    /// Every violation line so far (the first ten thousand).
    pub fn lines(&self) -> Vec<String> {
        self.lock().lines.clone()
    }

    /// How many violations were seen.
    pub fn violations(&self) -> u64 {
        let records = self.lock();
        records
            .entries
            .iter()
            .chain(records.outside.values())
            .map(|r| r.violation_count)
            .sum()
    }

    fn outcome(record: &Record) -> Outcome {
        if record.violation_count > 0 {
            Outcome::Failed
        } else if record.received > 0 {
            Outcome::Passed
        } else {
            Outcome::NotReceived
        }
    }

    /// Each entry with its record and outcome, and the rest, as they stand.
    fn snapshot(&self) -> Snapshot<'_> {
        let records = self.lock();
        let entries = self
            .ledger
            .entries()
            .iter()
            .zip(&records.entries)
            .map(|(entry, record)| (entry, record.clone(), Self::outcome(record)))
            .collect();
        Snapshot {
            entries,
            outside: records.outside.clone(),
            exchanges: records.exchanges,
        }
    }

    /// `client-ledger.json`.
    pub fn json(&self) -> Value {
        let Snapshot {
            entries,
            outside,
            exchanges,
        } = self.snapshot();
        let count = |o: Outcome| entries.iter().filter(|e| e.2 == o).count();
        let rows: Vec<Value> = entries
            .iter()
            .map(|(entry, record, outcome)| {
                json!({
                    "id": entry.id, "contract": entry.contract, "operation": entry.operation,
                    "method": entry.method, "path": entry.path, "status": entry.status, "example": entry.example,
                    "outcome": outcome.as_str(), "received": record.received,
                    "valid_requests": record.valid_requests, "answered_by_proxy": record.answered_by_proxy,
                    "first_request": record.first_request, "violation_count": record.violation_count,
                    "violations": record.violations,
                })
            })
            .collect();
        let outside: Vec<Value> = outside
            .iter()
            .map(|(operation, r)| {
                json!({"operation": operation, "first_request": r.first_request,
                "violation_count": r.violation_count, "violations": r.violations})
            })
            .collect();
        json!({
            "proxy": {"name": "conformance proxy", "version": env!("CARGO_PKG_VERSION")},
            "upstream": self.upstream,
            "seconds": self.started.elapsed().as_secs_f64(),
            "exchanges": exchanges,
            "contract_hash": self.contract_hash,
            "contracts": self.contracts,
            "totals": {"entries": entries.len(), "passed": count(Outcome::Passed),
                       "failed": count(Outcome::Failed), "not_received": count(Outcome::NotReceived)},
            "entries": rows,
            "outside_the_ledger": outside,
        })
    }

    /// `junit.xml`: a suite per contract, a case per entry, and a suite for exchanges outside the ledger.
    pub fn junit(&self) -> String {
        let Snapshot {
            entries, outside, ..
        } = self.snapshot();
        let mut suites: Vec<Suite> = Vec::new();
        for (entry, record, outcome) in &entries {
            let case = Case {
                classname: format!("{}.{}", entry.contract, entry.operation),
                name: entry.id.clone(),
                result: case_result(&entry.id, record, *outcome),
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
        suites.push(outside_suite(&outside));
        report::junit_document(
            "conformance proxy",
            self.started.elapsed().as_secs_f64(),
            &suites,
        )
    }

    /// The summary: met / violated / never met per operation the software called, and the entries by name.
    pub fn summary(&self) -> String {
        let Snapshot {
            entries,
            outside,
            exchanges,
        } = self.snapshot();
        let mut out = String::new();
        let (rows, total) = table_rows(&entries);
        report::table(&mut out, &["met", "violated", "never met"], &rows, &total);
        let called: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
        listing(&mut out, &entries, &called);
        for (operation, record) in &outside {
            let _ = writeln!(
                out,
                "  OUTSIDE {operation}: {} violation(s)",
                record.violation_count
            );
            for line in record.violations.iter().take(3) {
                let _ = writeln!(out, "      {line}");
            }
        }
        let _ = writeln!(
            out,
            "\nconformance proxy: {exchanges} exchanges; {} of {} documented answers met with valid requests, {} \
             with violations, {} never met",
            total[0],
            entries.len(),
            total[1],
            total[2]
        );
        out
    }

    /// Writes `client-ledger.json` and `junit.xml` under `dir`.
    pub fn write(&self, dir: &Path) -> Result<Value> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let json = self.json();
        std::fs::write(
            dir.join("client-ledger.json"),
            serde_json::to_string_pretty(&json)?,
        )
        .with_context(|| format!("writing {}", dir.display()))?;
        std::fs::write(dir.join("junit.xml"), self.junit())
            .with_context(|| format!("writing {}", dir.display()))?;
        Ok(json)
    }
}

fn case_result(id: &str, record: &Record, outcome: Outcome) -> CaseResult {
    match outcome {
        Outcome::Passed => CaseResult::Passed(format!(
            "received {} time(s), {} with a valid request; first request: {}",
            record.received,
            record.valid_requests,
            record.first_request.as_deref().unwrap_or_default()
        )),
        Outcome::Failed => CaseResult::Failed {
            kind: "violation".to_owned(),
            message: format!("{id}: {} violation(s)", record.violation_count),
            text: record.violations.join("\n"),
        },
        Outcome::NotReceived => CaseResult::Skipped("never received".to_owned()),
    }
}

fn outside_suite(outside: &BTreeMap<String, Record>) -> Suite {
    let mut cases: Vec<Case> = outside
        .iter()
        .map(|(operation, record)| Case {
            classname: "outside the ledger".to_owned(),
            name: operation.clone(),
            result: CaseResult::Failed {
                kind: "violation".to_owned(),
                message: format!("{operation}: {} violation(s)", record.violation_count),
                text: record.violations.join("\n"),
            },
        })
        .collect();
    if cases.is_empty() {
        cases.push(Case {
            classname: "outside the ledger".to_owned(),
            name: "no exchanges outside the ledger".to_owned(),
            result: CaseResult::Passed(String::new()),
        });
    }
    Suite {
        name: "outside the ledger".to_owned(),
        cases,
    }
}

/// Table rows (met, violated, never met) for each operation the software called, and the totals over all entries.
fn table_rows(entries: &[(&Entry, Record, Outcome)]) -> (Vec<Row>, Vec<usize>) {
    let mut rows: Vec<Row> = Vec::new();
    let mut total = vec![0; 3];
    for (entry, _, outcome) in entries {
        let column = match outcome {
            Outcome::Passed => 0,
            Outcome::Failed => 1,
            Outcome::NotReceived => 2,
        };
        total[column] += 1;
        match rows.iter_mut().find(|r| r.1 == entry.operation) {
            Some(row) => row.2[column] += 1,
            None => {
                let mut counts = vec![0; 3];
                counts[column] += 1;
                rows.push((entry.contract.clone(), entry.operation.clone(), counts));
            }
        }
    }
    rows.retain(|r| r.2[0] + r.2[1] > 0);
    (rows, total)
}

/// The entries met and violated by name, then those never met of each operation the software called, one line
/// per operation.
fn listing(out: &mut String, entries: &[(&Entry, Record, Outcome)], called: &[&str]) {
    let _ = writeln!(out);
    let mut never: Vec<(&str, Vec<String>)> = Vec::new();
    for (entry, record, outcome) in entries {
        match outcome {
            Outcome::Passed => {
                let _ = writeln!(out, "  MET       {} ({}×)", entry.id, record.received);
            }
            Outcome::Failed => {
                let _ = writeln!(
                    out,
                    "  VIOLATED  {} ({} violation(s))",
                    entry.id, record.violation_count
                );
                if let Some(line) = record.violations.first() {
                    let _ = writeln!(out, "      {line}");
                }
            }
            Outcome::NotReceived if called.contains(&entry.operation.as_str()) => {
                let answer = entry.id[entry.operation.len() + 1..].to_owned();
                match never.iter_mut().find(|(o, _)| *o == entry.operation) {
                    Some((_, answers)) => answers.push(answer),
                    None => never.push((&entry.operation, vec![answer])),
                }
            }
            Outcome::NotReceived => {}
        }
    }
    for (operation, answers) in never {
        let _ = writeln!(out, "  NEVER MET {operation}: {}", answers.join(", "));
    }
}
