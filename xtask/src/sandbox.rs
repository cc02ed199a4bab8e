//! Test users made through the server's Create Test User API: the agent and client `serve` prints, and the ones the
//! proxy benchmark measures with.

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

/// The Accept header HMRC's Create Test User API expects.
const SANDBOX_ACCEPT: &str = "application/vnd.hmrc.1.0+json";

/// What the Create Test User API answered: an agent, and an individual signed up for MTD Income Tax.
pub struct TestUsers {
    pub agent: Value,
    pub individual: Value,
}

/// An HTTP client that gives up after `timeout` and hands back every status as an answer, not an error.
pub fn http_client(timeout: Duration) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build();
    ureq::Agent::new_with_config(config)
}

pub fn create_test_users(http: &ureq::Agent, base_url: &str) -> Result<TestUsers> {
    let agent = create_test_agent(http, base_url)?;
    let individual = post_json(
        http,
        &format!("{base_url}/create-test-user/individuals"),
        &json!({ "serviceNames": ["national-insurance", "mtd-income-tax"] }),
    )?;
    Ok(TestUsers { agent, individual })
}

/// An agent through the Create Test User API: its ARN, access token and sign-in details.
pub fn create_test_agent(http: &ureq::Agent, base_url: &str) -> Result<Value> {
    post_json(
        http,
        &format!("{base_url}/create-test-user/agents"),
        &json!({ "serviceNames": ["agent-services"] }),
    )
}

fn post_json(http: &ureq::Agent, url: &str, body: &Value) -> Result<Value> {
    let mut response = http
        .post(url)
        .header("Accept", SANDBOX_ACCEPT)
        .send_json(body)
        .with_context(|| format!("POST {url} failed"))?;
    let status = response.status();
    let text = response
        .body_mut()
        .read_to_string()
        .with_context(|| format!("could not read the answer to POST {url}"))?;
    if !status.is_success() {
        bail!("POST {url} answered {status}: {text}");
    }
    serde_json::from_str(&text).with_context(|| {
        format!("POST {url} answered {status} with a body that is not JSON: {text}")
    })
}

/// The string (or number, as text) at `pointer` in a sandbox answer.
pub fn field(value: &Value, pointer: &str) -> Result<String> {
    match value.pointer(pointer) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Number(number)) => Ok(number.to_string()),
        _ => Err(anyhow!("the sandbox's answer has no {pointer}: {value}")),
    }
}
