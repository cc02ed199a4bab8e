//! The Agent Client Authorisation backend (`openapi/agent-client-authorisation.yaml`).

mod agent;
mod client;
mod journeys;
mod races;
