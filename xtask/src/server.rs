//! The server as xtask runs it: a child process of `agent-auth-server`, ready once it accepts connections, and
//! stopped (SIGTERM, then SIGKILL) when dropped, so no error path leaves it behind. `serve` runs one in the
//! foreground; `conformance`, `proxy` and `bench` run private ones on free ports, their output in a log file.

use std::fs::File;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::interrupt;

pub const SERVER_BIN: &str = "agent-auth-server";
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a server asked to stop gets before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `serve`'s server gets to shut down gracefully after the first Ctrl-C before it is killed.
const INTERRUPT_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// How to start a server.
pub struct Launch<'a> {
    pub binary: &'a Path,
    pub root: &'a Path,
    pub database_url: &'a str,
    pub bind: SocketAddr,
    /// `PUBLIC_BASE_URL`: where clients reach it.
    pub base_url: String,
    /// More environment for it.
    pub env: &'a [(&'a str, &'a str)],
    /// Where its output goes: this file, or xtask's own output when `None`.
    pub log: Option<PathBuf>,
}

impl Launch<'_> {
    fn command(&self) -> Result<Command> {
        let mut command = Command::new(self.binary);
        command
            .current_dir(self.root)
            .env("DATABASE_URL", self.database_url)
            .env("BIND_ADDRESS", self.bind.to_string())
            .env("PUBLIC_BASE_URL", &self.base_url)
            // A fault of the fault-injection build comes from the launch alone, never from xtask's environment.
            .env_remove("AGENT_AUTH_FAULT")
            .envs(self.env.iter().copied())
            .stdin(Stdio::null())
            // Its own process group: Ctrl-C reaches xtask only, which forwards it exactly once.
            .process_group(0);
        if let Some(log) = &self.log {
            let file = File::create(log).with_context(|| format!("creating {}", log.display()))?;
            command.stdout(file.try_clone()?).stderr(file);
        }
        crate::system::stop_with_xtask(&mut command);
        Ok(command)
    }
}

/// A running server process.
pub struct Server {
    child: Child,
    exited: Option<ExitStatus>,
    /// Whether xtask has asked it to stop.
    signalled: bool,
    /// Where to connect to it.
    address: SocketAddr,
    pub base_url: String,
    log: Option<PathBuf>,
}

impl Server {
    /// Starts the server without waiting for it; see [`Server::wait_until_ready`].
    pub fn spawn(launch: &Launch<'_>) -> Result<Server> {
        let child = launch
            .command()?
            .spawn()
            .with_context(|| format!("could not start {}", launch.binary.display()))?;
        Ok(Server {
            child,
            exited: None,
            signalled: false,
            address: connect_address(launch.bind),
            base_url: launch.base_url.clone(),
            log: launch.log.clone(),
        })
    }

    /// Starts the server and waits until it accepts connections; an interruption meanwhile is an error.
    pub fn start(launch: &Launch<'_>) -> Result<Server> {
        let mut server = Server::spawn(launch)?;
        if !server.wait_until_ready()? {
            interrupt::check()?;
        }
        Ok(server)
    }

