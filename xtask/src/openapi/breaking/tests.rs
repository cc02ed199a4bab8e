//! Tests of the breaking-change check: every rule of the table flagged by one pair of small contracts and not
//! by a harmless one, shared components, the accepted changes file, the JSON output and the exit codes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::accepted::{self, Accepted};
use super::compare::{Change, compare_files};
use super::rules::{ALL, Rule};
use super::*;

const FILE: &str = "openapi/t.yaml";

fn parse(text: &str) -> Contract {
    contract::parse(Path::new(FILE), text).unwrap_or_else(|e| panic!("{e:#}\n{text}"))
}

fn changes(old: Option<&str>, new: Option<&str>) -> Vec<Change> {
    let old = old.map(parse);
    let new = new.map(parse);
    compare_files(FILE, old.as_ref(), new.as_ref()).unwrap()
}

/// The rule ids reported from `old` to `new`, sorted.
fn ids(old: Option<&str>, new: Option<&str>) -> Vec<String> {
    let mut ids: Vec<String> = changes(old, new)
        .iter()
        .map(|change| change.rule.id().to_string())
        .collect();
    ids.sort();
    ids
}

// ---- small contracts, written as YAML flow mappings ----

const OK: &str = "responses: {'200': {description: ok}}";

fn document(paths: &str) -> String {
    format!("openapi: 3.0.3\ninfo: {{title: T, version: '1'}}\n{paths}")
}

/// A contract with one operation, `POST /things`, whose fields are `operation`.
fn op(operation: &str) -> String {
    document(&format!(
        "paths:\n  /things:\n    post: {{operationId: make_thing, {operation}}}\n"
    ))
}

fn param(parameter: &str) -> String {
    op(&format!("parameters: [{parameter}], {OK}"))
}

/// An optional query parameter `q` with this schema.
fn query(schema: &str) -> String {
    param(&format!("{{name: q, in: query, schema: {schema}}}"))
}

fn body(schema: &str) -> String {
    op(&format!(
        "requestBody: {{required: true, content: {{application/json: {{schema: {schema}}}}}}}, {OK}"
    ))
}

fn response(schema: &str) -> String {
    op(&format!(
        "responses: {{'200': {{description: ok, content: {{application/json: {{schema: {schema}}}}}}}}}"
    ))
}

fn responses(responses: &str) -> String {
    op(&format!("responses: {{{responses}}}"))
}

/// An object with one optional property `p` of this schema.
fn prop(schema: &str) -> String {
    format!("{{type: object, properties: {{p: {schema}}}}}")
}

const STR: &str = "{type: string}";

// ---- the table ----

/// One rule proved: `flagged` reports it (with exactly these ids); `harmless`, a neighbouring change, does not.
struct Pair {
    rule: String,
    flagged: (Option<String>, Option<String>, Vec<String>),
    harmless: (Option<String>, Option<String>, Vec<String>),
}

fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| id.to_string()).collect()
}

/// A pair whose harmless change is the flagged one undone.
fn undone(rule: &str, old: String, new: String, flagged: &[&str], reversed: &[&str]) -> Pair {
    Pair {
        rule: rule.to_string(),
        flagged: (Some(old.clone()), Some(new.clone()), strings(flagged)),
        harmless: (Some(new), Some(old), strings(reversed)),
    }
}

/// Two counterpart rules: `forward` reported from old to new, `backward` from new to old.
fn both(forward: &str, backward: &str, old: String, new: String) -> [Pair; 2] {
    [
        undone(forward, old.clone(), new.clone(), &[forward], &[backward]),
        undone(backward, new, old, &[backward], &[forward]),
    ]
}

/// A pair with its own harmless change (for a rule whose undoing reports it again, e.g. a type change).
fn with_harmless(rule: &str, flagged: (String, String), harmless: (String, String)) -> Pair {
    Pair {
        rule: rule.to_string(),
        flagged: (Some(flagged.0), Some(flagged.1), strings(&[rule])),
        harmless: (Some(harmless.0), Some(harmless.1), Vec::new()),
    }
}

