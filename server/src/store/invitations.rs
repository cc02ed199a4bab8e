//! Invitations: insert, find, list, and status changes.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::agencies::Agency;
use super::schema::{agencies, invitations};
use crate::domain::invitation::{EndedBy, Invitation, Status};
use crate::domain::invitation_id::InvitationId;
use crate::domain::service::Service;

// An invitation's agency, read with it. There is no foreign key (agencies are made by the sandbox or by
// provisioning, not by requests), so `schema.rs`, which follows the migrations, has no join for it.
diesel::joinable!(invitations -> agencies (arn));

/// An absent value is inserted as a bound NULL, never as `DEFAULT`: Diesel does not cache an insert that may
/// render `DEFAULT`, so PostgreSQL would parse and plan every insert anew.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = invitations, treat_none_as_default_value = false)]
struct InvitationRow {
    invitation_id: String,
    arn: String,
    service: String,
    service_group: String,
    client_type: Option<String>,
    client_id_type: String,
    client_id: String,
    supplied_client_id_type: String,
    supplied_client_id: String,
    status: String,
    relationship_ended_by: Option<String>,
    expires_on: NaiveDate,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    origin: Option<String>,
}

impl From<&Invitation> for InvitationRow {
    fn from(invitation: &Invitation) -> Self {
        Self {
            invitation_id: invitation.id.as_str().to_owned(),
            arn: invitation.arn.clone(),
            service: invitation.service.id().to_owned(),
            service_group: invitation.service.group().to_owned(),
            client_type: invitation.client_type.clone(),
            client_id_type: invitation.client_id_type.clone(),
            client_id: invitation.client_id.clone(),
            supplied_client_id_type: invitation.supplied_client_id_type.clone(),
            supplied_client_id: invitation.supplied_client_id.clone(),
            status: invitation.stored_status.as_str().to_owned(),
            relationship_ended_by: invitation.relationship_ended_by.clone(),
            expires_on: invitation.expires_on,
            created_at: invitation.created_at,
            updated_at: invitation.updated_at,
            origin: invitation.origin.clone(),
        }
    }
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = diesel::result::Error;

    fn try_from(row: InvitationRow) -> QueryResult<Self> {
        let corrupt = |what: &str| {
            diesel::result::Error::DeserializationError(
                format!("invitation {}: bad {what}", row.invitation_id).into(),
            )
        };
        Ok(Invitation {
            id: InvitationId::parse(&row.invitation_id).ok_or_else(|| corrupt("id"))?,
            service: Service::from_id(&row.service).ok_or_else(|| corrupt("service"))?,
            stored_status: Status::parse(&row.status).ok_or_else(|| corrupt("status"))?,
            arn: row.arn,
            client_type: row.client_type,
            client_id_type: row.client_id_type,
            client_id: row.client_id,
            supplied_client_id_type: row.supplied_client_id_type,
            supplied_client_id: row.supplied_client_id,
            relationship_ended_by: row.relationship_ended_by,
            expires_on: row.expires_on,
            created_at: row.created_at,
            updated_at: row.updated_at,
            origin: row.origin,
        })
    }
}

fn convert(rows: Vec<InvitationRow>) -> QueryResult<Vec<Invitation>> {
    rows.into_iter().map(Invitation::try_from).collect()
}

/// Inserts unless a unique constraint (the id, or one pending request per agent, client and service
/// group) forbids it; answers whether the row went in.
pub async fn insert_if_absent(
    conn: &mut AsyncPgConnection,
    invitation: &Invitation,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(invitations::table)
        .values(InvitationRow::from(invitation))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    id: &InvitationId,
) -> QueryResult<Option<Invitation>> {
    let row = invitations::table
        .find(id.as_str())
        .select(InvitationRow::as_select())
        .first(conn)
        .await
        .optional()?;
    row.map(Invitation::try_from).transpose()
}

