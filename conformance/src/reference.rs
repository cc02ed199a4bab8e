//! The rules the contracts state in prose, as the harness's oracle: identifier formats (docs/domain.md §4),
//! invitation ids (§5) and the order in which a public-API request is checked (§6). Generated inputs are judged
//! against this: an input it calls invalid must get the documented error, never a success.

use serde_json::Value;

/// The alphabet of invitation ids.
pub const ID_ALPHABET: &[u8] = b"ABCDEFGHJKLMNOPRSTUWXYZ123456789";

/// A small deterministic generator (SplitMix64) for identifiers the harness makes up.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

// ---- invitation ids (§5) ----

fn crc10(bytes: &[u8]) -> u16 {
    let mut table = [0u16; 256];
    for (i, slot) in table.iter_mut().enumerate() {
        let mut c = (i as u16) << 2;
        for _ in 0..8 {
            c = if c & 0x200 != 0 {
                (c << 1) ^ 0x233
            } else {
                c << 1
            };
        }
        *slot = c & 0x3ff;
    }
    let mut crc: u16 = 0;
    for &byte in bytes {
        crc = ((crc << 8) ^ table[(((crc >> 2) as u8) ^ byte) as usize]) & 0x3ff;
    }
    crc
}

/// The two check characters of an id's first 11 characters.
pub fn invitation_id_check(first11: &str) -> String {
    let crc = crc10(first11.as_bytes());
    let a = ID_ALPHABET[(crc & 31) as usize] as char;
    let b = ID_ALPHABET[((crc >> 5) & 31) as usize] as char;
    format!("{a}{b}")
}

/// Whether `id` is a well-formed invitation id with valid check characters.
pub fn is_invitation_id(id: &str) -> bool {
    id.len() == 13
        && id.is_ascii()
        && id.bytes().skip(1).all(|b| ID_ALPHABET.contains(&b))
        && id.as_bytes()[0].is_ascii_uppercase()
        && invitation_id_check(&id[..11]) == id[11..]
}

/// The id the server must issue for a request (docs/domain.md §5): the SHA-256 of
/// `{arn}.{suppliedClientId},{service id}-{creation in epoch milliseconds}`, its first 50 bits (bytes in order,
/// each least significant bit first) in ten groups of five (first bit least significant) through the alphabet,
/// after the service's prefix, and the two check characters.
pub fn derive_invitation_id(
    prefix: char,
    arn: &str,
    supplied_client_id: &str,
    service: &str,
    created_millis: i64,
) -> String {
    use sha2::{Digest, Sha256};
    let text = format!("{arn}.{supplied_client_id},{service}-{created_millis}");
    let hash = Sha256::digest(text.as_bytes());
    let bits: Vec<u8> = hash[..7]
        .iter()
        .flat_map(|byte| (0..8).map(move |i| (byte >> i) & 1))
        .take(50)
        .collect();
    let mut id = String::from(prefix);
    for group in bits.chunks(5) {
        let value = group
            .iter()
            .enumerate()
            .fold(0usize, |value, (i, bit)| value | (usize::from(*bit) << i));
        id.push(char::from(ID_ALPHABET[value]));
    }
    let check = invitation_id_check(&id);
    id + &check
}

/// A well-formed id (valid check characters) with the service prefix given.
pub fn random_invitation_id(rng: &mut Rng, prefix: char) -> String {
    let mut id = String::from(prefix);
    for _ in 0..10 {
        id.push(*rng.pick(ID_ALPHABET) as char);
    }
    let check = invitation_id_check(&id);
    id + &check
}

// ---- identifiers (§4) ----

/// A NINO, normalised (spaces removed, upper case), if valid.
pub fn nino(text: &str) -> Option<String> {
    let n: String = text
        .chars()
        .filter(|c| *c != ' ')
        .collect::<String>()
        .to_ascii_uppercase();
    let b = n.as_bytes();
    if b.len() != 9
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..8].iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    if !b"ABCD".contains(&b[8]) || b"DFIQUV".contains(&b[0]) || b"DFIOQUV".contains(&b[1]) {
        return None;
    }
    if ["BG", "GB", "NK", "KN", "TN", "NT", "ZZ"].contains(&&n[..2]) {
        return None;
    }
    Some(n)
}

