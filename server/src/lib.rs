//! Agent authorisation: HMRC's agent/client authorisation APIs, contract first, on PostgreSQL.

pub mod api;
pub mod domain;