    /// Waits until the server accepts TCP connections. `Ok(false)` if xtask was interrupted meanwhile.
    pub fn wait_until_ready(&mut self) -> Result<bool> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.try_wait()? {
                bail!(
                    "{SERVER_BIN} exited ({status}) before it accepted connections: {}",
                    self.output()
                );
            }
            if interrupt::received() {
                return Ok(false);
            }
            if TcpStream::connect_timeout(&self.address, Duration::from_millis(200)).is_ok() {
                return Ok(true);
            }
            if started.elapsed() > READY_TIMEOUT {
                bail!(
                    "{SERVER_BIN} did not accept connections on {} within {} s: {}",
                    self.address,
                    READY_TIMEOUT.as_secs(),
                    self.output()
                );
            }
            thread::sleep(POLL);
        }
    }

    /// The server's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether xtask asked the server to stop (rather than it stopping on its own).
    pub fn signalled(&self) -> bool {
        self.signalled
    }

    /// Waits for the server to exit. The first Ctrl-C (or SIGTERM) is forwarded for a graceful shutdown; a second
    /// one, or [`INTERRUPT_TIMEOUT`], kills it.
    pub fn wait_for_exit_or_signal(&mut self) -> Result<ExitStatus> {
        let mut handled = 0;
        let mut deadline: Option<Instant> = None;
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            let received = interrupt::count();
            if received > handled {
                handled = received;
                deadline = Some(self.on_interrupt(deadline.is_some()));
            }
            if deadline.is_some_and(|deadline| Instant::now() > deadline) {
                println!(
                    "==> {SERVER_BIN} did not stop within {} s; killing it",
                    INTERRUPT_TIMEOUT.as_secs()
                );
                self.signal(libc::SIGKILL);
                deadline = Some(Instant::now() + INTERRUPT_TIMEOUT);
            }
            thread::sleep(POLL);
        }
    }

    /// Forwards the first interruption, kills on the next; answers the new deadline.
    fn on_interrupt(&mut self, again: bool) -> Instant {
        if again {
            println!("==> killing {SERVER_BIN}");
            self.signal(libc::SIGKILL);
        } else {
            println!();
            println!("==> stopping {SERVER_BIN} (press Ctrl-C again to kill it)");
            self.signalled = true;
            self.signal(interrupt::last_signal());
        }
        Instant::now() + INTERRUPT_TIMEOUT
    }

    /// Asks the server to stop and waits for it, killing it after [`STOP_TIMEOUT`].
    pub fn shut_down(&mut self) -> Result<ExitStatus> {
        if let Some(status) = self.try_wait()? {
            return Ok(status);
        }
        // A server whose output is on screen says why it goes quiet; one logging to a file has nobody to tell.
        if self.log.is_none() {
            println!("==> stopping {SERVER_BIN}");
        }
        self.signalled = true;
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            thread::sleep(POLL);
        }
        self.signal(libc::SIGKILL);
        let status = self.child.wait().context("could not wait for the server")?;
        self.exited = Some(status);
        Ok(status)
    }

    fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        if self.exited.is_none() {
            self.exited = self
                .child
                .try_wait()
                .context("could not check on the server")?;
        }
        Ok(self.exited)
    }

    fn signal(&mut self, signal: libc::c_int) {
        if self.exited.is_some() {
            return;
        }
        let Ok(pid) = libc::pid_t::try_from(self.child.id()) else {
            return;
        };
        // SAFETY: plain kill(2) on our own child, which has not been reaped yet (`exited` is None).
        unsafe {
            libc::kill(pid, signal);
        }
    }

    /// What the server said last, for an error: its log's last lines, or a pointer to the output above.
    fn output(&self) -> String {
        let Some(log) = &self.log else {
            return "see its output above".to_owned();
        };
        let mut text = String::new();
        let _ = File::open(log).and_then(|mut file| file.read_to_string(&mut text));
        format!(
            "the last lines of {}:\n{}",
            log.display(),
            crate::tail(&text, 30)
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Err(error) = self.shut_down() {
            eprintln!("warning: {error:#}");
        }
    }
}

/// Where to connect to reach a server bound to `bind` (loopback for an unspecified address).
pub fn connect_address(bind: SocketAddr) -> SocketAddr {
    match bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), bind.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), bind.port())
        }
        _ => bind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connects_to_loopback_for_unspecified_addresses() {
        assert_eq!(
            connect_address("0.0.0.0:8080".parse().unwrap()),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(
            connect_address("[::]:8080".parse().unwrap()),
            "[::1]:8080".parse().unwrap()
        );
        assert_eq!(
            connect_address("127.0.0.2:80".parse().unwrap()),
            "127.0.0.2:80".parse().unwrap()
        );
    }
}
