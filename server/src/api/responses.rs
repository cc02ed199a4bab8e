//! Response shapes dropshot does not have.

use dropshot::{
    ApiEndpointResponse, Body, HttpError, HttpResponse, HttpResponseOk,
    HttpResponseUpdatedNoContent,
};
use http::{Response, StatusCode};

use super::ApiError;

/// 200 with a body, or 204 with none (a list that may be empty).
pub enum OkOrNoContent<T> {
    Ok(T),
    NoContent,
}

impl<T: serde::Serialize + schemars::JsonSchema + Send + Sync + 'static> HttpResponse
    for OkOrNoContent<T>
{
    fn to_result(self) -> Result<Response<Body>, HttpError> {
        match self {
            Self::Ok(body) => HttpResponseOk(body).to_result(),
            Self::NoContent => Ok(Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Body::empty())?),
        }
    }

    /// Dropshot documents one success status; the contract's 204 beside it is proved at run time.
    fn response_metadata() -> ApiEndpointResponse {
        HttpResponseOk::<T>::response_metadata()
    }

    fn status_code(&self) -> StatusCode {
        match self {
            Self::Ok(_) => StatusCode::OK,
            Self::NoContent => StatusCode::NO_CONTENT,
        }
    }
}

/// A success, or an error whose documented response carries headers (DUPLICATE_AUTHORISATION_REQUEST's
/// `Location`). Dropshot's error path cannot add headers, so such errors travel on the response side.
pub enum WithErrorHeaders<T> {
    Success(T),
    Error(ApiError),
}

impl<T> WithErrorHeaders<T> {
    /// Routes errors that carry headers into the response; others stay errors.
    pub fn from_result(result: Result<T, ApiError>) -> Result<Self, ApiError> {
        match result {
            Ok(success) => Ok(Self::Success(success)),
            Err(error) if error.has_headers() => Ok(Self::Error(error)),
            Err(error) => Err(error),
        }
    }
}

impl<T: HttpResponse> HttpResponse for WithErrorHeaders<T> {
    fn to_result(self) -> Result<Response<Body>, HttpError> {
        match self {
            Self::Success(success) => success.to_result(),
            Self::Error(error) => error.into_response(),
        }
    }

    fn response_metadata() -> ApiEndpointResponse {
        T::response_metadata()
    }

    fn status_code(&self) -> StatusCode {
        match self {
            Self::Success(success) => success.status_code(),
            Self::Error(error) => error.status(),
        }
    }
}

/// The `Location` response header.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct LocationHeader {
    #[serde(rename = "Location")]
    pub location: String,
}

/// 201 with a `Location` header and no body.
pub struct CreatedWithLocation(pub String);

impl HttpResponse for CreatedWithLocation {
    fn to_result(self) -> Result<Response<Body>, HttpError> {
        Ok(Response::builder()
            .status(StatusCode::CREATED)
            .header(http::header::LOCATION, self.0)
            .body(Body::empty())?)
    }

    fn response_metadata() -> ApiEndpointResponse {
        let mut metadata = dropshot::HttpResponseHeaders::<
            HttpResponseUpdatedNoContent,
            LocationHeader,
        >::response_metadata();
        metadata.success = Some(StatusCode::CREATED);
        metadata.description = Some("created".to_owned());
        metadata
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::CREATED
    }
}

/// 201 or 204, neither with a body (a maintenance call that may or may not create something).
pub enum CreatedOrNoContent {
    Created,
    NoContent,
}

impl HttpResponse for CreatedOrNoContent {
    fn to_result(self) -> Result<Response<Body>, HttpError> {
        Ok(Response::builder()
            .status(self.status_code())
            .body(Body::empty())?)
    }

    /// Dropshot documents one success status; the contract's 204 beside it is proved at run time.
    fn response_metadata() -> ApiEndpointResponse {
        let mut metadata = HttpResponseUpdatedNoContent::response_metadata();
        metadata.success = Some(StatusCode::CREATED);
        metadata.description = Some("created".to_owned());
        metadata
    }

    fn status_code(&self) -> StatusCode {
        match self {
            Self::Created => StatusCode::CREATED,
            Self::NoContent => StatusCode::NO_CONTENT,
        }
    }
}

/// 200 with no body (a health check).
pub struct OkEmpty;

impl HttpResponse for OkEmpty {
    fn to_result(self) -> Result<Response<Body>, HttpError> {
        Ok(Response::builder()
            .status(StatusCode::OK)
            .body(Body::empty())?)
    }

    fn response_metadata() -> ApiEndpointResponse {
        let mut metadata = HttpResponseUpdatedNoContent::response_metadata();
        metadata.success = Some(StatusCode::OK);
        metadata.description = Some("successful operation".to_owned());
        metadata
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::OK
    }
}

/// 200 with a text document that is not JSON (a contract in YAML, an HTML page), of the media type given.
pub struct TextDocument {
    pub media_type: &'static str,
    pub text: std::borrow::Cow<'static, str>,
}

impl HttpResponse for TextDocument {
    fn to_result(self) -> Result<Response<Body>, HttpError> {
        Ok(Response::builder()
            .status(StatusCode::OK)
            .header(http::header::CONTENT_TYPE, self.media_type)
            .body(String::from(self.text).into())?)
    }

    /// Dropshot describes every body as JSON; the schema, a string, is what the contract says.
    fn response_metadata() -> ApiEndpointResponse {
        HttpResponseOk::<String>::response_metadata()
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::OK
    }
}
