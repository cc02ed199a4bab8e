//! Bearer tokens: issued to sandbox users, stored as SHA-256 hashes, resolved to principals.

use rand::Rng;
use sha2::{Digest, Sha256};

use super::principal::{AffinityGroup, Enrolment, Principal};
use super::{Authorisations, DomainError};
use crate::store::principals;

/// A new random token (256 bits, hex) and the hash that is stored.
pub fn new_token() -> (String, Vec<u8>) {
    let bytes: [u8; 32] = rand::rng().random();
    let token = hex(&bytes);
    let hash = Sha256::digest(token.as_bytes()).to_vec();
    (token, hash)
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
        let affinity_group = AffinityGroup::parse(&affinity_group).ok_or_else(|| {
            DomainError::Internal(format!("principal {id}: unknown affinity group"))
        })?;
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
}
