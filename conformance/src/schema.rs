//! A JSON body checked against a contract's schema.
//!
//! The contracts use a small part of OpenAPI 3.0's schema language: `$ref` to `#/components/schemas/...`, `type`
//! (object, array, string, boolean, integer, number), `required`, `properties`, `additionalProperties`, `items`,
//! `minItems`/`maxItems`, `enum`, `format` (date, date-time), `oneOf`/`anyOf`/`allOf` and `nullable`. This
//! validator covers exactly that, on the contract's own JSON, resolving references itself (openapiv3 has no
//! resolver). A keyword outside the subset is reported, not ignored, so a contract that grows past it fails loudly
//! instead of passing unchecked. Converting to full JSON Schema for a general validator would add a translation
//! step (OpenAPI 3.0's `nullable` and `$ref` siblings differ from JSON Schema) and a large dependency for no gain
//! on these contracts.

use serde_json::Value;

/// Keywords that carry no constraint (prose and examples).
const ANNOTATIONS: [&str; 6] = [
    "description",
    "example",
    "title",
    "examples",
    "deprecated",
    "externalDocs",
];

/// The problems of `instance` against `schema` (in `document`), each with its JSON pointer; empty if it is valid.
pub fn validate(document: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(document, schema, instance, "", &mut errors, 0);
    errors
}

fn check(
    document: &Value,
    schema: &Value,
    instance: &Value,
    at: &str,
    errors: &mut Vec<String>,
    depth: usize,
) {
    let here = if at.is_empty() { "/" } else { at };
    if depth > 64 {
        errors.push(format!(
            "{here}: schema nesting too deep (a recursive $ref?)"
        ));
        return;
    }
    let Some(object) = schema.as_object() else {
        if schema != &Value::Bool(true) {
            errors.push(format!("{here}: unsupported schema {schema}"));
        }
        return;
    };
    if let Some(reference) = object.get("$ref") {
        match resolve(document, reference.as_str().unwrap_or_default()) {
            Some(target) => check(document, target, instance, at, errors, depth + 1),
            None => errors.push(format!("{here}: unresolvable $ref {reference}")),
        }
        return;
    }
    if instance.is_null() && object.get("nullable") == Some(&Value::Bool(true)) {
        return;
    }
    let place = Place {
        document,
        schema: object,
        at,
        here,
        depth,
    };
    for (keyword, value) in object {
        // A value of the wrong type is not checked further.
        if place.keyword(keyword, value, instance, errors) == Flow::Stop {
            return;
        }
    }
}

/// Whether the keywords after one go on being checked.
#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// Where in the instance a schema object is being checked.
struct Place<'a> {
    document: &'a Value,
    /// The schema object whose keywords are checked.
    schema: &'a serde_json::Map<String, Value>,
    /// The JSON pointer of the instance ("" at the root).
    at: &'a str,
    /// The pointer as printed ("/" at the root).
    here: &'a str,
    depth: usize,
}

