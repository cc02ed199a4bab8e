//! `openapi/accepted-breaking-changes.yaml`: breaking changes made on purpose to a published contract, each
//! with its reason, reviewed like code. An entry names the file, the rule and (optionally) the operation; it
//! acknowledges every breaking change that matches, so the check reports it as `accepted` and does not fail.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::compare::Change;
use super::rules::Rule;
use crate::openapi::contract::ACCEPTED_BREAKING_CHANGES_FILE;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptedFile {
    /// Absent or empty (`accepted:`) means none.
    #[serde(default)]
    accepted: Option<Vec<Accepted>>,
}

/// One acknowledged breaking change.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Accepted {
    /// As the check names it, e.g. `openapi/agent-authorisation-v1.yaml`.
    pub file: String,
    /// An operationId; absent covers every operation of the file.
    #[serde(default)]
    pub operation: Option<String>,
    /// A rule id, e.g. `request-property-enum-value-removed`.
    pub rule: String,
    pub reason: String,
}

impl Accepted {
    pub fn covers(&self, change: &Change) -> bool {
        let operation_matches = match &self.operation {
            None => true,
            Some(wanted) => change
                .operation
                .as_ref()
                .and_then(|operation| operation.id.as_deref())
                .is_some_and(|id| id == wanted),
        };
        change.rule.breaking()
            && self.file == change.file
            && self.rule == change.rule.id()
            && operation_matches
    }
}

/// The accepted changes of the working tree; none if the file is absent.
pub fn load(root: &Path) -> Result<Vec<Accepted>> {
    let path = root.join("openapi").join(ACCEPTED_BREAKING_CHANGES_FILE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text).with_context(|| format!("{} is not valid", path.display()))
}

/// Parses the file; an unknown rule id or an empty reason is an error, so that a typo cannot hide a change.
pub fn parse(text: &str) -> Result<Vec<Accepted>> {
    let file: AcceptedFile = serde_yaml::from_str(text)?;
    let accepted = file.accepted.unwrap_or_default();
    for entry in &accepted {
        match Rule::from_id(&entry.rule) {
            None => bail!("{}: no rule has the id '{}'", entry.file, entry.rule),
            Some(rule) if !rule.breaking() => {
                bail!(
                    "{}: '{}' is not a breaking rule; only breaking changes need accepting",
                    entry.file,
                    entry.rule
                )
            }
            Some(_) => {}
        }
        if entry.reason.trim().is_empty() {
            bail!(
                "{}: the entry for '{}' has no reason",
                entry.file,
                entry.rule
            );
        }
    }
    Ok(accepted)
}
