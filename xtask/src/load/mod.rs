//! The load benchmark of `cargo xtask bench`: a release server under create, read, list and check, side by side
//! with pgbench running the very statements that server sent in the same run, then read and list at 10,000 and
//! 1,000,000 stored requests.
//!
//! 1. The server starts on a fresh database of the private cluster; two agents and 200,000 VAT clients are seeded.
//! 2. Each operation is sent once with PostgreSQL's statement log on: what it logs is that request's statements,
//!    their count its round trips, and the pgbench script ([`pgbench`]).
//! 3. For 16 and 32 connections, each operation three times: the server driven by as many HTTP clients, each
//!    sending its next request when the last is answered, then pgbench on as many connections running the script.
//!    Creates name a new client every time; the requests they made are deleted after each run. A checkpoint comes
//!    before each run, so that none falls inside one.
//! 4. [`scale`]: read and list at 10k and 1M stored requests, each on a server and database of its own.

mod capture;
mod client;
mod pgbench;
mod processes;
mod scale;
mod sql;
mod workload;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::conformance::private_server;
use crate::db::database_url;
use crate::server::{SERVER_BIN, Server};
use crate::stats::{median, percentile, spread};
use capture::Statement;
use pgbench::{PARAMETERS_TABLE, Script};
use processes::Processes;
pub use processes::cpu_micros;
use sql::Sql;
use workload::{CREATE_POOL, CREATE_VRNS, Fixture, Operation};

const DATABASE: &str = "agent_auth_bench_load";
const CONNECTIONS: [usize; 2] = [16, 32];
const REPETITIONS: usize = 3;
const WARM_UP: Duration = Duration::from_millis(500);
/// Per side, operation, connection count and repetition; pgbench takes whole seconds.
const LENGTH: Duration = Duration::from_secs(3);

/// The benchmark against the private cluster at `admin_url` whose data directory is `cluster_dir`, with the
/// server `binary` (a release build of this tree when `None`).
pub fn run(root: &Path, admin_url: &str, cluster_dir: &Path, binary: Option<&Path>) -> Result<()> {
    let binary = match binary {
        Some(binary) => binary.to_path_buf(),
        None => crate::build::release_binaries(root, &[SERVER_BIN])?
            .remove(SERVER_BIN)
            .context("the release build made no server")?,
    };
    println!("==> load: {}", binary.display());
    let cluster = Cluster {
        root,
        binary: &binary,
        admin_url,
        dir: cluster_dir,
    };
    let main = cluster.deploy(DATABASE)?;
    let log = cluster_dir.join(crate::postgres::LOG_FILE);
    let scripts = capture_all(&main.fixture, &main.sql, &log)?;
    let list = statements_of(&main.fixture, &main.sql, &log, Operation::List)?;
    let bench = Bench {
        main: &main,
        pgbench: pgbench_binary(),
        dir: root.join("target/bench"),
    };
    std::fs::create_dir_all(&bench.dir)?;
    let mut rows = Vec::new();
    for connections in CONNECTIONS {
        for (operation, script) in &scripts {
            crate::interrupt::check()?;
            rows.push(bench.measure(*operation, script, connections)?);
        }
    }
    report(&rows);
    match processes::peak_resident_kib(main.server.id()) {
        Some(kib) => println!(
            "    server peak resident memory: {:.1} MiB",
            kib as f64 / 1024.0
        ),
        None => println!("    server peak resident memory: unknown (no /proc)"),
    }
    drop(main);
    scale::run(&cluster, &list)
}

/// Where the benchmark's servers run: the binary, and the private cluster with its data directory.
struct Cluster<'a> {
    root: &'a Path,
    binary: &'a Path,
    admin_url: &'a str,
    dir: &'a Path,
}

/// A server on a database of its own, seeded with a [`Fixture`], and that database's backends.
struct Deployment {
    server: Server,
    url: String,
    sql: Sql,
    fixture: Fixture,
    postgres: Processes,
}

