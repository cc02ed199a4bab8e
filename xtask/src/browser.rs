//! Chromium and ChromeDriver for the browser test of the client's pages: found on the machine (or named by
//! `CHROMIUM` and `CHROMEDRIVER`), else installed from Debian's packages when that is allowed.

use std::path::PathBuf;

use anyhow::{Result, anyhow};

use crate::system::{apt_install, can_apt_install, is_ci, is_executable};

pub struct BrowserBinaries {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

impl BrowserBinaries {
    fn locate() -> Option<Self> {
        Some(Self {
            chromium: find("CHROMIUM", &["chromium", "chromium-browser"])?,
            chromedriver: find("CHROMEDRIVER", &["chromedriver"])?,
        })
    }

    /// Like [`BrowserBinaries::locate`], but installs Debian's `chromium` and `chromium-driver` first if they
    /// are missing and installing was asked for (`install`, or `CI=true`) and is possible.
    pub fn locate_or_install(install: bool) -> Result<Self> {
        if let Some(found) = Self::locate() {
            return Ok(found);
        }
        if (install || is_ci()) && can_apt_install() {
            println!("==> Chromium or ChromeDriver is missing; installing them with apt-get");
            apt_install(&["chromium", "chromium-driver"])?;
            return Self::locate().ok_or_else(|| {
                anyhow!(
                    "apt-get installed chromium and chromium-driver, but they are still not on PATH"
                )
            });
        }
        Err(anyhow!(
            "the browser test needs Chromium and ChromeDriver, and they were not found on PATH.\n\
             Install them:\n  \
             Debian/Ubuntu: sudo apt-get install chromium chromium-driver\n\
             or let xtask do it: cargo xtask test --install (as root on Debian/Ubuntu)\n\
             or name them: CHROMIUM=/path/to/chrome CHROMEDRIVER=/path/to/chromedriver cargo xtask test"
        ))
    }
}

/// The program an environment variable names, or the first of `names` on PATH.
fn find(variable: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(variable) {
        let path = PathBuf::from(path);
        return is_executable(&path).then_some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| is_executable(candidate))
}
