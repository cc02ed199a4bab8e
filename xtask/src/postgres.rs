//! A private, throwaway PostgreSQL cluster for `cargo xtask serve` and `cargo xtask test`.
//!
//! The cluster lives in a data directory under `target/postgres/` (initdb + pg_ctl), listens on 127.0.0.1 only on
//! a free port, has no unix socket, and trusts every local connection as the `postgres` superuser. As root, the
//! PostgreSQL binaries run as the `postgres` OS user (PostgreSQL refuses to run as root).

use std::ffi::CString;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::interrupt;
use crate::system::{can_apt_install, is_executable, is_root};

/// What a cluster is for: it decides the server settings and whether data survives between runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// `cargo xtask serve`: data is kept between runs.
    Serve,
    /// `cargo xtask test`: wiped and re-initialised on every run; durability switched off for speed.
    Test,
    /// `cargo xtask bench`: wiped and re-initialised on every run, with PostgreSQL's normal durability so
    /// that what is measured is what runs.
    Bench,
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Purpose::Serve => "serve",
            Purpose::Test => "test",
            Purpose::Bench => "bench",
        })
    }
}

/// How to start a cluster.
#[derive(Clone, Debug, Default)]
pub struct StartOptions {
    /// The port to listen on; a free one is picked if `None`.
    pub port: Option<u16>,
    /// Install PostgreSQL with apt-get if its binaries are missing (also done when `CI=true`).
    pub install: bool,
}

/// The PostgreSQL server binaries this machine has.
#[derive(Clone, Debug)]
pub struct PgBinaries {
    pub initdb: PathBuf,
    pub pg_ctl: PathBuf,
    pub postgres: PathBuf,
    /// The major version, as written in a data directory's `PG_VERSION` ("15", or "9.6" for old ones).
    pub major: String,
}

const BINARIES: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

impl PgBinaries {
    /// Finds `initdb`, `pg_ctl` and `postgres` together in one directory: on PATH first, then in the usual
    /// package locations (Debian/Ubuntu's `/usr/lib/postgresql/<version>/bin`, highest version first).
    pub fn locate() -> Option<PgBinaries> {
        candidate_dirs()
            .into_iter()
            .find(|dir| BINARIES.iter().all(|name| is_executable(&dir.join(name))))
            .and_then(|dir| {
                let postgres = dir.join("postgres");
                let major = major_version(&postgres).ok()?;
                Some(PgBinaries {
                    initdb: dir.join("initdb"),
                    pg_ctl: dir.join("pg_ctl"),
                    postgres,
                    major,
                })
            })
    }

    /// Like [`PgBinaries::locate`], but installs PostgreSQL first if it is missing and installing was asked for
    /// (`install`, or `CI=true`) and is possible (root, apt-get). Otherwise explains how to get it.
    pub fn locate_or_install(install: bool) -> Result<PgBinaries> {
        if let Some(binaries) = PgBinaries::locate() {
            return Ok(binaries);
        }
        if (install || crate::system::is_ci()) && can_apt_install() {
            let why = if install {
                "--install was passed"
            } else {
                "CI=true"
            };
            println!(
                "==> PostgreSQL server binaries are missing; installing them with apt-get ({why})"
            );
            crate::system::apt_install(&["postgresql"])?;
            return PgBinaries::locate().ok_or_else(|| {
                anyhow!(
                    "apt-get installed postgresql, but initdb, pg_ctl and postgres are still not on PATH nor \
                     under /usr/lib/postgresql/<version>/bin"
                )
            });
        }
        let mut message = String::from(
            "the PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH nor under \
             /usr/lib/postgresql/<version>/bin.\n\
             cargo xtask serve/test run a private throwaway PostgreSQL in target/postgres and need them.\n\
             Install them:\n  \
             Debian/Ubuntu: sudo apt-get install postgresql\n  \
             Fedora/RHEL:   sudo dnf install postgresql-server\n  \
             macOS:         brew install postgresql\n",
        );
        if install && !can_apt_install() {
            message.push_str(
                "(--install only works as root on a machine with apt-get, i.e. Debian or Ubuntu.)\n",
            );
        } else if can_apt_install() {
            message.push_str(
                "Or let xtask install them for you: cargo xtask <serve|test> --install\n",
            );
        }
        message.push_str(
            "Or use an existing server instead: \
             DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/postgres cargo xtask <serve|test>",
        );
        Err(anyhow!(message))
    }
}

