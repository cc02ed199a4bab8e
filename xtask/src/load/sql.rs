//! A blocking PostgreSQL session for the load benchmark's own statements: seeding, resetting, turning the
//! statement log on and off.

use anyhow::{Context, Result};
use tokio::runtime::Runtime;
use tokio_postgres::{Client, NoTls};

pub struct Sql {
    runtime: Runtime,
    client: Client,
    /// This session's backend process, whose statements the capture leaves out.
    pub pid: u32,
}

impl Sql {
    pub fn connect(url: &str) -> Result<Sql> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("could not start a runtime for the benchmark's database session")?;
        let client = runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(url, NoTls)
                .await
                .with_context(|| format!("could not connect to {}", crate::db::redact_url(url)))?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            anyhow::Ok(client)
        })?;
        let pid = runtime
            .block_on(client.query_one("SELECT pg_backend_pid()", &[]))?
            .get::<_, i32>(0);
        Ok(Sql {
            runtime,
            client,
            pid: pid.unsigned_abs(),
        })
    }

    /// Runs `statements` (one or more, no parameters).
    pub fn batch(&self, statements: &str) -> Result<()> {
        self.runtime
            .block_on(self.client.batch_execute(statements))
            .with_context(|| format!("could not run: {statements}"))
    }

    /// Runs one statement with text parameters (cast in the SQL where another type is meant).
    pub fn execute(&self, statement: &str, params: &[&str]) -> Result<u64> {
        let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
            .collect();
        self.runtime
            .block_on(self.client.execute(statement, &params))
            .with_context(|| format!("could not run: {statement}"))
    }

    /// The first column of the one row `query` answers, as text.
    pub fn value(&self, query: &str) -> Result<String> {
        let row = self
            .runtime
            .block_on(self.client.query_one(query, &[]))
            .with_context(|| format!("could not run: {query}"))?;
        Ok(row.get::<_, String>(0))
    }
}
