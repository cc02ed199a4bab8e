//! `cargo xtask serve`: run the server locally, PostgreSQL included, and print a ready agent and client.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

use crate::build;
use crate::interrupt;
use crate::postgres::{Cluster, Purpose, StartOptions};

const SERVER_BIN: &str = "agent-auth-server";
const DATABASE: &str = "agent_auth";
const DEFAULT_PORT: u16 = 8080;
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the server gets to shut down gracefully after the first Ctrl-C before it is killed.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
/// The Accept header HMRC's Create Test User API expects.
const SANDBOX_ACCEPT: &str = "application/vnd.hmrc.1.0+json";

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on: an IP address (127.0.0.1, 0.0.0.0, ::1) or IP:PORT [default: 127.0.0.1]
    #[arg(long, value_name = "ADDR")]
    bind: Option<String>,
    /// Port to listen on [default: 8080]
    #[arg(long, value_name = "PORT")]
    port: Option<u16>,
    /// If PostgreSQL is missing, install it with apt-get (root on Debian/Ubuntu; automatic when CI=true)
    #[arg(long)]
    install: bool,
}

pub fn run(root: &Path, args: &ServeArgs) -> Result<()> {
    let bind = bind_address(args.bind.as_deref(), args.port)?;
    check_port_is_free(bind)?;
    let base_url = std::env::var("PUBLIC_BASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| format!("http://{}", connect_address(bind)))
        .trim_end_matches('/')
        .to_string();

    let (cluster, database_url) = Cluster::unless_database_url(
        &root.join("target/postgres/serve"),
        Purpose::Serve,
        &StartOptions {
            port: None,
            install: args.install,
        },
    )?;
    // The private cluster serves its own database; the environment's URL is used as given.
    let database_url = match &cluster {
        Some(cluster) => cluster.url_for(DATABASE),
        None => database_url,
    };
    interrupt::check()?;

    let binary = build::binaries(root, &[SERVER_BIN], build::Scope::Binaries, None)?
        .remove(SERVER_BIN)
        .context("no server binary")?;
    interrupt::check()?;
    // The port may have been taken while we built.
    check_port_is_free(bind)?;

    println!("==> starting {SERVER_BIN} on {bind}");
    let mut server = Server::spawn(&binary, root, &database_url, bind, &base_url)?;
    if !server.wait_until_ready(connect_address(bind))? {
        // Interrupted while waiting: shut down as on any Ctrl-C.
        server.shut_down()?;
        return finish(cluster);
    }

    match create_sandbox_users(&base_url) {
        Ok(users) => print_welcome(&base_url, &database_url, &users),
        Err(error) => {
            println!();
            println!(
                "warning: could not create a test agent and client through the sandbox API: {error:#}"
            );
            println!("{SERVER_BIN} is running at {base_url} anyway. Press Ctrl-C to stop it.");
            println!();
        }
    }

    let status = server.wait_for_exit_or_signal()?;
    let stopped_by_us = server.signalled;
    if stopped_by_us || status.success() {
        println!("==> {SERVER_BIN} stopped");
        finish(cluster)
    } else {
        finish(cluster)?;
        Err(anyhow!(
            "{SERVER_BIN} exited on its own ({status}); see its output above"
        ))
    }
}

/// Stops the cluster if this run started it, reporting failures.
fn finish(cluster: Option<Cluster>) -> Result<()> {
    match cluster {
        Some(cluster) => cluster.stop(),
        None => Ok(()),
    }
}

/// The address to bind from `--bind` (IP or IP:PORT) and `--port`.
fn bind_address(bind: Option<&str>, port: Option<u16>) -> Result<SocketAddr> {
    let bind = bind.map(str::trim).unwrap_or("127.0.0.1");
    let mut address = if let Ok(address) = bind.parse::<SocketAddr>() {
        address
    } else if bind == "localhost" {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), DEFAULT_PORT)
    } else {
        let ip: IpAddr = bind
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| {
                anyhow!(
                    "--bind {bind}: expected an IP address (e.g. 127.0.0.1 or 0.0.0.0) or IP:PORT"
                )
            })?;
        SocketAddr::new(ip, DEFAULT_PORT)
    };
    if let Some(port) = port {
        address.set_port(port);
    }
    Ok(address)
}

/// Where to connect to reach a server bound to `bind` (loopback for an unspecified address).
fn connect_address(bind: SocketAddr) -> SocketAddr {
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

fn check_port_is_free(bind: SocketAddr) -> Result<()> {
    match TcpListener::bind(bind) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == ErrorKind::AddrInUse => bail!(
            "port {} is taken on {}; pass --port or --bind (e.g. cargo xtask serve --port {})",
            bind.port(),
            bind.ip(),
            bind.port().wrapping_add(1).max(1024)
        ),
        Err(error) => {
            Err(error).with_context(|| format!("cannot listen on {bind}; pass --port or --bind"))
        }
    }
}

