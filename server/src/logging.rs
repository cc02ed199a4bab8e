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
        let mut fields = Fields(String::new());
        let _ = record.kv().serialize(record, &mut fields);
        let _ = values.serialize(record, &mut fields);
        let message = record.msg();
        let fields = fields.0;
        match record.level() {
            Level::Critical | Level::Error => {
                tracing::error!(target: "dropshot", "{message}{fields}")
            }
            Level::Warning => tracing::warn!(target: "dropshot", "{message}{fields}"),
            Level::Info => tracing::info!(target: "dropshot", "{message}{fields}"),
            Level::Debug => tracing::debug!(target: "dropshot", "{message}{fields}"),
            Level::Trace => tracing::trace!(target: "dropshot", "{message}{fields}"),
        }
        Ok(())
    }
}

struct Fields(String);

impl Serializer for Fields {
    fn emit_arguments(&mut self, key: slog::Key, value: &std::fmt::Arguments<'_>) -> slog::Result {
        let _ = write!(self.0, " {key}={value}");
        Ok(())
    }
}
