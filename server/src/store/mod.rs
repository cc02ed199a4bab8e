//! PostgreSQL through Diesel (diesel-async, deadpool). One module per resource; every function takes a
//! connection so the domain decides what shares a transaction.

pub mod agencies;
pub mod clients;
pub mod invitations;
pub mod locks;
pub mod prepared;
pub mod principals;
pub mod relationships;
mod schema;
pub mod server_secrets;
pub mod sign_in_failures;
pub mod web_sessions;

use anyhow::Context;
use diesel::ConnectionError;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolableConnection, RecyclingMethod,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

mod counting;
mod unit_of_work;
pub use counting::StatementCounts;
pub use unit_of_work::Connection;

/// The connection pool.
#[derive(Clone)]
pub struct Store {
    pool: Pool<AsyncPgConnection>,
    outage: std::sync::Arc<Outage>,
    counts: std::sync::Arc<StatementCounts>,
}

/// The connection pool at one moment.
#[derive(Debug, Clone, Copy)]
pub struct PoolStatus {
    pub max_size: usize,
    pub size: usize,
    pub in_use: usize,
    pub waiting: usize,
}

/// Whether the database is unreachable, so that an outage is logged when it starts and when it ends, not once
/// per request.
#[derive(Default)]
struct Outage {
    /// Read on every checkout: the lock is only taken while an outage lasts.
    down: std::sync::atomic::AtomicBool,
    since: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Outage {
    fn failed(&self, error: &dyn std::fmt::Display) {
        let mut since = self
            .since
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if since.is_none() {
            *since = Some(std::time::Instant::now());
            self.down.store(true, std::sync::atomic::Ordering::Release);
            tracing::error!(%error, "the database is unreachable: answering 503 until it is back");
        }
    }

    fn succeeded(&self) {
        if !self.down.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        self.down.store(false, std::sync::atomic::Ordering::Release);
        let mut since = self
            .since
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(started) = since.take() {
            let seconds = started.elapsed().as_secs();
            tracing::error!(
                seconds,
                "the database is reachable again: the outage is over"
            );
        }
    }
}

impl Store {
    pub fn new(database_url: &str, pool_size: usize) -> anyhow::Result<Self> {
        // No test query on check-out: it would cost a round trip per check-out. A connection whose socket has
        // closed, or whose transaction broke, is discarded at check-out all the same (`is_broken`), and one that
        // fails on first use reports `Unavailable`, then closes and is discarded the next time.
        let mut config = ManagerConfig::default();
        config.recycling_method = RecyclingMethod::Fast;
        let counts = std::sync::Arc::<StatementCounts>::default();
        config.custom_setup = counted_setup(counts.clone());
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
            database_url,
            config,
        );
        // A request waits this long for a connection, then fails rather than hanging.
        let pool = Pool::builder(manager)
            .max_size(pool_size)
            // The connection used last is taken first: under light load a few warm sessions do the work, rather
            // than every connection of the pool in turn.
            .queue_mode(deadpool::managed::QueueMode::Lifo)
            .wait_timeout(Some(std::time::Duration::from_secs(10)))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .context("building the pool")?;
        Ok(Self {
            pool,
            outage: Default::default(),
            counts,
        })
    }

    /// The statements this pool's connections have sent, and how many failed.
    pub fn counts(&self) -> &StatementCounts {
        &self.counts
    }

    /// A connection: the one the current unit of work holds (see [`unit_of_work`]), or one from the pool.
    pub async fn connection(&self) -> Result<Connection, PoolError> {
        if let Some(held) = unit_of_work::take_held() {
            return Ok(held);
        }
        let connection = self.checkout().await;
        match &connection {
            Ok(_) => self.outage.succeeded(),
            Err(error) => self.outage.failed(error),
        }
        connection
    }

    async fn checkout(&self) -> Result<Connection, PoolError> {
        let started = std::time::Instant::now();
        let object = self.pool.get().await;
        self.counts.checked_out(started.elapsed(), object.is_ok());
        Ok(Connection::new(object?))
    }

