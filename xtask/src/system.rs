//! What xtask needs from the machine: finding programs, and installing Debian packages when asked to
//! (`--install`) or in CI (`CI=true`), as root on a machine with apt-get.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

pub fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The bytes an unprivileged user may still write on the filesystem holding `path`.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    let mut stats = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `path` is a NUL-terminated string and `stats` is writable memory of the right type; the result is read
    // only when the call succeeded.
    let stats = unsafe {
        if libc::statvfs(path.as_ptr(), stats.as_mut_ptr()) != 0 {
            return None;
        }
        stats.assume_init()
    };
    Some(stats.f_bavail.saturating_mul(stats.f_frsize))
}

/// A TCP port on 127.0.0.1 that nothing listens on now (the caller's process may still lose it to another).
pub fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").context("could not find a free TCP port on 127.0.0.1")?;
    Ok(listener.local_addr()?.port())
}

/// Whether `CI` says this is a CI run (`true` or `1`).
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true" || value == "1")
}

fn command_exists(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| is_executable(&dir.join(name))))
}

pub fn can_apt_install() -> bool {
    is_root() && Path::new("/etc/debian_version").exists() && command_exists("apt-get")
}

/// `apt-get update` then `apt-get install` of `packages`, without recommended extras.
pub fn apt_install(packages: &[&str]) -> Result<()> {
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend_from_slice(packages);
    for args in [&["update"][..], &install[..]] {
        println!("    apt-get {}", args.join(" "));
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .status()
            .context("could not run apt-get")?;
        if !status.success() {
            bail!("apt-get {} failed ({status})", args.join(" "));
        }
    }
    Ok(())
}

/// Has the kernel stop the process `command` starts if xtask dies without stopping it (e.g. on SIGKILL).
pub fn stop_with_xtask(command: &mut Command) {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe, and the closure touches nothing else.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_bytes_reads_the_filesystem_and_refuses_a_missing_path() {
        let free = free_bytes(Path::new(env!("CARGO_MANIFEST_DIR")));
        assert!(free.is_some_and(|bytes| bytes > 0), "{free:?}");
        assert_eq!(free_bytes(Path::new("/no/such/directory/here")), None);
    }
}
