//! `agent-auth-server`: serve the APIs, or print the API description the contracts are checked against.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use agent_auth_server::domain::clock::SystemClock;
use agent_auth_server::server::{self, Settings};
use agent_auth_server::store;

#[derive(Parser)]
#[command(
    name = "agent-auth-server",
    version,
    about = "HMRC agent authorisation APIs on PostgreSQL"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// PostgreSQL URL; the database is created if missing and migrated at start.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Address to listen on.
    #[arg(long, env = "BIND_ADDRESS", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Base URL clients reach this server at, used in client action links (default: http://BIND).
    #[arg(long, env = "PUBLIC_BASE_URL")]
    public_base_url: Option<String>,
    /// Days until a pending authorisation request expires.
    #[arg(long, env = "INVITATION_LIFETIME_DAYS", default_value_t = 21)]
    invitation_lifetime_days: i64,
    /// Hours a sandbox bearer token stays valid.
    #[arg(long, env = "TOKEN_LIFETIME_HOURS", default_value_t = 24 * 30)]
    token_lifetime_hours: i64,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "REQUEST_BODY_LIMIT", default_value_t = 64 * 1024)]
    request_body_limit: usize,
    /// Seconds a request body may take to arrive (408 after).
    #[arg(long, env = "REQUEST_BODY_TIMEOUT_SECONDS", default_value_t = 30)]
    request_body_timeout_seconds: u64,
    /// `sandbox` (the default) serves the sandbox API (test users, test support, test scenarios); `production`
    /// turns it off: its paths answer 404 and principals come from `agent-auth-server principals add`.
    #[arg(long, env = "MODE", value_enum, default_value_t = Mode::Sandbox)]
    mode: Mode,
    /// Database connections in the pool.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 16)]
    pool_size: usize,
    /// Seconds between expiry sweeps (0 turns the sweep off).
    #[arg(long, env = "EXPIRY_SWEEP_SECONDS", default_value_t = 60)]
    expiry_sweep_seconds: u64,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "LOG_JSON")]
    log_json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Mode {
    Sandbox,
    Production,
}

#[derive(Subcommand)]
enum Command {
    /// Print the server's API description (OpenAPI JSON), as `cargo xtask openapi check` reads it.
    Openapi,
    /// Provision principals (production mode has no sandbox to make them)
    Principals {
        #[command(subcommand)]
        command: principals::Command,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(Command::Openapi) = cli.command {
        println!(
            "{}",
            serde_json::to_string_pretty(&agent_auth_server::api::stub_description()?)?
        );
        return Ok(());
    }
    init_logging(cli.log_json);
    let database_url = cli
        .database_url
        .clone()
        .context("DATABASE_URL is not set (or pass --database-url)")?;
    store::create_database_if_missing(&database_url).await?;
    store::migrate(&database_url).await?;
    if let Some(Command::Principals { command }) = cli.command {
        return principals::run(command, &database_url).await;
    }
    let settings = Settings {
        database_url,
        bind_address: cli.bind,
        public_base_url: cli.public_base_url,
        invitation_lifetime_days: cli.invitation_lifetime_days,
        token_lifetime: chrono::Duration::hours(cli.token_lifetime_hours),
        request_body_limit: cli.request_body_limit,
        request_body_timeout: Duration::from_secs(cli.request_body_timeout_seconds),
        sandbox: cli.mode == Mode::Sandbox,
        pool_size: cli.pool_size,
        expiry_sweep_interval: (cli.expiry_sweep_seconds > 0)
            .then(|| Duration::from_secs(cli.expiry_sweep_seconds)),
    };
    let running = server::start(settings, Arc::new(SystemClock))
        .await
        .map_err(|error| {
            if format!("{error:#}").contains("Address already in use") {
                error.context(format!(
                    "{} is taken: stop what uses it, or pass --bind / BIND_ADDRESS",
                    cli.bind
                ))
            } else {
                error
            }
        })?;
    tracing::info!(url = %running.base_url(), "serving");
    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests in flight");
    running.shutdown().await
}

/// `agent-auth-server principals add …`: principals for production mode, printed once with their bearer token.
mod principals {
    use std::sync::Arc;

