//! Loading the hand-written contracts under `openapi/` and resolving their `$ref`s.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use openapiv3::{OpenAPI, ReferenceOr, Schema};

/// One OpenAPI document and the names derived from its file.
pub struct Contract {
    /// Path relative to the workspace root, e.g. `openapi/sandbox.yaml`.
    pub file: PathBuf,
    /// The Rust module the server's generated code lives in, e.g. `agent_authorisation_v2`.
    pub module: String,
    pub document: OpenAPI,
}

impl Contract {
    /// Resolves a schema reference of the form `#/components/schemas/Name`.
    pub fn schema<'a>(&'a self, schema: &'a ReferenceOr<Schema>) -> Result<&'a Schema> {
        match schema {
            ReferenceOr::Item(schema) => Ok(schema),
            ReferenceOr::Reference { reference } => {
                let name = schema_ref_name(reference)?;
                match self.component_schema(name)? {
                    ReferenceOr::Item(schema) => Ok(schema),
                    nested => self.schema(nested),
                }
            }
        }
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
    let dir = root.join("openapi");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|path| path.extension().is_some_and(|ext| ext == "yaml"));
    files.sort();
    files.iter().map(|path| load(root, path)).collect()
}

fn load(root: &Path, path: &Path) -> Result<Contract> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let document: OpenAPI = serde_yaml::from_str(&text)
        .with_context(|| format!("{} is not an OpenAPI 3.0 document", path.display()))?;
    let stem = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .context("contract file name is not UTF-8")?;
    Ok(Contract {
        file: path.strip_prefix(root).unwrap_or(path).to_path_buf(),
        module: stem.replace('-', "_"),
        document,
    })
}
