//! `cargo xtask openapi check`: the server's API must be the contract's.
//!
//! Two checks. The committed generated code must be what the contracts generate today. And each generated
//! trait's stub description, rendered by dropshot, must describe the same operations, parameters, security,
//! request bodies, success responses and error schema as its contract. Schemas are compared by shape (types,
//! properties, required, items, alternatives, formats), not by prose. Dropshot documents errors as one
//! 4XX/5XX schema, so individual error statuses and codes are the conformance ledger's to prove.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};

use super::contract::Contract;
use super::generate;

pub fn run(root: &Path, contracts: &[Contract]) -> Result<()> {
    let mut problems = stale_files(root, contracts)?;
    let stubs = server_stub_description(root)?;
    let mut owned = BTreeSet::new();
    for contract in contracts {
        let contract_json = serde_json::to_value(&contract.document)?;
        let ids = Operations::of(&contract_json)
            .0
            .into_keys()
            .collect::<BTreeSet<_>>();
        // A contract whose operations name a version in `Accept` is held to the server's description of that version.
        let version = generate::contract_version(contract)?
            .map_or("unversioned".to_owned(), |(major, minor)| {
                format!("{major}.{minor}")
            });
        let Some(stub) = stubs.get(&version) else {
            problems.push(format!(
                "{}: the server describes no version {version}",
                contract.file.display()
            ));
            continue;
        };
        let problems_here = compare(&contract_json, &only_operations(stub, &ids));
        problems.extend(
            problems_here
                .into_iter()
                .map(|p| format!("{}: {p}", contract.file.display())),
        );
        owned.extend(ids);
    }
    let served = stubs
        .as_object()
        .into_iter()
        .flat_map(|documents| documents.values())
        .flat_map(|document| Operations::of(document).0);
    for (id, op) in served {
        if !owned.contains(&id) {
            problems.push(format!(
                "operation `{id}` ({} {}) is served but no contract under openapi/ describes it",
                op.method, op.path
            ));
        }
    }
    if problems.is_empty() {
        println!(
            "openapi check: the server and {} contracts agree",
            contracts.len()
        );
        return Ok(());
    }
    for problem in &problems {
        eprintln!("  - {problem}");
    }
    bail!(
        "openapi check found {} difference(s) between the contracts and the server",
        problems.len()
    )
}

/// The stub description restricted to the operations named (components kept for `$ref`s).
fn only_operations(stub: &Value, ids: &BTreeSet<String>) -> Value {
    let mut stub = stub.clone();
    if let Some(paths) = stub.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            if let Some(item) = item.as_object_mut() {
                item.retain(|_, operation| {
                    operation["operationId"]
                        .as_str()
                        .is_some_and(|id| ids.contains(id))
                });
            }
        }
        paths.retain(|_, item| item.as_object().is_some_and(|item| !item.is_empty()));
    }
    stub
}

fn stale_files(root: &Path, contracts: &[Contract]) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let expected = generate::render_all(contracts)?;
    for (path, text) in &expected {
        match std::fs::read_to_string(root.join(path)) {
            Ok(current) if &current == text => {}
            Ok(_) => problems.push(format!(
                "{} is stale: run `cargo xtask openapi generate`",
                path.display()
            )),
            Err(_) => problems.push(format!(
                "{} is missing: run `cargo xtask openapi generate`",
                path.display()
            )),
        }
    }
    let dir = root.join(generate::GENERATED_DIR);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries {
            let path = entry?.path();
            let relative = path.strip_prefix(root).unwrap_or(&path);
            if !expected.iter().any(|(p, _)| p == relative) {
                problems.push(format!(
                    "{} has no contract: run `cargo xtask openapi generate`",
                    relative.display()
                ));
            }
        }
    }
    Ok(problems)
}

/// The stub description of the compiled server's API.
fn server_stub_description(root: &Path) -> Result<Value> {
    let output = Command::new(env!("CARGO"))
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "--package",
            "agent-auth-server",
            "--bin",
            "agent-auth-server",
            "--",
            "openapi",
        ])
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("running the server to render its API description")?;
    if !output.status.success() {
        bail!("the server did not build or could not render its API description");
    }
    serde_json::from_slice(&output.stdout).context("the server's API description is not JSON")
}

