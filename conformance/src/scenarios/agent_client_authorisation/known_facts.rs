//! Scenarios of the known-facts checks (`/known-facts/...`, tag Known facts): a client's postcode, date of
//! birth and VAT registration date.

use anyhow::{Result, anyhow};

use super::support::*;
use crate::harness::*;
use crate::paths::*;
use crate::reference::{random_nino, random_vrn};

/// Each known-fact check: a match, malformed identifiers and facts, a mismatch, an unknown client.
pub async fn known_facts(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let person = ctx
        .sandbox()
        .service_client("PERSONAL-INCOME-RECORD")
        .await?;
    let dob = person.answer["individualDetails"]["dateOfBirth"]
        .as_str()
        .ok_or_else(|| anyhow!("a test individual without a dateOfBirth"))?
        .to_owned();
    let mut rng = ctx.fresh_rng("ids");
    let unknown_nino = random_nino(&mut rng);
    let unknown_vrn = random_vrn(&mut rng);
    let (nino, postcode) = (&f.individual.nino, &f.individual.postcode);
    let (vrn, date) = (&f.organisation.vrn, &f.organisation.vat_registration_date);
    let cases = postcode_cases(nino, postcode, &unknown_nino)
        .into_iter()
        .chain(date_of_birth_cases(&person.client_id, &dob, &unknown_nino))
        .chain(vat_registration_date_cases(vrn, date, &unknown_vrn));
    for (entry, path) in cases {
        ctx.soft(entry, backend("GET", path, Some(&f.agent.token)))
            .await?;
    }
    Ok(())
}

/// A NINO's postcode: a match, a malformed NINO and postcode, another postcode, an unknown NINO.
fn postcode_cases(nino: &str, postcode: &str, unknown_nino: &str) -> [(&'static str, String); 5] {
    [
        (
            "check_known_fact_postcode/204",
            postcode_path(nino, postcode),
        ),
        (
            "check_known_fact_postcode/400/CLIENT_ID_FORMAT_INVALID",
            postcode_path("AB12345", postcode),
        ),
        (
            "check_known_fact_postcode/400/POSTCODE_FORMAT_INVALID",
            postcode_path(nino, "AA1"),
        ),
        (
            "check_known_fact_postcode/403/POSTCODE_DOES_NOT_MATCH",
            postcode_path(nino, other_postcode(postcode)),
        ),
        (
            "check_known_fact_postcode/404/CLIENT_REGISTRATION_NOT_FOUND",
            postcode_path(unknown_nino, postcode),
        ),
    ]
}

/// A NINO's date of birth: a match, a malformed NINO and date, the day after, an unknown NINO.
fn date_of_birth_cases(nino: &str, dob: &str, unknown_nino: &str) -> [(&'static str, String); 5] {
    [
        ("check_known_fact_date_of_birth/204", dob_path(nino, dob)),
        (
            "check_known_fact_date_of_birth/400/CLIENT_ID_FORMAT_INVALID",
            dob_path("AB12345", dob),
        ),
        (
            "check_known_fact_date_of_birth/400/DATE_OF_BIRTH_FORMAT_INVALID",
            dob_path(nino, &dob.replace('-', "")),
        ),
        (
            "check_known_fact_date_of_birth/403/DATE_OF_BIRTH_DOES_NOT_MATCH",
            dob_path(nino, &day_after(dob)),
        ),
        (
            "check_known_fact_date_of_birth/404/CLIENT_REGISTRATION_NOT_FOUND",
            dob_path(unknown_nino, dob),
        ),
    ]
}

/// A VRN's registration date: a match, a malformed VRN and date, the day after, an unknown VRN.
fn vat_registration_date_cases(
    vrn: &str,
    date: &str,
    unknown_vrn: &str,
) -> [(&'static str, String); 5] {
    [
        (
            "check_known_fact_vat_registration_date/204",
            vat_date_path(vrn, date),
        ),
        (
            "check_known_fact_vat_registration_date/400/CLIENT_ID_FORMAT_INVALID",
            vat_date_path("12345678", date),
        ),
        (
            "check_known_fact_vat_registration_date/400/VAT_REG_DATE_FORMAT_INVALID",
            vat_date_path(vrn, &date.replace('-', "")),
        ),
        (
            "check_known_fact_vat_registration_date/403/VAT_REG_DATE_DOES_NOT_MATCH",
            vat_date_path(vrn, &day_after(date)),
        ),
        (
            "check_known_fact_vat_registration_date/404/CLIENT_REGISTRATION_NOT_FOUND",
            vat_date_path(unknown_vrn, date),
        ),
    ]
}