fn operation_pairs() -> Vec<Pair> {
    let two_paths = document(&format!(
        "paths:\n  /things:\n    post: {{operationId: make_thing, {OK}}}\n  /other:\n    get: {{operationId: other, {OK}}}\n"
    ));
    let two_methods = document(&format!(
        "paths:\n  /things:\n    post: {{operationId: make_thing, {OK}}}\n    get: {{operationId: list_things, {OK}}}\n"
    ));
    let secured = |security: &str| op(&format!("security: {security}, {OK}"));
    let global = format!("{}security: [{{oauth: [read]}}]\n", op(OK));
    let mut pairs = vec![
        Pair {
            rule: "api-contract-added".into(),
            flagged: (None, Some(op(OK)), strings(&["api-contract-added"])),
            harmless: (Some(op(OK)), None, strings(&["api-path-removed"])),
        },
        undone(
            "api-path-removed",
            two_paths,
            op(OK),
            &["api-path-removed"],
            &["api-operation-added"],
        ),
        undone(
            "api-security-added",
            op(OK),
            global,
            &["api-security-added"],
            &["api-security-removed"],
        ),
    ];
    pairs.extend(both(
        "api-operation-removed",
        "api-operation-added",
        two_methods,
        op(OK),
    ));
    pairs.extend(both(
        "api-security-added",
        "api-security-removed",
        op(OK),
        secured("[{oauth: [read]}]"),
    ));
    pairs.extend(both(
        "api-security-requirement-removed",
        "api-security-requirement-added",
        secured("[{oauth: [read]}, {apiKey: []}]"),
        secured("[{oauth: [read]}]"),
    ));
    pairs
}

fn parameter_pairs() -> Vec<Pair> {
    let q = |required: bool| {
        param(&format!(
            "{{name: q, in: query, required: {required}, schema: {STR}}}"
        ))
    };
    let none = op(OK);
    let mut pairs = vec![undone(
        "request-parameter-added-optional",
        none.clone(),
        q(false),
        &["request-parameter-added-optional"],
        &["request-parameter-removed"],
    )];
    pairs.extend(both(
        "request-parameter-added-required",
        "request-parameter-removed",
        none,
        q(true),
    ));
    pairs.extend(both(
        "request-parameter-became-required",
        "request-parameter-became-optional",
        q(false),
        q(true),
    ));
    pairs
}

/// The rules about a value's schema, for a request parameter and a request body property alike.
fn value_pairs(prefix: &str, at: fn(&str) -> String) -> Vec<Pair> {
    let id = |suffix: &str| format!("{prefix}-{suffix}");
    let both = |forward: &str, backward: &str, old: &str, new: &str| {
        both(&id(forward), &id(backward), at(old), at(new))
    };
    let one_way = |suffix: &str, old: &str, new: &str, reversed: &[&str]| {
        let reversed: Vec<String> = reversed.iter().map(|suffix| id(suffix)).collect();
        let reversed: Vec<&str> = reversed.iter().map(String::as_str).collect();
        undone(&id(suffix), at(old), at(new), &[&id(suffix)], &reversed)
    };
    let mut pairs = vec![
        with_harmless(
            &id("type-changed"),
            (at(STR), at("{type: integer}")),
            (
                at("{type: string, description: a}"),
                at("{type: string, description: b}"),
            ),
        ),
        with_harmless(
            &id("type-changed"),
            (at(STR), at("{type: string, format: date}")),
            (
                at("{type: string, example: a}"),
                at("{type: string, example: b}"),
            ),
        ),
        one_way("became-enum", STR, "{type: string, enum: [a]}", &[]),
        one_way(
            "max-length-decreased",
            STR,
            "{type: string, maxLength: 5}",
            &["max-length-increased"],
        ),
        with_harmless(
            &id("pattern-changed"),
            (
                at("{type: string, pattern: '^a'}"),
                at("{type: string, pattern: '^b'}"),
            ),
            (
                at("{type: string, pattern: '^a', description: a}"),
                at("{type: string, pattern: '^a'}"),
            ),
        ),
        one_way(
            "max-decreased",
            "{type: number, maximum: 5}",
            "{type: number, maximum: 5, exclusiveMaximum: true}",
            &["max-increased"],
        ),
    ];
    let cases = [
        (
            "enum-value-removed",
            "enum-value-added",
            "{type: string, enum: [a, b]}",
            "{type: string, enum: [a]}",
        ),
        (
            "max-length-decreased",
            "max-length-increased",
            "{type: string, maxLength: 10}",
            "{type: string, maxLength: 5}",
        ),
        (
            "min-length-increased",
            "min-length-decreased",
            "{type: string, minLength: 1}",
            "{type: string, minLength: 3}",
        ),
        (
            "pattern-changed",
            "pattern-removed",
            STR,
            "{type: string, pattern: '^[A-Z]+$'}",
        ),
        (
            "max-decreased",
            "max-increased",
            "{type: integer, maximum: 10}",
            "{type: integer, maximum: 5}",
        ),
        (
            "min-increased",
            "min-decreased",
            "{type: integer}",
            "{type: integer, minimum: 1}",
        ),
    ];
    for (forward, backward, old, new) in cases {
        pairs.extend(both(forward, backward, old, new));
    }
    pairs
}

