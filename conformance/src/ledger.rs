//! The ledger: every documented response of every contract, and what the run proved about each.
//!
//! An entry is one (operation, status, named example): `create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST`,
//! or `list_invitations/204` for a response with no named examples. Each must be exercised by a check that
//! asserts the exact status, a body equal to the documented example (code and message), a body valid against the
//! response's schema (or no body when none is documented) and the documented required headers (`Location`). An
//! entry no check reaches fails the run by name; one marked `x-conformance-unreachable: <reason>` in the contract
//! (a 500) is reported as unreachable with its reason, never silently skipped.
//!
//! Beside the responses, the rule ledger: every rule of the rules document ([`crate::rules`]) is an entry
//! `rule/R-AREA-NAME`, proved when a fixed scenario that declares it runs to its end with every check passing.
//! A rule the document marks not observable from outside is unverifiable, with its reason, never proved.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use anyhow::{Result, bail};
use openapiv3::{ReferenceOr, StatusCode};
use serde::Serialize;
use serde_json::Value;

use crate::contract::Contract;
use crate::http::Exchange;
use crate::schema;

/// The vendor extension that marks a response no request can provoke.
pub const UNREACHABLE: &str = "x-conformance-unreachable";

/// What an entry stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A documented response of a contract.
    Response,
    /// A rule of the rules document.
    Rule,
}

/// One documented response, or one rule.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub kind: Kind,
    /// `operation/status` or `operation/status/EXAMPLE`.
    pub id: String,
    pub contract: String,
    pub operation: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    /// The named example, if the response lists examples.
    pub example: Option<String>,
    /// The example's value: the body must equal it.
    #[serde(skip)]
    pub body: Option<Value>,
    /// The `application/json` schema (as written, `$ref`s unresolved), if the response has content.
    #[serde(skip)]
    pub schema: Option<Value>,
    /// The media type of a text document that is not JSON (a contract in YAML, a page), which the answer's
    /// `Content-Type` must name, with a body.
    pub text_media_type: Option<String>,
    /// Headers documented as required, e.g. `Location`.
    pub required_headers: Vec<String>,
    /// Why no request can provoke it, from `x-conformance-unreachable`; for a rule, why it cannot be proved from
    /// outside.
    pub unreachable: Option<String>,
    /// A rule's statement.
    pub statement: Option<String>,
}

/// What the run proved about one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Exercised, and every check passed.
    Passed,
    /// A check failed, or a scenario meant to reach it stopped before it.
    Failed,
    /// No scenario reaches it: the run fails.
    Uncovered,
    /// Marked `x-conformance-unreachable` in the contract.
    Unreachable,
    /// Left out by `--only`.
    NotSelected,
    /// A rule the rules document marks not observable from outside.
    Unverifiable,
}

#[derive(Debug, Default, Clone)]
struct Record {
    checks: u64,
    failures: Vec<String>,
    /// The scenarios that checked it.
    by: BTreeSet<String>,
    /// Scenarios that declared it but stopped before checking it, with why.
    not_reached: Vec<String>,
}

/// A response that is no documented entry of its operation (an undocumented status or code, a 5xx).
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub operation: String,
    pub source: String,
    pub message: String,
}

