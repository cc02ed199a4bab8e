//! Read and list at 10,000 and at 1,000,000 stored requests: each size on a database and server of its own, the
//! reading agent's ten requests among others of 10,000 agents, bulk-loaded. Three runs of each operation at 16
//! connections, alternating between the sizes so that a change in the machine's other load falls on both alike; then
//! the ratios 1M / 10k of p50 and of PostgreSQL's CPU time per request, pairing the runs in order. Last, whether
//! PostgreSQL keeps a generic plan of the list statement at 1M.

use std::time::Duration;

use anyhow::{Context, Result};

use super::capture::Statement;
use super::sql::Sql;
use super::workload::Operation;
use super::{Cluster, Deployment, REPETITIONS};
use crate::stats::{percentile, spread};

const SIZES: [u64; 2] = [10_000, 1_000_000];
const SMALL: &str = "agent_auth_bench_10k";
const LARGE: &str = "agent_auth_bench_1m";
const CONNECTIONS: usize = 16;
const LENGTH: Duration = Duration::from_secs(3);
/// Executions of the list statement before its plans are counted; PostgreSQL weighs a generic plan after five.
const PLAN_EXECUTIONS: usize = 10;

/// p50 in microseconds and PostgreSQL's CPU microseconds per request, of one run.
#[derive(Clone, Copy)]
struct Run {
    p50: f64,
    cpu: f64,
}

pub fn run(cluster: &Cluster<'_>, list: &[Statement]) -> Result<()> {
    let sizes = [
        (cluster.deploy(SMALL)?, SIZES[0]),
        (cluster.deploy(LARGE)?, SIZES[1]),
    ];
    for (deployment, size) in &sizes {
        fill(&deployment.sql, *size)?;
    }
    let mut measured: [Vec<(Operation, Vec<Run>)>; 2] = Default::default();
    for operation in [Operation::Read, Operation::List] {
        let mut each: [Vec<Run>; 2] = Default::default();
        for _ in 0..REPETITIONS {
            for ((deployment, _), runs) in sizes.iter().zip(&mut each) {
                crate::interrupt::check()?;
                runs.push(measure(deployment, operation)?);
            }
        }
        for (runs, size) in each.into_iter().zip(&mut measured) {
            size.push((operation, runs));
        }
    }
    report(&measured);
    plan_of_list(&sizes[1].0.sql, list)
}

fn measure(deployment: &Deployment, operation: Operation) -> Result<Run> {
    super::checkpoint(&deployment.sql)?;
    let cpu = deployment.postgres.cpu_micros();
    let mut latencies = super::client::drive(&deployment.fixture, operation, CONNECTIONS, LENGTH)?;
    let cpu = (deployment.postgres.cpu_micros() - cpu) / latencies.len().max(1) as f64;
    latencies.sort_unstable();
    Ok(Run {
        p50: percentile(&latencies, 0.5) as f64,
        cpu,
    })
}

/// Bulk-loads requests of other agents until `total` are stored, then brings PostgreSQL's statistics up to date.
fn fill(sql: &Sql, total: u64) -> Result<()> {
    let stored: u64 = sql
        .value("SELECT count(*)::text FROM invitations")?
        .parse()?;
    println!(
        "==> load: {total} stored requests (bulk-loading {})",
        total.saturating_sub(stored)
    );
    sql.execute(
        "INSERT INTO invitations (invitation_id, arn, service, service_group, client_type, client_id_type, \
           client_id, supplied_client_id_type, supplied_client_id, status, expires_on, created_at, updated_at) \
         SELECT 'STORED' || n, 'SARN' || (n % 10000), 'HMRC-MTD-VAT', 'HMRC-MTD-VAT', 'business', 'vrn', \
           (500000000 + n)::text, 'vrn', (500000000 + n)::text, \
           (ARRAY['Pending', 'Accepted', 'Rejected', 'Cancelled'])[1 + n % 4], \
           current_date + 21 - (n % 60)::int, now() - (n % 60) * interval '1 day', now() - (n % 60) * interval '1 day' \
         FROM generate_series($1::text::bigint, $2::text::bigint - 1) AS n",
        &[&stored.to_string(), &total.to_string()],
    )?;
    sql.batch("VACUUM ANALYZE invitations")
}

fn report([small, large]: &[Vec<(Operation, Vec<Run>)>; 2]) {
    println!(
        "==> load: {} vs {} stored requests, {CONNECTIONS} connections, {REPETITIONS} runs each",
        SIZES[0], SIZES[1]
    );
    println!(
        "| operation | p50 µs at 10k | p50 µs at 1M | p50 1M/10k | PostgreSQL CPU µs at 10k | at 1M | CPU 1M/10k |"
    );
    println!("|---|---|---|---|---|---|---|");
    for ((operation, at_10k), (_, at_1m)) in small.iter().zip(large) {
        let pairs = || at_10k.iter().zip(at_1m);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            operation.name(),
            spread(at_10k.iter().map(|r| r.p50), 0),
            spread(at_1m.iter().map(|r| r.p50), 0),
            spread(pairs().map(|(s, l)| l.p50 / s.p50.max(1.0)), 2),
            spread(at_10k.iter().map(|r| r.cpu), 0),
            spread(at_1m.iter().map(|r| r.cpu), 0),
            spread(pairs().map(|(s, l)| l.cpu / s.cpu.max(1.0)), 2),
        );
    }
}

/// Prepares the list statement the server sent, runs it [`PLAN_EXECUTIONS`] times with the same values, and says
/// how many of those executions PostgreSQL planned afresh (custom) and how many used its cached generic plan.
fn plan_of_list(sql: &Sql, list: &[Statement]) -> Result<()> {
    let statement = list
        .iter()
        .rfind(|s| !s.params.is_empty())
        .context("the captured list made no statement with parameters")?;
    let values: Vec<String> = statement
        .params
        .iter()
        .map(|p| match p {
            Some(value) => format!("'{}'", value.replace('\'', "''")),
            None => "NULL".to_owned(),
        })
        .collect();
    sql.batch(&format!("PREPARE bench_list AS {}", statement.sql))?;
    for _ in 0..PLAN_EXECUTIONS {
        sql.batch(&format!("EXECUTE bench_list({})", values.join(", ")))?;
    }
    let plans = sql.value(
        "SELECT generic_plans || ' generic, ' || custom_plans || ' custom' \
         FROM pg_prepared_statements WHERE name = 'bench_list'",
    )?;
    sql.batch("DEALLOCATE bench_list")?;
    println!("    the list statement at 1M, executed {PLAN_EXECUTIONS} times: {plans} plans");
    Ok(())
}
