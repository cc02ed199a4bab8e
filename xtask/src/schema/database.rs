//! The schema the migrations make: applied to a database of their own, then read from PostgreSQL's catalogue.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use tokio_postgres::{Client, NoTls};

use super::{Column, Join, Schema, Table};

/// The database the migrations are applied to; dropped and made afresh on every run.
const DATABASE: &str = "agent_auth_schema_check";

/// Diesel's own bookkeeping table, which `print-schema` leaves out too.
const DIESEL_TABLE: &str = "__diesel_schema_migrations";

/// Applies `migrations/` to a fresh database on the server at `admin_url` and reads back its schema.
pub fn migrated_schema(root: &Path, admin_url: &str) -> Result<Schema> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start a runtime for the schema check")?
        .block_on(migrate_and_read(root, admin_url))
}

async fn migrate_and_read(root: &Path, admin_url: &str) -> Result<Schema> {
    let (admin, _session) = connect(admin_url).await?;
    recreate(&admin).await?;
    let schema = read_migrated(root, &crate::db::database_url(admin_url, DATABASE)).await;
    // The database is only a means: dropped even when the migrations failed.
    let dropped = admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {DATABASE}"))
        .await;
    let schema = schema?;
    dropped.context("could not drop the schema check's database")?;
    Ok(schema)
}

async fn read_migrated(root: &Path, url: &str) -> Result<Schema> {
    let (client, session) = connect(url).await?;
    let schema = async {
        apply_migrations(&client, &root.join("migrations")).await?;
        read_schema(&client).await
    }
    .await;
    // The session must be over before its database can be dropped.
    drop(client);
    let _ = session.await;
    schema
}

/// A client, and the task that runs its session (it ends once the client is dropped).
async fn connect(url: &str) -> Result<(Client, tokio::task::JoinHandle<()>)> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .with_context(|| format!("could not connect to {}", crate::db::redact_url(url)))?;
    let session = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok((client, session))
}

/// One statement a call: several in one would run in a transaction, where PostgreSQL refuses both.
async fn recreate(admin: &Client) -> Result<()> {
    for statement in ["DROP DATABASE IF EXISTS", "CREATE DATABASE"] {
        admin
            .batch_execute(&format!("{statement} {DATABASE}"))
            .await
            .with_context(|| format!("could not create the database {DATABASE}"))?;
    }
    Ok(())
}

/// Each migration's `up.sql` in its own transaction, in the order of their versions, as Diesel runs them.
async fn apply_migrations(client: &Client, dir: &Path) -> Result<()> {
    for migration in migration_dirs(dir)? {
        let up = migration.join("up.sql");
        let sql = std::fs::read_to_string(&up)
            .with_context(|| format!("could not read {}", up.display()))?;
        client
            .batch_execute(&format!("BEGIN;\n{sql}\n;COMMIT;"))
            .await
            .with_context(|| format!("migration {} failed", up.display()))?;
    }
    Ok(())
}

/// The migrations' directories, by version: Diesel's version is the name up to its first `_`.
fn migration_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .with_context(|| format!("could not list {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.join("up.sql").is_file())
        .map(|path| (version(&path), path))
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        bail!("{} holds no migration", dir.display());
    }
    Ok(dirs.into_iter().map(|(_, path)| path).collect())
}

fn version(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.split('_').next().unwrap_or_default().to_owned()
}

async fn read_schema(client: &Client) -> Result<Schema> {
    let mut tables = read_columns(client).await?;
    for (name, key) in read_primary_keys(client).await? {
        if let Some(table) = tables.get_mut(&name) {
            table.primary_key = key;
        }
    }
    if let Some(table) = tables.values().find(|table| table.primary_key.is_empty()) {
        bail!(
            "table {} has no primary key: Diesel's table! needs one",
            table.name
        );
    }
    let tables: Vec<Table> = tables.into_values().collect();
    let joins = joinable(&tables, read_foreign_keys(client).await?);
    Ok(Schema { tables, joins })
}

/// Every table of the `public` schema, by name, with its columns in their order; primary keys still empty.
async fn read_columns(client: &Client) -> Result<BTreeMap<String, Table>> {
    let rows = client
        .query(
            "SELECT c.table_name::text, c.column_name::text, c.udt_name::text, c.is_nullable = 'YES', \
                    c.data_type::text \
             FROM information_schema.columns c \
             JOIN information_schema.tables t USING (table_catalog, table_schema, table_name) \
             WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name <> $1 \
             ORDER BY c.table_name, c.ordinal_position",
            &[&DIESEL_TABLE],
        )
        .await
        .context("could not read the tables' columns")?;
    let mut tables = BTreeMap::new();
    for row in rows {
        let (table, name, udt, nullable, data_type): (String, String, String, bool, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
        if data_type == "USER-DEFINED" {
            bail!("{table}.{name} has the type {udt}, which this check does not map to Diesel");
        }
        let sql_type = sql_type(&udt, nullable);
        tables
            .entry(table.clone())
            .or_insert_with(|| Table {
                name: table,
                primary_key: Vec::new(),
                columns: Vec::new(),
            })
            .columns
            .push(Column { name, sql_type });
    }
    Ok(tables)
}

/// The Diesel type `print-schema` writes for a column of PostgreSQL type `udt` (`_text` is an array of text).
pub(super) fn sql_type(udt: &str, nullable: bool) -> String {
    let (element, array) = match udt.strip_prefix('_') {
        Some(element) => (element, true),
        None => (udt, false),
    };
    let name: String = element
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect();
    // PostgreSQL arrays may hold NULLs whatever the column says.
    let name = if array {
        format!("Array<Nullable<{name}>>")
    } else {
        name
    };
    if nullable {
        format!("Nullable<{name}>")
    } else {
        name
    }
}

/// Each table's primary key columns, in the key's order.
async fn read_primary_keys(client: &Client) -> Result<BTreeMap<String, Vec<String>>> {
    let rows = client
        .query(
            "SELECT k.table_name::text, k.column_name::text \
             FROM information_schema.table_constraints c \
             JOIN information_schema.key_column_usage k \
               USING (constraint_catalog, constraint_schema, constraint_name, table_name) \
             WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = 'public' \
             ORDER BY k.table_name, k.ordinal_position",
            &[],
        )
        .await
        .context("could not read the primary keys")?;
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        keys.entry(row.get(0)).or_default().push(row.get(1));
    }
    Ok(keys)
}