/// The entries, and the checks recorded against them while the run goes on.
pub struct Ledger {
    entries: Vec<Entry>,
    /// The contracts' documents, by file name, to resolve schemas in.
    documents: BTreeMap<String, Value>,
    selected: Vec<bool>,
    records: Mutex<Vec<Record>>,
    findings: Mutex<Vec<Finding>>,
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl Ledger {
    /// Lists every entry of every contract.
    pub fn from_contracts(contracts: &[Contract]) -> Result<Self> {
        let mut entries = Vec::new();
        for contract in contracts {
            entries.extend(entries_of(contract)?);
        }
        let mut seen = BTreeSet::new();
        for entry in &entries {
            if !seen.insert(entry.id.clone()) {
                bail!(
                    "the ledger entry {} appears twice (operationIds must be unique across contracts)",
                    entry.id
                );
            }
        }
        let documents = contracts
            .iter()
            .map(|c| (c.file.clone(), c.json.clone()))
            .collect();
        let count = entries.len();
        Ok(Self {
            entries,
            documents,
            selected: vec![true; count],
            records: Mutex::new(vec![Record::default(); count]),
            findings: Mutex::new(Vec::new()),
        })
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Adds an entry per rule of the rules document `source` (its file name), after the responses.
    pub fn add_rules(&mut self, source: &str, rules: &[crate::rules::Rule]) -> Result<()> {
        for rule in rules {
            let id = rule.entry();
            if self.index(&id).is_some() {
                bail!("the rule {} appears twice", rule.id);
            }
            self.entries.push(Entry {
                kind: Kind::Rule,
                id,
                contract: source.to_owned(),
                operation: rule.section.clone(),
                method: String::new(),
                path: String::new(),
                status: 0,
                example: None,
                body: None,
                schema: None,
                text_media_type: None,
                required_headers: Vec::new(),
                unreachable: rule.unverifiable.clone(),
                statement: Some(rule.text.clone()),
            });
            self.selected.push(true);
            let records = self.records.get_mut();
            records
                .map_err(|_| anyhow::anyhow!("the ledger's records are poisoned"))?
                .push(Record::default());
        }
        Ok(())
    }

    /// Whether the ledger holds rules (a rules document was read).
    pub fn has_rules(&self) -> bool {
        self.entries.iter().any(|e| e.kind == Kind::Rule)
    }

    /// Records that `scenario`, which declares the rule `id`, ran to its end with every check passing.
    pub fn prove(&self, id: &str, scenario: &str) {
        if let (Some(index), Ok(mut records)) = (self.index(id), self.records.lock()) {
            records[index].checks += 1;
            records[index].by.insert(scenario.to_owned());
        }
    }

    /// The JSON document of a contract (by file name), in which its entries' schemas resolve.
    pub fn document(&self, contract: &str) -> Option<&Value> {
        self.documents.get(contract)
    }

    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    fn index(&self, id: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }

    /// Keeps only the entries whose id (or operation) contains `pattern`.
    pub fn select(&mut self, pattern: Option<&str>) {
        for (entry, selected) in self.entries.iter().zip(self.selected.iter_mut()) {
            *selected = pattern.is_none_or(|p| entry.id.contains(p));
        }
    }

    pub fn is_selected(&self, id: &str) -> bool {
        self.index(id).is_some_and(|i| self.selected[i])
    }

    /// The operations of the ledger, with their contract, method and path.
    pub fn operations(&self) -> Vec<(String, String, String, String)> {
        let mut out: Vec<(String, String, String, String)> = Vec::new();
        for e in &self.entries {
            if !out.iter().any(|o| o.0 == e.operation) {
                out.push((
                    e.operation.clone(),
                    e.contract.clone(),
                    e.method.clone(),
                    e.path.clone(),
                ));
            }
        }
        out
    }

    /// The entries an operation documents for a status and a body `code` (any example with that code).
    pub fn entries_for(&self, operation: &str, status: u16, code: Option<&str>) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| e.operation == operation && e.status == status)
            .filter(|e| match (&e.body, code) {
                (Some(body), Some(code)) => body.get("code").and_then(Value::as_str) == Some(code),
                (Some(_), None) => false,
                (None, _) => true,
            })
            .collect()
    }

    /// Checks `exchange` against the entry `id` and records the outcome for `scenario`. Returns the problem, if
    /// any, as a message naming the entry and giving the curl command that repeats the request.
    pub fn check(&self, id: &str, scenario: &str, exchange: &Exchange) -> Result<(), String> {
        let Some(index) = self.index(id) else {
            let message = format!(
                "{id}: no such ledger entry (scenario {scenario} names an entry the contracts do not document)"
            );
            self.finding("(harness)", scenario, message.clone());
            return Err(message);
        };
        let result = self.verify(&self.entries[index], exchange);
        let mut records = self.records.lock().unwrap();
        let record = &mut records[index];
        record.checks += 1;
        record.by.insert(scenario.to_owned());
        if let Err(problem) = &result {
            record.failures.push(format!(
                "{problem}\n      scenario: {scenario}\n      repeat:   {}",
                exchange.curl()
            ));
        }
        result.map_err(|problem| format!("{id}: {problem}"))
    }

    /// Records that `scenario` meant to reach `id` but stopped first.
    pub fn not_reached(&self, id: &str, scenario: &str, why: &str) {
        if let Some(index) = self.index(id) {
            self.records.lock().unwrap()[index]
                .not_reached
                .push(format!("scenario {scenario} stopped before it: {why}"));
        }
    }

    /// Records a failure against an entry without an exchange (e.g. a generated case that expected this entry).
    pub fn fail(&self, id: &str, scenario: &str, message: String) {
        if let Some(index) = self.index(id) {
            let mut records = self.records.lock().unwrap();
            records[index].checks += 1;
            records[index].by.insert(scenario.to_owned());
            records[index].failures.push(message);
        }
    }