    use anyhow::Context;
    use chrono::NaiveDate;
    use clap::{Args, Subcommand};

    use agent_auth_server::domain::clock::SystemClock;
    use agent_auth_server::domain::identifiers::{Arn, MtdItId, Nino, Postcode, Vrn};
    use agent_auth_server::domain::provisioning::Provision;
    use agent_auth_server::domain::{Authorisations, Lifetimes};
    use agent_auth_server::store::Store;

    #[derive(Subcommand)]
    pub enum Command {
        /// Add a principal and print its user id and bearer token (shown once: only its hash is kept)
        Add(Add),
    }

    #[derive(Args)]
    pub struct Add {
        #[command(subcommand)]
        who: Who,
        /// The principal's name (drawn at random if not given)
        #[arg(long, global = true)]
        name: Option<String>,
        /// Days the bearer token stays valid
        #[arg(long, global = true, default_value_t = 365)]
        token_days: i64,
    }

    #[derive(Subcommand)]
    enum Who {
        /// An agent with an agent services account
        Agent {
            #[arg(long)]
            arn: String,
            #[arg(long)]
            agency_name: String,
        },
        /// An individual, with the client record agents name them by
        Individual {
            #[arg(long)]
            nino: String,
            #[arg(long)]
            postcode: String,
            #[arg(long)]
            date_of_birth: NaiveDate,
            /// Their MTD Income Tax id, if they have signed up
            #[arg(long)]
            mtditid: Option<String>,
        },
        /// An organisation signed up to MTD VAT, with its VAT record
        Organisation {
            #[arg(long)]
            vrn: String,
            #[arg(long)]
            vat_registration_date: NaiveDate,
            #[arg(long)]
            insolvent: bool,
        },
        /// HMRC staff
        HmrcStaff,
    }

    pub async fn run(command: Command, database_url: &str) -> anyhow::Result<()> {
        let Command::Add(add) = command;
        let provision = provision(add.who)?;
        let store = Store::new(database_url, 1)?;
        let lifetimes = Lifetimes {
            invitation_days: 21,
            token: chrono::Duration::days(add.token_days),
        };
        let authorisations = Authorisations::new(store, Arc::new(SystemClock), lifetimes);
        let user = authorisations
            .provision(provision, add.name, chrono::Duration::days(add.token_days))
            .await
            .map_err(|error| anyhow::anyhow!("{error} (is it provisioned already?)"))?;
        let shown = serde_json::json!({
            "userId": user.user_id,
            "password": user.password,
            "accessToken": user.access_token,
        });
        println!("{}", serde_json::to_string_pretty(&shown)?);
        Ok(())
    }

    fn provision(who: Who) -> anyhow::Result<Provision> {
        Ok(match who {
            Who::Agent { arn, agency_name } => Provision::Agent {
                arn: Arn::parse(&arn).context("--arn is not a valid ARN")?,
                agency_name,
            },
            Who::Individual {
                nino,
                postcode,
                date_of_birth,
                mtditid,
            } => Provision::Individual {
                nino: Nino::parse(&nino).context("--nino is not a valid NINO")?,
                postcode: Postcode::parse(&postcode)
                    .context("--postcode is not a valid postcode")?,
                date_of_birth,
                mtditid: mtditid
                    .map(|id| MtdItId::parse(&id).context("--mtditid is not a valid MTDITID"))
                    .transpose()?,
            },
            Who::Organisation {
                vrn,
                vat_registration_date,
                insolvent,
            } => Provision::Organisation {
                vrn: Vrn::parse(&vrn).context("--vrn is not a valid VRN")?,
                vat_registration_date,
                insolvent,
            },
            Who::HmrcStaff => Provision::HmrcStaff,
        })
    }
}

fn init_logging(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init()
    } else {
        builder.init()
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
