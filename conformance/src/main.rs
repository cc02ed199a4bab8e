//! `conformance`: the harness's command line. `cargo xtask conformance` builds and starts a private server and
//! runs this against it; a vendor runs it against its own: `cargo run -p conformance -- --base-url URL`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use conformance::harness::Config;

#[derive(Parser)]
#[command(
    name = "conformance",
    version,
    about = "Prove every documented response of the contracts against a running server"
)]
struct Cli {
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
    /// Where to write junit.xml and conformance.json
    #[arg(long, default_value = "target/conformance")]
    report_dir: PathBuf,
    /// List the ledger entries and exit
    #[arg(long)]
    list: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.list {
        return match list(&cli.contracts) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::from(2)
            }
        };
    }
    let seed = cli.seed.unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
    });
    let config = Config {
        base_url: cli
            .base_url
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_owned(),
        seed,
        cases: cli.cases,
        sequences: cli.sequences,
        only: cli.only,
        concurrency: cli.concurrency.max(1),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(conformance::run::run(
        config,
        &cli.contracts,
        &cli.report_dir,
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

fn list(dir: &std::path::Path) -> anyhow::Result<()> {
    let contracts = conformance::contract::load_all(dir)?;
    let ledger = conformance::ledger::Ledger::from_contracts(&contracts)?;
    for entry in ledger.entries() {
        match &entry.unreachable {
            Some(reason) => println!("{}  (unreachable: {reason})", entry.id),
            None => println!("{}", entry.id),
        }
    }
    Ok(())
}
