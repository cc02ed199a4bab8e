//! Transaction-scoped advisory locks: how several server processes agree on who goes first.

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::prepared::prepared;

#[derive(QueryableByName)]
struct Acquired {
    #[diesel(sql_type = Bool)]
    acquired: bool,
}

/// Takes the lock named `key` until the transaction ends, or answers false at once if another
/// transaction holds it.
pub async fn try_lock(conn: &mut AsyncPgConnection, key: &str) -> diesel::QueryResult<bool> {
    let row: Acquired = prepared(
        diesel::sql_query("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS acquired")
            .bind::<Text, _>(key),
    )
    .get_result(conn)
    .await?;
    Ok(row.acquired)
}

/// How long a transaction waits for another's lock before giving up: a stuck transaction must not
/// stall every change for that client (PostgreSQL interval syntax).
const LOCK_TIMEOUT: &str = "10s";

/// Takes the lock named `key` until the transaction ends, waiting for it if need be, up to
/// [`LOCK_TIMEOUT`].
pub async fn lock(conn: &mut AsyncPgConnection, key: &str) -> diesel::QueryResult<()> {
    // `set_config(..., true)` is `SET LOCAL` with the value bound, so the statement is prepared once.
    prepared(
        diesel::sql_query("SELECT set_config('lock_timeout', $1, true)")
            .bind::<Text, _>(LOCK_TIMEOUT),
    )
    .execute(conn)
    .await?;
    prepared(
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind::<Text, _>(key),
    )
    .execute(conn)
    .await?;
    Ok(())
}
