//! Signed-in browser sessions of the client's pages, keyed by the hash of the cookie's value.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::web_sessions;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = web_sessions)]
pub struct WebSessionRow {
    pub token_hash: Vec<u8>,
    pub csrf_token: String,
    pub principal_id: i64,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(conn: &mut AsyncPgConnection, row: &WebSessionRow) -> QueryResult<()> {
    diesel::insert_into(web_sessions::table)
        .values(row)
        .execute(conn)
        .await?;
    Ok(())
}

/// The session a token hash names, if it has not expired at `now`.
pub async fn find_live(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Option<WebSessionRow>> {
    web_sessions::table
        .find(token_hash)
        .filter(web_sessions::expires_at.gt(now))
        .select(WebSessionRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Removes a session, if there is one.
pub async fn delete(conn: &mut AsyncPgConnection, token_hash: &[u8]) -> QueryResult<()> {
    diesel::delete(web_sessions::table.find(token_hash))
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes up to `batch` sessions that expired before `now`; how many went.
pub async fn delete_expired(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    batch: i64,
) -> QueryResult<usize> {
    let expired: Vec<Vec<u8>> = web_sessions::table
        .filter(web_sessions::expires_at.le(now))
        .select(web_sessions::token_hash)
        .limit(batch)
        .load(conn)
        .await?;
    diesel::delete(web_sessions::table.filter(web_sessions::token_hash.eq_any(expired)))
        .execute(conn)
        .await
}