    /// Records a response that fits no documented entry.
    pub fn finding(&self, operation: &str, source: &str, message: String) {
        self.findings.lock().unwrap().push(Finding {
            operation: operation.to_owned(),
            source: source.to_owned(),
            message,
        });
    }

    pub fn findings(&self) -> Vec<Finding> {
        self.findings.lock().unwrap().clone()
    }

    /// The problem with `exchange` as an instance of `entry`, if any.
    pub fn verify(&self, entry: &Entry, exchange: &Exchange) -> Result<(), String> {
        let response = &exchange.response;
        let expected = match &entry.body {
            Some(body) => format!("{} {}", entry.status, body),
            None => entry.status.to_string(),
        };
        if response.status != entry.status {
            return Err(format!(
                "expected {expected}, got {}",
                exchange.summary().split(" → ").nth(1).unwrap_or_default()
            ));
        }
        let mut problems = Vec::new();
        match (&entry.text_media_type, &entry.schema) {
            (Some(media_type), _) => {
                let content_type = response.header("content-type").unwrap_or_default();
                if !content_type.starts_with(media_type.as_str()) {
                    problems.push(format!("Content-Type {content_type:?} is not {media_type}"));
                }
                if response.body.is_empty() {
                    problems.push("no body where a document is documented".to_owned());
                }
            }
            (None, Some(schema)) => match response.json() {
                Some(body) => {
                    if let Some(documented) = &entry.body
                        && &body != documented
                    {
                        problems.push(format!("body {body} is not the documented {documented}"));
                    }
                    let document = &self.documents[&entry.contract];
                    let errors = schema::validate(document, schema, &body);
                    if !errors.is_empty() {
                        problems.push(format!(
                            "body does not match the schema: {}",
                            errors.join("; ")
                        ));
                    }
                }
                None => problems.push(format!("body is not JSON: {:?}", response.text())),
            },
            (None, None) => {
                if !response.body.is_empty() {
                    problems.push(format!(
                        "a body where none is documented: {:?}",
                        response.text()
                    ));
                }
            }
        }
        for header in &entry.required_headers {
            match response.header(header) {
                Some(value) if !value.is_empty() => {}
                _ => problems.push(format!("the documented {header} header is missing")),
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("{} (expected {expected})", problems.join("; ")))
        }
    }

    /// Each entry with its outcome and the messages behind it.
    pub fn outcomes(&self) -> Vec<(&Entry, Outcome, Vec<String>, Vec<String>)> {
        let records = self.records.lock().unwrap();
        self.entries
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let record = &records[i];
                let by: Vec<String> = record.by.iter().cloned().collect();
                // A recorded failure is never hidden behind "unreachable" or "not selected".
                let (outcome, messages) = if !record.failures.is_empty() {
                    (Outcome::Failed, record.failures.clone())
                } else if let Some(reason) = &entry.unreachable {
                    let outcome = match entry.kind {
                        Kind::Response => Outcome::Unreachable,
                        Kind::Rule => Outcome::Unverifiable,
                    };
                    (outcome, vec![reason.clone()])
                } else if !self.selected[i] {
                    (Outcome::NotSelected, Vec::new())
                } else if record.checks > 0 {
                    (Outcome::Passed, Vec::new())
                } else if !record.not_reached.is_empty() {
                    (Outcome::Failed, record.not_reached.clone())
                } else {
                    (
                        Outcome::Uncovered,
                        vec!["no scenario reaches it".to_owned()],
                    )
                };
                (entry, outcome, messages, by)
            })
            .collect()
    }
}

fn entries_of(contract: &Contract) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for (path, item) in &contract.document.paths.paths {
        let ReferenceOr::Item(item) = item else {
            bail!(
                "{}: path {path} is a $ref; the harness needs inline path items",
                contract.file
            );
        };
        for (method, operation) in item.iter() {
            let Some(operation_id) = operation.operation_id.clone() else {
                bail!(
                    "{}: {} {path} has no operationId",
                    contract.file,
                    method.to_uppercase()
                );
            };
            if !METHODS.contains(&method) {
                continue;
            }
            if operation.responses.default.is_some() {
                bail!(
                    "{}: {operation_id} documents a default response; the ledger needs explicit statuses",
                    contract.file
                );
            }
            for (status, response) in &operation.responses.responses {
                entries.extend(response_entries(
                    contract,
                    path,
                    method,
                    &operation_id,
                    status,
                    response,
                )?);
            }
        }
    }
    Ok(entries)
}

