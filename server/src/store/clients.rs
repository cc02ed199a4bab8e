//! Client records: the known facts HMRC holds about individuals and VAT customers.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::{cgt_clients, individual_clients, ppt_clients, trust_clients, vat_clients};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = individual_clients)]
pub struct IndividualClient {
    pub nino: String,
    pub mtditid: Option<String>,
    pub name: String,
    /// Normalised: upper case, no spaces.
    pub postcode: String,
    pub date_of_birth: NaiveDate,
    pub sa_utr: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = vat_clients)]
pub struct VatClient {
    pub vrn: String,
    pub name: String,
    pub registration_date: NaiveDate,
    pub insolvent: bool,
}

pub async fn insert_individual(
    conn: &mut AsyncPgConnection,
    client: &IndividualClient,
) -> QueryResult<()> {
    diesel::insert_into(individual_clients::table)
        .values(client)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_vat(conn: &mut AsyncPgConnection, client: &VatClient) -> QueryResult<()> {
    diesel::insert_into(vat_clients::table)
        .values(client)
        .execute(conn)
        .await?;
    Ok(())
}

/// The individual a NINO names, whatever its suffix letter (the first eight characters identify the person).
pub async fn individual_by_nino(
    conn: &mut AsyncPgConnection,
    nino: &str,
) -> QueryResult<Option<IndividualClient>> {
    individual_clients::table
        .filter(individual_clients::person.eq(nino.get(..8).unwrap_or(nino)))
        .select(IndividualClient::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn vat_by_vrn(conn: &mut AsyncPgConnection, vrn: &str) -> QueryResult<Option<VatClient>> {
    vat_clients::table
        .find(vrn)
        .select(VatClient::as_select())
        .first(conn)
        .await
        .optional()
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cgt_clients)]
pub struct CgtClient {
    pub cgt_reference: String,
    pub name: String,
    pub postcode: Option<String>,
    pub country_code: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ppt_clients)]
pub struct PptClient {
    pub ppt_reference: String,
    pub name: String,
    pub registration_date: NaiveDate,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = trust_clients)]
pub struct TrustClient {
    pub id: i64,
    pub name: String,
    pub utr: Option<String>,
    pub urn: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = trust_clients)]
pub struct NewTrustClient<'a> {
    pub name: &'a str,
    pub utr: Option<&'a str>,
    pub urn: Option<&'a str>,
}

