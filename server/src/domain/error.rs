//! Everything the domain can refuse, in its own words. `crate::api::error` maps each to its HTTP status,
//! code and message, in one table.

use super::invitation_id::InvitationId;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// A body or path the contract's shapes do not allow (bad JSON, a malformed invitation id).
    #[error("the request is malformed")]
    BadRequest,
    /// A service the public API does not offer.
    #[error("the service is not supported")]
    ServiceNotSupported,
    /// A service id this system does not know at all (the backend answers 501).
    #[error("the service is not implemented")]
    ServiceNotImplemented,
    #[error("the client type is not supported")]
    ClientTypeNotSupported,
    #[error("the client identifier is malformed")]
    ClientIdFormatInvalid,
    #[error("the client identifier type does not fit the service")]
    ClientIdDoesNotMatchService,
    #[error("the postcode is malformed")]
    PostcodeFormatInvalid,
    #[error("the VAT registration date is malformed")]
    VatRegDateFormatInvalid,
    #[error("the agent type is not supported")]
    AgentTypeNotSupported,

    #[error("no valid bearer token")]
    Unauthorized,
    #[error("the caller is not an agent")]
    NotAnAgent,
    #[error("the agent has no agent services account")]
    AgentNotSubscribed,
    #[error("the agent acts for another agency")]
    NoPermissionOnAgency,

    #[error("an identical request is being processed")]
    AlreadyBeingProcessed,
    #[error("a pending request {existing} already exists")]
    DuplicateAuthorisationRequest { existing: InvitationId },
    #[error("no client record matches")]
    ClientRegistrationNotFound,
    /// A known-fact lookup found no record (the known-facts endpoints answer 404).
    #[error("no client record for the identifier")]
    NoClientRecord,
    #[error("the postcode does not match the client's record")]
    PostcodeDoesNotMatch,
    #[error("the VAT registration date does not match the client's record")]
    VatRegDateDoesNotMatch,
    #[error("the VAT client is insolvent")]
    VatClientInsolvent,
    #[error("the agent is already authorised")]
    AlreadyAuthorised,

    #[error("no such invitation")]
    InvitationNotFound,
    /// Cancelling a request the client has answered, or that has expired.
    #[error("the invitation cannot be cancelled in its state")]
    InvitationNotCancellable,
    /// Answering a request that is no longer pending.
    #[error("the invitation cannot be answered in its state")]
    InvitationNotPending,
    /// Answering, through the sandbox's test support, a request that is no longer pending otherwise than it was.
    #[error("the invitation is no longer pending")]
    InvitationNoLongerPending,
    /// The caller may not do this at all (not HMRC staff; not the request's agent or client).
    #[error("the caller may not do this")]
    NoPermission,
    #[error("no active relationship")]
    RelationshipNotFound,
    #[error("no relationship to end")]
    NoRelationship,

    #[error("a service name is not supported for this kind of user")]
    ServiceNameNotSupported,

    #[error("the date of birth is malformed")]
    DateOfBirthFormatInvalid,
    #[error("the date of birth does not match the client's record")]
    DateOfBirthDoesNotMatch,
    /// The caller holds no enrolment for the client identifier it names.
    #[error("the caller cannot act for this client")]
    NoPermissionOnClient,
    /// The caller is not a client at all.
    #[error("the caller has no client enrolments")]
    NotAClient,
    #[error("no alternative ITSA authorisation")]
    AltItsaNotFound,

    /// A fault inside the server (the store, a bug). Never the caller's mistake.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database cannot be reached: nothing was changed, and trying again later may succeed.
    #[error("the database is unreachable: {0}")]
    Unavailable(String),
}

impl From<diesel::result::Error> for DomainError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            // The connection broke: the server or the network is gone.
            Error::DatabaseError(
                DatabaseErrorKind::UnableToSendCommand | DatabaseErrorKind::ClosedConnection,
                _,
            ) => Self::Unavailable(format!("database: {error}")),
            _ => Self::Internal(format!("database: {error}")),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for DomainError {
    /// No connection to be had, whether the database refuses or it is too busy to answer in time.
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        Self::Unavailable(format!("database pool: {error}"))
    }
}