fn request_body_pairs() -> Vec<Pair> {
    let optional = op(&format!(
        "requestBody: {{content: {{application/json: {{schema: {STR}}}}}}}, {OK}"
    ));
    let two_media = op(&format!(
        "requestBody: {{required: true, content: {{application/json: {{schema: {STR}}}, application/xml: {{schema: {STR}}}}}}}, {OK}"
    ));
    let object = |required: &str, properties: &str| {
        body(&format!(
            "{{type: object, required: [{required}], properties: {{{properties}}}}}"
        ))
    };
    let a = format!("a: {STR}");
    let a_b = format!("a: {STR}, b: {STR}");
    let mut pairs = vec![
        undone(
            "request-body-added-optional",
            op(OK),
            optional.clone(),
            &["request-body-added-optional"],
            &["request-body-removed"],
        ),
        undone(
            "request-property-added-optional",
            object("", &a),
            object("", &a_b),
            &["request-property-added-optional"],
            &["request-property-removed"],
        ),
    ];
    let service = |alternatives: &str| body(&prop(&format!("{{oneOf: [{alternatives}]}}")));
    pairs.extend(both(
        "request-body-added-required",
        "request-body-removed",
        op(OK),
        body(STR),
    ));
    pairs.extend(both(
        "request-body-became-required",
        "request-body-became-optional",
        optional,
        body(STR),
    ));
    pairs.extend(both(
        "request-body-media-type-removed",
        "request-body-media-type-added",
        two_media,
        body(STR),
    ));
    pairs.extend(both(
        "request-property-added-required",
        "request-property-removed",
        object("", &a),
        object("b", &a_b),
    ));
    pairs.extend(both(
        "request-property-became-required",
        "request-property-became-optional",
        object("", &a),
        object("a", &a),
    ));
    pairs.extend(both(
        "request-property-additional-properties-disallowed",
        "request-property-additional-properties-allowed",
        body(&prop(STR)),
        body(&format!(
            "{{type: object, additionalProperties: false, properties: {{p: {STR}}}}}"
        )),
    ));
    pairs.extend(both(
        "request-property-alternative-removed",
        "request-property-alternative-added",
        service(&format!("{STR}, {{type: array, items: {STR}}}")),
        service(STR),
    ));
    pairs
}

fn response_pairs() -> Vec<Pair> {
    let located = |required: bool| {
        responses(&format!(
            "'201': {{description: made, headers: {{Location: {{required: {required}, schema: {STR}}}}}}}"
        ))
    };
    let made = responses("'201': {description: made}");
    let error = |examples: &str| {
        responses(&format!(
            "'200': {{description: ok}}, '400': {{description: bad, content: {{application/json: {{schema: {STR}, examples: {{{examples}}}}}}}}}"
        ))
    };
    let mut pairs = vec![
        undone(
            "response-optional-header-removed",
            located(false),
            made.clone(),
            &["response-optional-header-removed"],
            &["response-header-added"],
        ),
        undone(
            "response-header-became-optional",
            located(true),
            located(false),
            &["response-header-became-optional"],
            &[],
        ),
    ];
    pairs.extend(both(
        "response-success-status-removed",
        "response-success-status-added",
        responses("'200': {description: ok}, '204': {description: none}"),
        op(OK),
    ));
    pairs.extend(both(
        "response-error-status-removed",
        "response-error-status-added",
        responses("'200': {description: ok}, '404': {description: missing}"),
        op(OK),
    ));
    pairs.extend(both(
        "response-error-example-removed",
        "response-error-example-added",
        error("A: {value: a}, B: {value: b}"),
        error("A: {value: a}"),
    ));
    pairs.extend(both(
        "response-media-type-removed",
        "response-media-type-added",
        response(STR),
        op(OK),
    ));
    pairs.extend(both(
        "response-header-removed",
        "response-header-added",
        located(true),
        made,
    ));
    pairs
}

