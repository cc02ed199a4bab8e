//! `cargo xtask bench`: the benchmarks, against a fresh private PostgreSQL with normal durability: the expiry sweep,
//! and the validating proxy's overhead ([`crate::proxy_overhead`]).

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::postgres::{Purpose, with_postgres};

#[derive(clap::Args, Default)]
pub struct BenchArgs {
    /// Only this benchmark
    #[arg(long, value_enum)]
    only: Option<Benchmark>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Benchmark {
    /// The expiry sweep on 100,000 expired requests
    Sweep,
    /// The validating proxy's added latency and memory
    Proxy,
}

pub fn run(root: &Path, args: &BenchArgs) -> Result<()> {
    let dir = root.join("target/postgres/bench");
    with_postgres(&dir, Purpose::Bench, false, |postgres| {
        benchmarks(root, &postgres.admin_url, args.only)
    })
}

fn benchmarks(root: &Path, url: &str, only: Option<Benchmark>) -> Result<()> {
    if only.is_none_or(|b| b == Benchmark::Sweep) {
        sweep(root, url)?;
        crate::interrupt::check()?;
    }
    if only.is_none_or(|b| b == Benchmark::Proxy) {
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
