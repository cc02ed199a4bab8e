//! `cargo xtask test`: the schema check and every test against a fresh private PostgreSQL, then the browser test of
//! the client's pages in headless Chromium, the OpenAPI round-trip check, the conformance run and its mutation proof.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::browser::BrowserBinaries;
use crate::postgres::{Purpose, with_postgres};
use crate::system;

#[derive(clap::Args)]
pub struct TestArgs {
    /// If PostgreSQL, Chromium or ChromeDriver is missing, install it with apt-get (root on Debian/Ubuntu;
    /// automatic when CI=true)
    #[arg(long)]
    install: bool,
    /// Extra arguments for `cargo test`, e.g. `cargo xtask test -- invitation` to run only matching tests, or
    /// `cargo xtask test -- -- --nocapture`
    #[arg(last = true, value_name = "CARGO_TEST_ARGS")]
    cargo_test_args: Vec<String>,
}

/// Test counts summed over every `test result:` line of `cargo test`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    passed: u64,
    failed: u64,
    ignored: u64,
    /// How many `test result:` lines were seen.
    suites: u64,
}

impl Counts {
    /// Adds a run of tests the first run listed as ignored: those that ran are no longer skipped.
    fn add_second_run(&mut self, second: &Counts) {
        self.passed += second.passed;
        self.failed += second.failed;
        self.ignored = self.ignored.saturating_sub(second.passed + second.failed) + second.ignored;
        self.suites += second.suites;
    }

    /// Adds a libtest summary line: `test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; ...`.
    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        self.suites += 1;
        for part in rest.split(['.', ';']) {
            let mut words = part.split_whitespace();
            let (Some(number), Some(label)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(number) = number.parse::<u64>() else {
                continue;
            };
            match label {
                "passed" => self.passed += number,
                "failed" => self.failed += number,
                "ignored" => self.ignored += number,
                _ => {}
            }
        }
    }
}

pub fn run(root: &Path, args: &TestArgs) -> Result<()> {
    let started = Instant::now();
    let mut counts = Counts::default();

    let outcome = run_steps(root, args, &mut counts);

    let elapsed = format_duration(started.elapsed());
    match outcome {
        Ok(()) => {
            println!(
                "==> all passed in {elapsed}: the schema check, cargo test ({} tests in {} suites, {} ignored), the \
                 browser test, the openapi checks, the conformance run and its mutation proof, and a new version \
                 added in a scratch copy",
                counts.passed, counts.suites, counts.ignored
            );
            // The plain closing line: the schema check and the openapi check count as two more passing tests.
            println!(
                "xtask: {} passed, 0 failed, {} skipped",
                counts.passed + 2,
                counts.ignored
            );
            Ok(())
        }
        Err(error) => {
            if counts.suites > 0 && !crate::interrupt::received() {
                println!(
                    "xtask: {} passed, {} failed, {} skipped",
                    counts.passed, counts.failed, counts.ignored
                );
            }
            Err(error.context(format!("cargo xtask test FAILED after {elapsed}")))
        }
    }
}

/// The steps, in order, stopping at the first failure. The cluster (if any) is stopped when this returns, whether
/// it succeeded or not, before the summary is printed.
fn run_steps(root: &Path, args: &TestArgs, counts: &mut Counts) -> Result<()> {
    warn_if_disk_is_short(root);
    // Style first: a formatting slip or a lint should fail in a minute, not after the tests.
    check_style(root)?;
    // Before anything long: a missing browser should fail in seconds, not after the tests.
    let browser = BrowserBinaries::locate_or_install(args.install)?;
    let dir = root.join("target/postgres/test");
    with_postgres(&dir, Purpose::Test, args.install, |postgres| {
        crate::interrupt::check()?;
        // Seconds, and a mismatch would fail the tests in ways that hide its cause.
        println!("==> cargo xtask schema check");
        crate::schema::check_in_test(root, &postgres.admin_url)
            .context("the schema check failed")?;
        run_tests_and_checks(root, args, &postgres.admin_url, &browser, counts)
    })
}