impl Cluster<'_> {
    fn deploy(&self, database: &str) -> Result<Deployment> {
        let url = database_url(self.admin_url, database);
        let pool_size = CONNECTIONS.iter().max().unwrap_or(&32).to_string();
        let server = private_server(
            self.binary,
            self.root,
            &url,
            &format!("bench-{database}.log"),
            &[
                ("DATABASE_POOL_SIZE", pool_size.as_str()),
                ("EXPIRY_SWEEP_SECONDS", "86400"),
            ],
        )?;
        let sql = Sql::connect(&url)?;
        let fixture = Fixture::seed(&server.base_url, &sql)?;
        let postgres = Processes::of_database(self.dir, database)?;
        Ok(Deployment {
            server,
            url,
            sql,
            fixture,
            postgres,
        })
    }
}

/// pgbench beside the cluster's own binaries, or on PATH.
fn pgbench_binary() -> PathBuf {
    crate::postgres::PgBinaries::locate()
        .map(|binaries| binaries.postgres.with_file_name("pgbench"))
        .filter(|path| path.exists())
        .unwrap_or_else(|| PathBuf::from("pgbench"))
}

/// Each operation's pgbench script, from one request of it sent with the statement log on.
fn capture_all(fixture: &Fixture, sql: &Sql, log: &Path) -> Result<Vec<(Operation, Script)>> {
    let mut scripts = Vec::new();
    for operation in Operation::ALL {
        let script = if operation == Operation::Create {
            capture_create(fixture, sql, log)?
        } else {
            pgbench::script(&statements_of(fixture, sql, log, operation)?, &[])
        };
        scripts.push((operation, script));
    }
    Ok(scripts)
}

/// The statements one request of `operation` makes.
fn statements_of(
    fixture: &Fixture,
    sql: &Sql,
    log: &Path,
    operation: Operation,
) -> Result<Vec<Statement>> {
    Ok(capture(sql, log, || fixture.send_one(operation, 0))?.0)
}

/// A create's script, from a request for the pool's last client. Its VRN and the new request's id, wherever they
/// appear in a parameter, become client `n`'s VRN and a new id in row `n` of the parameters table.
fn capture_create(fixture: &Fixture, sql: &Sql, log: &Path) -> Result<Script> {
    let last = CREATE_POOL - 1;
    let (statements, location) = capture(sql, log, || fixture.send_one(Operation::Create, last))?;
    reset(fixture, sql)?;
    let id = location
        .as_deref()
        .and_then(|l| l.rsplit('/').next())
        .context("the captured create answered no Location")?
        .to_owned();
    let vrn = (CREATE_VRNS + last).to_string();
    let (vrn, id) = (vrn.as_str(), id.as_str());
    let varying: Vec<(usize, usize)> = statements
        .iter()
        .enumerate()
        .flat_map(|(s, statement)| {
            statement
                .params
                .iter()
                .enumerate()
                .filter_map(move |(p, value)| {
                    let value = value.as_deref()?;
                    (value.contains(vrn) || value.contains(id)).then_some((s, p))
                })
        })
        .collect();
    let values: Vec<&str> = varying
        .iter()
        .filter_map(|&(s, p)| statements[s].params[p].as_deref())
        .collect();
    fill_parameters_table(sql, vrn, id, &values)?;
    Ok(pgbench::script(&statements, &varying))
}

