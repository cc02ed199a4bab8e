//! The expiry sweep on 100,000 pending requests past expiry (beside 100,000 live ones): how long it
//! takes, in how many batches, the strongest lock it takes on `invitations`, and what it does to a
//! writer creating requests meanwhile, as a ratio to the same writer measured alone in the same run.
//!
//! Run with `cargo xtask bench` (it provides a private PostgreSQL and `DATABASE_URL`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use agent_auth_server::domain::clock::ManualClock;
use agent_auth_server::domain::identifiers::{Arn, Vrn};
use agent_auth_server::domain::request::{ClientIdentifier, ValidRequest};
use agent_auth_server::domain::service::Service;
use agent_auth_server::domain::test_users::TestUserKind;
use agent_auth_server::domain::{Authorisations, Lifetimes};
use agent_auth_server::store::{self, Store};
use chrono::{TimeZone, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

const EXPIRED: i64 = 100_000;
const LIVE: i64 = 100_000;
const BATCH: i64 = 1_000;
const BATCHES: i64 = (EXPIRED + BATCH - 1) / BATCH;
const WRITER_CLIENTS: usize = 400;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(QueryableByName)]
struct Mode {
    #[diesel(sql_type = Text)]
    mode: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let admin = std::env::var("DATABASE_URL")
        .map_err(|_| anyhow::anyhow!("run `cargo xtask bench` (DATABASE_URL is not set)"))?;
    let url = database(&admin, &format!("bench_expiry_{}", std::process::id())).await?;
    store::migrate(&url).await?;
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap(),
    ));
    let lifetimes = Lifetimes {
        invitation_days: 21,
        token: chrono::Duration::days(30),
    };
    let authorisations = Authorisations::new(Store::new(&url, 8)?, clock, lifetimes);

    let agent = authorisations
        .create_test_user(TestUserKind::Agent, &["agent-services".into()], false)
        .await?;
    let arn = agent.arn.expect("an agent with agent-services has an ARN");
    let mut clients = Vec::new();
    for _ in 0..WRITER_CLIENTS {
        let user = authorisations
            .create_test_user(TestUserKind::Organisation, &["mtd-vat".into()], false)
            .await?;
        clients.push(user.vrn.expect("an organisation with mtd-vat has a VRN"));
    }
    let mut conn = AsyncPgConnection::establish(&url).await?;
    seed(&mut conn).await?;

    let (alone, _) = writer(&authorisations, &arn, &clients[..WRITER_CLIENTS / 2], None).await?;

    let sweeping = Arc::new(AtomicBool::new(true));
    let watcher = tokio::spawn(strongest_lock(url.clone(), sweeping.clone()));
    let sweeper = {
        let authorisations = authorisations.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let swept = authorisations.sweep_expired(BATCH).await;
            (swept, started.elapsed())
        })
    };
    let (during, _) = writer(
        &authorisations,
        &arn,
        &clients[WRITER_CLIENTS / 2..],
        Some(&sweeper),
    )
    .await?;
    let (swept, sweep_time) = sweeper.await?;
    sweeping.store(false, Ordering::Relaxed);
    let strongest = watcher.await??;
    let swept = swept.map_err(|e| anyhow::anyhow!("{e}"))?;

    let left: Count = diesel::sql_query(
        "SELECT count(*) AS count FROM invitations WHERE status = 'Pending' AND expires_on <= '2026-03-02'",
    )
    .get_result(&mut conn)
    .await?;
    anyhow::ensure!(
        swept as i64 == EXPIRED && left.count == 0,
        "swept {swept}, {} left",
        left.count
    );

    println!(
        "expiry sweep: {EXPIRED} expired among {} pending, batches of {BATCH}",
        EXPIRED + LIVE
    );
    println!(
        "  swept            {swept} rows in {} batches, {:.2} s",
        BATCHES,
        sweep_time.as_secs_f64()
    );
    println!(
        "  per batch        {:.1} ms",
        sweep_time.as_secs_f64() * 1e3 / BATCHES as f64
    );
    println!("  strongest lock on invitations while sweeping: {strongest} (no table lock)");
    println!("  writer creating requests, alone vs during the sweep (same run):");
    println!(
        "    median  {:>7.2} ms vs {:>7.2} ms  (x{:.2})",
        alone.median,
        during.median,
        during.median / alone.median
    );
    println!(
        "    p99     {:>7.2} ms vs {:>7.2} ms  (x{:.2})",
        alone.p99,
        during.p99,
        during.p99 / alone.p99
    );
    println!(
        "    max     {:>7.2} ms vs {:>7.2} ms",
        alone.max, during.max
    );
    Ok(())
}