/// The running server process. Dropping it stops the server (SIGTERM, then SIGKILL), so no error path leaves it
/// behind.
struct Server {
    child: Child,
    exited: Option<ExitStatus>,
    /// Whether xtask has asked it to stop.
    signalled: bool,
}

impl Server {
    fn spawn(
        binary: &Path,
        root: &Path,
        database_url: &str,
        bind: SocketAddr,
        base_url: &str,
    ) -> Result<Server> {
        let mut command = Command::new(binary);
        command
            .current_dir(root)
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDRESS", bind.to_string())
            .env("PUBLIC_BASE_URL", base_url)
            .stdin(Stdio::null())
            // Its own process group: Ctrl-C reaches xtask only, which forwards it exactly once.
            .process_group(0);
        crate::system::stop_with_xtask(&mut command);
        let child = command
            .spawn()
            .with_context(|| format!("could not start {}", binary.display()))?;
        Ok(Server {
            child,
            exited: None,
            signalled: false,
        })
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

    /// Waits until the server accepts TCP connections. `Ok(false)` if xtask was interrupted meanwhile.
    fn wait_until_ready(&mut self, address: SocketAddr) -> Result<bool> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.try_wait()? {
                bail!(
                    "{SERVER_BIN} exited ({status}) before it accepted connections; see its output above"
                );
            }
            if interrupt::received() {
                return Ok(false);
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(500)).is_ok() {
                return Ok(true);
            }
            if started.elapsed() > READY_TIMEOUT {
                bail!(
                    "{SERVER_BIN} did not accept connections on {address} within {} s",
                    READY_TIMEOUT.as_secs()
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
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

    /// Waits for the server to exit. The first Ctrl-C (or SIGTERM) is forwarded for a graceful shutdown; a second
    /// one, or `SHUTDOWN_TIMEOUT`, kills it.
    fn wait_for_exit_or_signal(&mut self) -> Result<ExitStatus> {
        let mut handled = 0;
        let mut deadline: Option<Instant> = None;
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            let received = interrupt::count();
            if received > handled {
                handled = received;
                if deadline.is_none() {
                    println!();
                    println!("==> stopping {SERVER_BIN} (press Ctrl-C again to kill it)");
                    self.signalled = true;
                    self.signal(interrupt::last_signal());
                    deadline = Some(Instant::now() + SHUTDOWN_TIMEOUT);
                } else {
                    println!("==> killing {SERVER_BIN}");
                    self.signal(libc::SIGKILL);
                }
            }
            if deadline.is_some_and(|deadline| Instant::now() > deadline) {
                println!(
                    "==> {SERVER_BIN} did not stop within {} s; killing it",
                    SHUTDOWN_TIMEOUT.as_secs()
                );
                self.signal(libc::SIGKILL);
                deadline = Some(Instant::now() + SHUTDOWN_TIMEOUT);
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Asks the server to stop and waits for it.
    fn shut_down(&mut self) -> Result<ExitStatus> {
        if let Some(status) = self.try_wait()? {
            return Ok(status);
        }
        println!("==> stopping {SERVER_BIN}");
        self.signalled = true;
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            thread::sleep(Duration::from_millis(100));
        }
        self.signal(libc::SIGKILL);
        let status = self.child.wait().context("could not wait for the server")?;
        self.exited = Some(status);
        Ok(status)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Err(error) = self.shut_down() {
            eprintln!("warning: {error:#}");
        }
    }
}

/// What the sandbox API gave back.
struct SandboxUsers {
    agent: Agent,
    client: Individual,
}

struct Agent {
    user_id: String,
    password: String,
    arn: String,
    agency_name: String,
    token: String,
}

struct Individual {
    user_id: String,
    password: String,
    nino: String,
    mtd_it_id: String,
    postcode: String,
    token: String,
}

fn create_sandbox_users(base_url: &str) -> Result<SandboxUsers> {
    println!("==> creating a test agent and a test client through the sandbox API");
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(15)))
        .http_status_as_error(false)
        .build();
    let http = ureq::Agent::new_with_config(config);

    let agent = post_json(
        &http,
        &format!("{base_url}/create-test-user/agents"),
        &json!({ "serviceNames": ["agent-services"] }),
    )?;
    let client = post_json(
        &http,
        &format!("{base_url}/create-test-user/individuals"),
        &json!({ "serviceNames": ["national-insurance", "mtd-income-tax"] }),
    )?;
    Ok(SandboxUsers {
        agent: Agent {
            user_id: field(&agent, "/userId")?,
            password: field(&agent, "/password")?,
            arn: field(&agent, "/agentServicesAccountNumber")?,
            agency_name: field(&agent, "/agencyName").unwrap_or_default(),
            token: field(&agent, "/accessToken")?,
        },
        client: Individual {
            user_id: field(&client, "/userId")?,
            password: field(&client, "/password")?,
            nino: field(&client, "/nino")?,
            mtd_it_id: field(&client, "/mtdItId").unwrap_or_default(),
            postcode: field(&client, "/individualDetails/address/postcode")?,
            token: field(&client, "/accessToken")?,
        },
    })
}

fn post_json(http: &ureq::Agent, url: &str, body: &Value) -> Result<Value> {
    let mut response = http
        .post(url)
        .header("Accept", SANDBOX_ACCEPT)
        .send_json(body)
        .with_context(|| format!("POST {url} failed"))?;
    let status = response.status();
    let text = response
        .body_mut()
        .read_to_string()
        .with_context(|| format!("could not read the answer to POST {url}"))?;
    if !status.is_success() {
        bail!("POST {url} answered {status}: {text}");
    }
    serde_json::from_str(&text).with_context(|| {
        format!("POST {url} answered {status} with a body that is not JSON: {text}")
    })
}

fn field(value: &Value, pointer: &str) -> Result<String> {
    match value.pointer(pointer) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Number(number)) => Ok(number.to_string()),
        _ => Err(anyhow!("the sandbox's answer has no {pointer}: {value}")),
    }
}

