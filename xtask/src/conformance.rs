//! `cargo xtask conformance`: the conformance harness (the `conformance` crate) against a private server and
//! PostgreSQL it starts itself, or against any running implementation with `--base-url`.
//!
//! `cargo xtask test` runs it too, and then the mutation proof ([`mutation_proof`]): a server built with the
//! `fault-injection` feature, started once per deliberate fault, must make the harness fail, naming the entry.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::build::{self, Scope, Variant};
use crate::postgres::{Cluster, Purpose, StartOptions};

const SERVER_PACKAGE: &str = "agent-auth-server";
pub(crate) const SERVER_BIN: &str = "agent-auth-server";
pub(crate) const HARNESS_BIN: &str = "conformance";
const DATABASE: &str = "agent_auth_conformance";
/// Where the fault-injection build goes, so it does not invalidate the normal build.
const FAULT_TARGET_DIR: &str = "target/fault-injection";

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
    let (cluster, admin_url) = Cluster::unless_database_url(
        &root.join("target/postgres/conformance/test"),
        Purpose::Test,
        &StartOptions {
            port: None,
            install: args.install,
        },
    )?;
    let result = if args.mutation_proof {
        mutation_proof(root, harness, &admin_url)
    } else {
        against_private_server(root, &binaries, &admin_url, args)
    };
    let stopped = match cluster {
        Some(cluster) => cluster.stop(),
        None => Ok(()),
    };
    result?;
    stopped
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
    let server = Server::start(
        &binaries[SERVER_BIN],
        root,
        &database_url(admin_url, DATABASE),
        None,
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

/// The deliberate faults of the `fault-injection` build, and the ledger entry each must fail.
const FAULTS: [(&str, &str); 4] = [
    (
        "wrong-error-code",
        "create_invitation/403/POSTCODE_DOES_NOT_MATCH",
    ),
    (
        "no-duplicate-location",
        "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
    ),
    (
        "bad-nino-500",
        "create_invitation/400/CLIENT_ID_FORMAT_INVALID",
    ),
    (
        "no-duplicate-detection",
        "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
    ),
];

/// A harness that cannot fail is worthless: for each deliberate fault, a server with that fault must make the
/// harness exit non-zero, naming the entry the fault breaks.
pub fn mutation_proof(root: &Path, harness: &Path, admin_url: &str) -> Result<()> {
    println!(
        "==> mutation proof: building {SERVER_BIN} with --features fault-injection into {FAULT_TARGET_DIR}"
    );
    let faulty = build::binaries(
        root,
        &[SERVER_BIN],
        Scope::Binaries,
        Some(&Variant {
            features: &format!("{SERVER_PACKAGE}/fault-injection"),
            target_dir: FAULT_TARGET_DIR,
        }),
    )?;
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    for (index, (fault, entry)) in FAULTS.into_iter().enumerate() {
        crate::interrupt::check()?;
        let started = Instant::now();
        let database = database_url(admin_url, &format!("{DATABASE}_fault_{index}"));
        let server = Server::start(&faulty[SERVER_BIN], root, &database, Some(fault))?;
        let report_dir = root.join(format!("target/conformance/mutation/{fault}"));
        println!("==> mutation proof: AGENT_AUTH_FAULT={fault} must fail {entry}");
        let output = Command::new(harness)
            .current_dir(root)
            .args([
                "--base-url",
                &server.base_url,
                "--cases",
                "300",
                "--sequences",
                "8",
                "--seed",
                "1",
                "--report-dir",
            ])
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
        let detected = exit == Some(1) && named && outcome.as_deref() == Some("failed");
        let message = stdout
            .lines()
            .skip_while(|line| line.trim() != format!("FAIL {entry}"))
            .nth(1)
            .unwrap_or_default()
            .trim()
            .to_owned();
        rows.push(format!(
            "  {fault:<24} {entry:<56} {} ({:.1}s)\n      {message}",
            if detected { "caught" } else { "MISSED" },
            started.elapsed().as_secs_f64()
        ));
        if !detected {
            problems.push(format!(
                "{fault}: the harness exited {exit:?} and reported {entry} as {outcome:?}; it must exit 1 and FAIL {entry}\n{}\n{}",
                tail(&stdout, 40),
                tail(&String::from_utf8_lossy(&output.stderr), 20)
            ));
        }
    }
    println!("==> mutation proof:\n{}", rows.join("\n"));
    if problems.is_empty() {
        println!(
            "==> mutation proof: the harness caught all {} deliberate faults",
            FAULTS.len()
        );
        Ok(())
    } else {
        bail!(
            "the mutation proof failed: the harness missed a deliberate fault\n{}",
            problems.join("\n")
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

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// `admin_url` (a PostgreSQL URL) with its database replaced by `database`.
pub(crate) fn database_url(admin_url: &str, database: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    match base[scheme_end..].find('/') {
        Some(slash) => format!("{}/{database}{query}", &base[..scheme_end + slash]),
        None => format!("{base}/{database}{query}"),
    }
}

/// A private server on a free port; stopped when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) base_url: String,
    log: PathBuf,
}

impl Server {
    pub(crate) fn start(
        binary: &Path,
        root: &Path,
        database_url: &str,
        fault: Option<&str>,
    ) -> Result<Server> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let base_url = format!("http://{address}");
        let log_dir = root.join("target/conformance");
        std::fs::create_dir_all(&log_dir)?;
        let log = log_dir.join(format!(
            "server{}.log",
            fault.map(|f| format!("-{f}")).unwrap_or_default()
        ));
        let log_file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut command = Command::new(binary);
        command
            .current_dir(root)
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDRESS", address.to_string())
            .env("PUBLIC_BASE_URL", &base_url)
            .env("RUST_LOG", "warn")
            .env("DATABASE_POOL_SIZE", "24")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .process_group(0);
        match fault {
            Some(fault) => command.env("AGENT_AUTH_FAULT", fault),
            None => command.env_remove("AGENT_AUTH_FAULT"),
        };
        crate::system::stop_with_xtask(&mut command);
        let child = command
            .spawn()
            .with_context(|| format!("could not start {}", binary.display()))?;
        let mut server = Server {
            child,
            base_url,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "{SERVER_BIN} exited ({status}) before it accepted connections:\n{}",
                    server.log_tail()
                );
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return Ok(server);
            }
            if Instant::now() > deadline {
                bail!(
                    "{SERVER_BIN} did not accept connections on {address} within 60 s:\n{}",
                    server.log_tail()
                );
            }
            crate::interrupt::check()?;
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_tail(&self) -> String {
        let mut text = String::new();
        let _ = std::fs::File::open(&self.log).and_then(|mut f| f.read_to_string(&mut text));
        tail(&text, 30)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) on our own child, not yet reaped.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_swap_the_database() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            database_url("postgres://u:p@h/db?sslmode=require", "x"),
            "postgres://u:p@h/x?sslmode=require"
        );
        assert_eq!(database_url("postgres://h:1", "x"), "postgres://h:1/x");
    }

    #[test]
    fn every_fault_of_the_server_is_proved() {
        let source = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/src/fault.rs"),
        )
        .unwrap();
        for (fault, _) in FAULTS {
            assert!(
                source.contains(&format!("\"{fault}\"")),
                "{fault} is not a fault of server/src/fault.rs"
            );
        }
    }
}
