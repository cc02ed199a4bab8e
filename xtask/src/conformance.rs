//! `cargo xtask conformance`: the conformance harness (the `conformance` crate) against a private server and
//! PostgreSQL it starts itself, or against any running implementation with `--base-url`.
//!
//! `cargo xtask test` runs it too, and then the mutation proof ([`mutation_proof`]): a server built with the
//! `fault-injection` feature, started once per deliberate fault and seed, must make the harness's fixed scenarios
//! alone fail, naming the entry or rule the fault breaks, under each of two seeds.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::build::{self, Scope, Variant};
use crate::db::database_url;
use crate::postgres::{Purpose, with_postgres};
use crate::server::{Launch, SERVER_BIN, Server};

const SERVER_PACKAGE: &str = "agent-auth-server";
pub(crate) const HARNESS_BIN: &str = "conformance";
const DATABASE: &str = "agent_auth_conformance";
/// Where the fault-injection build goes, beside the normal one (under `CARGO_TARGET_DIR` when it is set), so that
/// it does not invalidate the normal build.
fn fault_target_dir() -> String {
    match std::env::var("CARGO_TARGET_DIR") {
        Ok(dir) if !dir.is_empty() => format!("{}/fault-injection", dir.trim_end_matches('/')),
        _ => "target/fault-injection".to_owned(),
    }
}

/// The server's body timeout in the harness's runs, short so that the slow-body rule (R-ERROR-SLOW-BODY) is proved
/// in seconds.
const BODY_TIMEOUT: (&str, &str) = ("REQUEST_BODY_TIMEOUT_SECONDS", "2");

#[derive(clap::Args, Default)]
pub struct ConformanceArgs {
    /// Test this running implementation instead of starting a private server (it must offer the sandbox API)
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Seed for generated inputs and sequences (default: random; every failure prints the seed that replays it)
    #[arg(long)]
    seed: Option<u64>,
    /// Generated input cases [default: 1000]
    #[arg(long, value_name = "N")]
    cases: Option<u32>,
    /// Model-based sequences [default: 48]
    #[arg(long, value_name = "N")]
    sequences: Option<u32>,
    /// Only ledger entries (and scenarios) whose name contains PATTERN
    #[arg(long, value_name = "PATTERN")]
    only: Option<String>,
    /// If PostgreSQL is missing, install it with apt-get (root on Debian/Ubuntu; automatic when CI=true)
    #[arg(long)]
    install: bool,
    /// Run the mutation proof instead (servers with deliberate faults must fail the harness)
    #[arg(long, conflicts_with = "base_url")]
    mutation_proof: bool,
}

impl ConformanceArgs {
    fn harness_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(seed) = self.seed {
            args.extend(["--seed".into(), seed.to_string()]);
        }
        if let Some(cases) = self.cases {
            args.extend(["--cases".into(), cases.to_string()]);
        }
        if let Some(sequences) = self.sequences {
            args.extend(["--sequences".into(), sequences.to_string()]);
        }
        if let Some(only) = &self.only {
            args.extend(["--only".into(), only.clone()]);
        }
        args
    }
}

/// `cargo xtask conformance [--base-url URL]`.
pub fn run(root: &Path, args: &ConformanceArgs) -> Result<()> {
    let binaries = build::binaries(root, &[HARNESS_BIN, SERVER_BIN], Scope::Binaries, None)?;
    let harness = &binaries[HARNESS_BIN];
    if let Some(base_url) = &args.base_url {
        return run_harness(
            root,
            harness,
            base_url,
            &args.harness_args(),
            &root.join("target/conformance"),
        )
        .map(|_| ());
    }
    let dir = root.join("target/postgres/conformance/test");
    with_postgres(&dir, Purpose::Test, args.install, |postgres| {
        if args.mutation_proof {
            mutation_proof(root, harness, &postgres.admin_url)
        } else {
            against_private_server(root, &binaries, &postgres.admin_url, args)
        }
    })
}

