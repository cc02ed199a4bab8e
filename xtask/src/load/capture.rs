//! The statements a request made, read back from PostgreSQL's log (`log_statement = 'all'`, the default
//! `log_line_prefix` of `%m [%p] `): one entry per statement executed, with the values its parameters were bound to.

/// One statement as PostgreSQL executed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The text, with `$1`, `$2`… where the parameters go.
    pub sql: String,
    /// Each parameter's value as PostgreSQL logged it (its text form); `None` for NULL.
    pub params: Vec<Option<String>>,
}

/// The statements in `log` (a stretch of PostgreSQL's log), in order, leaving out those of the session `skip_pid`
/// (the benchmark's own).
pub fn statements(log: &str, skip_pid: u32) -> Vec<Statement> {
    let mut found: Vec<Statement> = Vec::new();
    // Whether the last message was a statement of a session not skipped: only then do DETAIL and continuation
    // lines belong to it.
    let mut open = false;
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix('\t') {
            if open && let Some(last) = found.last_mut() {
                last.sql.push('\n');
                last.sql.push_str(rest);
            }
            continue;
        }
        let Some((pid, message)) = split_prefix(line) else {
            open = false;
            continue;
        };
        if let Some(detail) = message.strip_prefix("DETAIL:  parameters: ") {
            if open && let Some(last) = found.last_mut() {
                last.params = parameters(detail);
            }
            continue;
        }
        open = false;
        if pid == skip_pid {
            continue;
        }
        if let Some(sql) = statement_text(message) {
            found.push(Statement {
                sql: sql.to_owned(),
                params: Vec::new(),
            });
            open = true;
        }
    }
    found
}

/// The session's process id and the message, from `2026-12-03 05:20:48.693 UTC [10246] LOG:  …`.
fn split_prefix(line: &str) -> Option<(u32, &str)> {
    let open = line.find(" [")?;
    let close = open + line[open..].find("] ")?;
    let pid = line[open + 2..close].parse().ok()?;
    Some((pid, &line[close + 2..]))
}

/// The SQL of a `statement:` (simple protocol) or `execute <name>:` (extended protocol) message.
fn statement_text(message: &str) -> Option<&str> {
    let message = message.strip_prefix("LOG:  ")?;
    if let Some(sql) = message.strip_prefix("statement: ") {
        return Some(sql);
    }
    let rest = message.strip_prefix("execute ")?;
    let colon = rest.find(": ")?;
    Some(&rest[colon + 2..])
}

/// `$1 = 'a''b', $2 = NULL` → `[Some("a'b"), None]`.
fn parameters(detail: &str) -> Vec<Option<String>> {
    let mut values = Vec::new();
    let mut rest = detail;
    while let Some(at) = rest.find(" = ") {
        rest = &rest[at + 3..];
        if let Some(after) = rest.strip_prefix("NULL") {
            values.push(None);
            rest = after;
            continue;
        }
        let Some(quoted) = rest.strip_prefix('\'') else {
            break;
        };
        let (value, after) = unquote(quoted);
        values.push(Some(value));
        rest = after;
    }
    values
}

/// The value of a quoted literal whose opening quote is already taken, and what follows its closing quote.
fn unquote(quoted: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = quoted.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c != '\'' {
            value.push(c);
        } else if chars.peek().is_some_and(|&(_, next)| next == '\'') {
            value.push('\'');
            chars.next();
        } else {
            return (value, &quoted[at + 1..]);
        }
    }
    (value, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
2026-12-03 05:20:48.690 UTC [7] LOG:  statement: ALTER SYSTEM SET log_statement = 'all'
2026-12-03 05:20:48.693 UTC [10246] LOG:  execute s20: SELECT a FROM t WHERE h = $1 AND e > $2
2026-12-03 05:20:48.693 UTC [10246] DETAIL:  parameters: $1 = '\\xbe', $2 = '2026-12-03 05:20:48.690322+00'
2026-12-03 05:20:48.694 UTC [10246] LOG:  statement: BEGIN
2026-12-03 05:20:48.695 UTC [10247] LOG:  execute <unnamed>: SELECT b
\tFROM u WHERE x = $1 AND y = $2 AND z = $3
2026-12-03 05:20:48.695 UTC [10247] DETAIL:  parameters: $1 = 'it''s, $2 = x', $2 = NULL, $3 = '{1,2}'
2026-12-03 05:20:48.696 UTC [7] LOG:  execute s1: SELECT pg_reload_conf()
2026-12-03 05:20:48.696 UTC [7] DETAIL:  parameters: $1 = 'ours'
2026-12-03 05:20:48.704 UTC [10246] LOG:  statement: COMMIT
2026-12-03 05:20:48.705 UTC [44] LOG:  checkpoint starting: time
";

    #[test]
    fn reads_each_statement_with_its_parameters_and_leaves_out_the_skipped_session() {
        let found = statements(LOG, 7);
        let text: Vec<&str> = found.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(
            text,
            [
                "SELECT a FROM t WHERE h = $1 AND e > $2",
                "BEGIN",
                "SELECT b\nFROM u WHERE x = $1 AND y = $2 AND z = $3",
                "COMMIT",
            ]
        );
        assert_eq!(
            found[0].params,
            [
                Some("\\xbe".to_owned()),
                Some("2026-12-03 05:20:48.690322+00".to_owned())
            ]
        );
        assert!(found[1].params.is_empty());
        assert_eq!(
            found[2].params,
            [
                Some("it's, $2 = x".to_owned()),
                None,
                Some("{1,2}".to_owned())
            ]
        );
    }

    #[test]
    fn a_checkpoint_or_other_message_is_no_statement() {
        assert!(
            statements(
                "2026-12-03 05:20:48.705 UTC [44] LOG:  checkpoint starting: time\n",
                7
            )
            .is_empty()
        );
    }
}
