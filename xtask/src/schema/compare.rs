//! What differs between the schema the migrations make and the one `schema.rs` declares, each difference named.
//! The order of tables and joins does not matter; the order of a table's columns does (`Queryable` reads by
//! position).

use super::{Join, Schema, Table};

/// Every difference, the migrations' side first; empty when `schema.rs` is true to the migrations.
pub fn differences(migrated: &Schema, declared: &Schema) -> Vec<String> {
    let mut found = Vec::new();
    for table in &migrated.tables {
        match find(declared, &table.name) {
            Some(declared) => found.extend(table_differences(table, declared)),
            None => found.push(format!(
                "table {} is missing: the migrations create it",
                table.name
            )),
        }
    }
    for table in &declared.tables {
        if find(migrated, &table.name).is_none() {
            found.push(format!(
                "table {} is declared, but no migration creates it",
                table.name
            ));
        }
    }
    found.extend(join_differences(&migrated.joins, &declared.joins));
    found
}

fn find<'a>(schema: &'a Schema, name: &str) -> Option<&'a Table> {
    schema.tables.iter().find(|table| table.name == name)
}

fn table_differences(migrated: &Table, declared: &Table) -> Vec<String> {
    let table = &migrated.name;
    let mut found = Vec::new();
    if migrated.primary_key != declared.primary_key {
        found.push(format!(
            "table {table}: the primary key is ({}), not ({})",
            migrated.primary_key.join(", "),
            declared.primary_key.join(", ")
        ));
    }
    for column in &migrated.columns {
        match declared.columns.iter().find(|c| c.name == column.name) {
            None => found.push(format!(
                "{table}.{} is missing: `{} -> {}`",
                column.name, column.name, column.sql_type
            )),
            Some(other) if other.sql_type != column.sql_type => found.push(format!(
                "{table}.{} is `{}`, not `{}`",
                column.name, column.sql_type, other.sql_type
            )),
            Some(_) => {}
        }
    }
    for column in &declared.columns {
        if !migrated.columns.iter().any(|c| c.name == column.name) {
            found.push(format!(
                "{table}.{} is declared, but the migrations make no such column",
                column.name
            ));
        }
    }
    found.extend(order_difference(migrated, declared));
    found
}

/// The columns both sides have, if they stand in another order in `schema.rs`.
fn order_difference(migrated: &Table, declared: &Table) -> Option<String> {
    let shared = |of: &Table, with: &Table| -> Vec<String> {
        of.columns
            .iter()
            .filter(|c| with.columns.iter().any(|w| w.name == c.name))
            .map(|c| c.name.clone())
            .collect()
    };
    let in_migrations = shared(migrated, declared);
    let in_file = shared(declared, migrated);
    (in_migrations != in_file).then(|| {
        format!(
            "table {}: the columns stand in the order ({}), not ({})",
            migrated.name,
            in_migrations.join(", "),
            in_file.join(", ")
        )
    })
}

fn join_differences(migrated: &[Join], declared: &[Join]) -> Vec<String> {
    let text = |join: &Join| {
        format!(
            "diesel::joinable!({} -> {} ({}))",
            join.child, join.parent, join.column
        )
    };
    let missing = migrated
        .iter()
        .filter(|join| !declared.contains(join))
        .map(|join| format!("{} is missing: a foreign key makes it", text(join)));
    let extra = declared
        .iter()
        .filter(|join| !migrated.contains(join))
        .map(|join| format!("{} is declared, but no foreign key makes it", text(join)));
    missing.chain(extra).collect()
}

#[cfg(test)]
mod tests {
    use super::super::Column;
    use super::*;

    fn table(name: &str, columns: &[(&str, &str)]) -> Table {
        Table {
            name: name.into(),
            primary_key: vec![columns[0].0.into()],
            columns: columns
                .iter()
                .map(|&(name, sql_type)| Column {
                    name: name.into(),
                    sql_type: sql_type.into(),
                })
                .collect(),
        }
    }

    fn join(child: &str, parent: &str, column: &str) -> Join {
        Join {
            child: child.into(),
            parent: parent.into(),
            column: column.into(),
        }
    }

    fn migrated() -> Schema {
        Schema {
            tables: vec![
                table("clients", &[("nino", "Text"), ("person", "Nullable<Text>")]),
                table("secrets", &[("name", "Text"), ("value", "Bytea")]),
            ],
            joins: vec![join("tokens", "clients", "nino")],
        }
    }

    #[test]
    fn the_same_schema_in_another_table_order_differs_in_nothing() {
        let mut declared = migrated();
        declared.tables.reverse();
        assert_eq!(differences(&migrated(), &declared), Vec::<String>::new());
    }

    #[test]
    fn each_difference_is_named() {
        let declared = Schema {
            tables: vec![
                table(
                    "clients",
                    &[("nino", "Text"), ("person", "Text"), ("old", "Int4")],
                ),
                table("gone", &[("id", "Int8")]),
            ],
            joins: vec![join("tokens", "gone", "id")],
        };
        assert_eq!(
            differences(&migrated(), &declared),
            [
                "clients.person is `Nullable<Text>`, not `Text`",
                "clients.old is declared, but the migrations make no such column",
                "table secrets is missing: the migrations create it",
                "table gone is declared, but no migration creates it",
                "diesel::joinable!(tokens -> clients (nino)) is missing: a foreign key makes it",
                "diesel::joinable!(tokens -> gone (id)) is declared, but no foreign key makes it",
            ]
        );
    }

    #[test]
    fn columns_out_of_order_or_missing_and_another_key_are_named() {
        let mut declared = table("secrets", &[("value", "Bytea"), ("name", "Text")]);
        declared.primary_key = vec!["value".into()];
        let migrated = table(
            "secrets",
            &[("name", "Text"), ("value", "Bytea"), ("made", "Date")],
        );
        assert_eq!(
            table_differences(&migrated, &declared),
            [
                "table secrets: the primary key is (name), not (value)",
                "secrets.made is missing: `made -> Date`",
                "table secrets: the columns stand in the order (name, value), not (value, name)",
            ]
        );
    }
}