fn response_property_pairs() -> Vec<Pair> {
    let object = |required: &str, properties: &str| {
        response(&format!(
            "{{type: object, required: [{required}], properties: {{{properties}}}}}"
        ))
    };
    let a = format!("a: {STR}");
    let a_b = format!("a: {STR}, b: {STR}");
    let p = |schema: &str| response(&prop(schema));
    let mut pairs = vec![
        undone(
            "response-property-added-required",
            object("", &a),
            object("b", &a_b),
            &["response-property-added-required"],
            &["response-property-removed"],
        ),
        undone(
            "response-property-became-enum",
            p(STR),
            p("{type: string, enum: [a]}"),
            &["response-property-became-enum"],
            &[],
        ),
        with_harmless(
            "response-property-type-changed",
            (p(STR), p("{type: array, items: {type: string}}")),
            (p("{type: string, maxLength: 3}"), p(STR)),
        ),
    ];
    pairs.extend(both(
        "response-property-removed",
        "response-property-added-optional",
        object("", &a_b),
        object("", &a),
    ));
    pairs.extend(both(
        "response-property-became-optional",
        "response-property-became-required",
        object("a", &a),
        object("", &a),
    ));
    pairs.extend(both(
        "response-property-enum-value-added",
        "response-property-enum-value-removed",
        p("{type: string, enum: [Pending]}"),
        p("{type: string, enum: [Pending, Archived]}"),
    ));
    pairs.extend(both(
        "response-property-alternative-added",
        "response-property-alternative-removed",
        p(&format!("{{oneOf: [{STR}]}}")),
        p(&format!("{{oneOf: [{STR}, {{type: integer}}]}}")),
    ));
    pairs
}

fn all_pairs() -> Vec<Pair> {
    let mut pairs = operation_pairs();
    pairs.extend(parameter_pairs());
    pairs.extend(value_pairs("request-parameter", query));
    pairs.extend(value_pairs("request-property", |schema| {
        body(&prop(schema))
    }));
    pairs.extend(request_body_pairs());
    pairs.extend(response_pairs());
    pairs.extend(response_property_pairs());
    pairs
}

#[test]
fn every_rule_is_flagged_by_one_pair_and_not_by_a_harmless_one() {
    let pairs = all_pairs();
    for pair in &pairs {
        let (old, new, expected) = &pair.flagged;
        assert_eq!(
            &ids(old.as_deref(), new.as_deref()),
            expected,
            "flagged pair of {}",
            pair.rule
        );
        assert!(
            expected.contains(&pair.rule),
            "{} is not in its flagged pair",
            pair.rule
        );
        let (old, new, expected) = &pair.harmless;
        assert_eq!(
            &ids(old.as_deref(), new.as_deref()),
            expected,
            "harmless pair of {}",
            pair.rule
        );
        assert!(
            !expected.contains(&pair.rule),
            "{} is reported by its harmless pair",
            pair.rule
        );
    }
    let proved: BTreeSet<&str> = pairs.iter().map(|pair| pair.rule.as_str()).collect();
    let missing: Vec<&str> = ALL
        .iter()
        .map(|rule| rule.id())
        .filter(|id| !proved.contains(id))
        .collect();
    assert!(missing.is_empty(), "rules without a pair: {missing:?}");
}