/// Every test, the browser test, the contract checks, the conformance run and adding a version, against
/// `database_url`.
fn run_tests_and_checks(
    root: &Path,
    args: &TestArgs,
    database_url: &str,
    browser: &BrowserBinaries,
    counts: &mut Counts,
) -> Result<()> {
    let mut all_tests = vec!["test", "--workspace", "--all-targets"];
    all_tests.extend(args.cargo_test_args.iter().map(String::as_str));
    cargo_test(root, database_url, &all_tests, counts)?;
    crate::interrupt::check()?;
    println!(
        "==> the browser test: headless {}",
        browser.chromium.display()
    );
    let browser_env = [
        ("CHROMIUM", browser.chromium.as_os_str()),
        ("CHROMEDRIVER", browser.chromedriver.as_os_str()),
    ];
    let mut browser_counts = Counts::default();
    let outcome = browser_test(root, database_url, &browser_env, &mut browser_counts);
    counts.add_second_run(&browser_counts);
    outcome.context("the browser test failed; its screenshots are in target/browser-test")?;
    crate::interrupt::check()?;
    println!("==> cargo xtask openapi check");
    crate::openapi::check(root).context("the openapi check failed")?;
    println!("==> cargo xtask openapi breaking");
    crate::openapi::breaking_in_test(root).context("the openapi breaking-change check failed")?;
    crate::interrupt::check()?;
    println!("==> cargo xtask conformance (and its mutation proof)");
    crate::conformance::run_in_test(root, database_url).context("the conformance run failed")?;
    crate::interrupt::check()?;
    let mut version_counts = Counts::default();
    let outcome = adding_a_version(root, database_url, &mut version_counts);
    counts.add_second_run(&version_counts);
    outcome.context("adding a version in a scratch copy failed")
}

/// `cargo fmt --check`, then clippy with warnings as errors; each failure names the command that fixes or shows it.
fn check_style(root: &Path) -> Result<()> {
    let steps: [(&[&str], &str); 2] = [
        (&["fmt", "--all", "--", "--check"], "cargo fmt --all"),
        (
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
            "cargo clippy --workspace --all-targets -- -D warnings",
        ),
    ];
    for (args, fix) in steps {
        println!("==> cargo {}", args.join(" "));
        let status = crate::cargo()
            .args(args)
            .current_dir(root)
            .stdin(Stdio::null())
            .status()
            .with_context(|| format!("could not run cargo {}", args[0]))?;
        if !status.success() {
            bail!(
                "cargo {} failed: run `{fix}` and commit the result",
                args[0]
            );
        }
        crate::interrupt::check()?;
    }
    Ok(())
}

/// The browser test's module in the integration test binary: the filter that selects it.
const BROWSER_TESTS: &str = "web::browser::";

/// The browser test is ignored by a plain `cargo test` (it needs Chromium); here it runs. Its executable is the one
/// the run of every test built: asking cargo for that one target alone would resolve features differently and
/// build much of the tree again.
fn browser_test(
    root: &Path,
    database_url: &str,
    envs: &[(&str, &OsStr)],
    counts: &mut Counts,
) -> Result<()> {
    let executable = test_executable(root, "integration")?;
    println!("==> {} {BROWSER_TESTS} --ignored", executable.display());
    let mut command = Command::new(&executable);
    command
        .args([BROWSER_TESTS, "--ignored"])
        // Where `cargo test` runs a package's tests.
        .current_dir(root.join("server"))
        .env("DATABASE_URL", database_url)
        .envs(envs.iter().copied());
    run_tests(command, counts)
}

/// The proof that a new API version is new files only (xtask/tests/adding_a_version.rs): ignored by a plain
/// `cargo test`, as it builds the server again in a scratch copy of the repository.
fn adding_a_version(root: &Path, database_url: &str, counts: &mut Counts) -> Result<()> {
    let executable = test_executable(root, "adding_a_version")?;
    println!("==> {} --ignored", executable.display());
    let mut command = Command::new(&executable);
    command
        .arg("--ignored")
        .current_dir(root.join("xtask"))
        .env("DATABASE_URL", database_url);
    run_tests(command, counts)
}

