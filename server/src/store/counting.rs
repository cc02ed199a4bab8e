//! What the server's connections send: every statement (one round trip each, `BEGIN` and `COMMIT` included) and
//! every one that failed, counted on each connection through diesel's instrumentation. Tests hold the number of
//! round trips per operation to a budget with it; `/metrics` reports it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::connection::{Instrumentation, InstrumentationEvent};

/// Totals over every connection of one pool.
#[derive(Debug, Default)]
pub struct StatementCounts {
    statements: AtomicU64,
    errors: AtomicU64,
    checkouts: AtomicU64,
    checkout_wait_micros: AtomicU64,
    checkout_errors: AtomicU64,
}

impl StatementCounts {
    /// Statements sent so far.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Statements that failed so far, the connection's own failures included.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Connections checked out of the pool so far (once per request, or per call outside a request).
    pub fn checkouts(&self) -> u64 {
        self.checkouts.load(Ordering::Relaxed)
    }

    /// Time spent waiting for check-outs (a free connection, or a new one being made), in seconds.
    pub fn checkout_wait_seconds(&self) -> f64 {
        self.checkout_wait_micros.load(Ordering::Relaxed) as f64 / 1e6
    }

    /// Check-outs that failed: the database refused a new connection, or none was free in time.
    pub fn checkout_errors(&self) -> u64 {
        self.checkout_errors.load(Ordering::Relaxed)
    }

    pub(super) fn checked_out(&self, waited: std::time::Duration, ok: bool) {
        let micros = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
        self.checkout_wait_micros
            .fetch_add(micros, Ordering::Relaxed);
        let counter = if ok {
            &self.checkouts
        } else {
            &self.checkout_errors
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The instrumentation each connection of the pool carries.
pub(super) struct Counting(pub(super) Arc<StatementCounts>);

impl Instrumentation for Counting {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => {
                self.0.statements.fetch_add(1, Ordering::Relaxed);
            }
            InstrumentationEvent::FinishQuery { error: Some(_), .. } => {
                self.0.errors.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}
