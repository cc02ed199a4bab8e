//! `schema.rs` written from a [`Schema`], and read back into one: its `diesel::table!` and `diesel::joinable!`
//! invocations, whatever their layout, comments or order of tables.

use std::fmt::Write;

use anyhow::Result;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, Token, braced, parenthesized};

use super::{Column, Join, Schema, Table};

const HEADER: &str = "\
//! Diesel's view of the tables in `migrations/`, as `diesel print-schema` would write it: written by
//! `cargo xtask schema generate` and checked against the migrated database by `cargo xtask schema check` (which
//! `cargo xtask test` runs). Change the migrations, then generate this.
";

/// The file `cargo xtask schema generate` writes: every table, each join, and every table allowed in one query.
pub fn render(schema: &Schema) -> String {
    let mut out = String::from(HEADER);
    for table in &schema.tables {
        render_table(&mut out, table);
    }
    if !schema.joins.is_empty() {
        out.push('\n');
    }
    for join in &schema.joins {
        let Join {
            child,
            parent,
            column,
        } = join;
        let _ = writeln!(out, "diesel::joinable!({child} -> {parent} ({column}));");
    }
    if schema.tables.len() > 1 {
        out.push_str("\ndiesel::allow_tables_to_appear_in_same_query!(\n");
        for table in &schema.tables {
            let _ = writeln!(out, "    {},", table.name);
        }
        out.push_str(");\n");
    }
    out
}

fn render_table(out: &mut String, table: &Table) {
    let _ = write!(
        out,
        "\ndiesel::table! {{\n    {} ({}) {{\n",
        table.name,
        table.primary_key.join(", ")
    );
    for column in &table.columns {
        let _ = writeln!(out, "        {} -> {},", column.name, column.sql_type);
    }
    out.push_str("    }\n}\n");
}

/// The tables and joins `text` declares. Other items (`allow_tables_to_appear_in_same_query!`, `use`, comments)
/// are passed over: they follow from the tables.
pub fn parse(text: &str) -> Result<Schema> {
    let file = syn::parse_file(text)?;
    let mut schema = Schema::default();
    for item in file.items {
        let syn::Item::Macro(item) = item else {
            continue;
        };
        let Some(name) = item.mac.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        match name.as_str() {
            "table" => schema.tables.push(item.mac.parse_body::<TableDef>()?.0),
            "joinable" => schema.joins.push(item.mac.parse_body::<JoinDef>()?.0),
            _ => {}
        }
    }
    schema.joins.sort();
    Ok(schema)
}

/// `name (key, ...) { column -> Type, ... }`, with the attributes and `use` lines `table!` allows.
struct TableDef(Table);

impl Parse for TableDef {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        while input.peek(Token![use]) {
            input.parse::<syn::ItemUse>()?;
        }
        input.call(Attribute::parse_outer)?;
        let name: Ident = input.parse()?;
        // Without a key, `table!` takes `id`.
        let primary_key = if input.peek(syn::token::Paren) {
            let key;
            parenthesized!(key in input);
            Punctuated::<Ident, Token![,]>::parse_terminated(&key)?
                .iter()
                .map(Ident::to_string)
                .collect()
        } else {
            vec!["id".to_owned()]
        };
        let body;
        braced!(body in input);
        let columns = Punctuated::<ColumnDef, Token![,]>::parse_terminated(&body)?;
        Ok(TableDef(Table {
            name: name.to_string(),
            primary_key,
            columns: columns.into_iter().map(|column| column.0).collect(),
        }))
    }
}

struct ColumnDef(Column);

impl Parse for ColumnDef {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        input.call(Attribute::parse_outer)?;
        let name: Ident = input.parse()?;
        input.parse::<Token![->]>()?;
        let sql_type: syn::Type = input.parse()?;
        let sql_type: String = sql_type
            .to_token_stream()
            .to_string()
            .split_whitespace()
            .collect();
        Ok(ColumnDef(Column {
            name: name.to_string(),
            sql_type,
        }))
    }
}

/// `child -> parent (column)`.
struct JoinDef(Join);

impl Parse for JoinDef {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let child: Ident = input.parse()?;
        input.parse::<Token![->]>()?;
        let parent: Ident = input.parse()?;
        let column;
        parenthesized!(column in input);
        let column: Ident = column.parse()?;
        Ok(JoinDef(Join {
            child: child.to_string(),
            parent: parent.to_string(),
            column: column.to_string(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Schema {
        let column = |name: &str, sql_type: &str| Column {
            name: name.into(),
            sql_type: sql_type.into(),
        };
        Schema {
            tables: vec![
                Table {
                    name: "access_tokens".into(),
                    primary_key: vec!["token_hash".into()],
                    columns: vec![
                        column("token_hash", "Bytea"),
                        column("principal_id", "Int8"),
                        column("expires_at", "Nullable<Timestamptz>"),
                    ],
                },
                Table {
                    name: "principals".into(),
                    primary_key: vec!["id".into()],
                    columns: vec![
                        column("id", "Int8"),
                        column("tags", "Array<Nullable<Text>>"),
                    ],
                },
            ],
            joins: vec![Join {
                child: "access_tokens".into(),
                parent: "principals".into(),
                column: "principal_id".into(),
            }],
        }
    }

    #[test]
    fn what_is_rendered_reads_back_the_same() {
        let schema = sample();
        let text = render(&schema);
        assert!(
            text.contains("        expires_at -> Nullable<Timestamptz>,\n"),
            "{text}"
        );
        assert!(text.contains("diesel::joinable!(access_tokens -> principals (principal_id));"));
        assert_eq!(parse(&text).unwrap(), schema);
    }

    #[test]
    fn layout_comments_and_other_items_do_not_matter() {
        let text = "
            //! A schema.
            pub mod sql_types {}
            table! {
                use diesel::sql_types::*;
                /// Tokens.
                access_tokens (token_hash) {
                    token_hash -> Bytea, // the hash
                    principal_id -> Int8,
                    expires_at -> Nullable < Timestamptz >
                }
            }
            diesel::table! { principals { id -> Int8, tags -> Array<Nullable<Text>>, } }
            diesel::allow_tables_to_appear_in_same_query!(access_tokens, principals);
            diesel::joinable!(access_tokens -> principals (principal_id));
        ";
        assert_eq!(parse(text).unwrap(), sample());
    }

    #[test]
    fn the_project_schema_reads() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(super::super::SCHEMA_RS);
        let schema = parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(schema.tables.iter().any(|t| t.name == "invitations"));
    }
}