impl Place<'_> {
    /// Checks one keyword of the schema object.
    fn keyword(
        &self,
        keyword: &str,
        value: &Value,
        instance: &Value,
        errors: &mut Vec<String>,
    ) -> Flow {
        let here = self.here;
        match keyword {
            "type" => return self.check_type(value, instance, errors),
            "required" => required(here, value, instance, errors),
            "properties" => self.properties(value, instance, errors),
            "additionalProperties" => self.additional_properties(value, instance, errors),
            "items" => self.items(value, instance, errors),
            "minItems" | "maxItems" => item_count(here, keyword, value, instance, errors),
            "enum" => {
                if !value
                    .as_array()
                    .is_some_and(|values| values.contains(instance))
                {
                    errors.push(format!("{here}: {instance} is not one of {value}"));
                }
            }
            "format" => format(here, value, instance, errors),
            "oneOf" | "anyOf" => self.alternatives(keyword, value, instance, errors),
            "allOf" => {
                for part in value.as_array().into_iter().flatten() {
                    self.nested(part, instance, self.at, errors);
                }
            }
            "nullable" => {
                if instance.is_null() && value != &Value::Bool(true) {
                    errors.push(format!("{here}: null is not allowed"));
                }
            }
            keyword if ANNOTATIONS.contains(&keyword) || keyword.starts_with("x-") => {}
            other => errors.push(format!(
                "{here}: the harness's validator does not support the keyword {other:?}"
            )),
        }
        Flow::Continue
    }

    /// Checks `instance` (at `at`) against a schema nested in this one.
    fn nested(&self, schema: &Value, instance: &Value, at: &str, errors: &mut Vec<String>) {
        check(self.document, schema, instance, at, errors, self.depth + 1);
    }

    fn check_type(&self, value: &Value, instance: &Value, errors: &mut Vec<String>) -> Flow {
        let here = self.here;
        let expected = value.as_str().unwrap_or_default();
        let ok = match expected {
            "object" => instance.is_object(),
            "array" => instance.is_array(),
            "string" => instance.is_string(),
            "boolean" => instance.is_boolean(),
            "integer" => instance.is_i64() || instance.is_u64(),
            "number" => instance.is_number(),
            other => {
                errors.push(format!("{here}: unsupported type {other:?}"));
                true
            }
        };
        if ok {
            return Flow::Continue;
        }
        errors.push(format!(
            "{here}: expected {expected}, found {}",
            kind(instance)
        ));
        Flow::Stop
    }

    fn properties(&self, value: &Value, instance: &Value, errors: &mut Vec<String>) {
        if let (Some(map), Some(properties)) = (instance.as_object(), value.as_object()) {
            for (name, property) in properties {
                if let Some(item) = map.get(name) {
                    self.nested(property, item, &format!("{}/{name}", self.at), errors);
                }
            }
        }
    }

    fn additional_properties(&self, value: &Value, instance: &Value, errors: &mut Vec<String>) {
        let Some(map) = instance.as_object() else {
            return;
        };
        let known = self.schema.get("properties").and_then(Value::as_object);
        for (name, item) in map {
            if known.is_some_and(|known| known.contains_key(name)) {
                continue;
            }
            match value {
                Value::Bool(false) => {
                    errors.push(format!("{}: property {name:?} is not allowed", self.here))
                }
                Value::Bool(true) => {}
                schema => self.nested(schema, item, &format!("{}/{name}", self.at), errors),
            }
        }
    }

    fn items(&self, value: &Value, instance: &Value, errors: &mut Vec<String>) {
        if let Some(items) = instance.as_array() {
            for (index, item) in items.iter().enumerate() {
                self.nested(value, item, &format!("{}/{index}", self.at), errors);
            }
        }
    }

    fn alternatives(
        &self,
        keyword: &str,
        value: &Value,
        instance: &Value,
        errors: &mut Vec<String>,
    ) {
        let alternatives = value.as_array().map(Vec::as_slice).unwrap_or_default();
        let matching = alternatives
            .iter()
            .filter(|a| validate_at(self.document, a, instance, self.at, self.depth).is_empty())
            .count();
        let ok = if keyword == "oneOf" {
            matching == 1
        } else {
            matching >= 1
        };
        if !ok {
            errors.push(format!(
                "{}: {matching} of the {} alternatives of {keyword} match",
                self.here,
                alternatives.len()
            ));
        }
    }
}

fn required(here: &str, value: &Value, instance: &Value, errors: &mut Vec<String>) {
    if let Some(map) = instance.as_object() {
        for name in value
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !map.contains_key(name) {
                errors.push(format!("{here}: required property {name:?} is missing"));
            }
        }
    }
}

fn item_count(
    here: &str,
    keyword: &str,
    value: &Value,
    instance: &Value,
    errors: &mut Vec<String>,
) {
    if let (Some(items), Some(bound)) = (instance.as_array(), value.as_u64()) {
        let len = items.len() as u64;
        if (keyword == "minItems" && len < bound) || (keyword == "maxItems" && len > bound) {
            errors.push(format!("{here}: {len} items breaks {keyword} {bound}"));
        }
    }
}

