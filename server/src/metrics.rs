//! The server's metrics, served by `GET /metrics` in the OpenMetrics text format that Prometheus scrapes: requests
//! by operation and status with their latency (recorded as each generated operation ends), and the connection
//! pool and the statements sent to the database (read from the store when scraped). Each server has its own
//! registry, so servers sharing a process (the tests) do not mix their numbers.

use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::store::Store;

/// The media type of the OpenMetrics text format.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

type Latencies = Family<OperationLabels, Histogram, fn() -> Histogram>;

/// One server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Latencies,
}

/// From half a millisecond to about 8 seconds, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

impl Metrics {
    pub fn new(store: Store) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by operation and status",
            requests.clone(),
        );
        let latency: Latencies = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from the request's arrival at its operation to its answer, by operation",
            latency.clone(),
        );
        registry.register_collector(Box::new(DatabaseCollector(store)));
        Self {
            registry,
            requests,
            latency,
        }
    }

    /// Records one answered request.
    pub fn observe(&self, operation: &'static str, status: u16, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels { operation, status })
            .inc();
        self.latency
            .get_or_create(&OperationLabels { operation })
            .observe(took.as_secs_f64());
    }

    /// Every metric, in the OpenMetrics text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// The pool and the statement counts, read when scraped.
struct DatabaseCollector(Store);

impl std::fmt::Debug for DatabaseCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseCollector")
    }
}

impl Collector for DatabaseCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let pool = self.0.pool_status();
        let gauges = [
            (
                "db_pool_max_connections",
                "Connections the pool may hold",
                pool.max_size,
            ),
            (
                "db_pool_connections",
                "Connections the pool holds",
                pool.size,
            ),
            (
                "db_pool_connections_in_use",
                "Connections checked out",
                pool.in_use,
            ),
            (
                "db_pool_waiting",
                "Check-outs waiting for a connection",
                pool.waiting,
            ),
        ];
        for (name, help, value) in gauges {
            let value = i64::try_from(value).unwrap_or(i64::MAX);
            encode_one(&mut encoder, name, help, &ConstGauge::new(value))?;
        }
        let counts = self.0.counts();
        let counters = [
            (
                "db_pool_checkouts",
                "Connections checked out of the pool",
                counts.checkouts(),
            ),
            (
                "db_pool_checkout_errors",
                "Check-outs that failed (no connection to be had)",
                counts.checkout_errors(),
            ),
            (
                "db_statements",
                "Statements sent to the database, each one round trip",
                counts.statements(),
            ),
            (
                "db_statement_errors",
                "Statements that failed",
                counts.errors(),
            ),
        ];
        for (name, help, value) in counters {
            encode_one(&mut encoder, name, help, &ConstCounter::new(value))?;
        }
        let waited = ConstCounter::new(counts.checkout_wait_seconds());
        encode_one(
            &mut encoder,
            "db_pool_checkout_wait_seconds",
            "Time spent waiting for check-outs",
            &waited,
        )
    }
}

fn encode_one(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    metric: &impl EncodeMetric,
) -> Result<(), std::fmt::Error> {
    let metric_encoder = encoder.encode_descriptor(name, help, None, metric.metric_type())?;
    metric.encode(metric_encoder)
}