pub fn random_nino(rng: &mut Rng) -> String {
    loop {
        let letters = b"ABCEGHJKLMNPRSTWXYZ";
        let candidate = format!(
            "{}{}{:06}{}",
            *rng.pick(letters) as char,
            *rng.pick(letters) as char,
            rng.below(1_000_000),
            *rng.pick(b"ABCD") as char
        );
        if let Some(valid) = nino(&candidate) {
            return valid;
        }
    }
}

pub fn is_vrn(text: &str) -> bool {
    text.len() == 9 && text.bytes().all(|b| b.is_ascii_digit())
}

pub fn random_vrn(rng: &mut Rng) -> String {
    format!("{:09}", rng.below(1_000_000_000))
}

/// A 10-digit UTR whose first digit is the mod-11 check of the other nine.
pub fn is_utr(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let weights = [6, 7, 8, 9, 10, 5, 4, 3, 2];
    let sum: u32 = b[1..]
        .iter()
        .zip(weights)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    b"21987654321"[(sum % 11) as usize] == b[0]
}

/// Whether `text` is a valid identifier of some kind other than a NINO or a VRN, by the formats §4 gives.
pub fn is_other_identifier(text: &str) -> bool {
    let cgt = text.len() == 15
        && text.starts_with('X')
        && text.as_bytes()[1].is_ascii_uppercase()
        && &text[2..6] == "CGTP"
        && text[6..].bytes().all(|b| b.is_ascii_digit());
    let ppt = text.len() == 17
        && text.starts_with('X')
        && text.as_bytes()[1].is_ascii_uppercase()
        && &text[2..8] == "PPT000"
        && text[8..].bytes().all(|b| b.is_ascii_digit());
    is_utr(text) || cgt || ppt
}

/// A UK postcode (`^[A-Z]{1,2}[0-9][0-9A-Z]?\s?[0-9][A-Z]{2}$`) or a BFPO number, normalised, if valid.
pub fn postcode(text: &str) -> Option<String> {
    let upper = text.to_ascii_uppercase();
    if let Some(number) = upper.strip_prefix("BFPO") {
        let number = number.strip_prefix(' ').unwrap_or(number);
        return ((1..=4).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit()))
            .then(|| format!("BFPO{number}"));
    }
    let b = upper.as_bytes();
    let compact: Vec<u8> = if b.len() >= 4 && b[b.len() - 4] == b' ' {
        [&b[..b.len() - 4], &b[b.len() - 3..]].concat()
    } else {
        b.to_vec()
    };
    if compact.len() < 5 || compact.len() > 7 {
        return None;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let letters = outward
        .iter()
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    let rest = &outward[letters..];
    let outward_ok = (1..=2).contains(&letters)
        && !rest.is_empty()
        && rest[0].is_ascii_digit()
        && rest.len() <= 2
        && rest[1..]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
    let inward_ok = inward[0].is_ascii_digit() && inward[1..].iter().all(u8::is_ascii_uppercase);
    (outward_ok && inward_ok).then(|| String::from_utf8_lossy(&compact).into_owned())
}

