//! `cargo xtask serve`: run the server locally, PostgreSQL included, and print a ready agent and client.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use crate::build;
use crate::interrupt;
use crate::postgres::{Purpose, with_postgres};
use crate::sandbox::{self, TestUsers, field};
use crate::server::{Launch, SERVER_BIN, Server, connect_address};

const DATABASE: &str = "agent_auth";
const DEFAULT_PORT: u16 = 8080;

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

    let dir = root.join("target/postgres/serve");
    with_postgres(&dir, Purpose::Serve, args.install, |postgres| {
        // The private cluster serves its own database; the environment's URL is used as given.
        let database_url = if postgres.private_dir.is_some() {
            crate::db::database_url(&postgres.admin_url, DATABASE)
        } else {
            postgres.admin_url.clone()
        };
        interrupt::check()?;
        serve_until_stopped(root, bind, &base_url, &database_url)
    })
}

/// Builds and starts the server, makes the sandbox users, and waits for the server to stop.
fn serve_until_stopped(
    root: &Path,
    bind: SocketAddr,
    base_url: &str,
    database_url: &str,
) -> Result<()> {
    let binary = build::binaries(root, &[SERVER_BIN], build::Scope::Binaries, None)?
        .remove(SERVER_BIN)
        .context("no server binary")?;
    interrupt::check()?;
    // The port may have been taken while we built.
    check_port_is_free(bind)?;

    println!("==> starting {SERVER_BIN} on {bind}");
    let mut server = Server::spawn(&Launch {
        binary: &binary,
        root,
        database_url,
        bind,
        base_url: base_url.to_owned(),
        env: &[],
        log: None,
    })?;
    if !server.wait_until_ready()? {
        // Interrupted while waiting: shut down as on any Ctrl-C.
        server.shut_down()?;
        return Ok(());
    }

    match create_sandbox_users(base_url) {
        Ok(users) => print_welcome(base_url, database_url, &users),
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
    if server.signalled() || status.success() {
        println!("==> {SERVER_BIN} stopped");
        Ok(())
    } else {
        Err(anyhow!(
            "{SERVER_BIN} exited on its own ({status}); see its output above"
        ))
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
    let http = sandbox::http_client(Duration::from_secs(15));
    let TestUsers { agent, individual } = sandbox::create_test_users(&http, base_url)?;
    Ok(SandboxUsers {
        agent: Agent {
            user_id: field(&agent, "/userId")?,
            password: field(&agent, "/password")?,
            arn: field(&agent, "/agentServicesAccountNumber")?,
            agency_name: field(&agent, "/agencyName").unwrap_or_default(),
            token: field(&agent, "/accessToken")?,
        },
        client: Individual {
            user_id: field(&individual, "/userId")?,
            password: field(&individual, "/password")?,
            nino: field(&individual, "/nino")?,
            mtd_it_id: field(&individual, "/mtdItId").unwrap_or_default(),
            postcode: field(&individual, "/individualDetails/address/postcode")?,
            token: field(&individual, "/accessToken")?,
        },
    })
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