    /// The pool now: its largest size, its connections, those checked out, and check-outs waiting for one.
    pub fn pool_status(&self) -> PoolStatus {
        let status = self.pool.status();
        PoolStatus {
            max_size: status.max_size,
            size: status.size,
            in_use: status.size.saturating_sub(status.available),
            waiting: status.waiting,
        }
    }

    /// Runs `work` as one unit of work: every connection it asks for is the same one, checked out once and
    /// returned to the pool when `work` ends.
    pub async fn unit_of_work<F: std::future::Future>(&self, work: F) -> F::Output {
        unit_of_work::scope(work).await
    }
}

/// Connects as diesel-async does, then counts what the connection sends.
fn counted_setup(
    counts: std::sync::Arc<StatementCounts>,
) -> diesel_async::pooled_connection::SetupCallback<AsyncPgConnection> {
    Box::new(move |url| {
        let counts = counts.clone();
        let url = url.to_owned();
        Box::pin(async move {
            use diesel_async::AsyncConnection;
            let mut connection = AsyncPgConnection::establish(&url).await?;
            connection.set_instrumentation(counting::Counting(counts));
            Ok(connection)
        })
    })
}

/// Whether a pooled connection can no longer be used (its socket closed or its transaction broke).
fn is_broken(object: &mut Object<AsyncPgConnection>) -> bool {
    PoolableConnection::is_broken(&mut **object)
}

/// Runs the embedded migrations on an existing database.
pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    use diesel::Connection;
    use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut connection = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
            .with_context(|| format!("connecting to {}", redact(&url)))?;
        connection
            .run_pending_migrations(MIGRATIONS)
            .map_err(|error| anyhow::anyhow!("migrating: {error}"))?;
        Ok(())
    })
    .await?
}

/// Creates the database the URL names if it does not exist, connecting to the server's `postgres`
/// database to do so.
pub async fn create_database_if_missing(database_url: &str) -> anyhow::Result<()> {
    use diesel::QueryableByName;
    use diesel::sql_types::Bool;
    use diesel_async::{AsyncConnection, RunQueryDsl};

    match AsyncPgConnection::establish(database_url).await {
        Ok(_) => return Ok(()),
        Err(error) if is_missing_database(&error) => {}
        Err(error) => {
            return Err(error).with_context(|| format!("connecting to {}", redact(database_url)));
        }
    }
    let (server_url, name) =
        split_database(database_url).context("DATABASE_URL names no database")?;
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        anyhow::bail!("database name {name:?}: use letters, digits and underscores");
    }
    let mut admin = AsyncPgConnection::establish(&format!("{server_url}/postgres"))
        .await
        .with_context(|| {
            format!("connecting to {server_url}/postgres to create database {name}")
        })?;
    #[derive(QueryableByName)]
    struct Exists {
        #[diesel(sql_type = Bool)]
        exists: bool,
    }
    let exists: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(&mut admin)
            .await?;
    if !exists.exists {
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await?;
        tracing::info!(database = name, "created database");
    }
    Ok(())
}

fn is_missing_database(error: &ConnectionError) -> bool {
    error.to_string().contains("does not exist")
}

/// `postgres://user@host:port/name?params` → (`postgres://user@host:port`, `name`).
fn split_database(url: &str) -> Option<(&str, &str)> {
    let without_query = url.split('?').next()?;
    let (server, name) = without_query.rsplit_once('/')?;
    (!name.is_empty() && server.contains("://") && !server.ends_with('/')).then_some((server, name))
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_split_and_redact() {
        assert_eq!(
            split_database("postgres://postgres@127.0.0.1:5432/agent_auth"),
            Some(("postgres://postgres@127.0.0.1:5432", "agent_auth"))
        );
        assert_eq!(
            split_database("postgres://h:1/db?sslmode=disable"),
            Some(("postgres://h:1", "db"))
        );
        assert_eq!(split_database("postgres://h:1/"), None);
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
