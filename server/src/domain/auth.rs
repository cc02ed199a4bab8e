//! Credentials: bearer tokens issued to sandbox users (stored as SHA-256 hashes, resolved to principals)
//! and the passwords those users sign in with on the client's pages.

use rand::Rng;
use sha2::{Digest, Sha256};

use super::principal::{AffinityGroup, Enrolment, Principal};
use super::{Authorisations, DomainError};
use crate::store::principals::{self, EnrolmentRow};

/// A new random token (256 bits, hex) and the hash that is stored.
pub fn new_token() -> (String, Vec<u8>) {
    let bytes: [u8; 32] = rand::rng().random();
    let token = hex(&bytes);
    let hash = Sha256::digest(token.as_bytes()).to_vec();
    (token, hash)
}

/// Whether `value` has the shape of a [`new_token`] (64 lowercase hex digits).
pub fn is_token_shaped(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Authorisations {
    /// The principal an `Authorization` header value names: `Bearer <token>`, known and unexpired.
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
    ) -> Result<Principal, DomainError> {
        let token = authorization
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(DomainError::Unauthorized)?;
        let hash = Sha256::digest(token.as_bytes());
        let mut conn = self.connection().await?;
        let (id, affinity_group, rows) = principals::by_token(&mut conn, &hash, self.now())
            .await?
            .ok_or(DomainError::Unauthorized)?;
        principal_from_rows(id, &affinity_group, rows)
    }
}

pub(super) fn principal_from_rows(
    id: i64,
    affinity_group: &str,
    rows: Vec<EnrolmentRow>,
) -> Result<Principal, DomainError> {
    let affinity_group = AffinityGroup::parse(affinity_group)
        .ok_or_else(|| DomainError::Internal(format!("principal {id}: unknown affinity group")))?;
    let enrolments = rows
        .into_iter()
        .map(|row| Enrolment {
            key: row.enrolment_key,
            identifier_name: row.identifier_name,
            identifier_value: row.identifier_value,
        })
        .collect();
    Ok(Principal {
        id,
        affinity_group,
        enrolments,
    })
}

/// Sandbox passwords are random, so a salted SHA-256 is enough to keep them out of the database.
pub fn hash_password(password: &str) -> String {
    let salt: [u8; 16] = rand::rng().random();
    format!(
        "sha256${}${}",
        hex(&salt),
        hex(&salted_digest(&salt, password))
    )
}

/// Whether `password` is the one `stored` (from [`hash_password`]) was made from.
pub fn verify_password(stored: &str, password: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some("sha256"), Some(salt), Some(digest), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Some(salt) = unhex(salt) else {
        return false;
    };
    same_bytes(
        hex(&salted_digest(&salt, password)).as_bytes(),
        digest.as_bytes(),
    )
}

/// Compares secrets in time that depends only on their length, not on where they first differ.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn salted_digest(salt: &[u8], password: &str) -> Vec<u8> {
    Sha256::new()
        .chain_update(salt)
        .chain_update(password.as_bytes())
        .finalize()
        .to_vec()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_own_hash_only() {
        let stored = hash_password("correct horse");
        assert!(verify_password(&stored, "correct horse"));
        assert!(!verify_password(&stored, "correct horsE"));
        assert!(!verify_password(&stored, ""));
        // Each hash has its own salt.
        assert_ne!(stored, hash_password("correct horse"));
        assert!(!verify_password("plain text", "plain text"));
        assert!(!verify_password("sha256$zz$00", "x"));
    }

    #[test]
    fn compares_secrets_exactly() {
        assert!(same_bytes(b"abc", b"abc"));
        assert!(!same_bytes(b"abc", b"abd"));
        assert!(!same_bytes(b"abc", b"abcd"));
    }
}