/// Directories that may hold the PostgreSQL server binaries, most preferred first.
fn candidate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    for (parent, prefix, suffix) in [
        ("/usr/lib/postgresql", "", "bin"), // Debian, Ubuntu
        ("/usr", "pgsql-", "bin"),          // PGDG packages on Fedora/RHEL
        ("/opt/homebrew/opt", "postgresql@", "bin"),
        ("/usr/local/opt", "postgresql@", "bin"),
    ] {
        let mut versions: Vec<(Vec<u32>, PathBuf)> = fs::read_dir(parent)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let version = name.strip_prefix(prefix)?;
                let key: Vec<u32> = version
                    .split('.')
                    .map(|part| part.parse().ok())
                    .collect::<Option<_>>()?;
                Some((key, entry.path().join(suffix)))
            })
            .collect();
        versions.sort_by(|a, b| b.0.cmp(&a.0));
        dirs.extend(versions.into_iter().map(|(_, dir)| dir));
    }
    dirs.push(PathBuf::from("/usr/local/pgsql/bin"));
    dirs
}

/// The major version of a `postgres` binary: `postgres (PostgreSQL) 15.13 (Debian ...)` gives "15".
fn major_version(postgres: &Path) -> Result<String> {
    let output = Command::new(postgres)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not run {} --version", postgres.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text
        .split_whitespace()
        .find(|word| word.starts_with(|c: char| c.is_ascii_digit()))
        .ok_or_else(|| {
            anyhow!(
                "unexpected output from {} --version: {text}",
                postgres.display()
            )
        })?;
    let parts: Vec<&str> = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .collect();
    Ok(match parts.as_slice() {
        [major, minor, ..] if major.parse::<u32>().is_ok_and(|major| major < 10) => {
            format!("{major}.{minor}")
        }
        [major, ..] => major.to_string(),
        [] => bail!(
            "unexpected version in {} --version: {text}",
            postgres.display()
        ),
    })
}

/// The OS user the PostgreSQL binaries run as when xtask runs as root.
#[derive(Clone, Copy, Debug)]
struct OsUser {
    uid: u32,
    gid: u32,
}

const PG_OS_USER: &str = "postgres";

fn lookup_user(name: &str) -> Option<OsUser> {
    let name = CString::new(name).ok()?;
    // SAFETY: `name` is a valid NUL-terminated string; the returned record is copied out at once, before any other
    // call that could overwrite it (xtask does not look users up from other threads).
    unsafe {
        let entry = libc::getpwnam(name.as_ptr());
        if entry.is_null() {
            None
        } else {
            Some(OsUser {
                uid: (*entry).pw_uid,
                gid: (*entry).pw_gid,
            })
        }
    }
}

fn group_exists(name: &str) -> bool {
    let Ok(name) = CString::new(name) else {
        return false;
    };
    // SAFETY: `name` is a valid NUL-terminated string; only the pointer's nullness is read.
    unsafe { !libc::getgrnam(name.as_ptr()).is_null() }
}

/// The `postgres` OS user, created (as a system user without a home directory) if it does not exist.
fn ensure_pg_os_user() -> Result<OsUser> {
    if let Some(user) = lookup_user(PG_OS_USER) {
        return Ok(user);
    }
    println!(
        "==> creating the `{PG_OS_USER}` OS user (PostgreSQL refuses to run as root; xtask runs it as that user)"
    );
    let mut useradd = Command::new("useradd");
    useradd.args([
        "--system",
        "--no-create-home",
        "--shell",
        "/usr/sbin/nologin",
    ]);
    if group_exists(PG_OS_USER) {
        useradd.args(["--gid", PG_OS_USER]);
    } else {
        useradd.arg("--user-group");
    }
    useradd.arg(PG_OS_USER);
    let output = useradd
        .stdin(Stdio::null())
        .output()
        .context("could not run useradd to create the postgres OS user")?;
    if !output.status.success() {
        bail!(
            "useradd {PG_OS_USER} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    lookup_user(PG_OS_USER).ok_or_else(|| {
        anyhow!("useradd succeeded but the `{PG_OS_USER}` user still does not exist")
    })
}

