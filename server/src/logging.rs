//! Dropshot logs through slog; this drain hands each record to `tracing` as one event carrying the
//! record's message and key-values (request method, URI, status, latency), without slog's location noise.

use std::fmt::Write;

use slog::{Drain, KV, Level, OwnedKVList, Record, Serializer};

pub fn dropshot_logger() -> slog::Logger {
    slog::Logger::root(TracingDrain.fuse(), slog::o!())
}

struct TracingDrain;

impl Drain for TracingDrain {
    type Ok = ();
    type Err = slog::Never;

    fn log(&self, record: &Record<'_>, values: &OwnedKVList) -> Result<(), slog::Never> {
        // Dropshot logs every request at info level: the fields are only formatted when the record is kept.
        macro_rules! forward {
            ($level:expr) => {
                if tracing::enabled!(target: "dropshot", $level) {
                    let fields = fields(record, values);
                    tracing::event!(target: "dropshot", $level, "{}{fields}", record.msg());
                }
            };
        }
        match record.level() {
            Level::Critical | Level::Error => forward!(tracing::Level::ERROR),
            Level::Warning => forward!(tracing::Level::WARN),
            Level::Info => forward!(tracing::Level::INFO),
            Level::Debug => forward!(tracing::Level::DEBUG),
            Level::Trace => forward!(tracing::Level::TRACE),
        }
        Ok(())
    }
}

/// The record's and its logger's key-values, as ` key=value` pairs.
fn fields(record: &Record<'_>, values: &OwnedKVList) -> String {
    let mut fields = Fields(String::new());
    let _ = record.kv().serialize(record, &mut fields);
    let _ = values.serialize(record, &mut fields);
    fields.0
}

struct Fields(String);

impl Serializer for Fields {
    fn emit_arguments(&mut self, key: slog::Key, value: &std::fmt::Arguments<'_>) -> slog::Result {
        let _ = write!(self.0, " {key}={value}");
        Ok(())
    }
}
