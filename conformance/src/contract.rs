//! The contracts under `openapi/`, as the harness reads them: parsed with openapiv3 (for the ledger) and kept as
//! JSON (for schema validation, whose `$ref`s the harness resolves itself), with a hash of their text.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One contract file.
#[derive(Debug, Clone)]
pub struct Contract {
    /// The file name, e.g. `agent-authorisation-v2.yaml`.
    pub file: String,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    pub document: openapiv3::OpenAPI,
    /// The same document as JSON.
    pub json: Value,
    /// The file's text, as written.
    pub text: String,
}

impl Contract {
    pub fn parse(file: &str, text: &str) -> Result<Self> {
        let json: Value =
            serde_yaml::from_str(text).with_context(|| format!("{file} is not YAML"))?;
        // Straight from the YAML, so that maps keep their document order.
        let document: openapiv3::OpenAPI = serde_yaml::from_str(text)
            .with_context(|| format!("{file} is not an OpenAPI 3.0 document"))?;
        Ok(Self {
            file: file.to_owned(),
            sha256: hex(&Sha256::digest(text.as_bytes())),
            document,
            json,
            text: text.to_owned(),
        })
    }

    /// `info.title` and `info.version`.
    pub fn title(&self) -> String {
        format!(
            "{} {}",
            self.document.info.title, self.document.info.version
        )
    }
}

/// The operations (by id) of every contract that need a bearer token: their `security`, or the document's, names
/// a scheme.
pub fn secured_operations(contracts: &[Contract]) -> std::collections::BTreeSet<String> {
    let mut secured = std::collections::BTreeSet::new();
    for contract in contracts {
        let default = contract.document.security.as_deref().unwrap_or_default();
        for (_, item) in contract.document.paths.iter() {
            let Some(item) = item.as_item() else { continue };
            for (_, operation) in item.iter() {
                let security = operation.security.as_deref().unwrap_or(default);
                if !security.is_empty()
                    && let Some(id) = &operation.operation_id
                {
                    secured.insert(id.clone());
                }
            }
        }
    }
    secured
}

/// The file beside the contracts that is not one: the breaking changes acknowledged on purpose (read by
/// `cargo xtask openapi breaking`).
pub const NOT_A_CONTRACT: &str = "accepted-breaking-changes.yaml";

/// Every `*.yaml` under `dir` but [`NOT_A_CONTRACT`], in name order.
pub fn load_all(dir: &Path) -> Result<Vec<Contract>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading the contracts in {}", dir.display()))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|path| {
        path.extension().is_some_and(|ext| ext == "yaml")
            && path.file_name().is_some_and(|name| name != NOT_A_CONTRACT)
    });
    files.sort();
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            Contract::parse(&name, &text)
        })
        .collect()
}

/// One hash over all contracts (each file's name and hash, in order).
pub fn combined_hash(contracts: &[Contract]) -> String {
    let mut hasher = Sha256::new();
    for contract in contracts {
        hasher.update(contract.file.as_bytes());
        hasher.update(b"\0");
        hasher.update(contract.sha256.as_bytes());
        hasher.update(b"\n");
    }
    hex(&hasher.finalize())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
