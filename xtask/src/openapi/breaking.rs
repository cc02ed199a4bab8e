//! `cargo xtask openapi breaking`: what changed between two versions of the contracts, classified by the one
//! rule table in `breaking/rules.rs`, failing on a breaking change that `openapi/accepted-breaking-changes.yaml`
//! does not acknowledge.
//!
//! Either `--old OLD.yaml --new NEW.yaml`, or `--base GIT_REF`: every contract under `openapi/` in the working
//! tree against its version at that ref. A contract new since the ref is never breaking; one deleted since is
//! (every operation removed). Exit 0 when nothing breaks, 1 on an unacknowledged breaking change, 2 when a
//! file cannot be read or parsed or the ref does not exist.

mod accepted;
mod compare;
mod rules;
mod schema;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use self::accepted::Accepted;
use self::compare::Change;
use super::contract::{self, Contract};

#[derive(clap::Args)]
pub struct BreakingArgs {
    /// The old version of one contract (with --new)
    #[arg(
        long,
        value_name = "OLD.yaml",
        requires = "new",
        conflicts_with = "base"
    )]
    old: Option<PathBuf>,
    /// The new version of one contract (with --old)
    #[arg(long, value_name = "NEW.yaml", requires = "old")]
    new: Option<PathBuf>,
    /// Compare every contract under openapi/ with its version at this git ref
    #[arg(long, value_name = "GIT_REF", required_unless_present_any = ["old", "rules"])]
    base: Option<String>,
    /// `text`: one line per change; `json`: an array of changes
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Print the rules (id, breaking or info, what each is) and exit
    #[arg(long, exclusive = true)]
    rules: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// What to compare.
pub enum Source {
    Files { old: PathBuf, new: PathBuf },
    Base(String),
}

/// Every change found, with the reason it was accepted where it was.
pub struct Report {
    pub changes: Vec<Reported>,
    /// How many contract files were compared.
    pub files: usize,
    /// What the contracts were compared with, for the summary line.
    pub against: String,
}

pub struct Reported {
    pub change: Change,
    /// The reason from the accepted changes file, if a breaking change is acknowledged there.
    pub accepted: Option<String>,
}

impl Report {
    fn new(changes: Vec<Change>, accepted: &[Accepted], files: usize, against: String) -> Self {
        let changes = changes
            .into_iter()
            .map(|change| {
                let accepted = accepted
                    .iter()
                    .find(|entry| entry.covers(&change))
                    .map(|entry| entry.reason.clone());
                Reported { change, accepted }
            })
            .collect();
        Report {
            changes,
            files,
            against,
        }
    }

    /// Breaking changes no entry of the accepted changes file acknowledges.
    pub fn unacknowledged(&self) -> usize {
        self.changes
            .iter()
            .filter(|reported| reported.change.rule.breaking() && reported.accepted.is_none())
            .count()
    }
}

/// 0 when nothing breaks, 1 on an unacknowledged breaking change, 2 when the contracts could not be compared.
pub fn exit_code(outcome: &Result<Report>) -> u8 {
    match outcome {
        Ok(report) if report.unacknowledged() == 0 => 0,
        Ok(_) => 1,
        Err(_) => 2,
    }
}

/// The command: compares, prints the report (or why it could not compare) and says how to exit.
pub fn run(root: &Path, args: &BreakingArgs) -> ExitCode {
    if args.rules {
        for rule in rules::ALL {
            let kind = if rule.breaking() { "breaking" } else { "info" };
            println!("{:<50} {kind:<8} {}", rule.id(), rule.description());
        }
        return ExitCode::SUCCESS;
    }
    let source = match (&args.old, &args.new, &args.base) {
        (Some(old), Some(new), _) => Source::Files {
            old: old.clone(),
            new: new.clone(),
        },
        (_, _, Some(base)) => Source::Base(base.clone()),
        // clap requires one of the two forms; this is only for completeness.
        _ => {
            eprintln!("error: give --old and --new, or --base");
            return ExitCode::from(2);
        }
    };
    let outcome = evaluate(root, &source);
    match &outcome {
        Ok(report) if args.format == Format::Json => println!("{}", to_json(report)),
        Ok(report) => print_text(report),
        Err(error) => eprintln!("error: {error:#}"),
    }
    ExitCode::from(exit_code(&outcome))
}

/// Compares what `source` names, and applies the accepted changes of the working tree.
pub fn evaluate(root: &Path, source: &Source) -> Result<Report> {
    let accepted = accepted::load(root)?;
    let (versions, against) = match source {
        Source::Files { old, new } => (vec![file_versions(root, old, new)?], display(root, old)),
        Source::Base(base) => (versions_at(root, base)?, base.clone()),
    };
    let mut changes = Vec::new();
    for (file, old, new) in &versions {
        changes.extend(compare::compare_files(file, old.as_ref(), new.as_ref())?);
    }
    Ok(Report::new(changes, &accepted, versions.len(), against))
}

/// One contract file: its name, and its old and new versions (None where it does not exist).
type Versions = (String, Option<Contract>, Option<Contract>);

fn file_versions(root: &Path, old: &Path, new: &Path) -> Result<Versions> {
    let read = |path: &Path| -> Result<Contract> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        contract::parse(Path::new(&display(root, path)), &text)
    };
    Ok((display(root, new), Some(read(old)?), Some(read(new)?)))
}

