//! The response half of an exchange, checked against the operation's documented responses (the ledger's
//! entries): a documented status; for a response with named examples, a body equal to one of them; otherwise a
//! body valid against the response schema (none where none is documented); and the documented required headers.
//! The entry the response is an instance of is what the client-side ledger counts as received.

use http::HeaderMap;
use serde_json::Value;

use crate::ledger::{Entry, Ledger};
use crate::proxy::routes::Operation;
use crate::proxy::violation::{Side, Violation};
use crate::schema;

/// What a response is, and what it breaks.
#[derive(Debug, Default)]
pub struct Verdict {
    /// The ledger entry (index) it is an instance of, when one fits.
    pub entry: Option<usize>,
    pub violations: Vec<Violation>,
}

/// The response as the proxy holds it.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub status: u16,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// False when the body was larger than the proxy's cap: only the status and headers are checked.
    pub complete: bool,
}

pub fn check(operation: &Operation, ledger: &Ledger, answer: Answer<'_>) -> Verdict {
    let entries = ledger.entries();
    let candidates: Vec<usize> = operation
        .entries
        .iter()
        .copied()
        .filter(|&i| entries[i].status == answer.status)
        .collect();
    if candidates.is_empty() {
        let documented: Vec<String> = operation.statuses.iter().map(u16::to_string).collect();
        return Verdict {
            entry: None,
            violations: vec![Violation::response(
                "status",
                format!(
                    "{} is not documented for {} (documented: {})",
                    answer.status,
                    operation.id,
                    documented.join(", ")
                ),
            )],
        };
    }
    let document = ledger.document(&operation.contract).unwrap_or(&Value::Null);
    let mut verdict = if !answer.complete {
        Verdict {
            entry: (candidates.len() == 1).then(|| candidates[0]),
            violations: Vec::new(),
        }
    } else if candidates.iter().any(|&i| entries[i].body.is_some()) {
        examples(entries, &candidates, answer, document)
    } else {
        shape(&entries[candidates[0]], candidates[0], answer, document)
    };
    if let Some(entry) = verdict.entry {
        for name in &entries[entry].required_headers {
            let present = answer
                .headers
                .get(name.as_str())
                .is_some_and(|v| !v.as_bytes().is_empty());
            if !present {
                verdict.violations.push(Violation::response(
                    format!("header:{name}"),
                    "the documented required header is missing",
                ));
            }
        }
    }
    verdict
}

/// A status documented by named examples: the body must equal one of them.
fn examples(
    entries: &[Entry],
    candidates: &[usize],
    answer: Answer<'_>,
    document: &Value,
) -> Verdict {
    let body: Option<Value> = serde_json::from_slice(answer.body).ok();
    if let Some(found) = candidates
        .iter()
        .find(|&&i| body.is_some() && entries[i].body == body)
    {
        return Verdict {
            entry: Some(*found),
            violations: Vec::new(),
        };
    }
    // The entry it means to be: the one with its code, else the only one.
    let code = body
        .as_ref()
        .and_then(|b| b.get("code"))
        .and_then(Value::as_str);
    let entry = candidates
        .iter()
        .copied()
        .find(|&i| {
            code.is_some()
                && entries[i]
                    .body
                    .as_ref()
                    .and_then(|b| b.get("code"))
                    .and_then(Value::as_str)
                    == code
        })
        .or((candidates.len() == 1).then(|| candidates[0]));
    let names: Vec<&str> = candidates
        .iter()
        .filter_map(|&i| entries[i].example.as_deref())
        .collect();
    let mut violations = vec![Violation::response(
        "/",
        format!(
            "the body is none of the documented examples of {} ({})",
            answer.status,
            names.join(", ")
        ),
    )];
    if let Some(schema) = &entries[candidates[0]].schema {
        violations.extend(body_against(schema, answer.body, document));
    }
    Verdict { entry, violations }
}

/// A status without named examples: the body against the schema, or no body where none is documented.
fn shape(entry: &Entry, index: usize, answer: Answer<'_>, document: &Value) -> Verdict {
    let violations = match &entry.schema {
        Some(schema) => body_against(schema, answer.body, document),
        None if answer.body.is_empty() => Vec::new(),
        None => vec![Violation::response("/", "a body where none is documented")],
    };
    Verdict {
        entry: Some(index),
        violations,
    }
}