#[test]
fn rule_ids_are_unique_and_kebab_case() {
    let unique: BTreeSet<&str> = ALL.iter().map(|rule| rule.id()).collect();
    assert_eq!(unique.len(), ALL.len());
    for rule in ALL {
        assert!(
            rule.id()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}",
            rule.id()
        );
        assert_eq!(Rule::from_id(rule.id()), Some(*rule));
    }
}

#[test]
fn responses_constraints_and_renamed_path_parameters_are_not_changes() {
    // A server that sends less than it documented breaks nobody.
    let longer = response(&prop("{type: string, maxLength: 10}"));
    let shorter = response(&prop("{type: string, maxLength: 5}"));
    assert!(ids(Some(&longer), Some(&shorter)).is_empty());
    let path = |name: &str| {
        document(&format!(
            "paths:\n  /things/{{{name}}}:\n    get: {{operationId: get_thing, parameters: [{{name: {name}, in: path, required: true, schema: {STR}}}], {OK}}}\n"
        ))
    };
    assert!(ids(Some(&path("id")), Some(&path("thingId"))).is_empty());
    let header = |name: &str| {
        param(&format!(
            "{{name: {name}, in: header, required: true, schema: {STR}}}"
        ))
    };
    assert!(ids(Some(&header("X-Thing")), Some(&header("x-thing"))).is_empty());
}

#[test]
fn a_changed_success_status_is_one_removed_and_one_added() {
    let ok = responses("'200': {description: ok}");
    let made = responses("'201': {description: made}");
    let expected = [
        "response-success-status-added",
        "response-success-status-removed",
    ];
    assert_eq!(ids(Some(&ok), Some(&made)), expected);
    let messages: Vec<String> = changes(Some(&ok), Some(&made))
        .into_iter()
        .map(|c| c.message)
        .collect();
    assert_eq!(messages, ["response 200 removed", "response 201 added"]);
}

/// Two operations reading the shared `Thing`: one in a list, one alone. `Thing` refers to itself, and the cycle
/// guard compares it once per operation, where it is first met.
fn shared(status_enum: &str) -> String {
    document(&format!(
        "paths:
  /things:
    get: {{operationId: list_things, responses: {{'200': {{description: ok, content: {{application/json: {{schema: {{$ref: '#/components/schemas/ThingList'}}}}}}}}}}}}
  /things/{{id}}:
    get: {{operationId: get_thing, responses: {{'200': {{description: ok, content: {{application/json: {{schema: {{$ref: '#/components/schemas/Thing'}}}}}}}}}}}}
components:
  schemas:
    ThingList: {{type: object, properties: {{items: {{type: array, items: {{$ref: '#/components/schemas/Thing'}}}}}}}}
    Thing: {{type: object, properties: {{status: {{type: string, enum: {status_enum}}}, parent: {{$ref: '#/components/schemas/Thing'}}}}}}
"
    ))
}

#[test]
fn a_shared_component_change_is_reported_on_every_operation_using_it() {
    let found = changes(
        Some(&shared("[Pending]")),
        Some(&shared("[Pending, Archived]")),
    );
    let lines: Vec<(Option<String>, &str, &str)> = found
        .iter()
        .map(|change| {
            let id = change.operation.as_ref().and_then(|op| op.id.clone());
            (id, change.rule.id(), change.message.as_str())
        })
        .collect();
    let added = "response-property-enum-value-added";
    assert_eq!(
        lines,
        [
            (
                Some("list_things".into()),
                added,
                "response 200 body.items[].status: enum value 'Archived' added"
            ),
            (
                Some("get_thing".into()),
                added,
                "response 200 body.status: enum value 'Archived' added"
            ),
        ]
    );
}

fn change(operation: &str, rule: Rule) -> Change {
    Change {
        file: FILE.into(),
        operation: Some(compare::OperationName {
            id: Some(operation.into()),
            method: "GET".into(),
            path: "/things/{id}".into(),
        }),
        rule,
        message: "response 200 property 'expiresOn' removed".into(),
    }
}

fn entry(file: &str, operation: Option<&str>, rule: &str) -> Accepted {
    Accepted {
        file: file.into(),
        operation: operation.map(str::to_string),
        rule: rule.into(),
        reason: "agreed with the API's consumers".into(),
    }
}

