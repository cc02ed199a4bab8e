//! Building the workspace's binaries for `serve` and `conformance`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// What is built besides the named binaries.
#[derive(Clone, Copy)]
pub enum Scope {
    /// Only what the binaries need.
    Binaries,
    /// The test targets too, as `cargo test --workspace --all-targets` builds them. Dev-dependencies then turn on
    /// the same features of shared dependencies as in that run, so right after it nothing is rebuilt and only
    /// binaries the tests did not need are linked. Without them, a few features differ (the browser test's
    /// dependencies turn some on) and about 20 crates, the server's library among them, are built a second time.
    WithTests,
}

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
    scope: Scope,
    variant: Option<&Variant<'_>>,
) -> Result<HashMap<String, PathBuf>> {
    let mut command = crate::cargo();
    command.args(["build", "--workspace"]);
    if let Scope::WithTests = scope {
        command.arg("--tests");
    }
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
        "==> cargo build --workspace{} --bin {}{}",
        if let Scope::WithTests = scope {
            " --tests"
        } else {
            ""
        },
        bins.join(" --bin "),
        variant
            .map(|v| format!(" --features {} --target-dir {}", v.features, v.target_dir))
            .unwrap_or_default()
    );
    collect(command, root, bins)
}

/// Builds `bins` with the release profile (for measurements), answering each one's executable by name.
pub fn release_binaries(root: &Path, bins: &[&str]) -> Result<HashMap<String, PathBuf>> {
    let mut command = crate::cargo();
    command.args(["build", "--release"]);
    for bin in bins {
        command.args(["--bin", bin]);
    }
    println!("==> cargo build --release --bin {}", bins.join(" --bin "));
    collect(command, root, bins)
}

/// Runs the build `command` and collects where each of `bins` was written.
fn collect(mut command: Command, root: &Path, bins: &[&str]) -> Result<HashMap<String, PathBuf>> {
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
            // With the test targets built too, a library of the same name reports an executable (its unit tests):
            // only a `bin` target is the binary.
            if message["reason"] == "compiler-artifact"
                && message["target"]["kind"]
                    .as_array()
                    .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"))
                && !message["profile"]["test"].as_bool().unwrap_or(false)
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
