//! The `Accept` header, which names the API version (docs/domain.md §6, step 1): the version dropshot routes by,
//! the extractor that documents the header on each versioned operation, and the answers when no operation serves
//! what was asked for.

use dropshot::semver::Version;
use dropshot::{
    ApiEndpointBodyContentType, Body, DynamicVersionPolicy, ExtractorMetadata, Header, HttpError,
    RequestContext, ServerContext, SharedExtractor,
};
use schemars::JsonSchema;
use schemars::r#gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject};

use super::ApiError;

/// What a well-formed `Accept: application/vnd.hmrc.MAJOR.MINOR+TYPE` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaType {
    pub major: u64,
    pub minor: u64,
    /// Whether TYPE is `json` (in any case).
    pub json: bool,
}

/// Reads the header: 406 when it is missing or not of the `application/vnd.hmrc.X.Y+type` shape. Media types are
/// compared case-insensitively, as HTTP says.
pub fn media_type(header: Option<&http::HeaderValue>) -> Result<MediaType, ApiError> {
    let header = header.ok_or_else(ApiError::accept_header_missing)?;
    let text = header
        .to_str()
        .map_err(|_| ApiError::accept_header_invalid())?
        .trim();
    let header = text.to_ascii_lowercase();
    #[cfg(feature = "fault-injection")]
    let header = if crate::fault::active("accept-case-sensitive") {
        text.to_owned()
    } else {
        header
    };
    let (version, media_type) = header
        .strip_prefix("application/vnd.hmrc.")
        .and_then(|rest| rest.split_once('+'))
        .ok_or_else(ApiError::accept_header_invalid)?;
    let (major, minor) = version
        .split_once('.')
        .and_then(|(major, minor)| Some((number(major)?, number(minor)?)))
        .ok_or_else(ApiError::accept_header_invalid)?;
    if media_type.is_empty() || !media_type.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::accept_header_invalid());
    }
    Ok(MediaType {
        major,
        minor,
        json: media_type == "json",
    })
}

fn number(text: &str) -> Option<u64> {
    let digits = !text.is_empty() && text.len() <= 3 && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}

/// The version dropshot routes a request by: the one its `Accept` header names. A request whose header is
/// missing or malformed asks for no API version (0.0.0), which only the operations without an `Accept` header
/// serve; where only versioned operations are, [`answer_routing_error`] says what was wrong with the header.
#[derive(Debug)]
pub struct AcceptVersion;

/// The version of a request that names none.
const NO_VERSION: Version = Version::new(0, 0, 0);

impl DynamicVersionPolicy for AcceptVersion {
    fn request_extract_version(
        &self,
        request: &http::Request<Body>,
        _log: &slog::Logger,
    ) -> Result<Version, HttpError> {
        let asked = media_type(request.headers().get(http::header::ACCEPT));
        Ok(asked.map_or(NO_VERSION, |media| {
            Version::new(media.major, media.minor, 0)
        }))
    }
}

/// What dropshot says when a path exists but serves no operation at the version asked for.
const NO_HANDLER_FOR_VERSION: &str = "route has no handlers for version";

/// Answers, in `{code, message}`, what dropshot refuses before any handler runs (docs/domain.md §9): a path or
/// method that does not exist is 404 NOT_FOUND; a path that exists only for other versions gets the `Accept`
/// header's error (406 when missing or malformed, else 400 for the version); an invalid path encoding is 400.
pub fn answer_routing_error(
    request: &http::Request<Body>,
    error: HttpError,
) -> http::Response<Body> {
    let status = error.status_code.as_u16();
    let answer = if status == 404 && error.internal_message.starts_with(NO_HANDLER_FOR_VERSION) {
        match media_type(request.headers().get(http::header::ACCEPT)) {
            Ok(_) => ApiError::unsupported_version(),
            Err(error) => error,
        }
    } else if status == 404 || status == 405 {
        ApiError::not_found()
    } else {
        ApiError::from(error)
    };
    answer.into_response_infallible()
}

/// Proof that the request asked for `application/vnd.hmrc.MAJOR.MINOR+json`; it documents the header on the
/// operation. Extractors run in argument order, so this comes before the body is parsed: a request routed here
/// by its version but asking for another type than JSON is refused here.
#[derive(Debug, Clone, Copy)]
pub struct Accept<const MAJOR: u8, const MINOR: u8>;

#[async_trait::async_trait]
impl<const MAJOR: u8, const MINOR: u8> SharedExtractor for Accept<MAJOR, MINOR> {
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
    ) -> Result<Self, HttpError> {
        let header = rqctx.request.headers().get(http::header::ACCEPT);
        check(header, (MAJOR, MINOR))
            .map(|()| Self)
            .map_err(ApiError::into_http_error)
    }

    fn metadata(body_content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        <Header<AcceptHeaders<MAJOR, MINOR>> as SharedExtractor>::metadata(body_content_type)
    }
}

