//! The contracts under `openapi/` and the server code generated from them.

mod breaking;
mod check;
mod contract;
mod docs;
mod generate;
mod shared_types;
mod test_scenarios;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

pub use breaking::BreakingArgs;

/// Regenerates the server's API traits and types from the contracts.
pub fn generate(root: &Path) -> Result<()> {
    let contracts = contract::load_all(root)?;
    generate::write_all(root, &contracts)
}

/// Fails, naming each difference, when the server's API and the contracts disagree.
pub fn check(root: &Path) -> Result<()> {
    let contracts = contract::load_all(root)?;
    check::run(root, &contracts)
}

/// Reports what changed in the contracts since an earlier version, and fails on a breaking change that is not
/// acknowledged in `openapi/accepted-breaking-changes.yaml` (exit 1; 2 when they cannot be compared).
pub fn breaking(root: &Path, args: &BreakingArgs) -> ExitCode {
    breaking::run(root, args)
}

/// The breaking-change check of `cargo xtask test`: against the merge base with `origin/main`, else `HEAD~1`.
pub fn breaking_in_test(root: &Path) -> Result<()> {
    breaking::check_in_test(root)
}