/// `text` quoted for a POSIX shell: inside single quotes, with any single quote escaped.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn print_welcome(base_url: &str, database_url: &str, users: &SandboxUsers) {
    let agent = &users.agent;
    let client = &users.client;
    // Written out by hand to keep the fields in the documented order.
    let invitation = format!(
        r#"{{"service":["MTD-IT"],"clientType":"personal","clientIdType":"ni","clientId":{},"knownFact":{},"agentType":"main"}}"#,
        Value::from(client.nino.as_str()),
        Value::from(client.postcode.as_str()),
    );
    let rule = "─".repeat(78);
    println!();
    println!("{rule}");
    println!("  {SERVER_BIN} is running at {base_url}");
    println!("  database: {}", crate::db::redact_url(database_url));
    println!();
    println!("  Agent");
    println!("    ARN:       {}", agent.arn);
    if !agent.agency_name.is_empty() {
        println!("    agency:    {}", agent.agency_name);
    }
    println!("    user id:   {}", agent.user_id);
    println!("    password:  {}", agent.password);
    println!("    token:     {}", agent.token);
    println!();
    println!("  Client (an individual signed up for MTD Income Tax)");
    println!("    NINO:      {}", client.nino);
    if !client.mtd_it_id.is_empty() {
        println!("    MTD IT id: {}", client.mtd_it_id);
    }
    println!("    postcode:  {}", client.postcode);
    println!("    user id:   {}", client.user_id);
    println!("    password:  {}", client.password);
    println!("    token:     {}", client.token);
    println!();
    println!("  Ask the client for authorisation (MTD-IT) as the agent:");
    println!();
    println!(
        "    curl -i -X POST {base_url}/agents/{}/invitations \\\n      \
         -H 'Accept: application/vnd.hmrc.2.0+json' -H 'Content-Type: application/json' \\\n      \
         -H {} \\\n      \
         -d {}",
        agent.arn,
        shell_quote(&format!("Authorization: Bearer {}", agent.token)),
        shell_quote(&invitation)
    );
    println!();
    println!(
        "  Then answer it as the client: open the clientActionUrl of the invitation in a browser"
    );
    println!(
        "  (GET {base_url}<Location header> with the agent's headers shows it) and sign in with the client's"
    );
    println!("  user id and password above. Or accept it through test support:");
    println!();
    println!(
        "    curl -i -X PUT {base_url}/agent-authorisation-test-support/invitations/<invitation id>"
    );
    println!();
    println!("  Press Ctrl-C to stop the server and PostgreSQL.");
    println!("{rule}");
    println!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_defaults_to_loopback_8080() {
        assert_eq!(
            bind_address(None, None).unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(
            bind_address(None, Some(9000)).unwrap(),
            "127.0.0.1:9000".parse().unwrap()
        );
        assert_eq!(
            bind_address(Some("0.0.0.0"), None).unwrap(),
            "0.0.0.0:8080".parse().unwrap()
        );
        assert_eq!(
            bind_address(Some("127.0.0.1:81"), None).unwrap(),
            "127.0.0.1:81".parse().unwrap()
        );
        assert_eq!(
            bind_address(Some("127.0.0.1:81"), Some(82)).unwrap(),
            "127.0.0.1:82".parse().unwrap()
        );
        assert_eq!(
            bind_address(Some("::1"), None).unwrap(),
            "[::1]:8080".parse().unwrap()
        );
        assert_eq!(
            bind_address(Some("localhost"), None).unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert!(bind_address(Some("nonsense"), None).is_err());
    }

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

    #[test]
    fn taken_port_is_reported_plainly() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let error = check_port_is_free(address).unwrap_err().to_string();
        assert!(
            error.contains(&format!("port {} is taken", address.port())),
            "{error}"
        );
        assert!(error.contains("pass --port or --bind"), "{error}");
    }

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
