//! Deliberate faults for the conformance harness's mutation proof. Compiled only with the `fault-injection`
//! feature (never in a real build): `AGENT_AUTH_FAULT=<name>` switches on the one fault of that name.
//!
//! | name | what goes wrong |
//! |---|---|
//! | `wrong-error-code` | POSTCODE_DOES_NOT_MATCH is answered with the code POSTCODE_MISMATCH |
//! | `no-duplicate-location` | DUPLICATE_AUTHORISATION_REQUEST comes without its Location header |
//! | `bad-nino-500` | a malformed NINO is a 500 instead of 400 CLIENT_ID_FORMAT_INVALID |
//! | `no-duplicate-detection` | a second identical create answers 204 (naming the pending request) |

use std::sync::OnceLock;

/// The fault names, as `cargo xtask test`'s mutation proof runs them.
pub const NAMES: [&str; 4] = [
    "wrong-error-code",
    "no-duplicate-location",
    "bad-nino-500",
    "no-duplicate-detection",
];

/// Whether the fault `name` is switched on.
pub fn active(name: &str) -> bool {
    static FAULT: OnceLock<Option<String>> = OnceLock::new();
    FAULT
        .get_or_init(|| std::env::var("AGENT_AUTH_FAULT").ok())
        .as_deref()
        == Some(name)
}
