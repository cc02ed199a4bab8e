//! Building the workspace's binaries for `serve` and `conformance`.
//!
//! Every build selects the whole workspace (`--workspace`) and then names binaries, so features resolve as they do
//! for `cargo test --workspace --all-targets`. After that run (as inside `cargo xtask test`), or after one another,
//! these builds find the dependencies already built; selecting packages with `-p` would resolve features differently
//! and rebuild part of the tree.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// A build with extra features, kept in its own target directory so it never replaces the normal binaries.
pub struct Variant<'a> {
    /// Features as cargo takes them, `package/feature`.
    pub features: &'a str,
    pub target_dir: &'a str,
}

/// Builds `bins`, answering each one's executable by name.
pub fn binaries(
    root: &Path,
    bins: &[&str],
    variant: Option<&Variant>,
) -> Result<HashMap<String, PathBuf>> {
    let mut command = Command::new(crate::cargo());
    command.args(["build", "--workspace"]);
    for bin in bins {
        command.args(["--bin", bin]);
    }
    if let Some(variant) = variant {
        command.args([
            "--features",
            variant.features,
            "--target-dir",
            variant.target_dir,
        ]);
    }
    println!(
        "==> cargo build --workspace --bin {}{}",
        bins.join(" --bin "),
        variant
            .map(|v| format!(" --features {} --target-dir {}", v.features, v.target_dir))
            .unwrap_or_default()
    );
    let mut cargo = command
        .arg("--message-format=json-render-diagnostics")
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .context("could not run cargo build")?;
    let mut found = HashMap::new();
    if let Some(stdout) = cargo.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.context("could not read cargo's output")?;
            let Ok(message) = serde_json::from_str::<Value>(&line) else {
                println!("{line}");
                continue;
            };
            // A library of the same name reports no executable, so it is never taken for the binary.
            if message["reason"] == "compiler-artifact"
                && let (Some(name), Some(executable)) = (
                    message["target"]["name"].as_str(),
                    message["executable"].as_str(),
                )
                && bins.contains(&name)
            {
                found.insert(name.to_owned(), PathBuf::from(executable));
            }
        }
    }
    let status = cargo.wait().context("could not wait for cargo build")?;
    if !status.success() {
        bail!("cargo build failed ({status}); see its output above");
    }
    if let Some(missing) = bins.iter().find(|bin| !found.contains_key(**bin)) {
        bail!("cargo build succeeded but did not report where {missing} is");
    }
    Ok(found)
}
