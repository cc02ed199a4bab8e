//! A fresh, migrated database per test.
//!
//! Once per test binary, a template database named after a hash of the migrations is created and migrated (under
//! a PostgreSQL advisory lock, so that test binaries running at once do not race). Each test then copies it with
//! `CREATE DATABASE ... TEMPLATE`, which is much faster than migrating, and drops its copy when it ends.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agent_auth_server::store::redact;
use anyhow::{Context, Result};
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

/// The advisory lock key that serialises template creation across test binaries.
const TEMPLATE_LOCK_KEY: i64 = 0x0061_6761_7574_6874;

/// Set this to keep test databases after the tests (to look at them).
const KEEP_VARIABLE: &str = "KEEP_TEST_DATABASES";

/// The admin URL from `DATABASE_URL`; fails the test with instructions when it is not set.
pub fn admin_url() -> String {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "DATABASE_URL is not set. Run the integration tests with `cargo xtask test`: it starts a private \
             PostgreSQL cluster and sets DATABASE_URL to its admin URL. To run them by hand, start one (e.g. \
             `cargo xtask serve`) and set DATABASE_URL=postgres://postgres@127.0.0.1:PORT/postgres."
        ),
    }
}

/// The URL of database `name` on the same server as `admin_url` (same user, host, port and parameters).
pub fn url_for(admin_url: &str, name: &str) -> String {
    let (scheme, rest) = admin_url
        .split_once("://")
        .expect("DATABASE_URL must look like postgres://USER@HOST:PORT/DATABASE");
    let (authority, path_and_query) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    let query = path_and_query
        .find('?')
        .map_or("", |q| &path_and_query[q..]);
    format!("{scheme}://{authority}/{name}{query}")
}

#[derive(diesel::QueryableByName)]
struct Found {
    #[diesel(sql_type = Bool)]
    found: bool,
}

async fn connect_admin() -> Result<AsyncPgConnection> {
    let url = admin_url();
    AsyncPgConnection::establish(&url)
        .await
        .with_context(|| format!("cannot connect to DATABASE_URL ({})", redact(&url)))
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> Result<bool> {
    let row: Found =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS found")
            .bind::<Text, _>(name)
            .get_result(conn)
            .await?;
    Ok(row.found)
}

/// The migration directories the server may embed (the workspace's `migrations/`, or the crate's own).
fn migration_dirs() -> Vec<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [manifest.join("../migrations"), manifest.join("migrations")]
        .into_iter()
        .filter(|dir| dir.is_dir())
        .collect()
}

fn hash_dir(hasher: &mut Sha256, root: &Path, dir: &Path) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            hash_dir(hasher, root, &path);
        } else if let Ok(bytes) = std::fs::read(&path) {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            hasher.update(relative.to_string_lossy().as_bytes());
            hasher.update([0]);
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
        }
    }
}

/// 8 hex characters of a hash of the migrations' contents.
fn migrations_hash() -> String {
    let mut hasher = Sha256::new();
    for dir in migration_dirs() {
        hasher.update(
            dir.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .as_bytes(),
        );
        hash_dir(&mut hasher, &dir, &dir);
    }
    hasher.finalize()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The template's name; creates and migrates it the first time (in this binary) that it is asked for.
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            create_template()
                .await
                .unwrap_or_else(|e| panic!("cannot prepare the template database: {e:#}"))
        })
        .await
}

async fn create_template() -> Result<String> {
    let name = format!("agent_auth_template_{}", migrations_hash());
    let mut conn = connect_admin().await?;
    diesel::sql_query(format!("SELECT pg_advisory_lock({TEMPLATE_LOCK_KEY})"))
        .execute(&mut conn)
        .await
        .context("cannot take the template lock")?;
    let built = build_template_if_missing(&mut conn, &name).await;
    let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK_KEY})"))
        .execute(&mut conn)
        .await;
    built.map(|()| name)
}

/// Migrates under a temporary name and renames when done, so that a half-built template is never used.
async fn build_template_if_missing(conn: &mut AsyncPgConnection, name: &str) -> Result<()> {
    if database_exists(conn, name).await? {
        return Ok(());
    }
    let building = format!("{name}_building");
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
        .execute(conn)
        .await?;
    match diesel::sql_query(format!("CREATE DATABASE {building}"))
        .execute(conn)
        .await
    {
        Ok(_) => {}
        Err(e) if e.to_string().contains("already exists") => {}
        Err(e) => return Err(e).context("cannot create the template database"),
    }
    agent_auth_server::store::migrate(&url_for(&admin_url(), &building))
        .await
        .context("cannot migrate the template database")?;
    execute_retrying(conn, &format!("ALTER DATABASE {building} RENAME TO {name}"))
        .await
        .context("cannot rename the template database")
}

/// Runs `sql`, retrying for a few seconds while PostgreSQL refuses to copy or rename a database because some
/// session is still connected to it (the migration's closing connection, or another binary's template build).
async fn execute_retrying(
    conn: &mut AsyncPgConnection,
    sql: &str,
) -> Result<(), diesel::result::Error> {
    let mut tries = 0;
    loop {
        match diesel::sql_query(sql).execute(conn).await {
            Err(e) if tries < 50 && e.to_string().contains("being accessed by other users") => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => return other.map(|_| ()),
        }
    }
}

/// A database of one test, a copy of the migrated template; dropped when this value is.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        let template = template().await;
        let name = format!("test_{:016x}", rand::random::<u64>());
        let mut conn = connect_admin().await.unwrap_or_else(|e| panic!("{e:#}"));
        execute_retrying(
            &mut conn,
            &format!("CREATE DATABASE {name} TEMPLATE {template}"),
        )
        .await
        .unwrap_or_else(|e| panic!("cannot create the test database {name} from {template}: {e}"));
        TestDatabase {
            url: url_for(&admin_url(), &name),
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if std::env::var_os(KEEP_VARIABLE).is_some() {
            eprintln!("keeping test database {}", self.name);
            return;
        }
        // Drop cannot await, and may run inside the test's runtime: use a thread with a runtime of its own.
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = connect_admin().await.ok()?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}