fn body_against(schema: &Value, body: &[u8], document: &Value) -> Vec<Violation> {
    match serde_json::from_slice::<Value>(body) {
        Ok(instance) => schema::validate(document, schema, &instance)
            .iter()
            .map(|error| Violation::from_schema(Side::Response, error))
            .collect(),
        Err(_) if body.is_empty() => vec![Violation::response("/", "the body is missing")],
        Err(error) => vec![Violation::response(
            "/",
            format!("the body is not JSON ({error})"),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::load_all;
    use crate::proxy::routes::Routes;

    fn check_answer(
        method: &str,
        path: &str,
        status: u16,
        headers: &[(&'static str, &'static str)],
        body: &str,
    ) -> (Option<String>, Vec<String>) {
        let contracts = load_all(std::path::Path::new(crate::CONTRACTS_DIR)).unwrap();
        let ledger = Ledger::from_contracts(&contracts).unwrap();
        let routes = Routes::new(&contracts, &ledger).unwrap();
        let route = routes.find(method, path, None).unwrap();
        let headers: HeaderMap = headers
            .iter()
            .map(|(n, v)| {
                (
                    http::HeaderName::from_static(n),
                    http::HeaderValue::from_static(v),
                )
            })
            .collect();
        let verdict = check(
            route.operation,
            &ledger,
            Answer {
                status,
                headers: &headers,
                body: body.as_bytes(),
                complete: true,
            },
        );
        (
            verdict.entry.map(|i| ledger.entries()[i].id.clone()),
            verdict
                .violations
                .iter()
                .map(|v| format!("{}: {}", v.location, v.message))
                .collect(),
        )
    }

    #[test]
    fn documented_answers_name_their_entry() {
        let path = "/agents/KARN0762398/invitations";
        assert_eq!(
            check_answer(
                "POST",
                path,
                204,
                &[("location", "/agents/KARN0762398/invitations/X")],
                ""
            ),
            (Some("create_invitation/204".to_owned()), vec![])
        );
        let found = r#"{"code":"CLIENT_REGISTRATION_NOT_FOUND","message":"The details provided for this client do not match HMRC's records."}"#;
        assert_eq!(
            check_answer("POST", path, 403, &[], found),
            (
                Some("create_invitation/403/CLIENT_REGISTRATION_NOT_FOUND".to_owned()),
                vec![]
            )
        );
    }

    #[test]
    fn undocumented_statuses_bodies_and_missing_headers_are_violations() {
        let path = "/agents/KARN0762398/invitations";
        let (entry, found) = check_answer("POST", path, 204, &[], "");
        assert_eq!(
            (entry.as_deref(), found),
            (
                Some("create_invitation/204"),
                vec!["header:Location: the documented required header is missing".to_owned()]
            )
        );
        let (entry, found) = check_answer("POST", path, 418, &[], "");
        assert_eq!(entry, None);
        assert_eq!(
            found,
            [
                "status: 418 is not documented for create_invitation (documented: 204, 400, 401, 403, 406, 500, 503)"
            ]
        );
        let (entry, found) = check_answer(
            "POST",
            path,
            401,
            &[],
            r#"{"code":"UNAUTHORIZED","message":"No."}"#,
        );
        assert_eq!(entry.as_deref(), Some("create_invitation/401/UNAUTHORIZED"));
        assert_eq!(
            found,
            ["/: the body is none of the documented examples of 401 (UNAUTHORIZED)"]
        );
        let (entry, found) = check_answer(
            "GET",
            "/agents/A/invitations/X",
            200,
            &[],
            r#"{"invitationId": 1}"#,
        );
        assert_eq!(entry.as_deref(), Some("get_invitation/200"));
        assert!(
            found.contains(&"/invitationId: expected string, found number".to_owned()),
            "{found:?}"
        );
        assert!(
            found.contains(&"/: required property \"status\" is missing".to_owned()),
            "{found:?}"
        );
    }
}
