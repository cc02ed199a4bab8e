//! The Agent Authorisation API 1.0 (`openapi/agent-authorisation-v1.yaml`): on HMRC's 1.0 paths (`agencies`) and
//! on the 2.0 paths, chosen by `Accept` (`agents`).

mod agencies;
mod agents;
