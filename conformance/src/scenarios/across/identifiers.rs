//! Identifiers and known facts as they arrive (docs/domain.md §4–5): spaces and case, a NINO's suffix, postcodes
//! that match only exactly, strict dates, every service's identifier format, and ids derived from the request.

use anyhow::Result;
use serde_json::json;

use crate::harness::*;
use crate::paths::dob_path;
use crate::reference::derive_invitation_id;
use crate::scenarios::agent_authorisation_v2::{check, create};
use crate::scenarios::agent_client_authorisation::support::{self as backend_api, backend};

/// A NINO spaced out in lower case, and a VRN spaced out, are the same identifiers; a tab is not a space.
pub async fn spaces_and_case(ctx: Ctx) -> Result<()> {
    let s = ctx.sandbox();
    let (agent, client, vat) = tokio::try_join!(s.agent(), s.itsa_client(), s.vat_client(false))?;
    let nino = client.nino.to_lowercase();
    let spaced = format!(
        "{} {} {} {} {}",
        &nino[..2],
        &nino[2..4],
        &nino[4..6],
        &nino[6..8],
        &nino[8..]
    );
    let body = with(&itsa_body(&client, None), "clientId", json!(spaced));
    ctx.expect("create_invitation/204", create(&agent, &body))
        .await?;
    ctx.expect(
        "check_relationship/404/RELATIONSHIP_NOT_FOUND",
        check(&agent, &check_body(&body)),
    )
    .await?;
    let vrn = &vat.vrn;
    let spaced = format!("{} {} {}", &vrn[..3], &vrn[3..6], &vrn[6..]);
    let body = with(&vat_body(&vat), "clientId", json!(spaced));
    ctx.expect("create_invitation/204", create(&agent, &body))
        .await?;
    let tabbed = with(
        &itsa_body(&client, None),
        "clientId",
        json!(format!("{}\t{}", &nino[..2], &nino[2..])),
    );
    ctx.expect(
        "create_invitation/400/CLIENT_ID_FORMAT_INVALID",
        create(&agent, &tabbed),
    )
    .await?;
    Ok(())
}

/// The suffix letter does not identify a person: a request under another suffix matches the client's record,
/// and then blocks one under the real suffix as a duplicate.
pub async fn a_ninos_suffix(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
    let suffix = if client.nino.ends_with('A') { "B" } else { "A" };
    let other = format!("{}{suffix}", &client.nino[..8]);
    let body = with(&itsa_body(&client, None), "clientId", json!(other));
    let first = ctx
        .expect("create_invitation/204", create(&agent, &body))
        .await?;
    let first = location_id(&first)?;
    let again = ctx
        .expect(
            "create_invitation/403/DUPLICATE_AUTHORISATION_REQUEST",
            create(&agent, &itsa_body(&client, None)),
        )
        .await?;
    let named = location_id(&again)?;
    ctx.rule("R-NINO-SUFFIX", named == first, || {
        format!("the duplicate names {named}, not the request made under suffix {suffix}, {first}")
    })
}

/// A postcode in any case and without its space matches; BFPO is a valid form; a postcode one character longer
/// or shorter than the record's, though one holds the other, does not match.
pub async fn postcodes_match_exactly(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().itsa_client())?;
    let record = itsa_body(&client, None);
    let compact = client.postcode.replace(' ', "").to_lowercase();
    let fragment = postcode_fragment(&client.postcode);
    for (postcode, entry) in [
        (
            fragment.as_str(),
            "check_relationship/403/POSTCODE_DOES_NOT_MATCH",
        ),
        ("BFPO 57", "check_relationship/403/POSTCODE_DOES_NOT_MATCH"),
        ("bfpo57", "check_relationship/403/POSTCODE_DOES_NOT_MATCH"),
        ("AA1 1AAA", "check_relationship/400/POSTCODE_FORMAT_INVALID"),
        (
            compact.as_str(),
            "check_relationship/404/RELATIONSHIP_NOT_FOUND",
        ),
    ] {
        let body = check_body(&with(&record, "knownFact", json!(postcode)));
        ctx.expect(entry, check(&agent, &body)).await?;
    }
    let lower = with(&record, "knownFact", json!(client.postcode.to_lowercase()));
    ctx.expect("create_invitation/204", create(&agent, &lower))
        .await?;
    Ok(())
}

