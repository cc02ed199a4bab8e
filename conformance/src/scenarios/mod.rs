//! The scenario registry. Each scenario is a named `async fn` that sets up its own state through the sandbox API;
//! its registration names the ledger entries it proves. Scenarios live under a directory per contract, one file
//! per resource, and each directory's `mod.rs` lists its scenarios. To cover a new contract, add a directory with
//! its `scenarios()` (and, for agent-facing operations, its request templates in `templates`, which give them the
//! Accept-header and auth-matrix checks) and list it in [`all`]. Until then the ledger reports each of its entries
//! as UNCOVERED, by name.

pub mod accept_header;
pub mod across;
pub mod agent_authorisation_v1;
pub mod agent_authorisation_v2;
pub mod agent_client_authorisation;
pub mod platform;
pub mod sandbox;
pub mod support;
pub mod templates;
pub mod test_scenarios;
pub mod views;

use crate::harness::Scenario;

/// Every scenario: per-contract ones, then those every operation shares.
pub fn all(
    ledger: &crate::ledger::Ledger,
    contracts: &[crate::contract::Contract],
) -> Vec<Scenario> {
    let templates = templates::all();
    let mut scenarios = Vec::new();
    scenarios.extend(agent_authorisation_v2::scenarios());
    scenarios.extend(agent_authorisation_v1::scenarios());
    scenarios.extend(sandbox::scenarios());
    scenarios.extend(platform::scenarios());
    scenarios.extend(agent_client_authorisation::scenarios());
    scenarios.extend(across::scenarios());
    scenarios.extend(accept_header::scenarios(&templates));
    let secured = crate::contract::secured_operations(contracts);
    scenarios.extend(crate::auth_matrix::scenarios(&templates, &secured, ledger));
    scenarios.extend(test_scenarios::scenarios(&templates, ledger));
    scenarios
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::rules::{self, PREFIX};

    /// Every rule of this repository's rules document that can be seen from outside is declared by a fixed
    /// scenario, and every rule a scenario declares is one the document has and does not mark unverifiable.
    #[test]
    fn scenarios_prove_every_observable_rule_and_no_other() {
        let dir = std::path::Path::new(crate::CONTRACTS_DIR);
        let contracts = crate::contract::load_all(dir).unwrap();
        let ledger = crate::ledger::Ledger::from_contracts(&contracts).unwrap();
        let declared: BTreeSet<String> = super::all(&ledger, &contracts)
            .into_iter()
            .flat_map(|s| s.covers)
            .filter(|c| c.starts_with(PREFIX))
            .collect();
        let document = rules::load(&crate::rules_beside(dir)).unwrap().unwrap();
        let observable: BTreeSet<String> = document
            .iter()
            .filter(|r| r.unverifiable.is_none())
            .map(|r| r.entry())
            .collect();
        let unproved: Vec<&String> = observable.difference(&declared).collect();
        assert!(unproved.is_empty(), "no scenario proves {unproved:?}");
        let unknown: Vec<&String> = declared.difference(&observable).collect();
        assert!(
            unknown.is_empty(),
            "scenarios declare {unknown:?}, which the document does not hold as observable"
        );
    }
}
