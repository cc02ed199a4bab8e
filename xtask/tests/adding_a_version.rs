//! Adding an API version is adding files. In a scratch copy of the repository, a throwaway 3.0 contract on a 2.0
//! path and its handler module are added; then `cargo xtask openapi generate` and `check`, a build, and the built
//! server answer 3.0, 2.0 and 1.0 on that one path, each from its own handler. No file the copy started with
//! changes except the generated ones.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What the copy holds: the workspace and everything its build and generator read.
const COPIED: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "openapi",
    "server",
    "xtask",
    "conformance",
    "examples",
    "migrations",
    "docs",
    "vendor",
];

/// The only files the generator may rewrite.
const GENERATED: &str = "server/src/api/generated";

const CONTRACT_PATH: &str = "openapi/agent-authorisation-v3.yaml";
const CONTRACT: &str = r#"openapi: 3.0.3
info:
  title: Agent Authorisation API
  version: "3.0"
  x-api-status: ALPHA
  description: A throwaway version that lists nothing, to prove versions live side by side on one path.
paths:
  /agents/{arn}/invitations:
    get:
      operationId: list_invitations_v3
      summary: Name the version that answered
      parameters:
        - name: Accept
          in: header
          required: true
          schema:
            type: string
            enum:
              - application/vnd.hmrc.3.0+json
        - name: arn
          in: path
          required: true
          schema:
            type: string
      responses:
        '200':
          description: The version that answered, and the agency asked about.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Answered'
components:
  schemas:
    Answered:
      type: object
      required:
        - version
        - arn
      properties:
        version:
          type: string
        arn:
          type: string
"#;

const HANDLERS_PATH: &str = "server/src/handlers/agent_authorisation_v3.rs";
const HANDLERS: &str = r#"//! Version 3.0 (throwaway).

use dropshot::{HttpResponseOk, RequestContext};

use super::ApiContext;
use crate::api::generated::agent_authorisation_v3::{ListInvitationsV3Path, types};
use crate::api::{Accept, ApiError, Path};

pub async fn list_invitations_v3(
    _rqctx: RequestContext<ApiContext>,
    _accept: Accept<3, 0>,
    path: Path<ListInvitationsV3Path>,
) -> Result<HttpResponseOk<types::Answered>, ApiError> {
    Ok(HttpResponseOk(types::Answered {
        version: "3.0".to_owned(),
        arn: path.into_inner().arn,
    }))
}
"#;

#[test]
#[ignore = "builds the server in a scratch copy of the repository; `cargo xtask test` runs it"]
fn a_new_version_on_an_old_path_is_new_files_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let database_url =
        std::env::var("DATABASE_URL").expect("DATABASE_URL (cargo xtask test sets it)");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let scratch = target.join("adding-a-version");
    let _ = std::fs::remove_dir_all(&scratch);
    for entry in COPIED {
        copy(&root.join(entry), &scratch.join(entry));
    }
    let before = contents(&scratch);
    std::fs::write(scratch.join(CONTRACT_PATH), CONTRACT).unwrap();
    std::fs::write(scratch.join(HANDLERS_PATH), HANDLERS).unwrap();

    // The copy builds in a target directory of its own: cargo names a workspace's artifacts by their paths
    // inside the workspace, so the copy's would take the place of the original's in a shared one. It is kept
    // between runs, so only the first build is a full one.
    let scratch_target = target.join("adding-a-version-target");
    cargo(
        &scratch,
        &scratch_target,
        &["run", "-q", "-p", "xtask", "--", "openapi", "generate"],
    );
    cargo(
        &scratch,
        &scratch_target,
        &["run", "-q", "-p", "xtask", "--", "openapi", "check"],
    );
    cargo(
        &scratch,
        &scratch_target,
        &["build", "-q", "-p", "agent-auth-server"],
    );
    let server = scratch_target.join("debug/agent-auth-server");
    assert_only_added(&before, &contents(&scratch));
    let served = Served::start(&server, &scratch_database(&database_url));
    assert_versions_side_by_side(&served);
}

/// Every file the copy started with is unchanged, the generated ones aside; the two new files are all it gained.
fn assert_only_added(before: &BTreeMap<PathBuf, Vec<u8>>, after: &BTreeMap<PathBuf, Vec<u8>>) {
    for (path, text) in before {
        if !path.starts_with(GENERATED) {
            assert!(after.get(path) == Some(text), "{} changed", path.display());
        }
    }
    let added: Vec<&PathBuf> = after
        .keys()
        .filter(|path| !before.contains_key(*path) && !path.starts_with(GENERATED))
        .collect();
    assert_eq!(added, [Path::new(CONTRACT_PATH), Path::new(HANDLERS_PATH)]);
}

/// 3.0 answers from its handler on a 2.0 path; 2.0 and 1.0 still answer there from theirs; the API definition
/// lists 3.0.
fn assert_versions_side_by_side(served: &Served) {
    let path = "/agents/TARN0000001/invitations";
    let (status, body) = served.get(path, "application/vnd.hmrc.3.0+json");
    assert_eq!(
        (status, body["version"].as_str()),
        (200, Some("3.0")),
        "{body}"
    );
    assert_eq!(body["arn"], "TARN0000001");
    // No token is the older versions' documented 401.
    for accept in [
        "application/vnd.hmrc.2.0+json",
        "application/vnd.hmrc.1.0+json",
    ] {
        let (status, body) = served.get(path, accept);
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("UNAUTHORIZED")),
            "{accept}: {body}"
        );
    }
    let (_, definition) = served.get("/api/definition", "application/json");
    let versions: Vec<&str> = definition["api"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["version"].as_str())
        .collect();
    assert!(versions.contains(&"3.0"), "{definition}");
}

/// Copies a file or a directory tree.
fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("copying {}: {e}", from.display()));
    }
}

/// Every file under `root`, by its path relative to `root`.
fn contents(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_path_buf();
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn cargo(dir: &Path, target: &Path, args: &[&str]) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "cargo {} failed in the copy",
        args.join(" ")
    );
}

/// The copy's own database on the test's server.
fn scratch_database(admin_url: &str) -> String {
    let (server, _) = admin_url.rsplit_once('/').unwrap();
    format!("{server}/adding_a_version")
}

/// The copy's server, stopped when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Served {
    fn start(binary: &Path, database_url: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(binary)
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDRESS", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let served = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while ureq::get(format!("{}/ping/ping", served.base))
            .call()
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the copy's server did not start"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        served
    }

    fn get(&self, path: &str, accept: &str) -> (u16, serde_json::Value) {
        let response = ureq::get(format!("{}{path}", self.base))
            .header("Accept", accept)
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .unwrap();
        let status = response.status().as_u16();
        let body = response.into_body().read_to_string().unwrap();
        (
            status,
            serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
        )
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