pub async fn insert_cgt(conn: &mut AsyncPgConnection, client: &CgtClient) -> QueryResult<()> {
    diesel::insert_into(cgt_clients::table)
        .values(client)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_ppt(conn: &mut AsyncPgConnection, client: &PptClient) -> QueryResult<()> {
    diesel::insert_into(ppt_clients::table)
        .values(client)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_trust(
    conn: &mut AsyncPgConnection,
    client: &NewTrustClient<'_>,
) -> QueryResult<()> {
    diesel::insert_into(trust_clients::table)
        .values(client)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn cgt_by_reference(
    conn: &mut AsyncPgConnection,
    reference: &str,
) -> QueryResult<Option<CgtClient>> {
    cgt_clients::table
        .find(reference)
        .select(CgtClient::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn ppt_by_reference(
    conn: &mut AsyncPgConnection,
    reference: &str,
) -> QueryResult<Option<PptClient>> {
    ppt_clients::table
        .find(reference)
        .select(PptClient::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn trust_by_utr(
    conn: &mut AsyncPgConnection,
    utr: &str,
) -> QueryResult<Option<TrustClient>> {
    trust_clients::table
        .filter(trust_clients::utr.eq(utr))
        .select(TrustClient::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn trust_by_urn(
    conn: &mut AsyncPgConnection,
    urn: &str,
) -> QueryResult<Option<TrustClient>> {
    trust_clients::table
        .filter(trust_clients::urn.eq(urn))
        .select(TrustClient::as_select())
        .first(conn)
        .await
        .optional()
}

/// Records the UTR a trust received when it became taxable, unless another trust holds it; answers
/// whether it was recorded.
pub async fn set_trust_utr_if_free(
    conn: &mut AsyncPgConnection,
    urn: &str,
    utr: &str,
) -> QueryResult<usize> {
    super::prepared::prepared(
        diesel::sql_query(
            "UPDATE trust_clients SET utr = $2 WHERE urn = $1 \
             AND NOT EXISTS (SELECT 1 FROM trust_clients WHERE utr = $2 AND urn IS DISTINCT FROM $1)",
        )
        .bind::<diesel::sql_types::Text, _>(urn)
        .bind::<diesel::sql_types::Text, _>(utr),
    )
    .execute(conn)
    .await
}

/// Gives an individual an MTDITID (they signed up to Making Tax Digital for Income Tax).
pub async fn set_mtditid(
    conn: &mut AsyncPgConnection,
    nino: &str,
    mtditid: &str,
) -> QueryResult<usize> {
    diesel::update(individual_clients::table.find(nino))
        .set(individual_clients::mtditid.eq(mtditid))
        .execute(conn)
        .await
}

/// Takes the transaction-scoped advisory lock named `lock_key` if no other transaction holds it, and reads
/// the individual a NINO names, in one statement: whether the lock was taken, and the record.
pub async fn try_lock_then_individual(
    conn: &mut AsyncPgConnection,
    lock_key: &str,
    nino: &str,
) -> QueryResult<(bool, Option<IndividualClient>)> {
    let row: LockedIndividual = super::prepared::prepared(
        diesel::sql_query(
            "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS acquired, \
             c.nino, c.mtditid, c.name, c.postcode, c.date_of_birth, c.sa_utr \
             FROM (SELECT 1) AS one LEFT JOIN individual_clients AS c ON c.person = $2",
        )
        .bind::<Text, _>(lock_key)
        .bind::<Text, _>(nino.get(..8).unwrap_or(nino)),
    )
    .get_result(conn)
    .await?;
    Ok(row.split())
}

/// Like [`try_lock_then_individual`], for the VAT customer a VRN names.
pub async fn try_lock_then_vat(
    conn: &mut AsyncPgConnection,
    lock_key: &str,
    vrn: &str,
) -> QueryResult<(bool, Option<VatClient>)> {
    let row: LockedVat = super::prepared::prepared(
        diesel::sql_query(
            "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS acquired, \
             c.vrn, c.name, c.registration_date, c.insolvent \
             FROM (SELECT 1) AS one LEFT JOIN vat_clients AS c ON c.vrn = $2",
        )
        .bind::<Text, _>(lock_key)
        .bind::<Text, _>(vrn),
    )
    .get_result(conn)
    .await?;
    Ok(row.split())
}

/// A row of [`try_lock_then_individual`]: the record's columns are null when there is none.
#[derive(QueryableByName)]
struct LockedIndividual {
    #[diesel(sql_type = Bool)]
    acquired: bool,
    #[diesel(sql_type = Nullable<Text>)]
    nino: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    mtditid: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    postcode: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    date_of_birth: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    sa_utr: Option<String>,
}

impl LockedIndividual {
    fn split(self) -> (bool, Option<IndividualClient>) {
        let record = match (self.nino, self.name, self.postcode, self.date_of_birth) {
            (Some(nino), Some(name), Some(postcode), Some(date_of_birth)) => {
                Some(IndividualClient {
                    nino,
                    mtditid: self.mtditid,
                    name,
                    postcode,
                    date_of_birth,
                    sa_utr: self.sa_utr,
                })
            }
            _ => None,
        };
        (self.acquired, record)
    }
}

/// A row of [`try_lock_then_vat`].
#[derive(QueryableByName)]
struct LockedVat {
    #[diesel(sql_type = Bool)]
    acquired: bool,
    #[diesel(sql_type = Nullable<Text>)]
    vrn: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    registration_date: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Bool>)]
    insolvent: Option<bool>,
}

impl LockedVat {
    fn split(self) -> (bool, Option<VatClient>) {
        let record = match (self.vrn, self.name, self.registration_date, self.insolvent) {
            (Some(vrn), Some(name), Some(registration_date), Some(insolvent)) => Some(VatClient {
                vrn,
                name,
                registration_date,
                insolvent,
            }),
            _ => None,
        };
        (self.acquired, record)
    }
}