#[test]
fn an_accepted_entry_acknowledges_only_what_it_names() {
    let removed = Rule::ResponsePropertyRemoved;
    let found = vec![change("get_thing", removed), change("list_things", removed)];
    let report = |entries: &[Accepted]| Report::new(found.clone(), entries, 1, "HEAD".into());
    let acknowledged = |report: &Report| -> Vec<bool> {
        report
            .changes
            .iter()
            .map(|r| r.accepted.is_some())
            .collect()
    };

    let one = report(&[entry(FILE, Some("get_thing"), "response-property-removed")]);
    assert_eq!(acknowledged(&one), [true, false]);
    assert_eq!(one.unacknowledged(), 1);
    let all = report(&[entry(FILE, None, "response-property-removed")]);
    assert_eq!(acknowledged(&all), [true, true]);
    assert_eq!(all.unacknowledged(), 0);
    let other_rule = report(&[entry(FILE, None, "response-property-became-optional")]);
    assert_eq!(acknowledged(&other_rule), [false, false]);
    let other_file = report(&[entry(
        "openapi/other.yaml",
        None,
        "response-property-removed",
    )]);
    assert_eq!(acknowledged(&other_file), [false, false]);
    assert_eq!(
        text_line(&one.changes[0]),
        "accepted openapi/t.yaml get_thing (GET /things/{id}): response 200 property 'expiresOn' removed \
         [response-property-removed] (accepted: agreed with the API's consumers)"
    );
    assert_eq!(
        text_line(&one.changes[1]),
        "BREAKING openapi/t.yaml list_things (GET /things/{id}): response 200 property 'expiresOn' removed \
         [response-property-removed]"
    );
}

#[test]
fn the_accepted_file_is_checked_and_the_shipped_one_is_empty() {
    let entry =
        "accepted:\n  - {file: openapi/t.yaml, rule: response-property-removed, reason: agreed}\n";
    assert_eq!(accepted::parse(entry).unwrap().len(), 1);
    assert!(accepted::parse("accepted:\n").unwrap().is_empty());
    let typo =
        "accepted:\n  - {file: openapi/t.yaml, rule: response-property-remove, reason: agreed}\n";
    assert!(accepted::parse(typo).is_err());
    let info = "accepted:\n  - {file: openapi/t.yaml, rule: api-operation-added, reason: agreed}\n";
    assert!(accepted::parse(info).is_err());
    let no_reason =
        "accepted:\n  - {file: openapi/t.yaml, rule: response-property-removed, reason: ' '}\n";
    assert!(accepted::parse(no_reason).is_err());
    let unknown_field =
        "accepted:\n  - {file: a, rule: response-property-removed, reason: r, operations: x}\n";
    assert!(accepted::parse(unknown_field).is_err());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    assert!(accepted::load(&root).unwrap().is_empty());
}

#[test]
fn json_output_has_every_field() {
    let found = vec![
        change("get_thing", Rule::ResponsePropertyRemoved),
        change("get_thing", Rule::ApiOperationAdded),
    ];
    let accepted = [entry(FILE, Some("get_thing"), "response-property-removed")];
    let report = Report::new(found, &accepted, 1, "HEAD".into());
    let parsed: Value = serde_json::from_str(&to_json(&report)).unwrap();
    let items = parsed.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["file"], FILE);
    assert_eq!(items[0]["operation_id"], "get_thing");
    assert_eq!(items[0]["method"], "GET");
    assert_eq!(items[0]["path"], "/things/{id}");
    assert_eq!(items[0]["rule"], "response-property-removed");
    assert_eq!(items[0]["breaking"], true);
    assert_eq!(items[0]["acknowledged"], true);
    assert_eq!(
        items[0]["message"],
        "response 200 property 'expiresOn' removed"
    );
    assert_eq!(items[0]["reason"], "agreed with the API's consumers");
    assert_eq!(items[1]["breaking"], false);
    assert_eq!(items[1]["acknowledged"], false);
    assert!(items[1].get("reason").is_none());
}

