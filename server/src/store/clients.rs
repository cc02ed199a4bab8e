//! Client records: the known facts HMRC holds about individuals and VAT customers.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::{individual_clients, vat_clients};

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

pub async fn insert_individual(conn: &mut AsyncPgConnection, client: &IndividualClient) -> QueryResult<()> {
    diesel::insert_into(individual_clients::table).values(client).execute(conn).await?;
    Ok(())
}

pub async fn insert_vat(conn: &mut AsyncPgConnection, client: &VatClient) -> QueryResult<()> {
    diesel::insert_into(vat_clients::table).values(client).execute(conn).await?;
    Ok(())
}

pub async fn individual_by_nino(conn: &mut AsyncPgConnection, nino: &str) -> QueryResult<Option<IndividualClient>> {
    individual_clients::table.find(nino).select(IndividualClient::as_select()).first(conn).await.optional()
}

pub async fn vat_by_vrn(conn: &mut AsyncPgConnection, vrn: &str) -> QueryResult<Option<VatClient>> {
    vat_clients::table.find(vrn).select(VatClient::as_select()).first(conn).await.optional()
}