/// 100,000 pending requests whose expiry day has passed and 100,000 that are live, for one agency.
async fn seed(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    let insert = "INSERT INTO invitations (invitation_id, arn, service, service_group, client_type, client_id_type, \
         client_id, supplied_client_id_type, supplied_client_id, status, expires_on, created_at, updated_at) \
         SELECT 'C' || lpad(i::text, 12, '0'), 'SEEDARN' || (i % 50), 'HMRC-MTD-VAT', 'HMRC-MTD-VAT', 'business', \
         'vrn', lpad(i::text, 9, '0'), 'vrn', lpad(i::text, 9, '0'), 'Pending', $1::date, \
         timestamptz '2026-02-01 10:00Z', timestamptz '2026-02-01 10:00Z' FROM generate_series($2::bigint, $3::bigint) AS i";
    for (expires_on, from, to) in [
        ("2026-02-22", 1, EXPIRED),
        ("2026-03-20", EXPIRED + 1, EXPIRED + LIVE),
    ] {
        diesel::sql_query(insert)
            .bind::<Text, _>(expires_on)
            .bind::<BigInt, _>(from)
            .bind::<BigInt, _>(to)
            .execute(conn)
            .await?;
    }
    diesel::sql_query("ANALYZE invitations")
        .execute(conn)
        .await?;
    Ok(())
}

struct Latencies {
    median: f64,
    p99: f64,
    max: f64,
}

/// Creates one request per client, one after another, timing each; with a sweeper, stops when it does.
async fn writer(
    authorisations: &Authorisations,
    arn: &Arn,
    clients: &[Vrn],
    sweeper: Option<
        &tokio::task::JoinHandle<(
            Result<usize, agent_auth_server::domain::DomainError>,
            Duration,
        )>,
    >,
) -> anyhow::Result<(Latencies, usize)> {
    let mut times = Vec::new();
    for vrn in clients {
        if sweeper.is_some_and(|s| s.is_finished()) && times.len() >= 20 {
            break;
        }
        let request = ValidRequest {
            service: Service::MtdVat,
            client_type: None,
            client: ClientIdentifier::Vrn(vrn.clone()),
            known_fact: None,
        };
        let started = Instant::now();
        authorisations
            .create_invitation(arn, &request, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    Ok((
        Latencies {
            median: at(0.5),
            p99: at(0.99),
            max: at(1.0),
        },
        times.len(),
    ))
}

/// The strongest lock mode any session held on `invitations` while the sweep ran.
async fn strongest_lock(url: String, sweeping: Arc<AtomicBool>) -> anyhow::Result<String> {
    const ORDER: [&str; 8] = [
        "AccessShareLock",
        "RowShareLock",
        "RowExclusiveLock",
        "ShareUpdateExclusiveLock",
        "ShareLock",
        "ShareRowExclusiveLock",
        "ExclusiveLock",
        "AccessExclusiveLock",
    ];
    let mut conn = AsyncPgConnection::establish(&url).await?;
    let mut strongest = 0;
    while AtomicBool::load(&sweeping, Ordering::Relaxed) {
        let modes: Vec<Mode> = diesel::sql_query(
            "SELECT mode FROM pg_locks WHERE locktype = 'relation' AND relation = 'invitations'::regclass \
             AND pid <> pg_backend_pid()",
        )
        .load(&mut conn)
        .await?;
        for mode in modes {
            strongest = strongest.max(
                ORDER
                    .iter()
                    .position(|m| *m == mode.mode)
                    .unwrap_or(ORDER.len() - 1),
            );
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(ORDER[strongest].to_owned())
}

/// A fresh database on the server `admin` points at.
async fn database(admin: &str, name: &str) -> anyhow::Result<String> {
    let mut conn = AsyncPgConnection::establish(admin).await?;
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    let server = admin.rsplit_once('/').map_or(admin, |(server, _)| server);
    Ok(format!("{server}/{name}"))
}
