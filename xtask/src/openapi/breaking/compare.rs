//! Comparing two versions of one contract file, operation by operation: the operations themselves, security,
//! parameters, the request body and the responses (statuses, headers, media types, error examples, and the
//! schemas through `schema.rs`).
//!
//! Operations are matched by method and path template, with path parameter names ignored (`/a/{id}` and
//! `/a/{invitationId}` are one HTTP endpoint).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use openapiv3::{
    Content, Header, MediaType, Operation, Parameter, ParameterData, ParameterSchemaOrContent,
    PathItem, ReferenceOr, RequestBody, Response,
};

use super::rules::Rule;
use super::schema::{self, Finding, Node, Place, Sides};
use crate::openapi::contract::Contract;

/// One change between two versions of a contract file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The file as it is named in messages and in the accepted changes, e.g. `openapi/sandbox.yaml`.
    pub file: String,
    /// The operation changed; None for a change to the file as a whole (a new contract).
    pub operation: Option<OperationName>,
    pub rule: Rule,
    pub message: String,
}

/// How a change names its operation: `get_invitation (GET /agents/{arn}/invitations/{invitationId})`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationName {
    pub id: Option<String>,
    /// Upper case, e.g. `GET`.
    pub method: String,
    pub path: String,
}

/// The changes between two versions of a file, either of which may be missing (added or deleted).
pub fn compare_files(
    file: &str,
    old: Option<&Contract>,
    new: Option<&Contract>,
) -> Result<Vec<Change>> {
    let change = |operation, rule, message: &str| Change {
        file: file.to_string(),
        operation,
        rule,
        message: message.to_string(),
    };
    match (old, new) {
        (None, None) => Ok(Vec::new()),
        (None, Some(_)) => Ok(vec![change(None, Rule::ApiContractAdded, "new contract")]),
        (Some(old), None) => Ok(operations(old)?
            .into_iter()
            .map(|op| {
                change(
                    Some(op.name),
                    Rule::ApiPathRemoved,
                    "the contract was deleted",
                )
            })
            .collect()),
        (Some(old), Some(new)) => compare_contracts(file, old, new),
    }
}

/// One operation of a contract.
struct Op<'a> {
    name: OperationName,
    /// The path with its parameter names blanked: `/agents/{}/invitations`.
    template: String,
    item: &'a PathItem,
    operation: &'a Operation,
}

fn operations(contract: &Contract) -> Result<Vec<Op<'_>>> {
    let mut ops = Vec::new();
    for (path, item) in contract.document.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            bail!(
                "{}: a $ref'd path item ({path}) is not supported",
                contract.file.display()
            );
        };
        for (method, operation) in item.iter() {
            ops.push(Op {
                name: OperationName {
                    id: operation.operation_id.clone(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                },
                template: template(path),
                item,
                operation,
            });
        }
    }
    Ok(ops)
}

/// `/a/{id}/b` → `/a/{}/b`.
fn template(path: &str) -> String {
    let mut out = String::new();
    let mut in_braces = false;
    for c in path.chars() {
        match c {
            '{' => in_braces = true,
            '}' => {
                in_braces = false;
                out.push_str("{}");
            }
            _ if in_braces => {}
            _ => out.push(c),
        }
    }
    out
}

fn compare_contracts(file: &str, old: &Contract, new: &Contract) -> Result<Vec<Change>> {
    let old_ops = operations(old)?;
    let new_ops = operations(new)?;
    let find = |ops: &'_ [Op<'_>], op: &Op<'_>| {
        ops.iter()
            .position(|other| other.name.method == op.name.method && other.template == op.template)
    };
    let mut changes = Vec::new();
    let mut push = |name: &OperationName, findings: Vec<Finding>| {
        let mut seen = BTreeSet::new();
        for finding in findings {
            // A shared schema met twice in one operation at the same path is one change.
            if seen.insert((finding.rule.id(), finding.message.clone())) {
                changes.push(Change {
                    file: file.to_string(),
                    operation: Some(name.clone()),
                    rule: finding.rule,
                    message: finding.message,
                });
            }
        }
    };
    for old_op in &old_ops {
        let findings = match find(&new_ops, old_op) {
            Some(index) => OperationDiff::new(old, new, old_op, &new_ops[index]).run()?,
            None if new_ops.iter().any(|op| op.template == old_op.template) => {
                vec![finding(Rule::ApiOperationRemoved, "operation removed")]
            }
            None => vec![finding(Rule::ApiPathRemoved, "path removed")],
        };
        let name = find(&new_ops, old_op).map_or(&old_op.name, |index| &new_ops[index].name);
        push(name, findings);
    }
    for new_op in new_ops.iter().filter(|op| find(&old_ops, op).is_none()) {
        push(
            &new_op.name,
            vec![finding(Rule::ApiOperationAdded, "operation added")],
        );
    }
    Ok(changes)
}

