//! Principals (sandbox users), their enrolments and their bearer tokens.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::{access_tokens, enrolments, principals};

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = principals)]
pub struct NewPrincipal<'a> {
    pub user_id: &'a str,
    pub password_hash: &'a str,
    pub affinity_group: &'a str,
    pub full_name: &'a str,
    pub email: &'a str,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = enrolments)]
pub struct EnrolmentRow {
    pub principal_id: i64,
    pub enrolment_key: String,
    pub identifier_name: String,
    pub identifier_value: String,
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    principal: &NewPrincipal<'_>,
) -> QueryResult<i64> {
    diesel::insert_into(principals::table)
        .values(principal)
        .returning(principals::id)
        .get_result(conn)
        .await
}

pub async fn insert_enrolments(
    conn: &mut AsyncPgConnection,
    rows: &[EnrolmentRow],
) -> QueryResult<()> {
    diesel::insert_into(enrolments::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_token(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    principal_id: i64,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(access_tokens::table)
        .values((
            access_tokens::token_hash.eq(token_hash),
            access_tokens::principal_id.eq(principal_id),
            access_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The principal a token names, if the token exists and has not expired at `now`:
/// its id, affinity group and enrolments, in one statement (a principal without enrolments is one row
/// with none).
pub async fn by_token(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Option<(i64, String, Vec<EnrolmentRow>)>> {
    let rows: Vec<(i64, String, Option<EnrolmentRow>)> = access_tokens::table
        .inner_join(principals::table.left_join(enrolments::table))
        .filter(access_tokens::token_hash.eq(token_hash))
        .filter(access_tokens::expires_at.gt(now))
        .select((
            principals::id,
            principals::affinity_group,
            enrolments::all_columns.nullable(),
        ))
        .load(conn)
        .await?;
    let mut rows = rows.into_iter().peekable();
    let Some((id, affinity_group)) = rows.peek().map(|(id, group, _)| (*id, group.clone())) else {
        return Ok(None);
    };
    let enrolments = rows.filter_map(|(_, _, enrolment)| enrolment).collect();
    Ok(Some((id, affinity_group, enrolments)))
}

/// The principal signing in with `user_id`: its id and stored password hash.
pub async fn credentials(
    conn: &mut AsyncPgConnection,
    user_id: &str,
) -> QueryResult<Option<(i64, String)>> {
    principals::table
        .filter(principals::user_id.eq(user_id))
        .select((principals::id, principals::password_hash))
        .first(conn)
        .await
        .optional()
}

/// A principal by id: its affinity group, full name and enrolments.
pub async fn by_id(
    conn: &mut AsyncPgConnection,
    id: i64,
) -> QueryResult<Option<(String, String, Vec<EnrolmentRow>)>> {
    let found: Option<(String, String)> = principals::table
        .find(id)
        .select((principals::affinity_group, principals::full_name))
        .first(conn)
        .await
        .optional()?;
    let Some((affinity_group, full_name)) = found else {
        return Ok(None);
    };
    let rows = enrolments_of(conn, id).await?;
    Ok(Some((affinity_group, full_name, rows)))
}

async fn enrolments_of(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Vec<EnrolmentRow>> {
    enrolments::table
        .filter(enrolments::principal_id.eq(id))
        .select(EnrolmentRow::as_select())
        .load(conn)
        .await
}

/// Adds an enrolment to whoever holds `holder` (an enrolment key and identifier value), e.g. the MTD
/// Income Tax enrolment beside the NINO of the individual who signed up.
pub async fn add_enrolment_beside(
    conn: &mut AsyncPgConnection,
    holder: (&str, &str),
    (key, name, value): (&str, &str, &str),
) -> QueryResult<()> {
    let holders: Vec<i64> = enrolments::table
        .filter(enrolments::enrolment_key.eq(holder.0))
        .filter(enrolments::identifier_value.eq(holder.1))
        .select(enrolments::principal_id)
        .load(conn)
        .await?;
    let rows: Vec<EnrolmentRow> = holders
        .into_iter()
        .map(|principal_id| EnrolmentRow {
            principal_id,
            enrolment_key: key.to_owned(),
            identifier_name: name.to_owned(),
            identifier_value: value.to_owned(),
        })
        .collect();
    diesel::insert_into(enrolments::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}