/// Differences between a contract and a stub description, as sentences.
fn compare(contract: &Value, stub: &Value) -> Vec<String> {
    let contract_ops = Operations::of(contract);
    let stub_ops = Operations::of(stub);
    let mut problems = Vec::new();
    for (id, op) in &contract_ops.0 {
        if !stub_ops.0.contains_key(id) {
            problems.push(format!(
                "operation `{id}` ({} {}) is in the contract but not in the server",
                op.method, op.path
            ));
        }
    }
    for (id, op) in &stub_ops.0 {
        if !contract_ops.0.contains_key(id) {
            problems.push(format!(
                "operation `{id}` ({} {}) is in the server but not in the contract",
                op.method, op.path
            ));
        }
    }
    let contract_schemas = Components(contract);
    let stub_schemas = Components(stub);
    for (id, want) in &contract_ops.0 {
        let Some(have) = stub_ops.0.get(id) else {
            continue;
        };
        if (&want.method, want.path) != (&have.method, have.path) {
            problems.push(format!(
                "operation `{id}`: the contract has {} {}, the server {} {}",
                want.method, want.path, have.method, have.path
            ));
        }
        let mut diff = |what: String, a: Value, b: Value| {
            for line in diff_values(&a, &b) {
                problems.push(format!("operation `{id}`: {what}{line}"));
            }
        };
        diff(
            "parameters".into(),
            want.parameters(&contract_schemas),
            have.parameters(&stub_schemas),
        );
        diff(
            "security".into(),
            want.operation["security"].clone(),
            have.operation["security"].clone(),
        );
        diff(
            "request body".into(),
            want.request_body(&contract_schemas),
            have.request_body(&stub_schemas),
        );
        diff(
            "success response".into(),
            want.success(&contract_schemas, have),
            have.success(&stub_schemas, have),
        );
        let error = have.error_schema(&stub_schemas);
        for (status, schema) in want.error_schemas(&contract_schemas) {
            diff(
                format!("error response {status}: schema"),
                schema,
                error.clone(),
            );
        }
    }
    problems
}

struct Operations<'a>(BTreeMap<String, OperationRef<'a>>);

struct OperationRef<'a> {
    method: String,
    path: &'a str,
    operation: &'a Value,
}

impl<'a> Operations<'a> {
    fn of(document: &'a Value) -> Self {
        let mut found = BTreeMap::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                if let Some(id) = operation["operationId"].as_str() {
                    found.insert(
                        id.to_owned(),
                        OperationRef {
                            method: method.to_uppercase(),
                            path,
                            operation,
                        },
                    );
                }
            }
        }
        Self(found)
    }
}

impl OperationRef<'_> {
    fn parameters(&self, schemas: &Components<'_>) -> Value {
        let mut out = Map::new();
        for parameter in self.operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let location = parameter["in"].as_str().unwrap_or_default();
            let name = parameter["name"].as_str().unwrap_or_default();
            // Header names are case-insensitive.
            let name = if location == "header" {
                name.to_lowercase()
            } else {
                name.to_owned()
            };
            out.insert(
                format!("{location} `{name}`"),
                json!({
                    "required": parameter["required"].as_bool().unwrap_or(false),
                    "schema": schemas.shape(&parameter["schema"]),
                }),
            );
        }
        Value::Object(out)
    }

    fn request_body(&self, schemas: &Components<'_>) -> Value {
        let body = &self.operation["requestBody"];
        if body.is_null() {
            return Value::Null;
        }
        json!({
            "required": body["required"].as_bool().unwrap_or(false),
            "schema": schemas.shape(&body["content"]["application/json"]["schema"]),
        })
    }

    /// The success response the server documents, and the contract's response for the same status.
    /// A contract may add a body-less 204 beside it (`OkOrNoContent`, `CreatedOrNoContent`).
    fn success(&self, schemas: &Components<'_>, server: &OperationRef<'_>) -> Value {
        let responses = self.operation["responses"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let server_status = server
            .success_statuses()
            .into_iter()
            .next()
            .unwrap_or_default();
        let mut out = Map::new();
        for (status, response) in &responses {
            if !status.starts_with('2') {
                continue;
            }
            let alternative_no_content =
                status == "204" && *status != server_status && response.get("content").is_none();
            if alternative_no_content {
                continue;
            }
            let headers: BTreeMap<String, bool> = response["headers"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, header)| {
                    (
                        name.to_lowercase(),
                        header["required"].as_bool().unwrap_or(false),
                    )
                })
                .collect();
            out.insert(
                status.clone(),
                json!({
                    "body": schemas.shape(first_schema(response)),
                    "headers": headers,
                }),
            );
        }
        Value::Object(out)
    }

    fn success_statuses(&self) -> Vec<String> {
        let responses = self.operation["responses"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        responses
            .keys()
            .filter(|status| status.starts_with('2'))
            .cloned()
            .collect()
    }

    fn error_schemas(&self, schemas: &Components<'_>) -> Vec<(String, Value)> {
        let responses = self.operation["responses"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        responses
            .iter()
            .filter(|(status, _)| status.starts_with('4') || status.starts_with('5'))
            .map(|(status, response)| {
                (
                    status.clone(),
                    schemas.shape(&response["content"]["application/json"]["schema"]),
                )
            })
            .collect()
    }

    /// Dropshot documents one error schema under 4XX and 5XX, through `#/components/responses/...`.
    fn error_schema(&self, schemas: &Components<'_>) -> Value {
        let mut response = &self.operation["responses"]["4XX"];
        if let Some(reference) = response["$ref"].as_str() {
            let name = reference.rsplit('/').next().unwrap_or_default();
            response = &schemas.0["components"]["responses"][name];
        }
        schemas.shape(&response["content"]["application/json"]["schema"])
    }
}

/// The schema of a response's content, whatever its media type (dropshot describes every body as JSON; a text
/// document's schema, `type: string`, is compared all the same).
fn first_schema(response: &Value) -> &Value {
    response["content"]
        .as_object()
        .and_then(|content| content.values().next())
        .map_or(&Value::Null, |media| &media["schema"])
}

/// A document's `components.schemas`, used to resolve `$ref`s.
struct Components<'a>(&'a Value);

