//! Loading the hand-written contracts under `openapi/` and resolving their `$ref`s.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use openapiv3::{Components, OpenAPI, ReferenceOr, Schema};

/// The reviewed list of breaking changes made on purpose (`cargo xtask openapi breaking`). It lives beside the
/// contracts but is not one, so everything that loads `openapi/*.yaml` as contracts skips it by this name.
pub const ACCEPTED_BREAKING_CHANGES_FILE: &str = "accepted-breaking-changes.yaml";

/// One OpenAPI document and the names derived from its file.
pub struct Contract {
    /// Path relative to the workspace root, e.g. `openapi/sandbox.yaml`.
    pub file: PathBuf,
    /// The Rust module the server's generated code lives in, e.g. `agent_authorisation_v2`.
    pub module: String,
    pub document: OpenAPI,
}

/// The extension that marks a contract as the sandbox's: its operations exist only while the sandbox is on.
pub const SANDBOX_EXTENSION: &str = "x-sandbox";

impl Contract {
    /// Whether the contract is the sandbox's (`x-sandbox: true` in its `info`).
    pub fn is_sandbox(&self) -> bool {
        self.document
            .info
            .extensions
            .get(SANDBOX_EXTENSION)
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    }

    /// Resolves a schema reference of the form `#/components/schemas/Name`.
    pub fn schema<'a>(&'a self, schema: &'a ReferenceOr<Schema>) -> Result<&'a Schema> {
        match schema {
            ReferenceOr::Item(schema) => Ok(schema),
            ReferenceOr::Reference { reference } => self.schema_at(reference),
        }
    }

    /// The schema a `#/components/schemas/Name` reference points at, following references to references.
    pub fn schema_at(&self, reference: &str) -> Result<&Schema> {
        let name = schema_ref_name(reference)?;
        match self.component_schema(name)? {
            ReferenceOr::Item(schema) => Ok(schema),
            ReferenceOr::Reference { reference } => self.schema_at(reference),
        }
    }

    /// Resolves a `#/components/{kind}/Name` reference to a parameter, header, request body or response;
    /// `pick` looks a name up in the right components map.
    pub fn component<'a, T>(
        &'a self,
        item: &'a ReferenceOr<T>,
        kind: &str,
        pick: impl Fn(&'a Components, &str) -> Option<&'a ReferenceOr<T>>,
    ) -> Result<&'a T> {
        let mut item = item;
        // A bounded walk: a reference loop is an error, not a hang.
        for _ in 0..16 {
            let reference = match item {
                ReferenceOr::Item(value) => return Ok(value),
                ReferenceOr::Reference { reference } => reference,
            };
            let prefix = format!("#/components/{kind}/");
            let name = reference.strip_prefix(&prefix).with_context(|| {
                format!("unsupported reference {reference}: expected {prefix}...")
            })?;
            item = self
                .document
                .components
                .as_ref()
                .and_then(|components| pick(components, name))
                .with_context(|| format!("{}: no {kind} named {name}", self.file.display()))?;
        }
        bail!("{}: too many nested {kind} references", self.file.display())
    }

    pub fn component_schema(&self, name: &str) -> Result<&ReferenceOr<Schema>> {
        self.document
            .components
            .as_ref()
            .and_then(|components| components.schemas.get(name))
            .with_context(|| format!("{}: no schema named {name}", self.file.display()))
    }
}

/// The schema name a `#/components/schemas/Name` reference points at.
pub fn schema_ref_name(reference: &str) -> Result<&str> {
    match reference.strip_prefix("#/components/schemas/") {
        Some(name) => Ok(name),
        None => {
            bail!("unsupported reference {reference}: only #/components/schemas/... is resolved")
        }
    }
}

/// Every contract under `openapi/`, in file-name order.
pub fn load_all(root: &Path) -> Result<Vec<Contract>> {
    contract_files(root)?
        .iter()
        .map(|path| load(root, path))
        .collect()
}

/// The paths of the contracts under `openapi/`, in file-name order.
pub fn contract_files(root: &Path) -> Result<Vec<PathBuf>> {
    let dir = root.join("openapi");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|path| {
        path.file_name()
            .and_then(|name| name.to_str())
            .is_some_and(is_contract_file_name)
    });
    files.sort();
    Ok(files)
}

/// Whether a file under `openapi/` is a contract: a `.yaml` file other than the accepted breaking changes.
pub fn is_contract_file_name(name: &str) -> bool {
    name.ends_with(".yaml") && name != ACCEPTED_BREAKING_CHANGES_FILE
}

fn load(root: &Path, path: &Path) -> Result<Contract> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(path.strip_prefix(root).unwrap_or(path), &text)
}

/// A contract from its text; `file` names it in messages and gives its module name.
pub fn parse(file: &Path, text: &str) -> Result<Contract> {
    let document: OpenAPI = serde_yaml::from_str(text)
        .with_context(|| format!("{} is not an OpenAPI 3.0 document", file.display()))?;
    let stem = file
        .file_stem()
        .and_then(|stem| stem.to_str())
        .context("contract file name is not UTF-8")?;
    Ok(Contract {
        file: file.to_path_buf(),
        module: stem.replace('-', "_"),
        document,
    })
}
