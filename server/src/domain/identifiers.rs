//! Client and agent identifiers (docs/domain.md §4): validated, normalised newtypes, plus random generators for the sandbox
//! whose output always passes the matching `parse`.

use std::fmt;

use chrono::NaiveDate;
use rand::Rng;

/// Declares a `String` newtype with the accessors and traits every identifier shares.
macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

identifier!(
    /// National Insurance number, stored upper case without spaces, e.g. `AB123456C`.
    Nino
);
identifier!(
    /// VAT registration number: 9 digits.
    Vrn
);
identifier!(
    /// Self Assessment unique taxpayer reference: 10 digits, the first a mod-11 check digit.
    Utr
);
identifier!(
    /// Agent reference number, e.g. `TARN0000001`; the first letter is a mod-23 check.
    Arn
);
identifier!(
    /// Unique reference number of a non-taxable trust.
    Urn
);
identifier!(
    /// Capital Gains Tax on UK property account reference, e.g. `XMCGTP123456789`.
    CgtRef
);
identifier!(
    /// Plastic Packaging Tax reference (EtmpRegistrationNumber), e.g. `XAPPT0001234567`.
    PptRef
);
identifier!(
    /// Making Tax Digital Income Tax id; mixed case is allowed and kept.
    MtdItId
);
identifier!(
    /// UK or BFPO postcode; `as_str` gives the normalised form (upper case, no spaces), which is what is compared.
    Postcode
);

const NINO_FIRST_EXCLUDED: &[u8] = b"DFIQUV";
const NINO_SECOND_EXCLUDED: &[u8] = b"DFIOQUV";
const NINO_PREFIXES_EXCLUDED: &[&[u8]] = &[b"BG", b"GB", b"NK", b"KN", b"TN", b"NT", b"ZZ"];

/// The text without its U+0020 spaces, wherever they are; `None` if it holds any other whitespace (a tab, a
/// newline), which makes an identifier malformed (docs/domain.md §4).
fn without_spaces(s: &str) -> Option<String> {
    if s.chars().any(|c| c.is_whitespace() && c != ' ') {
        return None;
    }
    Some(s.chars().filter(|&c| c != ' ').collect())
}

/// What identifies the person an identifier names: a NINO's first eight characters (its suffix letter does
/// not identify anyone, docs/domain.md §4); any other identifier whole.
pub fn person_key(id: &str) -> &str {
    match Nino::parse(id) {
        Some(_) if id.len() == 9 => &id[..8],
        _ => id,
    }
}

impl Nino {
    /// Accepts lower case and spaces anywhere; normalises to upper case without spaces. Other whitespace is
    /// refused.
    pub fn parse(s: &str) -> Option<Self> {
        let n = without_spaces(s)?.to_ascii_uppercase();
        let b = n.as_bytes();
        let ok = b.len() == 9
            && b[0].is_ascii_uppercase()
            && b[1].is_ascii_uppercase()
            && !NINO_FIRST_EXCLUDED.contains(&b[0])
            && !NINO_SECOND_EXCLUDED.contains(&b[1])
            && !NINO_PREFIXES_EXCLUDED.contains(&&b[..2])
            && all_digits(&b[2..8])
            && (b'A'..=b'D').contains(&b[8]);
        ok.then_some(Nino(n))
    }

    pub fn generate(rng: &mut impl Rng) -> Self {
        loop {
            let first = random_upper(rng);
            let second = random_upper(rng);
            if NINO_FIRST_EXCLUDED.contains(&first)
                || NINO_SECOND_EXCLUDED.contains(&second)
                || NINO_PREFIXES_EXCLUDED.contains(&&[first, second][..])
            {
                continue;
            }
            let suffix = char::from(rng.random_range(b'A'..=b'D'));
            return Nino(format!(
                "{}{}{}{suffix}",
                char::from(first),
                char::from(second),
                digits(rng, 6)
            ));
        }
    }
}

impl Vrn {
    /// Nine digits; spaces anywhere are removed, other whitespace is refused.
    pub fn parse(s: &str) -> Option<Self> {
        let s = without_spaces(s)?;
        (s.len() == 9 && all_digits(s.as_bytes())).then_some(Vrn(s))
    }

    pub fn generate(rng: &mut impl Rng) -> Self {
        Vrn(digits(rng, 9))
    }
}

impl Utr {
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        (b.len() == 10 && all_digits(b) && utr_check_digit(&b[1..]) == b[0])
            .then(|| Utr(s.to_owned()))
    }

    pub fn generate(rng: &mut impl Rng) -> Self {
        let rest = digits(rng, 9);
        Utr(format!(
            "{}{rest}",
            char::from(utr_check_digit(rest.as_bytes()))
        ))
    }
}

