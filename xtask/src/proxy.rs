//! `cargo xtask proxy`: the validating proxy in front of a private server and PostgreSQL, started the way
//! `cargo xtask conformance` starts them (or in front of any server with `--upstream`). Point the software under
//! test at the proxy; Ctrl-C stops it, and it writes its client-side ledger and prints what the software met.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::build::{self, Scope};
use crate::conformance::{HARNESS_BIN, private_server};
use crate::db::database_url;
use crate::interrupt;
use crate::postgres::{Purpose, with_postgres};
use crate::server::SERVER_BIN;

const DATABASE: &str = "agent_auth_proxy";

#[derive(clap::Args)]
pub struct ProxyArgs {
    /// Where the proxy listens
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
    listen: String,
    /// Put the proxy in front of this running server instead of a private one
    #[arg(long, value_name = "URL")]
    upstream: Option<String>,
    /// Refuse requests that break the contract (400 CONTRACT_VIOLATION) instead of forwarding them
    #[arg(long)]
    strict: bool,
    /// Who answers Gov-Test-Scenario requests: auto, local or upstream
    #[arg(long, value_name = "MODE", default_value = "auto")]
    answer_scenarios: String,
    /// Where the proxy writes client-ledger.json and junit.xml
    #[arg(long, value_name = "DIR", default_value = "target/conformance-proxy")]
    report_dir: PathBuf,
    /// If PostgreSQL is missing, install it with apt-get (root on Debian/Ubuntu; automatic when CI=true)
    #[arg(long)]
    install: bool,
}

/// `cargo xtask proxy`.
pub fn run(root: &Path, args: &ProxyArgs) -> Result<()> {
    let bins: &[&str] = match args.upstream {
        Some(_) => &[HARNESS_BIN],
        None => &[HARNESS_BIN, SERVER_BIN],
    };
    let binaries = build::binaries(root, bins, Scope::Binaries, None)?;
    let proxy = &binaries[HARNESS_BIN];
    if let Some(upstream) = &args.upstream {
        return run_proxy(root, proxy, upstream, args);
    }
    let dir = root.join("target/postgres/proxy");
    with_postgres(&dir, Purpose::Test, args.install, |postgres| {
        let server = private_server(
            &binaries[SERVER_BIN],
            root,
            &database_url(&postgres.admin_url, DATABASE),
            "server.log",
            &[],
        )?;
        println!("==> {SERVER_BIN} is up at {} (private)", server.base_url);
        run_proxy(root, proxy, &server.base_url, args)
    })
}

fn run_proxy(root: &Path, binary: &Path, upstream: &str, args: &ProxyArgs) -> Result<()> {
    println!(
        "==> conformance proxy on http://{} in front of {upstream}: point your software at it, e.g.\n    \
         cargo run -p agent-software -- http://{}\n    Ctrl-C stops it and writes {}",
        args.listen,
        args.listen,
        args.report_dir.display()
    );
    let mut command = Command::new(binary);
    command
        .current_dir(root)
        .args(["proxy", "--upstream", upstream, "--listen", &args.listen])
        .args(["--answer-scenarios", &args.answer_scenarios])
        .arg("--report-dir")
        .arg(&args.report_dir)
        .args(args.strict.then_some("--strict"))
        .stdin(Stdio::null())
        // Its own process group: Ctrl-C reaches xtask only, which forwards it exactly once.
        .process_group(0);
    crate::system::stop_with_xtask(&mut command);
    let mut child = command
        .spawn()
        .with_context(|| format!("could not start {}", binary.display()))?;
    let status = wait_forwarding_signals(&mut child)?;
    match status.code() {
        Some(0) => Ok(()),
        Some(1) => bail!(
            "the proxy saw contract violations; see its output above and {}",
            args.report_dir.display()
        ),
        _ => bail!("the proxy could not run ({status}); see its output above"),
    }
}

/// Waits for the proxy, passing on each signal xtask receives (the proxy writes its reports on the first).
fn wait_forwarding_signals(child: &mut Child) -> Result<ExitStatus> {
    let mut handled = 0;
    loop {
        if let Some(status) = child.try_wait().context("could not wait for the proxy")? {
            return Ok(status);
        }
        let received = interrupt::count();
        if received > handled {
            handled = received;
            if let Ok(pid) = libc::pid_t::try_from(child.id()) {
                // SAFETY: kill(2) on our own child, which has not been reaped (try_wait just said it runs).
                unsafe {
                    libc::kill(pid, interrupt::last_signal());
                }
            }
        }
        thread::sleep(Duration::from_millis(100));
    }
}
