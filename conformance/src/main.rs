//! `conformance`: the harness's command line, and the validating proxy (`conformance proxy`).
//!
//! `cargo xtask conformance` builds and starts a private server and runs the harness against it; a vendor runs it
//! against its own: `cargo run -p conformance -- --base-url URL`. `conformance proxy --upstream URL --listen ADDR`
//! puts the proxy between a vendor's software and a server (`cargo xtask proxy` does it with a private server).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use conformance::harness::Config;
use conformance::proxy::{self, AnswerScenarios};

#[derive(Parser)]
#[command(
    name = "conformance",
    version,
    about = "Prove every documented response of the contracts against a running server (or, with `proxy`, check a \
             client's traffic against them)",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    harness: HarnessArgs,
}

#[derive(Subcommand)]
enum Command {
    /// The validating proxy: forward every request to --upstream and check each exchange against the contracts
    Proxy(ProxyArgs),
}

#[derive(Args)]
struct HarnessArgs {
    /// The server to test, e.g. http://127.0.0.1:8080 (it must offer the sandbox API)
    #[arg(long, env = "CONFORMANCE_BASE_URL", required_unless_present = "list")]
    base_url: Option<String>,
    /// Seed for generated inputs and sequences (printed with every failure; default: random)
    #[arg(long)]
    seed: Option<u64>,
    /// How many generated input cases to run
    #[arg(long, default_value_t = 1000)]
    cases: u32,
    /// How many model-based sequences (of up to 30 steps) to run
    #[arg(long, default_value_t = 48)]
    sequences: u32,
    /// Only ledger entries whose name contains PATTERN (e.g. `create_invitation` or `/403/`), and scenarios whose
    /// name contains it
    #[arg(long, value_name = "PATTERN")]
    only: Option<String>,
    /// Requests in flight at once
    #[arg(long, default_value_t = 12)]
    concurrency: usize,
    /// Where the contracts are
    #[arg(long, default_value = conformance::CONTRACTS_DIR)]
    contracts: PathBuf,
    /// The rules document whose rules the scenarios must prove [default: ../docs/domain.md beside --contracts;
    /// without it, rules are not checked]
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// Where to write junit.xml and conformance.json
    #[arg(long, default_value = "target/conformance")]
    report_dir: PathBuf,
    /// List the ledger entries (responses, then rules) and exit
    #[arg(long)]
    list: bool,
}

#[derive(Args)]
struct ProxyArgs {
    /// The server to forward to, e.g. http://127.0.0.1:8080
    #[arg(long, value_name = "URL")]
    upstream: String,
    /// The address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// Where to write client-ledger.json and junit.xml (on exit and at GET /__conformance/report)
    #[arg(long, value_name = "DIR", default_value = "target/conformance-proxy")]
    report_dir: PathBuf,
    /// Answer a request that breaks the contract with 400 CONTRACT_VIOLATION instead of forwarding it
    #[arg(long)]
    strict: bool,
    /// Who answers Gov-Test-Scenario requests: the upstream when it answers the example, else the proxy (auto); the
    /// proxy always (local); the upstream always (upstream)
    #[arg(long, value_enum, default_value_t = AnswerScenarios::Auto)]
    answer_scenarios: AnswerScenarios,
    /// The largest request body (larger: 413), and the most of a response body that is checked
    #[arg(long, value_name = "BYTES", default_value_t = proxy::DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// How long the upstream gets to answer (then 504 UPSTREAM_TIMEOUT)
    #[arg(long, value_name = "SECONDS", default_value_t = proxy::DEFAULT_UPSTREAM_TIMEOUT.as_secs_f64())]
    upstream_timeout: f64,
    /// Where the contracts are
    #[arg(long, default_value = conformance::CONTRACTS_DIR)]
    contracts: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Proxy(args)) => run_proxy(args),
        None if cli.harness.list => match list(&cli.harness) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::from(2)
            }
        },
        None => run_harness(cli.harness),
    }
}

/// A runtime on every core (the proxy too: on one thread it would stall every exchange in flight whenever the
/// server and the database take the cores, which measured no better).
fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => Some(runtime),
        Err(error) => {
            eprintln!("error: {error}");
            None
        }
    }
}

fn run_harness(args: HarnessArgs) -> ExitCode {
    let rules = rules_document(&args);
    let seed = args.seed.unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
    });
    let config = Config {
        base_url: args
            .base_url
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_owned(),
        seed,
        cases: args.cases,
        sequences: args.sequences,
        only: args.only,
        concurrency: args.concurrency.max(1),
    };
    let Some(runtime) = runtime() else {
        return ExitCode::from(2);
    };
    match runtime.block_on(conformance::run::run(
        config,
        &args.contracts,
        &rules,
        &args.report_dir,
    )) {
        Ok(outcome) => {
            println!("{}", outcome.summary);
            if outcome.passed {
                println!("conformance: PASSED");
                ExitCode::SUCCESS
            } else {
                println!("conformance: FAILED");
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("conformance: could not run: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Exits 0 when no violation was seen, 1 when one was, 2 when the proxy could not run.
fn run_proxy(args: ProxyArgs) -> ExitCode {
    if !(args.upstream_timeout.is_finite() && args.upstream_timeout > 0.0) {
        eprintln!("error: --upstream-timeout must be a positive number of seconds");
        return ExitCode::from(2);
    }
    let mut config = proxy::Config::new(&args.upstream, args.listen);
    config.report_dir = args.report_dir;
    config.strict = args.strict;
    config.answer_scenarios = args.answer_scenarios;
    config.max_body_bytes = args.max_body_bytes;
    config.upstream_timeout = Duration::from_secs_f64(args.upstream_timeout);
    config.contracts_dir = args.contracts;
    let Some(runtime) = runtime() else {
        return ExitCode::from(2);
    };
    match runtime.block_on(proxy::run(config)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("conformance proxy: could not run: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// The rules document: `--rules`, or the one beside the contracts.
fn rules_document(args: &HarnessArgs) -> PathBuf {
    args.rules
        .clone()
        .unwrap_or_else(|| conformance::rules_beside(&args.contracts))
}

fn list(args: &HarnessArgs) -> anyhow::Result<()> {
    use conformance::ledger::Kind;
    let contracts = conformance::contract::load_all(&args.contracts)?;
    let mut ledger = conformance::ledger::Ledger::from_contracts(&contracts)?;
    conformance::run::add_rules(&mut ledger, &rules_document(args))?;
    for entry in ledger.entries() {
        let label = match entry.kind {
            Kind::Response => "unreachable",
            Kind::Rule => "unverifiable",
        };
        match &entry.unreachable {
            Some(reason) => println!("{}  ({label}: {reason})", entry.id),
            None => println!("{}", entry.id),
        }
    }
    Ok(())
}
