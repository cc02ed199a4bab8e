//! The contracts rendered for a person, as one HTML page with no script (`generated/docs.html`, served at
//! `GET /docs`): per contract its description, then per operation its method and path, parameters, request body
//! and every documented answer with its named examples.

use std::fmt::Write;

use anyhow::Result;
use openapiv3::{Operation, Parameter, ReferenceOr, RequestBody, Response};

use super::contract::Contract;
use super::generate::operations;

/// The page, with every contract in file order.
pub fn render(contracts: &[Contract]) -> Result<String> {
    let mut page = String::from(HEAD);
    page.push_str("<nav><ul>");
    for contract in contracts {
        let info = &contract.document.info;
        let _ = write!(
            page,
            "<li><a href=\"#{}\">{} {}</a></li>",
            contract.module,
            escape(&info.title),
            escape(&info.version)
        );
    }
    page.push_str("</ul></nav>");
    for contract in contracts {
        render_contract(&mut page, contract)?;
    }
    page.push_str("</main></body></html>\n");
    Ok(page)
}

const HEAD: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Agent authorisation: the contracts</title>\
<style>body{font-family:sans-serif;max-width:60rem;margin:auto;padding:1rem;line-height:1.4}\
code,pre{background:#f3f2f1;padding:.1rem .3rem}pre{white-space:pre-wrap;padding:.5rem}\
table{border-collapse:collapse}td,th{border:1px solid #b1b4b6;padding:.2rem .4rem;text-align:left;vertical-align:top}\
h3{border-top:2px solid #0b0c0c;padding-top:.5rem}</style></head><body><main>\
<h1>Agent authorisation: the contracts</h1>\
<p>Every contract this server serves, as written under <code>openapi/</code> (each is also served as YAML at \
<code>/api/conf/{version}/application.yaml</code>).</p>";

fn render_contract(page: &mut String, contract: &Contract) -> Result<()> {
    let info = &contract.document.info;
    let _ = write!(
        page,
        "<section id=\"{}\"><h2>{} {}</h2><p><code>{}</code></p>",
        contract.module,
        escape(&info.title),
        escape(&info.version),
        escape(&contract.file.display().to_string())
    );
    if let Some(description) = &info.description {
        let _ = write!(page, "<pre>{}</pre>", escape(description.trim_end()));
    }
    for (path, method, operation) in operations(contract)? {
        render_operation(page, &path, method, operation);
    }
    page.push_str("</section>");
    Ok(())
}

fn render_operation(page: &mut String, path: &str, method: &str, operation: &Operation) {
    let id = operation.operation_id.as_deref().unwrap_or_default();
    let _ = write!(
        page,
        "<h3 id=\"{id}\"><code>{method} {}</code></h3><p><strong>{}</strong> (<code>{id}</code>){}</p>",
        escape(path),
        escape(operation.summary.as_deref().unwrap_or_default()),
        if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
            " · needs a bearer token"
        } else {
            ""
        }
    );
    if let Some(description) = &operation.description {
        let _ = write!(page, "<pre>{}</pre>", escape(description.trim_end()));
    }
    render_parameters(page, &operation.parameters);
    if let Some(ReferenceOr::Item(body)) = &operation.request_body {
        render_body(page, body);
    }
    render_responses(page, operation);
}

fn render_parameters(page: &mut String, parameters: &[ReferenceOr<Parameter>]) {
    if parameters.is_empty() {
        return;
    }
    page.push_str("<table><tr><th>parameter</th><th>in</th><th>required</th><th>about</th></tr>");
    for parameter in parameters.iter().filter_map(ReferenceOr::as_item) {
        let data = parameter.parameter_data_ref();
        let place = match parameter {
            Parameter::Path { .. } => "path",
            Parameter::Query { .. } => "query",
            Parameter::Header { .. } => "header",
            Parameter::Cookie { .. } => "cookie",
        };
        let _ = write!(
            page,
            "<tr><td><code>{}</code></td><td>{place}</td><td>{}</td><td>{}</td></tr>",
            escape(&data.name),
            if data.required { "yes" } else { "no" },
            escape(data.description.as_deref().unwrap_or_default())
        );
    }
    page.push_str("</table>");
}

fn render_body(page: &mut String, body: &RequestBody) {
    for (media_type, media) in &body.content {
        let schema = match &media.schema {
            Some(ReferenceOr::Reference { reference }) => {
                reference.rsplit('/').next().unwrap_or_default()
            }
            _ => "",
        };
        let _ = write!(
            page,
            "<p>Body: <code>{}</code> <code>{}</code></p>",
            escape(media_type),
            escape(schema)
        );
        if let Some(example) = &media.example {
            let text = serde_json::to_string_pretty(example).unwrap_or_default();
            let _ = write!(page, "<pre>{}</pre>", escape(&text));
        }
    }
}

fn render_responses(page: &mut String, operation: &Operation) {
    page.push_str("<table><tr><th>status</th><th>answer</th><th>examples</th></tr>");
    for (status, response) in &operation.responses.responses {
        let Some(response) = response.as_item() else {
            continue;
        };
        let _ = write!(
            page,
            "<tr><td>{status}</td><td>{}</td><td>{}</td></tr>",
            escape(&response.description),
            examples(response)
        );
    }
    page.push_str("</table>");
}

/// A response's named examples: name, code and message.
fn examples(response: &Response) -> String {
    let mut out = String::new();
    for media in response.content.values() {
        for (name, example) in &media.examples {
            let Some(example) = example.as_item() else {
                continue;
            };
            let value = example
                .value
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default();
            let _ = write!(
                out,
                "<p><code>{}</code>: <code>{}</code></p>",
                escape(name),
                escape(&value)
            );
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">&</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
