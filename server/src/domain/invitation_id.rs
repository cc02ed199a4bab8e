//! Invitation ids (docs/domain.md §5): a service prefix letter, a 10-character body derived from a SHA-256 hash, and two
//! CRC-10 check characters, e.g. `CS5AK7O8FPC43`. The algorithm is HMRC's, so ids look and check like theirs.

use std::fmt;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The 32 characters of invitation ids, one per 5-bit value (no I, Q, V or 0; O is kept, as in HMRC's alphabet).
pub const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNOPRSTUWXYZ123456789";

/// Prefix letters of the services that have invitations (docs/domain.md §3).
pub const PREFIXES: &[char] = &['A', 'B', 'C', 'D', 'E', 'F', 'G', 'L'];

const LEN: usize = 13;
const BODY_LEN: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InvitationId(String);

impl InvitationId {
    /// Derives an id from the hash of "{arn}.{supplied_client_id},{service}-{epoch millis}". The same inputs in the
    /// same millisecond give the same id, so callers must handle a collision (e.g. by retrying with another time).
    pub fn generate(
        prefix: char,
        arn: &str,
        supplied_client_id: &str,
        service: &str,
        created_at: DateTime<Utc>,
    ) -> InvitationId {
        debug_assert!(PREFIXES.contains(&prefix), "invalid prefix {prefix:?}");
        let unhashed = format!(
            "{arn}.{supplied_client_id},{service}-{}",
            created_at.timestamp_millis()
        );
        let hash = Sha256::digest(unhashed.as_bytes());
        let mut id = String::with_capacity(LEN);
        id.push(prefix);
        id.push_str(&body(&hash[..7]));
        id.push_str(&check_chars(id.as_bytes()));
        InvitationId(id)
    }

    /// Accepts exactly 13 characters: a known prefix, 12 alphabet characters, and a correct check.
    pub fn parse(s: &str) -> Option<InvitationId> {
        let b = s.as_bytes();
        if b.len() != LEN
            || !PREFIXES.contains(&char::from(b[0]))
            || !b[1..].iter().all(|c| ALPHABET.contains(c))
            || check_chars(&b[..BODY_LEN + 1]).as_bytes() != &b[BODY_LEN + 1..]
        {
            return None;
        }
        Some(InvitationId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn prefix(&self) -> char {
        char::from(self.0.as_bytes()[0])
    }
}

impl fmt::Display for InvitationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads the bytes as one bit stream (bytes in order, least significant bit first) and maps each 5-bit group
/// (its first bit being its least significant) through the alphabet.
fn body(bytes: &[u8]) -> String {
    (0..BODY_LEN)
        .map(|group| {
            let value = (0..5).fold(0usize, |acc, i| {
                let bit = group * 5 + i;
                acc | usize::from((bytes[bit / 8] >> (bit % 8)) & 1) << i
            });
            char::from(ALPHABET[value])
        })
        .collect()
}

fn check_chars(data: &[u8]) -> String {
    let crc = usize::from(crc10(data));
    [ALPHABET[crc & 31], ALPHABET[(crc >> 5) & 31]]
        .iter()
        .map(|&c| char::from(c))
        .collect()
}

const CRC_POLY: u16 = 0x233;
const CRC_MASK: u16 = 0x3ff;

const CRC_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 2;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x200 != 0 {
                ((crc << 1) ^ CRC_POLY) & CRC_MASK
            } else {
                (crc << 1) & CRC_MASK
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// CRC-10: polynomial 0x233, initial value 0, no final xor, most significant bit first.
fn crc10(data: &[u8]) -> u16 {
    data.iter().fold(0, |crc, &byte| {
        let index = usize::from(((crc >> 2) ^ u16::from(byte)) & 0xff);
        ((crc << 8) ^ CRC_TABLE[index]) & CRC_MASK
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn y2001() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2001, 1, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn reproduces_hmrc_test_vector() {
        let id = InvitationId::generate('A', "myAgency", "clientId", "service", y2001());
        assert_eq!(id.as_str(), "ABERULMHCKKW3");
        assert_eq!(id.prefix(), 'A');
        assert_eq!(id.to_string(), "ABERULMHCKKW3");
    }

    #[test]
    fn known_ids_parse() {
        for s in ["CS5AK7O8FPC43", "CZTW1KY6RTAAT", "ABERULMHCKKW3"] {
            let id = InvitationId::parse(s).unwrap_or_else(|| panic!("{s} should parse"));
            assert_eq!(id.as_str(), s);
        }
        assert_eq!(InvitationId::parse("CS5AK7O8FPC43").unwrap().prefix(), 'C');
    }

    #[test]
    fn any_changed_character_breaks_the_check() {
        let valid = "CS5AK7O8FPC43";
        for pos in 1..LEN {
            for &c in ALPHABET {
                let mut b = valid.as_bytes().to_vec();
                if b[pos] == c {
                    continue;
                }
                b[pos] = c;
                let s = String::from_utf8(b).unwrap();
                assert_eq!(InvitationId::parse(&s), None, "{s}");
            }
        }
        // A different (valid) prefix also changes the check.
        assert_eq!(InvitationId::parse("AS5AK7O8FPC43"), None);
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "CS5AK7O8FPC4",
            "CS5AK7O8FPC433",
            "cs5ak7o8fpc43",
            "HS5AK7O8FPC43",
            "CS5AK7O8FPC4I",
            "CS5AK7O0FPC43",
            " CS5AK7O8FPC43",
            "CS5AK7O8FPC4é",
        ] {
            assert_eq!(InvitationId::parse(s), None, "{s:?}");
        }
    }

    #[test]
    fn generated_ids_parse_for_every_prefix() {
        for (i, &prefix) in PREFIXES.iter().enumerate() {
            let at = y2001() + chrono::Duration::milliseconds(i as i64 * 7919);
            let id = InvitationId::generate(prefix, "TARN0000001", "AB123456C", "HMRC-MTD-IT", at);
            assert_eq!(id.as_str().len(), LEN);
            assert_eq!(InvitationId::parse(id.as_str()), Some(id.clone()));
            assert_eq!(id.prefix(), prefix);
        }
    }
}
