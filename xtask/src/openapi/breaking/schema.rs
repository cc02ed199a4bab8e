//! Comparing two versions of a schema, recursively: through `$ref`s, properties, array items, `allOf` (merged)
//! and `oneOf`/`anyOf` (alternatives matched by reference name or type).
//!
//! Each finding is a kind of change (`enum-value-removed`, ...) at a JSON-ish path inside the body
//! (`body.items[].status`); the place the schema sits turns it into a rule id (`response-property-...`). A
//! `$ref`'d component is compared wherever it is used, so a change to a shared schema is reported on every
//! operation that uses it.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use openapiv3::{
    AdditionalProperties, AnySchema, ReferenceOr, Schema, SchemaKind, Type, VariantOrUnknownOrEmpty,
};
use serde::Serialize;
use serde_json::Value;

use super::rules::Rule;
use crate::openapi::contract::{Contract, schema_ref_name};

/// Deeper than any real contract nests; stops a pathological schema from running away.
const MAX_DEPTH: usize = 32;

/// Where a schema sits, which decides the rule a change maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Parameter,
    RequestBody,
    Response,
}

impl Place {
    fn prefix(self) -> &'static str {
        match self {
            Place::Parameter => "request-parameter",
            Place::RequestBody => "request-property",
            Place::Response => "response-property",
        }
    }
}

/// A change found, with the rule it falls under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    pub message: String,
}

/// A schema as written: a reference or inline.
#[derive(Clone, Copy)]
pub enum Node<'a> {
    Ref(&'a str),
    Inline(&'a Schema),
}

impl<'a> From<&'a ReferenceOr<Schema>> for Node<'a> {
    fn from(schema: &'a ReferenceOr<Schema>) -> Self {
        match schema {
            ReferenceOr::Reference { reference } => Node::Ref(reference),
            ReferenceOr::Item(schema) => Node::Inline(schema),
        }
    }
}

impl<'a> From<&'a ReferenceOr<Box<Schema>>> for Node<'a> {
    fn from(schema: &'a ReferenceOr<Box<Schema>>) -> Self {
        match schema {
            ReferenceOr::Reference { reference } => Node::Ref(reference),
            ReferenceOr::Item(schema) => Node::Inline(schema),
        }
    }
}

impl<'a> Node<'a> {
    /// The schema, and the component name it was reached through (for the cycle guard).
    fn resolve(self, contract: &'a Contract) -> Result<(Option<&'a str>, &'a Schema)> {
        match self {
            Node::Ref(reference) => Ok((
                Some(schema_ref_name(reference)?),
                contract.schema_at(reference)?,
            )),
            Node::Inline(schema) => Ok((None, schema)),
        }
    }
}

/// The two sides of one schema comparison, at one place of one operation.
pub struct Sides<'a> {
    pub old: &'a Contract,
    pub new: &'a Contract,
    pub place: Place,
    /// What the schema belongs to, as messages name it: `request body`, `response 200`, `query parameter 'x'`.
    pub label: String,
}

/// Compares two schemas; `path` names the root (`body`, or empty for a parameter).
pub fn compare(
    sides: &Sides<'_>,
    path: &str,
    old: Node<'_>,
    new: Node<'_>,
) -> Result<Vec<Finding>> {
    let mut walk = Walk {
        sides,
        stack: Vec::new(),
        findings: Vec::new(),
    };
    walk.node(path, old, new)?;
    Ok(walk.findings)
}

struct Walk<'s, 'a> {
    sides: &'s Sides<'a>,
    /// The component names on the way down, old and new side: meeting a pair again is a cycle.
    stack: Vec<(Option<&'a str>, Option<&'a str>)>,
    findings: Vec<Finding>,
}

