//! The extractors the generated API uses in place of dropshot's, so that bad input is refused as documented
//! (docs/domain.md §9) before any handler or query runs:
//!
//! - [`JsonBody`]: a body over the limit is refused as soon as the limit is passed (at once when `Content-Length`
//!   says so) without reading the rest; a body that trickles is timed out (408); data after the JSON value,
//!   `null` anywhere (no contract declares a field nullable) and NUL characters are 400 BAD_REQUEST. [`FormBody`]
//!   reads the client pages' forms the same way.
//! - [`Path`] and [`Query`]: a NUL byte (`%00`) or a malformed escape (`%zz`) in the path or the query string is
//!   400 BAD_REQUEST: PostgreSQL cannot store the one, and the other is no percent-encoding.
//! - [`SandboxOnly`]: the sandbox's operations answer 404 NOT_FOUND when the sandbox is off, before their input is
//!   looked at.

use std::time::Duration;

use dropshot::{
    ApiEndpointBodyContentType, ExclusiveExtractor, ExtractorMetadata, HttpError, RequestContext,
    ServerContext, SharedExtractor,
};
use http_body_util::BodyExt;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ApiError;
use crate::handlers::ApiContext;

/// How long a request body may take to arrive when the server's settings do not say.
const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The server's own context, when the extractor runs in this server (dropshot's extractors are generic over it).
fn api_context<Context: ServerContext>(rqctx: &RequestContext<Context>) -> Option<&ApiContext> {
    (rqctx.context() as &dyn std::any::Any).downcast_ref::<ApiContext>()
}

/// A JSON request body of type `T`, read and checked as the module says.
#[derive(Debug)]
pub struct JsonBody<T>(T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

#[async_trait::async_trait]
impl<T> ExclusiveExtractor for JsonBody<T>
where
    T: JsonSchema + DeserializeOwned + Send + Sync + 'static,
{
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
        request: http::Request<dropshot::Body>,
    ) -> Result<Self, HttpError> {
        let timeout = api_context(rqctx).map_or(DEFAULT_BODY_TIMEOUT, |ctx| ctx.body_timeout);
        let bytes = read_body(request, JSON, rqctx.request_body_max_bytes(), timeout)
            .await
            .map_err(ApiError::into_http_error)?;
        parse_json(&bytes)
            .map(JsonBody)
            .map_err(ApiError::into_http_error)
    }

    fn metadata(content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        <dropshot::TypedBody<T> as ExclusiveExtractor>::metadata(content_type)
    }
}

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// The body's bytes, up to `limit`, within `timeout`. Refuses another type than `media_type` (a missing
/// `Content-Type` is taken as that type), and stops reading at the limit.
pub async fn read_body(
    request: http::Request<dropshot::Body>,
    media_type: &str,
    limit: usize,
    timeout: Duration,
) -> Result<bytes::Bytes, ApiError> {
    check_content_type(request.headers(), media_type)?;
    let declared = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(ApiError::bad_request());
    }
    tokio::time::timeout(timeout, read_up_to(request.into_body(), limit))
        .await
        .map_err(|_| ApiError::request_timeout())?
}

fn check_content_type(headers: &http::HeaderMap, expected: &str) -> Result<(), ApiError> {
    let Some(value) = headers.get(http::header::CONTENT_TYPE) else {
        return Ok(());
    };
    let media_type = value
        .to_str()
        .map_err(|_| ApiError::unsupported_content_type())?
        .split(';')
        .next()
        .unwrap_or_default()
        .trim();
    if media_type.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(ApiError::unsupported_content_type())
    }
}

/// Reads frames until the end or until `limit` is passed; the rest is never read (the connection is then closed
/// by the server rather than drained).
async fn read_up_to(mut body: dropshot::Body, limit: usize) -> Result<bytes::Bytes, ApiError> {
    let mut out = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| ApiError::bad_request())?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        if out.len() + data.len() > limit {
            return Err(ApiError::bad_request());
        }
        out.extend_from_slice(&data);
    }
    Ok(out.freeze())
}