/// Like [`find`], with the agency of the request (for its client action link), in one statement.
pub async fn find_with_agency(
    conn: &mut AsyncPgConnection,
    id: &InvitationId,
) -> QueryResult<Option<(Invitation, Option<Agency>)>> {
    let row: Option<(InvitationRow, Option<Agency>)> = invitations::table
        .left_join(agencies::table)
        .filter(invitations::invitation_id.eq(id.as_str()))
        .select((InvitationRow::as_select(), agencies::all_columns.nullable()))
        .first(conn)
        .await
        .optional()?;
    row.map(|(row, agency)| Ok((Invitation::try_from(row)?, agency)))
        .transpose()
}

/// Like [`find`], holding the row until the transaction ends.
pub async fn find_for_update(
    conn: &mut AsyncPgConnection,
    id: &InvitationId,
) -> QueryResult<Option<Invitation>> {
    let row = invitations::table
        .find(id.as_str())
        .select(InvitationRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    row.map(Invitation::try_from).transpose()
}

/// The stored pending request for this agent and service group naming the client by any of its ids
/// (an MTD-IT client's NINO or MTDITID), if any.
pub async fn find_pending(
    conn: &mut AsyncPgConnection,
    arn: &str,
    service_group: &str,
    client_ids: &[&str],
) -> QueryResult<Option<Invitation>> {
    let row = invitations::table
        .filter(invitations::arn.eq(arn))
        .filter(invitations::service_group.eq(service_group))
        .filter(invitations::client_id.eq_any(client_ids))
        .filter(invitations::status.eq(Status::Pending.as_str()))
        .select(InvitationRow::as_select())
        .first(conn)
        .await
        .optional()?;
    row.map(Invitation::try_from).transpose()
}

/// The agent's requests created at or after `since` whose service is one of `services`, newest first.
pub async fn list_for_agent(
    conn: &mut AsyncPgConnection,
    arn: &str,
    services: &[&str],
    since: DateTime<Utc>,
) -> QueryResult<Vec<Invitation>> {
    let rows = invitations::table
        .filter(invitations::arn.eq(arn))
        .filter(invitations::service.eq_any(services))
        .filter(invitations::created_at.ge(since))
        .order((
            invitations::created_at.desc(),
            invitations::invitation_id.desc(),
        ))
        .select(InvitationRow::as_select())
        .load(conn)
        .await?;
    convert(rows)
}

/// Like [`list_for_agent`], with the agency's record (for the client action links), in one statement: each row
/// carries it. No agency when the list is empty.
pub async fn list_for_agent_with_agency(
    conn: &mut AsyncPgConnection,
    arn: &str,
    services: &[&str],
    since: DateTime<Utc>,
) -> QueryResult<(Vec<Invitation>, Option<Agency>)> {
    let rows: Vec<(InvitationRow, Option<Agency>)> = invitations::table
        .left_join(agencies::table)
        .filter(invitations::arn.eq(arn))
        .filter(invitations::service.eq_any(services))
        .filter(invitations::created_at.ge(since))
        .order((
            invitations::created_at.desc(),
            invitations::invitation_id.desc(),
        ))
        .select((InvitationRow::as_select(), agencies::all_columns.nullable()))
        .load(conn)
        .await?;
    let agency = <[_]>::first(&rows).and_then(|(_, agency)| agency.clone());
    let invitations = convert(rows.into_iter().map(|(row, _)| row).collect())?;
    Ok((invitations, agency))
}

/// The id of the agent's most recent request.
pub async fn latest_for_agent(
    conn: &mut AsyncPgConnection,
    arn: &str,
) -> QueryResult<Option<InvitationId>> {
    let id: Option<String> = invitations::table
        .filter(invitations::arn.eq(arn))
        .order((
            invitations::created_at.desc(),
            invitations::invitation_id.desc(),
        ))
        .select(invitations::invitation_id)
        .first(conn)
        .await
        .optional()?;
    Ok(id.and_then(|id| InvitationId::parse(&id)))
}

/// The requests naming a client id for any of `services`, newest first.
pub async fn list_for_client(
    conn: &mut AsyncPgConnection,
    client_id: &str,
    services: &[&str],
) -> QueryResult<Vec<Invitation>> {
    let rows = invitations::table
        .filter(invitations::client_id.eq(client_id))
        .filter(invitations::service.eq_any(services))
        .order((
            invitations::created_at.desc(),
            invitations::invitation_id.desc(),
        ))
        .select(InvitationRow::as_select())
        .load(conn)
        .await?;
    convert(rows)
}

/// Moves a client's requests in one status from their NINO to their MTDITID (an alternative-ITSA
/// client who signed up), optionally changing their status; answers how many. A pending request is
/// left where it is when the agent already has one under the MTDITID (one pending per agent).
pub async fn move_client(
    conn: &mut AsyncPgConnection,
    service: &str,
    from_client_id: &str,
    to_mtditid: &str,
    status: Status,
    new_status: Option<Status>,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    super::prepared::prepared(
        diesel::sql_query(
            "UPDATE invitations AS moving SET client_id = $3, client_id_type = 'MTDITID', status = $5, updated_at = $6 \
             WHERE moving.service = $1 AND moving.client_id = $2 AND moving.status = $4 \
             AND NOT (moving.status = 'Pending' AND EXISTS (SELECT 1 FROM invitations AS other \
                 WHERE other.arn = moving.arn AND other.service_group = moving.service_group \
                 AND other.client_id = $3 AND other.status = 'Pending'))",
        )
        .bind::<diesel::sql_types::Text, _>(service)
        .bind::<diesel::sql_types::Text, _>(from_client_id)
        .bind::<diesel::sql_types::Text, _>(to_mtditid)
        .bind::<diesel::sql_types::Text, _>(status.as_str())
        .bind::<diesel::sql_types::Text, _>(new_status.unwrap_or(status).as_str())
        .bind::<diesel::sql_types::Timestamptz, _>(now),
    )
    .execute(conn)
    .await
}

/// Points a request at the client's MTDITID (they signed up since it was made).
pub async fn set_mtditid(
    conn: &mut AsyncPgConnection,
    id: &InvitationId,
    mtditid: &str,
) -> QueryResult<()> {
    diesel::update(invitations::table.find(id.as_str()))
        .set((
            invitations::client_id_type.eq("MTDITID"),
            invitations::client_id.eq(mtditid),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The newest request naming a client id for a service.
pub async fn latest_for_client(
    conn: &mut AsyncPgConnection,
    service: &str,
    client_id: &str,
) -> QueryResult<Option<Invitation>> {
    let row = invitations::table
        .filter(invitations::service.eq(service))
        .filter(invitations::client_id.eq(client_id))
        .order((
            invitations::created_at.desc(),
            invitations::invitation_id.desc(),
        ))
        .select(InvitationRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    row.map(Invitation::try_from).transpose()
}

/// Points a request at another service and client id, supplied and resolved alike (a trust's URN
/// replaced by its UTR).
pub async fn reassign(
    conn: &mut AsyncPgConnection,
    id: &InvitationId,
    service: Service,
    client_id_type: &str,
    client_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(invitations::table.find(id.as_str()))
        .set((
            invitations::service.eq(service.id()),
            invitations::service_group.eq(service.group()),
            invitations::client_id_type.eq(client_id_type),
            invitations::client_id.eq(client_id),
            invitations::supplied_client_id_type.eq(client_id_type),
            invitations::supplied_client_id.eq(client_id),
            invitations::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut AsyncPgConnection,
    id: &InvitationId,
    status: Status,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(invitations::table.find(id.as_str()))
        .set((
            invitations::status.eq(status.as_str()),
            invitations::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves a request's expiry day (the sandbox's "expire now" sets it to today). Nothing else changes.
pub async fn set_expires_on(
    conn: &mut AsyncPgConnection,
    id: &InvitationId,
    expires_on: NaiveDate,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(invitations::table.find(id.as_str()))
        .set((
            invitations::expires_on.eq(expires_on),
            invitations::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A request made older by the sandbox's time control: its status as it reads (an expiry is stored), and its
/// new creation time, expiry day and last change.
#[derive(Debug, Clone, Copy)]
pub struct Aged {
    pub status: Status,
    pub created: DateTime<Utc>,
    pub expires_on: NaiveDate,
    pub updated: DateTime<Utc>,
}

/// Stores a request's new age (the sandbox's time control).
pub async fn set_age(
    conn: &mut AsyncPgConnection,
    id: &InvitationId,
    aged: &Aged,
) -> QueryResult<()> {
    diesel::update(invitations::table.find(id.as_str()))
        .set((
            invitations::status.eq(aged.status.as_str()),
            invitations::created_at.eq(aged.created),
            invitations::expires_on.eq(aged.expires_on),
            invitations::updated_at.eq(aged.updated),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks the requests whose relationships ended as Deauthorised, naming who ended them.
pub async fn set_deauthorised(
    conn: &mut AsyncPgConnection,
    ids: &[String],
    ended_by: EndedBy,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(invitations::table.filter(invitations::invitation_id.eq_any(ids)))
        .set((
            invitations::status.eq(Status::Deauthorised.as_str()),
            invitations::relationship_ended_by.eq(ended_by.as_str()),
            invitations::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Persists expiry for at most `batch` pending requests whose expiry day has begun, skipping rows
/// other transactions hold; answers how many it changed. Walks the partial expiry index.
pub async fn expire_batch(
    conn: &mut AsyncPgConnection,
    today: NaiveDate,
    batch: i64,
) -> QueryResult<usize> {
    super::prepared::prepared(
        diesel::sql_query(
            "UPDATE invitations SET status = 'Expired', updated_at = GREATEST(expires_on::timestamp AT TIME ZONE 'UTC', updated_at) \
             WHERE invitation_id IN ( \
                 SELECT invitation_id FROM invitations \
                 WHERE status = 'Pending' AND expires_on <= $1 \
                 ORDER BY expires_on LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .bind::<diesel::sql_types::Date, _>(today)
        .bind::<diesel::sql_types::BigInt, _>(batch),
    )
    .execute(conn)
    .await
}

/// What a create learned from [`insert_unless_blocked`].
#[derive(Debug, Clone)]
pub struct CreateChecks {
    /// The pending request for this agent, service group and client, if any (expired ones no longer count).
    pub pending: Option<InvitationId>,
    /// Whether the agent has an active relationship for the service with the client.
    pub active: bool,
    /// Whether the new request went in.
    pub inserted: bool,
}

/// A create's checks and its insert in one statement (docs/domain.md §6, steps 6–9): persists the expiry of the
/// agent's pending requests for the client that are past their day finds a pending one
/// (as [`find_pending`]) and an active relationship (as `relationships::is_active`), and inserts `invitation`
/// only when neither exists and `allowed` (the caller's own checks passed). The caller decides, in the documented
/// order, from what it answers. `client_ids` are every id the client may be named by.
pub async fn insert_unless_blocked(
    conn: &mut AsyncPgConnection,
    invitation: &Invitation,
    client_ids: &[&str],
    today: NaiveDate,
    allowed: bool,
) -> QueryResult<CreateChecks> {
    use diesel::sql_types::{Array, Bool, Date, Nullable, Text, Timestamptz};
    // The insert reads `expired`, so the expiry is persisted before it: the stale row's place in the
    // one-pending index is free by then.
    let row: CreateChecksRow = super::prepared::prepared(
        diesel::sql_query(
            "WITH expired AS ( \
                UPDATE invitations SET status = 'Expired', \
                    updated_at = GREATEST(expires_on::timestamp AT TIME ZONE 'UTC', updated_at) \
                WHERE arn = $1 AND service_group = $2 AND client_id = ANY($3) \
                    AND status = 'Pending' AND expires_on <= $4 \
                RETURNING 1), \
             pending AS ( \
                SELECT invitation_id FROM invitations \
                WHERE arn = $1 AND service_group = $2 AND client_id = ANY($3) \
                    AND status = 'Pending' AND expires_on > $4 \
                LIMIT 1), \
             active AS ( \
                SELECT EXISTS (SELECT 1 FROM relationships \
                    WHERE arn = $1 AND service = $5 AND client_id = ANY($3) AND ended_at IS NULL) AS active), \
             inserted AS ( \
                INSERT INTO invitations (invitation_id, arn, service, service_group, client_type, client_id_type, \
                    client_id, supplied_client_id_type, supplied_client_id, status, relationship_ended_by, \
                    expires_on, created_at, updated_at, origin) \
                SELECT $6, $1, $5, $2, $7, $8, $9, $10, $11, $12, NULL, $13, $14, $14, $16 \
                WHERE $15 AND (SELECT count(*) FROM expired) >= 0 \
                    AND NOT EXISTS (SELECT 1 FROM pending) AND NOT (SELECT active FROM active) \
                ON CONFLICT DO NOTHING \
                RETURNING 1) \
             SELECT (SELECT invitation_id FROM pending) AS pending, \
                (SELECT active FROM active) AS active, \
                EXISTS (SELECT 1 FROM inserted) AS inserted",
        )
        .bind::<Text, _>(&invitation.arn)
        .bind::<Text, _>(invitation.service.group())
        .bind::<Array<Text>, _>(client_ids)
        .bind::<Date, _>(today)
        .bind::<Text, _>(invitation.service.id())
        .bind::<Text, _>(invitation.id.as_str())
        .bind::<Nullable<Text>, _>(invitation.client_type.as_deref())
        .bind::<Text, _>(&invitation.client_id_type)
        .bind::<Text, _>(&invitation.client_id)
        .bind::<Text, _>(&invitation.supplied_client_id_type)
        .bind::<Text, _>(&invitation.supplied_client_id)
        .bind::<Text, _>(invitation.stored_status.as_str())
        .bind::<Date, _>(invitation.expires_on)
        .bind::<Timestamptz, _>(invitation.created_at)
        .bind::<Bool, _>(allowed)
        .bind::<Nullable<Text>, _>(invitation.origin.as_deref()),
    )
    .get_result(conn)
    .await?;
    let pending = row
        .pending
        .map(|id| {
            InvitationId::parse(&id).ok_or_else(|| {
                diesel::result::Error::DeserializationError(
                    format!("invitation {id}: bad id").into(),
                )
            })
        })
        .transpose()?;
    Ok(CreateChecks {
        pending,
        active: row.active,
        inserted: row.inserted,
    })
}

#[derive(QueryableByName)]
struct CreateChecksRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pending: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    active: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    inserted: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::pg::Pg;
    use diesel::query_builder::QueryFragment;

    fn row() -> InvitationRow {
        let now = DateTime::UNIX_EPOCH;
        InvitationRow {
            invitation_id: "ABERULMHCKKW3".into(),
            arn: "TARN0000001".into(),
            service: "HMRC-MTD-IT".into(),
            service_group: "HMRC-MTD-IT".into(),
            client_type: None,
            client_id_type: "ni".into(),
            client_id: "AB123456C".into(),
            supplied_client_id_type: "ni".into(),
            supplied_client_id: "AB123456C".into(),
            status: "Pending".into(),
            relationship_ended_by: None,
            expires_on: now.date_naive(),
            created_at: now,
            updated_at: now,
            origin: None,
        }
    }

    /// An absent client type must not render DEFAULT, which Diesel never caches.
    #[test]
    fn the_insert_of_a_request_is_prepared_once_even_with_absent_values() {
        let insert = diesel::insert_into(invitations::table)
            .values(row())
            .on_conflict_do_nothing();
        assert_eq!(insert.is_safe_to_cache_prepared(&Pg).ok(), Some(true));
    }
}
