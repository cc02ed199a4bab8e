//! The code generated for an operation's `Gov-Test-Scenario` header: a header type whose schema lists the names
//! the contract documents (its error examples), and the answer to each name, taken from the example itself. The
//! server answers a named example after the operation's own checks of the request's shape and caller, without
//! carrying the operation out (`crate::handlers::test_scenarios`).

use anyhow::{Result, bail};
use openapiv3::{Operation, ParameterSchemaOrContent, ReferenceOr, SchemaKind, StatusCode, Type};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::contract::Contract;

/// The header's name, as the contracts document it.
pub const HEADER: &str = "Gov-Test-Scenario";

/// The example that answers an unknown name: documented, but not a scenario itself.
const INVALID: &str = "INVALID_TEST_SCENARIO";

/// What an operation's scenarios generate.
pub struct ScenarioCode {
    /// The header type, its name enum and their example table.
    pub items: TokenStream,
    /// The extractor argument (before the body's, which dropshot takes last; the answer comes after both).
    pub arg: TokenStream,
    /// The path (with `{arn}`) a `Location` of an answer starts with, when an answer documents one.
    pub location_base: Option<String>,
}

/// The scenario code of `operation`, whose `Gov-Test-Scenario` parameter is `data`: its enum must list exactly the
/// operation's error examples.
pub fn generate(
    contract: &Contract,
    module: &Ident,
    pascal: &str,
    path: &str,
    operation: &Operation,
    data: &openapiv3::ParameterData,
) -> Result<ScenarioCode> {
    let examples = error_examples(contract, operation)?;
    let documented: Vec<&str> = examples.iter().map(|e| e.name.as_str()).collect();
    if documented != header_enum(contract, data)? {
        bail!(
            "the {HEADER} enum must list the operation's error examples, in order: {documented:?}"
        );
    }
    let header = format_ident!("{pascal}TestScenario");
    let names = format_ident!("{pascal}ScenarioName");
    let variants: Vec<TokenStream> = examples
        .iter()
        .map(|example| {
            let (name, variant) = (&example.name, format_ident!("{}", pascal_of(&example.name)));
            quote! { #[serde(rename = #name)] #variant }
        })
        .collect();
    let table = examples.iter().map(Example::tokens);
    let doc =
        format!(" The `{HEADER}` header of this operation: the documented examples it may name.");
    let items = quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, ::serde::Deserialize, ::schemars::JsonSchema)]
        pub struct #header {
            #[serde(rename = #HEADER)]
            pub gov_test_scenario: ::std::option::Option<#names>,
        }

        #[derive(Debug, Clone, Copy, ::serde::Deserialize, ::schemars::JsonSchema)]
        pub enum #names { #(#variants),* }

        impl crate::api::TestScenarios for #header {
            const EXAMPLES: &'static [crate::api::TestScenarioExample] = &[#(#table),*];
        }
    };
    let location_base = examples.iter().any(|e| e.location).then(|| path.to_owned());
    Ok(ScenarioCode {
        items,
        arg: quote! { scenario: crate::api::TestScenario<#module::#header> },
        location_base,
    })
}

/// One error example of an operation.
struct Example {
    name: String,
    status: u16,
    code: String,
    message: String,
    /// Its response documents a `Location` header.
    location: bool,
}

impl Example {
    fn tokens(&self) -> TokenStream {
        let Example {
            name,
            status,
            code,
            message,
            location,
        } = self;
        quote! {
            crate::api::TestScenarioExample {
                name: #name, status: #status, code: #code, message: #message, location: #location,
            }
        }
    }
}

/// Every named example of the operation's 4xx responses but the one for an unknown name, in document order.
fn error_examples(contract: &Contract, operation: &Operation) -> Result<Vec<Example>> {
    let mut found = Vec::new();
    for (status, response) in &operation.responses.responses {
        let StatusCode::Code(status @ 400..=499) = *status else {
            continue;
        };
        let ReferenceOr::Item(response) = response else {
            continue;
        };
        let location = response
            .headers
            .keys()
            .any(|h| h.eq_ignore_ascii_case("location"));
        for (name, example) in response.content.values().flat_map(|media| &media.examples) {
            let ReferenceOr::Item(example) = example else {
                continue;
            };
            let value = example.value.clone().unwrap_or_default();
            if name == INVALID {
                continue;
            }
            let (Some(code), Some(message)) = (value["code"].as_str(), value["message"].as_str())
            else {
                bail!(
                    "{}: example {name} is not {{code, message}}",
                    contract.file.display()
                );
            };
            found.push(Example {
                name: name.clone(),
                status,
                code: code.to_owned(),
                message: message.to_owned(),
                location,
            });
        }
    }
    Ok(found)
}

/// The enum of the header parameter's schema.
fn header_enum<'a>(
    contract: &'a Contract,
    data: &'a openapiv3::ParameterData,
) -> Result<Vec<&'a str>> {
    let ParameterSchemaOrContent::Schema(schema) = &data.format else {
        bail!("the {HEADER} header needs a schema");
    };
    let SchemaKind::Type(Type::String(string)) = &contract.schema(schema)?.schema_kind else {
        bail!("the {HEADER} header must be a string");
    };
    Ok(string
        .enumeration
        .iter()
        .flatten()
        .map(String::as_str)
        .collect())
}

/// `SERVICE_NOT_SUPPORTED` → `ServiceNotSupported`.
fn pascal_of(name: &str) -> String {
    name.split('_')
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}
