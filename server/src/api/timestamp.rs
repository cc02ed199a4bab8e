//! Instants on the wire: RFC 3339, UTC, always with milliseconds (`2019-01-21T14:27:44.620Z`).

use chrono::{DateTime, SecondsFormat, Utc};
use schemars::JsonSchema;
use schemars::r#gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl From<DateTime<Utc>> for Timestamp {
    fn from(instant: DateTime<Utc>) -> Self {
        Self(instant)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[cfg(feature = "fault-injection")]
        if crate::fault::active("time-without-millis") {
            return serializer.serialize_str(&self.0.to_rfc3339_opts(SecondsFormat::Secs, true));
        }
        serializer.serialize_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Self(t.with_timezone(&Utc)))
            .map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> String {
        "Timestamp".to_owned()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        SchemaObject {
            instance_type: Some(InstanceType::String.into()),
            format: Some("date-time".to_owned()),
            ..Default::default()
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn writes_milliseconds_even_when_zero() {
        let whole_second = Timestamp(Utc.with_ymd_and_hms(2019, 2, 4, 0, 0, 0).unwrap());
        assert_eq!(
            serde_json::to_string(&whole_second).unwrap(),
            "\"2019-02-04T00:00:00.000Z\""
        );
        let precise = Timestamp(
            DateTime::parse_from_rfc3339("2019-01-21T14:27:44.620999Z")
                .unwrap()
                .to_utc(),
        );
        assert_eq!(
            serde_json::to_string(&precise).unwrap(),
            "\"2019-01-21T14:27:44.620Z\""
        );
    }

    #[test]
    fn reads_what_it_writes() {
        let parsed: Timestamp = serde_json::from_str("\"2019-01-21T14:27:44.620Z\"").unwrap();
        assert_eq!(
            serde_json::to_string(&parsed).unwrap(),
            "\"2019-01-21T14:27:44.620Z\""
        );
    }
}