impl<'a> Walk<'_, 'a> {
    fn node(&mut self, path: &str, old: Node<'a>, new: Node<'a>) -> Result<()> {
        let (old_name, old) = old.resolve(self.sides.old)?;
        let (new_name, new) = new.resolve(self.sides.new)?;
        let key = (old_name, new_name);
        let named = old_name.is_some() || new_name.is_some();
        if (named && self.stack.contains(&key)) || self.stack.len() >= MAX_DEPTH {
            // Compared already further up this path: a recursive schema.
            return Ok(());
        }
        self.stack.push(key);
        let result = self.schemas(path, old, new);
        self.stack.pop();
        result
    }

    fn schemas(&mut self, path: &str, old: &'a Schema, new: &'a Schema) -> Result<()> {
        let old = View::of(self.sides.old, old, 0)?;
        let new = View::of(self.sides.new, new, 0)?;
        if !self.types(path, &old, &new) {
            // A different type: nothing below it compares meaningfully.
            return Ok(());
        }
        self.enums(path, &old, &new);
        self.constraints(path, &old, &new);
        self.properties(path, &old, &new)?;
        if let (Some(old_items), Some(new_items)) = (old.items, new.items) {
            self.node(&format!("{path}[]"), old_items, new_items)?;
        }
        self.alternatives(path, &old, &new)
    }

    /// Reports a change of kind `kind` if the rule table has a rule for it at this place.
    fn emit(&mut self, kind: &str, message: String) {
        if let Some(rule) = Rule::from_id(&format!("{}-{kind}", self.sides.place.prefix())) {
            self.findings.push(Finding { rule, message });
        }
    }

    /// Reports a change to a property of a body; a parameter's properties are not compared (parameters are
    /// scalars here, and their rules are about the parameter itself).
    fn emit_property(&mut self, kind: &str, message: String) {
        if self.sides.place != Place::Parameter {
            self.emit(kind, message);
        }
    }

    /// A message about the value at `path`: `response 200 body.items[].status: ...`.
    fn at(&self, path: &str, what: &str) -> String {
        if path.is_empty() {
            format!("{}: {what}", self.sides.label)
        } else {
            format!("{} {path}: {what}", self.sides.label)
        }
    }

    /// A message about the property at `path`: `response 200 property 'items[].status' removed`.
    fn property(&self, path: &str, what: &str) -> String {
        let relative = path.strip_prefix("body").unwrap_or(path);
        let relative = relative.strip_prefix('.').unwrap_or(relative);
        format!("{} property '{relative}' {what}", self.sides.label)
    }

    /// Reports a type or format change; false if the types differ.
    fn types(&mut self, path: &str, old: &View<'_>, new: &View<'_>) -> bool {
        if old.ty != new.ty {
            let what = format!(
                "type changed from {} to {}",
                shown(old.ty.as_deref()),
                shown(new.ty.as_deref())
            );
            self.emit("type-changed", self.at(path, &what));
            return false;
        }
        if old.format != new.format {
            let what = format!(
                "format changed from {} to {}",
                shown(old.format.as_deref()),
                shown(new.format.as_deref())
            );
            self.emit("type-changed", self.at(path, &what));
        }
        true
    }

    fn enums(&mut self, path: &str, old: &View<'_>, new: &View<'_>) {
        match (&old.enumeration, &new.enumeration) {
            (None, Some(values)) => {
                let listed: Vec<String> = values.iter().map(shown_value).collect();
                let what = format!("now limited to the enum [{}]", listed.join(", "));
                self.emit("became-enum", self.at(path, &what));
            }
            (Some(old_values), Some(new_values)) => {
                for value in old_values.iter().filter(|v| !new_values.contains(v)) {
                    let what = format!("enum value {} removed", shown_value(value));
                    self.emit("enum-value-removed", self.at(path, &what));
                }
                for value in new_values.iter().filter(|v| !old_values.contains(v)) {
                    let what = format!("enum value {} added", shown_value(value));
                    self.emit("enum-value-added", self.at(path, &what));
                }
            }
            _ => {}
        }
    }

    fn constraints(&mut self, path: &str, old: &View<'_>, new: &View<'_>) {
        let length = |value: Option<usize>| value.map(|v| Bound::inclusive(v as f64));
        let limits = [
            (
                "maxLength",
                Side::Upper,
                length(old.max_length),
                length(new.max_length),
            ),
            (
                "minLength",
                Side::Lower,
                length(old.min_length),
                length(new.min_length),
            ),
            ("maximum", Side::Upper, old.maximum, new.maximum),
            ("minimum", Side::Lower, old.minimum, new.minimum),
        ];
        for (name, side, old_limit, new_limit) in limits {
            let Some(tightened) = side.tightened(old_limit, new_limit) else {
                continue;
            };
            let kind = match (name, tightened) {
                ("maxLength", true) => "max-length-decreased",
                ("maxLength", false) => "max-length-increased",
                ("minLength", true) => "min-length-increased",
                ("minLength", false) => "min-length-decreased",
                ("maximum", true) => "max-decreased",
                ("maximum", false) => "max-increased",
                (_, true) => "min-increased",
                (_, false) => "min-decreased",
            };
            self.emit(
                kind,
                self.at(path, &limit_change(name, old_limit, new_limit)),
            );
        }
        match (old.pattern, new.pattern) {
            (None, Some(pattern)) => {
                self.emit(
                    "pattern-changed",
                    self.at(path, &format!("pattern '{pattern}' added")),
                );
            }
            (Some(was), Some(now)) if was != now => {
                let what = format!("pattern changed from '{was}' to '{now}'");
                self.emit("pattern-changed", self.at(path, &what));
            }
            (Some(was), None) => {
                self.emit(
                    "pattern-removed",
                    self.at(path, &format!("pattern '{was}' removed")),
                );
            }
            _ => {}
        }
    }

    fn properties(&mut self, path: &str, old: &View<'a>, new: &View<'a>) -> Result<()> {
        for (&name, &old_node) in &old.properties {
            let child = child(path, name);
            let Some(&new_node) = new.properties.get(name) else {
                self.emit_property("removed", self.property(&child, "removed"));
                continue;
            };
            match (old.required.contains(name), new.required.contains(name)) {
                (false, true) => {
                    self.emit_property("became-required", self.property(&child, "became required"));
                }
                (true, false) => {
                    self.emit_property("became-optional", self.property(&child, "became optional"));
                }
                _ => {}
            }
            self.node(&child, old_node, new_node)?;
        }
        for &name in new.properties.keys() {
            if old.properties.contains_key(name) {
                continue;
            }
            let child = child(path, name);
            if new.required.contains(name) {
                self.emit_property("added-required", self.property(&child, "added, required"));
            } else {
                self.emit_property("added-optional", self.property(&child, "added, optional"));
            }
        }
        match (old.closed, new.closed) {
            (false, true) => {
                let what = "additionalProperties: false set";
                self.emit("additional-properties-disallowed", self.at(path, what));
            }
            (true, false) => {
                let what = "additionalProperties: false no longer set";
                self.emit("additional-properties-allowed", self.at(path, what));
            }
            _ => {}
        }
        Ok(())
    }

    fn alternatives(&mut self, path: &str, old: &View<'a>, new: &View<'a>) -> Result<()> {
        let old_keyed = keyed(self.sides.old, &old.alternatives)?;
        let new_keyed = keyed(self.sides.new, &new.alternatives)?;
        for (key, &old_node) in &old_keyed {
            match new_keyed.get(key) {
                Some(&new_node) => self.node(path, old_node, new_node)?,
                None => {
                    let what = format!("alternative '{key}' removed");
                    self.emit("alternative-removed", self.at(path, &what));
                }
            }
        }
        for key in new_keyed.keys().filter(|key| !old_keyed.contains_key(*key)) {
            let what = format!("alternative '{key}' added");
            self.emit("alternative-added", self.at(path, &what));
        }
        Ok(())
    }
}

