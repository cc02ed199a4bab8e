//! The rule ledger's source: the project's rules document (`docs/domain.md`), read at run time.
//!
//! Every testable rule is a bullet that starts with its stable id in bold, `- **R-AREA-NAME** — …`, and runs on
//! over the indented lines below it. A rule no request can prove ends with `(not observable from outside:
//! reason)`: it is listed as unverifiable with that reason, never as proved. A rule marked *withdrawn* keeps its
//! id but is no longer a rule. Each other rule becomes a ledger entry `rule/R-AREA-NAME` that a fixed scenario
//! must prove.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// The prefix of a rule's ledger entry.
pub const PREFIX: &str = "rule/";

/// What marks a rule no request can prove.
const NOT_OBSERVABLE: &str = "(not observable from outside:";

/// One rule of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `R-AREA-NAME`.
    pub id: String,
    /// The section it is under, e.g. `§7 Lifecycle and relationships`.
    pub section: String,
    /// Its statement, on one line, without the id.
    pub text: String,
    /// Why it cannot be proved from outside, if it cannot.
    pub unverifiable: Option<String>,
}

impl Rule {
    /// Its ledger entry, `rule/R-AREA-NAME`.
    pub fn entry(&self) -> String {
        format!("{PREFIX}{}", self.id)
    }
}

/// The rules of the document at `path`; `None` when there is no such file (the harness run against another
/// repository's contracts).
pub fn load(path: &Path) -> Result<Option<Vec<Rule>>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    parse(&text)
        .with_context(|| format!("reading the rules of {}", path.display()))
        .map(Some)
}

/// The rules of a document's text, in document order.
pub fn parse(text: &str) -> Result<Vec<Rule>> {
    let mut rules = Vec::new();
    let mut section = String::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        let continues = line.starts_with("  ") && !line.trim().is_empty();
        if continues && let Some((_, lines)) = current.as_mut() {
            lines.push(line.trim().to_owned());
            continue;
        }
        if let Some((id, lines)) = current.take() {
            rules.extend(rule(id, &section, &lines.join(" "))?);
        }
        if let Some(heading) = line.strip_prefix("## ") {
            section = section_name(heading);
        } else if let Some((id, rest)) = rule_start(line) {
            current = Some((id, vec![rest]));
        }
    }
    if let Some((id, lines)) = current.take() {
        rules.extend(rule(id, &section, &lines.join(" "))?);
    }
    let mut seen = BTreeSet::new();
    for rule in &rules {
        if !seen.insert(rule.id.clone()) {
            bail!("the rule {} appears twice", rule.id);
        }
    }
    Ok(rules)
}

/// `§7 Lifecycle and relationships` of `7. Lifecycle and relationships`.
fn section_name(heading: &str) -> String {
    match heading.split_once(". ") {
        Some((number, title)) if number.chars().all(|c| c.is_ascii_digit()) => {
            format!("§{number} {title}")
        }
        _ => heading.trim().to_owned(),
    }
}

/// The id and the rest of a line that starts a rule: `- **R-AREA-NAME** — rest`.
fn rule_start(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix("- **R-")?;
    let (name, rest) = rest.split_once("**")?;
    let well_formed = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
    if !well_formed {
        return None;
    }
    let rest = rest.trim_start().trim_start_matches('—').trim();
    Some((format!("R-{name}"), rest.to_owned()))
}

/// A rule from its id and statement; none when it is withdrawn.
fn rule(id: String, section: &str, text: &str) -> Result<Option<Rule>> {
    if text.contains("*withdrawn*") {
        return Ok(None);
    }
    let unverifiable = match text.rfind(NOT_OBSERVABLE) {
        Some(at) => {
            let tail = text[at + NOT_OBSERVABLE.len()..].trim_end_matches(['*', ' ', '.']);
            let Some(reason) = tail.strip_suffix(')') else {
                bail!("{id}: \"{NOT_OBSERVABLE} …\" must close the rule, with its reason");
            };
            if reason.contains(')') && !balanced(reason) {
                bail!("{id}: \"{NOT_OBSERVABLE} …\" must close the rule, with its reason");
            }
            Some(reason.trim().to_owned())
        }
        None => None,
    };
    Ok(Some(Rule {
        id,
        section: section.to_owned(),
        text: text.to_owned(),
        unverifiable,
    }))
}

/// Whether the brackets of `text` pair up (a reason may hold brackets of its own).
fn balanced(text: &str) -> bool {
    let mut depth: i32 = 0;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = "\
# Rules

- **R-PREAMBLE** is under no section.

## 7. Lifecycle and relationships

Some prose.

- **R-ONE** — A first rule
  over two lines.
- **R-TWO** — Cannot be seen. *(not observable from outside: needs the
  database stopped (under a running server))*
- **R-OLD** — *withdrawn*: replaced by R-ONE.
- **lower** — not an id.

## 8. Shapes

- **R-THREE** — Last.
";

    #[test]
    fn reads_rules_their_sections_and_what_cannot_be_proved() {
        let rules = parse(DOCUMENT).unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["R-PREAMBLE", "R-ONE", "R-TWO", "R-THREE"]);
        assert_eq!(rules[1].section, "§7 Lifecycle and relationships");
        assert_eq!(rules[1].text, "A first rule over two lines.");
        assert_eq!(rules[1].unverifiable, None);
        assert_eq!(
            rules[2].unverifiable.as_deref(),
            Some("needs the database stopped (under a running server)")
        );
        assert_eq!(rules[3].section, "§8 Shapes");
        assert_eq!(rules[3].entry(), "rule/R-THREE");
    }

    #[test]
    fn refuses_ids_twice_and_a_reason_that_does_not_close_the_rule() {
        let twice = "## 1. A\n\n- **R-A** — one.\n- **R-A** — two.\n";
        assert!(
            parse(twice)
                .unwrap_err()
                .to_string()
                .contains("R-A appears twice")
        );
        let open = "## 1. A\n\n- **R-A** — (not observable from outside: why) and more words.\n";
        assert!(
            parse(open)
                .unwrap_err()
                .to_string()
                .contains("must close the rule")
        );
    }

    #[test]
    fn a_missing_document_is_none() {
        assert_eq!(load(Path::new("/no/such/domain.md")).unwrap(), None);
    }
}
