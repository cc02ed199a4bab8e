//! The `Accept` header, checked before anything else in a request (docs/domain.md §6, step 1).

use dropshot::{
    ApiEndpointBodyContentType, ExtractorMetadata, Header, HttpError, RequestContext,
    ServerContext, SharedExtractor,
};
use schemars::JsonSchema;
use schemars::r#gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject};

use super::ApiError;

/// Proof that the request asked for `application/vnd.hmrc.MAJOR.MINOR+json`.
///
/// It fails the request with the documented error otherwise: 406 when the header is missing or not of the
/// `application/vnd.hmrc.X.Y+type` shape, 400 when it names another version or a type other than JSON.
/// Extractors run in argument order, so this check comes before the body is parsed.
#[derive(Debug, Clone, Copy)]
pub struct Accept<const MAJOR: u8, const MINOR: u8>;

#[async_trait::async_trait]
impl<const MAJOR: u8, const MINOR: u8> SharedExtractor for Accept<MAJOR, MINOR> {
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
    ) -> Result<Self, HttpError> {
        let header = rqctx
            .request
            .headers()
            .get(http::header::ACCEPT)
            .map(|value| value.to_str().unwrap_or(""));
        check(header, (MAJOR, MINOR))
            .map(|()| Self)
            .map_err(ApiError::into_http_error)
    }

    fn metadata(body_content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        <Header<AcceptHeaders<MAJOR, MINOR>> as SharedExtractor>::metadata(body_content_type)
    }
}

fn check(header: Option<&str>, served: (u8, u8)) -> Result<(), ApiError> {
    let header = header.ok_or_else(ApiError::accept_header_missing)?;
    let (version, media_type) = header
        .trim()
        .strip_prefix("application/vnd.hmrc.")
        .and_then(|rest| rest.split_once('+'))
        .ok_or_else(ApiError::accept_header_invalid)?;
    let version = version
        .split_once('.')
        .filter(|(major, minor)| is_number(major) && is_number(minor))
        .ok_or_else(ApiError::accept_header_invalid)?;
    if media_type.is_empty() || !media_type.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::accept_header_invalid());
    }
    if version.0.parse() != Ok(served.0) || version.1.parse() != Ok(served.1) {
        return Err(ApiError::unsupported_version());
    }
    if media_type != "json" {
        return Err(ApiError::unsupported_content_type());
    }
    Ok(())
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.len() <= 3 && text.bytes().all(|b| b.is_ascii_digit())
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
        check(header, (2, 0)).map_err(|error| {
            let body = serde_json::to_value(&error).unwrap();
            (
                error.status().as_u16(),
                body["code"].as_str().unwrap().to_owned(),
                body["message"].as_str().unwrap().to_owned(),
            )
        })
    }

    #[test]
    fn the_served_version_passes() {
        assert_eq!(outcome(Some("application/vnd.hmrc.2.0+json")), Ok(()));
        assert_eq!(outcome(Some(" application/vnd.hmrc.2.0+json ")), Ok(()));
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
}