/// Row `n` of [`PARAMETERS_TABLE`] for `n` in the client pool: column `v{i}` is `values[i]` with `vrn` replaced by
/// client `n`'s VRN and `id` by a request id of its own.
fn fill_parameters_table(sql: &Sql, vrn: &str, id: &str, values: &[&str]) -> Result<()> {
    let columns: Vec<String> = (0..values.len()).map(|i| format!("v{i} text")).collect();
    sql.batch(&format!("DROP TABLE IF EXISTS {PARAMETERS_TABLE}"))?;
    sql.batch(&format!(
        "CREATE TABLE {PARAMETERS_TABLE} (n bigint PRIMARY KEY, {})",
        columns.join(", ")
    ))?;
    // $1 the VRN, $2 the id, $3 the pool's first VRN, $4 its size, then the values.
    let expressions: Vec<String> = (0..values.len())
        .map(|i| {
            format!(
                "replace(replace(${}, $1, ($3::text::bigint + n)::text), $2, 'BENCH' || n)",
                i + 5
            )
        })
        .collect();
    let (base, pool) = (CREATE_VRNS.to_string(), CREATE_POOL.to_string());
    let mut params = vec![vrn, id, base.as_str(), pool.as_str()];
    params.extend_from_slice(values);
    sql.execute(
        &format!(
            "INSERT INTO {PARAMETERS_TABLE} SELECT n, {} FROM generate_series(0, $4::text::bigint - 1) AS n",
            expressions.join(", ")
        ),
        &params,
    )?;
    sql.batch(&format!("VACUUM ANALYZE {PARAMETERS_TABLE}"))
}

/// The statements PostgreSQL logs while `request` runs (its answer too), the benchmark's own left out.
fn capture<T>(
    sql: &Sql,
    log: &Path,
    request: impl FnOnce() -> Result<T>,
) -> Result<(Vec<Statement>, T)> {
    // Sessions take up a reloaded setting between statements; the pauses let every one of the server's do so, and
    // let the last line reach the file.
    let settle = || std::thread::sleep(Duration::from_millis(300));
    let configure = |settings: &[&str]| -> Result<()> {
        // One statement a call: ALTER SYSTEM refuses to run in the transaction several would share.
        for setting in settings {
            sql.batch(setting)?;
        }
        sql.batch("SELECT pg_reload_conf()")?;
        settle();
        Ok(())
    };
    configure(&[
        "ALTER SYSTEM SET log_statement = 'all'",
        "ALTER SYSTEM SET log_line_prefix = '%m [%p] '",
    ])?;
    let from = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0);
    let answer = request();
    settle();
    let text = std::fs::read(log).with_context(|| format!("could not read {}", log.display()))?;
    configure(&[
        "ALTER SYSTEM RESET log_statement",
        "ALTER SYSTEM RESET log_line_prefix",
    ])?;
    let answer = answer?;
    let logged = String::from_utf8_lossy(text.get(from as usize..).unwrap_or_default());
    Ok((capture::statements(&logged, sql.pid), answer))
}

/// Writes out what earlier work left in PostgreSQL's buffers, so that a checkpoint does not fall in the next run.
fn checkpoint(sql: &Sql) -> Result<()> {
    sql.batch("CHECKPOINT")
}

/// Deletes the creating agent's requests, so that the pool's clients can be asked again.
fn reset(fixture: &Fixture, sql: &Sql) -> Result<()> {
    sql.execute(
        "DELETE FROM invitations WHERE arn = $1",
        &[&fixture.creating_arn],
    )?;
    sql.batch("VACUUM invitations")
}

struct Bench<'a> {
    main: &'a Deployment,
    pgbench: PathBuf,
    dir: PathBuf,
}

/// One operation at one connection count: each repetition's measurements.
struct Row {
    operation: Operation,
    connections: usize,
    round_trips: usize,
    repetitions: Vec<Repetition>,
}

struct Repetition {
    server_per_second: f64,
    p50: u64,
    p99: u64,
    pgbench_per_second: f64,
    /// CPU time per request, in microseconds: PostgreSQL's under the server, under pgbench; the server's; the
    /// HTTP clients' (this process).
    server_postgres_cpu: f64,
    pgbench_postgres_cpu: f64,
    server_cpu: f64,
    client_cpu: f64,
}

/// CPU microseconds used so far by PostgreSQL, the server and this process (the HTTP clients).
#[derive(Clone, Copy)]
struct Cpu {
    postgres: f64,
    server: f64,
    clients: f64,
}

