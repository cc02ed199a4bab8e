//! The validating proxy's overhead, measured by `cargo xtask bench`: p50 and p99 latency of
//! `GET /agents/{arn}/invitations/{id}` through the proxy and directly, in the same run and under the same load (16
//! clients, each sending its next request when the last is answered), alternating, three times; then the proxy's
//! resident memory. Release builds of the server and the proxy.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::json;

use crate::build;
use crate::conformance::{HARNESS_BIN, private_server};
use crate::db::database_url;
use crate::sandbox::{self, TestUsers, field};
use crate::server::SERVER_BIN;
use crate::stats::{min_median_max, percentile};

const DATABASE: &str = "agent_auth_bench_proxy";
const CLIENTS: usize = 16;
const REPETITIONS: usize = 3;
const WARM_UP: Duration = Duration::from_secs(1);
/// Per repetition and per side, in [`SLICES`] alternating slices.
const MEASURED: Duration = Duration::from_secs(4);
const SLICES: u32 = 4;
const V2: &str = "application/vnd.hmrc.2.0+json";

/// p50 and p99 of one measurement, in microseconds, and how many requests it made.
#[derive(Debug, Clone, Copy)]
struct Latency {
    p50: u64,
    p99: u64,
    requests: usize,
}

/// The measurement against the cluster at `admin_url`.
pub fn run(root: &Path, admin_url: &str) -> Result<()> {
    let binaries = build::release_binaries(root, &[SERVER_BIN, HARNESS_BIN])?;
    let server = private_server(
        &binaries[SERVER_BIN],
        root,
        &database_url(admin_url, DATABASE),
        "server.log",
        &[],
    )?;
    let target = invitation(&server.base_url)?;
    let mut proxy = Proxy::start(&binaries[HARNESS_BIN], root, &server.base_url)?;
    let mut direct = Vec::new();
    let mut proxied = Vec::new();
    let cpu_before = proxy.cpu_micros();
    for repetition in 1..=REPETITIONS {
        crate::interrupt::check()?;
        let (d, p) = measure_both(&server.base_url, &proxy.base_url, &target)?;
        println!(
            "    repetition {repetition}: direct p50 {} µs p99 {} µs ({} requests); proxy p50 {} µs p99 {} µs ({} requests)",
            d.p50, d.p99, d.requests, p.p50, p.p99, p.requests
        );
        direct.push(d);
        proxied.push(p);
    }
    let requests: usize = proxied.iter().map(|l| l.requests).sum();
    let cpu = cpu_before
        .zip(proxy.cpu_micros())
        .map(|(before, after)| (after - before) / requests.max(1) as f64);
    let rss = proxy.resident_kib();
    proxy.stop();
    report(&direct, &proxied, rss, cpu);
    Ok(())
}

/// The path and headers of the request measured: a test agent's own pending invitation.
struct Target {
    path: String,
    token: String,
}

fn invitation(base_url: &str) -> Result<Target> {
    let http = sandbox::http_client(Duration::from_secs(10));
    let TestUsers {
        agent: user,
        individual: client,
    } = sandbox::create_test_users(&http, base_url)?;
    let (arn, token) = (
        field(&user, "/agentServicesAccountNumber")?,
        field(&user, "/accessToken")?,
    );
    let body = json!({"service": ["MTD-IT"], "clientType": "personal", "clientIdType": "ni",
        "clientId": field(&client, "/nino")?, "knownFact": field(&client, "/individualDetails/address/postcode")?});
    let response = http
        .post(&format!("{base_url}/agents/{arn}/invitations"))
        .header("Accept", V2)
        .header("Authorization", &format!("Bearer {token}"))
        .send_json(&body)?;
    let path = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            anyhow!(
                "creating the invitation answered {} without a Location",
                response.status()
            )
        })?
        .to_owned();
    Ok(Target { path, token })
}

/// Direct and through the proxy, in alternating slices (so that a change in the machine's other load falls on
/// both alike), after a warm-up of each.
fn measure_both(direct: &str, proxy: &str, target: &Target) -> Result<(Latency, Latency)> {
    load(direct, target, WARM_UP)?;
    load(proxy, target, WARM_UP)?;
    let (mut d, mut p) = (Vec::new(), Vec::new());
    for _ in 0..SLICES {
        d.extend(load(direct, target, MEASURED / SLICES)?);
        p.extend(load(proxy, target, MEASURED / SLICES)?);
    }
    Ok((latency(d)?, latency(p)?))
}

