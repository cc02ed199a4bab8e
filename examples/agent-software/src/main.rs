//! `agent-software [BASE_URL]`: the worked example's journey against a server of the Agent Authorisation API, best
//! through the validating proxy (`cargo xtask proxy`, whose default address is the default here). The server must
//! offer the sandbox, and answer `Gov-Test-Scenario` (the proxy does when the server does not).

use std::process::ExitCode;

fn main() -> ExitCode {
    let base_url = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("AGENT_SOFTWARE_BASE_URL").ok())
        .unwrap_or_else(|| "http://127.0.0.1:8090".to_owned());
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("agent-software: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut say = |line: String| println!("agent-software: {line}");
    match runtime.block_on(agent_software::run(&base_url, &mut say)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("agent-software: {error:#}");
            ExitCode::FAILURE
        }
    }
}