/// Mod-11 check digit of the nine digits after the first.
fn utr_check_digit(nine: &[u8]) -> u8 {
    const WEIGHTS: [u32; 9] = [6, 7, 8, 9, 10, 5, 4, 3, 2];
    let sum: u32 = nine
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| u32::from(d - b'0') * w)
        .sum();
    b"21987654321"[(sum % 11) as usize]
}

impl Arn {
    /// Strict: `^[A-Z]ARN[0-9]{7}$` with a correct check letter (no case or space normalisation).
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let ok = b.len() == 11
            && b[0].is_ascii_uppercase()
            && &b[1..4] == b"ARN"
            && all_digits(&b[4..])
            && arn_check_letter(&b[1..]) == b[0];
        ok.then(|| Arn(s.to_owned()))
    }

    /// The check letter can be any of the 23 check characters, so generated ARNs do not all start with T.
    pub fn generate(rng: &mut impl Rng) -> Self {
        let rest = format!("ARN{}", digits(rng, 7));
        Arn(format!(
            "{}{rest}",
            char::from(arn_check_letter(rest.as_bytes()))
        ))
    }
}

/// Mod-23 check letter of the ten characters after the first; a letter counts as its base-36 value + 23.
fn arn_check_letter(ten: &[u8]) -> u8 {
    const WEIGHTS: [u32; 10] = [9, 10, 11, 12, 13, 8, 7, 6, 5, 4];
    let sum: u32 = ten
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| {
            let value = match c {
                b'0'..=b'9' => u32::from(c - b'0'),
                _ => u32::from(c - b'A') + 10 + 23,
            };
            value * w
        })
        .sum();
    b"ABCDEFGHXJKLMNYPQRSTZVW"[(sum % 23) as usize]
}

impl Urn {
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let ok = (1..=15).contains(&b.len())
            && b.iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        ok.then(|| Urn(s.to_owned()))
    }

    /// Sandbox URNs look like HMRC's test data: `XATRUST` + 8 digits.
    pub fn generate(rng: &mut impl Rng) -> Self {
        Urn(format!("XATRUST{}", digits(rng, 8)))
    }
}

impl CgtRef {
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let ok = b.len() == 15
            && b[0] == b'X'
            && b[1].is_ascii_uppercase()
            && &b[2..6] == b"CGTP"
            && all_digits(&b[6..]);
        ok.then(|| CgtRef(s.to_owned()))
    }

    pub fn generate(rng: &mut impl Rng) -> Self {
        let letter = char::from(random_upper(rng));
        CgtRef(format!("X{letter}CGTP{}", digits(rng, 9)))
    }
}

impl PptRef {
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let ok = b.len() == 15
            && b[0] == b'X'
            && b[1].is_ascii_uppercase()
            && &b[2..8] == b"PPT000"
            && all_digits(&b[8..]);
        ok.then(|| PptRef(s.to_owned()))
    }

    pub fn generate(rng: &mut impl Rng) -> Self {
        let letter = char::from(random_upper(rng));
        PptRef(format!("X{letter}PPT000{}", digits(rng, 7)))
    }
}

impl MtdItId {
    pub fn parse(s: &str) -> Option<Self> {
        let ok = (1..=15).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric());
        ok.then(|| MtdItId(s.to_owned()))
    }

    /// HMRC-style: `X`, a letter, `IT`, then 11 digits (`0000` + 7 random), e.g. `XAIT00001234567`.
    pub fn generate(rng: &mut impl Rng) -> Self {
        let letter = char::from(random_upper(rng));
        MtdItId(format!("X{letter}IT0000{}", digits(rng, 7)))
    }
}