/// [`CLIENTS`] clients sending the request for `length`; every answer must be 200. The latencies, in microseconds.
fn load(base_url: &str, target: &Target, length: Duration) -> Result<Vec<u64>> {
    let url = format!("{base_url}{}", target.path);
    let auth = format!("Bearer {}", target.token);
    let threads: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (url, auth) = (url.clone(), auth.clone());
            thread::spawn(move || client(&url, &auth, length))
        })
        .collect();
    let mut samples = Vec::new();
    for thread in threads {
        samples.extend(
            thread
                .join()
                .map_err(|_| anyhow!("a load thread panicked"))??,
        );
    }
    Ok(samples)
}

fn latency(mut samples: Vec<u64>) -> Result<Latency> {
    if samples.is_empty() {
        bail!("no request was answered");
    }
    samples.sort_unstable();
    Ok(Latency {
        p50: percentile(&samples, 0.50),
        p99: percentile(&samples, 0.99),
        requests: samples.len(),
    })
}

/// One client: requests one after the other for `length`; each one's latency in microseconds.
fn client(url: &str, auth: &str, length: Duration) -> Result<Vec<u64>> {
    let http = sandbox::http_client(Duration::from_secs(10));
    let mut taken = Vec::new();
    let end = Instant::now() + length;
    while Instant::now() < end {
        let started = Instant::now();
        let mut response = http
            .get(url)
            .header("Accept", V2)
            .header("Authorization", auth)
            .call()?;
        let _ = response.body_mut().read_to_vec()?;
        if response.status() != 200 {
            bail!("GET {url} answered {}", response.status());
        }
        taken.push(started.elapsed().as_micros() as u64);
    }
    Ok(taken)
}

fn report(direct: &[Latency], proxied: &[Latency], rss_kib: Option<u64>, cpu_us: Option<f64>) {
    let spread = |values: Vec<f64>| {
        let (min, median, max) = min_median_max(values);
        format!("min {min:.0} / median {median:.0} / max {max:.0}")
    };
    let ratio = |f: fn(&Latency) -> u64| {
        let (min, median, max) = min_median_max(
            direct
                .iter()
                .zip(proxied)
                .map(|(d, p)| 100.0 * (f(p) as f64 / f(d).max(1) as f64 - 1.0)),
        );
        format!("min {min:+.1}% / median {median:+.1}% / max {max:+.1}%")
    };
    println!(
        "==> proxy overhead, GET /agents/{{arn}}/invitations/{{id}}, {CLIENTS} clients, {REPETITIONS} repetitions:"
    );
    let p50: fn(&Latency) -> u64 = |l| l.p50;
    let p99: fn(&Latency) -> u64 = |l| l.p99;
    for (label, side, f) in [
        ("direct p50", direct, p50),
        ("proxy  p50", proxied, p50),
        ("direct p99", direct, p99),
        ("proxy  p99", proxied, p99),
    ] {
        let values = side.iter().map(|l| f(l) as f64).collect();
        println!("    {label} µs: {}", spread(values));
    }
    println!("    added to p50: {}; to p99: {}", ratio(p50), ratio(p99));
    if let Some(cpu) = cpu_us {
        println!("    proxy CPU time per request: {cpu:.0} µs");
    }
    match rss_kib {
        Some(kib) => println!(
            "    proxy resident memory after the load: {:.1} MiB",
            kib as f64 / 1024.0
        ),
        None => println!("    proxy resident memory: unknown (no /proc)"),
    }
}

/// The proxy, a release build, on a free port; stopped when dropped.
struct Proxy {
    child: Child,
    base_url: String,
}

impl Proxy {
    fn start(binary: &Path, root: &Path, upstream: &str) -> Result<Self> {
        let port = crate::system::free_port()?;
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let mut command = Command::new(binary);
        command
            .current_dir(root)
            .args([
                "proxy",
                "--upstream",
                upstream,
                "--listen",
                &address.to_string(),
            ])
            .args(["--report-dir", "target/bench/conformance-proxy"])
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        crate::system::stop_with_xtask(&mut command);
        let child = command
            .spawn()
            .with_context(|| format!("could not start {}", binary.display()))?;
        let proxy = Proxy {
            child,
            base_url: format!("http://{address}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            if Instant::now() > deadline {
                bail!("the proxy did not accept connections on {address} within 30 s");
            }
            thread::sleep(Duration::from_millis(50));
        }
        Ok(proxy)
    }

    /// User and system CPU time so far, in microseconds, from /proc.
    fn cpu_micros(&self) -> Option<f64> {
        crate::load::cpu_micros(self.child.id())
    }

    /// VmRSS from /proc.
    fn resident_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    fn stop(&mut self) {
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) on our own child, not yet reaped.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let _ = self.child.wait();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.stop();
        }
    }
}
