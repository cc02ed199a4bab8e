//! Deliberate faults for the conformance harness's mutation proof. Compiled only with the `fault-injection`
//! feature (never in a real build): `AGENT_AUTH_FAULT=<name>` switches on the one fault of that name. Each is a
//! small, plausible mistake; `cargo xtask conformance --mutation-proof` names the ledger entry or rule the
//! harness must fail for each (xtask/src/conformance.rs, `FAULTS`).
//!
//! | name | family | what goes wrong |
//! |---|---|---|
//! | `wrong-error-code` | codes | POSTCODE_DOES_NOT_MATCH is answered with the code POSTCODE_MISMATCH |
//! | `wrong-message` | messages | CLIENT_TYPE_NOT_SUPPORTED comes with a shorter message of its own |
//! | `no-duplicate-location` | headers | DUPLICATE_AUTHORISATION_REQUEST comes without its Location header |
//! | `accept-case-sensitive` | headers | the `Accept` header is compared case-sensitively |
//! | `bad-nino-500` | validation | a malformed NINO is a 500 instead of 400 CLIENT_ID_FORMAT_INVALID |
//! | `agent-type-before-service` | order of checks | `agentType` is checked before `service` |
//! | `insolvency-before-known-fact` | order of checks | a relationship check reports insolvency before a wrong VAT date |
//! | `postcode-contains` | known facts | a postcode matches when one holds the other (HMRC's old rule) |
//! | `time-without-millis` | formats | date-times are written without milliseconds |
//! | `v2-updated-on-pending` | body fields | a Pending 2.0 request shows `updated` |
//! | `expiry-22-days` | time | a new request expires a day late |
//! | `expired-reads-pending` | time | a request reads Pending for a day past its expiry instant |
//! | `list-by-last-change` | time | the 30-day list filters by last change instead of creation |
//! | `list-oldest-first` | lists | the 30-day list is oldest first |
//! | `no-duplicate-detection` | duplicates | a second identical create answers 204 (naming the pending request) |
//! | `supporting-displaces-others` | relationships | accepting a supporting agent ends the other supporting agents |
//! | `main-keeps-the-old-main` | relationships | accepting a main agent leaves the previous main agent authorised |
//! | `no-main-supporting-switch` | relationships | an agent can hold main and supporting at once |
//! | `partial-as-accepted` | relationships | a client without an MTDITID accepting gives Accepted, not Partialauth |
//! | `check-keeps-partial` | relationships | a check after sign-up leaves a partial authorisation partial |
//! | `client-end-by-agent` | relationships | a relationship the client ends reads ended by the Agent |
//! | `cancel-any-status` | lifecycle | a request that is no longer pending can be cancelled |
//! | `status-before-ownership` | authorisation | cancel tells another agency that a request is not pending |
//! | `staff-check-skipped` | authorisation | agents may make HMRC staff's maintenance calls |
//! | `arn-case-insensitive` | authorisation | the path's ARN is compared ignoring case |
//! | `v1-shows-supporting` | version isolation | 1.0's `/agencies` paths show a supporting agent's request |
//! | `service-filter-ignored` | filters | the backend's sent list ignores its `service` filter |
//! | `hal-links-one-short` | HAL | the client's list links one invitation fewer than it embeds |
//! | `no-in-flight-lock` | concurrency | identical creates in flight do not meet at the lock |
//! | `cancel-without-row-lock` | concurrency | a cancel does not wait for an accept holding the request |

use std::sync::OnceLock;

/// The fault names, as `cargo xtask test`'s mutation proof runs them.
pub const NAMES: [&str; 30] = [
    "wrong-error-code",
    "wrong-message",
    "no-duplicate-location",
    "accept-case-sensitive",
    "bad-nino-500",
    "agent-type-before-service",
    "insolvency-before-known-fact",
    "postcode-contains",
    "time-without-millis",
    "v2-updated-on-pending",
    "expiry-22-days",
    "expired-reads-pending",
    "list-by-last-change",
    "list-oldest-first",
    "no-duplicate-detection",
    "supporting-displaces-others",
    "main-keeps-the-old-main",
    "no-main-supporting-switch",
    "partial-as-accepted",
    "check-keeps-partial",
    "client-end-by-agent",
    "cancel-any-status",
    "status-before-ownership",
    "staff-check-skipped",
    "arn-case-insensitive",
    "v1-shows-supporting",
    "service-filter-ignored",
    "hal-links-one-short",
    "no-in-flight-lock",
    "cancel-without-row-lock",
];

/// Whether the fault `name` is switched on.
pub fn active(name: &str) -> bool {
    static FAULT: OnceLock<Option<String>> = OnceLock::new();
    debug_assert!(NAMES.contains(&name), "unknown fault {name}");
    FAULT
        .get_or_init(|| std::env::var("AGENT_AUTH_FAULT").ok())
        .as_deref()
        == Some(name)
}