impl Postcode {
    /// Accepts a UK postcode (`^[A-Z]{1,2}[0-9][0-9A-Z]?\s?[0-9][A-Z]{2}$`, any case) or a BFPO number (`BFPO 1234`,
    /// `BFPO1`). At most one space, and only before the inward code (or after `BFPO`); no surrounding spaces.
    pub fn parse(s: &str) -> Option<Self> {
        let upper = s.to_ascii_uppercase();
        if let Some(number) = upper.strip_prefix("BFPO") {
            let number = number
                .strip_prefix(|c: char| c.is_ascii_whitespace())
                .unwrap_or(number);
            let ok = (1..=4).contains(&number.len()) && all_digits(number.as_bytes());
            return ok.then(|| Postcode(format!("BFPO{number}")));
        }
        let b = upper.as_bytes();
        let compact: Vec<u8> = match b.len() {
            n if n >= 4 && b[n - 4].is_ascii_whitespace() => [&b[..n - 4], &b[n - 3..]].concat(),
            _ => b.to_vec(),
        };
        if compact.len() < 5 {
            return None;
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        let letters = outward
            .iter()
            .take_while(|c| c.is_ascii_uppercase())
            .count();
        let ok = (1..=2).contains(&letters)
            && outward.get(letters).is_some_and(u8::is_ascii_digit)
            && outward[letters + 1..].len() <= 1
            && outward[letters + 1..]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && inward[0].is_ascii_digit()
            && inward[1..].iter().all(u8::is_ascii_uppercase);
        if !ok {
            return None;
        }
        // Every byte was checked to be ASCII above, so this cannot fail.
        String::from_utf8(compact).ok().map(Postcode)
    }

    /// Shaped like `AB12 3CD`, returned normalised (`AB123CD`).
    pub fn generate(rng: &mut impl Rng) -> Self {
        let mut s = String::with_capacity(7);
        s.push(char::from(random_upper(rng)));
        s.push(char::from(random_upper(rng)));
        s.push_str(&rng.random_range(1..=99).to_string());
        s.push(char::from(rng.random_range(b'0'..=b'9')));
        s.push(char::from(random_upper(rng)));
        s.push(char::from(random_upper(rng)));
        Postcode(s)
    }
}

/// Strict `yyyy-MM-dd`: exactly 10 characters and a real calendar date.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && all_digits(&b[..4])
        && all_digits(&b[5..7])
        && all_digits(&b[8..]);
    if !shaped {
        return None;
    }
    NaiveDate::from_ymd_opt(
        s[..4].parse().ok()?,
        s[5..7].parse().ok()?,
        s[8..].parse().ok()?,
    )
}

fn all_digits(b: &[u8]) -> bool {
    b.iter().all(u8::is_ascii_digit)
}

fn digits(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(rng.random_range(b'0'..=b'9')))
        .collect()
}