/// A strict `yyyy-MM-dd` date.
pub fn is_date(text: &str) -> bool {
    text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

// ---- ARNs ----

fn arn_value(c: u8) -> u32 {
    if c.is_ascii_digit() {
        u32::from(c - b'0')
    } else {
        u32::from(c - b'A') + 10 + 23
    }
}

/// The check letter of an ARN's last ten characters (`ARN` and seven digits).
pub fn arn_check(rest: &str) -> char {
    let weights = [9, 10, 11, 12, 13, 8, 7, 6, 5, 4];
    let sum: u32 = rest
        .bytes()
        .zip(weights)
        .map(|(c, w)| arn_value(c) * w)
        .sum();
    b"ABCDEFGHXJKLMNYPQRSTZVW"[(sum % 23) as usize] as char
}

pub fn random_arn(rng: &mut Rng) -> String {
    let rest = format!("ARN{:07}", rng.below(10_000_000));
    format!("{}{rest}", arn_check(&rest))
}

// ---- the order of checks (§6) ----

/// Which public-API body is being judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// `CreateInvitationRequest`: clientType and knownFact required.
    Create,
    /// `CheckRelationshipRequest`: knownFact required, no clientType.
    Check,
    /// `DeauthoriseClientRequest`: clientType required, no knownFact.
    Deauthorise,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    ItsaMain,
    ItsaSupporting,
    Vat,
}

/// A body that passes every format check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valid {
    pub service: Service,
    /// The agentType given, if any.
    pub agent_type_given: bool,
    /// The client id, normalised.
    pub client_id: String,
    /// The known fact, normalised (postcode without spaces, upper case; the date as given).
    pub known_fact: Option<String>,
}

/// The named example a body must get (`BAD_REQUEST`, `SERVICE_NOT_SUPPORTED`, …), or what it validly asks.
pub fn judge(payload: Payload, body: &Value) -> Result<Valid, &'static str> {
    let object = body.as_object().ok_or("BAD_REQUEST")?;
    let string = |name: &str, required: bool| -> Result<Option<&str>, &'static str> {
        match object.get(name) {
            None if required => Err("BAD_REQUEST"),
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.as_str())),
            Some(_) => Err("BAD_REQUEST"),
        }
    };
    let service = match object.get("service") {
        Some(Value::String(text)) => text.as_str(),
        Some(Value::Array(items)) if items.len() == 1 => items[0].as_str().ok_or("BAD_REQUEST")?,
        _ => return Err("BAD_REQUEST"),
    };
    let agent_type = string("agentType", false)?;
    let client_type = string("clientType", payload != Payload::Check)?;
    let client_id_type = string("clientIdType", true)?.unwrap_or_default();
    let client_id = string("clientId", true)?.unwrap_or_default();
    let known_fact = string("knownFact", payload != Payload::Deauthorise)?;
    // The shape is right; now the payload, field by field.
    let income_tax = match service {
        "MTD-IT" => true,
        "MTD-VAT" => false,
        _ => return Err("SERVICE_NOT_SUPPORTED"),
    };
    let service = match (income_tax, agent_type) {
        (true, None | Some("main")) => Service::ItsaMain,
        (true, Some("supporting")) => Service::ItsaSupporting,
        (false, None) => Service::Vat,
        _ => return Err("AGENT_TYPE_NOT_SUPPORTED"),
    };
    if let Some(client_type) = client_type {
        let ok = matches!(
            (income_tax, client_type),
            (true, "personal") | (false, "personal" | "business")
        );
        if !ok {
            return Err("CLIENT_TYPE_NOT_SUPPORTED");
        }
    }
    if client_id_type != if income_tax { "ni" } else { "vrn" } {
        return Err("CLIENT_ID_DOES_NOT_MATCH_SERVICE");
    }
    let client_id = if income_tax {
        nino(client_id)
    } else {
        is_vrn(client_id).then(|| client_id.to_owned())
    }
    .ok_or(
        if (income_tax && is_vrn(client_id))
            || (!income_tax && nino(client_id).is_some())
            || is_other_identifier(client_id)
        {
            "CLIENT_ID_DOES_NOT_MATCH_SERVICE"
        } else {
            "CLIENT_ID_FORMAT_INVALID"
        },
    )?;
    let known_fact = match known_fact {
        None => None,
        Some(fact) if income_tax => Some(postcode(fact).ok_or("POSTCODE_FORMAT_INVALID")?),
        Some(fact) => Some(if is_date(fact) {
            fact.to_owned()
        } else {
            return Err("VAT_REG_DATE_FORMAT_INVALID");
        }),
    };
    Ok(Valid {
        service,
        agent_type_given: agent_type.is_some(),
        client_id,
        known_fact,
    })
}

