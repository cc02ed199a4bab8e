//! The one error body, `{code, message}`, and the one table from domain errors to HTTP.

use std::borrow::Cow;

use dropshot::{Body, ErrorStatusCode, HttpError, HttpResponseError};
use http::{Response, StatusCode};
use schemars::JsonSchema;
use serde::Serialize;

use crate::domain::DomainError;

/// An error answer: its status, the documented `{code, message}` body, and sometimes a `Location`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename = "Error")]
pub struct ApiError {
    #[serde(skip)]
    status: ErrorStatusCode,
    /// A stable, documented error code such as `CLIENT_ID_FORMAT_INVALID`.
    code: Cow<'static, str>,
    /// The documented message for the code.
    message: Cow<'static, str>,
    #[serde(skip)]
    location: Option<String>,
    /// Seconds to wait before trying again (`Retry-After`), on 503.
    #[serde(skip)]
    retry_after: Option<u32>,
    /// What went wrong inside, for the log only.
    #[serde(skip)]
    detail: Option<String>,
}

impl ApiError {
    fn new(status: ErrorStatusCode, code: &'static str, message: &'static str) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            location: None,
            retry_after: None,
            detail: None,
        }
    }

    /// A documented answer given as it is (a test scenario's example).
    pub fn documented(
        status: ErrorStatusCode,
        code: Cow<'static, str>,
        message: Cow<'static, str>,
    ) -> Self {
        Self {
            status,
            code,
            message,
            location: None,
            retry_after: None,
            detail: None,
        }
    }

    /// Adds the `Location` header (DUPLICATE_AUTHORISATION_REQUEST names the existing request).
    pub fn with_location(mut self, location: String) -> Self {
        self.location = Some(location);
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status.as_status()
    }

    pub fn has_headers(&self) -> bool {
        self.location.is_some() || self.retry_after.is_some()
    }

    pub fn accept_header_missing() -> Self {
        Self::new(
            ErrorStatusCode::NOT_ACCEPTABLE,
            "ACCEPT_HEADER_INVALID",
            "Missing 'Accept' header.",
        )
    }

    pub fn accept_header_invalid() -> Self {
        Self::new(
            ErrorStatusCode::NOT_ACCEPTABLE,
            "ACCEPT_HEADER_INVALID",
            "Invalid 'Accept' header.",
        )
    }

    pub fn unsupported_version() -> Self {
        Self::new(
            ErrorStatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Missing or unsupported version number",
        )
    }

    pub fn unsupported_content_type() -> Self {
        Self::new(
            ErrorStatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Missing or unsupported content-type.",
        )
    }

    pub fn bad_request() -> Self {
        Self::new(ErrorStatusCode::BAD_REQUEST, "BAD_REQUEST", "Bad Request")
    }

    /// A body that did not arrive in time.
    pub fn request_timeout() -> Self {
        Self::new(
            ErrorStatusCode::REQUEST_TIMEOUT,
            "REQUEST_TIMEOUT",
            "The request was not received in time.",
        )
    }

    /// A path, or a method of a path, that does not exist.
    pub fn not_found() -> Self {
        Self::new(
            ErrorStatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Resource was not found.",
        )
    }

    /// Carries this error through dropshot's extractor interface, which speaks `HttpError`;
    /// `From<HttpError>` turns it back unchanged.
    pub fn into_http_error(self) -> HttpError {
        HttpError {
            status_code: self.status,
            error_code: Some(self.code.into_owned()),
            external_message: self.message.into_owned(),
            internal_message: self.detail.unwrap_or_default(),
            headers: None,
        }
    }

    /// The full response, for errors answered on the response side (see `WithErrorHeaders`).
    pub fn into_response(self) -> Result<Response<Body>, HttpError> {
        let mut builder = Response::builder()
            .status(self.status.as_status())
            .header(http::header::CONTENT_TYPE, dropshot::CONTENT_TYPE_JSON);
        if let Some(location) = &self.location {
            builder = builder.header(http::header::LOCATION, location);
        }
        if let Some(seconds) = self.retry_after {
            builder = builder.header(http::header::RETRY_AFTER, seconds.to_string());
        }
        let body = serde_json::to_string(&self)
            .map_err(|e| HttpError::for_internal_error(e.to_string()))?;
        Ok(builder.body(body.into())?)
    }
}

