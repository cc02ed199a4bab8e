//! The contracts' operations compiled once, at start-up, for the proxy: each operation's path template, the
//! `Accept` media types it documents, its parameters, its request body, whether it needs a bearer token, and its
//! ledger entries. Finding the operation of a request is then a walk over pre-split templates; nothing about a
//! contract is parsed while traffic flows.

use anyhow::{Result, bail};
use openapiv3::{Parameter, ReferenceOr, StatusCode};
use serde_json::Value;

use crate::contract::Contract;
use crate::ledger::Ledger;
use crate::reference::accept_version;

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// A path, query or header parameter.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub required: bool,
    /// The parameter's schema as written in the contract (its `$ref`s resolve in the contract's document).
    pub schema: Option<Value>,
}

/// The documented request body.
#[derive(Debug, Clone)]
pub struct BodyRule {
    pub required: bool,
    /// Lower-case media types, e.g. `application/json`.
    pub media: Vec<String>,
    /// The `application/json` schema, as written.
    pub schema: Option<Value>,
}

/// One operation of one contract.
#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    pub contract: String,
    /// Upper case, e.g. `POST`.
    pub method: String,
    pub template: String,
    segments: Vec<Segment>,
    /// The `Accept` values the operation documents, lower case (empty when it documents no `Accept` header).
    pub accept: Vec<String>,
    /// The version those values name, e.g. `2.0`.
    pub version: Option<String>,
    pub path_params: Vec<Param>,
    pub query: Vec<Param>,
    /// Header parameters other than `Accept`.
    pub headers: Vec<Param>,
    pub body: Option<BodyRule>,
    /// Whether a bearer token is needed: the operation's `security` (or the document's), else whether it
    /// documents a 401.
    pub needs_token: bool,
    /// The statuses it documents, in order.
    pub statuses: Vec<u16>,
    /// Its entries' indices in the ledger.
    pub entries: Vec<usize>,
}

/// The operation a request names, with the values of its path parameters (percent-decoded).
#[derive(Debug)]
pub struct Route<'a> {
    pub index: usize,
    pub operation: &'a Operation,
    pub params: Vec<(&'a str, String)>,
}

/// Every operation of the contracts.
#[derive(Debug)]
pub struct Routes {
    operations: Vec<Operation>,
}

impl Routes {
    pub fn new(contracts: &[Contract], ledger: &Ledger) -> Result<Self> {
        let mut operations = Vec::new();
        for contract in contracts {
            for (template, item) in &contract.document.paths.paths {
                let ReferenceOr::Item(item) = item else {
                    bail!("{}: path {template} is a $ref", contract.file);
                };
                for (method, operation) in item.iter() {
                    operations.push(compile(contract, template, method, operation, ledger)?);
                }
            }
        }
        Ok(Self { operations })
    }

    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation of `method` and `path` (no query) that `accept` selects: the one documenting that very
    /// `Accept` value, else the one of the version it names, else the newest version serving the path.
    pub fn find(&self, method: &str, path: &str, accept: Option<&str>) -> Option<Route<'_>> {
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let mut candidates: Vec<(usize, usize)> = Vec::new();
        for (index, operation) in self.operations.iter().enumerate() {
            if operation.method == method && matches(&operation.segments, &segments) {
                candidates.push((index, operation.literals()));
            }
        }
        // A literal segment beats a parameter at the same place.
        let most = candidates.iter().map(|c| c.1).max()?;
        candidates.retain(|c| c.1 == most);
        let index = self.choose(&candidates, accept);
        let operation = &self.operations[index];
        let params = operation
            .segments
            .iter()
            .zip(&segments)
            .filter_map(|(segment, value)| match segment {
                Segment::Param(name) => Some((name.as_str(), percent_decode(value))),
                Segment::Literal(_) => None,
            })
            .collect();
        Some(Route {
            index,
            operation,
            params,
        })
    }

    fn choose(&self, candidates: &[(usize, usize)], accept: Option<&str>) -> usize {
        let wanted = accept.map(|a| a.trim().to_ascii_lowercase());
        let version = accept_version(accept);
        let op = |i: &(usize, usize)| &self.operations[i.0];
        candidates
            .iter()
            .find(|c| wanted.as_ref().is_some_and(|w| op(c).accept.contains(w)))
            .or_else(|| {
                candidates
                    .iter()
                    .find(|c| version.is_some() && op(c).version == version)
            })
            .or_else(|| candidates.iter().max_by(|a, b| newer(op(a), op(b))))
            .map_or(0, |c| c.0)
    }
}