/// A path as the report names it: relative to the workspace root when it is inside it.
fn display(root: &Path, path: &Path) -> String {
    let absolute = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    absolute
        .strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Every contract under `openapi/`, in the working tree and at `base`.
fn versions_at(root: &Path, base: &str) -> Result<Vec<Versions>> {
    let Ok(commit) = git(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{base}^{{commit}}"),
        ],
    ) else {
        bail!("the git ref '{base}' does not exist (or this is not a git checkout)");
    };
    let listing = git(root, &["ls-tree", "--name-only", &commit, "--", "openapi/"])?;
    let mut names: BTreeSet<String> = listing
        .lines()
        .filter_map(|line| line.strip_prefix("openapi/"))
        .filter(|name| contract::is_contract_file_name(name))
        .map(|name| format!("openapi/{name}"))
        .collect();
    let in_tree = contract::contract_files(root)?;
    names.extend(in_tree.iter().map(|path| display(root, path)));
    let mut versions = Vec::new();
    for name in names {
        let old = if listing.lines().any(|line| line == name) {
            let text = git(root, &["show", &format!("{commit}:{name}")])?;
            Some(contract::parse(Path::new(&name), &text).with_context(|| format!("at {base}"))?)
        } else {
            None
        };
        let path = root.join(&name);
        let new = if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Some(contract::parse(Path::new(&name), &text)?)
        } else {
            None
        };
        versions.push((name, old, new));
    }
    Ok(versions)
}

/// Runs git in the workspace and returns its standard output, trimmed.
fn git(root: &Path, args: &[&str]) -> Result<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .context("could not run git")?;
    if !output.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn print_text(report: &Report) {
    for reported in &report.changes {
        println!("{}", text_line(reported));
    }
    let count = |wanted: &str| {
        report
            .changes
            .iter()
            .filter(|reported| tag(reported) == wanted)
            .count()
    };
    println!(
        "openapi breaking: {} breaking, {} accepted, {} info; {} contract file(s) compared with {}",
        count("BREAKING"),
        count("accepted"),
        count("info"),
        report.files,
        report.against
    );
}

fn tag(reported: &Reported) -> &'static str {
    match (&reported.accepted, reported.change.rule.breaking()) {
        (Some(_), _) => "accepted",
        (None, true) => "BREAKING",
        (None, false) => "info",
    }
}

/// `BREAKING openapi/x.yaml get_thing (GET /things/{id}): response 200 property 'a' removed [rule-id]`.
fn text_line(reported: &Reported) -> String {
    let change = &reported.change;
    let operation = match &change.operation {
        Some(op) => match &op.id {
            Some(id) => format!(" {id} ({} {})", op.method, op.path),
            None => format!(" ({} {})", op.method, op.path),
        },
        None => String::new(),
    };
    let mut line = format!(
        "{} {}{operation}: {} [{}]",
        tag(reported),
        change.file,
        change.message,
        change.rule.id()
    );
    if let Some(reason) = &reported.accepted {
        line.push_str(&format!(" (accepted: {reason})"));
    }
    line
}

fn to_json(report: &Report) -> String {
    let changes: Vec<Value> = report
        .changes
        .iter()
        .map(|reported| {
            let change = &reported.change;
            let operation = change.operation.as_ref();
            let mut value = json!({
                "file": change.file,
                "operation_id": operation.and_then(|op| op.id.clone()),
                "method": operation.map(|op| op.method.clone()),
                "path": operation.map(|op| op.path.clone()),
                "rule": change.rule.id(),
                "breaking": change.rule.breaking(),
                "acknowledged": reported.accepted.is_some(),
                "message": change.message,
            });
            if let Some(reason) = &reported.accepted {
                value["reason"] = json!(reason);
            }
            value
        })
        .collect();
    serde_json::to_string_pretty(&changes).unwrap_or_else(|_| "[]".to_string())
}

/// The step of `cargo xtask test`: the contracts against the merge base with `origin/main` (or `HEAD~1` without
/// it), failing on an unacknowledged breaking change; skipped, saying why, when neither resolves.
pub fn check_in_test(root: &Path) -> Result<()> {
    let (base, why) = match default_base(root) {
        Ok(found) => found,
        Err(reason) => {
            println!("    skipped: {reason}");
            return Ok(());
        }
    };
    println!("    against {base} ({why})");
    let report = evaluate(root, &Source::Base(base))?;
    print_text(&report);
    match report.unacknowledged() {
        0 => Ok(()),
        count => bail!(
            "{count} breaking change(s) to the contracts; undo them, or acknowledge each in openapi/{}",
            contract::ACCEPTED_BREAKING_CHANGES_FILE
        ),
    }
}

/// The commit a branch's contracts are held to, and how it was chosen; or why there is none.
fn default_base(root: &Path) -> Result<(String, &'static str), String> {
    let resolves = |name: &str| {
        git(
            root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{name}^{{commit}}"),
            ],
        )
    };
    if resolves("origin/main").is_ok()
        && let Ok(base) = git(root, &["merge-base", "HEAD", "origin/main"])
    {
        return Ok((base, "the merge base of HEAD and origin/main"));
    }
    match resolves("HEAD~1") {
        Ok(base) => Ok((base, "HEAD~1: there is no origin/main")),
        Err(_) => Err(
            "neither origin/main nor HEAD~1 resolves (a one-commit clone?), so there is no earlier version \
             of the contracts to compare with"
                .to_string(),
        ),
    }
}
