//! Schemas that several contracts define alike: generated once, in `generated/shared.rs`, and re-exported by each
//! of those contracts' `types` modules.
//!
//! Versions of one API share most shapes (1.0 on the `/agents` paths answers exactly as 2.0). One Rust type per
//! shared shape lets a version's handlers hand over to another's without converting between identical structs,
//! and a new version that keeps a shape keeps its type. Shapes are compared without prose (descriptions,
//! examples, titles); a schema is shared only when everything it refers to is shared too.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use serde_json::Value;

use super::contract::Contract;

/// The Rust path of the module the shared types are generated in.
pub const SHARED_MODULE: &str = "crate::api::generated::shared";

/// Which schemas are shared, and by which contracts.
#[derive(Debug, Default)]
pub struct SharedSchemas {
    /// Schema name → the contracts (by file) that define it alike.
    by_name: BTreeMap<String, BTreeSet<String>>,
}

impl SharedSchemas {
    pub fn find(contracts: &[Contract]) -> Result<Self> {
        let mut shapes: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
        for contract in contracts {
            for (name, schema) in schemas(contract) {
                let file = contract.file.display().to_string();
                shapes
                    .entry(name)
                    .or_default()
                    .push((file, shape(&serde_json::to_value(schema)?)));
            }
        }
        let mut by_name = BTreeMap::new();
        for (name, definitions) in shapes {
            // The contracts that define the name as the first definition that any other matches does.
            for (_, first) in &definitions {
                let alike: BTreeSet<String> = definitions
                    .iter()
                    .filter(|(_, shape)| shape == first)
                    .map(|(file, _)| file.clone())
                    .collect();
                if alike.len() >= 2 {
                    by_name.insert(name, alike);
                    break;
                }
            }
        }
        let mut shared = Self { by_name };
        shared.keep_closed(contracts)?;
        Ok(shared)
    }

    /// Drops, until none is left to drop, every shared schema that refers to one not shared by the same contracts.
    fn keep_closed(&mut self, contracts: &[Contract]) -> Result<()> {
        loop {
            let mut dropped = Vec::new();
            for (name, files) in &self.by_name {
                let contract = contracts
                    .iter()
                    .find(|c| files.contains(&c.file.display().to_string()));
                let Some(contract) = contract else { continue };
                let schema = serde_json::to_value(contract.component_schema(name)?)?;
                let all_shared = references(&schema).iter().all(|referred| {
                    self.by_name
                        .get(referred)
                        .is_some_and(|others| files.is_subset(others))
                });
                if !all_shared {
                    dropped.push(name.clone());
                }
            }
            if dropped.is_empty() {
                return Ok(());
            }
            for name in dropped {
                self.by_name.remove(&name);
            }
        }
    }

    /// The shared schemas a contract uses, by name.
    pub fn of(&self, contract: &Contract) -> BTreeSet<String> {
        let file = contract.file.display().to_string();
        self.by_name
            .iter()
            .filter(|(_, files)| files.contains(&file))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Every shared schema with its definition (from the first contract, in file order, that has it).
    pub fn definitions(&self, contracts: &[Contract]) -> Result<Vec<(String, Value)>> {
        let mut definitions = Vec::new();
        for (name, files) in &self.by_name {
            if let Some(contract) = contracts
                .iter()
                .find(|c| files.contains(&c.file.display().to_string()))
            {
                definitions.push((
                    name.clone(),
                    serde_json::to_value(contract.component_schema(name)?)?,
                ));
            }
        }
        Ok(definitions)
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

fn schemas(contract: &Contract) -> Vec<(String, &openapiv3::ReferenceOr<openapiv3::Schema>)> {
    contract
        .document
        .components
        .iter()
        .flat_map(|components| components.schemas.iter())
        .map(|(name, schema)| (name.clone(), schema))
        .collect()
}

/// A schema without its prose: what two definitions must agree on to be one type.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| {
                    !matches!(
                        key.as_str(),
                        "description" | "example" | "examples" | "title"
                    )
                })
                .map(|(key, value)| (key.clone(), shape(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        other => other.clone(),
    }
}

/// The component schemas a schema refers to.
fn references(value: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    collect_references(value, &mut found);
    found
}

fn collect_references(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                found.insert(name.to_owned());
            }
            map.values().for_each(|v| collect_references(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(file: &str, schemas: &str) -> Contract {
        let text = format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n{schemas}"
        );
        super::super::contract::parse(std::path::Path::new(file), &text).unwrap()
    }

    #[test]
    fn alike_shapes_are_shared_when_what_they_refer_to_is() {
        let v1 = contract(
            "openapi/a.yaml",
            "    Link: {type: object, description: one, properties: {href: {type: string}}}\n    \
             Item: {type: object, properties: {link: {$ref: '#/components/schemas/Link'}, n: {type: string}}}\n    \
             Other: {type: object, properties: {x: {type: string}}}\n",
        );
        let v2 = contract(
            "openapi/b.yaml",
            "    Link: {type: object, description: two, properties: {href: {type: string}}}\n    \
             Item: {type: object, properties: {link: {$ref: '#/components/schemas/Link'}, n: {type: string}}}\n    \
             Other: {type: object, properties: {x: {type: integer}}}\n",
        );
        let shared = SharedSchemas::find(&[v1, v2]).unwrap();
        assert_eq!(
            shared.by_name.keys().cloned().collect::<Vec<_>>(),
            ["Item", "Link"]
        );
    }

    #[test]
    fn a_schema_referring_to_one_that_differs_is_not_shared() {
        let v1 = contract(
            "openapi/a.yaml",
            "    Link: {type: object, properties: {href: {type: string}}}\n    \
             Item: {type: object, properties: {link: {$ref: '#/components/schemas/Link'}}}\n",
        );
        let v2 = contract(
            "openapi/b.yaml",
            "    Link: {type: object, properties: {href: {type: integer}}}\n    \
             Item: {type: object, properties: {link: {$ref: '#/components/schemas/Link'}}}\n",
        );
        assert!(SharedSchemas::find(&[v1, v2]).unwrap().is_empty());
    }
}
