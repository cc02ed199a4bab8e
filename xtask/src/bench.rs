//! `cargo xtask bench`: the benchmarks, against a fresh private PostgreSQL with normal durability: the load
//! benchmark ([`crate::load`]), the expiry sweep, and the validating proxy's overhead
//! ([`crate::proxy_overhead`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::postgres::{Postgres, Purpose, with_postgres};

#[derive(clap::Args, Default)]
pub struct BenchArgs {
    /// Only this benchmark
    #[arg(long, value_enum)]
    only: Option<Benchmark>,
    /// The load benchmark's server: this executable instead of a release build of the tree (another revision's,
    /// to compare)
    #[arg(long, value_name = "PATH")]
    server_binary: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Benchmark {
    /// The server beside pgbench running its statements, and read and list at 10k and 1M stored requests
    Load,
    /// The expiry sweep on 100,000 expired requests
    Sweep,
    /// The validating proxy's added latency and memory
    Proxy,
}

pub fn run(root: &Path, args: &BenchArgs) -> Result<()> {
    let dir = root.join("target/postgres/bench");
    with_postgres(&dir, Purpose::Bench, false, |postgres| {
        benchmarks(root, postgres, args)
    })
}

fn benchmarks(root: &Path, postgres: &Postgres, args: &BenchArgs) -> Result<()> {
    let url = postgres.admin_url.as_str();
    let runs = |benchmark| args.only.is_none_or(|only| only == benchmark);
    if runs(Benchmark::Load) {
        match &postgres.private_dir {
            Some(dir) => crate::load::run(root, url, dir, args.server_binary.as_deref())?,
            // The statements are captured from the cluster's log, which only a private cluster offers.
            None if args.only.is_some() => {
                bail!("the load benchmark needs a private cluster: unset DATABASE_URL")
            }
            None => {
                println!("==> load: skipped, as it needs a private cluster (DATABASE_URL is set)")
            }
        }
        crate::interrupt::check()?;
    }
    if runs(Benchmark::Sweep) {
        sweep(root, url)?;
        crate::interrupt::check()?;
    }
    if runs(Benchmark::Proxy) {
        println!("==> the validating proxy's overhead");
        crate::proxy_overhead::run(root, url)?;
    }
    Ok(())
}

fn sweep(root: &Path, url: &str) -> Result<()> {
    println!("==> cargo bench -p agent-auth-server (release build)");
    let status = crate::cargo()
        .current_dir(root)
        .args([
            "bench",
            "--package",
            "agent-auth-server",
            "--bench",
            "expiry_sweep",
        ])
        .env("DATABASE_URL", url)
        .status()
        .context("running cargo bench")?;
    if !status.success() {
        bail!("the benchmark failed");
    }
    Ok(())
}
