//! The request half of an exchange, checked against the operation it names: the `Accept` header the operation
//! documents, the bearer token where it needs one, its other required headers, path and query parameters against
//! their schemas, the `Content-Type`, and the body against the request schema (required fields, types, enums,
//! unknown fields where the schema forbids them), all with the harness's schema validator.

use http::HeaderMap;
use serde_json::Value;

use crate::proxy::routes::{Operation, Param, Route, percent_decode};
use crate::proxy::violation::{Side, Violation};
use crate::schema;

/// The parts of a request the checks read.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Every rule of the operation the request breaks (empty when it is valid). `document` is the operation's
/// contract as JSON, where its schemas resolve.
pub fn check(route: &Route<'_>, request: Seen<'_>, document: &Value) -> Vec<Violation> {
    let operation = route.operation;
    let mut out = Vec::new();
    accept(operation, request.headers, &mut out);
    token(operation, request.headers, &mut out);
    for header in &operation.headers {
        if header.required && !request.headers.contains_key(header.name.as_str()) {
            out.push(Violation::request(
                format!("header:{}", header.name),
                "required header is missing",
            ));
        }
    }
    for (name, value) in &route.params {
        if let Some(param) = operation.path_params.iter().find(|p| p.name == *name) {
            parameter("path", param, value, document, &mut out);
        }
    }
    query(operation, request.query, document, &mut out);
    body(operation, request, document, &mut out);
    out
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap_or("(not text)"))
}

fn accept(operation: &Operation, headers: &HeaderMap, out: &mut Vec<Violation>) {
    if operation.accept.is_empty() {
        return;
    }
    let documented = operation.accept.join(" or ");
    match header(headers, "accept") {
        None => out.push(Violation::request(
            "header:Accept",
            format!("missing; the operation documents {documented}"),
        )),
        // Media types compare case-insensitively (docs/domain.md R-ACCEPT-CASE).
        Some(value)
            if operation
                .accept
                .contains(&value.trim().to_ascii_lowercase()) => {}
        Some(value) => out.push(Violation::request(
            "header:Accept",
            format!("{value:?} is not {documented}"),
        )),
    }
}

fn token(operation: &Operation, headers: &HeaderMap, out: &mut Vec<Violation>) {
    if !operation.needs_token {
        return;
    }
    let message = match header(headers, "authorization") {
        None => "missing; the operation needs a bearer token",
        Some(value) => match value.trim().split_once(' ') {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                return;
            }
            // The value itself is never repeated: it is a credential.
            _ => "not a bearer token (expected Bearer <token>)",
        },
    };
    out.push(Violation::request("header:Authorization", message));
}

fn query(operation: &Operation, query: Option<&str>, document: &Value, out: &mut Vec<Violation>) {
    let pairs: Vec<(String, String)> = query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |text: &str| percent_decode(&text.replace('+', " "));
            (decode(name), decode(value))
        })
        .collect();
    for param in &operation.query {
        match pairs.iter().find(|(name, _)| *name == param.name) {
            Some((_, value)) => parameter("query", param, value, document, out),
            None if param.required => out.push(Violation::request(
                format!("query:{}", param.name),
                "required query parameter is missing",
            )),
            None => {}
        }
    }
}

/// A path or query parameter's value against its schema (numbers and booleans read from the text first).
fn parameter(place: &str, param: &Param, value: &str, document: &Value, out: &mut Vec<Violation>) {
    let Some(schema) = &param.schema else {
        return;
    };
    let resolved = match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => schema::resolve(document, reference).unwrap_or(schema),
        None => schema,
    };
    let typed = match resolved.get("type").and_then(Value::as_str) {
        Some("integer" | "number" | "boolean") => serde_json::from_str::<Value>(value)
            .ok()
            .filter(|v| v.is_number() || v.is_boolean()),
        _ => None,
    };
    let instance = typed.unwrap_or_else(|| Value::String(value.to_owned()));
    for error in schema::validate(document, schema, &instance) {
        let message = error.split_once(": ").map_or(error.as_str(), |(_, m)| m);
        out.push(Violation::request(
            format!("{place}:{}", param.name),
            message.to_owned(),
        ));
    }
}

