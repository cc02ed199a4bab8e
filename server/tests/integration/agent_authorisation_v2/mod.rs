//! The Agent Authorisation API 2.0 (`openapi/agent-authorisation-v2.yaml`).

mod auth;
mod concurrency;
mod invitations;
mod relationships;
