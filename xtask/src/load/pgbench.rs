//! pgbench running the statements one request made: the yardstick the server's throughput is measured against.
//!
//! Each transaction of the script is one request's statements, in order, prepared once per connection
//! (`-M prepared`, as the server prepares its own). Parameters that are the same in every request are `-D`
//! definitions; those that must differ (a new request's identifiers, which would otherwise meet the duplicate
//! rules) are read per transaction from the table [`PARAMETERS_TABLE`], one row per request, by one primary-key
//! lookup ahead of the request's statements.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::capture::Statement;

/// The table holding, row `n`, the parameters that differ between requests.
pub const PARAMETERS_TABLE: &str = "bench_parameters";

/// A pgbench script and the definitions it needs.
#[derive(Debug)]
pub struct Script {
    pub text: String,
    /// `-D name=value`: parameters that are the same in every transaction.
    pub defines: Vec<(String, String)>,
    /// Statements per transaction, the parameter lookup left out: the request's round trips.
    pub round_trips: usize,
}

/// The script for `statements`, where the parameters at `varying` (statement, parameter; both from 0) come from
/// [`PARAMETERS_TABLE`]'s column `v{i}`, `i` being the position in `varying`.
pub fn script(statements: &[Statement], varying: &[(usize, usize)]) -> Script {
    let mut text = String::new();
    let mut defines = Vec::new();
    if !varying.is_empty() {
        // `k` counts this client's transactions (pgbench keeps a client's variables from one to the next), so
        // `n` is new on every transaction of every client.
        let columns: Vec<String> = (0..varying.len()).map(|i| format!("v{i}")).collect();
        text.push_str("\\set k :k + 1\n\\set n :k * :connections + :client_id\n");
        text.push_str(&format!(
            "SELECT {} FROM {PARAMETERS_TABLE} WHERE n = :n \\gset\n",
            columns.join(", ")
        ));
    }
    for (s, statement) in statements.iter().enumerate() {
        let sql = replace_parameters(&statement.sql, |p| {
            if let Some(i) = varying.iter().position(|&at| at == (s, p)) {
                return format!(":v{i}");
            }
            match statement.params.get(p) {
                Some(Some(value)) => {
                    let name = format!("s{s}p{p}");
                    defines.push((name.clone(), value.clone()));
                    format!(":{name}")
                }
                // pgbench cannot bind NULL from a variable: the literal does the same.
                _ => "NULL".to_owned(),
            }
        });
        text.push_str(&sql);
        text.push_str(";\n");
    }
    defines.sort();
    defines.dedup();
    Script {
        text,
        defines,
        round_trips: statements.len(),
    }
}

/// `sql` with each `$n` outside quoted literals replaced by `name(n - 1)`.
fn replace_parameters(sql: &str, mut name: impl FnMut(usize) -> String) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c != '$' || quoted || !chars.peek().is_some_and(char::is_ascii_digit) {
            out.push(c);
            continue;
        }
        let mut number = 0usize;
        while let Some(digit) = chars.peek().and_then(|d| d.to_digit(10)) {
            number = number * 10 + digit as usize;
            chars.next();
        }
        out.push_str(&name(number - 1));
    }
    out
}

/// What one pgbench run measured.
#[derive(Clone, Copy, Debug)]
pub struct Throughput {
    pub per_second: f64,
    pub transactions: u64,
}

/// Runs `script` (written to `file`) on `connections` connections for `length`.
pub fn run(
    pgbench: &Path,
    url: &str,
    file: &Path,
    script: &Script,
    connections: usize,
    length: Duration,
) -> Result<Throughput> {
    std::fs::write(file, &script.text)
        .with_context(|| format!("could not write {}", file.display()))?;
    let mut command = Command::new(pgbench);
    command
        .args(["--no-vacuum", "--protocol=prepared"])
        .arg(format!("--client={connections}"))
        .arg(format!("--jobs={}", connections.min(2)))
        .arg(format!("--time={}", length.as_secs().max(1)))
        .arg(format!("--define=connections={connections}"))
        .arg("--define=k=-1");
    for (name, value) in &script.defines {
        command.arg(format!("--define={name}={value}"));
    }
    command.arg(format!("--file={}", file.display())).arg(url);
    let output = command
        .output()
        .with_context(|| format!("could not run {}", pgbench.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed ({}):\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_output(&stdout).with_context(|| format!("pgbench's report is not as expected:\n{stdout}"))
}

/// The transactions and their rate from pgbench's report; a failed transaction is an error.
fn parse_output(report: &str) -> Result<Throughput> {
    let value = |label: &str| {
        report
            .lines()
            .find_map(|line| line.strip_prefix(label))
            .and_then(|rest| rest.split_whitespace().next())
    };
    if let Some(failed) = value("number of failed transactions: ")
        && failed != "0"
    {
        bail!("{failed} transactions failed");
    }
    let transactions = value("number of transactions actually processed: ")
        .and_then(|n| n.split('/').next())
        .context("no count of transactions")?
        .parse()?;
    let per_second = value("tps = ").context("no tps")?.parse()?;
    Ok(Throughput {
        per_second,
        transactions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(sql: &str, params: &[Option<&str>]) -> Statement {
        Statement {
            sql: sql.to_owned(),
            params: params.iter().map(|p| p.map(str::to_owned)).collect(),
        }
    }

    #[test]
    fn a_script_binds_constant_parameters_by_definition_and_varying_ones_from_the_table() {
        let statements = [
            statement(
                "SELECT * FROM t WHERE h = $1 AND '$2' <> $2",
                &[Some("\\xab"), Some("x")],
            ),
            statement("BEGIN", &[]),
            statement(
                "INSERT INTO u VALUES ($1, $2, $10, $3::date)",
                &[
                    Some("id-1"),
                    None,
                    Some("2026-12-03"),
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    Some("ten"),
                ],
            ),
            statement("COMMIT", &[]),
        ];
        let script = script(&statements, &[(2, 0)]);
        assert_eq!(
            script.text,
            "\\set k :k + 1\n\\set n :k * :connections + :client_id\n\
             SELECT v0 FROM bench_parameters WHERE n = :n \\gset\n\
             SELECT * FROM t WHERE h = :s0p0 AND '$2' <> :s0p1;\n\
             BEGIN;\n\
             INSERT INTO u VALUES (:v0, NULL, :s2p9, :s2p2::date);\n\
             COMMIT;\n"
        );
        let defines: Vec<(&str, &str)> = script
            .defines
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            defines,
            [
                ("s0p0", "\\xab"),
                ("s0p1", "x"),
                ("s2p2", "2026-12-03"),
                ("s2p9", "ten")
            ]
        );
        assert_eq!(script.round_trips, 4);
    }

    #[test]
    fn a_script_without_varying_parameters_has_no_lookup() {
        let script = script(&[statement("SELECT 1", &[])], &[]);
        assert_eq!(script.text, "SELECT 1;\n");
    }

    #[test]
    fn reads_pgbench_s_report() {
        let report = "transaction type: bench.pgb\nnumber of clients: 16\n\
            number of transactions actually processed: 12345\n\
            number of failed transactions: 0 (0.000%)\n\
            latency average = 1.296 ms\ntps = 4115.000123 (without initial connection time)\n";
        let run = parse_output(report).unwrap();
        assert_eq!(run.transactions, 12345);
        assert!((run.per_second - 4115.000123).abs() < 1e-9);
        let failed = report.replace("failed transactions: 0", "failed transactions: 3");
        assert!(parse_output(&failed).is_err());
    }
}
