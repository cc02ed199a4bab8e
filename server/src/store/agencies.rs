//! Agencies: the name and uid behind each client action link.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::agencies;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = agencies)]
pub struct Agency {
    pub arn: String,
    pub name: String,
    pub email: String,
    pub uid: String,
}

pub async fn insert(conn: &mut AsyncPgConnection, agency: &Agency) -> QueryResult<()> {
    diesel::insert_into(agencies::table)
        .values(agency)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn find(conn: &mut AsyncPgConnection, arn: &str) -> QueryResult<Option<Agency>> {
    agencies::table
        .find(arn)
        .select(Agency::as_select())
        .first(conn)
        .await
        .optional()
}

/// The agency a client action link's uid names.
pub async fn find_by_uid(conn: &mut AsyncPgConnection, uid: &str) -> QueryResult<Option<Agency>> {
    agencies::table
        .filter(agencies::uid.eq(uid))
        .select(Agency::as_select())
        .first(conn)
        .await
        .optional()
}
