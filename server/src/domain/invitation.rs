//! An invitation (authorisation request) and its lifecycle (docs/domain.md §7).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::invitation_id::InvitationId;
use super::service::{AgentType, Service};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Accepted,
    Partialauth,
    Rejected,
    Cancelled,
    Expired,
    Deauthorised,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Pending,
        Status::Accepted,
        Status::Partialauth,
        Status::Rejected,
        Status::Cancelled,
        Status::Expired,
        Status::Deauthorised,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "Pending",
            Status::Accepted => "Accepted",
            Status::Partialauth => "Partialauth",
            Status::Rejected => "Rejected",
            Status::Cancelled => "Cancelled",
            Status::Expired => "Expired",
            Status::Deauthorised => "Deauthorised",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// For query filters, where `pending` and `PENDING` mean Pending.
    pub fn parse_ignoring_case(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(text))
    }
}

/// Who ended a relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    Agent,
    Client,
    Hmrc,
}

impl EndedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            EndedBy::Agent => "Agent",
            EndedBy::Client => "Client",
            EndedBy::Hmrc => "HMRC",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub id: InvitationId,
    pub arn: String,
    pub service: Service,
    pub client_type: Option<String>,
    pub client_id_type: String,
    pub client_id: String,
    pub supplied_client_id_type: String,
    pub supplied_client_id: String,
    /// The status as stored; read it through [`Invitation::status_at`].
    pub stored_status: Status,
    pub relationship_ended_by: Option<String>,
    pub expires_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Where it was made (docs/domain.md §12), when known.
    pub origin: Option<String>,
}

impl Invitation {
    /// The instant the request stops being answerable: the start (00:00 UTC) of its expiry day.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_on.and_time(NaiveTime::MIN).and_utc()
    }

    /// The status as it reads now: a pending request past its expiry reads Expired at once, whether or
    /// not the sweep has persisted it yet.
    pub fn status_at(&self, now: DateTime<Utc>) -> Status {
        #[cfg(feature = "fault-injection")]
        let now = match crate::fault::active("expired-reads-pending") {
            true => now - chrono::Duration::days(1),
            false => now,
        };
        if self.stored_status == Status::Pending && now >= self.expires_at() {
            Status::Expired
        } else {
            self.stored_status
        }
    }

    /// When the request last changed, as it reads now: for one that expired unswept, the moment it
    /// expired (never before its last stored change, e.g. when test support expired it early).
    pub fn updated_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        if self.stored_status == Status::Pending && now >= self.expires_at() {
            self.expires_at().max(self.updated_at)
        } else {
            self.updated_at
        }
    }

    pub fn agent_type(&self) -> Option<AgentType> {
        AgentType::of(self.service)
    }
}

/// The origin of requests made through the Agent Authorisation API (1.0 and 2.0).
pub const PUBLIC_API_ORIGIN: &str = "agent-authorisation-api";

/// A backend create's `Origin` header as its request's origin: 1 to 100 visible ASCII characters. The header
/// only informs; any other value is not recorded.
pub fn origin_from_header(value: Option<&[u8]>) -> Option<String> {
    let value = value.filter(|v| (1..=100).contains(&v.len()))?;
    value
        .iter()
        .all(u8::is_ascii_graphic)
        .then(|| String::from_utf8_lossy(value).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn pending(created_at: DateTime<Utc>) -> Invitation {
        Invitation {
            id: InvitationId::parse("CS5AK7O8FPC43").unwrap(),
            arn: "TARN0000001".into(),
            service: Service::MtdVat,
            client_type: Some("business".into()),
            client_id_type: "vrn".into(),
            client_id: "101747696".into(),
            supplied_client_id_type: "vrn".into(),
            supplied_client_id: "101747696".into(),
            stored_status: Status::Pending,
            relationship_ended_by: None,
            expires_on: (created_at + Duration::days(21)).date_naive(),
            created_at,
            updated_at: created_at,
            origin: None,
        }
    }

    #[test]
    fn an_origin_header_is_recorded_only_when_it_is_short_visible_ascii() {
        let cases: [(&[u8], Option<&str>); 5] = [
            (
                b"agent-invitations-frontend",
                Some("agent-invitations-frontend"),
            ),
            (b"", None),
            (b"with space", None),
            (b"caf\xc3\xa9", None),
            (&[b'a'; 101], None),
        ];
        for (header, expected) in cases {
            assert_eq!(origin_from_header(Some(header)).as_deref(), expected);
        }
        assert_eq!(origin_from_header(None), None);
    }

    #[test]
    fn a_pending_request_reads_expired_from_the_start_of_its_expiry_day() {
        let created = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
        let invitation = pending(created);
        assert_eq!(
            invitation.expires_at(),
            Utc.with_ymd_and_hms(2026, 3, 23, 0, 0, 0).unwrap()
        );
        let just_before = invitation.expires_at() - Duration::milliseconds(1);
        assert_eq!(invitation.status_at(just_before), Status::Pending);
        assert_eq!(
            invitation.status_at(invitation.expires_at()),
            Status::Expired
        );
        assert_eq!(
            invitation.updated_at(created + Duration::days(30)),
            invitation.expires_at()
        );
    }

    #[test]
    fn a_request_expired_early_never_reads_updated_before_it_was_created() {
        let created = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
        let expired_today = Invitation {
            expires_on: created.date_naive(),
            ..pending(created)
        };
        assert_eq!(expired_today.status_at(created), Status::Expired);
        assert_eq!(expired_today.updated_at(created), created);
    }

    #[test]
    fn only_pending_requests_expire() {
        let created = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
        let accepted = Invitation {
            stored_status: Status::Accepted,
            ..pending(created)
        };
        assert_eq!(
            accepted.status_at(created + Duration::days(100)),
            Status::Accepted
        );
    }

    #[test]
    fn statuses_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
    }
}