/// A directory under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("xtask-breaking-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(path.join("openapi")).unwrap();
        TempDir(path)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn exit_codes_say_clean_breaking_or_could_not_compare() {
    let dir = TempDir::new("exit");
    let enum_of = |values: &str| query(&format!("{{type: string, enum: {values}}}"));
    let old = dir.write("old.yaml", &enum_of("[a, b]"));
    let wider = dir.write("wider.yaml", &enum_of("[a, b, c]"));
    let narrower = dir.write("openapi/t.yaml", &enum_of("[a]"));
    let files = |old: &Path, new: &Path| Source::Files {
        old: old.to_path_buf(),
        new: new.to_path_buf(),
    };

    assert_eq!(exit_code(&evaluate(&dir.0, &files(&old, &old))), 0);
    assert_eq!(exit_code(&evaluate(&dir.0, &files(&old, &wider))), 0);
    let breaking = evaluate(&dir.0, &files(&old, &narrower));
    assert_eq!(exit_code(&breaking), 1);
    let report = breaking.unwrap();
    assert_eq!(report.changes[0].change.file, "openapi/t.yaml");
    assert_eq!(
        report.changes[0].change.rule,
        Rule::RequestParameterEnumValueRemoved
    );

    dir.write(
        &format!("openapi/{}", contract::ACCEPTED_BREAKING_CHANGES_FILE),
        "accepted:\n  - {file: openapi/t.yaml, operation: make_thing, rule: request-parameter-enum-value-removed, reason: r}\n",
    );
    assert_eq!(exit_code(&evaluate(&dir.0, &files(&old, &narrower))), 0);

    let missing = dir.0.join("missing.yaml");
    assert_eq!(exit_code(&evaluate(&dir.0, &files(&old, &missing))), 2);
    let not_openapi = dir.write("not-openapi.yaml", "just: text\n");
    assert_eq!(exit_code(&evaluate(&dir.0, &files(&old, &not_openapi))), 2);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let no_ref = Source::Base("no-such-ref-for-the-breaking-check".into());
    assert_eq!(exit_code(&evaluate(&root, &no_ref)), 2);
}

#[test]
fn load_all_skips_the_accepted_changes_file() {
    let dir = TempDir::new("load-all");
    dir.write("openapi/t.yaml", &op(OK));
    dir.write(
        &format!("openapi/{}", contract::ACCEPTED_BREAKING_CHANGES_FILE),
        "accepted: []\n",
    );
    let loaded = contract::load_all(&dir.0).unwrap();
    let files: Vec<&Path> = loaded
        .iter()
        .map(|contract| contract.file.as_path())
        .collect();
    assert_eq!(files, [Path::new("openapi/t.yaml")]);
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn the_base_is_the_previous_commit_without_origin_main_and_none_in_a_one_commit_clone() {
    let dir = TempDir::new("base");
    git(&dir.0, &["init", "--quiet"]);
    dir.write("openapi/kept.yaml", &query("{type: string, maxLength: 10}"));
    dir.write("openapi/deleted.yaml", &op(OK));
    git(&dir.0, &["add", "."]);
    git(&dir.0, &["commit", "--quiet", "-m", "first"]);
    assert!(
        default_base(&dir.0).is_err(),
        "a one-commit clone has no base"
    );

    git(
        &dir.0,
        &["commit", "--quiet", "--allow-empty", "-m", "second"],
    );
    let (base, why) = default_base(&dir.0).unwrap();
    assert!(why.starts_with("HEAD~1"));
    dir.write("openapi/kept.yaml", &query("{type: string, maxLength: 5}"));
    dir.write("openapi/new.yaml", &op(OK));
    std::fs::remove_file(dir.0.join("openapi/deleted.yaml")).unwrap();

    let report = evaluate(&dir.0, &Source::Base(base)).unwrap();
    let found: Vec<(&str, &str)> = report
        .changes
        .iter()
        .map(|r| (r.change.file.as_str(), r.change.rule.id()))
        .collect();
    assert_eq!(
        found,
        [
            ("openapi/deleted.yaml", "api-path-removed"),
            (
                "openapi/kept.yaml",
                "request-parameter-max-length-decreased"
            ),
            ("openapi/new.yaml", "api-contract-added"),
        ]
    );
    assert_eq!(report.files, 3);
    assert!(check_in_test(&dir.0).is_err());
}
