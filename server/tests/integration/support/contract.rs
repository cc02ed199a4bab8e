//! The contracts under `openapi/`, read at run time: the single source of truth for error codes and messages.
//!
//! Tests never retype a documented message; they name the operation and the example, e.g.
//! `contract::error("create_invitation", "SERVICE_NOT_SUPPORTED")`, and get the status it is documented under and
//! the exact `{code, message}` body.

use std::path::PathBuf;
use std::sync::OnceLock;

use reqwest::StatusCode;
use serde_json::Value;

/// The contract files these tests cover.
const FILES: [&str; 4] = [
    "agent-authorisation-v1.yaml",
    "agent-authorisation-v2.yaml",
    "agent-client-authorisation.yaml",
    "sandbox.yaml",
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn contracts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi")
}

fn contracts() -> &'static [(String, Value)] {
    static CONTRACTS: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    CONTRACTS.get_or_init(|| {
        FILES
            .iter()
            .map(|file| {
                let path = contracts_dir().join(file);
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("cannot read the contract {}: {e}", path.display()));
                let document: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| {
                    panic!("cannot parse the contract {}: {e}", path.display())
                });
                (file.to_string(), document)
            })
            .collect()
    })
}

/// One documented operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// The contract file it is in.
    pub file: &'static str,
    /// The path template, e.g. `/agents/{arn}/invitations/{invitationId}`.
    pub path: &'static str,
    /// Upper case, e.g. `POST`.
    pub method: String,
    pub id: &'static str,
    pub spec: &'static Value,
}

impl Operation {
    /// Whether the operation documents a request body.
    pub fn has_body(&self) -> bool {
        self.spec.get("requestBody").is_some()
    }

    /// The media type the operation's documented `Accept` header asks for, e.g.
    /// `application/vnd.hmrc.2.0+json`; `None` when it documents no `Accept` header.
    pub fn accept_media_type(&self) -> Option<&'static str> {
        self.spec["parameters"]
            .as_array()?
            .iter()
            .find(|p| p["in"] == "header" && p["name"] == "Accept")?
            .pointer("/schema/enum/0")?
            .as_str()
    }
}

/// Every operation of every contract, in document order.
pub fn operations() -> Vec<Operation> {
    let mut out = Vec::new();
    for (file, document) in contracts() {
        let paths = document["paths"]
            .as_object()
            .unwrap_or_else(|| panic!("{file} has no paths"));
        for (path, item) in paths {
            for method in METHODS {
                if let Some(spec) = item.get(method) {
                    let id = spec["operationId"]
                        .as_str()
                        .unwrap_or_else(|| panic!("{file}: {method} {path} has no operationId"));
                    out.push(Operation {
                        file: FILES
                            .iter()
                            .find(|f| **f == file.as_str())
                            .expect("known file"),
                        path,
                        method: method.to_uppercase(),
                        id,
                        spec,
                    });
                }
            }
        }
    }
    out
}

/// The operation with this `operationId`.
pub fn operation(id: &str) -> Operation {
    operations()
        .into_iter()
        .find(|op| op.id == id)
        .unwrap_or_else(|| panic!("no operation {id:?} in the contracts"))
}

/// The documented error `example` (its name under `examples`) of `operation`: the status it is listed under
/// and its `{code, message}` value.
pub fn error(operation_id: &str, example: &str) -> (StatusCode, Value) {
    let op = operation(operation_id);
    let responses = op.spec["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{operation_id} has no responses"));
    let mut found = Vec::new();
    for (status, response) in responses {
        if let Some(value) = response
            .pointer("/content/application~1json/examples")
            .and_then(|examples| examples.get(example))
            .map(|e| e["value"].clone())
        {
            found.push((status.clone(), value));
        }
    }
    match found.as_slice() {
        [(status, value)] => {
            let status: u16 = status.parse().expect("numeric status");
            assert!(
                value["code"].is_string() && value["message"].is_string(),
                "{operation_id}/{example} is not a {{code, message}} example: {value}"
            );
            (
                StatusCode::from_u16(status).expect("valid status"),
                value.clone(),
            )
        }
        [] => panic!("the contract documents no example {example:?} for {operation_id}"),
        _ => panic!("example {example:?} of {operation_id} is documented under several statuses"),
    }
}

/// Every `(status, example name)` the operation documents, 500 included.
pub fn error_examples(operation_id: &str) -> Vec<(u16, String)> {
    let op = operation(operation_id);
    let mut out = Vec::new();
    for (status, response) in op.spec["responses"].as_object().into_iter().flatten() {
        if let Some(examples) = response
            .pointer("/content/application~1json/examples")
            .and_then(Value::as_object)
        {
            for name in examples.keys() {
                out.push((status.parse().expect("numeric status"), name.clone()));
            }
        }
    }
    out
}
