//! Failed sign-ins in a row per sandbox user, and the lock they lead to.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::sign_in_failures;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, AsChangeset)]
#[diesel(table_name = sign_in_failures, primary_key(principal_id), treat_none_as_null = true)]
pub struct SignInFailuresRow {
    pub principal_id: i64,
    pub failures: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// The principal's record, created empty if it has none, locked until the transaction ends so that attempts at
/// the same time count one after another.
pub async fn lock(
    conn: &mut AsyncPgConnection,
    principal_id: i64,
) -> QueryResult<SignInFailuresRow> {
    diesel::insert_into(sign_in_failures::table)
        .values(sign_in_failures::principal_id.eq(principal_id))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    sign_in_failures::table
        .find(principal_id)
        .for_update()
        .select(SignInFailuresRow::as_select())
        .first(conn)
        .await
}

pub async fn save(conn: &mut AsyncPgConnection, row: &SignInFailuresRow) -> QueryResult<()> {
    diesel::update(row).set(row).execute(conn).await?;
    Ok(())
}