/// Whether `user` can reach (traverse into) `dir`: every directory on the way must let it through.
fn can_traverse(user: OsUser, dir: &Path) -> bool {
    Command::new("test")
        .arg("-x")
        .arg(dir)
        .uid(user.uid)
        .gid(user.gid)
        .current_dir("/")
        .stdin(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A stable (FNV-1a) hash of a path, to name a per-workspace directory.
fn path_hash(path: &Path) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in path.as_os_str().as_encoded_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:012x}", hash & 0xffff_ffff_ffff)
}

/// A held `flock` on a file next to the data directory; released when dropped (or when the process dies).
struct Lock {
    file: File,
    path: PathBuf,
}

impl Lock {
    fn open(path: PathBuf) -> Result<Lock> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("could not open the lock file {}", path.display()))?;
        Ok(Lock { file, path })
    }

    fn try_lock(&self, operation: libc::c_int) -> Result<bool> {
        // SAFETY: the descriptor is valid for as long as `self.file` lives.
        let result = unsafe { libc::flock(self.file.as_raw_fd(), operation | libc::LOCK_NB) };
        if result == 0 {
            return Ok(true);
        }
        let error = std::io::Error::last_os_error();
        if error.kind() == ErrorKind::WouldBlock {
            Ok(false)
        } else {
            Err(error).with_context(|| format!("could not lock {}", self.path.display()))
        }
    }

    /// Waits for the lock, saying why once, and giving up if xtask is interrupted.
    fn lock(&self, operation: libc::c_int, waiting_message: &str) -> Result<()> {
        let mut said = false;
        while !self.try_lock(operation)? {
            if !said {
                println!("==> {waiting_message}");
                said = true;
            }
            interrupt::check()?;
            thread::sleep(Duration::from_millis(200));
        }
        Ok(())
    }
}

/// A private cluster's log, in its data directory.
pub const LOG_FILE: &str = "postgres.log";

/// The PostgreSQL server a command works against.
pub struct Postgres {
    /// A superuser URL of its maintenance database, or `DATABASE_URL` as given.
    pub admin_url: String,
    /// The data directory when xtask started it: a private cluster rather than the server `DATABASE_URL` names.
    pub private_dir: Option<PathBuf>,
}

/// Runs `work` against the server `DATABASE_URL` names, or else a private cluster started in `dir` (see
/// [`Cluster::start`]) and stopped when `work` ends, whatever it answered.
pub fn with_postgres<T>(
    dir: &Path,
    purpose: Purpose,
    install: bool,
    work: impl FnOnce(&Postgres) -> Result<T>,
) -> Result<T> {
    let (cluster, admin_url) = Cluster::unless_database_url(
        dir,
        purpose,
        &StartOptions {
            port: None,
            install,
        },
    )?;
    let private_dir = cluster.as_ref().map(|cluster| cluster.dir.clone());
    let result = work(&Postgres {
        admin_url,
        private_dir,
    });
    let stopped = cluster.map_or(Ok(()), Cluster::stop);
    let value = result?;
    stopped?;
    Ok(value)
}

/// A running PostgreSQL cluster in a data directory of its own.
///
/// Dropping it stops the server (for `serve`, unless another `cargo xtask serve` still uses it).
pub struct Cluster {
    binaries: PgBinaries,
    dir: PathBuf,
    port: u16,
    purpose: Purpose,
    run_as: Option<OsUser>,
    lock: Lock,
    stopped: bool,
}

impl Cluster {
    /// The server `DATABASE_URL` names, if set; otherwise a private cluster started in `dir` (see
    /// [`Cluster::start`]). Answers the cluster, if one was started, and the URL of its `postgres` database.
    fn unless_database_url(
        dir: &Path,
        purpose: Purpose,
        options: &StartOptions,
    ) -> Result<(Option<Cluster>, String)> {
        if let Some(url) = crate::db::database_url_from_env() {
            println!(
                "==> using DATABASE_URL from the environment: {}",
                crate::db::redact_url(&url)
            );
            return Ok((None, url));
        }
        let cluster = Cluster::start(dir, purpose, options)?;
        let url = cluster.admin_url();
        Ok((Some(cluster), url))
    }