/// The run inside `cargo xtask test`, on its PostgreSQL: the harness against our server, then the mutation proof.
pub fn run_in_test(root: &Path, admin_url: &str) -> Result<()> {
    // The tests have just been built: building alongside them reuses that build.
    let binaries = build::binaries(root, &[HARNESS_BIN, SERVER_BIN], Scope::WithTests, None)?;
    let args = ConformanceArgs::default();
    // Both run, whatever the first says: they prove different things.
    let run = against_private_server(root, &binaries, admin_url, &args);
    crate::interrupt::check()?;
    let proof = mutation_proof(root, &binaries[HARNESS_BIN], admin_url);
    match (run, proof) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(error), Ok(())) | (Ok(()), Err(error)) => Err(error),
        (Err(run), Err(proof)) => bail!("{run:#}\n{proof:#}"),
    }
}

fn against_private_server(
    root: &Path,
    binaries: &std::collections::HashMap<String, PathBuf>,
    admin_url: &str,
    args: &ConformanceArgs,
) -> Result<()> {
    let started = Instant::now();
    let server = private_server(
        &binaries[SERVER_BIN],
        root,
        &database_url(admin_url, DATABASE),
        "server.log",
        &[BODY_TIMEOUT],
    )?;
    println!(
        "==> {SERVER_BIN} is up at {} ({:.1}s)",
        server.base_url,
        started.elapsed().as_secs_f64()
    );
    let outcome = run_harness(
        root,
        &binaries[HARNESS_BIN],
        &server.base_url,
        &args.harness_args(),
        &root.join("target/conformance"),
    );
    drop(server);
    println!(
        "==> conformance run, server start included: {:.1}s",
        started.elapsed().as_secs_f64()
    );
    match outcome? {
        true => Ok(()),
        false => {
            bail!("the conformance harness failed; see its report above and target/conformance/")
        }
    }
}

/// Runs the harness; answers whether it passed. Its output streams through.
fn run_harness(
    root: &Path,
    harness: &Path,
    base_url: &str,
    extra: &[String],
    report_dir: &Path,
) -> Result<bool> {
    println!(
        "==> {} --base-url {base_url} {}",
        harness.display(),
        extra.join(" ")
    );
    let status = Command::new(harness)
        .current_dir(root)
        .arg("--base-url")
        .arg(base_url)
        .arg("--report-dir")
        .arg(report_dir)
        .args(extra)
        .stdin(Stdio::null())
        .status()
        .context("could not run the conformance harness")?;
    match status.code() {
        Some(0) => Ok(true),
        Some(1) => Ok(false),
        _ => bail!("the conformance harness could not run ({status}); see its output above"),
    }
}

/// The deliberate faults of the `fault-injection` build (server/src/fault.rs), and the ledger entry or rule each
/// must fail.
const FAULTS: [(&str, &str); 30] = [
    (
        "wrong-error-code",
        "create_invitation/403/POSTCODE_DOES_NOT_MATCH",
    ),
    (
        "wrong-message",
        "create_invitation/400/CLIENT_TYPE_NOT_SUPPORTED",
    ),
    (
        "no-duplicate-location",
        "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
    ),
    ("accept-case-sensitive", "rule/R-ACCEPT-CASE"),
    (
        "bad-nino-500",
        "create_invitation/400/CLIENT_ID_FORMAT_INVALID",
    ),
    (
        "agent-type-before-service",
        "create_invitation/400/SERVICE_NOT_SUPPORTED",
    ),
    (
        "insolvency-before-known-fact",
        "check_relationship/403/VAT_REG_DATE_DOES_NOT_MATCH",
    ),
    (
        "postcode-contains",
        "check_relationship/403/POSTCODE_DOES_NOT_MATCH",
    ),
    ("time-without-millis", "get_invitation/200"),
    ("v2-updated-on-pending", "get_invitation/200"),
    ("expiry-22-days", "get_invitation/200"),
    ("expired-reads-pending", "rule/R-EXPIRY-READS-AT-ONCE"),
    ("list-by-last-change", "rule/R-LIST-30-DAYS"),
    ("list-oldest-first", "list_invitations/200"),
    (
        "no-duplicate-detection",
        "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
    ),
    ("supporting-displaces-others", "rule/R-REL-SUPPORTING-MANY"),
    ("main-keeps-the-old-main", "rule/R-REL-ONE-AGENT"),
    ("no-main-supporting-switch", "rule/R-REL-SWITCH"),
    ("partial-as-accepted", "rule/R-PARTIAL-ON-ACCEPT"),
    ("check-keeps-partial", "rule/R-PARTIAL-CHECK-CONVERTS"),
    ("client-end-by-agent", "rule/R-END-BY-CLIENT"),
    (
        "cancel-any-status",
        "cancel_invitation/403/INVALID_INVITATION_STATUS",
    ),
    (
        "status-before-ownership",
        "cancel_invitation/403/NO_PERMISSION_ON_AGENCY",
    ),
    ("staff-check-skipped", "update_alt_itsa/403/NO_PERMISSION"),
    (
        "arn-case-insensitive",
        "list_invitations/403/NO_PERMISSION_ON_AGENCY",
    ),
    (
        "v1-shows-supporting",
        "get_agency_invitation_v1/404/INVITATION_NOT_FOUND",
    ),
    ("service-filter-ignored", "list_sent_invitations/200"),
    ("hal-links-one-short", "rule/R-BACKEND-LISTS"),
    (
        "no-in-flight-lock",
        "create_invitation/403/ALREADY_BEING_PROCESSED",
    ),
    ("cancel-without-row-lock", "rule/R-ANSWER-CANCEL-RACE"),
];