fn body(operation: &Operation, request: Seen<'_>, document: &Value, out: &mut Vec<Violation>) {
    let Some(rule) = &operation.body else {
        if !request.body.is_empty() {
            out.push(Violation::request(
                "/",
                "a body where the operation documents none",
            ));
        }
        return;
    };
    if request.body.is_empty() {
        if rule.required {
            out.push(Violation::request(
                "/",
                "the body is missing; the operation requires one",
            ));
        }
        return;
    }
    let documented = rule.media.join(" or ");
    match header(request.headers, "content-type") {
        None => out.push(Violation::request(
            "header:Content-Type",
            format!("missing; the operation documents {documented}"),
        )),
        Some(value) => {
            let media = value.split(';').next().unwrap_or_default().trim();
            if !rule.media.contains(&media.to_ascii_lowercase()) {
                out.push(Violation::request(
                    "header:Content-Type",
                    format!("{value:?} is not {documented}"),
                ));
            }
        }
    }
    let Some(schema) = &rule.schema else {
        return;
    };
    match serde_json::from_slice::<Value>(request.body) {
        Ok(instance) => out.extend(
            schema::validate(document, schema, &instance)
                .iter()
                .map(|error| Violation::from_schema(Side::Request, error)),
        ),
        Err(error) => out.push(Violation::request(
            "/",
            format!("the body is not JSON ({error})"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Contract, load_all};
    use crate::ledger::Ledger;
    use crate::proxy::routes::Routes;
    use serde_json::json;

    struct Fixture {
        routes: Routes,
        contracts: Vec<Contract>,
    }

    fn fixture() -> Fixture {
        let contracts = load_all(std::path::Path::new(crate::CONTRACTS_DIR)).unwrap();
        let ledger = Ledger::from_contracts(&contracts).unwrap();
        Fixture {
            routes: Routes::new(&contracts, &ledger).unwrap(),
            contracts,
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| {
                (
                    http::HeaderName::from_static(n),
                    http::HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    fn violations(
        f: &Fixture,
        method: &str,
        target: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Vec<String> {
        let (path, query) = target
            .split_once('?')
            .map_or((target, None), |(p, q)| (p, Some(q)));
        let route = f
            .routes
            .find(
                method,
                path,
                headers.get("accept").and_then(|v| v.to_str().ok()),
            )
            .unwrap();
        let document = &f
            .contracts
            .iter()
            .find(|c| c.file == route.operation.contract)
            .unwrap()
            .json;
        check(
            &route,
            Seen {
                query,
                headers,
                body,
            },
            document,
        )
        .into_iter()
        .map(|v| format!("{}: {}", v.location, v.message))
        .collect()
    }

    const V2: (&str, &str) = ("accept", "application/vnd.hmrc.2.0+json");
    const TOKEN: (&str, &str) = ("authorization", "Bearer abc");
    const JSON: (&str, &str) = ("content-type", "application/json");

    fn create_body() -> Value {
        json!({"service": ["MTD-IT"], "clientType": "personal", "clientIdType": "ni", "clientId": "AA999999A",
               "knownFact": "AA11 1AA"})
    }

    #[test]
    fn a_valid_create_breaks_nothing() {
        let f = fixture();
        let body = serde_json::to_vec(&create_body()).unwrap();
        let found = violations(
            &f,
            "POST",
            "/agents/KARN0762398/invitations",
            &headers(&[V2, TOKEN, JSON]),
            &body,
        );
        assert_eq!(found, Vec::<String>::new());
    }

    #[test]
    fn each_broken_request_rule_is_named_where_it_is_broken() {
        let f = fixture();
        let mut body = create_body();
        body["clientType"] = json!(1);
        body.as_object_mut().unwrap().remove("knownFact");
        let body = serde_json::to_vec(&body).unwrap();
        let found = violations(
            &f,
            "POST",
            "/agents/KARN0762398/invitations",
            &headers(&[("content-type", "text/plain")]),
            &body,
        );
        assert_eq!(
            found,
            [
                "header:Accept: missing; the operation documents application/vnd.hmrc.2.0+json",
                "header:Authorization: missing; the operation needs a bearer token",
                "header:Content-Type: \"text/plain\" is not application/json",
                "/clientType: expected string, found number",
                "/: required property \"knownFact\" is missing",
            ]
        );
        let found = violations(
            &f,
            "POST",
            "/agents/A/invitations",
            &headers(&[("accept", "application/json"), ("authorization", "Basic x")]),
            b"{",
        );
        assert_eq!(
            found[0],
            "header:Accept: \"application/json\" is not application/vnd.hmrc.2.0+json"
        );
        assert_eq!(
            found[1],
            "header:Authorization: not a bearer token (expected Bearer <token>)"
        );
        assert!(found[3].starts_with("/: the body is not JSON"), "{found:?}");
    }

    #[test]
    fn query_parameters_are_checked_against_their_schemas() {
        let f = fixture();
        let path = "/agent-client-authorisation/agencies/A/invitations/sent";
        assert_eq!(
            violations(
                &f,
                "GET",
                &format!("{path}?createdOnOrAfter=2018-04-01&x=1"),
                &headers(&[TOKEN]),
                b""
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            violations(
                &f,
                "GET",
                &format!("{path}?createdOnOrAfter=2018%2F04%2F01"),
                &headers(&[TOKEN]),
                b""
            ),
            ["query:createdOnOrAfter: \"2018/04/01\" is not a date (yyyy-MM-dd)"]
        );
    }

    #[test]
    fn bodies_where_none_is_documented_and_missing_bodies_are_named() {
        let f = fixture();
        assert_eq!(
            violations(
                &f,
                "GET",
                "/agents/A/invitations",
                &headers(&[V2, TOKEN]),
                b"{}"
            ),
            ["/: a body where the operation documents none"]
        );
        assert_eq!(
            violations(
                &f,
                "POST",
                "/create-test-user/agents",
                &HeaderMap::new(),
                b""
            ),
            ["/: the body is missing; the operation requires one"]
        );
    }
}