impl Components<'_> {
    /// The structure of a schema, with references resolved and prose dropped.
    fn shape(&self, schema: &Value) -> Value {
        self.shape_at(schema, 0)
    }

    fn shape_at(&self, schema: &Value, depth: usize) -> Value {
        let Some(object) = schema.as_object() else {
            return Value::Null;
        };
        if depth > 32 {
            return json!("(recursive)");
        }
        if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
            let name = reference.rsplit('/').next().unwrap_or_default();
            return self.shape_at(&self.0["components"]["schemas"][name], depth + 1);
        }
        // schemars wraps a described reference in a one-element allOf.
        if let Some([only]) = object
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            return self.shape_at(only, depth + 1);
        }
        let mut out = Map::new();
        for key in ["type", "format", "minItems", "maxItems"] {
            if let Some(value) = object.get(key) {
                out.insert(key.to_owned(), value.clone());
            }
        }
        if let Some(values) = object.get("enum").and_then(Value::as_array) {
            let set: BTreeSet<String> = values.iter().map(Value::to_string).collect();
            out.insert("enum".into(), json!(set));
        }
        if let Some(items) = object.get("items") {
            out.insert("items".into(), self.shape_at(items, depth + 1));
        }
        if let Some(properties) = object.get("properties").and_then(Value::as_object) {
            let required: BTreeSet<&str> = object
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let properties: Map<String, Value> = properties
                .iter()
                .map(|(name, property)| {
                    let presence = if required.contains(name.as_str()) {
                        "required"
                    } else {
                        "optional"
                    };
                    (
                        format!("{name} ({presence})"),
                        self.shape_at(property, depth + 1),
                    )
                })
                .collect();
            out.insert("properties".into(), Value::Object(properties));
        }
        // An untagged enum is documented as anyOf; the contract says oneOf. Both list alternatives.
        for key in ["oneOf", "anyOf"] {
            if let Some(alternatives) = object.get(key).and_then(Value::as_array) {
                let shapes: Vec<Value> = alternatives
                    .iter()
                    .map(|a| self.shape_at(a, depth + 1))
                    .collect();
                out.insert("alternatives".into(), Value::Array(shapes));
            }
        }
        Value::Object(out)
    }
}

/// Where two shapes differ, as `: at <path>: the contract says X, the server Y` lines.
fn diff_values(contract: &Value, server: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_at("", contract, server, &mut out);
    out
}

fn diff_at(path: &str, contract: &Value, server: &Value, out: &mut Vec<String>) {
    match (contract, server) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let here = format!("{path}/{key}");
                match b.get(key) {
                    Some(other) => diff_at(&here, value, other, out),
                    None => out.push(format!(" {here} is in the contract but not in the server")),
                }
            }
            for key in b.keys().filter(|key| !a.contains_key(*key)) {
                out.push(format!(
                    " {path}/{key} is in the server but not in the contract"
                ));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (index, (x, y)) in a.iter().zip(b).enumerate() {
                diff_at(&format!("{path}/{index}"), x, y, out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(format!(
            " at {}: the contract says {a}, the server {b}",
            if path.is_empty() { "/" } else { path }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(properties: Value, required: Value) -> Value {
        json!({
            "paths": {"/things": {"post": {
                "operationId": "create_thing",
                "parameters": [{"in": "header", "name": "Accept", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                "responses": {
                    "204": {"description": "done"},
                    "400": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "4XX": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                }
            }}},
            "components": {"schemas": {
                "Thing": {"type": "object", "properties": properties, "required": required},
                "Error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}, "required": ["code", "message"]}
            }}
        })
    }

    #[test]
    fn identical_documents_agree() {
        let doc = document(
            json!({"name": {"type": "string", "description": "prose is ignored"}}),
            json!(["name"]),
        );
        assert_eq!(compare(&doc, &doc), Vec::<String>::new());
    }

    #[test]
    fn a_field_removed_from_the_contract_is_named() {
        let contract = document(json!({"name": {"type": "string"}}), json!(["name"]));
        let server = document(
            json!({"name": {"type": "string"}, "size": {"type": "string"}}),
            json!(["name"]),
        );
        let problems = compare(&contract, &server);
        assert_eq!(
            problems,
            vec![
                "operation `create_thing`: request body /schema/properties/size (optional) is in the server but not in the contract"
            ]
        );
    }

    #[test]
    fn a_removed_operation_and_a_changed_requirement_are_named() {
        let contract = document(json!({"name": {"type": "string"}}), json!([]));
        let server = document(json!({"name": {"type": "string"}}), json!(["name"]));
        assert!(
            compare(&contract, &server)[0]
                .contains("name (optional) is in the contract but not in the server")
        );
        let empty = json!({"paths": {}});
        assert_eq!(
            compare(&empty, &server),
            vec![
                "operation `create_thing` (POST /things) is in the server but not in the contract"
            ]
        );
    }
}