fn check(header: Option<&http::HeaderValue>, served: (u8, u8)) -> Result<(), ApiError> {
    let asked = media_type(header)?;
    if (asked.major, asked.minor) != (u64::from(served.0), u64::from(served.1)) {
        return Err(ApiError::unsupported_version());
    }
    if !asked.json {
        return Err(ApiError::unsupported_content_type());
    }
    Ok(())
}

/// How the header is documented: required, with the one media type this operation serves.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct AcceptHeaders<const MAJOR: u8, const MINOR: u8> {
    #[serde(rename = "Accept")]
    accept: String,
}

impl<const MAJOR: u8, const MINOR: u8> JsonSchema for AcceptHeaders<MAJOR, MINOR> {
    fn schema_name() -> String {
        format!("AcceptHeadersV{MAJOR}_{MINOR}")
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let media_type = SchemaObject {
            instance_type: Some(InstanceType::String.into()),
            enum_values: Some(vec![
                format!("application/vnd.hmrc.{MAJOR}.{MINOR}+json").into(),
            ]),
            ..Default::default()
        };
        let mut object = SchemaObject {
            instance_type: Some(InstanceType::Object.into()),
            ..Default::default()
        };
        let validation = object.object();
        validation
            .properties
            .insert("Accept".to_owned(), media_type.into());
        validation.required.insert("Accept".to_owned());
        object.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(header: Option<&str>) -> Result<(), (u16, String, String)> {
        let header = header.map(|h| http::HeaderValue::from_str(h).unwrap());
        check(header.as_ref(), (2, 0)).map_err(|error| {
            let body = serde_json::to_value(&error).unwrap();
            (
                error.status().as_u16(),
                body["code"].as_str().unwrap().to_owned(),
                body["message"].as_str().unwrap().to_owned(),
            )
        })
    }

    #[test]
    fn the_served_version_passes_in_any_case() {
        for header in [
            "application/vnd.hmrc.2.0+json",
            " application/vnd.hmrc.2.0+json ",
            "application/vnd.hmrc.2.0+JSON",
            "APPLICATION/VND.HMRC.2.0+JSON",
        ] {
            assert_eq!(outcome(Some(header)), Ok(()), "{header:?}");
        }
    }

    #[test]
    fn missing_and_misshapen_headers_are_406() {
        let missing = (
            406,
            "ACCEPT_HEADER_INVALID".to_owned(),
            "Missing 'Accept' header.".to_owned(),
        );
        let invalid = (
            406,
            "ACCEPT_HEADER_INVALID".to_owned(),
            "Invalid 'Accept' header.".to_owned(),
        );
        assert_eq!(outcome(None), Err(missing));
        for header in [
            "",
            "application/json",
            "*/*",
            "application/vnd.hmrc.2+json",
            "application/vnd.hmrc.x.0+json",
            "application/vnd.hmrc.2.0",
            "application/vnd.hmrc.2.0+",
            "application/vnd.hmrc.2.0+js on",
        ] {
            assert_eq!(outcome(Some(header)), Err(invalid.clone()), "{header:?}");
        }
    }

    #[test]
    fn other_versions_and_types_are_400() {
        let version = (
            400,
            "BAD_REQUEST".to_owned(),
            "Missing or unsupported version number".to_owned(),
        );
        let content = (
            400,
            "BAD_REQUEST".to_owned(),
            "Missing or unsupported content-type.".to_owned(),
        );
        assert_eq!(
            outcome(Some("application/vnd.hmrc.1.0+json")),
            Err(version.clone())
        );
        assert_eq!(outcome(Some("application/vnd.hmrc.3.0+xml")), Err(version));
        assert_eq!(outcome(Some("application/vnd.hmrc.2.0+xml")), Err(content));
    }

    #[test]
    fn requests_are_routed_by_the_version_they_name() {
        let version = |header: Option<&str>| {
            let mut request = http::Request::builder();
            if let Some(header) = header {
                request = request.header(http::header::ACCEPT, header);
            }
            let request = request.body(Body::empty()).unwrap();
            let log = slog::Logger::root(slog::Discard, slog::o!());
            AcceptVersion
                .request_extract_version(&request, &log)
                .unwrap()
        };
        assert_eq!(
            version(Some("application/vnd.hmrc.1.0+Json")),
            Version::new(1, 0, 0)
        );
        assert_eq!(
            version(Some("application/vnd.hmrc.2.0+xml")),
            Version::new(2, 0, 0)
        );
        assert_eq!(version(None), NO_VERSION);
        assert_eq!(version(Some("application/json")), NO_VERSION);
    }
}