/// How an `Accept` header is judged (§6.1): the named example it gets, if any.
pub fn judge_accept(header: Option<&str>, versions: &[&str]) -> Option<&'static str> {
    let Some(header) = header else {
        return Some("ACCEPT_HEADER_MISSING");
    };
    // Media types are compared case-insensitively.
    let header = header.trim().to_ascii_lowercase();
    let Some(rest) = header.strip_prefix("application/vnd.hmrc.") else {
        return Some("ACCEPT_HEADER_INVALID");
    };
    let Some((number, media)) = rest.split_once('+') else {
        return Some("ACCEPT_HEADER_INVALID");
    };
    let numeric = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    let Some((major, minor)) = number
        .split_once('.')
        .filter(|(a, b)| numeric(a) && numeric(b))
    else {
        return Some("ACCEPT_HEADER_INVALID");
    };
    if media.is_empty() || !media.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Some("ACCEPT_HEADER_INVALID");
    }
    let served = versions.iter().any(|version| {
        let (want_major, want_minor) = version.split_once('.').unwrap_or((version, "0"));
        major.parse::<u32>().ok() == want_major.parse().ok()
            && minor.parse::<u32>().ok() == want_minor.parse().ok()
    });
    if !served {
        return Some("BAD_REQUEST_VERSION");
    }
    if media != "json" {
        return Some("BAD_REQUEST_CONTENT_TYPE");
    }
    None
}