/// Orders operations by the version they serve (none first).
fn newer(a: &Operation, b: &Operation) -> std::cmp::Ordering {
    let key = |o: &Operation| {
        o.version.as_deref().map(|v| {
            let (major, minor) = v.split_once('.').unwrap_or((v, "0"));
            (
                major.parse::<u32>().unwrap_or(0),
                minor.parse::<u32>().unwrap_or(0),
            )
        })
    };
    key(a).cmp(&key(b))
}

impl Operation {
    fn literals(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }
}

fn matches(template: &[Segment], segments: &[&str]) -> bool {
    template.len() == segments.len()
        && template.iter().zip(segments).all(|(t, s)| match t {
            Segment::Literal(literal) => literal == s,
            Segment::Param(_) => !s.is_empty(),
        })
}

fn compile(
    contract: &Contract,
    template: &str,
    method: &str,
    operation: &openapiv3::Operation,
    ledger: &Ledger,
) -> Result<Operation> {
    let Some(id) = operation.operation_id.clone() else {
        bail!("{}: {method} {template} has no operationId", contract.file);
    };
    let pointer = format!(
        "/paths/{}/{method}",
        template.replace('~', "~0").replace('/', "~1")
    );
    let json = contract.json.pointer(&pointer).unwrap_or(&Value::Null);
    let (accept, params) = parameters(operation, json, &contract.file, &id)?;
    let statuses: Vec<u16> = operation
        .responses
        .responses
        .keys()
        .filter_map(|status| match status {
            StatusCode::Code(code) => Some(*code),
            StatusCode::Range(_) => None,
        })
        .collect();
    let security = operation
        .security
        .as_ref()
        .or(contract.document.security.as_ref());
    let needs_token = match security {
        Some(requirements) => {
            !requirements.is_empty() && requirements.iter().all(|r| !r.is_empty())
        }
        None => statuses.contains(&401),
    };
    let entries = ledger
        .entries()
        .iter()
        .enumerate()
        .filter(|(_, e)| e.contract == contract.file && e.operation == id)
        .map(|(i, _)| i)
        .collect();
    Ok(Operation {
        version: accept.first().and_then(|a| accept_version(Some(a))),
        accept,
        segments: segments(template),
        template: template.to_owned(),
        method: method.to_ascii_uppercase(),
        contract: contract.file.clone(),
        body: body_rule(operation, json),
        path_params: params.path,
        query: params.query,
        headers: params.headers,
        needs_token,
        statuses,
        entries,
        id,
    })
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .split('/')
        .skip(1)
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Segment::Param(name.to_owned()),
                None => Segment::Literal(s.to_owned()),
            },
        )
        .collect()
}

/// An operation's parameters by place.
#[derive(Default)]
struct Params {
    path: Vec<Param>,
    query: Vec<Param>,
    headers: Vec<Param>,
}

/// The `Accept` values and the other parameters of an operation.
fn parameters(
    operation: &openapiv3::Operation,
    json: &Value,
    file: &str,
    id: &str,
) -> Result<(Vec<String>, Params)> {
    let mut accept = Vec::new();
    let mut params = Params::default();
    for (index, parameter) in operation.parameters.iter().enumerate() {
        let ReferenceOr::Item(parameter) = parameter else {
            bail!("{file}: {id} has a parameter that is a $ref; the proxy needs inline parameters");
        };
        let data = parameter.parameter_data_ref();
        let schema = json
            .pointer(&format!("/parameters/{index}/schema"))
            .cloned();
        let param = Param {
            name: data.name.clone(),
            required: data.required,
            schema: schema.clone(),
        };
        match parameter {
            Parameter::Header { .. } if data.name.eq_ignore_ascii_case("accept") => {
                accept = schema
                    .as_ref()
                    .and_then(|s| s.get("enum"))
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .collect();
            }
            Parameter::Header { .. } => params.headers.push(param),
            Parameter::Path { .. } => params.path.push(param),
            Parameter::Query { .. } => params.query.push(param),
            Parameter::Cookie { .. } => {}
        }
    }
    Ok((accept, params))
}

