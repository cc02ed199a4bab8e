//! The contracts under `openapi/` and the server code generated from them.

mod check;
mod contract;
mod generate;

use std::path::Path;

use anyhow::Result;

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
