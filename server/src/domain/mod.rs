//! The rules of agent authorisation, independent of HTTP.

pub mod agency;
mod error;
pub mod identifiers;
pub mod invitation_id;

pub use error::DomainError;