/// `oneOf`/`anyOf` alternatives by a name that survives reordering: the component name, else the type, else
/// the position.
fn keyed<'a>(contract: &'a Contract, nodes: &[Node<'a>]) -> Result<BTreeMap<String, Node<'a>>> {
    let mut keyed = BTreeMap::new();
    for (index, &node) in nodes.iter().enumerate() {
        let key = match node {
            Node::Ref(reference) => schema_ref_name(reference)?.to_string(),
            Node::Inline(schema) => View::of(contract, schema, 0)?
                .ty
                .unwrap_or_else(|| format!("#{index}")),
        };
        let key = if keyed.contains_key(&key) {
            format!("{key}#{index}")
        } else {
            key
        };
        keyed.insert(key, node);
    }
    Ok(keyed)
}

fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "none".to_string(), str::to_string)
}

fn shown_value(value: &Value) -> String {
    match value {
        Value::String(text) => format!("'{text}'"),
        other => other.to_string(),
    }
}

/// A numeric limit: `maximum`/`minimum`, or a length.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bound {
    value: f64,
    exclusive: bool,
}

impl Bound {
    fn inclusive(value: f64) -> Self {
        Bound {
            value,
            exclusive: false,
        }
    }

    fn of(value: Option<f64>, exclusive: bool) -> Option<Self> {
        value.map(|value| Bound { value, exclusive })
    }
}