    /// Starts (or, for `serve`, reuses if it is already running) the cluster in `dir`.
    ///
    /// For [`Purpose::Test`] the directory is wiped and initialised afresh; for [`Purpose::Serve`] it is initialised
    /// only the first time, so its data survives a restart.
    pub fn start(dir: &Path, purpose: Purpose, options: &StartOptions) -> Result<Cluster> {
        let binaries = PgBinaries::locate_or_install(options.install)?;
        let run_as = if is_root() {
            Some(ensure_pg_os_user()?)
        } else {
            None
        };
        let dir = choose_data_dir(dir, purpose, run_as)?;

        let lock = Lock::open(dir.with_file_name(format!("{purpose}.lock")))?;
        match purpose {
            Purpose::Test | Purpose::Bench => lock.lock(
                libc::LOCK_EX,
                &format!(
                    "another `cargo xtask {purpose}` is using {}; waiting for it to finish",
                    display_relative(&dir)
                ),
            )?,
            // Shared: several `cargo xtask serve` may use one cluster; the last to leave stops it.
            Purpose::Serve => lock.lock(
                libc::LOCK_SH,
                &format!("waiting for the lock on {}", dir.display()),
            )?,
        }

        let mut cluster = Cluster {
            binaries,
            dir,
            port: 0,
            purpose,
            run_as,
            lock,
            stopped: true, // nothing to stop until it runs
        };
        cluster.bring_up(options.port)?;
        Ok(cluster)
    }

    fn bring_up(&mut self, port: Option<u16>) -> Result<()> {
        let dir = self.dir.clone();
        match self.purpose {
            Purpose::Test | Purpose::Bench => {
                if self.is_running() {
                    println!(
                        "==> stopping a {} PostgreSQL left running by an earlier run",
                        self.purpose
                    );
                    self.pg_ctl_stop("immediate")?;
                }
                if dir.exists() {
                    fs::remove_dir_all(&dir)
                        .with_context(|| format!("could not remove {}", dir.display()))?;
                }
            }
            Purpose::Serve => {
                if self.is_running() {
                    self.port = self.running_port()?;
                    self.stopped = false;
                    println!(
                        "==> PostgreSQL is already running in {} (port {}); using it",
                        display_relative(&dir),
                        self.port
                    );
                    return Ok(());
                }
            }
        }

        println!(
            "==> starting PostgreSQL {} in {}",
            self.binaries.major,
            display_relative(&dir)
        );
        if dir.join("PG_VERSION").exists() {
            self.check_existing_data_dir()?;
        } else {
            self.initdb()?;
        }
        interrupt::check()?;

        let mut attempt = 0;
        loop {
            attempt += 1;
            let chosen = match port {
                Some(port) => port,
                None => crate::system::free_port()?,
            };
            match self.pg_ctl_start(chosen) {
                Ok(()) => {
                    self.port = chosen;
                    self.stopped = false;
                    return Ok(());
                }
                // The free port we picked may have been taken in the meantime: pick another.
                Err(StartError::PortTaken(_)) if port.is_none() && attempt < 3 => {
                    println!("    port {chosen} was taken meanwhile; trying another");
                }
                Err(StartError::PortTaken(error) | StartError::Other(error)) => return Err(error),
            }
            interrupt::check()?;
        }
    }

    /// A superuser URL for the `postgres` maintenance database (to create and drop databases from).
    pub fn admin_url(&self) -> String {
        self.url_for("postgres")
    }

    /// A superuser URL for database `database` (which may not exist yet).
    pub fn url_for(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server (`pg_ctl stop -m fast`). For `serve`, leaves it running if another `cargo xtask serve`
    /// still uses it.
    pub fn stop(mut self) -> Result<()> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> Result<()> {
        if self.stopped {
            return Ok(());
        }
        self.stopped = true;
        if self.purpose == Purpose::Serve && !self.lock.try_lock(libc::LOCK_EX)? {
            println!(
                "==> leaving PostgreSQL running in {}: another `cargo xtask serve` still uses it",
                display_relative(&self.dir)
            );
            return Ok(());
        }
        if !self.is_running() {
            return Ok(());
        }
        println!("==> stopping PostgreSQL in {}", display_relative(&self.dir));
        self.pg_ctl_stop("fast").or_else(|error| {
            println!("    a fast stop failed ({error:#}); stopping it immediately");
            self.pg_ctl_stop("immediate")
        })
    }

    /// A command that runs one of the PostgreSQL binaries, as the `postgres` OS user when xtask runs as root.
    fn pg_command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        if let Some(user) = self.run_as {
            command.uid(user.uid).gid(user.gid);
        }
        command
            .current_dir("/")
            .stdin(Stdio::null())
            .env_remove("PGDATA")
            .env_remove("PGPORT")
            .env_remove("PGHOST");
        command
    }

