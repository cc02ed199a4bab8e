//! `cargo xtask bench`: the benchmarks, against a fresh private PostgreSQL with normal durability.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::postgres::{Cluster, Purpose, StartOptions};

pub fn run(root: &Path) -> Result<()> {
    let (cluster, url) = Cluster::unless_database_url(
        &root.join("target/postgres/bench"),
        Purpose::Bench,
        &StartOptions::default(),
    )?;
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
        .env("DATABASE_URL", &url)
        .status()
        .context("running cargo bench")?;
    if let Some(cluster) = cluster {
        cluster.stop()?;
    }
    if !status.success() {
        bail!("the benchmark failed");
    }
    Ok(())
}