impl ApiError {
    /// The full response, for answers made outside a handler, where there is nothing to return an error to.
    pub fn into_response_infallible(self) -> Response<Body> {
        self.into_response().unwrap_or_else(|_| {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl HttpResponseError for ApiError {
    fn status_code(&self) -> ErrorStatusCode {
        self.status
    }
}

/// Errors raised by dropshot itself (request parsing) or by our extractors.
impl From<HttpError> for ApiError {
    fn from(error: HttpError) -> Self {
        let ours = error.error_code.as_deref().is_some_and(|code| {
            !code.is_empty() && code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
        });
        if ours {
            return Self {
                status: error.status_code,
                code: error.error_code.unwrap_or_default().into(),
                message: error.external_message.into(),
                location: None,
                retry_after: None,
                detail: None,
            };
        }
        let detail = Some(error.internal_message.clone());
        let mut mapped = if error.status_code.is_server_error() {
            internal()
        } else if is_content_type_problem(&error.external_message) {
            Self::unsupported_content_type()
        } else {
            // Every other client error dropshot raises is a request that does not fit the contract:
            // unparsable JSON, a wrong shape, a body over the limit, a bad query string.
            Self::bad_request()
        };
        mapped.detail = detail;
        mapped
    }
}

fn is_content_type_problem(message: &str) -> bool {
    message.starts_with("unsupported content-type")
        || message.starts_with("expected content type")
        || message.starts_with("invalid content type")
}

/// How long a client is told to wait while the database is unreachable.
const RETRY_AFTER_SECONDS: u32 = 5;

fn internal() -> ApiError {
    ApiError::new(
        ErrorStatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL_SERVER_ERROR",
        "Internal server error.",
    )
}

/// The error catalogue (docs/domain.md §9; codes and messages as HMRC documents them).
impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        use DomainError::*;
        const BAD: ErrorStatusCode = ErrorStatusCode::BAD_REQUEST;
        const FORBIDDEN: ErrorStatusCode = ErrorStatusCode::FORBIDDEN;
        const NOT_FOUND: ErrorStatusCode = ErrorStatusCode::NOT_FOUND;
        const SERVICE_NOT_SUPPORTED: &str = "The service requested is not supported. Check the API documentation to find which services are supported.";
        const CLIENT_REGISTRATION_NOT_FOUND: &str =
            "The details provided for this client do not match HMRC's records.";
        const NO_PERMISSION: &str = "The user that is signed in cannot access this authorisation request. Their details do not match the agent business that created the authorisation request.";
        let (status, code, message) = match &error {
            BadRequest => return Self::bad_request(),
            ServiceNotSupported => (BAD, "SERVICE_NOT_SUPPORTED", SERVICE_NOT_SUPPORTED),
            ServiceNotImplemented => (
                ErrorStatusCode::NOT_IMPLEMENTED,
                "SERVICE_NOT_SUPPORTED",
                SERVICE_NOT_SUPPORTED,
            ),
            ClientTypeNotSupported => (
                BAD,
                "CLIENT_TYPE_NOT_SUPPORTED",
                "The client type requested is not supported. Check the API documentation to find which client types are supported.",
            ),
            ClientIdFormatInvalid => (
                BAD,
                "CLIENT_ID_FORMAT_INVALID",
                "Client identifier must be in the correct format. Check the API documentation to find the correct format.",
            ),
            ClientIdDoesNotMatchService => (
                BAD,
                "CLIENT_ID_DOES_NOT_MATCH_SERVICE",
                "The type of client Identifier provided cannot be used with the requested service. Check the API documentation for details of the correct client identifiers to use.",
            ),
            PostcodeFormatInvalid => (
                BAD,
                "POSTCODE_FORMAT_INVALID",
                "Postcode must be in the correct format. Check the API documentation to find the correct format.",
            ),
            VatRegDateFormatInvalid => (
                BAD,
                "VAT_REG_DATE_FORMAT_INVALID",
                "VAT registration date must be in the correct format. Check the API documentation to find the correct format.",
            ),
            AgentTypeNotSupported => (
                BAD,
                "AGENT_TYPE_NOT_SUPPORTED",
                "The agent type requested is not supported. Check the API documentation to find which agent types are supported.",
            ),
            Unauthorized => (
                ErrorStatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "Bearer token is missing or not authorized.",
            ),
            NotAnAgent => (
                FORBIDDEN,
                "NOT_AN_AGENT",
                "This user does not have a Government Gateway agent account. They need to create an Government Gateway agent account before they can use this service.",
            ),
            AgentNotSubscribed => (
                FORBIDDEN,
                "AGENT_NOT_SUBSCRIBED",
                "This agent needs to create an agent services account before they can use this service.",
            ),
            NoPermissionOnAgency => (FORBIDDEN, "NO_PERMISSION_ON_AGENCY", NO_PERMISSION),
            AlreadyBeingProcessed => (
                FORBIDDEN,
                "ALREADY_BEING_PROCESSED",
                "More than one request received to create the same invitation.",
            ),
            DuplicateAuthorisationRequest { .. } => (
                FORBIDDEN,
                "DUPLICATE_AUTHORISATION_REQUEST",
                "An authorisation request for this service has already been created and is awaiting the client’s response.",
            ),
            ClientRegistrationNotFound => (
                FORBIDDEN,
                "CLIENT_REGISTRATION_NOT_FOUND",
                CLIENT_REGISTRATION_NOT_FOUND,
            ),
            NoClientRecord => (
                NOT_FOUND,
                "CLIENT_REGISTRATION_NOT_FOUND",
                CLIENT_REGISTRATION_NOT_FOUND,
            ),
            PostcodeDoesNotMatch => (
                FORBIDDEN,
                "POSTCODE_DOES_NOT_MATCH",
                "The postcode provided does not match HMRC's record for the client.",
            ),
            VatRegDateDoesNotMatch => (
                FORBIDDEN,
                "VAT_REG_DATE_DOES_NOT_MATCH",
                "The VAT registration date provided does not match HMRC's record for the client.",
            ),
            VatClientInsolvent => (
                FORBIDDEN,
                "VAT_CLIENT_INSOLVENT",
                "The VAT registration number belongs to a customer that is insolvent.",
            ),
            AlreadyAuthorised => (
                FORBIDDEN,
                "ALREADY_AUTHORISED",
                "The client has already authorised the agent for this service. The agent does not need ask the client for this authorisation again.",
            ),
            InvitationNotFound => (
                NOT_FOUND,
                "INVITATION_NOT_FOUND",
                "The authorisation request cannot be found.",
            ),
            InvitationNotCancellable => (
                FORBIDDEN,
                "INVALID_INVITATION_STATUS",
                "This authorisation request cannot be cancelled as the client has already responded to the request, or the request has expired.",
            ),
            InvitationNotPending => (
                FORBIDDEN,
                "INVALID_INVITATION_STATUS",
                "The authorisation request cannot be answered as it is no longer pending.",
            ),
            InvitationNoLongerPending => (
                ErrorStatusCode::CONFLICT,
                "INVALID_INVITATION_STATUS",
                "The authorisation request cannot be answered as it is no longer pending.",
            ),
            NoPermission => (
                FORBIDDEN,
                "NO_PERMISSION",
                "The logged in user is not permitted to perform the operation.",
            ),
            RelationshipNotFound => (
                NOT_FOUND,
                "RELATIONSHIP_NOT_FOUND",
                "Relationship is inactive. Agent is not authorised to act for this client.",
            ),
            NoRelationship => (
                FORBIDDEN,
                "NO_RELATIONSHIP",
                "The specified relationship does not exist.",
            ),
            ServiceNameNotSupported => (
                BAD,
                "SERVICE_NAME_NOT_SUPPORTED",
                "One or more service names are not supported for this type of user.",
            ),
            DateOfBirthFormatInvalid => (
                BAD,
                "DATE_OF_BIRTH_FORMAT_INVALID",
                "Date of birth must be in the correct format. Check the API documentation to find the correct format.",
            ),
            DateOfBirthDoesNotMatch => (
                FORBIDDEN,
                "DATE_OF_BIRTH_DOES_NOT_MATCH",
                "The date of birth provided does not match HMRC's record for the client.",
            ),
            NoPermissionOnClient => (
                FORBIDDEN,
                "NO_PERMISSION_ON_CLIENT",
                "The user that is signed in cannot access this client's authorisation requests.",
            ),
            NotAClient => (
                FORBIDDEN,
                "NOT_A_CLIENT",
                "This user has no client enrolments.",
            ),
            AltItsaNotFound => (
                NOT_FOUND,
                "ALT_ITSA_NOT_FOUND",
                "No alternative ITSA authorisation found for this client.",
            ),
            Internal(detail) => {
                return Self {
                    detail: Some(detail.clone()),
                    ..internal()
                };
            }
            Unavailable(detail) => {
                return Self {
                    retry_after: Some(RETRY_AFTER_SECONDS),
                    detail: Some(detail.clone()),
                    ..Self::new(
                        ErrorStatusCode::SERVICE_UNAVAILABLE,
                        "SERVICE_UNAVAILABLE",
                        "The service is currently unavailable.",
                    )
                };
            }
        };
        #[cfg(feature = "fault-injection")]
        let code = if crate::fault::active("wrong-error-code") && code == "POSTCODE_DOES_NOT_MATCH"
        {
            "POSTCODE_MISMATCH"
        } else {
            code
        };
        #[cfg(feature = "fault-injection")]
        let message =
            if crate::fault::active("wrong-message") && code == "CLIENT_TYPE_NOT_SUPPORTED" {
                "The client type is not supported."
            } else {
                message
            };
        Self::new(status, code, message)
    }
}
