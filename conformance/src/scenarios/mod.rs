//! The scenario registry. Each scenario sets up its own state through the sandbox API and names the ledger
//! entries it proves. To cover a new contract, add a module with its `scenarios()` (and, for agent-facing
//! operations, its request templates in `templates`, which give them the Accept-header and auth-matrix checks)
//! and list it in [`all`]. Until then the ledger reports each of its entries as UNCOVERED, by name.

pub mod accept_header;
pub mod backend;
pub mod sandbox;
pub mod templates;
pub mod v1;
pub mod v2;
pub mod views;

use crate::harness::Scenario;

/// Every scenario: per-contract ones, then those every operation shares.
pub fn all() -> Vec<Scenario> {
    let templates = templates::all();
    let mut scenarios = Vec::new();
    scenarios.extend(v2::scenarios());
    scenarios.extend(v1::scenarios());
    scenarios.extend(sandbox::scenarios());
    scenarios.extend(backend::scenarios());
    scenarios.extend(accept_header::scenarios(&templates));
    scenarios.extend(crate::auth_matrix::scenarios(&templates));
    scenarios
}
