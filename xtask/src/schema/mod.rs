//! `cargo xtask schema generate | check`: Diesel's view of the tables, `server/src/store/schema.rs`, kept true to
//! `migrations/`.
//!
//! The migrations are applied to a fresh database and read back from PostgreSQL's catalogue the way `diesel
//! print-schema` reads it: each table's columns in the order the migrations left them (the order `Queryable` relies
//! on), their Diesel types and nullability, the primary key, and a `joinable!` for each foreign key Diesel can join
//! on. `check` compares that with what `schema.rs` declares and names every difference; `generate` writes the file
//! afresh. `cargo xtask test` runs the check first, on its own PostgreSQL. No Diesel CLI is needed.

mod compare;
mod database;
mod file;

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::postgres::{Purpose, with_postgres};

/// The file Diesel's view is kept in, from the workspace root.
pub const SCHEMA_RS: &str = "server/src/store/schema.rs";

/// The tables as Diesel sees them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    pub tables: Vec<Table>,
    pub joins: Vec<Join>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub primary_key: Vec<String>,
    /// In the table's column order.
    pub columns: Vec<Column>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The Diesel SQL type as written in `table!`, without white space: `Int8`, `Nullable<Text>`.
    pub sql_type: String,
}

/// `diesel::joinable!(child -> parent (column))`: `child.column` references `parent`'s primary key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Join {
    pub child: String,
    pub parent: String,
    pub column: String,
}

#[derive(clap::Args)]
pub struct SchemaArgs {
    /// If PostgreSQL is missing, install it with apt-get (root on Debian/Ubuntu; automatic when CI=true)
    #[arg(long)]
    install: bool,
}

/// `cargo xtask schema check`: on a private PostgreSQL, or the server `DATABASE_URL` names.
pub fn check(root: &Path, args: &SchemaArgs) -> Result<()> {
    with_private_or_env_postgres(root, args, |admin_url| check_in_test(root, admin_url))
}

/// `cargo xtask schema generate`: rewrites `schema.rs` from the migrations.
pub fn generate(root: &Path, args: &SchemaArgs) -> Result<()> {
    with_private_or_env_postgres(root, args, |admin_url| {
        let migrated = database::migrated_schema(root, admin_url)?;
        let path = root.join(SCHEMA_RS);
        std::fs::write(&path, file::render(&migrated))
            .with_context(|| format!("could not write {}", path.display()))?;
        println!("==> wrote {SCHEMA_RS} from migrations/");
        Ok(())
    })
}

/// The check inside `cargo xtask test`, on the PostgreSQL server at `admin_url`.
pub fn check_in_test(root: &Path, admin_url: &str) -> Result<()> {
    let migrated = database::migrated_schema(root, admin_url)?;
    let path = root.join(SCHEMA_RS);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("could not read {}", path.display()))?;
    let declared = file::parse(&text).with_context(|| format!("could not read {SCHEMA_RS}"))?;
    let differences = compare::differences(&migrated, &declared);
    if differences.is_empty() {
        println!(
            "==> {SCHEMA_RS} matches migrations/ ({} tables)",
            migrated.tables.len()
        );
        return Ok(());
    }
    bail!(
        "{SCHEMA_RS} does not match the database migrations/ make:\n  - {}\n\
         Run `cargo xtask schema generate` to rewrite it from the migrations, and check the structs that use it",
        differences.join("\n  - ")
    )
}

fn with_private_or_env_postgres(
    root: &Path,
    args: &SchemaArgs,
    work: impl FnOnce(&str) -> Result<()>,
) -> Result<()> {
    let dir = root.join("target/postgres/schema/test");
    with_postgres(&dir, Purpose::Test, args.install, |postgres| {
        work(&postgres.admin_url)
    })
}