#[derive(Clone, Copy)]
enum Side {
    Upper,
    Lower,
}

impl Side {
    /// Some(true) if the new limit accepts less than the old one, Some(false) if more, None if the same.
    fn tightened(self, old: Option<Bound>, new: Option<Bound>) -> Option<bool> {
        match (old, new) {
            (None, None) => None,
            (None, Some(_)) => Some(true),
            (Some(_), None) => Some(false),
            (Some(old), Some(new)) if old == new => None,
            (Some(old), Some(new)) => Some(match self {
                Side::Upper => new.value < old.value || (new.value == old.value && new.exclusive),
                Side::Lower => new.value > old.value || (new.value == old.value && new.exclusive),
            }),
        }
    }
}

fn limit_change(name: &str, old: Option<Bound>, new: Option<Bound>) -> String {
    let shown = |bound: Bound| {
        if bound.exclusive {
            format!("{} (exclusive)", bound.value)
        } else {
            bound.value.to_string()
        }
    };
    match (old, new) {
        (None, Some(new)) => format!("{name} set to {}", shown(new)),
        (Some(old), None) => format!("{name} {} removed", shown(old)),
        (Some(old), Some(new)) => format!("{name} changed from {} to {}", shown(old), shown(new)),
        (None, None) => format!("{name} unchanged"),
    }
}

/// What the comparison looks at in one schema, whichever way openapiv3 parsed it; `allOf` members are merged in.
#[derive(Default)]
struct View<'a> {
    ty: Option<String>,
    format: Option<String>,
    /// None when the schema has no `enum`.
    enumeration: Option<Vec<Value>>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<&'a str>,
    minimum: Option<Bound>,
    maximum: Option<Bound>,
    properties: BTreeMap<&'a str, Node<'a>>,
    required: BTreeSet<&'a str>,
    /// `additionalProperties: false`.
    closed: bool,
    items: Option<Node<'a>>,
    /// `oneOf` and `anyOf` alternatives.
    alternatives: Vec<Node<'a>>,
}

impl<'a> View<'a> {
    fn of(contract: &'a Contract, schema: &'a Schema, depth: usize) -> Result<Self> {
        let mut view = match &schema.schema_kind {
            SchemaKind::Type(ty) => View::of_type(ty),
            SchemaKind::OneOf { one_of: of } | SchemaKind::AnyOf { any_of: of } => View {
                alternatives: of.iter().map(Node::from).collect(),
                ..View::default()
            },
            SchemaKind::AllOf { .. } | SchemaKind::Not { .. } => View::default(),
            SchemaKind::Any(any) => View::of_any(any),
        };
        let all_of = match &schema.schema_kind {
            SchemaKind::AllOf { all_of } => all_of.as_slice(),
            SchemaKind::Any(any) => any.all_of.as_slice(),
            _ => &[],
        };
        if depth < MAX_DEPTH {
            for member in all_of {
                let (_, member) = Node::from(member).resolve(contract)?;
                view.merge(View::of(contract, member, depth + 1)?);
            }
        }
        Ok(view)
    }