/// One JSON value and nothing after it; no `null`, no NUL character anywhere; then the type.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| ApiError::bad_request())?;
    if !storable(&value) {
        return Err(ApiError::bad_request());
    }
    serde_json::from_value(value).map_err(|_| ApiError::bad_request())
}

/// Whether a value holds neither `null` nor a NUL character, in its strings or its keys.
fn storable(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(text) => !text.contains('\0'),
        Value::Array(items) => items.iter().all(storable),
        Value::Object(map) => map
            .iter()
            .all(|(key, value)| !key.contains('\0') && storable(value)),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Refuses a request whose path or query holds a NUL byte or a malformed escape (docs/domain.md §9).
fn well_formed_target<Context: ServerContext>(
    rqctx: &RequestContext<Context>,
) -> Result<(), HttpError> {
    let uri = rqctx.request.uri();
    let target = uri.path_and_query().map_or("", |target| target.as_str());
    if storable_target(target) {
        Ok(())
    } else {
        Err(ApiError::bad_request().into_http_error())
    }
}

/// Whether every `%` in a path and query begins an escape of two hex digits, and none is `%00`. The router
/// decodes a malformed escape (`%zz`, a trailing `%`) as the text it is, which would turn a broken identifier
/// into a different one; PostgreSQL cannot store a NUL byte.
fn storable_target(target: &str) -> bool {
    let bytes = target.as_bytes();
    bytes.iter().enumerate().all(|(at, &byte)| {
        if byte != b'%' {
            return true;
        }
        match bytes.get(at + 1..at + 3) {
            Some([high, low]) => {
                high.is_ascii_hexdigit()
                    && low.is_ascii_hexdigit()
                    && !(*high == b'0' && *low == b'0')
            }
            _ => false,
        }
    })
}

/// An HTML form's body (`application/x-www-form-urlencoded`), read as [`JsonBody`] reads JSON: refused at the
/// limit, timed out when it trickles. The refusal is kept for the page to answer, in HTML.
#[derive(Debug)]
pub struct FormBody(Result<bytes::Bytes, ApiError>);

impl FormBody {
    pub fn bytes(&self) -> Result<&[u8], &ApiError> {
        self.0.as_deref()
    }
}

#[async_trait::async_trait]
impl ExclusiveExtractor for FormBody {
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
        request: http::Request<dropshot::Body>,
    ) -> Result<Self, HttpError> {
        let timeout = api_context(rqctx).map_or(DEFAULT_BODY_TIMEOUT, |ctx| ctx.body_timeout);
        let read = read_body(request, FORM, rqctx.request_body_max_bytes(), timeout).await;
        Ok(FormBody(read))
    }

    fn metadata(content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        <dropshot::UntypedBody as ExclusiveExtractor>::metadata(content_type)
    }
}

/// Path parameters, refused with 400 when the path holds a NUL byte or a malformed escape.
#[derive(Debug)]
pub struct Path<T>(T);

impl<T> Path<T> {
    pub fn into_inner(self) -> T {
        self.0
    }

    pub fn get(&self) -> &T {
        &self.0
    }
}

#[async_trait::async_trait]
impl<T> SharedExtractor for Path<T>
where
    T: JsonSchema + DeserializeOwned + Send + Sync + 'static,
{
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
    ) -> Result<Self, HttpError> {
        well_formed_target(rqctx)?;
        let parameters = <dropshot::Path<T> as SharedExtractor>::from_request(rqctx).await?;
        Ok(Path(parameters.into_inner()))
    }

    fn metadata(content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        <dropshot::Path<T> as SharedExtractor>::metadata(content_type)
    }
}

/// Query parameters, refused with 400 when the query string holds a NUL byte or a malformed escape.
#[derive(Debug)]
pub struct Query<T>(T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

#[async_trait::async_trait]
impl<T> SharedExtractor for Query<T>
where
    T: JsonSchema + DeserializeOwned + Send + Sync + 'static,
{
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
    ) -> Result<Self, HttpError> {
        well_formed_target(rqctx)?;
        let parameters = <dropshot::Query<T> as SharedExtractor>::from_request(rqctx).await?;
        Ok(Query(parameters.into_inner()))
    }

    fn metadata(content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        <dropshot::Query<T> as SharedExtractor>::metadata(content_type)
    }
}