impl Bench<'_> {
    fn measure(&self, operation: Operation, script: &Script, connections: usize) -> Result<Row> {
        let mut repetitions = Vec::new();
        for _ in 0..REPETITIONS {
            let main = self.main;
            client::drive(&main.fixture, operation, connections, WARM_UP)?;
            self.after(operation)?;
            checkpoint(&main.sql)?;
            let (cpu, started) = (self.cpu(), Instant::now());
            let mut latencies = client::drive(&main.fixture, operation, connections, LENGTH)?;
            let elapsed = started.elapsed().as_secs_f64();
            let used = self.cpu().since(cpu, latencies.len());
            self.after(operation)?;
            checkpoint(&main.sql)?;
            let cpu = main.postgres.cpu_micros();
            let file = self.dir.join(format!("{}.pgb", operation.name()));
            let pgbench =
                pgbench::run(&self.pgbench, &main.url, &file, script, connections, LENGTH)?;
            let pgbench_cpu =
                (main.postgres.cpu_micros() - cpu) / pgbench.transactions.max(1) as f64;
            self.after(operation)?;
            latencies.sort_unstable();
            repetitions.push(Repetition {
                server_per_second: latencies.len() as f64 / elapsed,
                p50: percentile(&latencies, 0.50),
                p99: percentile(&latencies, 0.99),
                pgbench_per_second: pgbench.per_second,
                server_postgres_cpu: used.postgres,
                pgbench_postgres_cpu: pgbench_cpu,
                server_cpu: used.server,
                client_cpu: used.clients,
            });
        }
        Ok(Row {
            operation,
            connections,
            round_trips: script.round_trips,
            repetitions,
        })
    }

    fn cpu(&self) -> Cpu {
        Cpu {
            postgres: self.main.postgres.cpu_micros(),
            server: cpu_micros(self.main.server.id()).unwrap_or(0.0),
            clients: cpu_micros(std::process::id()).unwrap_or(0.0),
        }
    }

    /// After a run of creates, their requests go.
    fn after(&self, operation: Operation) -> Result<()> {
        if operation == Operation::Create {
            reset(&self.main.fixture, &self.main.sql)?;
        }
        Ok(())
    }
}

impl Cpu {
    /// What was used since `before`, per request of `requests`.
    fn since(self, before: Cpu, requests: usize) -> Cpu {
        let per = |now: f64, then: f64| (now - then) / requests.max(1) as f64;
        Cpu {
            postgres: per(self.postgres, before.postgres),
            server: per(self.server, before.server),
            clients: per(self.clients, before.clients),
        }
    }
}

fn report(rows: &[Row]) {
    println!(
        "==> load, {REPETITIONS} repetitions of {} s per side; min / median / max where three values are given",
        LENGTH.as_secs()
    );
    println!(
        "| operation | connections | round trips | server req/s | pgbench tps | server / pgbench | p50 µs | p99 µs | p99/p50 | CPU µs per request: PostgreSQL under server / under pgbench, server, HTTP clients |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        let r = &row.repetitions;
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.0} | {:.0} | {:.2} | {:.0} / {:.0}, {:.0}, {:.0} |",
            row.operation.name(),
            row.connections,
            row.round_trips,
            spread(r.iter().map(|r| r.server_per_second), 0),
            spread(r.iter().map(|r| r.pgbench_per_second), 0),
            spread(
                r.iter().map(|r| r.server_per_second / r.pgbench_per_second),
                2
            ),
            median(r.iter().map(|r| r.p50 as f64)),
            median(r.iter().map(|r| r.p99 as f64)),
            median(r.iter().map(|r| r.p99 as f64 / r.p50.max(1) as f64)),
            median(r.iter().map(|r| r.server_postgres_cpu)),
            median(r.iter().map(|r| r.pgbench_postgres_cpu)),
            median(r.iter().map(|r| r.server_cpu)),
            median(r.iter().map(|r| r.client_cpu)),
        );
    }
    println!(
        "    pgbench's create reads each request's new client and id from {PARAMETERS_TABLE} first: one statement more than the server's"
    );
}