fn format(here: &str, value: &Value, instance: &Value, errors: &mut Vec<String>) {
    let Some(text) = instance.as_str() else {
        return;
    };
    match value.as_str().unwrap_or_default() {
        "date" => {
            if !is_date(text) {
                errors.push(format!("{here}: {text:?} is not a date (yyyy-MM-dd)"));
            }
        }
        "date-time" => {
            if chrono::DateTime::parse_from_rfc3339(text).is_err() {
                errors.push(format!("{here}: {text:?} is not an RFC 3339 date-time"));
            }
        }
        other => errors.push(format!("{here}: unsupported format {other:?}")),
    }
}

fn validate_at(
    document: &Value,
    schema: &Value,
    instance: &Value,
    at: &str,
    depth: usize,
) -> Vec<String> {
    let mut errors = Vec::new();
    check(document, schema, instance, at, &mut errors, depth + 1);
    errors
}

/// `#/components/schemas/Name` (any local JSON pointer) in `document`.
pub fn resolve<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    document.pointer(pointer)
}

fn is_date(text: &str) -> bool {
    text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document() -> Value {
        json!({"components": {"schemas": {
            "Error": {"type": "object", "required": ["code", "message"],
                      "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
            "Service": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 1}]},
            "Thing": {"type": "object", "required": ["when", "service", "links"], "properties": {
                "when": {"type": "string", "format": "date-time", "description": "prose"},
                "day": {"type": "string", "format": "date"},
                "flag": {"type": "boolean"},
                "service": {"$ref": "#/components/schemas/Service"},
                "links": {"type": "array", "items": {"$ref": "#/components/schemas/Error"}}
            }},
            "Odd": {"type": "string", "pattern": "^a$"}
        }}})
    }

    fn errors(schema: &str, instance: Value) -> Vec<String> {
        let document = document();
        validate(
            &document,
            &json!({"$ref": format!("#/components/schemas/{schema}")}),
            &instance,
        )
    }

    #[test]
    fn valid_instances_pass() {
        assert_eq!(
            errors("Error", json!({"code": "X", "message": "y", "extra": 1})),
            Vec::<String>::new()
        );
        let thing = json!({"when": "2019-01-21T14:27:44.620Z", "day": "2007-05-18", "flag": true, "service": ["MTD-IT"],
                           "links": [{"code": "a", "message": "b"}]});
        assert_eq!(errors("Thing", thing), Vec::<String>::new());
        assert!(errors("Service", json!("MTD-IT")).is_empty());
    }

    #[test]
    fn each_broken_constraint_is_named_with_its_pointer() {
        assert_eq!(
            errors("Error", json!({"code": "X"})),
            vec![r#"/: required property "message" is missing"#]
        );
        assert_eq!(
            errors("Error", json!({"code": 1, "message": "m"})),
            vec!["/code: expected string, found number"]
        );
        assert_eq!(
            errors("Error", json!([])),
            vec!["/: expected object, found array"]
        );
        let thing = json!({"when": "yesterday", "day": "18/05/2007", "flag": "yes", "service": ["A", "B"],
                           "links": [{"code": "a"}]});
        let found = errors("Thing", thing);
        assert!(
            found.contains(&r#"/when: "yesterday" is not an RFC 3339 date-time"#.to_owned()),
            "{found:?}"
        );
        assert!(
            found.contains(&r#"/day: "18/05/2007" is not a date (yyyy-MM-dd)"#.to_owned()),
            "{found:?}"
        );
        assert!(
            found.contains(&"/flag: expected boolean, found string".to_owned()),
            "{found:?}"
        );
        assert!(
            found.contains(&"/service: 0 of the 2 alternatives of oneOf match".to_owned()),
            "{found:?}"
        );
        assert!(
            found.contains(&r#"/links/0: required property "message" is missing"#.to_owned()),
            "{found:?}"
        );
    }

    #[test]
    fn unsupported_keywords_and_references_are_reported() {
        assert_eq!(
            errors("Odd", json!("a")),
            vec![r#"/: the harness's validator does not support the keyword "pattern""#]
        );
        assert_eq!(
            errors("Missing", json!(1)),
            vec![r##"/: unresolvable $ref "#/components/schemas/Missing""##]
        );
    }
}
