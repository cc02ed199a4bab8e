//! The paths of the contracts' operations, built from their parts: one place for the scenarios, the generated
//! inputs and the server's own tests.

/// The backend's base path.
pub const BACKEND: &str = "/agent-client-authorisation";

// ---- the Agent Authorisation API (2.0, and 1.0 on the same paths) ----

pub fn invitations_path(arn: &str) -> String {
    format!("/agents/{arn}/invitations")
}

pub fn invitation_path(arn: &str, id: &str) -> String {
    format!("/agents/{arn}/invitations/{id}")
}

pub fn relationships_path(arn: &str) -> String {
    format!("/agents/{arn}/relationships")
}

pub fn deauthorise_path(arn: &str) -> String {
    format!("/agents/{arn}/deauthorise-client")
}

// ---- the backend ----

pub fn sent_path(arn: &str) -> String {
    format!("{BACKEND}/agencies/{arn}/invitations/sent")
}

pub fn sent_invitation_path(arn: &str, id: &str) -> String {
    format!("{}/{id}", sent_path(arn))
}

pub fn cancel_path(arn: &str, id: &str) -> String {
    format!("{}/cancel", sent_invitation_path(arn, id))
}

pub fn multi_invitations_path(arn: &str) -> String {
    format!("{BACKEND}/agencies/{arn}/multi-invitations")
}

pub fn relationship_path(arn: &str, service: &str, id_type: &str, id: &str) -> String {
    format!("{BACKEND}/agencies/{arn}/relationships/service/{service}/client/{id_type}/{id}")
}

pub fn received_path(enrolment: &str, id: &str) -> String {
    format!("{BACKEND}/clients/{enrolment}/{id}/invitations/received")
}

/// A path segment with the characters a test puts in one (`%`, spaces, `/`) percent-encoded.
pub fn segment(text: &str) -> String {
    text.replace('%', "%25")
        .replace(' ', "%20")
        .replace('/', "%2F")
}

pub fn postcode_path(nino: &str, postcode: &str) -> String {
    format!(
        "{BACKEND}/known-facts/individuals/nino/{nino}/sa/postcode/{}",
        segment(postcode)
    )
}

pub fn dob_path(nino: &str, dob: &str) -> String {
    format!("{BACKEND}/known-facts/individuals/nino/{nino}/dob/{dob}")
}

pub fn vat_date_path(vrn: &str, date: &str) -> String {
    format!("{BACKEND}/known-facts/organisations/vat/{vrn}/registration-date/{date}")
}

pub fn alt_itsa_path(service: &str, nino: &str) -> String {
    format!("{BACKEND}/alt-itsa/{service}/update/{nino}")
}

pub fn replace_path(urn: &str, utr: &str) -> String {
    format!("{BACKEND}/invitations/{urn}/replace/utr/{utr}")
}