fn random_upper(rng: &mut impl Rng) -> u8 {
    rng.random_range(b'A'..=b'Z')
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn nino_valid_and_normalised() {
        assert_eq!(Nino::parse("AB123456C").unwrap().as_str(), "AB123456C");
        assert_eq!(Nino::parse("ab 12 34 56 c").unwrap().as_str(), "AB123456C");
        assert_eq!(Nino::parse(" ce123456d ").unwrap().to_string(), "CE123456D");
        assert!(Nino::parse("AA000000A").is_some());
    }

    #[test]
    fn nino_invalid() {
        for prefix in ["BG", "GB", "NK", "KN", "TN", "NT", "ZZ"] {
            assert_eq!(Nino::parse(&format!("{prefix}123456A")), None, "{prefix}");
        }
        for first in ['D', 'F', 'I', 'Q', 'U', 'V'] {
            assert_eq!(Nino::parse(&format!("{first}A123456A")), None, "{first}");
        }
        for second in ['D', 'F', 'I', 'O', 'Q', 'U', 'V'] {
            assert_eq!(Nino::parse(&format!("A{second}123456A")), None, "{second}");
        }
        for bad in [
            "AB123456E",
            "AB123456",
            "AB1234567C",
            "AB12345C",
            "A1123456C",
            "AB12345XC",
            "",
            "AB123456CC",
            "AB\t123456C",
            "AB123456C\n",
            "AB\u{a0}123456C",
        ] {
            assert_eq!(Nino::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn vrn() {
        assert_eq!(Vrn::parse("101747696").unwrap().as_str(), "101747696");
        assert_eq!(Vrn::parse("101 747 696").unwrap().as_str(), "101747696");
        assert_eq!(Vrn::parse(" 101747696 ").unwrap().as_str(), "101747696");
        for bad in [
            "10174769",
            "1017476960",
            "10174769A",
            "\t101747696",
            "101747696\n",
            "",
        ] {
            assert_eq!(Vrn::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_ninos_suffix_does_not_identify_the_person() {
        assert_eq!(person_key("AB123456A"), "AB123456");
        assert_eq!(person_key("AB123456C"), person_key("AB123456A"));
        assert_eq!(person_key("101747696"), "101747696");
        assert_eq!(person_key("XATRUST12345678"), "XATRUST12345678");
    }

    #[test]
    fn utr() {
        assert_eq!(Utr::parse("2134514321").unwrap().as_str(), "2134514321");
        for bad in [
            "3134514321",
            "2134514322",
            "213451432",
            "21345143210",
            "213451432A",
        ] {
            assert_eq!(Utr::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn arn() {
        for good in ["TARN0000001", "DARN0002185", "KARN0762398"] {
            assert_eq!(Arn::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "AARN9999999",
            "SARN0000001",
            "tarn0000001",
            "TARN000001",
            "TARN00000011",
            "TABC0000001",
            "",
        ] {
            assert_eq!(Arn::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn urn_cgt_ppt_mtditid() {
        assert!(Urn::parse("XATRUST12345678").is_some());
        assert!(Urn::parse("A").is_some());
        assert_eq!(Urn::parse("XATRUST123456789"), None);
        assert_eq!(Urn::parse("xatrust12345678"), None);
        assert_eq!(Urn::parse(""), None);

        assert!(CgtRef::parse("XMCGTP123456789").is_some());
        for bad in [
            "XMCGTP12345678",
            "YMCGTP123456789",
            "X1CGTP123456789",
            "XMCGTQ123456789",
        ] {
            assert_eq!(CgtRef::parse(bad), None, "{bad}");
        }

        assert!(PptRef::parse("XAPPT0001234567").is_some());
        for bad in [
            "XAPPT0011234567",
            "XAPPT000123456",
            "xAPPT0001234567",
            "XAPPT000123456A",
        ] {
            assert_eq!(PptRef::parse(bad), None, "{bad}");
        }

        assert_eq!(
            MtdItId::parse("XAIT0000111122").unwrap().as_str(),
            "XAIT0000111122"
        );
        assert!(MtdItId::parse("abc123").is_some());
        for bad in ["", "XAIT00001111223X", "XAIT-000", "XAIT 0000"] {
            assert_eq!(MtdItId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn postcode() {
        let cases = [
            ("AA11 1AA", "AA111AA"),
            ("aa111aa", "AA111AA"),
            ("SW1A 1AA", "SW1A1AA"),
            ("W1 1AA", "W11AA"),
            ("M1A 1AA", "M1A1AA"),
            ("DN55 1PT", "DN551PT"),
            ("BFPO 1234", "BFPO1234"),
            ("BFPO1", "BFPO1"),
            ("bfpo 57", "BFPO57"),
        ];
        for (input, normalised) in cases {
            assert_eq!(
                Postcode::parse(input).map(|p| p.to_string()),
                Some(normalised.to_owned()),
                "{input}"
            );
        }
        assert_eq!(Postcode::parse("AA11 1AA"), Postcode::parse("aa111aa"));
        for bad in [
            "",
            "AA1",
            "AAA1 1AA",
            "1A1 1AA",
            "AA11 AAA",
            "AA11 11A",
            "AA11  1AA",
            "AA1 1 1AA",
            " AA11 1AA",
            "AA111 1AA",
            "A A11 1AA",
            "BFPO",
            "BFPO 12345",
            "BFPO  1",
            "BFPO A1",
        ] {
            assert_eq!(Postcode::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        assert_eq!(
            parse_date("1999-12-31"),
            NaiveDate::from_ymd_opt(1999, 12, 31)
        );
        for bad in [
            "2023-02-29",
            "2023-2-01",
            "2023-02-1",
            "2023-13-01",
            "2023-00-10",
            "2023-01-32",
            "23-02-01",
            "2023/02/01",
            "2023-02-01T00:00",
            " 2023-02-01",
            "+023-02-01",
            "2023-+2-01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn generated_identifiers_parse() {
        let mut rng = StdRng::seed_from_u64(42);
        for _ in 0..500 {
            let v = Arn::generate(&mut rng);
            assert_eq!(Arn::parse(v.as_str()), Some(v.clone()), "{v}");
            let v = Nino::generate(&mut rng);
            assert_eq!(Nino::parse(v.as_str()), Some(v.clone()), "{v}");
            let v = Vrn::generate(&mut rng);
            assert_eq!(Vrn::parse(v.as_str()), Some(v.clone()), "{v}");
            let v = Utr::generate(&mut rng);
            assert_eq!(Utr::parse(v.as_str()), Some(v.clone()), "{v}");
            let v = MtdItId::generate(&mut rng);
            assert_eq!(v.as_str().len(), 15);
            assert_eq!(MtdItId::parse(v.as_str()), Some(v.clone()), "{v}");
            let v = Urn::generate(&mut rng);
            assert_eq!(Urn::parse(v.as_str()), Some(v.clone()), "{v}");
            let v = CgtRef::generate(&mut rng);
            assert_eq!(CgtRef::parse(v.as_str()), Some(v.clone()), "{v}");
            let v = PptRef::generate(&mut rng);
            assert_eq!(PptRef::parse(v.as_str()), Some(v.clone()), "{v}");
            let v = Postcode::generate(&mut rng);
            assert_eq!(Postcode::parse(v.as_str()), Some(v.clone()), "{v}");
        }
    }
}
