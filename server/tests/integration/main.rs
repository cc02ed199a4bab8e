//! The server's integration tests, one binary: each module starts real servers on databases of its own and talks
//! to them over HTTP. The modules mirror `src/handlers/` (one per contract) and `src/web/`; `malformed_input`
//! surveys every operation at once.
//!
//! `web::browser` drives headless Chromium and is ignored by a plain `cargo test`; `cargo xtask test` runs it with
//! `web::browser --ignored`.

mod agent_authorisation_v1;
mod agent_authorisation_v2;
mod agent_client_authorisation;
mod bad_input;
mod malformed_input;
mod outage;
mod platform;
mod round_trips;
mod sandbox;
mod support;
mod test_scenarios;
mod web;
