//! The scenario registry. Each scenario sets up its own state through the sandbox API and names the ledger
//! entries it proves. To cover a new contract, add a module with its `scenarios()` (and, for agent-facing
//! operations, its request templates in `templates`) and list it in [`all`].

pub mod accept_header;
pub mod sandbox;
pub mod templates;
pub mod v2;
pub mod views;

use crate::harness::Scenario;

/// Every scenario: per-contract ones, then those every operation shares.
pub fn all() -> Vec<Scenario> {
    let templates = templates::all();
    let mut scenarios = Vec::new();
    scenarios.extend(v2::scenarios());
    scenarios.extend(sandbox::scenarios());
    scenarios.extend(accept_header::scenarios(&templates));
    scenarios.extend(crate::auth_matrix::scenarios(&templates));
    scenarios
}