/// The seeds every fault is run with: each must catch it, so that no fault is caught by one seed's luck.
const SEEDS: [u64; 2] = [1, 2];

/// Fault runs at once: each is a server, its database and the harness, mostly waiting on each other.
const PARALLEL_RUNS: usize = 3;

/// One run of the proof: a fault, the entry or rule it must fail, a seed.
#[derive(Clone, Copy)]
struct FaultRun {
    index: usize,
    fault: &'static str,
    entry: &'static str,
    seed: u64,
}

/// What one run showed.
struct Caught {
    run: FaultRun,
    caught: bool,
    /// The failure's first message line, or why the fault was missed.
    detail: String,
    seconds: f64,
}

/// A harness that cannot fail is worthless: for each deliberate fault and each of two seeds, a server with that
/// fault must make the fixed scenarios alone (`--cases 0 --sequences 0`) exit non-zero, naming the entry or rule
/// the fault breaks. The fault variant is built once; the runs go [`PARALLEL_RUNS`] at a time.
pub fn mutation_proof(root: &Path, harness: &Path, admin_url: &str) -> Result<()> {
    let started = Instant::now();
    let target_dir = fault_target_dir();
    println!(
        "==> mutation proof: building {SERVER_BIN} with --features fault-injection into {target_dir}"
    );
    let faulty = build::binaries(
        root,
        &[SERVER_BIN],
        Scope::Binaries,
        Some(&Variant {
            features: &format!("{SERVER_PACKAGE}/fault-injection"),
            target_dir: &target_dir,
        }),
    )?;
    let runs: Vec<FaultRun> = FAULTS
        .iter()
        .enumerate()
        .flat_map(|(index, &(fault, entry))| {
            SEEDS.map(|seed| FaultRun {
                index,
                fault,
                entry,
                seed,
            })
        })
        .collect();
    println!(
        "==> mutation proof: {} faults × seeds {SEEDS:?}, the fixed scenarios alone, {PARALLEL_RUNS} runs at a time",
        FAULTS.len()
    );
    let outcomes = run_all(&runs, |run| {
        fault_run(root, harness, &faulty[SERVER_BIN], admin_url, run)
    })?;
    report_proof(&outcomes, started.elapsed().as_secs_f64())
}