/// A valid postcode that holds, or is held by, `postcode` without being it: the area's first letter dropped
/// when it has two, or a letter put before it when it has one.
fn postcode_fragment(postcode: &str) -> String {
    let second_is_letter = postcode
        .chars()
        .nth(1)
        .is_some_and(|c| c.is_ascii_alphabetic());
    if second_is_letter {
        postcode[1..].to_owned()
    } else {
        format!("A{postcode}")
    }
}

/// Dates are strict `yyyy-MM-dd` and real days: 29 February 2023 is a format error, not a mismatch.
pub async fn strict_dates(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    let vat = with(&vat_body(&f.organisation), "knownFact", json!("2023-02-29"));
    ctx.soft(
        "create_invitation/400/VAT_REG_DATE_FORMAT_INVALID",
        create(&f.agent, &vat),
    )
    .await?;
    let dob = backend(
        "GET",
        dob_path(&f.individual.nino, "2023-02-29"),
        Some(&f.agent.token),
    );
    ctx.soft(
        "check_known_fact_date_of_birth/400/DATE_OF_BIRTH_FORMAT_INVALID",
        dob,
    )
    .await?;
    Ok(())
}

/// Every service's identifier in a form outside its pattern (a UTR with a wrong check digit among them) is
/// CLIENT_ID_FORMAT_INVALID.
pub async fn identifier_formats(ctx: Ctx) -> Result<()> {
    let f = ctx.fixtures().clone();
    for (service, client_type, id_type, id) in [
        ("HMRC-TERS-ORG", "trust", "utr", "2134514322"),
        ("HMRC-TERSNT-ORG", "trust", "urn", "XATRUST-0001"),
        ("HMRC-CGT-PD", "personal", "CGTPDRef", "XMCGTP12345"),
        (
            "HMRC-PPT-ORG",
            "business",
            "EtmpRegistrationNumber",
            "XAPPT123",
        ),
        ("HMRC-MTD-VAT", "business", "vrn", "1017476961"),
        ("PERSONAL-INCOME-RECORD", "personal", "ni", "QQ123456C"),
    ] {
        let body = json!({"service": service, "clientType": client_type, "clientIdType": id_type, "clientId": id});
        ctx.soft(
            "create_sent_invitation/400/CLIENT_ID_FORMAT_INVALID",
            backend_api::create(&f.agent, &body),
        )
        .await?;
    }
    Ok(())
}

/// Every id issued is its service's prefix and the hash of the request's ARN, supplied client id, service and
/// creation millisecond, with a valid check.
pub async fn ids_derive_from_the_request(ctx: Ctx) -> Result<()> {
    let agent = ctx.sandbox().agent().await?;
    for (service, prefix) in [
        ("HMRC-MTD-IT", 'A'),
        ("HMRC-MTD-VAT", 'C'),
        ("HMRC-PPT-ORG", 'G'),
    ] {
        let client = ctx.sandbox().service_client(service).await?;
        let id = backend_api::created(&ctx, &agent, &client).await?;
        let exchange = ctx
            .expect("get_sent_invitation/200", backend_api::get(&agent, &id))
            .await?;
        let body = exchange.json().unwrap_or_default();
        let created = body["created"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp_millis());
        let supplied = body["suppliedClientId"].as_str().unwrap_or_default();
        let derived =
            created.map(|ms| derive_invitation_id(prefix, &agent.arn, supplied, service, ms));
        ctx.rule("R-INVID-DERIVED", derived.as_deref() == Some(id.as_str()), || {
            format!("{service} request {id} (created {}, supplied {supplied}) should be {derived:?}", body["created"])
        })?;
    }
    Ok(())
}