/// Proof that the sandbox is on: an operation of the sandbox's contract answers 404 NOT_FOUND otherwise, as a
/// path that does not exist would, before its input is read. It documents nothing.
#[derive(Debug, Clone, Copy)]
pub struct SandboxOnly;

#[async_trait::async_trait]
impl SharedExtractor for SandboxOnly {
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
    ) -> Result<Self, HttpError> {
        match api_context(rqctx) {
            Some(ctx) if !ctx.sandbox => Err(ApiError::not_found().into_http_error()),
            _ => Ok(SandboxOnly),
        }
    }

    fn metadata(_: ApiEndpointBodyContentType) -> ExtractorMetadata {
        ExtractorMetadata {
            extension_mode: dropshot::ExtensionMode::None,
            parameters: Vec::new(),
        }
    }
}

/// Marks an operation that needs a bearer token (the contract's `security`): it documents the `Authorization`
/// header, which `api::stub_description` turns back into the operation's security requirement. The token itself
/// is read, and checked in the documented order, by the handler.
#[derive(Debug, Clone, Copy)]
pub struct BearerToken;

#[async_trait::async_trait]
impl SharedExtractor for BearerToken {
    async fn from_request<Context: ServerContext>(
        _: &RequestContext<Context>,
    ) -> Result<Self, HttpError> {
        Ok(BearerToken)
    }

    fn metadata(body_content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        <dropshot::Header<AuthorizationHeader> as SharedExtractor>::metadata(body_content_type)
    }
}

/// How a bearer token travels, for the description only.
#[derive(serde::Deserialize, JsonSchema)]
#[allow(dead_code)]
struct AuthorizationHeader {
    #[serde(rename = "Authorization")]
    authorization: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Body {
        name: String,
        note: Option<String>,
    }

    fn parsed(text: &str) -> Result<Body, String> {
        parse_json(text.as_bytes()).map_err(|error| error.to_string())
    }

    #[test]
    fn one_json_value_of_the_right_shape_passes() {
        assert_eq!(
            parsed(r#" {"name": "a"} "#),
            Ok(Body {
                name: "a".into(),
                note: None
            })
        );
    }

    #[test]
    fn trailing_data_null_and_nul_are_bad_requests() {
        let bad = "BAD_REQUEST: Bad Request";
        for text in [
            r#"{"name": "a"}garbage"#,
            r#"{"name": "a"} {"name": "b"}"#,
            r#"{"name": "a", "note": null}"#,
            r#"{"name": "a\u0000b"}"#,
            r#"{"name": "a", "x\u0000": 1}"#,
            r#"{"name": ["a", null]}"#,
            "",
        ] {
            assert_eq!(parsed(text), Err(bad.into()), "{text}");
        }
    }

    #[test]
    fn nul_bytes_and_malformed_escapes_are_refused_in_the_target() {
        for ok in ["/agents/KARN1/invitations", "/a%2Fb%e9?x=%41", "/"] {
            assert!(storable_target(ok), "{ok}");
        }
        for bad in ["/a%00b", "/a?x=%00", "/a%zz", "/a%4", "/a%", "/a%G1"] {
            assert!(!storable_target(bad), "{bad}");
        }
    }

    #[test]
    fn content_types_other_than_json_are_refused() {
        let mut headers = http::HeaderMap::new();
        assert!(check_content_type(&headers, JSON).is_ok());
        for ok in ["application/json", "Application/JSON; charset=utf-8"] {
            headers.insert(http::header::CONTENT_TYPE, ok.parse().unwrap());
            assert!(check_content_type(&headers, JSON).is_ok(), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/jsonx",
        ] {
            headers.insert(http::header::CONTENT_TYPE, bad.parse().unwrap());
            assert!(check_content_type(&headers, JSON).is_err(), "{bad}");
        }
    }
}