/// The entries of one documented response: one per named example, or one for the status.
fn response_entries(
    contract: &Contract,
    path: &str,
    method: &str,
    operation_id: &str,
    status: &StatusCode,
    response: &ReferenceOr<openapiv3::Response>,
) -> Result<Vec<Entry>> {
    let StatusCode::Code(status) = *status else {
        bail!(
            "{}: {operation_id} documents a status range; the ledger needs exact statuses",
            contract.file
        );
    };
    let ReferenceOr::Item(response) = response else {
        bail!(
            "{}: {operation_id} {status} is a $ref; the harness needs inline responses",
            contract.file
        );
    };
    let unreachable = response.extensions.get(UNREACHABLE).map(|reason| {
        reason
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| reason.to_string())
    });
    let required_headers: Vec<String> = response
        .headers
        .iter()
        .filter(|(_, header)| matches!(header, ReferenceOr::Item(h) if h.required))
        .map(|(name, _)| name.clone())
        .collect();
    let pointer = format!(
        "/paths/{}/{method}/responses/{status}/content/application~1json",
        path.replace('~', "~0").replace('/', "~1")
    );
    let media = contract.json.pointer(&pointer);
    let schema = media.and_then(|m| m.get("schema")).cloned();
    let text_media_type = response
        .content
        .keys()
        .find(|k| *k != "application/json")
        .cloned();
    if text_media_type.is_some() && response.content.len() > 1 {
        bail!(
            "{}: {operation_id} {status} has several media types; the harness checks one",
            contract.file
        );
    }
    let examples = named_examples(response);
    let base = Entry {
        kind: Kind::Response,
        id: format!("{operation_id}/{status}"),
        contract: contract.file.clone(),
        operation: operation_id.to_owned(),
        method: method.to_uppercase(),
        path: path.to_owned(),
        status,
        example: None,
        body: None,
        schema,
        text_media_type,
        required_headers,
        unreachable,
        statement: None,
    };
    if examples.is_empty() {
        return Ok(vec![base]);
    }
    Ok(examples
        .into_iter()
        .map(|(name, value)| Entry {
            id: format!("{operation_id}/{status}/{name}"),
            example: Some(name),
            body: value,
            ..base.clone()
        })
        .collect())
}