    fn is_running(&self) -> bool {
        if !self.dir.join("postmaster.pid").exists() {
            return false;
        }
        self.pg_command(&self.binaries.pg_ctl)
            .arg("status")
            .arg("-D")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// The port of the running server, from line 4 of `postmaster.pid`.
    fn running_port(&self) -> Result<u16> {
        let pid_file = self.dir.join("postmaster.pid");
        let text = fs::read_to_string(&pid_file)
            .with_context(|| format!("could not read {}", pid_file.display()))?;
        text.lines()
            .nth(3)
            .and_then(|line| line.trim().parse().ok())
            .ok_or_else(|| anyhow!("no port on line 4 of {}", pid_file.display()))
    }

    fn check_existing_data_dir(&self) -> Result<()> {
        let version = fs::read_to_string(self.dir.join("PG_VERSION")).unwrap_or_default();
        let version = version.trim();
        if version != self.binaries.major {
            bail!(
                "{} holds a PostgreSQL {version} cluster, but the binaries found ({}) are PostgreSQL {}.\n\
                 Delete that directory to start afresh (its data will be lost): rm -rf {}",
                self.dir.display(),
                self.binaries.postgres.display(),
                self.binaries.major,
                self.dir.display()
            );
        }
        if let Some(user) = self.run_as {
            use std::os::unix::fs::MetadataExt;
            let owner = fs::metadata(&self.dir)?.uid();
            if owner != user.uid {
                bail!(
                    "{} belongs to uid {owner}, but PostgreSQL runs as the `{PG_OS_USER}` OS user (uid {}).\n\
                     Hand it over (chown -R {PG_OS_USER}: {}) or delete it to start afresh.",
                    self.dir.display(),
                    user.uid,
                    self.dir.display()
                );
            }
        }
        Ok(())
    }

    fn initdb(&self) -> Result<()> {
        let dir = &self.dir;
        if dir.exists() {
            // Not a cluster (no PG_VERSION): the remains of an interrupted initdb.
            fs::remove_dir_all(dir)
                .with_context(|| format!("could not remove {}", dir.display()))?;
        }
        fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        if let Some(user) = self.run_as {
            std::os::unix::fs::chown(dir, Some(user.uid), Some(user.gid)).with_context(|| {
                format!(
                    "could not hand {} over to the `{PG_OS_USER}` OS user",
                    dir.display()
                )
            })?;
        }
        let mut initdb = self.pg_command(&self.binaries.initdb);
        initdb.arg("-D").arg(dir).args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ]);
        if self.purpose == Purpose::Test {
            initdb.arg("--no-sync");
        }
        let output = initdb
            .output()
            .with_context(|| format!("could not run {}", self.binaries.initdb.display()))?;
        if !output.status.success() {
            bail!(
                "initdb failed ({}):\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    fn log_file(&self) -> PathBuf {
        self.dir.join(LOG_FILE)
    }

    fn pg_ctl_start(&self, port: u16) -> Result<(), StartError> {
        let log = self.log_file();
        let log_len_before = fs::metadata(&log).map(|meta| meta.len()).unwrap_or(0);
        let mut options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='' -c max_connections=300"
        );
        if self.purpose == Purpose::Test {
            options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        let output = self
            .pg_command(&self.binaries.pg_ctl)
            .arg("-D")
            .arg(&self.dir)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .output()
            .with_context(|| format!("could not run {}", self.binaries.pg_ctl.display()))
            .map_err(StartError::Other)?;
        if output.status.success() {
            return Ok(());
        }
        let new_log = read_from(&log, log_len_before);
        let error = anyhow!(
            "PostgreSQL did not start ({}):\n{}{}\nlast lines of {}:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            log.display(),
            crate::tail(&fs::read_to_string(&log).unwrap_or_default(), 30)
        );
        if new_log.contains("could not bind") || new_log.contains("Address already in use") {
            Err(StartError::PortTaken(error))
        } else {
            Err(StartError::Other(error))
        }
    }

    fn pg_ctl_stop(&self, mode: &str) -> Result<()> {
        let output = self
            .pg_command(&self.binaries.pg_ctl)
            .arg("-D")
            .arg(&self.dir)
            .args(["-m", mode, "-w", "-t", "60", "stop"])
            .output()
            .with_context(|| format!("could not run {}", self.binaries.pg_ctl.display()))?;
        if !output.status.success() && self.is_running() {
            bail!(
                "pg_ctl stop -m {mode} failed ({}): {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(error) = self.stop_inner() {
            eprintln!(
                "warning: could not stop PostgreSQL in {}: {error:#}",
                self.dir.display()
            );
        }
    }
}

enum StartError {
    PortTaken(anyhow::Error),
    Other(anyhow::Error),
}

/// The data directory to use: `requested`, unless PostgreSQL (running as the `postgres` OS user) could not reach
/// it — e.g. a checkout under /root — in which case one under /tmp named after the requested path.
fn choose_data_dir(requested: &Path, purpose: Purpose, run_as: Option<OsUser>) -> Result<PathBuf> {
    let parent = requested
        .parent()
        .ok_or_else(|| anyhow!("{} has no parent directory", requested.display()))?;
    fs::create_dir_all(parent).with_context(|| format!("could not create {}", parent.display()))?;
    let Some(user) = run_as else {
        return Ok(requested.to_path_buf());
    };
    if can_traverse(user, parent) {
        return Ok(requested.to_path_buf());
    }
    let fallback_parent = std::env::temp_dir().join(format!("agent-auth-pg-{}", path_hash(parent)));
    let fallback = fallback_parent.join(purpose.to_string());
    println!(
        "note: PostgreSQL runs as the `{PG_OS_USER}` OS user, which cannot reach {} (a parent directory is not \
         open to other users); using {} instead",
        parent.display(),
        fallback.display()
    );
    fs::create_dir_all(&fallback_parent)
        .with_context(|| format!("could not create {}", fallback_parent.display()))?;
    fs::set_permissions(&fallback_parent, fs::Permissions::from_mode(0o755))?;
    if !can_traverse(user, &fallback_parent) {
        bail!(
            "the `{PG_OS_USER}` OS user cannot reach {} either; set DATABASE_URL to use an existing server",
            fallback_parent.display()
        );
    }
    Ok(fallback)
}

/// `path` relative to the current directory when it is inside it, for friendlier messages.
fn display_relative(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .filter(|relative| !relative.as_os_str().is_empty())
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

fn read_from(path: &Path, offset: u64) -> String {
    let text = fs::read(path).unwrap_or_default();
    let start = usize::try_from(offset).unwrap_or(0).min(text.len());
    String::from_utf8_lossy(&text[start..]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_hash_is_stable() {
        assert_eq!(path_hash(Path::new("/work/main/target/postgres")).len(), 12);
        assert_eq!(
            path_hash(Path::new("/a")),
            path_hash(Path::new("/a")),
            "same path, same hash"
        );
        assert_ne!(path_hash(Path::new("/a")), path_hash(Path::new("/b")));
    }

    /// Starts and stops a real test cluster when `XTASK_TEST_POSTGRES=1` (it needs the PostgreSQL binaries).
    #[test]
    fn starts_and_stops_a_cluster() {
        if std::env::var("XTASK_TEST_POSTGRES").as_deref() != Ok("1") {
            return;
        }
        let dir = std::env::temp_dir()
            .join(format!("xtask-cluster-test-{}", std::process::id()))
            .join("test");
        let cluster = Cluster::start(&dir, Purpose::Test, &StartOptions::default()).unwrap();
        let port = cluster.port;
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        let data_dir = cluster.dir.clone();
        cluster.stop().unwrap();
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
        assert!(!data_dir.join("postmaster.pid").exists());
        let _ = fs::remove_dir_all(dir.parent().unwrap());
    }
}