/// The version (`"1.0"`) a well-formed `Accept` header names, in any case, without leading zeros.
pub fn accept_version(header: Option<&str>) -> Option<String> {
    let header = header?.trim().to_ascii_lowercase();
    let (number, _) = header
        .strip_prefix("application/vnd.hmrc.")?
        .split_once('+')?;
    let (major, minor) = number.split_once('.')?;
    Some(format!(
        "{}.{}",
        major.parse::<u32>().ok()?,
        minor.parse::<u32>().ok()?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn derived_ids_match_the_documented_vector() {
        let millis = 978_307_200_000; // 2001-01-01T00:00:00Z
        let id = derive_invitation_id('A', "myAgency", "clientId", "service", millis);
        assert_eq!(id, "ABERULMHCKKW3");
    }

    #[test]
    fn invitation_id_checks_match_the_documented_vectors() {
        for id in ["ABERULMHCKKW3", "CS5AK7O8FPC43", "CZTW1KY6RTAAT"] {
            assert!(is_invitation_id(id), "{id}");
        }
        assert!(!is_invitation_id("ABERULMHCKKW4"));
        assert!(!is_invitation_id("ABERULMHCKKW"));
        let mut rng = Rng::new(7);
        for _ in 0..50 {
            assert!(is_invitation_id(&random_invitation_id(&mut rng, 'A')));
        }
    }

    #[test]
    fn identifiers_follow_section_4() {
        assert_eq!(nino("ab 12 34 56 c").as_deref(), Some("AB123456C"));
        for bad in [
            "AB123456E",
            "DA123456A",
            "AO123456A",
            "BG123456A",
            "AB12345C",
            "101747696",
        ] {
            assert_eq!(nino(bad), None, "{bad}");
        }
        assert!(is_utr("2134514321") && !is_utr("2134514322"));
        assert!(is_other_identifier("XACGTP123456789") && !is_other_identifier("AB123456C"));
        for arn in ["TARN0000001", "DARN0002185", "KARN0762398"] {
            assert_eq!(arn_check(&arn[1..]), arn.chars().next().unwrap(), "{arn}");
        }
        assert_ne!(arn_check("ARN9999999"), 'A');
        assert_eq!(postcode("aa1 1aa").as_deref(), Some("AA11AA"));
        assert_eq!(postcode("BFPO 1234").as_deref(), Some("BFPO1234"));
        for bad in ["", "NOTAPOSTCODE", "12345", "AA1  1AA", "A 1AA"] {
            assert_eq!(postcode(bad), None, "{bad}");
        }
        assert!(is_date("2007-05-18") && !is_date("2007-5-18") && !is_date("2007-02-30"));
        let mut rng = Rng::new(1);
        assert!(nino(&random_nino(&mut rng)).is_some());
        let arn = random_arn(&mut rng);
        assert_eq!(Some(arn_check(&arn[1..])), arn.chars().next(), "{arn}");
    }

    #[test]
    fn payload_checks_come_in_the_documented_order() {
        let create = |v: Value| judge(Payload::Create, &v).err();
        let body = json!({"service": ["MTD-IT"], "clientType": "personal", "clientIdType": "ni", "clientId": "AB123456C", "knownFact": "AA1 1AA"});
        assert_eq!(create(body.clone()), None);
        assert_eq!(create(json!([])), Some("BAD_REQUEST"));
        assert_eq!(
            create(json!({"service": ["MTD-IT", "MTD-VAT"]})),
            Some("BAD_REQUEST")
        );
        let with = |k: &str, v: Value| {
            let mut b = body.clone();
            b[k] = v;
            b
        };
        assert_eq!(create(with("clientId", json!(1))), Some("BAD_REQUEST"));
        assert_eq!(
            create(with("service", json!("MTD-X"))),
            Some("SERVICE_NOT_SUPPORTED")
        );
        assert_eq!(
            create(with("agentType", json!("x"))),
            Some("AGENT_TYPE_NOT_SUPPORTED")
        );
        assert_eq!(
            create(with("clientType", json!("business"))),
            Some("CLIENT_TYPE_NOT_SUPPORTED")
        );
        assert_eq!(
            create(with("clientIdType", json!("vrn"))),
            Some("CLIENT_ID_DOES_NOT_MATCH_SERVICE")
        );
        assert_eq!(
            create(with("clientId", json!("101747696"))),
            Some("CLIENT_ID_DOES_NOT_MATCH_SERVICE")
        );
        assert_eq!(
            create(with("clientId", json!("AB12"))),
            Some("CLIENT_ID_FORMAT_INVALID")
        );
        assert_eq!(
            create(with("knownFact", json!("nope"))),
            Some("POSTCODE_FORMAT_INVALID")
        );
        let vat = json!({"service": "MTD-VAT", "clientType": "business", "clientIdType": "vrn", "clientId": "101747696", "knownFact": "18/05/2007"});
        assert_eq!(create(vat), Some("VAT_REG_DATE_FORMAT_INVALID"));
        let deauth = json!({"service": ["MTD-VAT"], "clientType": "business", "clientIdType": "vrn", "clientId": "101747696"});
        assert!(judge(Payload::Deauthorise, &deauth).is_ok());
        assert_eq!(judge(Payload::Check, &deauth).err(), Some("BAD_REQUEST"));
    }

    #[test]
    fn accept_headers_are_judged_as_section_6_1_says() {
        assert_eq!(
            judge_accept(Some("application/vnd.hmrc.2.0+json"), &["2.0"]),
            None
        );
        assert_eq!(judge_accept(None, &["2.0"]), Some("ACCEPT_HEADER_MISSING"));
        assert_eq!(
            judge_accept(Some("application/json"), &["2.0"]),
            Some("ACCEPT_HEADER_INVALID")
        );
        assert_eq!(
            judge_accept(Some("application/vnd.hmrc.1.0+json"), &["2.0"]),
            Some("BAD_REQUEST_VERSION")
        );
        assert_eq!(
            judge_accept(Some("Application/Vnd.Hmrc.1.0+JSON"), &["2.0", "1.0"]),
            None
        );
        assert_eq!(
            accept_version(Some("APPLICATION/VND.HMRC.01.0+json")),
            Some("1.0".into())
        );
        assert_eq!(
            judge_accept(Some("application/vnd.hmrc.2.0+xml"), &["2.0"]),
            Some("BAD_REQUEST_CONTENT_TYPE")
        );
    }
}
