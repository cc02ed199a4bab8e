//! `cargo xtask` — the project's one front door.
//!
//! - `cargo xtask serve`: run the server locally against a private PostgreSQL cluster and print a ready-made agent
//!   and client to try it with.
//! - `cargo xtask test`: run every test against a fresh private PostgreSQL cluster, then the OpenAPI round-trip check,
//!   the conformance harness and its mutation proof.
//! - `cargo xtask conformance [--base-url URL]`: the conformance harness against a private server, or any server.
//! - `cargo xtask proxy [--upstream URL]`: the validating proxy in front of a private server (or any server), for
//!   checking a client's traffic against the contracts.
//! - `cargo xtask openapi generate | check`: regenerate the server's API traits from `openapi/`, or check that they
//!   still match.
//! - `cargo xtask schema generate | check`: rewrite `server/src/store/schema.rs` from the migrations, or check that
//!   it still matches them.
//! - `cargo xtask openapi breaking --base GIT_REF | --old OLD.yaml --new NEW.yaml`: report what changed in the
//!   contracts and fail on a breaking change not acknowledged in `openapi/accepted-breaking-changes.yaml`.
//!
//! With `DATABASE_URL` set, `serve`, `test` and `schema` use that server instead of starting their own.

#![allow(
    unsafe_code,
    reason = "signals, users and file locks through libc; each block says why it is sound"
)]

mod bench;
mod browser;
mod build;
mod conformance;
mod db;
mod load;
mod openapi;
mod postgres;
mod proxy;
mod proxy_overhead;
mod sandbox;
mod schema;
mod serve;
mod server;
mod stats;
mod system;
mod test;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "The project's front door: serve, test and check the OpenAPI contracts"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server locally (PostgreSQL included) and print a ready agent and client to try it with
    Serve(serve::ServeArgs),
    /// Run every test against a fresh private PostgreSQL, then the OpenAPI round-trip check
    Test(test::TestArgs),
    /// Run the conformance harness: against a private server and PostgreSQL, or any server with --base-url
    Conformance(conformance::ConformanceArgs),
    /// Put the validating proxy in front of a private server (or any server with --upstream) for a client to use
    Proxy(proxy::ProxyArgs),
    /// Run the benchmarks (the expiry sweep on 100,000 expired requests, the validating proxy's overhead) against a
    /// private PostgreSQL
    Bench(bench::BenchArgs),
    /// Work with the OpenAPI contracts under openapi/
    Openapi {
        #[command(subcommand)]
        command: OpenapiCommand,
    },
    /// Keep server/src/store/schema.rs true to migrations/ (on a private PostgreSQL, or DATABASE_URL's)
    Schema {
        #[command(subcommand)]
        command: SchemaCommand,
    },
}

#[derive(Subcommand)]
enum SchemaCommand {
    /// Rewrite server/src/store/schema.rs from the database migrations/ make
    Generate(schema::SchemaArgs),
    /// Check that server/src/store/schema.rs declares the tables migrations/ make, column for column
    Check(schema::SchemaArgs),
}

#[derive(Subcommand)]
enum OpenapiCommand {
    /// Regenerate the server's API traits and types from openapi/*.yaml
    Generate,
    /// Check that the server's API descriptions still match openapi/*.yaml
    Check,
    /// Report what changed in openapi/*.yaml since a git ref (or between two files) and fail on a breaking change
    Breaking(openapi::BreakingArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let result = match cli.command {
        Command::Serve(args) => {
            interrupt::install();
            serve::run(&root, &args)
        }
        Command::Test(args) => {
            interrupt::install();
            test::run(&root, &args)
        }
        Command::Conformance(args) => {
            interrupt::install();
            conformance::run(&root, &args)
        }
        Command::Proxy(args) => {
            interrupt::install();
            proxy::run(&root, &args)
        }
        Command::Bench(args) => {
            interrupt::install();
            bench::run(&root, &args)
        }
        Command::Openapi { command } => match command {
            OpenapiCommand::Generate => openapi::generate(&root),
            OpenapiCommand::Check => openapi::check(&root),
            // Its own exit codes: 1 for a breaking change, 2 when the contracts cannot be compared.
            OpenapiCommand::Breaking(args) => return openapi::breaking(&root, &args),
        },
        Command::Schema { command } => {
            interrupt::install();
            match command {
                SchemaCommand::Generate(args) => schema::generate(&root, &args),
                SchemaCommand::Check(args) => schema::check(&root, &args),
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if interrupt::received() {
                eprintln!("xtask: interrupted ({error:#})");
                ExitCode::from(130)
            } else {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        }
    }
}

/// The workspace root: the parent of this crate's directory.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// A command for the cargo that runs us (cargo sets `CARGO` for `cargo run`), else `cargo` from PATH.
///
/// In CI every build is a first build, so incremental compilation's caches (a fifth of the target directory) would
/// only cost disk and time.
fn cargo() -> std::process::Command {
    let mut command =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    if system::is_ci() {
        command.env("CARGO_INCREMENTAL", "0");
    }
    command
}

/// The last `lines` lines of `text`, for an error that quotes a log or a program's output.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Ctrl-C (SIGINT), SIGTERM and SIGHUP handling for the long-running commands.
///
/// While `serve` or `test` runs, these signals do not kill xtask: they are recorded here, so that xtask can forward
/// them to the server, wait for it, and stop PostgreSQL before it exits.
mod interrupt {
    use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

    static LAST_SIGNAL: AtomicI32 = AtomicI32::new(0);
    static COUNT: AtomicUsize = AtomicUsize::new(0);

    extern "C" fn record(signal: libc::c_int) {
        // Only async-signal-safe work here: two atomic stores.
        LAST_SIGNAL.store(signal, Ordering::SeqCst);
        COUNT.fetch_add(1, Ordering::SeqCst);
    }

    pub fn install() {
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: `record` is async-signal-safe, and the sigaction struct is fully initialised (zeroed, then the
            // handler and an empty mask set) before it is passed to the kernel.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = record as extern "C" fn(libc::c_int) as libc::sighandler_t;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
    }

    /// How many signals have arrived so far.
    pub fn count() -> usize {
        COUNT.load(Ordering::SeqCst)
    }

    /// Whether any signal has arrived.
    pub fn received() -> bool {
        count() > 0
    }

    /// The last signal that arrived (SIGINT if none did).
    pub fn last_signal() -> libc::c_int {
        match LAST_SIGNAL.load(Ordering::SeqCst) {
            0 => libc::SIGINT,
            signal => signal,
        }
    }

    /// An error if a signal has arrived, to stop at the next step boundary.
    pub fn check() -> anyhow::Result<()> {
        if received() {
            anyhow::bail!("stopped by a signal");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::tail;

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a\n", 30), "a");
        assert_eq!(tail("", 30), "");
    }
}
