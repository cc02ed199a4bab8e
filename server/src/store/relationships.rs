//! Agent-client relationships: active while `ended_at` is null; ended rows stay.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::relationships;
use crate::domain::invitation::EndedBy;

/// No `DEFAULT` for an absent invitation id: a bound NULL keeps the insert prepared once (see `invitations`).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = relationships, treat_none_as_default_value = false)]
pub struct NewRelationship<'a> {
    pub arn: &'a str,
    pub service: &'a str,
    pub client_id: &'a str,
    pub partial: bool,
    pub invitation_id: Option<&'a str>,
    pub started_at: DateTime<Utc>,
}

/// Inserts the relationship unless this agent already has it active.
pub async fn insert_if_absent(
    conn: &mut AsyncPgConnection,
    relationship: &NewRelationship<'_>,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(relationships::table)
        .values(relationship)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// Whether the agent has an active relationship for any of the services with any of the client ids.
pub async fn is_active(
    conn: &mut AsyncPgConnection,
    arn: &str,
    services: &[&str],
    client_ids: &[&str],
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        relationships::table
            .filter(relationships::arn.eq(arn))
            .filter(relationships::service.eq_any(services))
            .filter(relationships::client_id.eq_any(client_ids))
            .filter(relationships::ended_at.is_null()),
    ))
    .get_result(conn)
    .await
}

/// Whether the agent's active relationship is a partial authorisation: `Some(true)` partial, `Some(false)`
/// full, `None` when there is none.
pub async fn active_is_partial(
    conn: &mut AsyncPgConnection,
    arn: &str,
    services: &[&str],
    client_ids: &[&str],
) -> QueryResult<Option<bool>> {
    relationships::table
        .filter(relationships::arn.eq(arn))
        .filter(relationships::service.eq_any(services))
        .filter(relationships::client_id.eq_any(client_ids))
        .filter(relationships::ended_at.is_null())
        .select(relationships::partial)
        .order(relationships::partial.asc())
        .first(conn)
        .await
        .optional()
}

/// Which relationships to end.
pub struct Ending<'a> {
    /// Only this agent's, or (`None`) every agent's but `except_arn`'s.
    pub arn: Option<&'a str>,
    pub except_arn: Option<&'a str>,
    pub services: &'a [&'a str],
    pub client_ids: &'a [&'a str],
}

/// Ends the active relationships selected; answers the ids of the invitations that created them.
pub async fn end(
    conn: &mut AsyncPgConnection,
    which: &Ending<'_>,
    ended_by: EndedBy,
    now: DateTime<Utc>,
) -> QueryResult<Vec<Option<String>>> {
    let mut query = diesel::update(relationships::table)
        .filter(relationships::service.eq_any(which.services))
        .filter(relationships::client_id.eq_any(which.client_ids))
        .filter(relationships::ended_at.is_null())
        .into_boxed();
    if let Some(arn) = which.arn {
        query = query.filter(relationships::arn.eq(arn));
    }
    if let Some(arn) = which.except_arn {
        query = query.filter(relationships::arn.ne(arn));
    }
    query
        .set((
            relationships::ended_at.eq(now),
            relationships::ended_by.eq(ended_by.as_str()),
        ))
        .returning(relationships::invitation_id)
        .get_results(conn)
        .await
}

/// Whether any agent has an active relationship with the client for any of the services.
pub async fn any_active_for_client(
    conn: &mut AsyncPgConnection,
    services: &[&str],
    client_id: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        relationships::table
            .filter(relationships::service.eq_any(services))
            .filter(relationships::client_id.eq(client_id))
            .filter(relationships::ended_at.is_null()),
    ))
    .get_result(conn)
    .await
}

/// Turns the active partial authorisations held against a NINO into full relationships held against
/// the MTDITID; answers how many.
pub async fn make_full(
    conn: &mut AsyncPgConnection,
    service: &str,
    nino: &str,
    mtditid: &str,
) -> QueryResult<usize> {
    diesel::update(relationships::table)
        .filter(relationships::service.eq(service))
        .filter(relationships::client_id.eq(nino))
        .filter(relationships::partial.eq(true))
        .filter(relationships::ended_at.is_null())
        .set((
            relationships::client_id.eq(mtditid),
            relationships::partial.eq(false),
        ))
        .execute(conn)
        .await
}

/// Moves an agent's active relationship to another service and client id (a trust's URN replaced by
/// its UTR); answers how many moved.
pub async fn reassign(
    conn: &mut AsyncPgConnection,
    arn: &str,
    (from_service, from_client_id): (&str, &str),
    (to_service, to_client_id): (&str, &str),
) -> QueryResult<usize> {
    diesel::update(relationships::table)
        .filter(relationships::arn.eq(arn))
        .filter(relationships::service.eq(from_service))
        .filter(relationships::client_id.eq(from_client_id))
        .filter(relationships::ended_at.is_null())
        .set((
            relationships::service.eq(to_service),
            relationships::client_id.eq(to_client_id),
        ))
        .execute(conn)
        .await
}
