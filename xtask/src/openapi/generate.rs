//! Turns each contract into a dropshot API trait and its types (`server/src/api/generated/`).
//!
//! Schemas become serde + schemars types through typify (the generator progenitor uses for the client
//! side); parameters become `Path`/`Query` structs; each operation becomes a trait method whose
//! extractors and response type follow the contract. The output is committed, so a contract change shows
//! up in review as a change to the server's API, and `cargo xtask openapi check` fails while it is stale.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use openapiv3::{
    Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind, StatusCode,
    Type,
};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::contract::{Contract, schema_ref_name};
use super::shared_types::{SHARED_MODULE, SharedSchemas};
use super::test_scenarios;

/// Where the generated modules live, relative to the workspace root.
pub const GENERATED_DIR: &str = "server/src/api/generated";

/// Every generated file (relative path and text), including the `mod.rs` that lists them.
pub fn render_all(contracts: &[Contract]) -> Result<Vec<(PathBuf, String)>> {
    let dir = Path::new(GENERATED_DIR);
    let mut files = Vec::new();
    let mut modules = Vec::new();
    let mut methods = Vec::new();
    let mut forwards = Vec::new();
    let mut operation_ids = std::collections::BTreeMap::new();
    let shared = SharedSchemas::find(contracts)?;
    if !shared.is_empty() {
        files.push((dir.join("shared.rs"), render_shared(contracts, &shared)?));
        modules.push(quote! { pub mod shared; });
    }
    for contract in contracts {
        let context = || format!("generating code for {}", contract.file.display());
        let (text, contract_methods, contract_forwards) =
            render(contract, &shared).with_context(context)?;
        for (path, method, operation) in operations(contract)? {
            let id = operation.operation_id.clone().unwrap_or_default();
            if let Some(other) = operation_ids.insert(id.clone(), contract.file.clone()) {
                bail!(
                    "operationId {id} ({method} {path}) is used by {} too: ids must be unique across contracts",
                    other.display()
                );
            }
        }
        files.push((dir.join(format!("{}.rs", contract.module)), text));
        let module = format_ident!("{}", contract.module);
        modules.push(quote! { pub mod #module; });
        methods.extend(contract_methods);
        forwards.extend(contract_forwards);
    }
    files.push((dir.join("docs.html"), super::docs::render(contracts)?));
    files.push((
        dir.join(HANDLER_MODULES),
        render_handler_modules(contracts)?,
    ));
    let contract_files = contract_files(contracts)?;
    let versions = api_versions(contracts)?;
    let sources: Vec<String> = contracts
        .iter()
        .map(|c| format!(" - `{}`", c.file.display()))
        .collect();
    let tokens = quote! {
        #(#modules)*

        /// The API versions the operations with an `Accept` header serve, as `(major, minor)`.
        pub const API_VERSIONS: &[(u64, u64)] = &[#(#versions),*];

        /// Every contract, as the platform routes serve it (`/api/conf/{key}/application.yaml`).
        pub const CONTRACT_FILES: &[crate::api::ContractFile] = &[#(#contract_files),*];

        /// Every contract rendered for a person (`GET /docs`).
        pub const DOCS_HTML: &str = include_str!("docs.html");

        /// The server's API: every operation of every contract, one dropshot trait (one server serves them
        /// all). Generated from:
        #(#[doc = #sources])*
        #[dropshot::api_description]
        pub trait ServerApi {
            type Context;
            #(#methods)*
        }

        /// Each operation handed to the function of the same name in its contract's handler module,
        /// `crate::handlers::<contract>::<operationId>`: a new operation is written once, as that function.
        impl ServerApi for crate::handlers::Server {
            type Context = crate::handlers::ApiContext;
            #(#forwards)*
        }
    };
    let file: syn::File = syn::parse2(tokens).context("generated code does not parse")?;
    files.push((
        dir.join("mod.rs"),
        format!(
            "{}\n{}",
            header("openapi/*.yaml"),
            prettyplease::unparse(&file)
        ),
    ));
    Ok(files)
}

/// The file `crate::handlers` includes to declare one handler module per contract.
const HANDLER_MODULES: &str = "handler_modules.rs";

/// The handler modules, `server/src/handlers/<contract>.rs`, declared for `crate::handlers` (which includes this
/// file): a new contract's handlers are a new file, and no existing file is edited to add them.
fn render_handler_modules(contracts: &[Contract]) -> Result<String> {
    let modules = contracts.iter().map(|contract| {
        let module = format_ident!("{}", contract.module);
        // Relative to this file, server/src/api/generated/.
        let path = format!("../../handlers/{}.rs", contract.module);
        quote! {
            #[path = #path]
            pub(crate) mod #module;
        }
    });
    let file: syn::File =
        syn::parse2(quote! { #(#modules)* }).context("generated code does not parse")?;
    Ok(format!(
        "{}
{}",
        header("openapi/*.yaml"),
        prettyplease::unparse(&file)
    ))
}

/// The API version a contract's `Accept` headers name, if its operations have one; a contract serves one version.
pub fn contract_version(contract: &Contract) -> Result<Option<(u8, u8)>> {
    let mut versions = std::collections::BTreeSet::new();
    for (_, _, operation) in operations(contract)? {
        for parameter in &operation.parameters {
            if let ReferenceOr::Item(Parameter::Header { parameter_data, .. }) = parameter
                && parameter_data.name.eq_ignore_ascii_case("accept")
            {
                versions.insert(accept_version(contract, &parameter_data.format)?);
            }
        }
    }
    match versions.len() {
        0 | 1 => Ok(versions.pop_first()),
        _ => bail!(
            "{}: its Accept headers name several versions ({versions:?}); one contract serves one version",
            contract.file.display()
        ),
    }
}

/// Each contract's entry in `CONTRACT_FILES`: its key (the version its `Accept` headers name, else its file
/// name's stem), title, version, status on HMRC's platform (`x-api-status`) and text.
fn contract_files(contracts: &[Contract]) -> Result<Vec<TokenStream>> {
    let mut entries = Vec::new();
    for contract in contracts {
        let key = match contract_version(contract)? {
            Some((major, minor)) => format!("{major}.{minor}"),
            None => contract
                .file
                .file_stem()
                .and_then(|stem| stem.to_str())
                .unwrap_or_default()
                .to_owned(),
        };
        let info = &contract.document.info;
        let (title, version) = (&info.title, &info.version);
        let status = match info.extensions.get("x-api-status").and_then(|s| s.as_str()) {
            Some(status) => quote!(Some(#status)),
            None => quote!(None),
        };
        // From server/src/api/generated/ to the workspace root.
        let text = format!("../../../../{}", contract.file.display());
        entries.push(quote! {
            crate::api::ContractFile {
                key: #key,
                title: #title,
                version: #version,
                status: #status,
                text: include_str!(#text),
            }
        });
    }
    Ok(entries)
}

/// Every version an `Accept` header of any contract names, in order.
fn api_versions(contracts: &[Contract]) -> Result<Vec<TokenStream>> {
    let mut versions = std::collections::BTreeSet::new();
    for contract in contracts {
        versions.extend(contract_version(contract)?);
    }
    Ok(versions
        .into_iter()
        .map(|(major, minor)| {
            let (major, minor) = (u64::from(major), u64::from(minor));
            quote! { (#major, #minor) }
        })
        .collect())
}

/// Writes the generated files, removing generated modules whose contract is gone.
pub fn write_all(root: &Path, contracts: &[Contract]) -> Result<()> {
    let dir = root.join(GENERATED_DIR);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    for (path, text) in render_all(contracts)? {
        std::fs::write(root.join(&path), text)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("generated {}", path.display());
    }
    Ok(())
}

fn header(source: &str) -> String {
    format!(
        "// @generated by `cargo xtask openapi generate` from {source}. Do not edit: change the contract.\n"
    )
}

/// One contract's module (its types and parameter structs), its trait methods and their forwarding to the handlers.
fn render(
    contract: &Contract,
    shared: &SharedSchemas,
) -> Result<(String, Vec<TokenStream>, Vec<TokenStream>)> {
    let shared_names = shared.of(contract);
    let types = render_types(contract_schemas(contract)?, &shared_names)?;
    let shared_module: syn::Path = syn::parse_str(SHARED_MODULE)?;
    let reexports: Vec<_> = shared_names
        .iter()
        .map(|name| format_ident!("{name}"))
        .collect();
    // A contract that shares no schema re-exports nothing (an empty `use` would be warned about).
    let reexports = (!reexports.is_empty()).then(|| {
        quote! {
            pub use #shared_module::{#(#reexports),*};
        }
    });
    let mut items = Vec::new();
    let mut methods = Vec::new();
    let mut forwards = Vec::new();
    for (path, method, operation) in operations(contract)? {
        let endpoint = EndpointCode::new(contract, &path, method, operation)?;
        items.extend(endpoint.items);
        methods.push(endpoint.method);
        forwards.push(endpoint.forward);
    }
    let title = &contract.document.info.title;
    let version = &contract.document.info.version;
    let doc = format!(
        " {title} {version}: the types of `{}`.",
        contract.file.display()
    );
    let tokens = quote! {
        #![doc = #doc]

        pub mod types {
            #reexports
            #types
        }

        #(#items)*
    };
    let file: syn::File = syn::parse2(tokens).context("generated code does not parse")?;
    let text = format!(
        "{}\n{}",
        header(&contract.file.display().to_string()),
        prettyplease::unparse(&file)
    );
    Ok((text, methods, forwards))
}

/// The schemas several contracts define alike, generated once (see `shared_types`).
fn render_shared(contracts: &[Contract], shared: &SharedSchemas) -> Result<String> {
    let types = render_types(shared.definitions(contracts)?, &Default::default())?;
    let tokens = quote! {
        #![doc = " The types several contracts define alike, generated once; each contract's `types` re-exports those it has."]
        #types
    };
    let file: syn::File = syn::parse2(tokens).context("generated code does not parse")?;
    Ok(format!(
        "{}\n{}",
        header("the schemas several of openapi/*.yaml define alike"),
        prettyplease::unparse(&file)
    ))
}

/// A contract's component schemas, by name.
fn contract_schemas(contract: &Contract) -> Result<Vec<(String, serde_json::Value)>> {
    let mut schemas = Vec::new();
    if let Some(components) = &contract.document.components {
        for (name, schema) in &components.schemas {
            schemas.push((name.clone(), serde_json::to_value(schema)?));
        }
    }
    Ok(schemas)
}

/// Schemas as Rust types, except those named in `elsewhere`, which refer to the shared module's. Date-time
/// strings become `crate::api::Timestamp`, which always writes RFC 3339 UTC with milliseconds.
fn render_types(
    definitions: Vec<(String, serde_json::Value)>,
    elsewhere: &std::collections::BTreeSet<String>,
) -> Result<TokenStream> {
    let mut settings = typify::TypeSpaceSettings::default();
    settings
        .with_struct_builder(false)
        .with_derive("::schemars::JsonSchema".to_owned())
        .with_derive("PartialEq".to_owned())
        .with_replacement("Timestamp", "crate::api::Timestamp", std::iter::empty());
    for name in elsewhere {
        settings.with_replacement(name, format!("{SHARED_MODULE}::{name}"), std::iter::empty());
    }
    let mut space = typify::TypeSpace::new(&settings);
    let mut schemas = vec![(
        "Timestamp".to_owned(),
        serde_json::from_value(serde_json::json!({"type": "string", "format": "date-time"}))?,
    )];
    for (name, mut value) in definitions {
        replace_timestamps(&mut value);
        let schema: schemars::schema::Schema = serde_json::from_value(value)
            .with_context(|| format!("schema {name} is not valid JSON Schema"))?;
        schemas.push((name, schema));
    }
    space
        .add_ref_types(schemas)
        .context("typify could not convert the schemas")?;
    Ok(space.to_stream())
}

fn replace_timestamps(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let is_timestamp = map.get("type").and_then(|t| t.as_str()) == Some("string")
                && map.get("format").and_then(|f| f.as_str()) == Some("date-time");
            if is_timestamp {
                *value = serde_json::json!({"$ref": "#/components/schemas/Timestamp"});
            } else {
                map.values_mut().for_each(replace_timestamps);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(replace_timestamps),
        _ => {}
    }
}

/// Every operation with its path and upper-case method, in document order.
pub fn operations(contract: &Contract) -> Result<Vec<(String, &'static str, &Operation)>> {
    let mut found = Vec::new();
    for (path, item) in &contract.document.paths.paths {
        let ReferenceOr::Item(item) = item else {
            bail!("{path}: path item references are not supported")
        };
        if !item.parameters.is_empty() {
            bail!("{path}: declare parameters on each operation, not on the path");
        }
        for (method, operation) in item.iter() {
            let method = match method {
                "get" => "GET",
                "put" => "PUT",
                "post" => "POST",
                "delete" => "DELETE",
                "patch" => "PATCH",
                other => bail!("{path}: method {other} is not supported"),
            };
            found.push((path.clone(), method, operation));
        }
    }
    Ok(found)
}

/// The code generated for one operation: its parameter structs, its trait method, and that method implemented by
/// calling the handler.
struct EndpointCode {
    items: Vec<TokenStream>,
    method: TokenStream,
    forward: TokenStream,
}

/// One operation, as the generator sees it.
struct Endpoint<'a> {
    contract: &'a Contract,
    path: &'a str,
    method: &'a str,
    operation: &'a Operation,
    operation_id: &'a str,
    name: Ident,
    pascal: String,
    module: Ident,
}

/// What an operation's parameters and body generate: items (parameter structs, the scenario header), the trait
/// method's arguments in dropshot's order (the body last), and the version range it is routed by.
#[derive(Default)]
struct Arguments {
    items: Vec<TokenStream>,
    args: Vec<TokenStream>,
    versions: Option<TokenStream>,
    scenario: Option<test_scenarios::ScenarioCode>,
}

impl EndpointCode {
    fn new(contract: &Contract, path: &str, method: &str, operation: &Operation) -> Result<Self> {
        let operation_id = operation
            .operation_id
            .as_deref()
            .with_context(|| format!("{method} {path}: operationId is missing"))?;
        let endpoint = Endpoint {
            contract,
            path,
            method,
            operation,
            operation_id,
            name: format_ident!("{operation_id}"),
            pascal: pascal_case(operation_id),
            module: format_ident!("{}", contract.module),
        };
        let context = || format!("operation {operation_id} ({method} {path})");
        let arguments = endpoint.arguments().with_context(context)?;
        // The handler answers `response`; the trait method wraps it when errors carry headers.
        let response = response_type(&endpoint.module, operation).with_context(context)?;
        let wrapped = errors_have_headers(operation);
        let method_response = if wrapped {
            quote!(crate::api::WithErrorHeaders<#response>)
        } else {
            response
        };
        Ok(Self {
            method: endpoint.trait_method(&arguments, &method_response),
            forward: endpoint.forward(&arguments, &method_response, wrapped),
            items: arguments.items,
        })
    }
}

impl Endpoint<'_> {
    fn arguments(&self) -> Result<Arguments> {
        let mut arguments = Arguments::default();
        if self.contract.is_sandbox() {
            arguments
                .args
                .push(quote! { _sandbox: crate::api::SandboxOnly });
        }
        if needs_bearer_token(self.operation)? {
            arguments
                .args
                .push(quote! { _bearer: crate::api::BearerToken });
        }
        let (path_fields, query_fields) = self.headers_and_fields(&mut arguments)?;
        for (suffix, fields) in [("Path", path_fields), ("Query", query_fields)] {
            self.parameter_struct(&mut arguments, suffix, fields);
        }
        // Before the body: dropshot takes the body last.
        if let Some(scenario) = &arguments.scenario {
            arguments.args.push(scenario.arg.clone());
        }
        if let Some(body) = self.body_argument()? {
            arguments.args.push(body);
        }
        Ok(arguments)
    }

    /// Reads the parameters: headers become arguments (and the version range), path and query parameters the
    /// fields of their structs.
    fn headers_and_fields(
        &self,
        arguments: &mut Arguments,
    ) -> Result<(Vec<TokenStream>, Vec<TokenStream>)> {
        let (mut path_fields, mut query_fields) = (Vec::new(), Vec::new());
        for parameter in &self.operation.parameters {
            let ReferenceOr::Item(parameter) = parameter else {
                bail!("parameter references are not supported")
            };
            match parameter {
                Parameter::Header { parameter_data, .. }
                    if parameter_data.name == test_scenarios::HEADER =>
                {
                    let code = test_scenarios::generate(
                        self.contract,
                        &self.module,
                        &self.pascal,
                        self.path,
                        self.operation,
                        parameter_data,
                    )?;
                    arguments.items.push(code.items.clone());
                    arguments.scenario = Some(code);
                }
                Parameter::Header { parameter_data, .. }
                    if parameter_data.name.eq_ignore_ascii_case("accept") =>
                {
                    self.accept_argument(arguments, parameter_data)?
                }
                Parameter::Path { parameter_data, .. } => {
                    path_fields.push(field(self.contract, parameter_data, true)?)
                }
                Parameter::Query { parameter_data, .. } => query_fields.push(field(
                    self.contract,
                    parameter_data,
                    parameter_data.required,
                )?),
                other => bail!(
                    "parameter {} is not supported",
                    other.parameter_data_ref().name
                ),
            }
        }
        Ok((path_fields, query_fields))
    }

    /// The `Accept` header: an argument, and the version range dropshot routes by (the one it names).
    fn accept_argument(
        &self,
        arguments: &mut Arguments,
        data: &openapiv3::ParameterData,
    ) -> Result<()> {
        let (major, minor) = accept_version(self.contract, &data.format)?;
        let (from, until) = (
            format!("{major}.{minor}.0"),
            format!("{major}.{}.0", u16::from(minor) + 1),
        );
        arguments.versions = Some(quote! { versions = #from..#until, });
        let (major, minor) = (Literal::u8_unsuffixed(major), Literal::u8_unsuffixed(minor));
        arguments
            .args
            .push(quote! { accept: crate::api::Accept<#major, #minor> });
        Ok(())
    }

    /// The `{Op}Path` or `{Op}Query` struct and its extractor argument, when the operation has such parameters.
    fn parameter_struct(&self, arguments: &mut Arguments, suffix: &str, fields: Vec<TokenStream>) {
        if fields.is_empty() {
            return;
        }
        let ident = format_ident!("{}{suffix}", self.pascal);
        let arg = format_ident!("{}", suffix.to_lowercase());
        let extractor = format_ident!("{suffix}");
        let doc = format!(" {suffix} parameters of `{}`.", self.operation_id);
        // A query parameter the contract does not document is refused, not ignored.
        let strict = (suffix == "Query").then(|| quote!(#[serde(deny_unknown_fields)]));
        arguments.items.push(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, ::serde::Deserialize, ::schemars::JsonSchema)]
            #strict
            pub struct #ident { #(#fields)* }
        });
        let module = &self.module;
        arguments
            .args
            .push(quote! { #arg: crate::api::#extractor<#module::#ident> });
    }

    fn body_argument(&self) -> Result<Option<TokenStream>> {
        let Some(body) = &self.operation.request_body else {
            return Ok(None);
        };
        let ReferenceOr::Item(body) = body else {
            bail!("request body references are not supported")
        };
        let schema = body
            .content
            .get("application/json")
            .and_then(|media| media.schema.as_ref())
            .context("request body must be application/json")?;
        let ty = type_of(&self.module, schema)?;
        Ok(Some(quote! { body: crate::api::JsonBody<#ty> }))
    }

    /// The `ServerApi` method, documented with the operation's summary and description.
    fn trait_method(&self, arguments: &Arguments, response: &TokenStream) -> TokenStream {
        let summary = self
            .operation
            .summary
            .as_deref()
            .unwrap_or(self.operation_id);
        let description = self.operation.description.as_deref();
        let docs: Vec<String> = std::iter::once(summary)
            .chain(description.map(|_| ""))
            .chain(description.iter().flat_map(|d| d.trim_end().lines()))
            .map(|line| format!(" {line}"))
            .collect();
        let (name, path, versions) = (&self.name, self.path, &arguments.versions);
        let method_ident = format_ident!("{}", self.method);
        let tags = &self.operation.tags;
        let args = &arguments.args;
        quote! {
            #(#[doc = #docs])*
            #[endpoint { method = #method_ident, path = #path, #versions tags = [#(#tags),*] }]
            async fn #name(
                rqctx: dropshot::RequestContext<Self::Context>,
                #(#args),*
            ) -> ::std::result::Result<#response, crate::api::ApiError>;
        }
    }

    /// The method implemented: a test scenario answered here, else the handler called.
    fn forward(&self, arguments: &Arguments, response: &TokenStream, wrapped: bool) -> TokenStream {
        let (name, module, args) = (&self.name, &self.module, &arguments.args);
        // Guards (`_sandbox`, `_bearer`) have done their work by the time the method runs, and a test scenario
        // is answered here: the handler takes neither.
        let arg_names: Vec<Ident> = args
            .iter()
            .filter_map(|arg| match arg.clone().into_iter().next() {
                Some(proc_macro2::TokenTree::Ident(ident)) => Some(ident),
                _ => None,
            })
            .filter(|ident| !ident.to_string().starts_with('_') && *ident != "scenario")
            .collect();
        let mut call = quote! { crate::handlers::#module::#name(rqctx, #(#arg_names),*).await };
        if let Some(scenario) = &arguments.scenario {
            call = self.answering_scenarios(arguments, scenario, call);
        }
        let body = if wrapped {
            quote! { crate::api::WithErrorHeaders::from_result(#call) }
        } else {
            call
        };
        let operation_id = self.operation_id;
        // Each request is one unit of work: one database connection, checked out once.
        quote! {
            async fn #name(
                rqctx: dropshot::RequestContext<Self::Context>,
                #(#args),*
            ) -> ::std::result::Result<#response, crate::api::ApiError> {
                let unit = crate::handlers::Unit::start(&rqctx, #operation_id);
                unit.run(async move { #body }).await
            }
        }
    }

    fn answering_scenarios(
        &self,
        arguments: &Arguments,
        scenario: &test_scenarios::ScenarioCode,
        call: TokenStream,
    ) -> TokenStream {
        let secured = arguments
            .args
            .iter()
            .any(|arg| arg.to_string().starts_with("_bearer"));
        let arn = if operation_has_arn(self.operation) {
            quote!(Some(path.get().arn.as_str()))
        } else {
            quote!(None)
        };
        let location = match &scenario.location_base {
            Some(base) => quote!(Some(#base)),
            None => quote!(None),
        };
        quote! {
            match scenario.example() {
                Some(example) => Err(crate::handlers::test_scenarios::answer(
                    &rqctx, example, #secured, #arn, #location,
                ).await),
                None => #call,
            }
        }
    }
}

fn field(
    contract: &Contract,
    data: &openapiv3::ParameterData,
    required: bool,
) -> Result<TokenStream> {
    let ParameterSchemaOrContent::Schema(schema) = &data.format else {
        bail!("parameter {}: content is not supported", data.name)
    };
    let ty = match &contract.schema(schema)?.schema_kind {
        SchemaKind::Type(Type::String(string)) => match &string.format {
            openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::Date) => {
                quote!(::chrono::NaiveDate)
            }
            _ => quote!(::std::string::String),
        },
        SchemaKind::Type(Type::Boolean(_)) => quote!(bool),
        SchemaKind::Type(Type::Integer(_)) => quote!(i64),
        _ => bail!(
            "parameter {}: only string, boolean and integer parameters are supported",
            data.name
        ),
    };
    let ty = if required {
        ty
    } else {
        quote!(::std::option::Option<#ty>)
    };
    let ident = format_ident!("{}", snake_case(&data.name));
    let name = &data.name;
    let doc = data
        .description
        .as_deref()
        .map(|d| format!(" {}", d.trim()))
        .unwrap_or_default();
    Ok(quote! {
        #[doc = #doc]
        #[serde(rename = #name)]
        pub #ident: #ty,
    })
}

/// Whether the operation's path names an agency (`{arn}`).
fn operation_has_arn(operation: &Operation) -> bool {
    operation.parameters.iter().any(|parameter| {
        matches!(parameter, ReferenceOr::Item(Parameter::Path { parameter_data, .. }) if parameter_data.name == "arn")
    })
}

/// Whether the operation needs a bearer token: its `security` (or the document's) names the `bearer` scheme. Only
/// that scheme is known.
fn needs_bearer_token(operation: &Operation) -> Result<bool> {
    let Some(requirements) = &operation.security else {
        return Ok(false);
    };
    for requirement in requirements {
        if let Some(other) = requirement.keys().find(|name| name.as_str() != "bearer") {
            bail!("security scheme {other} is not supported: only `bearer`");
        }
    }
    Ok(requirements
        .iter()
        .any(|requirement| requirement.contains_key("bearer")))
}

/// The served version of an `Accept` header documented as `enum: ["application/vnd.hmrc.X.Y+json"]`.
fn accept_version(contract: &Contract, format: &ParameterSchemaOrContent) -> Result<(u8, u8)> {
    let ParameterSchemaOrContent::Schema(schema) = format else {
        bail!("the Accept header needs a schema")
    };
    let SchemaKind::Type(Type::String(string)) = &contract.schema(schema)?.schema_kind else {
        bail!("the Accept header must be a string")
    };
    let [Some(media_type)] = string.enumeration.as_slice() else {
        bail!("the Accept header must list exactly one media type")
    };
    let version = media_type
        .strip_prefix("application/vnd.hmrc.")
        .and_then(|rest| rest.strip_suffix("+json"))
        .and_then(|version| version.split_once('.'))
        .and_then(|(major, minor)| Some((major.parse().ok()?, minor.parse().ok()?)));
    version.with_context(|| {
        format!("Accept media type {media_type} is not application/vnd.hmrc.X.Y+json")
    })
}

/// The dropshot response type for the operation's success responses, and whether it carries `Location`.
fn response_type(module: &Ident, operation: &Operation) -> Result<TokenStream> {
    let mut successes = Vec::new();
    for (status, response) in &operation.responses.responses {
        let StatusCode::Code(code @ 200..=299) = *status else {
            continue;
        };
        let ReferenceOr::Item(response) = response else {
            bail!("response references are not supported")
        };
        let body = match response
            .content
            .get("application/json")
            .and_then(|media| media.schema.as_ref())
        {
            Some(schema) => Some(type_of(module, schema)?),
            None if response.content.is_empty() => None,
            // A document that is not JSON (a contract, a page): text of a type the handler names.
            None if is_text_document(response) => Some(quote!(crate::api::TextDocument)),
            None => bail!(
                "{code}: only application/json content, or one text document (`type: string`), is supported"
            ),
        };
        let location = response
            .headers
            .keys()
            .any(|name| name.eq_ignore_ascii_case("location"));
        if let Some(other) = response
            .headers
            .keys()
            .find(|name| !name.eq_ignore_ascii_case("location"))
        {
            bail!("{code}: response header {other} is not supported");
        }
        successes.push((code, body, location));
    }
    // `location`: the success carries a `Location` header that `HttpResponseHeaders` must add.
    let (response, location) = match successes.as_slice() {
        [(200, Some(body), _)] if body.to_string() == "crate :: api :: TextDocument" => {
            (body.clone(), false)
        }
        [(200, Some(body), location)] => (quote!(dropshot::HttpResponseOk<#body>), *location),
        [(200, None, false)] => (quote!(crate::api::OkEmpty), false),
        [(201, Some(body), location)] => (quote!(dropshot::HttpResponseCreated<#body>), *location),
        [(204, None, location)] => (quote!(dropshot::HttpResponseUpdatedNoContent), *location),
        [(200, Some(body), false), (204, None, false)] => {
            (quote!(crate::api::OkOrNoContent<#body>), false)
        }
        // Writes its own `Location`.
        [(201, None, true)] => (quote!(crate::api::CreatedWithLocation), false),
        [(201, None, false), (204, None, false)] => (quote!(crate::api::CreatedOrNoContent), false),
        _ => bail!(
            "unsupported combination of success responses: {:?}",
            successes.iter().map(|s| s.0).collect::<Vec<_>>()
        ),
    };
    let response = if location {
        quote!(dropshot::HttpResponseHeaders<#response, crate::api::LocationHeader>)
    } else {
        response
    };
    Ok(response)
}

/// Whether an error of the operation is documented with headers (`Location`, `Retry-After`): dropshot's error path
/// cannot add headers, so its errors travel as responses ([`crate::api::WithErrorHeaders`]).
fn errors_have_headers(operation: &Operation) -> bool {
    operation
        .responses
        .responses
        .iter()
        .any(|(status, response)| {
            !matches!(status, StatusCode::Code(200..=299))
                && matches!(response, ReferenceOr::Item(response) if !response.headers.is_empty())
        })
}

/// One media type other than JSON, whose schema is a plain string.
fn is_text_document(response: &openapiv3::Response) -> bool {
    let [(media_type, media)] = response.content.iter().collect::<Vec<_>>()[..] else {
        return false;
    };
    let string = matches!(
        &media.schema,
        Some(ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::Type(Type::String(_)),
            ..
        }))
    );
    media_type != "application/json" && string
}

fn type_of(module: &Ident, schema: &ReferenceOr<Schema>) -> Result<TokenStream> {
    match schema {
        ReferenceOr::Reference { reference } => {
            let ident = format_ident!("{}", schema_ref_name(reference)?);
            Ok(quote!(#module::types::#ident))
        }
        ReferenceOr::Item(_) => bail!("request and response bodies must $ref a component schema"),
    }
}

fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn snake_case(camel: &str) -> String {
    let mut out = String::new();
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_convert_between_cases() {
        assert_eq!(pascal_case("create_invitation"), "CreateInvitation");
        assert_eq!(snake_case("invitationId"), "invitation_id");
        assert_eq!(snake_case("arn"), "arn");
    }
}