    fn of_type(ty: &'a Type) -> Self {
        match ty {
            Type::String(s) => View {
                ty: Some("string".into()),
                format: format_name(&s.format),
                enumeration: enumeration(&s.enumeration),
                min_length: s.min_length.filter(|&length| length > 0),
                max_length: s.max_length,
                pattern: s.pattern.as_deref(),
                ..View::default()
            },
            Type::Number(n) => View {
                ty: Some("number".into()),
                format: format_name(&n.format),
                enumeration: enumeration(&n.enumeration),
                minimum: Bound::of(n.minimum, n.exclusive_minimum),
                maximum: Bound::of(n.maximum, n.exclusive_maximum),
                ..View::default()
            },
            Type::Integer(i) => View {
                ty: Some("integer".into()),
                format: format_name(&i.format),
                enumeration: enumeration(&i.enumeration),
                minimum: Bound::of(i.minimum.map(|value| value as f64), i.exclusive_minimum),
                maximum: Bound::of(i.maximum.map(|value| value as f64), i.exclusive_maximum),
                ..View::default()
            },
            Type::Object(o) => View {
                ty: Some("object".into()),
                properties: o
                    .properties
                    .iter()
                    .map(|(name, node)| (name.as_str(), Node::from(node)))
                    .collect(),
                required: o.required.iter().map(String::as_str).collect(),
                closed: matches!(
                    o.additional_properties,
                    Some(AdditionalProperties::Any(false))
                ),
                ..View::default()
            },
            Type::Array(a) => View {
                ty: Some("array".into()),
                items: a.items.as_ref().map(Node::from),
                ..View::default()
            },
            Type::Boolean(b) => View {
                ty: Some("boolean".into()),
                enumeration: enumeration(&b.enumeration),
                ..View::default()
            },
        }
    }

    /// A schema openapiv3 could not give one type to (e.g. `type: object` beside `allOf`).
    fn of_any(any: &'a AnySchema) -> Self {
        View {
            ty: any.typ.clone(),
            format: any.format.clone(),
            enumeration: (!any.enumeration.is_empty()).then(|| any.enumeration.clone()),
            min_length: any.min_length.filter(|&length| length > 0),
            max_length: any.max_length,
            pattern: any.pattern.as_deref(),
            minimum: Bound::of(any.minimum, any.exclusive_minimum.unwrap_or(false)),
            maximum: Bound::of(any.maximum, any.exclusive_maximum.unwrap_or(false)),
            properties: any
                .properties
                .iter()
                .map(|(name, node)| (name.as_str(), Node::from(node)))
                .collect(),
            required: any.required.iter().map(String::as_str).collect(),
            closed: matches!(
                any.additional_properties,
                Some(AdditionalProperties::Any(false))
            ),
            items: any.items.as_ref().map(Node::from),
            alternatives: any
                .one_of
                .iter()
                .chain(&any.any_of)
                .map(Node::from)
                .collect(),
        }
    }

    /// Folds an `allOf` member in: the first to say something about a field wins; properties add up.
    fn merge(&mut self, other: View<'a>) {
        self.ty = self.ty.take().or(other.ty);
        self.format = self.format.take().or(other.format);
        self.enumeration = self.enumeration.take().or(other.enumeration);
        self.min_length = self.min_length.or(other.min_length);
        self.max_length = self.max_length.or(other.max_length);
        self.pattern = self.pattern.or(other.pattern);
        self.minimum = self.minimum.or(other.minimum);
        self.maximum = self.maximum.or(other.maximum);
        for (name, node) in other.properties {
            self.properties.entry(name).or_insert(node);
        }
        self.required.extend(other.required);
        self.closed |= other.closed;
        self.items = self.items.or(other.items);
        self.alternatives.extend(other.alternatives);
    }
}

fn format_name<T: Serialize>(format: &VariantOrUnknownOrEmpty<T>) -> Option<String> {
    match format {
        VariantOrUnknownOrEmpty::Item(known) => serde_json::to_value(known)
            .ok()
            .and_then(|value| value.as_str().map(str::to_string)),
        VariantOrUnknownOrEmpty::Unknown(name) => Some(name.clone()),
        VariantOrUnknownOrEmpty::Empty => None,
    }
}

fn enumeration<T: Serialize>(values: &[T]) -> Option<Vec<Value>> {
    if values.is_empty() {
        return None;
    }
    Some(
        values
            .iter()
            .map(|value| serde_json::to_value(value).unwrap_or(Value::Null))
            .collect(),
    )
}