fn finding(rule: Rule, message: &str) -> Finding {
    Finding {
        rule,
        message: message.to_string(),
    }
}

/// The comparison of one operation present in both versions.
struct OperationDiff<'a> {
    old: &'a Contract,
    new: &'a Contract,
    old_op: &'a Op<'a>,
    new_op: &'a Op<'a>,
    findings: Vec<Finding>,
}

impl<'a> OperationDiff<'a> {
    fn new(old: &'a Contract, new: &'a Contract, old_op: &'a Op<'a>, new_op: &'a Op<'a>) -> Self {
        OperationDiff {
            old,
            new,
            old_op,
            new_op,
            findings: Vec::new(),
        }
    }

    fn run(mut self) -> Result<Vec<Finding>> {
        self.security();
        self.parameters()?;
        self.request_body()?;
        self.responses()?;
        Ok(self.findings)
    }

    fn emit(&mut self, rule: Rule, message: String) {
        self.findings.push(Finding { rule, message });
    }

    fn schemas(
        &mut self,
        place: Place,
        label: String,
        path: &str,
        old: Node<'_>,
        new: Node<'_>,
    ) -> Result<()> {
        let sides = Sides {
            old: self.old,
            new: self.new,
            place,
            label,
        };
        self.findings
            .extend(schema::compare(&sides, path, old, new)?);
        Ok(())
    }

    fn security(&mut self) {
        let old = requirements(self.old, self.old_op.operation);
        let new = requirements(self.new, self.new_op.operation);
        match (old, new) {
            (None, Some(new)) => {
                let listed: Vec<&str> = new.iter().map(String::as_str).collect();
                let message = format!("security now required: {}", listed.join(" or "));
                self.emit(Rule::ApiSecurityAdded, message);
            }
            (Some(_), None) => {
                self.emit(
                    Rule::ApiSecurityRemoved,
                    "security no longer required".into(),
                );
            }
            (Some(old), Some(new)) => {
                for gone in old.difference(&new) {
                    let message = format!("security requirement {gone} removed");
                    self.emit(Rule::ApiSecurityRequirementRemoved, message);
                }
                for added in new.difference(&old) {
                    let message = format!("security requirement {added} added");
                    self.emit(Rule::ApiSecurityRequirementAdded, message);
                }
            }
            (None, None) => {}
        }
    }

    fn parameters(&mut self) -> Result<()> {
        let old = parameters(self.old, self.old_op)?;
        let new = parameters(self.new, self.new_op)?;
        for (key, old_param) in &old {
            let location = key.0;
            let Some(new_param) = new.get(key) else {
                let message = format!("{location} parameter '{}' removed", old_param.name);
                self.emit(Rule::RequestParameterRemoved, message);
                continue;
            };
            let label = format!("{location} parameter '{}'", new_param.name);
            match (old_param.required, new_param.required) {
                (false, true) => {
                    self.emit(
                        Rule::RequestParameterBecameRequired,
                        format!("{label} became required"),
                    );
                }
                (true, false) => {
                    self.emit(
                        Rule::RequestParameterBecameOptional,
                        format!("{label} became optional"),
                    );
                }
                _ => {}
            }
            if let (
                ParameterSchemaOrContent::Schema(old_schema),
                ParameterSchemaOrContent::Schema(new_schema),
            ) = (&old_param.format, &new_param.format)
            {
                self.schemas(
                    Place::Parameter,
                    label,
                    "",
                    old_schema.into(),
                    new_schema.into(),
                )?;
            }
        }
        for (key, param) in &new {
            if old.contains_key(key) {
                continue;
            }
            let location = key.0;
            let (rule, how) = if param.required {
                (Rule::RequestParameterAddedRequired, "required")
            } else {
                (Rule::RequestParameterAddedOptional, "optional")
            };
            self.emit(
                rule,
                format!("{location} parameter '{}' added, {how}", param.name),
            );
        }
        Ok(())
    }