/// A single-column foreign key: `child.column` references `parent.referenced`.
pub(super) struct ForeignKey {
    pub join: Join,
    pub referenced: String,
}

async fn read_foreign_keys(client: &Client) -> Result<Vec<ForeignKey>> {
    let rows = client
        .query(
            "SELECT child.relname::text, parent.relname::text, a.attname::text, pa.attname::text \
             FROM pg_constraint f \
             JOIN pg_class child ON child.oid = f.conrelid \
             JOIN pg_class parent ON parent.oid = f.confrelid \
             JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = f.conkey[1] \
             JOIN pg_attribute pa ON pa.attrelid = f.confrelid AND pa.attnum = f.confkey[1] \
             WHERE f.contype = 'f' AND cardinality(f.conkey) = 1 \
               AND child.relnamespace = 'public'::regnamespace",
            &[],
        )
        .await
        .context("could not read the foreign keys")?;
    Ok(rows
        .iter()
        .map(|row| ForeignKey {
            join: Join {
                child: row.get(0),
                parent: row.get(1),
                column: row.get(2),
            },
            referenced: row.get(3),
        })
        .collect())
}

/// The foreign keys `print-schema` writes a `joinable!` for: those referencing the parent's whole primary key, and
/// only where a child has one such key to that parent (with two, a join would not know which to take). Sorted.
pub(super) fn joinable(tables: &[Table], keys: Vec<ForeignKey>) -> Vec<Join> {
    let references_key = |key: &ForeignKey| {
        tables.iter().any(|table| {
            table.name == key.join.parent && table.primary_key == [key.referenced.as_str()]
        })
    };
    let candidates: Vec<Join> = keys
        .into_iter()
        .filter(references_key)
        .map(|key| key.join)
        .collect();
    let mut joins: Vec<Join> = candidates
        .iter()
        .filter(|join| {
            let same_pair =
                |other: &&Join| other.child == join.child && other.parent == join.parent;
            candidates.iter().filter(same_pair).count() == 1
        })
        .cloned()
        .collect();
    joins.sort();
    joins
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_read_as_print_schema_writes_them() {
        assert_eq!(sql_type("int8", false), "Int8");
        assert_eq!(sql_type("timestamptz", true), "Nullable<Timestamptz>");
        assert_eq!(sql_type("_text", false), "Array<Nullable<Text>>");
        assert_eq!(sql_type("_int4", true), "Nullable<Array<Nullable<Int4>>>");
    }

    fn table(name: &str, key: &[&str]) -> Table {
        Table {
            name: name.into(),
            primary_key: key.iter().map(|&k| k.into()).collect(),
            columns: Vec::new(),
        }
    }

    fn key(child: &str, parent: &str, column: &str, referenced: &str) -> ForeignKey {
        ForeignKey {
            join: Join {
                child: child.into(),
                parent: parent.into(),
                column: column.into(),
            },
            referenced: referenced.into(),
        }
    }

    #[test]
    fn joins_only_on_a_single_key_to_the_primary_key() {
        let tables = [
            table("principals", &["id"]),
            table("agencies", &["arn"]),
            table("pairs", &["a", "b"]),
        ];
        let joins = joinable(
            &tables,
            vec![
                key("tokens", "principals", "principal_id", "id"),
                // Not the primary key: no join.
                key("tokens", "agencies", "agency_uid", "uid"),
                // Two keys to one parent: which to join on is ambiguous.
                key("moves", "principals", "from_id", "id"),
                key("moves", "principals", "to_id", "id"),
                // A composite primary key: no single-column join.
                key("notes", "pairs", "a", "a"),
            ],
        );
        assert_eq!(
            joins,
            [Join {
                child: "tokens".into(),
                parent: "principals".into(),
                column: "principal_id".into()
            }]
        );
    }

    #[test]
    fn migrations_run_by_version() {
        let dir = std::env::temp_dir().join(format!("xtask-migrations-{}", std::process::id()));
        for name in [
            "2026-12-02-000006_b",
            "2026-11-24-000001_a",
            "not_a_migration",
        ] {
            std::fs::create_dir_all(dir.join(name)).unwrap();
        }
        for name in ["2026-12-02-000006_b", "2026-11-24-000001_a"] {
            std::fs::write(dir.join(name).join("up.sql"), "").unwrap();
        }
        let names: Vec<String> = migration_dirs(&dir)
            .unwrap()
            .iter()
            .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(names, ["2026-11-24-000001_a", "2026-12-02-000006_b"]);
    }
}