/// What a first run writes under `target/` (the build, the fault-injection build, PostgreSQL's data), rounded up:
/// measured at about 4 GiB, or 5 GiB with incremental compilation's caches outside CI.
const FIRST_RUN_DISK: u64 = 6 << 30;

/// A full disk fails the build minutes in, with an error from deep inside rustc or the linker; saying so up front
/// names the cause. Only a warning: a target directory kept from an earlier run needs far less.
fn warn_if_disk_is_short(root: &Path) {
    let target = root.join("target");
    let measured = if target.exists() { &target } else { root };
    if let Some(free) = system::free_bytes(measured)
        && free < FIRST_RUN_DISK
    {
        println!(
            "==> warning: {:.1} GiB free on the disk holding {}; a first run needs about {} GiB",
            free as f64 / f64::from(1 << 30),
            target.display(),
            FIRST_RUN_DISK >> 30
        );
    }
}

/// The executable of the integration test `name`, as `cargo test --workspace --all-targets` built it.
fn test_executable(root: &Path, name: &str) -> Result<PathBuf> {
    let output = crate::cargo()
        .args([
            "test",
            "--workspace",
            "--all-targets",
            "--no-run",
            "--message-format=json",
        ])
        .current_dir(root)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("could not run cargo test --no-run")?;
    if !output.status.success() {
        bail!("cargo test --no-run failed ({})", output.status);
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|message| {
            message["reason"] == "compiler-artifact"
                && message["target"]["name"] == name
                && message["target"]["kind"][0] == "test"
        })
        .and_then(|message| message["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| anyhow!("cargo test --no-run built no test named {name}"))
}

fn cargo_test(root: &Path, database_url: &str, args: &[&str], counts: &mut Counts) -> Result<()> {
    println!("==> cargo {}", args.join(" "));
    println!("    DATABASE_URL={}", crate::db::redact_url(database_url));
    let mut command = crate::cargo();
    command
        .args(args)
        .current_dir(root)
        .env("DATABASE_URL", database_url);
    run_tests(command, counts)
}

/// Runs tests, streaming their output and counting their result lines.
fn run_tests(mut command: Command, counts: &mut Counts) -> Result<()> {
    let mut child = command
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .context("could not run the tests")?;

    // Stream the tests' output as it comes, noting the result lines.
    if let Some(stdout) = child.stdout.take() {
        let mut out = std::io::stdout().lock();
        for line in BufReader::new(stdout).split(b'\n') {
            let line = line.context("could not read the tests' output")?;
            let _ = out.write_all(&line);
            let _ = out.write_all(b"\n");
            let _ = out.flush();
            counts.add_line(&String::from_utf8_lossy(&line));
        }
    }
    let status = child.wait().context("could not wait for the tests")?;
    if status.success() {
        Ok(())
    } else if counts.failed > 0 {
        Err(anyhow!("{} test(s) failed ({status})", counts.failed))
    } else {
        bail!("the tests failed ({status}); see their output above")
    }
}

fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds >= 60 {
        format!("{}m{:02}s", seconds / 60, seconds % 60)
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_libtest_result_lines() {
        let mut counts = Counts::default();
        counts.add_line("test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s");
        counts.add_line("test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 5 filtered out; finished in 1.50s");
        counts.add_line("running 5 tests");
        counts.add_line("test invitations::create ... ok");
        assert_eq!(
            counts,
            Counts {
                passed: 15,
                failed: 2,
                ignored: 1,
                suites: 2
            }
        );
    }

    #[test]
    fn a_second_run_of_ignored_tests_is_no_longer_skipped() {
        let mut counts = Counts {
            passed: 10,
            failed: 0,
            ignored: 4,
            suites: 2,
        };
        let mut second = Counts::default();
        second.add_line("test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 9.81s");
        counts.add_second_run(&second);
        assert_eq!(
            counts,
            Counts {
                passed: 13,
                failed: 0,
                ignored: 1,
                suites: 3
            }
        );
    }

    #[test]
    fn formats_durations() {
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_secs(62)), "1m02s");
    }
}