/// A response's named examples, in document order (openapiv3 keeps it); an example that is a `$ref`, by its
/// reference.
fn named_examples(response: &openapiv3::Response) -> Vec<(String, Option<Value>)> {
    response
        .content
        .get("application/json")
        .map(|media| {
            media
                .examples
                .iter()
                .map(|(name, example)| match example {
                    ReferenceOr::Item(example) => (name.clone(), example.value.clone()),
                    ReferenceOr::Reference { reference } => {
                        (name.clone(), Some(Value::String(reference.clone())))
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Request, Response};

    const CONTRACT: &str = r##"
openapi: 3.0.3
info: {title: T, version: "1.0"}
paths:
  /things/{id}:
    put:
      operationId: put_thing
      responses:
        '204':
          description: done
          headers:
            Location: {required: true, schema: {type: string}}
        '404':
          description: none
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
              examples:
                THING_NOT_FOUND: {value: {code: THING_NOT_FOUND, message: No thing.}}
                THING_GONE: {value: {code: THING_GONE, message: Gone.}}
        '500':
          description: fault
          x-conformance-unreachable: "Only a fault."
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
              examples:
                INTERNAL_SERVER_ERROR: {value: {code: INTERNAL_SERVER_ERROR, message: Internal server error.}}
    get:
      operationId: get_thing
      responses:
        '200':
          description: it
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: string}}}
components:
  schemas:
    Error: {type: object, required: [code, message], properties: {code: {type: string}, message: {type: string}}}
"##;

    fn ledger() -> Ledger {
        Ledger::from_contracts(&[Contract::parse("t.yaml", CONTRACT).unwrap()]).unwrap()
    }

    fn exchange(status: u16, headers: &[(&str, &str)], body: &str) -> Exchange {
        Exchange {
            base_url: "http://h".into(),
            request: Request::new("PUT", "/things/1"),
            response: Response {
                status,
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                body: body.as_bytes().to_vec(),
            },
        }
    }

    #[test]
    fn lists_one_entry_per_status_and_named_example() {
        let ledger = ledger();
        let ids: Vec<&str> = ledger.entries().iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "get_thing/200",
                "put_thing/204",
                "put_thing/404/THING_NOT_FOUND",
                "put_thing/404/THING_GONE",
                "put_thing/500/INTERNAL_SERVER_ERROR",
            ]
        );
        let created = ledger.entry("put_thing/204").unwrap();
        assert_eq!(created.required_headers, ["Location"]);
        assert_eq!(
            ledger
                .entry("put_thing/500/INTERNAL_SERVER_ERROR")
                .unwrap()
                .unreachable
                .as_deref(),
            Some("Only a fault.")
        );
    }

    #[test]
    fn checks_status_body_schema_and_headers() {
        let ledger = ledger();
        assert_eq!(
            ledger.check(
                "put_thing/204",
                "s",
                &exchange(204, &[("location", "/things/1")], "")
            ),
            Ok(())
        );
        let missing = ledger
            .check("put_thing/204", "s", &exchange(204, &[], ""))
            .unwrap_err();
        assert!(
            missing.contains("the documented Location header is missing"),
            "{missing}"
        );
        let found = r#"{"code":"THING_NOT_FOUND","message":"No thing."}"#;
        assert_eq!(
            ledger.check(
                "put_thing/404/THING_NOT_FOUND",
                "s",
                &exchange(404, &[], found)
            ),
            Ok(())
        );
        let wrong = ledger
            .check("put_thing/404/THING_GONE", "s", &exchange(404, &[], found))
            .unwrap_err();
        assert!(wrong.contains("is not the documented"), "{wrong}");
        let status = ledger
            .check("get_thing/200", "s", &exchange(500, &[], "{}"))
            .unwrap_err();
        assert!(
            status.starts_with("get_thing/200: expected 200, got 500"),
            "{status}"
        );
        let schema = ledger
            .check("get_thing/200", "s", &exchange(200, &[], r#"{"id": 1}"#))
            .unwrap_err();
        assert!(
            schema.contains("/id: expected string, found number"),
            "{schema}"
        );
    }

    #[test]
    fn rules_are_proved_failed_uncovered_or_unverifiable() {
        let mut ledger = ledger();
        let document = "## 7. Life\n\n- **R-A** — a.\n- **R-B** — b.\n- **R-C** — c.\n\
                        - **R-D** — d. *(not observable from outside: storage)*\n";
        let rules = crate::rules::parse(document).unwrap();
        ledger.add_rules("domain.md", &rules).unwrap();
        assert!(ledger.has_rules());
        ledger.prove("rule/R-A", "s");
        ledger.fail("rule/R-B", "s", "no".into());
        ledger.prove("rule/R-D", "s");
        let outcomes: Vec<(String, Kind, Outcome)> = ledger
            .outcomes()
            .into_iter()
            .filter(|(e, ..)| e.kind == Kind::Rule)
            .map(|(e, o, _, _)| (e.id.clone(), e.kind, o))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("rule/R-A".to_owned(), Kind::Rule, Outcome::Passed),
                ("rule/R-B".to_owned(), Kind::Rule, Outcome::Failed),
                ("rule/R-C".to_owned(), Kind::Rule, Outcome::Uncovered),
                ("rule/R-D".to_owned(), Kind::Rule, Outcome::Unverifiable),
            ]
        );
        assert_eq!(ledger.entry("rule/R-A").unwrap().operation, "§7 Life");
        assert!(ledger.add_rules("domain.md", &rules).is_err());
    }

    #[test]
    fn outcomes_name_failed_uncovered_and_unreachable_entries() {
        let mut ledger = ledger();
        ledger.select(Some("put_thing"));
        let _ = ledger.check(
            "put_thing/204",
            "s",
            &exchange(204, &[("location", "/x")], ""),
        );
        let _ = ledger.check("put_thing/404/THING_GONE", "s", &exchange(418, &[], ""));
        ledger.not_reached("put_thing/404/THING_NOT_FOUND", "t", "setup failed");
        let outcomes: Vec<(String, Outcome)> = ledger
            .outcomes()
            .into_iter()
            .map(|(e, o, _, _)| (e.id.clone(), o))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("get_thing/200".to_owned(), Outcome::NotSelected),
                ("put_thing/204".to_owned(), Outcome::Passed),
                ("put_thing/404/THING_NOT_FOUND".to_owned(), Outcome::Failed),
                ("put_thing/404/THING_GONE".to_owned(), Outcome::Failed),
                (
                    "put_thing/500/INTERNAL_SERVER_ERROR".to_owned(),
                    Outcome::Unreachable
                ),
            ]
        );
        ledger.select(None);
        assert_eq!(ledger.outcomes()[0].1, Outcome::Uncovered);
    }
}