    fn request_body(&mut self) -> Result<()> {
        let old = request_body(self.old, self.old_op.operation)?;
        let new = request_body(self.new, self.new_op.operation)?;
        let (old, new) = match (old, new) {
            (None, None) => return Ok(()),
            (None, Some(new)) => {
                let (rule, how) = if new.required {
                    (Rule::RequestBodyAddedRequired, "required")
                } else {
                    (Rule::RequestBodyAddedOptional, "optional")
                };
                self.emit(rule, format!("request body added, {how}"));
                return Ok(());
            }
            (Some(_), None) => {
                self.emit(Rule::RequestBodyRemoved, "request body removed".into());
                return Ok(());
            }
            (Some(old), Some(new)) => (old, new),
        };
        match (old.required, new.required) {
            (false, true) => self.emit(
                Rule::RequestBodyBecameRequired,
                "request body became required".into(),
            ),
            (true, false) => self.emit(
                Rule::RequestBodyBecameOptional,
                "request body became optional".into(),
            ),
            _ => {}
        }
        // "request body.clientId: ...", "request property 'clientId' ...", "request media type ...".
        self.content("request", &old.content, &new.content, Place::RequestBody)
    }

    /// Media types and their schemas, of a request body or a response.
    fn content(
        &mut self,
        label: &str,
        old: &'a Content,
        new: &'a Content,
        place: Place,
    ) -> Result<()> {
        let (removed, added) = match place {
            Place::Response => (Rule::ResponseMediaTypeRemoved, Rule::ResponseMediaTypeAdded),
            _ => (
                Rule::RequestBodyMediaTypeRemoved,
                Rule::RequestBodyMediaTypeAdded,
            ),
        };
        for (media, old_media) in old {
            let Some(new_media) = new.get(media) else {
                self.emit(removed, format!("{label} media type '{media}' removed"));
                continue;
            };
            // The usual media type goes without saying; another one is named.
            let label = if media == "application/json" {
                label.to_string()
            } else {
                format!("{label} ({media})")
            };
            if let (Some(old_schema), Some(new_schema)) = (&old_media.schema, &new_media.schema) {
                self.schemas(place, label, "body", old_schema.into(), new_schema.into())?;
            }
        }
        for media in new.keys().filter(|media| !old.contains_key(*media)) {
            self.emit(added, format!("{label} media type '{media}' added"));
        }
        Ok(())
    }

    fn responses(&mut self) -> Result<()> {
        let old = responses(self.old, self.old_op.operation)?;
        let new = responses(self.new, self.new_op.operation)?;
        for (status, old_response) in &old {
            match new.get(status) {
                Some(new_response) => self.response(status, old_response, new_response)?,
                None if is_success(status) => {
                    self.emit(
                        Rule::ResponseSuccessStatusRemoved,
                        format!("response {status} removed"),
                    );
                }
                None => self.emit(
                    Rule::ResponseErrorStatusRemoved,
                    format!("response {status} removed"),
                ),
            }
        }
        for status in new.keys().filter(|status| !old.contains_key(*status)) {
            let rule = if is_success(status) {
                Rule::ResponseSuccessStatusAdded
            } else {
                Rule::ResponseErrorStatusAdded
            };
            self.emit(rule, format!("response {status} added"));
        }
        Ok(())
    }

    fn response(&mut self, status: &str, old: &'a Response, new: &'a Response) -> Result<()> {
        let label = format!("response {status}");
        self.headers(&label, old, new)?;
        self.content(&label, &old.content, &new.content, Place::Response)?;
        if !is_success(status) {
            for (media, old_media) in &old.content {
                if let Some(new_media) = new.content.get(media) {
                    self.examples(&label, old_media, new_media);
                }
            }
        }
        Ok(())
    }

    fn headers(&mut self, label: &str, old: &'a Response, new: &'a Response) -> Result<()> {
        let old = headers(self.old, old)?;
        let new = headers(self.new, new)?;
        for (key, (name, old_header)) in &old {
            match (
                old_header.required,
                new.get(key).map(|(_, header)| header.required),
            ) {
                (true, None) => {
                    self.emit(
                        Rule::ResponseHeaderRemoved,
                        format!("{label} header '{name}' removed"),
                    );
                }
                (false, None) => {
                    let message = format!("{label} optional header '{name}' removed");
                    self.emit(Rule::ResponseOptionalHeaderRemoved, message);
                }
                (true, Some(false)) => {
                    let message = format!("{label} header '{name}' became optional");
                    self.emit(Rule::ResponseHeaderBecameOptional, message);
                }
                _ => {}
            }
        }
        for (key, (name, _)) in &new {
            if !old.contains_key(key) {
                self.emit(
                    Rule::ResponseHeaderAdded,
                    format!("{label} header '{name}' added"),
                );
            }
        }
        Ok(())
    }

