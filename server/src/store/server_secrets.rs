//! Secrets every server process of one database shares.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::server_secrets;

/// The secret named `name`: `candidate` if no process stored one before, else the one stored.
pub async fn get_or_insert(
    conn: &mut AsyncPgConnection,
    name: &str,
    candidate: &[u8],
) -> QueryResult<Vec<u8>> {
    diesel::insert_into(server_secrets::table)
        .values((
            server_secrets::name.eq(name),
            server_secrets::value.eq(candidate),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    server_secrets::table
        .find(name)
        .select(server_secrets::value)
        .first(conn)
        .await
}