/// Runs `runs` on [`PARALLEL_RUNS`] threads; answers their outcomes in the order of `runs`.
fn run_all(
    runs: &[FaultRun],
    one: impl Fn(FaultRun) -> Result<Caught> + Sync,
) -> Result<Vec<Caught>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let outcomes: std::sync::Mutex<Vec<(usize, Result<Caught>)>> = Default::default();
    thread::scope(|scope| {
        for _ in 0..PARALLEL_RUNS {
            scope.spawn(|| {
                loop {
                    let at = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(&run) = runs.get(at) else { break };
                    let outcome = crate::interrupt::check().and_then(|()| one(run));
                    if let Ok(mut outcomes) = outcomes.lock() {
                        outcomes.push((at, outcome));
                    }
                }
            });
        }
    });
    let mut outcomes = outcomes
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a mutation-proof run panicked"))?;
    outcomes.sort_by_key(|(at, _)| *at);
    outcomes.into_iter().map(|(_, outcome)| outcome).collect()
}

/// One fault under one seed: a fresh server with the fault, and the fixed scenarios against it.
fn fault_run(
    root: &Path,
    harness: &Path,
    faulty: &Path,
    admin_url: &str,
    run: FaultRun,
) -> Result<Caught> {
    let started = Instant::now();
    let FaultRun {
        index,
        fault,
        entry,
        seed,
    } = run;
    let database = database_url(admin_url, &format!("{DATABASE}_fault_{index}_{seed}"));
    let log = format!("server-{fault}-seed-{seed}.log");
    let env = [BODY_TIMEOUT, ("AGENT_AUTH_FAULT", fault)];
    let server = private_server(faulty, root, &database, &log, &env)?;
    let report_dir = root.join(format!("target/conformance/mutation/{fault}-seed-{seed}"));
    let output = Command::new(harness)
        .current_dir(root)
        .args([
            "--base-url",
            &server.base_url,
            "--cases",
            "0",
            "--sequences",
            "0",
        ])
        .args(["--seed", &seed.to_string(), "--report-dir"])
        .arg(&report_dir)
        .stdin(Stdio::null())
        .output()
        .context("could not run the conformance harness")?;
    drop(server);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let exit = output.status.code();
    let named = stdout
        .lines()
        .any(|line| line.trim() == format!("FAIL {entry}"));
    let outcome = entry_outcome(&report_dir, entry);
    let caught = exit == Some(1) && named && outcome.as_deref() == Some("failed");
    let detail = if caught {
        let first = stdout
            .lines()
            .skip_while(|l| l.trim() != format!("FAIL {entry}"))
            .nth(1);
        first.unwrap_or_default().trim().to_owned()
    } else {
        format!(
            "the harness exited {exit:?} and reported {entry} as {outcome:?}; it must exit 1 and FAIL {entry}\n{}\n{}",
            crate::tail(&stdout, 40),
            crate::tail(&String::from_utf8_lossy(&output.stderr), 20)
        )
    };
    Ok(Caught {
        run,
        caught,
        detail,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The proof's table (a row per fault: the entry or rule it must fail, and what each seed's run showed), and its
/// verdict.
fn report_proof(outcomes: &[Caught], seconds: f64) -> Result<()> {
    let mut rows = Vec::new();
    for (fault, entry) in FAULTS {
        let runs: Vec<&Caught> = outcomes.iter().filter(|c| c.run.fault == fault).collect();
        let cells: Vec<String> = runs
            .iter()
            .map(|c| {
                let verdict = if c.caught { "caught" } else { "MISSED" };
                format!("seed {} {verdict} ({:.1}s)", c.run.seed, c.seconds)
            })
            .collect();
        rows.push(format!("  {fault:<30} {entry:<54} {}", cells.join("  ")));
        if let Some(first) = runs.first().filter(|c| c.caught) {
            rows.push(format!("      {}", first.detail));
        }
    }
    println!("==> mutation proof ({seconds:.0}s):\n{}", rows.join("\n"));
    let missed: Vec<String> = outcomes
        .iter()
        .filter(|c| !c.caught)
        .map(|c| format!("{} (seed {}): {}", c.run.fault, c.run.seed, c.detail))
        .collect();
    if missed.is_empty() {
        println!(
            "==> mutation proof: the fixed scenarios caught all {} deliberate faults under seeds {SEEDS:?}",
            FAULTS.len()
        );
        Ok(())
    } else {
        bail!(
            "the mutation proof failed: the harness missed a deliberate fault\n{}",
            missed.join("\n")
        )
    }
}

fn entry_outcome(report_dir: &Path, entry: &str) -> Option<String> {
    let text = std::fs::read_to_string(report_dir.join("conformance.json")).ok()?;
    let bundle: Value = serde_json::from_str(&text).ok()?;
    bundle["entries"]
        .as_array()?
        .iter()
        .find(|e| e["id"] == entry)
        .and_then(|e| e["outcome"].as_str())
        .map(str::to_owned)
}

/// A private server on a free port for the harness, the proxy or a benchmark: its output quiet (`RUST_LOG=warn`) in
/// `target/conformance/{log}`, and a pool of database connections as large as the harness's parallel clients need.
pub(crate) fn private_server(
    binary: &Path,
    root: &Path,
    database_url: &str,
    log: &str,
    env: &[(&str, &str)],
) -> Result<Server> {
    let bind = SocketAddr::from(([127, 0, 0, 1], crate::system::free_port()?));
    let log_dir = root.join("target/conformance");
    std::fs::create_dir_all(&log_dir)?;
    let mut all_env = vec![("RUST_LOG", "warn"), ("DATABASE_POOL_SIZE", "24")];
    all_env.extend_from_slice(env);
    Server::start(&Launch {
        binary,
        root,
        database_url,
        bind,
        base_url: format!("http://{bind}"),
        env: &all_env,
        log: Some(log_dir.join(log)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(relative: &str) -> String {
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)).unwrap()
    }

    /// The quoted names of server/src/fault.rs's `NAMES`.
    fn server_fault_names(source: &str) -> Vec<String> {
        let start = source.find("pub const NAMES").unwrap();
        let list = &source[start..source[start..].find("];").unwrap() + start];
        list.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    }

    /// Every `.rs` file under `dir`, with its text.
    fn sources(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }

    #[test]
    fn every_fault_of_the_server_is_proved() {
        let names = server_fault_names(&read("../server/src/fault.rs"));
        let proved: Vec<String> = FAULTS.iter().map(|(f, _)| f.to_string()).collect();
        assert_eq!(
            proved, names,
            "FAULTS must name every fault of server/src/fault.rs, in its order"
        );
        assert!(FAULTS.len() >= 20, "at least 20 faults");
        let mut files = Vec::new();
        sources(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/src"),
            &mut files,
        );
        for (fault, _) in FAULTS {
            let site = format!("crate::fault::active(\"{fault}\")");
            let used = files
                .iter()
                .any(|(path, text)| !path.ends_with("fault.rs") && text.contains(&site));
            assert!(used, "{fault} is switched on nowhere in server/src");
        }
    }

    #[test]
    fn every_fault_names_a_documented_entry_or_an_observable_rule() {
        let rules = read("../docs/domain.md");
        let contracts: String = [
            "agent-authorisation-v1",
            "agent-authorisation-v2",
            "agent-client-authorisation",
            "sandbox",
        ]
        .iter()
        .map(|c| read(&format!("../openapi/{c}.yaml")))
        .collect();
        for (fault, entry) in FAULTS {
            if let Some(id) = entry.strip_prefix("rule/") {
                let at = rules.find(&format!("- **{id}** —"));
                let rule = at
                    .map(|at| &rules[at..])
                    .and_then(|r| r.split("\n- ").next());
                assert!(rule.is_some(), "{fault}: docs/domain.md has no rule {id}");
                let observable = rule.is_some_and(|r| !r.contains("not observable from outside"));
                assert!(
                    observable,
                    "{fault}: {id} is not observable, so nothing can catch the fault"
                );
                continue;
            }
            let mut parts = entry.split('/');
            let operation = parts.next().unwrap_or_default();
            let example = parts.nth(1);
            assert!(
                contracts.contains(&format!("operationId: {operation}\n")),
                "{fault}: no contract has the operation {operation}"
            );
            if let Some(example) = example {
                assert!(
                    contracts.contains(&format!("{example}:")),
                    "{fault}: no example {example}"
                );
            }
        }
    }
}