    /// The named examples of an error response: each documents one error a client may meet.
    fn examples(&mut self, label: &str, old: &MediaType, new: &MediaType) {
        for name in old
            .examples
            .keys()
            .filter(|name| !new.examples.contains_key(*name))
        {
            self.emit(
                Rule::ResponseErrorExampleRemoved,
                format!("{label} example '{name}' removed"),
            );
        }
        for name in new
            .examples
            .keys()
            .filter(|name| !old.examples.contains_key(*name))
        {
            self.emit(
                Rule::ResponseErrorExampleAdded,
                format!("{label} example '{name}' added"),
            );
        }
    }
}

fn is_success(status: &str) -> bool {
    status.starts_with('2')
}

/// The security requirements an operation accepts (its own, else the global ones), each written out as
/// `scheme[scope, ...] + ...`; None when the operation can be called without any.
fn requirements(contract: &Contract, operation: &Operation) -> Option<BTreeSet<String>> {
    let list = operation
        .security
        .as_ref()
        .or(contract.document.security.as_ref())?;
    // An empty requirement (`- {}`) makes security optional.
    if list.is_empty() || list.iter().any(|requirement| requirement.is_empty()) {
        return None;
    }
    let written = list.iter().map(|requirement| {
        let mut schemes: Vec<String> = requirement
            .iter()
            .map(|(scheme, scopes)| {
                let mut scopes = scopes.clone();
                scopes.sort();
                format!("{scheme}[{}]", scopes.join(", "))
            })
            .collect();
        schemes.sort();
        schemes.join(" + ")
    });
    Some(written.collect())
}

/// Where a parameter goes (`query`, `header`, `path`, `cookie`) and a key that ignores a header's case and a path
/// parameter's name (its position in the path instead).
type ParameterKey = (&'static str, String);

/// The parameters of an operation: the path item's, overridden by the operation's.
fn parameters<'a>(
    contract: &'a Contract,
    op: &Op<'a>,
) -> Result<BTreeMap<ParameterKey, &'a ParameterData>> {
    let names = path_parameter_names(&op.name.path);
    let mut out = BTreeMap::new();
    for parameter in op.item.parameters.iter().chain(&op.operation.parameters) {
        let parameter =
            contract.component(parameter, "parameters", |c, name| c.parameters.get(name))?;
        let data = parameter.parameter_data_ref();
        let (location, key) = match parameter {
            Parameter::Query { .. } => ("query", data.name.clone()),
            Parameter::Header { .. } => ("header", data.name.to_ascii_lowercase()),
            Parameter::Cookie { .. } => ("cookie", data.name.clone()),
            Parameter::Path { .. } => {
                let position = names.iter().position(|name| *name == data.name);
                (
                    "path",
                    position.map_or_else(|| data.name.clone(), |p| format!("#{p}")),
                )
            }
        };
        out.insert((location, key), data);
    }
    Ok(out)
}

fn path_parameter_names(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

fn request_body<'a>(
    contract: &'a Contract,
    operation: &'a Operation,
) -> Result<Option<&'a RequestBody>> {
    operation
        .request_body
        .as_ref()
        .map(|body| contract.component(body, "requestBodies", |c, name| c.request_bodies.get(name)))
        .transpose()
}

/// The responses by status (`200`, `4XX`, `default`).
fn responses<'a>(
    contract: &'a Contract,
    operation: &'a Operation,
) -> Result<BTreeMap<String, &'a Response>> {
    let mut out = BTreeMap::new();
    for (status, response) in &operation.responses.responses {
        let response =
            contract.component(response, "responses", |c, name| c.responses.get(name))?;
        out.insert(status.to_string(), response);
    }
    if let Some(response) = &operation.responses.default {
        let response =
            contract.component(response, "responses", |c, name| c.responses.get(name))?;
        out.insert("default".to_string(), response);
    }
    Ok(out)
}

/// A response's headers by lower-case name, each with its name as written.
fn headers<'a>(
    contract: &'a Contract,
    response: &'a Response,
) -> Result<BTreeMap<String, (&'a str, &'a Header)>> {
    let mut out = BTreeMap::new();
    for (name, header) in &response.headers {
        let header = contract.component(header, "headers", |c, name| c.headers.get(name))?;
        out.insert(name.to_ascii_lowercase(), (name.as_str(), header));
    }
    Ok(out)
}