fn body_rule(operation: &openapiv3::Operation, json: &Value) -> Option<BodyRule> {
    let ReferenceOr::Item(body) = operation.request_body.as_ref()? else {
        return None;
    };
    Some(BodyRule {
        required: body.required,
        media: body
            .content
            .keys()
            .map(|m| m.to_ascii_lowercase())
            .collect(),
        schema: json
            .pointer("/requestBody/content/application~1json/schema")
            .cloned(),
    })
}

/// `%XX` sequences decoded (invalid ones kept as written); the result read as UTF-8, lossily.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((high * 16 + low) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> Routes {
        let contracts =
            crate::contract::load_all(std::path::Path::new(crate::CONTRACTS_DIR)).unwrap();
        let ledger = Ledger::from_contracts(&contracts).unwrap();
        Routes::new(&contracts, &ledger).unwrap()
    }

    #[test]
    fn the_accept_version_selects_the_operation_of_a_shared_path() {
        let routes = routes();
        let find = |method, path, accept| {
            routes
                .find(method, path, accept)
                .map(|r| r.operation.id.clone())
        };
        let path = "/agents/KARN0762398/invitations";
        assert_eq!(
            find("POST", path, Some("application/vnd.hmrc.2.0+json")).as_deref(),
            Some("create_invitation")
        );
        assert_eq!(
            find("POST", path, Some("APPLICATION/VND.HMRC.1.0+JSON")).as_deref(),
            Some("create_invitation_v1")
        );
        assert_eq!(
            find("POST", path, Some("application/vnd.hmrc.1.0+xml")).as_deref(),
            Some("create_invitation_v1")
        );
        // Without a usable Accept: the newest version the path serves.
        assert_eq!(
            find("POST", path, None).as_deref(),
            Some("create_invitation")
        );
        assert_eq!(
            find("POST", path, Some("text/html")).as_deref(),
            Some("create_invitation")
        );
        assert_eq!(
            find(
                "PUT",
                "/agents/A/deauthorise-client",
                Some("application/vnd.hmrc.1.0+json")
            )
            .as_deref(),
            Some("deauthorise_client")
        );
        assert_eq!(find("PATCH", path, None), None);
        assert_eq!(find("POST", "/agents//invitations", None), None);
    }

    #[test]
    fn operations_know_their_parameters_body_and_token() {
        let routes = routes();
        let route = routes
            .find("GET", "/agents/KARN0762398/invitations/AB%43", None)
            .unwrap();
        assert_eq!(
            route.params,
            [
                ("arn", "KARN0762398".to_owned()),
                ("invitationId", "ABC".to_owned())
            ]
        );
        assert!(route.operation.needs_token);
        assert_eq!(route.operation.accept, ["application/vnd.hmrc.2.0+json"]);
        let create = routes
            .find("POST", "/create-test-user/agents", None)
            .unwrap()
            .operation;
        assert!(!create.needs_token);
        assert!(
            create
                .body
                .as_ref()
                .is_some_and(|b| b.required && b.media == ["application/json"])
        );
        let list = routes
            .find(
                "GET",
                "/agent-client-authorisation/agencies/A/invitations/sent",
                None,
            )
            .unwrap()
            .operation;
        let names: Vec<&str> = list.query.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "service",
                "status",
                "createdOnOrAfter",
                "clientIdType",
                "clientId"
            ]
        );
        assert!(list.needs_token && list.accept.is_empty());
    }
}
