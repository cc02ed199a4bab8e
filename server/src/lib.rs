//! Agent authorisation: HMRC's agent/client authorisation APIs, contract first, on PostgreSQL.
//!
//! Data flows one way: `api` (generated from `openapi/`) → `handlers` → `domain` → `store`. The client's web
//! pages (`web`) sit beside `handlers` and call the same domain.

pub mod api;
pub mod domain;
#[cfg(feature = "fault-injection")]
pub mod fault;
pub mod handlers;
mod logging;
pub mod metrics;
pub mod server;
pub mod store;
mod web;
