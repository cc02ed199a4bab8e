//! Parts of the client action link (docs/domain.md §8):
//! `{base}/appoint-someone-to-deal-with-HMRC-for-you/{uid}/{normalised agency name}/{income-tax|vat}`.

use rand::Rng;

use super::invitation_id::ALPHABET;
use super::{Authorisations, DomainError};
use crate::store::agencies;
pub use crate::store::agencies::Agency;

/// Lower-cases, turns each run of whitespace into one '-', then drops every character outside `[a-z0-9-]`
/// (in that order, as HMRC does: "Bob & Co" becomes "bob--co"). The result may be empty.
pub fn normalise_agency_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_whitespace = false;
    for c in name.to_lowercase().chars() {
        if c.is_whitespace() {
            if !in_whitespace {
                out.push('-');
            }
            in_whitespace = true;
            continue;
        }
        in_whitespace = false;
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
            out.push(c);
        }
    }
    out
}

/// 8 random characters from the invitation-id alphabet; the caller keeps one per ARN.
pub fn generate_uid(rng: &mut impl Rng) -> String {
    (0..8)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

impl Authorisations {
    /// The agency behind an ARN, for its client action link.
    pub async fn agency(&self, arn: &str) -> Result<Option<Agency>, DomainError> {
        let mut conn = self.connection().await?;
        Ok(agencies::find(&mut conn, arn).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn normalises_agency_names() {
        let cases = [
            ("My Agency", "my-agency"),
            ("  Smith  &\tJones Ltd. ", "-smith--jones-ltd-"),
            ("Bob & Co", "bob--co"),
            ("ACME-2000", "acme-2000"),
            ("Café Öl", "caf-l"),
            ("agent_name!", "agentname"),
            ("", ""),
            ("&&&", ""),
        ];
        for (name, want) in cases {
            assert_eq!(normalise_agency_name(name), want, "{name:?}");
        }
    }

    #[test]
    fn uids_are_eight_alphabet_characters() {
        let mut rng = StdRng::seed_from_u64(8);
        for _ in 0..300 {
            let uid = generate_uid(&mut rng);
            assert_eq!(uid.len(), 8);
            assert!(uid.bytes().all(|c| ALPHABET.contains(&c)), "{uid}");
        }
        assert_ne!(generate_uid(&mut rng), generate_uid(&mut rng));
    }
}
